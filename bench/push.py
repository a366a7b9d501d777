"""Push bench: event → record stored on a laptop and through the packaged api and jobs functions
(loopback API Gateway, asynchronous invokes, moto), p95 beside the goals; provider requests per
new activity by push and by a scheduled sync. Prints what it measured; never passes or fails."""

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
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
DYNAMODB_READS = ("GetItem", "Query", "BatchGetItem")
BURST = 5  # runs uploaded at once: a second jobs container starts for the events it meets busy


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
    parser.add_argument("--packaged-runs", type=int, default=8,
                        help="runs uploaded one at a time through the packages (then a burst of "
                             f"{BURST} at once)")
    parser.add_argument("--skip-packages", action="store_true",
                        help="only the laptop part (building and unpacking the api and jobs "
                             "packages takes about a minute when dist/ has none)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    laptop(args.runs)
    if not args.skip_packages:
        packaged(args.packaged_runs)
    return 0


def laptop(runs: int) -> None:

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
            for _ in range(runs):
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

    per_push = push_requests / runs
    print(f"event → activity stored, locally ({runs} runs, scheduler polling every 2 s): "
          f"p50 {sorted(latencies_s)[len(latencies_s) // 2]:.2f} s, p95 {p95(latencies_s):.2f} s"
          f" (goal ≤ 5 s)")
    print(f"Strava requests per new activity by push: {per_push:.2f} (goal ≤ 2: the activity "
          "and its streams)")
    print(f"by a scheduled sync finding it: {sync_requests}; a scheduled sync finding nothing "
          f"new: {idle_requests} (once a day in the cloud now, the net under push)")
    print(f"ratio push / scheduled sync, per new activity: {per_push / max(sync_requests, 1):.2f}")
    by_push = per_push + idle_requests  # the daily net finds nothing new
    by_schedule = sync_requests + 7 * idle_requests
    print(f"one new run a day: {by_push:.0f} requests/day by push with the daily net, "
          f"{by_schedule} by a 3-hourly schedule without push (ratio "
          f"{by_push / by_schedule:.2f})")


def next_minute() -> None:
    """Waits for the next UTC minute: the jobs side counts its fetches in minute windows."""
    time.sleep(60 - time.time() % 60 + 0.2)


def packaged(runs: int) -> None:
    """The cloud's path on loopback: Strava's stand-in posts to the api package behind the
    gateway, which stores the event (DynamoDB on moto) and invokes the jobs package
    asynchronously; the jobs function fetches the run and stores it."""
    from moto.server import ThreadedMotoServer

    from collectors.push import FETCHES_PER_MIN
    from demo.athlete import Athlete
    from deploy.local_lambda import unpack
    from deploy.package import build
    from testkit.push_stage import JOBS_FUNCTION, PushStage

    tmp = Path(tempfile.mkdtemp(prefix="pulseboard-bench-push-stage-"))
    started = time.perf_counter()
    unpacked = {stage: unpack(build(stage).path, tmp / stage) for stage in ("api", "jobs")}
    prepared_s = time.perf_counter() - started
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    athlete = Athlete.generate(seed=5, years=0.05, end=date.today())
    try:
        with PushStage(f"http://{host}:{port}", unpacked, athlete, tmp / "data") as stage:
            one_by_one: list[float] = []
            lost = 0
            stage.invoke.forwarded.clear()  # from here: what the events cost
            for n in range(runs):
                if n and n % FETCHES_PER_MIN == 0:
                    next_minute()  # within the jobs side's share: latency, not its queue
                sent = time.perf_counter()
                waited = stage.wait_stored(stage.upload_run(), timeout_s=120)
                lost += waited is None
                one_by_one.append(time.perf_counter() - sent if waited is not None else 120.0)
            stage.invoke.wait_idle(60)
            next_minute()  # the burst in a fresh window of fetches
            sent = time.perf_counter()
            burst = [stage.upload_run() for _ in range(BURST)]
            at_once: dict[str, float] = {}
            while len(at_once) < len(burst) and time.perf_counter() - sent < 120:
                for run_id in burst:
                    if run_id not in at_once and stage.stored(run_id):
                        at_once[run_id] = time.perf_counter() - sent
                time.sleep(0.05)
            lost += len(burst) - len(at_once)
            stage.invoke.wait_idle(60)
            requests = stage.strava_requests()
            invocations = [i for i in stage.invoke.invocations if i.kind == "Event"]
            containers = stage.invoke.containers(JOBS_FUNCTION)
            retried = sum(1 for i in invocations if i.attempts > 1)
            failed = sum(1 for i in invocations if i.error)
            answers = [a for d in stage.standins.push.deliveries for a in d.answers]
            api_containers = stage.gateway.cold_starts
            aws = dict(stage.invoke.forwarded)
            from storage import events

            # Past the jobs side's share of fetches a minute, events wait for the next
            # invocation (the next event, or the daily net).
            left_pending = len(events.pending(stage.store, "strava"))
    finally:
        server.stop()
    every = one_by_one + list(at_once.values())
    uploaded = runs + BURST
    print(f"\nthrough the packages (api behind the loopback gateway, jobs invoked "
          f"asynchronously, DynamoDB/S3/SSM on moto; packages ready in {prepared_s:.0f} s):")
    print(f"event → activity stored: {uploaded} runs, p50 {sorted(every)[len(every) // 2]:.1f} s, "
          f"p95 {p95(every):.1f} s (goal ≤ 30 s); the first (a cold jobs container) "
          f"{one_by_one[0]:.1f} s; a burst of {BURST} at once: slowest "
          f"{max(at_once.values(), default=0):.1f} s; {lost} not stored within 120 s "
          f"({left_pending} events left pending by the jobs side's share of "
          f"{FETCHES_PER_MIN} fetches a minute: the next event or the daily net takes them)")
    print(f"jobs: {len(invocations)} asynchronous invocations on {containers} containers "
          f"(cold starts), {retried} retried, {failed} failed; api: {api_containers} "
          f"containers; webhook answers {sorted(set(answers))} over {len(answers)} attempts")
    print(f"Strava requests per new activity by push through the packages: "
          f"{requests / uploaded:.2f} (goal ≤ 2)")
    writes = sum(n for op, n in aws.items() if op.split(":")[-1] in DYNAMODB_WRITES)
    reads = sum(n for op, n in aws.items() if op.split(":")[-1] in DYNAMODB_READS)
    print(f"AWS requests per event (api and jobs): DynamoDB {writes / uploaded:.1f} writes, "
          f"{reads / uploaded:.1f} reads; S3 {aws.get('s3:PUT', 0) / uploaded:.1f} PUT, "
          f"{aws.get('s3:GET', 0) / uploaded:.1f} GET; SSM "
          f"{sum(n for op, n in aws.items() if op.startswith('ssm:')) / uploaded:.1f}")


if __name__ == "__main__":
    sys.exit(main())
