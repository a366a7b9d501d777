"""Collectors bench: requests for a backfill and a no-change run, records/s on each store."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCES = ("strava", "withings", "sheets")
FIFTEEN_MIN_S = 900


class Clock:
    """One clock for the stand-ins and the collectors: each sync run starts a new 15-minute
    window, as scheduled runs three hours apart would, without waiting for it."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t

    def next_window(self) -> None:
        self.t += FIFTEEN_MIN_S


def open_stores(tmp: Path) -> list[tuple[str, Callable[[], Any], Any]]:
    """(name, factory of a fresh empty store, cleanup) for SQLite and DynamoDB on moto."""
    from moto.server import ThreadedMotoServer

    from storage import open_store

    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def sqlite() -> Any:
        return open_store(f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}")

    def dynamodb() -> Any:
        from storage.dynamodb import DynamoStore

        store = DynamoStore(f"bench-{uuid.uuid4().hex[:10]}")
        store.ensure_table()
        return store

    return [("sqlite", sqlite, None), ("dynamodb (moto)", dynamodb, server)]


def backfill(store: Any, blobs: Any, standins: Any, clock: Clock) -> dict[str, Any]:
    """Syncs every source until complete; one run per 15-minute window."""
    from collectors.edge import sync_source

    standins.clear_log()
    runs: dict[str, int] = {}
    started = time.perf_counter()
    for source in SOURCES:
        for attempt in range(1, 200):
            counts = sync_source(source, store, blobs, clock=clock, sleep=lambda s: None)
            clock.next_window()
            if counts.outcome == "complete":
                runs[source] = attempt
                break
            if counts.outcome not in ("budget", "rate_limited"):
                raise SystemExit(f"bench: {source} sync failed: {counts.message}")
    seconds = time.perf_counter() - started
    log = list(standins.log)
    return {
        "runs": runs,
        "seconds": seconds,
        "list": sum(1 for r in log if r.source == "strava" and r.path.endswith("/activities")),
        "streams": sum(1 for r in log if r.source == "strava" and r.path.endswith("/streams")),
        "token": {s: sum(1 for r in log if r.source == s and r.kind == "token")
                  for s in SOURCES},
        "data": {s: sum(1 for r in log if r.source == s and r.kind == "data") for s in SOURCES},
        "429": sum(1 for r in log if r.status == 429),
    }


def no_change(store: Any, blobs: Any, standins: Any, clock: Clock) -> dict[str, int]:
    from collectors.edge import sync_source

    standins.clear_log()
    for source in SOURCES:
        counts = sync_source(source, store, blobs, clock=clock)
        assert counts.stored == 0 and counts.outcome == "complete", counts.line()
    return {s: standins.requests(s) for s in SOURCES}


def reparse(store: Any, blobs: Any) -> tuple[int, float, int, float]:
    """Parses the raw archive again into `store`: (records, seconds parsing, records stored,
    seconds storing). No HTTP: what the collectors' own work costs."""
    import json

    from collectors.sources.sheets import parse as sheets
    from collectors.sources.strava import parse as strava
    from collectors.sources.withings import parse as withings

    now = datetime.now(UTC)
    parsed: list[Any] = []
    t0 = time.perf_counter()
    for info in blobs.list("raw/"):
        data = json.loads(blobs.get(info.key)[0])
        name = info.key.rsplit("/", 1)[1]
        if info.key.startswith("raw/strava/") and "-activities-" in name:
            page = strava.parse_activities(data, now)
            parsed += page.records
        elif info.key.startswith("raw/strava/") and "-streams-" in name:
            activity_id = name.split("-streams-")[1].removesuffix(".json")
            parsed.append(strava.parse_streams(activity_id, data))
        elif info.key.startswith("raw/withings/"):
            parsed += withings.parse_measures(withings.check_status(data), now).records
        elif info.key.startswith("raw/sheets/"):
            parsed += sheets.parse_sheet(data, now).records
    # The archive holds re-scans too (the 7-day window, the no-change run): one of each.
    parsed = list({(r.KIND, r.series(), r.sort_key()): r for r in parsed}.values())
    t1 = time.perf_counter()
    stored = store.put(parsed)
    t2 = time.perf_counter()
    return len(parsed), t1 - t0, stored, t2 - t1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=float, default=1.5, help="years of synthetic history")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="pulseboard-bench-"))
    os.environ["PULSEBOARD_DATA_DIR"] = str(tmp / "var")
    import settings
    from demo.athlete import Athlete
    from demo.standins import StandIns
    from storage import open_blobs

    athlete = Athlete.generate(seed=5, years=args.years)
    n = len(athlete.activities)
    runs = sum(1 for a in athlete.activities
               if a["sport_type"] in strava_runs() and not a.get("manual"))
    groups = sum(1 for g in athlete.measure_groups if g["category"] == 1)
    print(f"synthetic athlete: {args.years:g} years, {n} activities ({runs} runs with streams), "
          f"{groups} weigh-ins, {len(athlete.sheet_rows) - 1} sheet rows")
    clock = Clock()
    stores = open_stores(tmp)
    with StandIns(athlete, clock=clock) as standins:
        for label, factory, _ in stores:
            # A fresh store is seeded from the settings: with the refresh tokens valid now.
            os.environ.update(standins.env())
            settings.reset()
            store = factory()
            blobs = open_blobs(f"file://{tmp / uuid.uuid4().hex[:6]}")
            got = backfill(store, blobs, standins, clock)
            least_list = math.ceil(n / 200)
            first_list = got["list"] - (got["runs"]["strava"] - 1)
            print(f"\n== {label}")
            print(f"backfill: {first_list} activity-list requests for {n} activities "
                  f"(least ⌈N/200⌉ = {least_list}, ratio {first_list / least_list:.2f}) "
                  f"+ 1 re-scan of the last 7 days in each later run; "
                  f"{got['streams']} stream requests for {runs} runs "
                  f"(ratio {got['streams'] / max(runs, 1):.2f}); "
                  f"{sum(got['token'].values())} token requests; "
                  f"{got['429']} answers 429")
            made = sum(got["data"].values()) + sum(got["token"].values())
            print(f"  backfill took {got['seconds']:.1f} s for {made} provider requests "
                  f"({got['seconds'] / made * 1000:.1f} ms each, parsing and storing included)")
            print(f"  runs to complete (one per 15-min window): {got['runs']}; "
                  f"Withings {got['data']['withings']} requests for {groups} groups, "
                  f"Sheets {got['data']['sheets']}")
            total = got["data"]["strava"]
            print(f"  Strava requests {total} vs least {least_list + runs} "
                  f"(ratio {total / (least_list + runs):.2f})")
            again = no_change(store, blobs, standins, clock)
            print("no-change run: " + ", ".join(f"{s} {k} request{'s' * (k != 1)}"
                                                for s, k in again.items())
                  + f" (goal 1 each: {'met' if set(again.values()) == {1} else 'NOT met'})")
            fresh = factory()
            records, parse_s, stored, store_s = reparse(fresh, blobs)
            print(f"from the raw archive: parsed {records} records at "
                  f"{records / parse_s:,.0f}/s; stored {stored} at {stored / store_s:,.0f}/s "
                  f"(parsing {parse_s / (parse_s + store_s):.0%} of the time)")
            store.close()
            fresh.close()
    for _, _, server in stores:
        if server is not None:
            server.stop()
    return 0


def strava_runs() -> tuple[str, ...]:
    from collectors.sports import RUN_SPORTS as RUN_TYPES

    return tuple(RUN_TYPES)


if __name__ == "__main__":
    sys.exit(main())
