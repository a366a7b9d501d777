"""The one HTTP policy: timeouts and unreachable hosts said plainly, one refresh on 401,
bounded 5xx retries with backoff, 429 stops the run cleanly."""

from __future__ import annotations

from typing import Any

import pytest
import requests

import settings
from collectors.common import ERROR, RATE_LIMITED, Counts, StopSync, SyncError
from collectors.http import AccessRefused, Authorized, Http
from serverless_tests.collectors.conftest import run


def answer(status: int, body: bytes = b"{}") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


class Session:
    """Answers with the given statuses in turn (the last one again when they run out)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.sent.append(kwargs)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return answer(status)


class FakeTokens:
    """Hands out a1, then a new token each time the one it gave is refused."""

    def __init__(self) -> None:
        self.n = 1
        self.refused: list[str] = []

    def access_token(self, force_refresh_of: str = "") -> str:
        if force_refresh_of:
            self.refused.append(force_refresh_of)
            self.n += 1
        return f"a{self.n}"


def policy(session: Session, slept: list[float], **options: Any) -> tuple[Authorized, Counts,
                                                                        FakeTokens]:
    counts = Counts("test")
    tokens = FakeTokens()
    http = Http("Provider", counts, session, timeout_s=3.0)
    return Authorized(http, tokens, "run connect", slept.append, **options), counts, tokens


def send(authorized: Authorized, session: Session, read: Any = None) -> Any:
    def request(token: str) -> requests.Response:
        return authorized.http.request("GET", "http://provider/x",
                                       headers={"Authorization": f"Bearer {token}"})

    return authorized.send(request, read or (lambda r: r.status_code), "to GET /x")


def test_one_refresh_on_401_then_the_answer():
    slept: list[float] = []
    session = Session(401, 200)
    authorized, counts, tokens = policy(session, slept)
    assert send(authorized, session) == 200
    assert tokens.refused == ["a1"] and counts.requests == 2 and slept == []
    assert [s["headers"]["Authorization"] for s in session.sent] == ["Bearer a1", "Bearer a2"]
    assert all(s["timeout"] == 3.0 for s in session.sent)  # the configured timeout, always


def test_a_refreshed_token_refused_again_says_reconnect():
    session = Session(401)
    authorized, counts, tokens = policy(session, [])
    with pytest.raises(SyncError, match="refused a freshly refreshed access token: run connect"):
        send(authorized, session)
    assert counts.requests == 2 and tokens.refused == ["a1"]


def test_a_refusal_in_the_body_refreshes_once_too():
    session = Session(200)
    authorized, counts, tokens = policy(session, [])
    seen: list[int] = []

    def read(response: requests.Response) -> str:
        seen.append(response.status_code)
        if len(seen) == 1:
            raise AccessRefused("status 401: invalid_token")  # as Withings says it
        return "body"

    assert send(authorized, session, read) == "body"
    assert tokens.refused == ["a1"] and counts.requests == 2


def test_5xx_is_retried_a_bounded_number_of_times_with_a_doubling_backoff():
    slept: list[float] = []
    session = Session(503)
    authorized, counts, _ = policy(session, slept, retries_5xx=3, backoff_s=0.5)
    with pytest.raises(SyncError, match="Provider answered HTTP 503 to GET /x; try again later"):
        send(authorized, session)
    assert counts.requests == 4 and slept == [0.5, 1.0, 2.0]


def test_a_5xx_then_an_answer_sleeps_once():
    slept: list[float] = []
    session = Session(502, 200)
    authorized, counts, _ = policy(session, slept)
    assert send(authorized, session) == 200
    assert counts.requests == 2 and slept == [1.0]


def test_429_stops_the_run_at_once():
    slept: list[float] = []
    session = Session(429, 200)
    authorized, counts, tokens = policy(session, slept, limit_name="read quota")
    with pytest.raises(StopSync) as stopped:
        send(authorized, session)
    assert stopped.value.outcome == RATE_LIMITED and "429 (read quota)" in str(stopped.value)
    assert counts.requests == 1 and slept == [] and tokens.refused == []


def test_the_gate_runs_before_every_attempt_and_can_stop_the_run():
    session = Session(401, 200)
    gates: list[int] = []
    authorized, counts, _ = policy(session, [], gate=lambda: gates.append(1))
    assert send(authorized, session) == 200
    assert len(gates) == 2

    def closed() -> None:
        raise StopSync("budget", "budget used")

    authorized, counts, tokens = policy(Session(200), [], gate=closed)
    with pytest.raises(StopSync):
        send(authorized, session)
    assert counts.requests == 0 and tokens.n == 1


def test_slow_provider_times_out_with_a_clear_message(sqlite_store, standins, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_REQUEST_TIMEOUT_S", "0.2")
    settings.reset()
    standins.faults.slow("withings", 0.6)
    counts = run("withings", sqlite_store)
    assert counts.outcome == ERROR and "did not answer within 0.2 s" in counts.message


def test_unreachable_provider(sqlite_store, standins, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_SHEETS_URL", "http://127.0.0.1:9")
    settings.reset()
    counts = run("sheets", sqlite_store)
    assert counts.outcome == ERROR and "cannot reach" in counts.message
