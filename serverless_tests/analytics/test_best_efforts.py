"""Best efforts on known streams: exact at constant pace, blind to GPS spikes and pauses."""

from __future__ import annotations

import pytest

from analytics import best_efforts as be

PACE_S_PER_KM = 300.0  # 5:00 /km


def constant(distance_m: float, step_s: float = 1.0) -> tuple[list[float], list[float]]:
    speed = 1000 / PACE_S_PER_KM
    n = int(distance_m / speed / step_s)
    times = [i * step_s for i in range(n + 1)]
    return times, [t * speed for t in times]


def test_a_10k_at_constant_pace_gives_exact_efforts() -> None:
    times, dist = constant(10_000)
    found = be.best_efforts(times, dist)
    assert set(found) == {"400 m", "1 km", "1 mile", "5 km", "10 km"}
    for name, effort in found.items():
        expected = be.DISTANCES_M[name] / 1000 * PACE_S_PER_KM
        assert effort.time_s == pytest.approx(expected, abs=1e-6), name
        assert effort.pace_s_per_km == pytest.approx(PACE_S_PER_KM)


def test_a_faster_middle_kilometre_is_found_where_it_is() -> None:
    # 2 km easy at 6:00, 1 km at 4:00, 2 km at 6:00.
    times, dist = [0.0], [0.0]
    for km, pace in enumerate([360, 360, 240, 360, 360]):
        for _ in range(pace):
            times.append(times[-1] + 1)
            dist.append(dist[-1] + 1000 / pace)
        assert dist[-1] == pytest.approx((km + 1) * 1000)
    effort = be.best_efforts(times, dist)["1 km"]
    assert effort.time_s == pytest.approx(240, abs=1e-6)
    assert effort.start_distance_m == pytest.approx(2000, abs=1)
    assert effort.start_s == pytest.approx(720, abs=1)


def test_gps_spikes_do_not_make_prs() -> None:
    times, dist = constant(6_000)
    spiked = list(dist)
    # Three jumps of 300 m in one second each (a tunnel, a bad fix), carried on after.
    for at in (600, 900, 1200):
        spiked = [d + 300 if i >= at else d for i, d in enumerate(spiked)]
    clean = be.best_efforts(times, dist)
    found = be.best_efforts(times, spiked)
    for name in ("400 m", "1 km", "5 km"):
        assert found[name].time_s >= clean[name].time_s - 1e-6, name


def test_a_pause_does_not_count_as_fast() -> None:
    # 3 km, then the watch is stopped for 10 minutes while its owner is driven 3 km, then 3 km.
    first_t, first_d = constant(3000)
    second_t, second_d = constant(3000)
    times = first_t + [first_t[-1] + 600 + t for t in second_t]
    dist = first_d + [first_d[-1] + 3000 + d for d in second_d]
    found = be.best_efforts(times, dist)
    assert "5 km" in found
    assert found["5 km"].time_s > 5 * PACE_S_PER_KM  # the drive is not run, the wait counts
    assert found["1 km"].time_s == pytest.approx(PACE_S_PER_KM, abs=1e-6)
    # A watch that leaves the paused time out: the jump happens in one second.
    moving_t = first_t + [first_t[-1] + 1 + t for t in second_t]
    found = be.best_efforts(moving_t, dist)
    assert found["5 km"].time_s >= 5 * PACE_S_PER_KM


def test_a_stream_without_distance_uses_its_track() -> None:
    # Along a meridian, 1 m ≈ 1 / 111,195 degree.
    times, dist = constant(1200)
    track = [[50.0 + d / 111_195.0, 5.0] for d in dist]
    found = be.best_efforts(times, [], track)
    assert found["1 km"].time_s == pytest.approx(PACE_S_PER_KM, rel=1e-3)


def test_short_or_broken_streams_give_nothing() -> None:
    assert be.best_efforts([], []) == {}
    assert be.best_efforts([0, 1], [0, 5]) == {}
    times, dist = constant(500)
    found = be.best_efforts(list(reversed(times)), dist)
    assert found == {}  # time running backwards: no sample comes after the first
    assert "1 km" not in be.best_efforts(times, dist)
