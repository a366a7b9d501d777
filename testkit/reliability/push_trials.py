"""Trial 17: push events: a flood of 1,000 in 10 s over HTTP from concurrent senders, each
delivered 3 times, an update before its create, a delete of an activity never seen, forged
events for another athlete or subscription, the jobs side killed mid-event (the next delivery
completes it; the nightly net stores what it had not)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from testkit.reliability.trials import Outcome, sandbox, trial

TOKEN = "trial-verify-token"
FLOOD_EVENTS = 1000
FLOOD_WINDOW_S = 10.0
FLOOD_ACTIVITIES = 30
FETCHES_PER_MIN = 10
SENDERS = 8  # deliveries at once, as Strava's retries and a bulk edit overlap


class ProviderClock:
    """The stand-ins' clock, moved on with the trial's so their rate limits see minutes pass."""

    def __init__(self) -> None:
        self.ahead_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead_s


class World:
    """The stand-ins, a store, the api's webhooks (through Flask's test client) and the jobs
    side, with a clock the jobs side is handed so minutes pass without waiting for them."""

    def __init__(self, standins: Any, store: Any) -> None:
        import settings
        from api import create_app
        from collectors import sources
        from collectors.edge import sync_source
        from storage import events

        self.standins, self.store = standins, store
        self.standins_clock = standins.clock
        self.current = settings.get()
        self.config = sources.get("strava").configure(self.current)
        sync_source("strava", store, None, self.current)  # connected: the athlete id is known
        self.subscription_id = 120_475
        events.remember(store, "strava", subscription_id=self.subscription_id)
        self.athlete_id = int(standins.strava.profile()["id"])
        app = create_app({"STORE": store, "API_KEY": "trial", "STRAVA_VERIFY_TOKEN": TOKEN,
                          "WEBHOOK_HAND_ON": lambda provider: None,
                          "WEBHOOK_REQUESTS_PER_MIN": 100_000})
        self.app = app
        self.client = app.test_client()
        # The jobs side's clock, an hour ahead: its fetch windows never meet those of the killed
        # run and the nightly net, which run on the real clock.
        self.now_s = time.time() + 3600
        self.standins_clock.ahead_s = 3600

    def new_run(self) -> int:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
        return int(self.standins.athlete.add_activity(start=start)["id"])

    def event(self, object_id: int, aspect: str, at_s: int, **changes: Any) -> dict[str, Any]:
        return {"object_type": "activity", "object_id": object_id, "aspect_type": aspect,
                "owner_id": self.athlete_id, "subscription_id": self.subscription_id,
                "event_time": at_s, "updates": {}, **changes}

    def post(self, body: dict[str, Any]) -> int:
        return int(self.client.post("/webhooks/strava", json=body).status_code)

    def advance(self, seconds: float) -> None:
        """Minutes pass for the jobs side and the providers (their rate-limit windows) alike."""
        self.now_s += seconds
        self.standins_clock.ahead_s += seconds

    def drain(self, limit_rounds: int = 100) -> int:
        """Runs the jobs side once a minute (on its clock) until nothing is pending; returns
        the rounds it took."""
        from collectors import push
        from storage import events

        for rounds in range(1, limit_rounds + 1):
            push.handle("strava", self.store, None, self.config, FETCHES_PER_MIN,
                        clock=lambda: self.now_s)
            self.advance(60)
            if not events.pending(self.store, "strava"):
                return rounds
        return limit_rounds

    def stored_ids(self) -> set[str]:
        return {a.id for a in self.store.query("activities")}


def _flood(w: World, out: Outcome, rng: random.Random, label: str) -> str:
    """1,000 events for 30 new runs (creates, title updates, each sent 3 times), shuffled."""
    from storage import events

    runs = [w.new_run() for _ in range(FLOOD_ACTIVITIES)]
    bodies = []
    for i, run_id in enumerate(runs):
        bodies.append(w.event(run_id, "create", 1_000 + i))
    while len(bodies) * 3 < FLOOD_EVENTS:
        run_id = rng.choice(runs)
        bodies.append(w.event(run_id, "update", 2_000 + len(bodies), updates={"title": "t"}))
    sends = [b for b in bodies for _ in range(3)][:FLOOD_EVENTS]
    rng.shuffle(sends)  # retries and updates arrive before their create
    # Over HTTP from concurrent senders, paced to 1,000 in 10 s: copies of one event may
    # arrive at the same moment, and only one of them may become pending.
    import logging
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from demo.standins.callback import Callback

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    with Callback(w.app) as api, requests.Session() as session:
        url = api.url("/webhooks/strava")
        started = time.perf_counter()

        def send(item: tuple[int, dict[str, Any]]) -> int:
            due_s = started + item[0] * FLOOD_WINDOW_S / len(sends)
            time.sleep(max(0.0, due_s - time.perf_counter()))
            return int(session.post(url, json=item[1], timeout=10).status_code)

        with ThreadPoolExecutor(SENDERS) as senders:
            answers = list(senders.map(send, enumerate(sends)))
        took_s = time.perf_counter() - started
    refused = sum(1 for answer in answers if answer != 200)
    if refused:
        out.fail(f"{label}: {refused} of {len(sends)} events were not answered 200")
    distinct = {events.parse_strava(b).key() for b in sends}
    if len(events.pending(w.store, "strava")) != len(distinct):
        out.fail(f"{label}: {len(distinct)} distinct events, "
                 f"{len(events.pending(w.store, 'strava'))} pending")
    w.standins.clear_log()
    from collectors import push

    push.handle("strava", w.store, None, w.config, FETCHES_PER_MIN, clock=lambda: w.now_s)
    first_minute = w.standins.requests("strava", "data")
    if first_minute > 2 * FETCHES_PER_MIN:
        out.fail(f"{label}: {first_minute} Strava requests in the first minute "
                 f"(bound {2 * FETCHES_PER_MIN})")
    w.advance(60)
    rounds = 1 + w.drain()
    asked = w.standins.requests("strava", "data")
    missing = {str(r) for r in runs} - w.stored_ids()
    if missing:
        out.fail(f"{label}: {len(missing)} flooded runs never stored")
    if asked > 2 * FLOOD_ACTIVITIES:
        out.fail(f"{label}: {asked} Strava requests for {FLOOD_ACTIVITIES} runs (≤ 2 each)")
    return (f"{len(sends)} events in {took_s:.1f} s → {asked} requests for "
            f"{FLOOD_ACTIVITIES} runs over {rounds} min")


def _edges(w: World, out: Outcome, label: str) -> None:
    from storage import events

    # An update delivered before its create: one fetch, the run stored once.
    run_id = w.new_run()
    for body in (w.event(run_id, "update", 9_005, updates={"title": "x"}),
                 w.event(run_id, "create", 9_000)):
        w.post(body)
    w.drain()
    if [a.id for a in w.store.query("activities")].count(str(run_id)) != 1:
        out.fail(f"{label}: an update before its create did not leave the run stored once")
    # A delete of an activity never seen: spent, nothing fetched, nothing else deleted.
    before = w.store.count("activities")
    w.standins.clear_log()
    w.post(w.event(987_654_321_000, "delete", 9_100))
    w.drain()
    if w.store.count("activities") != before or w.standins.requests("strava", "data"):
        out.fail(f"{label}: a delete of an unknown activity changed the store or fetched")
    # Forged: another athlete, another subscription: acknowledged, never stored nor fetched.
    victim = w.new_run()
    forged = [w.event(victim, "create", 9_200, owner_id=w.athlete_id + 1),
              w.event(victim, "create", 9_201, subscription_id=w.subscription_id + 1)]
    answers = [w.post(body) for body in forged]
    if answers != [200, 200]:
        out.fail(f"{label}: forged events answered {answers}, not a plain 200")
    if events.pending(w.store, "strava"):
        out.fail(f"{label}: a forged event was stored as pending")
    w.drain()
    if str(victim) in w.stored_ids() or w.standins.requests("strava", "data"):
        out.fail(f"{label}: a forged event made us fetch")


def _killed(w: World, out: Outcome, rng: random.Random, label: str, store_url: str,
            by_net: bool) -> int:
    """The jobs function killed (SIGKILL) mid-work, after a random number of its Strava
    requests: what it had not finished stays pending. The next delivery's run stores every run
    once; or the nightly net (the scheduled sync, real entry point) stores what the kill left,
    and the next push run spends the events its claim held. Returns the requests it made."""
    import os
    import signal
    import subprocess
    import sys

    from storage import events

    runs = [w.new_run() for _ in range(8)]
    w.standins.clear_log()
    for i, run_id in enumerate(runs):
        w.post(w.event(run_id, "create", 20_000 + i + 100 * by_net))
    env = {**os.environ, "PULSEBOARD_STORE": store_url}
    code = "from collectors.lambda_handlers import push; push({'source': 'strava'})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_at = rng.randint(1, 2 * len(runs) - 1)  # a run's activity or streams, not the end
    deadline = time.monotonic() + 60
    while w.standins.requests("strava", "data") < kill_at and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_after = w.standins.requests("strava", "data")
    how = "the nightly net" if by_net else "the next delivery"
    if by_net:
        from collectors.lambda_handlers import sync_strava

        w.advance(15 * 60)  # the net runs later, in a fresh read-limit window
        sync_strava({"time": "net"})
        ids = [a.id for a in w.store.query("activities")]
        lost = [r for r in runs if str(r) not in ids]
        if lost:
            out.fail(f"{label}: after a kill mid-event, {how} left {len(lost)} runs unstored")
    w.advance(60)
    w.drain()
    ids = [a.id for a in w.store.query("activities")]
    lost = [r for r in runs if str(r) not in ids]
    doubled = [r for r in runs if ids.count(str(r)) > 1]
    if lost or doubled or events.pending(w.store, "strava"):
        out.fail(f"{label}: after a kill mid-event and {how}, {len(lost)} runs lost, "
                 f"{len(doubled)} stored twice, {len(events.pending(w.store, 'strava'))} "
                 "events still pending")
    return killed_after


def push_events(runs: int) -> Outcome:
    from demo.athlete import Athlete
    from demo.standins import StandIns
    from storage import open_store

    out = Outcome(0, 0, "")
    rng = random.Random(20261201)
    figure = ""
    killed_requests: list[int] = []
    for i in range(runs):
        out.runs += 1
        athlete = Athlete.generate(seed=30 + i, years=0.05)
        with StandIns(athlete, clock=ProviderClock()) as standins, \
                sandbox(**standins.env()):
            import settings

            url = settings.get().store_url  # the default: the nightly net's handler opens it
            store = open_store(url)
            try:
                w = World(standins, store)
                figure = _flood(w, out, rng, f"#{i}")
                _edges(w, out, f"#{i}")
                for by_net in (False, True):
                    killed_requests.append(_killed(w, out, rng, f"#{i}", url, by_net))
            finally:
                store.close()
    out.figure = figure + ("; duplicates, update-before-create, unknown deletes, forgeries, "
                           f"kills mid-event (after {killed_requests} of 16 requests; the next "
                           "delivery, then the nightly net, completing) held")
    return out


trial(17, "push events", quick=1, full=3)(push_events)
