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


def test_every_sport_of_the_fit_profile_has_a_strava_sport_type():
    from fitdecode import profile

    from collectors.sources.files.sports import FIT_SPORTS, STRAVA_SPORT_TYPES

    fit_sports = set(profile.FIELD_TYPES["sport"].enum.values())
    assert fit_sports == set(FIT_SPORTS)
    assert set(FIT_SPORTS.values()) <= STRAVA_SPORT_TYPES
    # Workout is for what Strava has no name for, not for a sport it knows.
    named = {"running", "cycling", "swimming", "walking", "hiking", "rowing", "e_biking",
             "alpine_skiing", "cross_country_skiing", "snowboarding", "kayaking", "sailing",
             "stand_up_paddleboarding", "inline_skating", "rock_climbing", "golf", "hiit"}
    assert all(FIT_SPORTS[name] != "Workout" for name in named)


def test_every_sub_sport_of_the_fit_profile_refines_its_sport_or_says_nothing_more():
    from fitdecode import profile

    from collectors.sources.files.sports import (
        FIT_SUB_SPORTS,
        NEUTRAL_SUB_SPORTS,
        STRAVA_SPORT_TYPES,
    )

    refining = {sub for _, sub in FIT_SUB_SPORTS}
    fit_subs = set(profile.FIELD_TYPES["sub_sport"].enum.values())
    assert fit_subs == refining | NEUTRAL_SUB_SPORTS
    assert not refining & NEUTRAL_SUB_SPORTS
    assert set(FIT_SUB_SPORTS.values()) <= STRAVA_SPORT_TYPES


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected"),
    [("fitness_equipment", "indoor_rowing", "VirtualRow"),
     ("stand_up_paddleboarding", "generic", "StandUpPaddling"),
     ("alpine_skiing", "backcountry", "BackcountrySki"), ("alpine_skiing", "resort", "AlpineSki"),
     ("cross_country_skiing", "skate_skiing", "NordicSki"), ("hiking", "generic", "Hike"),
     ("e_biking", "generic", "EBikeRide"), ("cycling", "e_bike_mountain", "EMountainBikeRide"),
     ("running", "virtual_activity", "VirtualRun"), ("running", "indoor_running", "Run"),
     ("swimming", "lap_swimming", "Swim"), ("swimming", "open_water", "Swim"),
     ("training", "strength_training", "WeightTraining"), ("training", "yoga", "Yoga"),
     ("fitness_equipment", "elliptical", "Elliptical"), ("racket", "squash", "Squash"),
     ("generic", "generic", "Workout")],
)
def test_fit_sport_and_sub_sport_pairs(sport, sub_sport, expected):
    assert sport_type(sport, sub_sport) == expected


def test_the_real_indoor_rowing_file_is_a_row_with_its_heart_rate():
    from serverless_tests.collectors.sources.files.conftest import TODAY, real_file

    data = real_file("fit/20170518-191602-1740899583.fit").read_bytes()
    activity, stream = read_activity("row.fit", data, TODAY)
    assert activity.sport_type in ("Rowing", "VirtualRow")
    assert stream.heartrate_bpm and activity.average_heartrate_bpm
