"""Withings' answers read (pure): the body status, and getmeas' measure groups as Measurements."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from collectors.common import SyncError, raw_text
from collectors.parsing import Parsed
from core import localtime
from storage.records import Measurement, Rejected

SOURCE = "withings"
# Withings measure type → Pulseboard's measurement name.
TYPES = {
    1: "weight_kg",
    5: "fat_free_mass_kg",
    6: "fat_ratio_pct",
    8: "fat_mass_kg",
    76: "muscle_mass_kg",
    77: "hydration_kg",
    88: "bone_mass_kg",
}
MEASTYPES = ",".join(str(t) for t in TYPES)
CATEGORY_REAL = 1  # 2 would be the user's objectives
# Body `status` values (errors arrive with HTTP 200).
STATUS_OK = 0
STATUS_INVALID_TOKEN = 401
STATUS_TOO_MANY = 601


class WithingsStatus(SyncError):
    """An answer whose body `status` says the call failed."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"status {status}: {error}" if error else f"status {status}")
        self.status = status
        self.error = error


def check_status(payload: Any) -> dict[str, Any]:
    """The `body` of an answer; WithingsStatus when its `status` says it failed."""
    if not isinstance(payload, dict) or "status" not in payload:
        raise WithingsStatus(-1, "the answer has no status")
    status = payload.get("status")
    if status != STATUS_OK:
        code = status if isinstance(status, int) else -1
        raise WithingsStatus(code, str(payload.get("error") or ""))
    body = payload.get("body")
    return body if isinstance(body, dict) else {}


def real_value(value: Any, unit: Any) -> float:
    """value × 10^unit, exactly as written (82345, -3 → 82.345, not 82.34500000000001)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"value {value!r} is not a number")
    if isinstance(unit, bool) or not isinstance(unit, int):
        raise ValueError(f"unit {unit!r} is not a whole number")
    try:
        number = float(Decimal(value).scaleb(unit))
    except (InvalidOperation, ValueError, OverflowError):
        raise ValueError(f"value {value!r} × 10^{unit} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"value {value!r} × 10^{unit} is not a finite number")
    return number


@dataclass
class Page(Parsed[Measurement]):
    """One getmeas answer: its measurements, the measures it lists as 0 (no reading, see
    parse_measures), and the paging it announces."""

    no_readings: list[Measurement] = field(default_factory=list)
    groups: int = 0
    more: bool = False
    offset: int = 0
    updatetime: int | None = None


def reject_ref(grpid: Any, kind: Any = None) -> str:
    return f"group {grpid}" if kind is None else f"group {grpid} type {kind}"


def _zone_name(value: Any) -> str:
    """The group's (else the account's) IANA zone; an unknown one is not kept, the reading is."""
    if not isinstance(value, str):
        return ""
    try:
        return localtime.zone(value).key if value.strip() else ""
    except localtime.ZoneError:
        return ""


def parse_measures(body: dict[str, Any], now: datetime) -> Page:
    """The body of one getmeas answer: a Measurement per known measure of each real group
    (category 1), a Rejected for each one that cannot be read.

    A measure of 0 is no reading: a weight typed in by hand (attrib 2) comes with a fat ratio
    and a fat mass of 0, and no body has 0 % fat or weighs nothing. It goes to `no_readings`
    (so a 0 stored before can be removed), never to the records."""
    groups = body.get("measuregrps") or []
    page = Page(
        groups=len(groups),
        more=bool(body.get("more")),
        offset=int(body.get("offset") or 0),
        updatetime=int(body["updatetime"]) if isinstance(body.get("updatetime"), int) else None,
    )
    for group in groups:
        grpid = group.get("grpid") if isinstance(group, dict) else None
        if not isinstance(grpid, int) or isinstance(grpid, bool):
            page.rejected.append(Rejected(SOURCE, reject_ref(grpid), "group has no numeric grpid",
                                          raw_text(group), now))
            continue
        if group.get("category", CATEGORY_REAL) != CATEGORY_REAL:
            continue  # objectives, not measures
        moment = group.get("date")
        if not isinstance(moment, int | float) or isinstance(moment, bool):
            page.rejected.append(Rejected(SOURCE, reject_ref(grpid),
                                          f"date {moment!r} is not an epoch time",
                                          raw_text(group), now))
            continue
        when = datetime.fromtimestamp(moment, UTC)
        zone_name = _zone_name(group.get("timezone")) or _zone_name(body.get("timezone"))
        for measure in group.get("measures") or []:
            kind = measure.get("type") if isinstance(measure, dict) else None
            name = TYPES.get(kind) if isinstance(kind, int) else None
            if name is None:
                continue  # a type we did not ask for (heart pulse from the same scale, …)
            try:
                value = real_value(measure.get("value"), measure.get("unit"))
            except ValueError as exc:
                page.rejected.append(Rejected(SOURCE, reject_ref(grpid, kind), str(exc),
                                              raw_text(measure), now))
                continue
            measurement = Measurement(time=when, type=name, value=value, source=SOURCE,
                                      source_id=f"{grpid}:{kind}", timezone=zone_name)
            (page.no_readings if value == 0 else page.records).append(measurement)
    return page
