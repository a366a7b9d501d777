"""Requests and the answers they must get, shared by the Flask test-client and Zappa tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

GOOD = {"distance_km": "25", "duration_h": "2.5", "crossfit_sessions": "3",
        "avg_weight_kg": "40", "weeks": "12"}
GOOD_JSON = {"distance_km": 25, "duration_h": 2.5, "crossfit_sessions": 3, "avg_weight_kg": 40,
             "weeks": 12}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    status: int
    error: str | None = None
    field: str | None = None
    query: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    body: bytes | None = None
    content_type: str | None = None
    path: str = "/forecast"

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}


def query(**changes: str | None) -> list[tuple[str, str]]:
    merged: dict[str, str | None] = {**GOOD, **changes}
    return [(k, v) for k, v in merged.items() if v is not None]


def body(**changes: Any) -> bytes:
    import json

    merged = {**GOOD_JSON, **changes}
    return json.dumps({k: v for k, v in merged.items() if v is not Ellipsis}).encode()


def bad_get(case_id: str, field_name: str, **changes: str | None) -> Case:
    return Case(case_id, "GET", 400, "invalid_parameter", field_name, query=query(**changes))


def bad_post(case_id: str, field_name: str, raw: bytes,
             content_type: str = "application/json") -> Case:
    return Case(case_id, "POST", 400, "invalid_parameter", field_name, body=raw,
                content_type=content_type)


OK = [
    Case("get", "GET", 200, query=query()),
    Case("get-default-weeks", "GET", 200, query=query(weeks=None)),
    Case("post", "POST", 200, body=body(), content_type="application/json"),
    Case("post-charset", "POST", 200, body=body(weeks=...),
         content_type="application/json; charset=utf-8"),
]

INVALID = [
    *[bad_get(f"missing-{name}", name, **{name: None}) for name in GOOD if name != "weeks"],
    bad_get("empty", "distance_km", distance_km=""),
    bad_get("words", "distance_km", distance_km="twenty"),
    bad_get("underscores", "distance_km", distance_km="1_0"),
    bad_get("hex", "avg_weight_kg", avg_weight_kg="0x10"),
    bad_get("nan", "duration_h", duration_h="NaN"),
    bad_get("inf", "distance_km", distance_km="inf"),
    bad_get("minus-infinity", "avg_weight_kg", avg_weight_kg="-Infinity"),
    bad_get("negative", "crossfit_sessions", crossfit_sessions="-1"),
    bad_get("absurd-distance", "distance_km", distance_km="5000"),
    bad_get("absurd-hours", "duration_h", duration_h="200"),
    bad_get("too-fast", "duration_h", distance_km="100", duration_h="1"),
    bad_get("distance-without-time", "duration_h", duration_h="0"),
    bad_get("beyond-trained", "avg_weight_kg", avg_weight_kg="400"),
    bad_get("weeks-zero", "weeks", weeks="0"),
    bad_get("weeks-too-many", "weeks", weeks="53"),
    bad_get("weeks-fraction", "weeks", weeks="2.5"),
    bad_get("weeks-written-as-float", "weeks", weeks="4.0"),
    bad_get("weeks-exponent", "weeks", weeks="4e0"),
    bad_get("weeks-padded", "weeks", weeks="04"),
    bad_get("weeks-empty", "weeks", weeks=""),
    bad_post("post-weeks-null", "weeks", body(weeks=None)),
    Case("unknown-param", "GET", 400, "invalid_parameter", "pace",
         query=[*query(), ("pace", "5")]),
    Case("twice", "GET", 400, "invalid_parameter", "weeks", query=[*query(), ("weeks", "3")]),
    bad_post("post-nan", "distance_km", body(distance_km=float("nan"))),
    bad_post("post-infinity", "duration_h", body().replace(b'"duration_h": 2.5',
                                                            b'"duration_h": Infinity')),
    bad_post("post-huge-int", "distance_km", body(distance_km=10 ** 400)),
    bad_post("post-string", "distance_km", body(distance_km="25")),
    bad_post("post-bool", "crossfit_sessions", body(crossfit_sessions=True)),
    bad_post("post-null", "avg_weight_kg", body(avg_weight_kg=None)),
    bad_post("post-missing", "duration_h", body(duration_h=...)),
    bad_post("post-negative", "avg_weight_kg", body(avg_weight_kg=-3)),
    bad_post("post-unknown", "sleep_h", body(sleep_h=8)),
    bad_post("post-array", "body", b"[25, 2.5, 3, 40]"),
    bad_post("post-not-json", "body", b"distance_km=25"),
    bad_post("post-bad-utf8", "body", b'{"distance_km": "\xff"}'),
    bad_post("post-form", "Content-Type", b"distance_km=25", "application/x-www-form-urlencoded"),
    bad_post("post-no-type", "Content-Type", body(), ""),
    bad_post("post-too-large", "body", body()[:-1] + b', "x": "' + b"y" * 5000 + b'"}'),
    Case("post-query", "POST", 400, "invalid_parameter", "weeks", query=[("weeks", "4")],
         body=body(), content_type="application/json"),
]

OTHER = [
    Case("not-found", "GET", 404, "not_found", path="/forecasts"),
    Case("method", "DELETE", 405, "method_not_allowed"),
]

ALL = OK + INVALID + OTHER
