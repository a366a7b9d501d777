"""Callbacks under hostile input: a malformed request is a 400, odd values never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dashboard import data
from testkit.dashcalls import _outputs, call, find

JUNK = ["9999-99-99", ["a"], {"x": 1}, -1e308, True, "x" * 5000]


def payload(dep: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    def fill(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = fill(dep["inputs"])
    return {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs,
            "state": fill(dep["state"]),
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}


def test_no_value_of_any_control_makes_a_callback_fail(client: Any, deps: Any) -> None:
    answered = []
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        for item in dep["inputs"] + dep["state"]:
            for junk in JUNK:
                body = payload(dep, {f"{item['id']}.{item['property']}": junk})
                response = client.post("/_dash-update-component", json=body)
                text = response.get_data(as_text=True)
                answered.append(response.status_code)
                assert response.status_code in (200, 204), (dep["output"], item, junk, text)
                assert "Traceback" not in text
                if not dep["output"].startswith(".._pages_"):  # Dash's own page routing
                    # Ours check what they are sent: the last net is not what answers.
                    assert '"app-error"' not in text, ("fell through to the last net",
                                                       dep["output"], item, junk)
    assert len(answered) > 100


@pytest.mark.parametrize("change", [
    lambda b: {**b, "output": "nothing-here.children"},
    lambda b: {**b, "inputs": [{"id": "weight-metric", "property": "value"}]},
    lambda b: {**b, "inputs": "weight-metric"},
    lambda b: {**b, "outputs": {"id": "overview-content", "property": "style"}},
    lambda b: {**b, "changedPropIds": [1, 2]},
    lambda b: [b],
], ids=["unknown-output", "other-inputs", "inputs-not-a-list", "other-outputs", "changed",
        "not-an-object"])
def test_a_malformed_request_is_refused_with_a_reason(client: Any, deps: Any,
                                                      change: Any) -> None:
    body = payload(find(deps, "weight-graph.figure"), {})
    response = client.post("/_dash-update-component", json=change(body))
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_callback"


def test_a_body_that_is_not_json_is_refused(client: Any) -> None:
    response = client.post("/_dash-update-component", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400


def test_a_callback_that_fails_says_so_in_the_page(client: Any, deps: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(data, "measurements", broken)
    status, out = call(client, deps, "weight-graph.figure", {
        "weight-metric.value": "weight_kg", "weight-window.value": 7})
    assert status == 200
    response = client.post("/_dash-update-component", json=payload(
        find(deps, "weight-graph.figure"), {"weight-metric.value": "weight_kg"}))
    body = response.get_json()
    assert "Something went wrong" in json.dumps(body["sideUpdate"]["app-error"])
    assert "on fire" not in response.get_data(as_text=True)
