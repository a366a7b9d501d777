"""The local scheduler: runs the `events` of zappa_settings.json's jobs and train stages on a
laptop."""

from __future__ import annotations

import importlib
import json
import logging
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from collectors import sources
from collectors.common import stop_requested
from collectors.lambda_handlers import PUSH, handler_path
from collectors.sources.files import inbox
from core.errors import UsageError
from storage import events
from storage.base import Store
from storage.records import iso_utc, parse_iso_utc

log = logging.getLogger(__name__)

SPACE = "schedule"
REQUESTS_SPACE = "requests"  # the dashboard's "sync now" asks here
# The stages whose schedules a laptop keeps, comma-separated as `--stage` takes them: the syncs
# (jobs) and the weekly training, a function of its own in the cloud.
STAGE = "jobs,train"
SETTINGS_FILE = Path(__file__).resolve().parents[1] / "zappa_settings.json"
TICK_S = 30.0
PUSH_TICK_S = 2.0
LOCAL_EXPRESSION = "local_expression"  # an event's interval on a laptop (Zappa ignores it)
# A cron job not run for longer than this is due without walking every minute in between.
CRON_LOOKBACK = timedelta(days=366)


class ScheduleError(UsageError, ValueError):
    """zappa_settings.json's schedule cannot be read; the message says where and why."""


# --- expressions ----------------------------------------------------------------------------

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
# EventBridge numbers days of the week 1-7 from Sunday.
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


@dataclass(frozen=True)
class Rate:
    every_s: int

    def due(self, last: datetime | None, now: datetime) -> bool:
        return last is None or (now - last).total_seconds() >= self.every_s


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    if text in ("*", "?"):
        return frozenset(range(low, high + 1))
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step {step_text!r}")
            step = int(step_text)
        if part in ("*", ""):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _value(a, names), _value(b, names)
        else:
            first = _value(part, names)
            last = high if step > 1 else first
        if not (low <= first <= high and low <= last <= high and first <= last):
            raise ValueError(f"{part!r} is outside {low}-{high}")
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _value(text: str, names: dict[str, int] | None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number" + (" or a name" if names else ""))
    return int(text)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 1 = Sunday
    years: frozenset[int]
    any_day: bool
    any_weekday: bool

    def matches(self, moment: datetime) -> bool:
        weekday = (moment.isoweekday() % 7) + 1  # Monday 1 → 2, Sunday 7 → 1
        day_ok = moment.day in self.days
        weekday_ok = weekday in self.weekdays
        if self.any_day:
            day_hit = weekday_ok
        elif self.any_weekday:
            day_hit = day_ok
        else:
            day_hit = day_ok and weekday_ok
        return (moment.minute in self.minutes and moment.hour in self.hours and day_hit
                and moment.month in self.months and moment.year in self.years)

    def due(self, last: datetime | None, now: datetime) -> bool:
        """Whether a matching minute passed in (last, now]; a job never run is due."""
        if last is None or now - last > CRON_LOOKBACK:
            return True
        moment = last.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while moment <= now:
            if self.matches(moment):
                return True
            moment += timedelta(minutes=1)
        return False


def parse_expression(expression: str) -> Rate | Cron:
    """EventBridge's `rate(N unit)` and six-field `cron(min hour day month weekday year)`."""
    text = expression.strip()
    rate = re.fullmatch(r"rate\(\s*(\d+)\s+([a-z]+)\s*\)", text)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if unit not in _UNITS or count < 1:
            raise ScheduleError(f"{expression!r}: use rate(N minutes|hours|days)")
        return Rate(count * _UNITS[unit])
    cron = re.fullmatch(r"cron\((.*)\)", text)
    if not cron:
        raise ScheduleError(f"{expression!r}: not rate(...) or cron(...)")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(f"{expression!r}: cron takes six fields "
                            "(minutes hours day-of-month month day-of-week year)")
    minute, hour, day, month, weekday, year = fields
    special = any(p.startswith("L") or p.endswith("W") for p in day.split(",")) or \
        "#" in weekday or any(p.endswith("L") for p in weekday.split(","))
    if special:
        raise ScheduleError(f"{expression!r}: L, W and # are not supported by the local "
                            "scheduler; use plain values, ranges, lists and steps")
    if (day == "?") == (weekday == "?") and not (day == "*" and weekday == "*"):
        raise ScheduleError(f"{expression!r}: exactly one of day-of-month and day-of-week must "
                            "be '?'")
    try:
        return Cron(
            minutes=_field(minute, 0, 59),
            hours=_field(hour, 0, 23),
            days=_field(day, 1, 31),
            months=_field(month, 1, 12, _MONTHS),
            weekdays=_field(weekday, 1, 7, _DAYS),
            years=_field(year, 1970, 2199),
            any_day=day == "?",
            any_weekday=weekday in ("?", "*"),
        )
    except ValueError as exc:
        raise ScheduleError(f"{expression!r}: {exc}") from None


# --- jobs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    function: str
    expression: str
    when: Rate | Cron


def load_jobs(path: Path = SETTINGS_FILE, stage: str = STAGE) -> list[Job]:
    """The scheduled events of `stage` (one name, or several comma-separated), in order."""
    try:
        config = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ScheduleError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ScheduleError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ScheduleError(f"{path}: expected an object of stages, found {type(config).__name__}")
    names = [name.strip() for name in stage.split(",") if name.strip()]
    events = [event for name in names for event in (config.get(name) or {}).get("events") or []]
    if not events:
        raise ScheduleError(f"{path}: stage {stage!r} has no events to schedule"
                            f" (stages there: {', '.join(sorted(config))})")
    jobs = []
    for event in events:
        # In the cloud push is the normal path and the schedule a daily net; a laptop is rarely
        # reachable by the providers' webhooks, so an event may name the interval it keeps.
        function = event.get("function")
        expression = event.get(LOCAL_EXPRESSION) or event.get("expression")
        if not function or not expression:
            continue  # an event source (S3 upload …) rather than a schedule
        jobs.append(Job(function, expression, parse_expression(expression)))
    return jobs


def call(function: str, event: dict[str, Any]) -> Any:
    """Imports `package.module.name` only now (training pulls in scikit-learn) and calls it as
    Lambda would."""
    module_name, _, name = function.rpartition(".")
    handler = getattr(importlib.import_module(module_name), name)
    return handler(event, None)


def scheduled_event(job: Job, now: datetime) -> dict[str, Any]:
    """An event shaped like the one EventBridge hands a scheduled Lambda."""
    return {
        "version": "0",
        "id": f"local-{int(now.timestamp())}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": iso_utc(now),
        "region": "local",
        "resources": [f"local:schedule/{job.function}"],
        "detail": {},
    }


def last_run(store: Store, job: Job) -> datetime | None:
    doc = store.get_doc(SPACE, job.function)
    if doc is None or not doc.data.get("last_run_at"):
        return None
    return parse_iso_utc(doc.data["last_run_at"])


def run_due(
    store: Store,
    jobs: list[Job],
    now: datetime,
    caller: Callable[[str, dict[str, Any]], Any] = call,
    out: Callable[[str], None] = print,
    since: datetime | None = None,
) -> list[tuple[Job, Any]]:
    """Runs each job that is due, once; a failing job is reported and the others still run.

    `since`: a job not run after this moment counts as run then (a schedule started "from now"
    runs nothing at once: everything was just run by hand)."""
    done = []
    for job in jobs:
        if stop_requested.is_set():
            break  # asked to stop: the jobs not started wait for the next start
        last = last_run(store, job)
        if since is not None and (last is None or last < since):
            last = since
        if not job.when.due(last, now):
            continue
        try:
            result = caller(job.function, scheduled_event(job, now))
            outcome = (result or {}).get("outcome", "ok") if isinstance(result, dict) else "ok"
        except Exception as exc:  # one job failing must not stop the others
            log.exception("%s failed", job.function)
            result, outcome = {"outcome": "error", "message": str(exc)}, "error"
        store.put_doc(SPACE, job.function, {"last_run_at": iso_utc(now), "outcome": outcome})
        out(f"{iso_utc(now)} {job.function}: {outcome}")
        done.append((job, result))
    return done


def sync_requested(store: Store, now: datetime, out: Callable[[str], None] = print,
                   caller: Callable[[str, dict[str, Any]], Any] = call) -> bool:
    """Runs every collector when an owner pressed "Sync now" on the dashboard."""
    doc = store.get_doc(REQUESTS_SPACE, "sync")
    if doc is None:
        return False
    store.delete_doc(REQUESTS_SPACE, "sync")
    who = doc.data.get("requested_by") or "someone"
    out(f"{iso_utc(now)} sync requested by {who}")
    for source in sources.syncing():
        function = handler_path(source.name)
        job = Job(function, "request", Rate(0))
        try:
            result = caller(function, scheduled_event(job, now))
            out(f"  {source.name}: {(result or {}).get('outcome', 'ok')}")
        except Exception as exc:
            out(f"  {source.name}: error: {exc}")
    return True


def poll_inbox(store: Store, out: Callable[[str], None] = print,
               data_dir: Path | None = None) -> int:
    """Imports activity files dropped in the inbox (`<data dir>/inbox/`)."""
    try:
        handled = inbox.poll(store, data_dir=data_dir)
    except Exception as exc:
        log.exception("inbox poll failed")
        out(f"inbox: error: {exc}")
        return 0
    for item in handled:
        out(f"inbox: {item.key} → {item.destination}")
    return len(handled)


def push_pending(store: Store, now: datetime, out: Callable[[str], None] = print,
                 caller: Callable[[str, dict[str, Any]], Any] = call) -> int:
    """Applies the webhook events the api stored since the last tick (in the cloud the api
    invokes the jobs function instead); returns how many were pending."""
    found = events.pending(store)
    if not found:
        return 0
    for provider in sorted({event.provider for _, event in found}):
        try:
            result = caller(PUSH, {"source": provider, "time": iso_utc(now)})
            outcome = (result or {}).get("outcome", "ok") if isinstance(result, dict) else "ok"
        except Exception as exc:  # the events stay pending: the next tick tries again
            log.exception("push events of %s failed", provider)
            outcome = f"error: {exc}"
        out(f"{iso_utc(now)} push {provider}: {outcome}")
    return len(found)


def tick(store: Store, jobs: list[Job], now: datetime, caller: Callable[..., Any] = call,
         out: Callable[[str], None] = print, since: datetime | None = None,
         data_dir: Path | None = None) -> None:
    sync_requested(store, now, out, caller)
    push_pending(store, now, out, caller)
    run_due(store, jobs, now, caller, out, since)
    poll_inbox(store, out, data_dir)


def _request_stop(signum: int, frame: Any) -> None:
    stop_requested.set()


def stop_on_signals() -> Callable[[], None]:
    """SIGTERM (`pulseboard up` stopping it) and SIGINT ask for a stop: the job in flight ends
    after its current batch, cursor saved. Returns what puts the previous handlers back."""
    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def serve(
    store: Store,
    jobs: list[Job],
    once: bool = False,
    tick_s: float = TICK_S,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], Any] = stop_requested.wait,
    out: Callable[[str], None] = print,
    caller: Callable[..., Any] = call,
    from_now: bool = False,
    data_dir: Path | None = None,
    push_tick_s: float = PUSH_TICK_S,
) -> None:
    """Ticks every `tick_s` seconds: "Sync now" requests, push events, due jobs, the inbox.
    `from_now`: jobs first run when their next time comes, not at once (even if never run or
    overdue). Returns once a stop is requested (stop_on_signals), after the tick in flight."""
    since = clock() if from_now else None
    if not once:
        out("scheduled: " + "; ".join(f"{j.function} {j.expression}" for j in jobs)
            + (" (first runs from now on)" if from_now else ""))
    # Between two ticks, pending push events are looked for every push_tick_s (one read of
    # one partition): an event reaches the store within seconds, not at the next tick.
    step_s = min(push_tick_s, tick_s)
    since_tick_s = tick_s
    # Sleeping on the stop request: a signal between two ticks ends the wait at once.
    while not stop_requested.is_set():
        if since_tick_s >= tick_s:
            tick(store, jobs, clock(), caller, out, since, data_dir)
            since_tick_s = 0.0
        else:
            push_pending(store, clock(), out, caller)
        if once:
            return
        sleep(step_s)
        since_tick_s += step_s
    out("scheduler stopped")
