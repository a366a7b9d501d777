"""Sport names of devices, files and exports as Strava's sport types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.sources.files.sports import sport_type
from demo.activity_files import fit_bytes, samples
from serverless_tests.collectors.sources.files.conftest import read_activity

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected"),
    [
        ("running", "trail", "TrailRun"),
        ("running", "treadmill", "Run"),
        ("cycling", "generic", "Ride"),
        ("cycling", "virtual_activity", "VirtualRide"),
        ("training", "strength_training", "WeightTraining"),
        ("walking", "generic", "Walk"),
    ],
)
def test_fit_sports_map_to_strava_sport_types(sport, sub_sport, expected):
    activity, _ = read_activity("a.fit", fit_bytes(samples(START), sport, sub_sport), NOW)
    assert activity.sport_type == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Run", "Run"), ("Trail Run", "TrailRun"), ("Weight Training", "WeightTraining"),
     ("Biking", "Ride"), ("cycling", "Ride"), ("9", "Run"), ("Kitesurf", "Kitesurf"),
     ("underwater basket weaving", "Workout"), (None, "Workout")],
)
def test_sport_names_from_every_source(given, expected):
    assert sport_type(given) == expected
