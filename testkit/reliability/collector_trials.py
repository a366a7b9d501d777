"""Trials 1-5: the collectors killed mid-run, racing on a rotating refresh token, in provider
storms, delivered twice at once, and fed malformed sheets and payloads."""

from __future__ import annotations

import functools
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from demo.athlete import SHEET_HEADER
from testkit.reliability.trials import Outcome, trial
from testkit.reliability.world import SOURCES, at_once, compare, snapshot, world

# --- 1. crash anywhere ------------------------------------------------------------------------

def crash(runs: int) -> Outcome:
    out = Outcome(0, 0, "")
    rng = random.Random(20261123)
    lost = dup = 0
    for adapter in ("sqlite", "dynamodb"):
        # Withings documents that a replaced refresh token lives until the new access token is
        # used: a process killed between a refresh and saving its answer can start again.
        with world(adapter, grace=True) as w:
            env = w.fresh()
            started = time.monotonic()
            if w.sync(env) != 0:
                out.fail(f"{adapter}: the uninterrupted reference sync did not complete")
                continue
            full_s = time.monotonic() - started
            with w.using(env) as store:
                reference = snapshot(store)
            for i in range(runs):
                out.runs += 1
                env = w.fresh()
                proc = w.spawn(env)
                time.sleep(rng.uniform(0.0, full_s))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                if w.sync(env) != 0:
                    out.fail(f"{adapter} #{i}: the sync after the kill did not complete "
                             f"(see {w.folder / 'sync.log'})")
                    continue
                with w.using(env) as store:
                    a, b = compare(out, f"{adapter} #{i}", reference, snapshot(store))
                lost, dup = lost + a, dup + b
    out.figure = f"SIGKILL at a random moment, then re-run: {lost} lost, {dup} duplicated"
    return out


# --- 2. token rotation race -------------------------------------------------------------------

def sync_outcome(source: str) -> str:
    """One sync with a store of its own, as a separate Lambda container would have."""
    from collectors.edge import sync_source
    from testkit.stores import open_blobs, open_store

    own = open_store()
    try:
        return sync_source(source, own, open_blobs()).outcome
    finally:
        own.close()


def race(runs: int) -> Outcome:
    from collectors.edge import sync_source
    from testkit.stores import open_blobs

    out = Outcome(0, 0, "")
    invalid = 0
    refreshes = Counter[str]()
    with world("sqlite", grace=False, years=0.05) as w:
        for i in range(runs):
            source = ("strava", "withings")[i % 2]
            racers = 5 if i % 4 >= 2 else 2
            w.next_schedule()  # races are scheduled runs hours apart: a fresh rate-limit window
            env = w.fresh()
            with w.using(env) as store:
                first = sync_source(source, store, open_blobs())
                if first.outcome != "complete":
                    out.fail(f"#{i} {source}: the first sync ended {first.outcome}: "
                             f"{first.message}")
                    continue
                doc = store.get_doc("token", source)
                assert doc is not None
                store.put_doc("token", source, {**doc.data, "expires_at": 0},
                              expected_version=doc.version)  # the access token has expired
                before = w.standins.requests(source, "token")
                outcomes = at_once(racers, functools.partial(sync_outcome, source))
                out.runs += 1
                refreshes[f"{racers} racers"] += w.standins.requests(source, "token") - before
                stored = store.get_doc("token", source)
                live = w.standins.current_refresh_token(source)
                if stored is None or stored.data.get("refresh_token") != live:
                    invalid += 1
                    out.fail(f"#{i} {source} with {racers} racers: the stored refresh token "
                             f"is no longer valid (outcomes {outcomes})")
                elif outcomes.count("complete") != racers:
                    out.fail(f"#{i} {source} with {racers} racers: outcomes {outcomes}")
    out.figure = (f"stored refresh token invalid after {invalid} of {out.runs} races; "
                  f"token requests per race: " + ", ".join(
                      f"{k} {v / max(1, out.runs // 2):.1f}" for k, v in sorted(refreshes.items())))
    return out


# --- 3. provider storms ----------------------------------------------------------------------

Storm = Callable[[Any, int], None]  # (faults, run number) -> set up this run's faults

STORMS: list[tuple[str, str, Storm]] = [
    ("strava", "429 after every 6 calls", lambda f, n: f.rate_limit_after("strava", 6)),
    ("withings", "601 after every 2 calls", lambda f, n: f.rate_limit_after("withings", 2)),
    ("sheets", "429 on the first run", lambda f, n: f.rate_limit_after("sheets", 0 if n == 0
                                                                       else 10**6)),
    ("strava", "random 5xx (p=0.3)", lambda f, n: f.fail_5xx("strava", probability=0.3,
                                                             seed=n)),
    ("withings", "random 5xx (p=0.3)", lambda f, n: f.fail_5xx("withings", probability=0.3,
                                                               seed=n)),
    ("sheets", "503 twice", lambda f, n: f.fail_5xx("sheets", times=2 if n == 0 else 0)),
    ("strava", "slow past the timeout", lambda f, n: f.slow("strava", 2.5 if n < 2 else 0)),
    ("withings", "body status 401", lambda f, n: f.fail_5xx("withings", times=1 if n < 2
                                                            else 0, status=401)),
    ("withings", "body status 503", lambda f, n: f.fail_5xx("withings", times=1 if n < 2
                                                            else 0, status=503)),
    ("withings", "body status 2555", lambda f, n: f.fail_5xx("withings", times=2 if n < 2
                                                             else 0, status=2555)),
    ("strava", "truncated JSON", lambda f, n: f.truncate_json("strava", 2 if n < 2 else 0)),
    ("withings", "truncated JSON", lambda f, n: f.truncate_json("withings", 2 if n < 2 else 0)),
    ("sheets", "truncated JSON", lambda f, n: f.truncate_json("sheets", 1 if n == 0 else 0)),
]


def storms(rounds: int) -> Outcome:
    from collectors.edge import sync_source
    from collectors.runner import exit_code
    from testkit.stores import open_blobs

    out = Outcome(0, 0, "")
    most_runs = 0
    with world("sqlite") as w:
        references: dict[str, Counter[str]] = {}
        for source in SOURCES:
            with w.using(w.fresh()) as store:
                counts = sync_source(source, store, open_blobs())
                if counts.outcome != "complete":
                    out.fail(f"reference {source} sync ended {counts.outcome}: {counts.message}")
                references[source] = snapshot(store)
        for round_ in range(rounds):
            for source, label, storm in STORMS:
                env = {**w.fresh(), "PULSEBOARD_REQUEST_TIMEOUT_S": "1"}
                with w.using(env) as store:
                    done = False
                    for n in range(40):  # scheduled runs, one after another
                        w.standins.faults.clear()
                        w.standins.faults.set_read_limits(100_000, 1_000_000)
                        storm(w.standins.faults, n + round_ * 1000)
                        w.next_schedule()
                        counts = sync_source(source, store, open_blobs())
                        out.runs += 1
                        code = exit_code([counts], explicit=True)
                        if counts.outcome != "complete" and not counts.message:
                            out.fail(f"{source} {label}: run {n} ended {counts.outcome} "
                                     "without a message")
                        if code not in (0, 1, 3):
                            out.fail(f"{source} {label}: exit code {code}")
                        if counts.outcome == "complete":
                            done = True
                            most_runs = max(most_runs, n + 1)
                            break
                    w.standins.faults.clear()
                    w.standins.faults.set_read_limits(100_000, 1_000_000)
                    if not done:
                        out.fail(f"{source} {label}: 40 scheduled runs never completed")
                        continue
                    compare(out, f"{source} {label}", references[source], snapshot(store))
    out.figure = (f"{len(STORMS) * rounds} storms, all completed within {most_runs} scheduled "
                  "runs with nothing lost or doubled")
    return out


# --- 4. duplicate delivery --------------------------------------------------------------------

def duplicate_delivery(runs: int) -> Outcome:
    from collectors import lambda_handlers

    out = Outcome(0, 0, "")
    event = {"version": "0", "id": "5f1f1a3e-0d3f-4f24-9b9f-3e6d2b7c9a11",
             "detail-type": "Scheduled Event", "source": "aws.events",
             "time": "2026-11-20T06:00:00Z", "region": "eu-west-1", "resources": [
                 "arn:aws:events:eu-west-1:123456789012:rule/pulseboard-jobs-collectors."
                 "lambda_handlers.sync_strava"], "detail": {}}
    for i in range(runs):
        adapter = ("sqlite", "dynamodb")[i % 2]
        with world(adapter, seed=30 + i, years=0.08) as w:
            handlers = {s: getattr(lambda_handlers, f"sync_{s}") for s in SOURCES}
            with w.using(w.fresh()) as store:
                for s in SOURCES:
                    handlers[s](event)
                reference = snapshot(store)
            # Made after the reference run: it seeds the refresh tokens that run rotated to.
            with w.using(w.fresh()) as store:
                for s in SOURCES:
                    summaries = at_once(2, functools.partial(handlers[s], event))
                    out.runs += 1
                    if len(summaries) != 2:
                        out.fail(f"{adapter} {s}: a delivery raised")
                compare(out, f"{adapter}: delivered twice", reference, snapshot(store))
    out.figure = f"{out.runs} scheduled events delivered twice at once; store as after one"
    return out


# --- 5. bad input -----------------------------------------------------------------------------

# Each sheet: rows after the header, and which of them (1-based sheet row numbers) must be
# quarantined; every other non-empty row must be stored as written.
SHEETS: dict[str, tuple[list[list[Any]], set[int]]] = {
    "typos": ([["2026-11-02", "Back squat", "1", "5", "8O"],
               ["2026-11-02", "Back squat", "2", "1O", "80"],
               ["2026-11-02", "Back squat", "3", "5", "80..5"],
               ["2026-11-02", "Back squat", "4", "5", "80 kg"],
               ["2026-11-02", "Deadlift", "1", "5", "120"]], {2, 3, 4, 5}),
    "merged cells": ([["2026-11-03", "Bench press", "1", "5", "60"],
                      ["", "", "2", "5", "60"],
                      ["", "", "3", "5", "62.5"],
                      ["2026-11-03", "Row", "1", "8", "50"]], {3, 4}),
    "empty rows": ([["2026-11-04", "Press", "1", "5", "40"], [], ["", "", "", "", ""],
                    ["2026-11-04", "Press", "2", "5", "40"]], set()),
    "dates in three formats": ([["2026-11-05", "Clean", "1", "3", "70"],
                                [46331, "Clean", "2", "3", "70"],
                                ["05/11/2026", "Clean", "3", "3", "70"],
                                ["Nov 5, 2026", "Clean", "4", "3", "70"]], {4, 5}),
    "huge values": ([["2026-11-06", "Snatch", "1", "2", "1e9"],
                     ["2026-11-06", "Snatch", "2", "100000", "50"],
                     ["2026-11-06", "Snatch", "3", "2", "55"],
                     ["2026-11-06", "Snatch", "99999", "2", "55"]], {2, 3, 5}),
    "formula errors": ([["2026-11-07", "Thruster", "1", "10", "#REF!"],
                        ["#VALUE!", "Thruster", "2", "10", "40"],
                        ["2026-11-07", "Thruster", "3", "#N/A", "40"],
                        ["2026-11-07", "Thruster", "4", "10", "#DIV/0!"],
                        ["2026-11-07", "Thruster", "5", "10", "40"]], {2, 3, 4, 5}),
    "duplicated set": ([["2026-11-08", "Lunge", "1", "10", "20"],
                        ["2026-11-08", "lunge", "1", "10", "22"]], {3}),
}


def _expected_lift(row: list[Any]) -> tuple[str, str, int, int, float]:
    from collectors.sources.sheets.parse import parse_date

    return (parse_date(row[0]).isoformat(), " ".join(str(row[1]).split()), int(row[2]),
            int(row[3]), float(row[4]))


def bad_input(rounds: int) -> Outcome:
    from collectors.edge import sync_source
    from testkit.stores import open_blobs

    out = Outcome(0, 0, "")
    quarantined = stored = 0
    with world("sqlite", years=0.05) as w:
        for _ in range(rounds):
            for label, (rows, bad) in SHEETS.items():
                w.standins.athlete.set_sheet_rows([SHEET_HEADER, *rows])
                with w.using(w.fresh()) as store:
                    counts = sync_source("sheets", store, open_blobs())
                    out.runs += 1
                    if counts.outcome != "complete":
                        out.fail(f"{label}: the sync ended {counts.outcome}: {counts.message}")
                        continue
                    rejects = {r.ref: r for r in store.query("rejected", start="sheets#",
                                                             end="sheets$")}
                    lifts = {r.source_row: r for r in store.query("lift_sets")}
                    for number, row in enumerate(rows, start=2):
                        if not any(str(c).strip() for c in row):
                            if number in lifts or f"row {number}" in rejects:
                                out.fail(f"{label}: empty row {number} was kept")
                            continue
                        if number in bad:
                            reject = rejects.get(f"row {number}")
                            if reject is None or not reject.reason or number in lifts:
                                out.fail(f"{label}: row {number} {row} was not quarantined")
                            else:
                                quarantined += 1
                            continue
                        lift = lifts.get(number)
                        got = None if lift is None else (lift.date.isoformat(), lift.exercise,
                                                         lift.set_index, lift.reps,
                                                         lift.weight_kg)
                        if got != _expected_lift(row):
                            out.fail(f"{label}: row {number} {row} stored as {got}")
                        else:
                            stored += 1
        # A renamed header: nothing can be read, so nothing already stored may go.
        w.standins.athlete.set_sheet_rows([SHEET_HEADER, ["2026-11-09", "Squat", "1", "5", "100"]])
        with w.using(w.fresh()) as store:
            sync_source("sheets", store, open_blobs())
            before = snapshot(store, ("lift_sets",))
            w.standins.athlete.set_sheet_rows([["Date", "Movement", "Set", "Reps",
                                                "Weight (kg)"], ["2026-11-09", "Squat", "1",
                                                                 "5", "100"]])
            counts = sync_source("sheets", store, open_blobs())
            out.runs += 1
            if counts.outcome == "complete" or "header" not in counts.message:
                out.fail(f"renamed header: ended {counts.outcome}: {counts.message!r}")
            compare(out, "renamed header", before, snapshot(store, ("lift_sets",)))
    out.figure = (f"{len(SHEETS) + 1} malformed sheets: {quarantined} bad rows quarantined with "
                  f"a reason, {stored} good rows stored, a renamed header refused with nothing "
                  "lost")
    return out


trial(1, "crash anywhere", quick=2, full=50)(crash)
trial(2, "token rotation race", quick=8, full=100)(race)
trial(3, "provider storms", quick=1, full=3)(storms)
trial(4, "duplicate delivery", quick=2, full=10)(duplicate_delivery)
trial(5, "bad input", quick=1, full=3)(bad_input)
