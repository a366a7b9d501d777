"""Calls Dash callbacks over HTTP the way the browser does, for tests and the bench."""

from __future__ import annotations

from typing import Any


def _outputs(spec: str) -> list[dict[str, str]] | dict[str, str]:
    if spec.startswith(".."):
        parts = [p for p in spec.strip(".").split("...") if p]
        return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    ident, prop = spec.rsplit(".", 1)
    return {"id": ident, "property": prop}


def find(deps: list[dict[str, Any]], output: str) -> dict[str, Any]:
    """The server-side callback whose outputs include `output` ("component-id.prop")."""
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        outs = _outputs(dep["output"])
        outs = outs if isinstance(outs, list) else [outs]
        if any(f"{o['id']}.{o['property']}" == output for o in outs):
            return dep
    raise KeyError(f"no callback outputs {output}")


def call(client: Any, deps: list[dict[str, Any]], output: str, values: dict[str, Any],
         changed: str | None = None) -> tuple[int, dict[str, Any]]:
    """POSTs one callback; returns (status, {"id.prop": value}) of what it answered."""
    dep = find(deps, output)

    def fill(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = fill(dep["inputs"])
    payload = {
        "output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs,
        "state": fill(dep["state"]),
        "changedPropIds": [changed or f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }
    response = client.post("/_dash-update-component", json=payload)
    if response.status_code != 200:
        return response.status_code, {}
    body = response.get_json()["response"]
    return 200, {f"{ident}.{prop}": value for ident, props in body.items()
                 for prop, value in props.items()}
