"""Privacy zones: every point inside is cut, no line crosses a zone, bad zones are named."""

from __future__ import annotations

import numpy as np
import pytest

from analytics import privacy

HOME = privacy.zone("home", 51.5, -0.1, 200)


def test_points_inside_are_cut_and_the_route_split() -> None:
    # West to east through home, one point every ~70 m.
    route = [[51.5, -0.1 + i * 0.001] for i in range(-10, 11)]
    pieces = privacy.cut(route, [HOME])
    assert len(pieces) == 2
    kept = [p for piece in pieces for p in piece]
    lat = np.array([p[0] for p in kept])
    lon = np.array([p[1] for p in kept])
    assert not privacy.inside(lat, lon, [HOME]).any()
    assert len(kept) < len(route)


def test_a_sparse_route_is_not_drawn_across_a_zone() -> None:
    # Two points 2 km apart on either side of home: neither inside, the line between is.
    route = [[51.5, -0.115], [51.5, -0.085]]
    pieces = privacy.cut(route, [HOME])
    assert pieces == [[(51.5, -0.115)], [(51.5, -0.085)]]


def test_without_zones_the_route_is_whole() -> None:
    route = [[51.5, -0.1], [51.6, -0.1]]
    assert privacy.cut(route, []) == [[(51.5, -0.1), (51.6, -0.1)]]


def test_bad_zones_say_what_is_wrong() -> None:
    with pytest.raises(privacy.ZoneError, match="latitude"):
        privacy.zone("home", 95, 0, 200)
    with pytest.raises(privacy.ZoneError, match="radius"):
        privacy.zone("home", 51, 0, 10)
    with pytest.raises(privacy.ZoneError, match="name"):
        privacy.zone("", 51, 0, 200)
    with pytest.raises(privacy.ZoneError, match="not a number"):
        privacy.zone("home", "north", 0, 200)


def test_a_stored_document_keeps_the_good_zones() -> None:
    doc = privacy.to_doc([HOME])
    doc["zones"].append({"name": "bad", "lat": "x"})
    doc["zones"].append("not a zone")
    assert privacy.from_doc(doc) == [HOME]
    assert privacy.from_doc(None) == []
