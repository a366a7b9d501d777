"""Withings: the scale's measure groups (weight, fat, muscle, hydration, bone) as Measurements."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from collectors.common import (
    RATE_LIMITED,
    Archive,
    Counts,
    Http,
    NotConfigured,
    Progress,
    Quarantine,
    StopSync,
    SyncError,
    dumps,
    json_body,
    utc_now,
)
from collectors.tokens import Token, TokenRejected, Tokens
from storage.base import Blobs, Store
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
MAX_PAGES = 1000  # a guard against a server that always says `more`


class WithingsStatus(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"status {status}: {error}" if error else f"status {status}")
        self.status = status
        self.error = error


# --- parsing (pure) -------------------------------------------------------------------------


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
class Page:
    measurements: list[Measurement] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    groups: int = 0
    more: bool = False
    offset: int = 0
    updatetime: int | None = None


def _text(raw: Any) -> str:
    return json.dumps(raw, default=str)[:2000]


def parse_measures(body: dict[str, Any], now: datetime) -> Page:
    """The body of one getmeas answer: a Measurement per known measure of each real group
    (category 1), a Rejected for each one that cannot be read."""
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
            page.rejected.append(Rejected(SOURCE, f"group {grpid}", "group has no numeric grpid",
                                          _text(group), now))
            continue
        if group.get("category", CATEGORY_REAL) != CATEGORY_REAL:
            continue  # objectives, not measures
        moment = group.get("date")
        if not isinstance(moment, int | float) or isinstance(moment, bool):
            page.rejected.append(Rejected(SOURCE, f"group {grpid}",
                                          f"date {moment!r} is not an epoch time", _text(group),
                                          now))
            continue
        when = datetime.fromtimestamp(moment, UTC)
        for measure in group.get("measures") or []:
            kind = measure.get("type") if isinstance(measure, dict) else None
            name = TYPES.get(kind) if isinstance(kind, int) else None
            if name is None:
                continue  # a type we did not ask for (heart pulse from the same scale, …)
            try:
                value = real_value(measure.get("value"), measure.get("unit"))
            except ValueError as exc:
                page.rejected.append(Rejected(SOURCE, f"group {grpid} type {kind}", str(exc),
                                              _text(measure), now))
                continue
            page.measurements.append(
                Measurement(time=when, type=name, value=value, source=SOURCE,
                            source_id=f"{grpid}:{kind}")
            )
    return page


# --- HTTP -----------------------------------------------------------------------------------

RECONNECT = "run `python -m collectors connect withings`"


def refresher(
    http: Http, base_url: str, client_id: str, client_secret: str,
    clock: Callable[[], float] = time.time,
):
    """The refresh call for Tokens: POST /v2/oauth2 action=requesttoken."""

    def refresh(refresh_token: str) -> Token:
        response = http.request(
            "POST",
            base_url.rstrip("/") + "/v2/oauth2",
            data={
                "action": "requesttoken",
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
            },
        )
        return token_from(response, clock())

    return refresh


def token_from(response: requests.Response, now: float) -> Token:
    if response.status_code != 200:
        raise SyncError(f"Withings token endpoint answered HTTP {response.status_code}; "
                        "try again later")
    try:
        body = check_status(json_body("Withings", response))
    except WithingsStatus as exc:
        if exc.status == STATUS_TOO_MANY:
            raise StopSync(RATE_LIMITED, "Withings answered 601 (too many requests) to the "
                                         "token refresh") from None
        raise TokenRejected(str(exc)) from None
    try:
        return Token(str(body["access_token"]), str(body.get("refresh_token") or ""),
                     now + float(body["expires_in"]))
    except (KeyError, TypeError, ValueError):
        raise SyncError("Withings token endpoint sent no access token; try again later") \
            from None


class WithingsClient:
    """A small requests client for getmeas: Withings has no maintained Python client."""

    def __init__(self, http: Http, base_url: str, tokens: Tokens,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.sleep = sleep

    def getmeas(self, params: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        refused = ""
        for attempt in range(3):
            token = self.tokens.access_token(force_refresh_of=refused)
            response = self.http.request(
                "POST", self.base_url + "/measure",
                data={"action": "getmeas", **params},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code >= 500 and attempt == 0:
                self.sleep(1.0)
                continue
            if response.status_code != 200:
                raise SyncError(f"Withings answered HTTP {response.status_code}; try again later")
            try:
                return check_status(json_body("Withings", response)), response.content
            except WithingsStatus as exc:
                if exc.status == STATUS_TOO_MANY:
                    raise StopSync(RATE_LIMITED, "Withings answered 601 (too many requests)") \
                        from None
                if exc.status == STATUS_INVALID_TOKEN and not refused:
                    refused = token  # revoked early: refresh once, then give up
                    continue
                if exc.status == STATUS_INVALID_TOKEN:
                    raise SyncError(f"Withings refused a freshly refreshed access token: "
                                    f"{RECONNECT}") from None
                raise SyncError(f"Withings could not answer ({exc}); try again later, and "
                                "if it persists check PULSEBOARD_WITHINGS_URL") from None
        raise SyncError("Withings kept failing; try again later")


# --- the sync -------------------------------------------------------------------------------


@dataclass
class Cursor:
    """lastupdate: measures modified after this (epoch s) are still to fetch.
    scan: a paging in progress {lastupdate, offset, updatetime, last_size}."""

    lastupdate: int | None = None
    scan: dict[str, Any] | None = None

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls(lastupdate=int(float(text)))
        if isinstance(data, int | float):
            return cls(lastupdate=int(data))
        return cls(data.get("lastupdate"), data.get("scan"))

    def dump(self) -> str:
        return dumps({"lastupdate": self.lastupdate, "scan": self.scan})


class WithingsSync:
    def __init__(self, store: Store, client: WithingsClient, counts: Counts, archive: Archive,
                 progress: Progress, now: datetime) -> None:
        self.store = store
        self.client = client
        self.counts = counts
        self.archive = archive
        self.progress = progress
        self.now = now
        self.cursor = Cursor.load(store.get_cursor(SOURCE))

    def save(self) -> None:
        self.store.set_cursor(SOURCE, self.cursor.dump())

    def run(self, full: bool = False, after_batch: Callable[[int], None] | None = None) -> None:
        if full or self.cursor.scan is None:
            start = 0 if full else (self.cursor.lastupdate or 0)
            self.cursor.scan = {"lastupdate": start, "offset": 0, "updatetime": None,
                                "last_size": 0}
        else:
            # Resuming: groups deleted meanwhile shift the offsets back; re-read the last page.
            scan = self.cursor.scan
            scan["offset"] = max(0, int(scan["offset"]) - int(scan.get("last_size") or 0))
        scan = self.cursor.scan
        quarantine = Quarantine(self.store, SOURCE)
        for batch in range(1, MAX_PAGES + 1):
            params = {"meastypes": MEASTYPES, "category": CATEGORY_REAL,
                      "lastupdate": scan["lastupdate"]}
            if scan["offset"]:
                params["offset"] = scan["offset"]
            body, content = self.client.getmeas(params)
            self.archive.save(f"measure-lastupdate{scan['lastupdate']}-offset{scan['offset']}",
                              content)
            page = parse_measures(body, self.now)
            self.counts.fetched += page.groups
            self._store(page, quarantine)
            if scan.get("updatetime") is None:
                # The server's time at the first page: anything modified later is for next time.
                # One second earlier, since a group can change within the second of the answer
                # (reading it twice is harmless, missing it is not).
                scan["updatetime"] = (page.updatetime or int(self.now.timestamp())) - 1
            if page.more:
                scan["offset"], scan["last_size"] = page.offset, page.groups
            else:
                self.cursor.lastupdate = int(scan["updatetime"])
                self.cursor.scan = None
            self.save()
            if after_batch is not None:
                after_batch(batch)
            if not page.more:
                return
        raise SyncError("Withings kept answering `more` for 1000 pages; try again later")

    def _store(self, page: Page, quarantine: Quarantine) -> None:
        fresh: list[Measurement] = []
        by_type: dict[str, list[Measurement]] = {}
        for m in page.measurements:
            by_type.setdefault(m.type, []).append(m)
        for kind, items in by_type.items():
            low = min(m.time for m in items)
            high = max(m.time for m in items) + timedelta(seconds=1)
            existing = {r.sort_key(): r for r in self.store.query("measurements", kind,
                                                                   start=low, end=high)}
            fresh += [m for m in items if existing.get(m.sort_key()) != m]
        if fresh:
            self.counts.stored += self.store.put(fresh)
        self.progress.update(len(page.measurements))
        quarantine.add(page.rejected)
        self.counts.rejected += len(page.rejected)
        quarantine.clear(f"{SOURCE}#group {m.source_id.split(':')[0]} type "
                         f"{m.source_id.split(':')[1]}" for m in page.measurements)


def sync(
    store: Store,
    blobs: Blobs | None,
    counts: Counts,
    full: bool = False,
    progress: Progress | None = None,
    session: requests.Session | None = None,
    now: datetime | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    after_batch: Callable[[int], None] | None = None,
) -> None:
    """Brings the scale's measures up to date in the store."""
    import settings

    current = settings.get()
    if not (current.withings_client_id and current.withings_client_secret):
        raise NotConfigured(
            "Withings is not configured: set PULSEBOARD_WITHINGS_CLIENT_ID and "
            "PULSEBOARD_WITHINGS_CLIENT_SECRET, then run `python -m collectors connect withings`"
        )
    now = now or utc_now()
    http = Http("Withings", counts, session, current.request_timeout_s)
    tokens = Tokens(
        store, SOURCE,
        refresher(http, current.withings_url, current.withings_client_id,
                  current.withings_client_secret, clock),
        seed_refresh_token=current.withings_refresh_token,
        reconnect_hint=RECONNECT, clock=clock, sleep=sleep,
    )
    client = WithingsClient(http, current.withings_url, tokens, sleep=sleep)
    WithingsSync(store, client, counts, Archive(blobs, SOURCE, lambda: now),
                 progress or Progress(), now).run(full, after_batch)
