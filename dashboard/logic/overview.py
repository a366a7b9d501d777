"""Overview: latest body values and their changes, last run vs previous, last session, syncs."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

import pandas as pd

from core import localtime, units
from core.localtime import UTC_ZONE

# For these the goal is down: a drop is good news (green), a rise bad news (red).
GOAL_DOWN = {"weight_kg", "fat_ratio_pct", "fat_mass_kg"}
PERIODS = (("week", 7), ("month", 30), ("year", 365))


def quantity(kind: str) -> str | None:
    """The units quantity a measurement type is shown in (None: a ratio, the same everywhere)."""
    return "weight" if kind.endswith("_kg") else None


def local_days(times: pd.Series, tz: tzinfo) -> pd.Series:
    """Each UTC instant's calendar day in `tz` (python dates)."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(tz).dt.date


def changes(frame: pd.DataFrame, kind: str, tz: tzinfo = UTC_ZONE) -> dict[str, Any] | None:
    """Latest value; the mean of its local day and of its local ISO week; and its change
    against the last value on a local day 7/30/365 days before the latest's (values in SI)."""
    if frame.empty:
        return None
    frame = frame.sort_values("time").assign(day=lambda f: local_days(f["time"], tz))
    last = frame.iloc[-1]
    last_day = last["day"]
    week_start = localtime.week_start(last_day)
    in_week = frame[(frame["day"] >= week_start) & (frame["day"] <= last_day)]
    out: dict[str, Any] = {
        "value": float(last["value"]), "time": last["time"], "day": last_day,
        "day_mean": float(frame[frame["day"] == last_day]["value"].mean()),
        "week_mean": float(in_week["value"].mean()), "week_start": week_start,
        "week_count": len(in_week), "changes": [],
    }
    for label, days in PERIODS:
        before = frame[frame["day"] <= last_day - timedelta(days=days)]
        if before.empty:
            out["changes"].append({"period": label, "delta": None, "arrow": "", "tone": "muted"})
            continue
        delta = float(last["value"]) - float(before.iloc[-1]["value"])
        arrow = "▲" if delta > 0 else "▼" if delta < 0 else "▶"
        if abs(delta) < 1e-9:
            tone = "muted"
        else:
            good = (delta < 0) if kind in GOAL_DOWN else (delta > 0)
            tone = "good" if good else "bad"
        out["changes"].append({"period": label, "delta": round(delta, 2), "arrow": arrow,
                               "tone": tone})
    return out


def run_comparison(runs: pd.DataFrame,
                   shown_in: units.Units = "metric") -> list[dict[str, Any]] | None:
    """The last run next to the previous one: distance, average speed, elevation gain, in the
    viewer's units."""
    if runs.empty:
        return None
    runs = runs.sort_values("start_time")
    last = runs.iloc[-1]
    prev = runs.iloc[-2] if len(runs) > 1 else None

    def speed_mps(row: Any) -> float | None:
        value = row.get("average_speed_mps")
        if value is None or pd.isna(value):
            if row["moving_time_s"]:
                return float(row["distance_m"] / row["moving_time_s"])
            return None
        return float(value)

    def shown(q: str, get: Any) -> Any:
        return lambda r: units.to_display(get(r), q, shown_in)

    rows = []
    for label, q, get in (
        ("Distance", "distance", shown("distance", lambda r: r["distance_m"])),
        ("Average speed", "speed", shown("speed", speed_mps)),
        ("Elevation gain", "elevation", shown("elevation", lambda r: r["elevation_gain_m"])),
    ):
        unit = units.label(q, shown_in)
        now = get(last)
        before = get(prev) if prev is not None else None
        delta = None if now is None or before is None else now - before
        places = units.decimals(q, shown_in)  # the rounding a person expects: 0.01 mi, 1 ft
        rows.append({
            "metric": f"{label} ({unit})",
            "last": None if now is None else round(float(now), places),
            "previous": None if before is None else round(float(before), places),
            "change": None if delta is None else round(float(delta), places),
        })
    return rows


def last_session(sets: pd.DataFrame,
                 shown_in: units.Units = "metric") -> tuple[str | None, list[dict[str, Any]]]:
    """The newest day in the log (the sheet's own date, as written) and its sets."""
    if sets.empty:
        return None, []
    day = sets["date"].max()
    rows = sets[sets["date"] == day].sort_values(["exercise", "set_index"])
    column = f"weight ({units.label('lifted', shown_in)})"
    table = [
        {"exercise": r.exercise, "set": int(r.set_index), "reps": int(r.reps),
         column: units.rounded(float(r.weight_kg), "lifted", shown_in)}
        for r in rows.itertuples()
    ]
    return localtime.fmt_date(pd.Timestamp(day).date()), table


def age_text(seconds: float) -> str:
    """How long ago, in the unit a person would say it."""
    if seconds < 90:
        return "just now"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def sources_table(status: dict[str, dict[str, Any]], now: datetime,
                  held: dict[str, str], quarantined: dict[str, int],
                  tz: tzinfo = UTC_ZONE) -> list[dict[str, Any]]:
    """One row per source: its last success, how its last run ended, what the store holds from
    it (`held`, e.g. "1,204 activities") and how many of its records are quarantined now."""
    rows = []
    for source in sorted(set(status) | set(quarantined)):
        info = status.get(source, {})
        when = info.get("last_success_at")
        last = "never"
        if when:
            last = str(when)[:16].replace("T", " ")
            try:
                moment = pd.Timestamp(when)
                if moment.tzinfo is None:
                    moment = moment.tz_localize("UTC")
                last = localtime.fmt_datetime(moment.to_pydatetime(), tz)
                last += f" ({age_text((pd.Timestamp(now) - moment).total_seconds())})"
            except ValueError:
                pass
        rows.append({
            "source": source,
            "last success": last,
            "last run": info.get("last_outcome", "").replace("_", " "),
            "records": held.get(source, ""),
            "rejected": quarantined.get(source, 0),
        })
    return rows


SYNC_REQUESTS = "requests"


def request_sync(store: Any, user: str, may_change: bool, now: datetime) -> str:
    """Records an owner's request for a sync of every source; viewers are refused."""
    if not may_change:
        return "Only an owner can start a sync; viewers can look at everything else."
    store.put_doc(SYNC_REQUESTS, "sync", {"source": "all", "requested_by": user,
                                          "requested_at": now.isoformat()})
    return ("Sync requested: the collectors' scheduler runs it within a minute "
            "(`python -m collectors schedule` locally, the next jobs run in the cloud).")


def attention(connections: dict[str, dict[str, Any]],
              children: dict[str, dict[str, Any]]) -> list[str]:
    """What the owner must know before the figures: a provider that revoked its access (push
    sync stopped, data kept) and a local process that keeps crashing (`pulseboard up`)."""
    notes = [str(doc.get("message") or f"{source} is disconnected: run `python -m collectors "
                                              f"connect {source}` to reconnect")
             for source, doc in sorted(connections.items())
             if doc.get("state") == "deauthorized"]
    for name, doc in sorted(children.items()):
        if doc.get("state") == "restarting":
            notes.append(f"The {name} process ended with exit code "
                         f"{doc.get('last_exit_code', '?')} and is being restarted "
                         f"({doc.get('restarts', 0)} restarts so far; see logs/{name}.log).")
    return notes
