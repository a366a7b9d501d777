"""The reliability trials: faults, races, bad input and intruders, each run N times."""
