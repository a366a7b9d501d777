"""The privacy zones page over HTTP: only the owner changes zones, bad zones say why."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.logic import running_data
from serverless_tests.dashboard.conftest import login
from testkit.dashcalls import call

ADD = {"privacy-add.n_clicks": 1, "privacy-name.value": "home", "privacy-lat.value": 45.78,
       "privacy-lon.value": 4.86, "privacy-radius.value": 400}


def add(client: Any, **changes: Any) -> str:
    deps = client.get("/_dash-dependencies").get_json()
    status, out = call(client, deps, "privacy-message.children", {**ADD, **changes},
                       changed="privacy-add.n_clicks")
    assert status == 200
    return str(out["privacy-message.children"])


def test_a_viewer_cannot_add_a_zone_or_see_them(server: Any, store: Any) -> None:
    running_data.save_zones(store, [])
    viewer = server.test_client()
    assert login(viewer, "viewer").status_code == 302
    assert add(viewer) == "Only the owner sees and changes the privacy zones."
    assert running_data.zones(store) == []


@pytest.mark.parametrize("field,value,reason", [
    ("privacy-lat.value", 123, "latitude: 123 is outside -90 to 90"),
    ("privacy-radius.value", 5, "radius (m): 5 is outside 50 to 5000"),
    ("privacy-name.value", "", "name: give the zone a name"),
])
def test_a_bad_zone_is_refused_with_its_reason(client: Any, store: Any, field: str, value: Any,
                                               reason: str) -> None:
    running_data.save_zones(store, [])
    message = add(client, **{field: value})
    assert message.startswith("Not saved: ") and reason in message
    assert running_data.zones(store) == []


def test_the_owner_adds_then_removes_a_zone(client: Any, store: Any) -> None:
    running_data.save_zones(store, [])
    assert "added" in add(client)
    (zone,) = running_data.zones(store)
    assert (zone.name, zone.lat, zone.lon, zone.radius_m) == ("home", 45.78, 4.86, 400)
    assert "exists" in add(client)  # the same name twice
    deps = client.get("/_dash-dependencies").get_json()
    status, out = call(client, deps, "privacy-message.children",
                       {"privacy-remove.n_clicks": 1, "privacy-pick.value": "home"},
                       changed="privacy-remove.n_clicks")
    assert status == 200 and "removed" in out["privacy-message.children"]
    assert running_data.zones(store) == []
