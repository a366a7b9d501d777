"""Synthetic weeks shared by the model tests (built once per module: they are pure data)."""

from __future__ import annotations

from typing import Any

import pytest

from models import features, train
from serverless_tests.models.athlete import generate


def weeks_of(data: dict[str, Any]) -> list[features.Week]:
    ms = data["measurements"]
    return features.build_weeks(
        [(m.time, m.value) for m in ms if m.type == "weight_kg"],
        [(m.time, m.value) for m in ms if m.type == "fat_ratio_pct"],
        data["activities"], data["lift_sets"], data["today"],
    )


@pytest.fixture(scope="module")
def athlete() -> dict[str, Any]:
    return generate(weeks=130, seed=11)


@pytest.fixture(scope="module")
def weeks(athlete: dict[str, Any]) -> list[features.Week]:
    return weeks_of(athlete)


@pytest.fixture(scope="module")
def trained(weeks: list[features.Week]) -> train.Result:
    return train.fit(weeks)
