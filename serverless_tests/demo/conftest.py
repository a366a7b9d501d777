"""Fixtures for the demo tests: one small athlete per module, fresh stand-ins per test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests

from demo.athlete import Athlete
from demo.standins import StandIns

END = date(2026, 11, 20)


@pytest.fixture(scope="module")
def small_athlete() -> Athlete:
    """One year; tests that change data build their own."""
    return Athlete.generate(seed=5, years=1.0, end=END)


@pytest.fixture
def athlete() -> Athlete:
    return Athlete.generate(seed=5, years=1.0, end=END)


@pytest.fixture
def standins(athlete: Athlete) -> Iterator[StandIns]:
    with StandIns(athlete) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def strava_token(standins: StandIns, http: requests.Session, refresh: str | None = None) -> dict:
    answer = http.post(
        standins.strava_token_url,
        data={
            "client_id": standins.strava_client_id,
            "client_secret": standins.strava_client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh or standins.current_refresh_token("strava"),
        },
        timeout=5,
    )
    return {"status": answer.status_code, **answer.json()}


def withings_token(standins: StandIns, http: requests.Session, refresh: str | None = None) -> dict:
    answer = http.post(
        f"{standins.withings_url}/v2/oauth2",
        data={
            "action": "requesttoken",
            "client_id": standins.withings_client_id,
            "client_secret": standins.withings_client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh or standins.current_refresh_token("withings"),
        },
        timeout=5,
    )
    assert answer.status_code == 200  # Withings answers errors in the body
    return answer.json()
