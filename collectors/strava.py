"""Strava: the athlete's activities (every sport) and, for runs, their streams."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polyline
import requests

from collectors import dedupe
from collectors.common import (
    BUDGET,
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
from storage.records import Activity, ActivityStream, Record, Rejected, parse_iso_utc

SOURCE = "strava"
PER_PAGE = 200  # Strava's maximum
RUN_TYPES = frozenset({"Run", "TrailRun", "VirtualRun"})
STREAM_KEYS = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate")
# Strava's `after` filters by start time, so an edit to an older activity is only seen by
# listing it again: every run re-reads this much before the newest activity it has.
RESCAN = timedelta(days=7)
# Strava's read ("non-upload") limits; the headers may announce the same or lower ones.
READ_LIMIT_15MIN = 100
READ_LIMIT_DAY = 1000
# One run never makes more requests than this (a run is also stopped by the limits above).
REQUEST_BUDGET = 100
RETRY_5XX_SLEEP_S = 1.0
# Streams written (and the cursor saved) this many at a time.
STREAM_BATCH = 10
# Marks a pending run whose stored stream came from an imported file (the file's activity was
# absorbed into Strava's): Strava's stream, once fetched, keeps the file's series it lacks.
FILL_FROM_FILE = "file"


# --- parsing (pure) -------------------------------------------------------------------------


class ParseError(ValueError):
    """A payload (or part of one) that cannot be read; the message is the reason."""


def _int64_id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ParseError(f"id {value!r} is not a whole number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value.strip()))
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    raise ParseError(f"id {value!r} is not a whole number")


def _number(raw: dict[str, Any], name: str, default: float | None) -> float | None:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ParseError(f"{name} {value!r} is not a number") from None
    number = float(value)
    if not math.isfinite(number):
        raise ParseError(f"{name} {value!r} is not a finite number")
    return number


def _polyline(raw: dict[str, Any]) -> str | None:
    # `map` is missing on manual activities and summary_polyline null on trainer/private ones.
    summary = (raw.get("map") or {}).get("summary_polyline")
    if not summary:
        return None
    if not isinstance(summary, str):
        raise ParseError(f"map.summary_polyline {summary!r} is not a string")
    try:
        points = polyline.decode(summary, 5)
    except (IndexError, ValueError, TypeError):
        raise ParseError("map.summary_polyline is not a valid encoded polyline") from None
    if any(abs(lat) > 90 or abs(lon) > 180 for lat, lon in points):
        raise ParseError("map.summary_polyline decodes to points outside the globe")
    return summary


def parse_activity(raw: Any) -> Activity:
    """One SummaryActivity (a dict as the API sends it) as an Activity; ParseError if unusable."""
    if not isinstance(raw, dict):
        raise ParseError(f"activity is a {type(raw).__name__}, not an object")
    activity_id = _int64_id(raw.get("id"))
    start = raw.get("start_date")
    if not isinstance(start, str):
        raise ParseError(f"start_date {start!r} is missing or not a string")
    try:
        start_time = parse_iso_utc(start)
    except ValueError:
        raise ParseError(f"start_date {start!r} is not an ISO-8601 time") from None
    sport_type = raw.get("sport_type") or raw.get("type")
    if not isinstance(sport_type, str) or not sport_type:
        raise ParseError("neither sport_type nor type is given")
    return Activity(
        id=activity_id,
        source=SOURCE,
        start_time=start_time,
        sport_type=sport_type,
        name=str(raw.get("name") or ""),
        distance_m=_number(raw, "distance", 0.0) or 0.0,
        moving_time_s=_number(raw, "moving_time", 0.0) or 0.0,
        elapsed_time_s=_number(raw, "elapsed_time", 0.0) or 0.0,
        elevation_gain_m=_number(raw, "total_elevation_gain", 0.0) or 0.0,
        average_speed_mps=_number(raw, "average_speed", None),
        max_speed_mps=_number(raw, "max_speed", None),
        average_heartrate_bpm=_number(raw, "average_heartrate", None),
        summary_polyline=_polyline(raw),
    )


def wants_streams(raw: dict[str, Any]) -> bool:
    """Runs recorded by a device have streams; manual entries have none to fetch."""
    sport = raw.get("sport_type") or raw.get("type")
    return sport in RUN_TYPES and not raw.get("manual")


def reject_ref(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id") is not None:
        return f"activity {raw.get('id')}"
    return f"activity at index {index}"


@dataclass
class Page:
    activities: list[Activity] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    stream_ids: list[str] = field(default_factory=list)
    size: int = 0


def parse_activities(payload: Any, now: datetime) -> Page:
    """One page of GET /athlete/activities: activities, plus a Rejected for each unusable one."""
    if not isinstance(payload, list):
        raise ParseError(f"expected a list of activities, got a {type(payload).__name__}")
    page = Page(size=len(payload))
    for index, raw in enumerate(payload):
        try:
            activity = parse_activity(raw)
        except ParseError as exc:
            page.rejected.append(
                Rejected(SOURCE, reject_ref(raw, index), str(exc), _raw_text(raw), now)
            )
            continue
        page.activities.append(activity)
        if wants_streams(raw):
            page.stream_ids.append(activity.id)
    return page


def _raw_text(raw: Any, limit: int = 2000) -> str:
    text = json.dumps(raw, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_STREAM_FIELDS = {
    "time": "time_s",
    "distance": "distance_m",
    "altitude": "altitude_m",
    "velocity_smooth": "velocity_mps",
    "heartrate": "heartrate_bpm",
    "latlng": "latlng",
}


def _stream_map(payload: Any) -> dict[str, list[Any]]:
    """Both shapes Strava answers with: keyed by type (key_by_type=true) or a list of streams."""
    if isinstance(payload, dict):
        items = [(name, body) for name, body in payload.items()]
    elif isinstance(payload, list):
        items = [((body or {}).get("type"), body) for body in payload if isinstance(body, dict)]
    else:
        raise ParseError(f"streams: expected an object or a list, got {type(payload).__name__}")
    out: dict[str, list[Any]] = {}
    for name, body in items:
        if name not in _STREAM_FIELDS:
            continue
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ParseError(f"stream {name!r} has no data list")
        out[str(name)] = data
    return out


def _filled(name: str, data: list[Any], pair: bool) -> list[Any] | None:
    """Sensors drop samples (a heart-rate strap losing contact): a gap (null) takes the last
    value seen, the first one for a leading gap. A series with no values at all is absent."""
    try:
        values = np.array([v if v is not None else _GAP[pair] for v in data], dtype=float)
        if values.ndim != (2 if pair else 1) or (pair and values.shape[1] != 2):
            raise ValueError
    except (TypeError, ValueError):
        raise ParseError(f"stream {name!r}: {_first_bad(data, pair)}") from None
    if np.isinf(values).any():
        raise ParseError(f"stream {name!r}: a sample is infinite")
    gaps = np.isnan(values).any(axis=1) if pair else np.isnan(values)
    if gaps.all():
        return None
    if gaps.any():
        index = np.where(~gaps, np.arange(len(values)), 0)
        np.maximum.accumulate(index, out=index)
        first = int(np.argmax(~gaps))
        index[: first] = first
        values = values[index]
    return values.tolist()


_GAP = {False: math.nan, True: [math.nan, math.nan]}


def _first_bad(data: list[Any], pair: bool) -> str:
    for index, value in enumerate(data):
        if value is None:
            continue
        ok = (isinstance(value, list | tuple) and len(value) == 2
              and all(isinstance(x, int | float) for x in value)) if pair \
            else isinstance(value, int | float)
        if not ok:
            return f"sample {index} is {value!r}, not a {'[lat, lng] pair' if pair else 'number'}"
    return "the samples are not numbers"


def parse_streams(activity_id: str, payload: Any) -> ActivityStream:
    """GET /activities/{id}/streams as an ActivityStream; ParseError if unusable."""
    streams = _stream_map(payload)
    if "time" not in streams:
        raise ParseError("streams: no time stream")
    series: dict[str, Any] = {}
    for name, data in streams.items():
        series[_STREAM_FIELDS[name]] = _filled(name, data, pair=name == "latlng")
    if series["time_s"] is None:
        raise ParseError("streams: the time stream is empty")
    size = len(series["time_s"])
    uneven = {n: len(v) for n, v in series.items() if v is not None and len(v) != size}
    if uneven:
        detail = ", ".join(f"{n} {k}" for n, k in sorted(uneven.items()))
        raise ParseError(f"streams: time has {size} samples but {detail}")
    return ActivityStream(
        activity_id=activity_id,
        time_s=series["time_s"],
        distance_m=series.get("distance_m") or [],
        altitude_m=series.get("altitude_m") or [],
        velocity_mps=series.get("velocity_mps") or [],
        heartrate_bpm=series.get("heartrate_bpm"),
        latlng=series.get("latlng"),
    )


@dataclass(frozen=True)
class Usage:
    """One `X-*RateLimit-*` header pair: limits and usage for (15 minutes, day)."""

    limit_15min: int
    limit_day: int
    usage_15min: int
    usage_day: int


def _pair(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        return None
    try:
        return int(parts[0]), int(parts[1])
    except ValueError:
        return None


def parse_rate_limits(headers: Any) -> dict[str, Usage]:
    """{"overall": Usage, "read": Usage} from the headers that carry them (either may be absent)."""
    out = {}
    for name, prefix in (("overall", "X-RateLimit"), ("read", "X-ReadRateLimit")):
        limit = _pair(headers.get(f"{prefix}-Limit"))
        usage = _pair(headers.get(f"{prefix}-Usage"))
        if limit and usage:
            out[name] = Usage(limit[0], limit[1], usage[0], usage[1])
    return out


# --- the request budget ---------------------------------------------------------------------


class Budget:
    """Keeps a run under Strava's read limits and its own request budget.

    What the last answer's headers said is used, but never below what this run has itself made
    in the current window, so a proxy that strips the headers cannot make us overrun."""

    def __init__(
        self,
        request_budget: int = REQUEST_BUDGET,
        limit_15min: int = READ_LIMIT_15MIN,
        limit_day: int = READ_LIMIT_DAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.request_budget = request_budget
        self.limit_15min = limit_15min
        self.limit_day = limit_day
        self.clock = clock
        self.made: list[float] = []
        self.seen: dict[str, Usage] = {}

    def _own(self, window_s: int) -> int:
        now = self.clock()
        start = now - now % window_s  # windows start at :00/:15/:30/:45 and midnight UTC
        return sum(1 for t in self.made if t >= start)

    def left(self) -> int:
        own_15, own_day = self._own(900), self._own(86400)
        left = self.request_budget - len(self.made)
        for usage in self.seen.values():
            left = min(
                left,
                min(usage.limit_15min, self.limit_15min) - max(usage.usage_15min, own_15),
                min(usage.limit_day, self.limit_day) - max(usage.usage_day, own_day),
            )
        left = min(left, self.limit_15min - own_15, self.limit_day - own_day)
        return left

    def check(self) -> None:
        if self.left() <= 0:
            raise StopSync(BUDGET, self.reason())

    def reason(self) -> str:
        if len(self.made) >= self.request_budget:
            return f"request budget of {self.request_budget} for one run used"
        read = self.seen.get("read") or self.seen.get("overall")
        shown = f" ({read.usage_15min}/{read.limit_15min} in 15 min, " \
                f"{read.usage_day}/{read.limit_day} today)" if read else ""
        return f"Strava read limit reached{shown}"

    def record(self, headers: Any) -> None:
        self.made.append(self.clock())
        self.seen.update(parse_rate_limits(headers))


# --- HTTP -----------------------------------------------------------------------------------


def oauth_url(api_url: str) -> str:
    """Strava's OAuth lives beside its API: https://host/api/v3 → https://host/oauth."""
    base = api_url.rstrip("/")
    return (base[: -len("/api/v3")] if base.endswith("/api/v3") else base) + "/oauth"


def _inactive(response: requests.Response) -> bool:
    return response.status_code == 403 and "inactive" in response.text.lower()


INACTIVE = (
    "Strava says this API application is inactive (since 2026-06-30 a personal API "
    "application works only while its owner has a paid Strava subscription): renew the "
    "subscription or use another application's credentials, then sync again"
)


def refresher(http: Http, api_url: str, client_id: str, client_secret: str):
    """The refresh call for Tokens: POST /oauth/token with grant_type=refresh_token."""

    def refresh(refresh_token: str) -> Token:
        response = http.request(
            "POST",
            oauth_url(api_url) + "/token",
            data={
                "client_id": client_id,
                "client_secret": client_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
        )
        return token_from(response, http.provider)

    return refresh


def token_from(response: requests.Response, provider: str = "Strava") -> Token:
    if _inactive(response):
        raise SyncError(INACTIVE)
    if response.status_code in (400, 401, 403):
        raise TokenRejected(f"HTTP {response.status_code}")
    if response.status_code == 429:
        raise StopSync(RATE_LIMITED, "Strava answered 429 to the token refresh")
    if response.status_code != 200:
        raise SyncError(f"{provider} token endpoint answered HTTP {response.status_code}; "
                        "try again later")
    body = json_body(provider, response)
    try:
        expires_at = float(body.get("expires_at") or time.time() + float(body["expires_in"]))
        return Token(str(body["access_token"]), str(body.get("refresh_token") or ""), expires_at)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise SyncError(f"{provider} token endpoint sent no access token; try again later") \
            from None


class StravaClient:
    """A thin client for the three calls Pulseboard makes (token refresh, activity list,
    streams). stravalib's client is not used for them: its default rate limiter sleeps until
    the window resets (minutes, inside a Lambda), it keeps rotated refresh tokens only in
    memory, and it builds https://www.strava.com URLs itself, while the base is a setting
    (Strava moves it by June 2027; tests use a loopback stand-in)."""

    def __init__(
        self,
        http: Http,
        api_url: str,
        tokens: Tokens,
        budget: Budget,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.budget = budget
        self.sleep = sleep

    def get(self, path: str, params: dict[str, Any]) -> requests.Response | None:
        """The answer to one GET; None for 404. Raises StopSync on 429 or when the budget is
        used, SyncError on anything a user must act on."""
        refused = ""
        for attempt in range(3):
            self.budget.check()
            token = self.tokens.access_token(force_refresh_of=refused)
            response = self.http.request(
                "GET",
                self.api_url + path,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            self.budget.record(response.headers)
            status = response.status_code
            if status == 200:
                return response
            if status == 404:
                return None
            if status == 429:
                raise StopSync(RATE_LIMITED, "Strava answered 429 (rate limit)")
            if _inactive(response):
                raise SyncError(INACTIVE)
            if status == 401 and not refused:
                refused = token  # revoked or expired early: refresh once, then give up
                continue
            if status == 401:
                raise SyncError(
                    "Strava refused a freshly refreshed access token: run "
                    "`python -m collectors connect strava`"
                )
            if status >= 500 and attempt == 0:
                self.sleep(RETRY_5XX_SLEEP_S)
                continue
            break
        raise SyncError(
            f"Strava answered HTTP {response.status_code} to GET {path}; try again later"
        )


# --- the sync -------------------------------------------------------------------------------


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass
class Cursor:
    """Where Strava's sync stands; stored as JSON with store.set_cursor.

    newest:  start (epoch s) of the newest activity a completed scan stored.
    scan:    a listing in progress {after, before, page, fresh}: pages before `page` are stored.
    pending: runs whose streams are still to fetch, as [start epoch, id] (then FILL_FROM_FILE
             when the stored stream came from a file), any order.
    """

    newest: int | None = None
    scan: dict[str, Any] | None = None
    pending: list[list[Any]] = field(default_factory=list)

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            # An older plain-epoch cursor.
            return cls(newest=int(float(text)))
        return cls(data.get("newest"), data.get("scan"), data.get("pending") or [])

    def dump(self) -> str:
        return dumps({"newest": self.newest, "scan": self.scan, "pending": self.pending})


def _track_changed(old: Activity, new: Activity) -> bool:
    return (old.distance_m, old.moving_time_s, old.elapsed_time_s) != (
        new.distance_m, new.moving_time_s, new.elapsed_time_s)


def _archive_name(params: dict[str, Any]) -> str:
    return f"activities-after{params['after']}-before{params['before']}-p{params['page']}"


class StravaSync:
    def __init__(
        self,
        store: Store,
        client: StravaClient,
        counts: Counts,
        archive: Archive,
        progress: Progress,
        now: datetime,
        per_page: int = PER_PAGE,
    ) -> None:
        self.store = store
        self.client = client
        self.per_page = per_page
        self.counts = counts
        self.archive = archive
        self.progress = progress
        self.now = now
        self.cursor = Cursor.load(store.get_cursor(SOURCE))
        self.full = False
        self.quarantine = Quarantine(store, SOURCE, keys=set())  # read when a run starts

    def save(self) -> None:
        self.store.set_cursor(SOURCE, self.cursor.dump())

    def run(self, full: bool = False, after_batch: Callable[[int], None] | None = None) -> None:
        self.full = full
        self.quarantine = Quarantine(self.store, SOURCE)
        if full or self.cursor.scan is None:
            after = 0 if full or self.cursor.newest is None else \
                self.cursor.newest - int(RESCAN.total_seconds())
            # `before` stays fixed for the whole listing so pages do not shift under it.
            self.cursor.scan = {"after": max(after, 0), "before": _epoch(self.now) + 1,
                                "page": 1, "fresh": True}
            self.save()
        else:
            # Resuming: pages may have shifted if activities were deleted meanwhile; one page
            # back covers that (re-reading costs a request, skipping would lose activities).
            self.cursor.scan = {**self.cursor.scan,
                                "page": max(1, int(self.cursor.scan["page"]) - 1),
                                "fresh": False}
        self._list(after_batch)
        self._streams(after_batch)

    def _list(self, after_batch: Callable[[int], None] | None) -> None:
        scan = self.cursor.scan
        assert scan is not None
        seen: set[str] = set()
        newest = self.cursor.newest or 0
        batch = 0
        while True:
            params = {"after": scan["after"], "before": scan["before"], "page": scan["page"],
                      "per_page": self.per_page}
            response = self.client.get("/athlete/activities", params)
            if response is None:
                raise SyncError("Strava answered 404 to the activity list; check "
                                "PULSEBOARD_STRAVA_URL (it should end in /api/v3)")
            self.archive.save(_archive_name(params), response.content)
            try:
                page = parse_activities(json_body("Strava", response), self.now)
            except ParseError as exc:
                raise SyncError(f"Strava's activity list could not be read: {exc}") from None
            self.counts.fetched += page.size
            self._store_page(page)
            seen.update(a.sort_key() for a in page.activities)
            for activity in page.activities:
                newest = max(newest, _epoch(activity.start_time))
            scan["page"] += 1
            done = page.size < self.per_page
            if done:
                if scan.get("fresh"):
                    self._delete_missing(scan, seen)
                self.cursor.newest = newest or self.cursor.newest
                self.cursor.scan = None
            self.save()
            batch += 1
            if after_batch is not None:
                after_batch(batch)
            if done:
                return

    def _store_page(self, page: Page) -> None:
        nearby: list[Activity] = []
        if page.activities:
            # Wide enough for dedupe's window too: one query serves both.
            low = min(a.start_time for a in page.activities) - dedupe.START_WINDOW
            high = max(a.start_time for a in page.activities) + dedupe.START_WINDOW + \
                timedelta(seconds=1)
            nearby = self.store.query("activities", start=low, end=high)
        existing = {a.sort_key(): a for a in nearby}
        fresh = [a for a in page.activities if existing.get(a.sort_key()) != a]
        wanted = set(page.stream_ids)
        added = False
        for activity in page.activities:
            old = existing.get(activity.sort_key())
            # A run new to the store, or cropped (its distance or time changed): its streams
            # are fetched after the listing. A renamed run keeps the streams it has. --full
            # also fetches again the streams that were quarantined.
            if activity.id in wanted and (
                old is None or _track_changed(old, activity)
                or (self.full and _streams_reject_key(activity.id) in self.quarantine)
            ):
                added = self._add_pending(activity) or added
        if added:
            # Before the activities: once they are stored, listing them again adds nothing.
            self.save()
        if fresh:
            self.counts.stored += self.store.put(fresh)
        # Activity files imported before Strava listed these: Strava's record stays.
        for activity_id in dedupe.absorb_file_duplicates(self.store, page.activities, nearby):
            self._mark_fill(activity_id)
            self.counts.extra["files_absorbed"] = self.counts.extra.get("files_absorbed", 0) + 1
        self.progress.update(len(page.activities))
        self.quarantine.add(page.rejected)
        self.counts.rejected += len(page.rejected)
        self.quarantine.clear(f"{SOURCE}#activity {a.id}" for a in page.activities)

    def _add_pending(self, activity: Activity) -> bool:
        if any(item[1] == activity.id for item in self.cursor.pending):
            return False
        self.cursor.pending.append([_epoch(activity.start_time), activity.id])
        return True

    def _mark_fill(self, activity_id: str) -> None:
        for item in self.cursor.pending:
            if item[1] == activity_id and FILL_FROM_FILE not in item[2:]:
                item.append(FILL_FROM_FILE)

    def _delete_missing(self, scan: dict[str, Any], seen: set[str]) -> None:
        """Activities in the listed range that Strava no longer lists: deleted there, or moved
        out of the range by an edit of their start time. One GET each tells which (a deletion
        or a move is rare, so this costs little)."""
        # `after` is exclusive at Strava; the stored range starts one second later to match.
        stored = self.store.query("activities", start=_from_epoch(scan["after"] + 1),
                                  end=_from_epoch(scan["before"]))
        missing = [a for a in stored if a.source == SOURCE and a.sort_key() not in seen]
        for old in missing:
            response = self.client.get(f"/activities/{old.id}", {})
            moved = None
            if response is not None:
                try:
                    moved = parse_activity(json_body("Strava", response))
                except ParseError:
                    moved = None
            if moved is not None:
                self.store.put([moved])
                self.store.delete("activities", [old.sort_key()])
                self.counts.stored += 1
                for activity_id in dedupe.absorb_file_duplicates(self.store, [moved]):
                    self._mark_fill(activity_id)
                continue
            self.store.delete("activities", [old.sort_key()])
            self.store.delete("streams", [old.id])
            self.cursor.pending = [p for p in self.cursor.pending if p[1] != old.id]
            self.quarantine.clear([f"{SOURCE}#activity {old.id}", _streams_reject_key(old.id)])
            self.counts.deleted += 1

    def _streams(self, after_batch: Callable[[int], None] | None) -> None:
        """Fetches the pending runs' streams, newest first, written STREAM_BATCH at a time.

        The cursor drops a run only once its streams are written, so a run killed between
        two writes fetches at most one batch again."""
        self.cursor.pending.sort(key=lambda item: (-int(item[0]), str(item[1])))
        done: list[Any] = []
        records: list[Record] = []

        def flush() -> None:
            if records:
                self.store.put(records)
                self.quarantine.clear(_streams_reject_key(r.activity_id) for r in records
                                      if isinstance(r, ActivityStream))
                records.clear()
            if done:
                gone = {item[1] for item in done}
                self.cursor.pending = [p for p in self.cursor.pending if p[1] not in gone]
                done.clear()
                self.save()

        try:
            for batch, item in enumerate(list(self.cursor.pending), start=1):
                if self.client.budget.left() <= 0:
                    left = len(self.cursor.pending) - len(done)
                    raise StopSync(BUDGET, f"{self.client.budget.reason()}; {left} run "
                                           "streams left for the next run")
                activity_id = str(item[1])
                response = self.client.get(
                    f"/activities/{activity_id}/streams",
                    {"keys": ",".join(STREAM_KEYS), "key_by_type": "true"},
                )
                # None (404): the activity was deleted, or has no streams; nothing to wait for.
                if response is not None:
                    records.append(self._stream_record(activity_id, response,
                                                       FILL_FROM_FILE in item[2:]))
                    self.progress.update(1)
                done.append(item)
                if len(done) >= STREAM_BATCH:
                    flush()
                if after_batch is not None:
                    after_batch(batch)
        except (StopSync, SyncError):
            flush()  # a clean stop keeps what it fetched
            raise
        flush()

    def _stream_record(
        self, activity_id: str, response: requests.Response, fill_from_file: bool = False
    ) -> Record:
        self.archive.save(f"streams-{activity_id}", response.content)
        self.counts.fetched += 1
        try:
            stream = parse_streams(activity_id, json_body("Strava", response))
        except ParseError as exc:
            self.counts.rejected += 1
            # The stream stored before (Strava's earlier one, or a file's) stays.
            return Rejected(SOURCE, f"streams {activity_id}", str(exc),
                            _raw_text(response.text), self.now)
        self.counts.stored += 1
        if fill_from_file:
            stored = self.store.get("streams", activity_id)
            if stored is not None:
                # The stored stream is the absorbed file's, already on Strava's time base.
                stream = dedupe.fill_stream(stream, stored, 0.0, activity_id) or stream
        return stream


def _streams_reject_key(activity_id: str) -> str:
    """The sort key of the Rejected a run's unreadable streams are quarantined as."""
    return f"{SOURCE}#streams {activity_id}"


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
    request_budget: int = REQUEST_BUDGET,
    after_batch: Callable[[int], None] | None = None,
    per_page: int = PER_PAGE,
) -> None:
    """Brings Strava's activities (and run streams) up to date in the store."""
    import settings

    current = settings.get()
    if not (current.strava_client_id and current.strava_client_secret):
        raise NotConfigured(
            "Strava is not configured: set PULSEBOARD_STRAVA_CLIENT_ID and "
            "PULSEBOARD_STRAVA_CLIENT_SECRET, then run `python -m collectors connect strava`"
        )
    now = now or utc_now()
    http = Http("Strava", counts, session, current.request_timeout_s)
    tokens = Tokens(
        store, SOURCE,
        refresher(http, current.strava_url, current.strava_client_id,
                  current.strava_client_secret),
        seed_refresh_token=current.strava_refresh_token,
        clock=clock, sleep=sleep,
    )
    client = StravaClient(http, current.strava_url, tokens, Budget(request_budget, clock=clock),
                          sleep=sleep)
    StravaSync(store, client, counts, Archive(blobs, SOURCE, lambda: now),
               progress or Progress(), now, per_page).run(full, after_batch)
