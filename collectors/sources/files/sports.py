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
WORKOUT = "Workout"

# Every `sport` of the FIT profile. Workout only where Strava has no sport of that name
# (team games, motor sports, flying, diving…): the tests hold this to the profile's enum.
FIT_SPORTS = {
    "generic": WORKOUT, "running": "Run", "cycling": "Ride", "transition": WORKOUT,
    "fitness_equipment": WORKOUT, "swimming": "Swim", "basketball": WORKOUT,
    "soccer": "Soccer", "tennis": "Tennis", "american_football": WORKOUT,
    "training": WORKOUT, "walking": "Walk", "cross_country_skiing": "NordicSki",
    "alpine_skiing": "AlpineSki", "snowboarding": "Snowboard", "rowing": "Rowing",
    "mountaineering": "Hike", "hiking": "Hike", "multisport": WORKOUT, "paddling": "Canoeing",
    "flying": WORKOUT, "e_biking": "EBikeRide", "motorcycling": WORKOUT, "boating": WORKOUT,
    "driving": WORKOUT, "golf": "Golf", "hang_gliding": WORKOUT, "horseback_riding": WORKOUT,
    "hunting": WORKOUT, "fishing": WORKOUT, "inline_skating": "InlineSkate",
    "rock_climbing": "RockClimbing", "sailing": "Sail", "ice_skating": "IceSkate",
    "sky_diving": WORKOUT, "snowshoeing": "Snowshoe", "snowmobiling": WORKOUT,
    "stand_up_paddleboarding": "StandUpPaddling", "surfing": "Surfing",
    "wakeboarding": WORKOUT, "water_skiing": WORKOUT, "kayaking": "Kayaking",
    "rafting": "Kayaking", "windsurfing": "Windsurf", "kitesurfing": "Kitesurf",
    "tactical": WORKOUT, "jumpmaster": WORKOUT, "boxing": WORKOUT,
    "floor_climbing": "StairStepper", "baseball": WORKOUT, "diving": WORKOUT,
    "hiit": "HighIntensityIntervalTraining", "racket": WORKOUT,
    "wheelchair_push_walk": "Wheelchair", "wheelchair_push_run": "Wheelchair",
    "meditation": WORKOUT, "disc_golf": WORKOUT, "cricket": WORKOUT, "rugby": WORKOUT,
    "hockey": WORKOUT, "lacrosse": WORKOUT, "volleyball": WORKOUT, "water_tubing": WORKOUT,
    "wakesurfing": "Surfing", "mixed_martial_arts": WORKOUT, "snorkeling": "Swim",
    "dance": WORKOUT, "jump_rope": WORKOUT, "all": WORKOUT,
}
# A FIT `sub_sport` that names the activity better than its sport, whatever the sport
# ("*") or for one sport's type. Sub-sports not listed here (street, road, match, warm_up…)
# say nothing the sport did not (see NEUTRAL_SUB_SPORTS).
FIT_SUB_SPORTS = {
    ("*", "treadmill"): "Run", ("Walk", "treadmill"): "Walk",
    ("Run", "trail"): "TrailRun", ("*", "spin"): "VirtualRide",
    ("*", "indoor_cycling"): "VirtualRide", ("Ride", "mountain"): "MountainBikeRide",
    ("Ride", "downhill"): "MountainBikeRide", ("*", "hand_cycling"): "Handcycle",
    ("*", "indoor_rowing"): "VirtualRow", ("*", "elliptical"): "Elliptical",
    ("*", "stair_climbing"): "StairStepper", ("*", "lap_swimming"): "Swim",
    ("*", "open_water"): "Swim", ("*", "flexibility_training"): "Yoga",
    ("*", "strength_training"): "WeightTraining", ("*", "indoor_skiing"): "NordicSki",
    ("*", "indoor_walking"): "Walk", ("*", "e_bike_fitness"): "EBikeRide",
    ("*", "casual_walking"): "Walk", ("*", "speed_walking"): "Walk",
    ("AlpineSki", "backcountry"): "BackcountrySki", ("*", "resort"): "AlpineSki",
    ("*", "skate_skiing"): "NordicSki", ("*", "yoga"): "Yoga", ("*", "pilates"): "Pilates",
    ("*", "indoor_running"): "Run", ("*", "gravel_cycling"): "GravelRide",
    ("*", "e_bike_mountain"): "EMountainBikeRide", ("Run", "virtual_activity"): "VirtualRun",
    ("Ride", "virtual_activity"): "VirtualRide", ("Rowing", "virtual_activity"): "VirtualRow",
    ("*", "obstacle"): "Run",
    ("*", "ultra"): "Run", ("*", "indoor_climbing"): "RockClimbing",
    ("*", "bouldering"): "RockClimbing", ("*", "hiit"): "HighIntensityIntervalTraining",
    ("*", "amrap"): "HighIntensityIntervalTraining",
    ("*", "emom"): "HighIntensityIntervalTraining",
    ("*", "tabata"): "HighIntensityIntervalTraining", ("*", "pickleball"): "Pickleball",
    ("*", "squash"): "Squash", ("*", "badminton"): "Badminton",
    ("*", "racquetball"): "Racquetball", ("*", "table_tennis"): "TableTennis",
    ("*", "indoor_wheelchair_walk"): "Wheelchair", ("*", "indoor_wheelchair_run"): "Wheelchair",
    ("*", "indoor_hand_cycling"): "Handcycle", ("*", "whitewater"): "Kayaking",
    ("*", "sail_race"): "Sail",
}
NEUTRAL_SUB_SPORTS = frozenset(
    """generic street track road recumbent cyclocross track_cycling warm_up match exercise
    challenge cardio_training bmx bike_to_run_transition run_to_bike_transition
    swim_to_bike_transition atv motocross rc_drone wingsuit commuting mixed_surface navigate
    track_me map single_gas_diving multi_gas_diving gauge_diving apnea_diving apnea_hunting
    breathing padel fly_canopy fly_paraglide fly_paramotor fly_pressurized fly_navigate
    fly_timer fly_altimeter fly_wx fly_vfr fly_ifr all""".split()
)
# TCX `Sport`, GPX `type` and Strava's own names as its export and display write them.
_OTHER_NAMES = {
    "run": "Run", "trailrun": "TrailRun", "trailrunning": "TrailRun",
    "virtualrun": "VirtualRun", "treadmill": "Run", "ride": "Ride", "biking": "Ride",
    "bike": "Ride", "roadbiking": "Ride", "mountainbiking": "MountainBikeRide",
    "gravelcycling": "GravelRide", "ebiking": "EBikeRide", "virtualride": "VirtualRide",
    "indoorcycling": "VirtualRide", "walk": "Walk", "hike": "Hike", "swim": "Swim",
    "crosscountryskiing": "NordicSki", "strengthtraining": "WeightTraining",
    "weighttraining": "WeightTraining", "yoga": "Yoga", "elliptical": "Elliptical",
    "stairstepper": "StairStepper", "stairclimbing": "StairStepper",
    "rockclimb": "RockClimbing", "crossfit": "Crossfit", "wheelchair": "Wheelchair",
    "indoorrowing": "VirtualRow",
    # Strava's own GPX exports write its old activity-type codes.
    "1": "Ride", "9": "Run",
}


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_NAMES = {_key(name): kind for name, kind in FIT_SPORTS.items()} | {
    _key(kind): kind for kind in STRAVA_SPORT_TYPES} | _OTHER_NAMES
_REFINED = {(base, _key(sub)): kind for (base, sub), kind in FIT_SUB_SPORTS.items()}


def sport_type(sport: str | None, sub_sport: str | None = None) -> str:
    """Strava's sport_type for a device's or export's sport name; Workout when unknown."""
    base = WORKOUT
    if sport:
        raw = str(sport).strip()
        base = raw if raw in STRAVA_SPORT_TYPES else _NAMES.get(_key(raw), WORKOUT)
    if sub_sport:
        sub = _key(str(sub_sport))
        base = _REFINED.get((base, sub)) or _REFINED.get(("*", sub)) or base
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
