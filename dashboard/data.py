"""Reads the store for the pages: one Query per series, records turned into DataFrames."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, cast

from core import localtime
from dashboard import config as dashboard_config
from dashboard.config import DashboardConfig
from dashboard.logic import inputs
from storage import open_store
from storage.base import Store

if TYPE_CHECKING:  # pandas is 0.7 s of a cold start: imported by the reads that use it
    import pandas as pd

RUN_SPORTS = ("Run", "TrailRun", "VirtualRun")

_stores: dict[tuple[str, str], Store] = {}
_lock = threading.Lock()
_version_lock = threading.Lock()
# What a page reads only changes when a sync lands, and every sync records its status: the
# records read are kept (per process, so per warm Lambda container) for as long as the data
# version (`data_version`, one small Query) says nothing new landed. A page view's callbacks
# share one version read; the age limit covers writes that record no status (`storage load`).
VERSION_CHECK_S = 2.0
CACHE_MAX_AGE_S = 600.0
# Documents that move without a sync (a provider's deauthorization webhook, a local process
# restarting) are kept no longer than the live check's period.
DOCS_MAX_AGE_S = 60.0
# Reads and the figures made of them: a page view keeps a dozen or so.
CACHE_MAX_ENTRIES = 128
_cache: dict[tuple[Any, ...], tuple[float, str, Any]] = {}
# Per store: when the version was read, the version, and the sync status it was read from (the
# overview shows that status: it needs no second read of the same documents).
_versions: dict[int, tuple[float, str, dict[str, dict[str, Any]]]] = {}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _versions.clear()


def recheck_version() -> None:
    """The next read checks the data version again (as a page view a few seconds later would)."""
    with _lock:
        _versions.clear()


def current_version(s: Store, fresh: bool = False) -> str:
    """`data_version`, read at most once every VERSION_CHECK_S per store (`fresh`: read now,
    as the live check does, so the redraws it triggers never meet an older version)."""
    return _version_read(s, fresh)[0]


def _version_read(s: Store, fresh: bool = False) -> tuple[str, dict[str, dict[str, Any]]]:
    asked = time.monotonic()
    with _lock:
        seen = _versions.get(id(s))
        if seen and asked - seen[0] < VERSION_CHECK_S and not fresh:
            return seen[1], seen[2]
    # One read at a time: the reads of a page run at once, and those that found the version old
    # together take the answer of the one read made after they asked.
    with _version_lock:
        with _lock:
            seen = _versions.get(id(s))
        if seen and seen[0] >= asked:
            return seen[1], seen[2]
        started = time.monotonic()  # a read's age counts from when it began
        status = _read_status(s)
        version = version_of(status)
        with _lock:
            _versions[id(s)] = (started, version, status)
    return version, status


def remembered[T](s: Store, key: tuple[Any, ...], read: Callable[[], T],
                  max_age_s: float = CACHE_MAX_AGE_S) -> T:
    """read(), kept while the data version stands (at most `max_age_s`)."""
    key = (id(s), *key)
    version = current_version(s)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and hit[1] == version and now - hit[0] < min(max_age_s, CACHE_MAX_AGE_S):
            return cast(T, hit[2])
    value = read()
    with _lock:
        if len(_cache) >= CACHE_MAX_ENTRIES:  # oldest first out
            for old in sorted(_cache, key=lambda k: _cache[k][0])[: CACHE_MAX_ENTRIES // 4]:
                del _cache[old]
        _cache[key] = (time.monotonic(), version, value)
    return value


def query(s: Store, kind: str, series: str = "", start: Any = None, end: Any = None) -> list[Any]:
    """store.query, remembered while no sync lands."""
    return remembered(s, ("query", kind, series, str(start), str(end)),
                      lambda: s.query(kind, series, start, end))


def latest(s: Store, kind: str, series: str = "", n: int = 1) -> list[Any]:
    """store.latest, remembered while no sync lands."""
    return remembered(s, ("latest", kind, series, n), lambda: s.latest(kind, series, n))


def store_for(config: DashboardConfig) -> Store:
    """The store a config names, opened once per process."""
    key = (config.store_url, config.user)
    with _lock:
        if key not in _stores:
            _stores[key] = open_store(config.store_url, config.user, config.aws)
        return _stores[key]


def store() -> Store:
    """The store of the app answering this request."""
    return store_for(dashboard_config.current())


def day_bounds(start: Any, end: Any) -> tuple[date | None, date | None]:
    """A date-picker range as half-open day bounds (the end day is included); InputError when
    it is not a range of days. As store bounds these are UTC midnights: right for what is keyed
    by calendar date (the lifting sheet's sets); instants want local_day_bounds."""
    low, high = inputs.day_range(start, end)
    return low, high + timedelta(days=1) if high else None


date_bounds = day_bounds


def local_day_bounds(start: Any, end: Any,
                     tz: tzinfo | None = None) -> tuple[datetime | None, datetime | None]:
    """A date-picker range of the viewer's local days (`tz`, else their prefs) as half-open UTC
    bounds for what is keyed by instant (weigh-ins, activities): the end day is included, and
    a day begins at local midnight (a DST change day is 23 or 25 hours)."""
    low, high = inputs.day_range(start, end)
    if tz is None:
        from dashboard.prefs import current_prefs

        tz = current_prefs().tz
    return (localtime.day_start_utc(low, tz) if low else None,
            localtime.day_start_utc(high + timedelta(days=1), tz) if high else None)


def with_local_day(frame: pd.DataFrame, column: str = "time",
                   tz: tzinfo | None = None) -> pd.DataFrame:
    """`frame` with `day` (the viewer's calendar day of each instant in `column`, a midnight
    Timestamp) and `week` (its ISO week's Monday): what every daily and weekly bucket uses."""
    import pandas as pd

    if tz is None:
        from dashboard.prefs import current_prefs

        tz = current_prefs().tz
    out = frame.copy()
    if out.empty:
        return out.assign(day=pd.Series(dtype="datetime64[ns]"),
                          week=pd.Series(dtype="datetime64[ns]"))
    local = pd.to_datetime(out[column], utc=True).dt.tz_convert(tz)
    out["day"] = local.dt.tz_localize(None).dt.normalize()
    out["week"] = out["day"] - pd.to_timedelta(out["day"].dt.weekday, unit="D")
    return out


# The overview's newest weigh-ins read at once: a month of a few a day. When a month holds more,
# the month is read by its range instead.
RECENT_ROWS = 120


def recent_measurements(s: Store, kind: str, tz: tzinfo) -> pd.DataFrame:
    """What the overview's changes (dashboard.logic.overview.changes) read of one series, in two
    small Queries instead of a year of it: the newest rows, covering every row of the latest
    local day's last 30 days and the last one before them, and the last row on a local day 365
    days or more before the latest's. `changes` of this frame is `changes` of the whole series."""
    newest = latest(s, "measurements", kind, RECENT_ROWS)
    if not newest:
        return _measurement_frame([])
    last_day = localtime.local_date(newest[0].time, tz)
    month_cut = localtime.day_start_utc(last_day - timedelta(days=29), tz)
    year_cut = localtime.day_start_utc(last_day - timedelta(days=364), tz)
    rows = newest[::-1]
    if len(newest) == RECENT_ROWS and rows[0].time >= month_cut:  # a busy month: read it all
        rows = (query_newest(s, kind, month_cut, 1)
                + query(s, "measurements", kind, month_cut, None))
    if rows and rows[0].time >= year_cut:
        rows = query_newest(s, kind, year_cut, 1) + rows
    return _measurement_frame(rows)


def query_newest(s: Store, kind: str, end: datetime, n: int) -> list[Any]:
    """The newest n measurements of `kind` before `end`, oldest first; remembered."""
    found = remembered(s, ("newest", kind, str(end), n),
                       lambda: s.query("measurements", kind, end=end, limit=n, newest_first=True))
    return found[::-1]


def measurements(s: Store, kind: str, start: Any = None, end: Any = None) -> pd.DataFrame:
    return _measurement_frame(query(s, "measurements", kind, start, end))


def _measurement_frame(rows: list[Any]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(
        {"time": [r.time for r in rows], "value": [r.value for r in rows]},
    )
    if not frame.empty:
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


ACTIVITY_COLUMNS = [
    "id", "start_time", "sport_type", "name", "distance_m", "moving_time_s",
    "elevation_gain_m", "average_speed_mps", "average_heartrate_bpm", "summary_polyline",
]
SET_COLUMNS = ["date", "exercise", "set_index", "reps", "weight_kg", "source_row"]


def runs_frame(rows: list[Any]) -> pd.DataFrame:
    """Activities as a table (vars() keeps datetimes as they are: no string round trip)."""
    import pandas as pd

    if not rows:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    frame = pd.DataFrame([vars(r) for r in rows])
    frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True)
    return frame


def sets_frame(rows: list[Any]) -> pd.DataFrame:
    import pandas as pd

    if not rows:
        return pd.DataFrame(columns=SET_COLUMNS)
    frame = pd.DataFrame([vars(r) for r in rows])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def activities(
    s: Store, start: Any = None, end: Any = None, runs_only: bool = False
) -> pd.DataFrame:
    rows = query(s, "activities", "", start, end)
    if runs_only:
        rows = [r for r in rows if r.sport_type in RUN_SPORTS]
    return runs_frame(rows)


def lift_sets(s: Store, start: Any = None, end: Any = None) -> pd.DataFrame:
    return sets_frame(query(s, "lift_sets", "", start, end))


def rejected(s: Store) -> pd.DataFrame:
    import pandas as pd

    rows = query(s, "rejected")
    frame = pd.DataFrame([r.to_dict() for r in rows])
    if frame.empty:
        return pd.DataFrame(columns=["source", "ref", "reason", "raw", "seen_at"])
    return frame.sort_values("seen_at", ascending=False)


def held_by_source(s: Store) -> dict[str, str]:
    """What the store holds from each source, one Count query per source (no items read)."""

    activities = count(s, "activities")  # Strava's and imported files' share a partition
    return {
        "strava": f"{activities:,} activities",
        "files": f"{activities:,} activities",
        "withings": f"{count(s, 'measurements', 'weight_kg'):,} weigh-ins",
        "sheets": f"{count(s, 'lift_sets'):,} sets",
    }


HELD = (("activities", ""), ("measurements", "weight_kg"), ("lift_sets", ""))


def count(s: Store, kind: str, series: str = "") -> int:
    """store.count, remembered while no sync lands."""
    return remembered(s, ("count", kind, series), lambda: s.count(kind, series))


def cursor(s: Store, source: str) -> str | None:
    """A source's sync cursor, remembered while no sync lands (only a sync moves it)."""
    return remembered(s, ("cursor", source), lambda: s.get_cursor(source))


def quarantined_by_source(s: Store) -> dict[str, int]:
    """Records quarantined now, per source."""
    frame = rejected(s)
    if frame.empty:
        return {}
    return {str(k): int(v) for k, v in frame["source"].value_counts().items()}


def sync_status(s: Store) -> dict[str, dict[str, Any]]:
    """Each source's last sync, as read with the data version (at most VERSION_CHECK_S old)."""
    return _version_read(s)[1]


def _read_status(s: Store) -> dict[str, dict[str, Any]]:
    return {key: doc.data for key, doc in s.list_docs("sync").items()}


def docs(s: Store, space: str) -> dict[str, dict[str, Any]]:
    """A space of small documents (sync status, connections, local processes): one Query,
    kept while the data version stands and at most DOCS_MAX_AGE_S."""
    if space == "sync":
        return sync_status(s)
    return remembered(s, ("docs", space),
                      lambda: {key: doc.data for key, doc in s.list_docs(space).items()},
                      DOCS_MAX_AGE_S)


def version_of(status: dict[str, dict[str, Any]]) -> str:
    """The newest of the sources' last run and last success times."""
    stamps = sorted(str(v.get(k) or "") for v in status.values()
                    for k in ("last_success_at", "last_run_at"))
    return stamps[-1] if stamps else ""


def data_version(s: Store) -> str:
    """A cheap marker (one small Query) that changes whenever a sync or an import ran: the
    newest of the sources' last run and last success times, read now."""
    return version_of(_read_status(s))


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- a page's first callback, made ready ---------------------------------------------------
# A page's reads are independent Queries that wait on the network: run at once, the first
# callback after a cold start (or a sync) waits for the slowest of them, not their sum.
READ_THREADS = 8
_pool: ThreadPoolExecutor | None = None
# A page's reads for a store and a viewer's Prefs (dashboard.prefs): plain calls, no request
# context (they run on the threads).
Reads = Callable[[Store, Any], list[Callable[[], Any]]]
# Per page path: the modules its first callback imports lazily, and its reads (pages register
# theirs with `warms`).
WARM_MODULES: dict[str, tuple[str, ...]] = {"": ("pandas",)}
WARM_READS: dict[str, Reads] = {}


def prefetch(reads: Iterable[Callable[[], Any]]) -> None:
    """Runs `reads` (remembered store reads) at once; their answers land in the read cache.
    The first error any raised is raised."""
    global _pool
    todo = list(reads)
    if len(todo) < 2:
        for read in todo:
            read()
        return
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="pulseboard-read")
        pool = _pool
    for future in [pool.submit(read) for read in todo]:
        future.result()


def prefetch_once(s: Store, key: tuple[Any, ...], reads: Callable[[], Iterable[Callable[[], Any]]]
                  ) -> None:
    """prefetch(reads()) once while the data version stands (and DOCS_MAX_AGE_S): a warm view
    finds every read kept and hands nothing to the threads."""
    remembered(s, ("prefetched", *key), lambda: prefetch(reads()), DOCS_MAX_AGE_S)


def warms(path: str, *modules: str) -> Callable[[Reads], Reads]:
    """Registers a page's first reads (and the modules its first callback imports lazily)."""
    def register(reads: Reads) -> Reads:
        WARM_READS[path] = reads
        if modules:
            WARM_MODULES[path] = (*WARM_MODULES[""], *modules)
        return reads
    return register


def warm(page_path: str, s: Store | None = None, prefs: Any = None) -> float:
    """Readies this process for `page_path`'s first callback ("/", "/explore", …): imports what
    it imports lazily and reads, all at once, what it reads into the read cache, so the
    callback that follows finds both. Answers the seconds it took. In a request by default:
    the app's store and the viewer's Prefs."""
    started = time.perf_counter()
    path = "/" + page_path.split("?")[0].strip("/")
    for name in WARM_MODULES.get(path, WARM_MODULES[""]):
        importlib.import_module(name)
    if path in WARM_READS:
        if prefs is None:
            from dashboard.prefs import current_prefs

            prefs = current_prefs()
        prefetch_page(path, s or store(), prefs)
    return time.perf_counter() - started


def prefetch_page(path: str, s: Store, prefs: Any) -> None:
    """The reads the page at `path` registered, at once, once while the data version stands."""
    reads = WARM_READS[path]
    current_version(s)  # one version read, before the reads that key on it
    prefetch_once(s, (path, repr(prefs)), lambda: reads(s, prefs))
