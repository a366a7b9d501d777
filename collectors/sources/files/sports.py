"""Sport names from devices, files and exports → Strava's sport types: the one table."""

from __future__ import annotations

STRAVA_SPORT_TYPES = frozenset(
    """AlpineSki BackcountrySki Badminton Canoeing Crossfit EBikeRide Elliptical
    EMountainBikeRide Golf GravelRide Handcycle HighIntensityIntervalTraining Hike IceSkate
    InlineSkate Kayaking Kitesurf MountainBikeRide NordicSki Pickleball Pilates Racquetball Ride
    RockClimbing RollerSki Rowing Run Sail Skateboard Snowboard Snowshoe Soccer Squash
    StairStepper StandUpPaddling Surfing Swim TableTennis Tennis TrailRun Velomobile VirtualRide
    VirtualRow VirtualRun Walk WeightTraining Wheelchair Windsurf Workout Yoga""".split()
)
_SPORT_ALIASES = {
    # FIT `sport`, TCX `Sport`, GPX `type` and Strava's display names, normalised (see key()).
    "run": "Run",
    "running": "Run",
    "trailrun": "TrailRun",
    "trailrunning": "TrailRun",
    "virtualrun": "VirtualRun",
    "treadmill": "Run",
    "ride": "Ride",
    "biking": "Ride",
    "cycling": "Ride",
    "bike": "Ride",
    "roadbiking": "Ride",
    "mountainbiking": "MountainBikeRide",
    "mountainbikeride": "MountainBikeRide",
    "gravelcycling": "GravelRide",
    "ebiking": "EBikeRide",
    "ebikeride": "EBikeRide",
    "virtualride": "VirtualRide",
    "indoorcycling": "VirtualRide",
    "walk": "Walk",
    "walking": "Walk",
    "hike": "Hike",
    "hiking": "Hike",
    "swim": "Swim",
    "swimming": "Swim",
    "rowing": "Rowing",
    "crosscountryskiing": "NordicSki",
    "alpineskiing": "AlpineSki",
    "strengthtraining": "WeightTraining",
    "weighttraining": "WeightTraining",
    "yoga": "Yoga",
    "hiit": "HighIntensityIntervalTraining",
    "elliptical": "Elliptical",
    "stairstepper": "StairStepper",
    "stairclimbing": "StairStepper",
    "rockclimbing": "RockClimbing",
    "rockclimb": "RockClimbing",
    "snowboarding": "Snowboard",
    "snowshoeing": "Snowshoe",
    "crossfit": "Crossfit",
    "wheelchair": "Wheelchair",
    # Strava's own GPX exports write its old activity-type codes.
    "1": "Ride",
    "9": "Run",
}
_SUB_SPORTS = {
    ("Run", "trail"): "TrailRun",
    ("Run", "virtualactivity"): "VirtualRun",
    ("Ride", "virtualactivity"): "VirtualRide",
    ("Ride", "indoorcycling"): "VirtualRide",
    ("Ride", "mountain"): "MountainBikeRide",
    ("Ride", "gravelcycling"): "GravelRide",
    ("Ride", "ebikemountain"): "EMountainBikeRide",
    ("Workout", "strengthtraining"): "WeightTraining",
    ("Workout", "yoga"): "Yoga",
    ("Workout", "hiit"): "HighIntensityIntervalTraining",
}


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def sport_type(sport: str | None, sub_sport: str | None = None) -> str:
    """Strava's sport_type for a device's or export's sport name; Workout when unknown."""
    base = "Workout"
    if sport:
        raw = str(sport).strip()
        base = raw if raw in STRAVA_SPORT_TYPES else _SPORT_ALIASES.get(_key(raw), "Workout")
    if sub_sport:
        base = _SUB_SPORTS.get((base, _key(str(sub_sport))), base)
    return base


# The fastest a sport can go (m/s), well above any record, so only a broken sensor passes it.
_MAX_SPEEDS_MPS = {
    **dict.fromkeys(("Run", "TrailRun", "VirtualRun", "Walk", "Hike", "Snowshoe",
                     "Wheelchair"), 12.5),  # Bolt's top speed is 12.4 m/s
    **dict.fromkeys(("Swim",), 3.0),
    **dict.fromkeys(("Rowing", "VirtualRow", "Kayaking", "Canoeing", "StandUpPaddling"), 8.0),
    **dict.fromkeys(("Ride", "MountainBikeRide", "GravelRide", "EBikeRide", "EMountainBikeRide",
                     "VirtualRide", "Handcycle", "Velomobile"), 35.0),
    **dict.fromkeys(("NordicSki", "RollerSki", "IceSkate", "InlineSkate", "Skateboard"), 20.0),
    **dict.fromkeys(("AlpineSki", "BackcountrySki", "Snowboard"), 45.0),
    **dict.fromkeys(("Sail", "Windsurf", "Kitesurf"), 40.0),
}
# Whatever the sport is not known to be (a Workout may be a drive): no faster than a fast train.
ANY_SPEED_MPS = 100.0


def max_speed_mps(sport: str) -> float:
    return _MAX_SPEEDS_MPS.get(sport, ANY_SPEED_MPS)
