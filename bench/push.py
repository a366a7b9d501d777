"""Push bench: event → record stored on a laptop (p95), provider requests per new activity by
push and by a scheduled sync. Prints what it measured; never passes or fails on time."""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-verify-token"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _scheduler(store: Any, config: Any) -> threading.Thread:
    """The local scheduler's loop (no jobs due: only push events), calling the jobs side
    in-process on the bench's store."""
    from collectors import push, schedule

    def caller(function: str, event: dict[str, Any]) -> Any:
        return push.handle(event["source"], store, None, config).as_dict()

    thread = threading.Thread(target=schedule.serve, kwargs={
        "store": store, "jobs": [], "caller": caller, "out": lambda _: None}, daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="runs uploaded, one at a time")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    import settings
    from api import create_app
    from collectors import sources
    from collectors.common import stop_requested
    from collectors.edge import sync_source
    from collectors.subscribe import subscribe
    from demo.athlete import Athlete
    from demo.standins import StandIns
    from demo.standins.callback import Callback
    from storage import open_store

    tmp = Path(tempfile.mkdtemp(prefix="pulseboard-bench-push-"))
    athlete = Athlete.generate(seed=5, years=0.1, end=date.today())
    with StandIns(athlete) as standins:
        env = {**standins.env(), "PULSEBOARD_DATA_DIR": str(tmp / "var")}
        current = settings.load(env)
        config = sources.get("strava").configure(current)
        store = open_store(f"sqlite:///{tmp / 'bench.db'}")
        app = create_app({"STORE": store, "API_KEY": "bench", "STRAVA_VERIFY_TOKEN": TOKEN})
        with Callback(app) as callback:
            sync_source("strava", store, None, current)  # connected: the athlete id is known
            subscribe("strava", config, store, callback.url("/webhooks/strava"), False, False,
                      verify_token=TOKEN, out=lambda _: None)
            stop_requested.clear()
            scheduler = _scheduler(store, config)
            standins.clear_log()
            latencies_s: list[float] = []
            for _ in range(args.runs):
                started = time.perf_counter()
                run = standins.push.upload_run()
                while str(run["id"]) not in {a.id for a in store.latest("activities", n=3)}:
                    time.sleep(0.02)
                latencies_s.append(time.perf_counter() - started)
            push_requests = standins.requests("strava", "data")
            stop_requested.set()
            scheduler.join(10)
            stop_requested.clear()

        # The same new activity found by the scheduled sync instead: its listing and streams.
        standins.push.strava_subscription = None  # no events: the schedule only
        standins.athlete.add_activity()
        standins.clear_log()
        sync_source("strava", store, None, current)
        sync_requests = standins.requests("strava", "data")
        standins.clear_log()
        sync_source("strava", store, None, current)
        idle_requests = standins.requests("strava", "data")
        store.close()

    per_push = push_requests / args.runs
    print(f"event → activity stored, locally ({args.runs} runs, scheduler polling every 2 s): "
          f"p50 {sorted(latencies_s)[len(latencies_s) // 2]:.2f} s, p95 {p95(latencies_s):.2f} s"
          f" (goal ≤ 5 s)")
    print(f"Strava requests per new activity by push: {per_push:.2f} (goal ≤ 2: the activity "
          "and its streams)")
    print(f"by a scheduled sync finding it: {sync_requests}; a scheduled sync finding nothing "
          f"new: {idle_requests} (8 a day at rate(3 hours))")
    print(f"ratio push / scheduled sync, per new activity: {per_push / max(sync_requests, 1):.2f}")
    by_push = per_push + idle_requests  # the daily net finds nothing new
    by_schedule = sync_requests + 7 * idle_requests
    print(f"one new run a day: {by_push:.0f} requests/day by push with the daily net, "
          f"{by_schedule} by the 3-hourly schedule (ratio {by_push / by_schedule:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
