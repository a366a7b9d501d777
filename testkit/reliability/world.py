"""The collector trials' world: stand-ins serving an athlete, fresh stores, sync runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import settings
from testkit.reliability.trials import Outcome, sandbox

ROOT = Path(__file__).resolve().parents[2]
END = date(2026, 11, 20)
YEARS = 0.25  # about 13 weeks: every record kind, paging, and a run of a few seconds
SOURCES = ("strava", "withings", "sheets")
_moto: dict[str, Any] = {}


def moto_url() -> str:
    """One moto server on a loopback port for every trial in this process."""
    if "url" not in _moto:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        _moto.update(server=server, url=f"http://{host}:{port}")
    return str(_moto["url"])


@dataclass
class World:
    """The stand-ins serving one athlete, and fresh stores to sync into."""

    folder: Path
    standins: Any
    adapter: str
    made: int = 0
    ahead_s: float = 0.0

    def __post_init__(self) -> None:
        self.standins.clock = lambda: time.time() + self.ahead_s

    def next_schedule(self, hours: float = 3.0) -> None:
        """Moves the providers' clock on to the next scheduled run: scheduled runs are hours
        apart, so each meets a fresh 15-minute rate-limit window, as in the cloud."""
        self.ahead_s += hours * 3600

    def fresh(self) -> dict[str, str]:
        """Settings for a new, empty store and blobs, seeded with the live refresh tokens."""
        self.made += 1
        env = {**self.standins.env(), "PULSEBOARD_BLOBS": f"file://{self.folder}/blobs-{self.made}"}
        if self.adapter == "sqlite":
            env["PULSEBOARD_STORE"] = f"sqlite:///{self.folder}/store-{self.made}.db"
        else:
            env["AWS_ENDPOINT_URL"] = moto_url()
            env["PULSEBOARD_STORE"] = f"dynamodb://trial-{uuid.uuid4().hex[:10]}"
            from storage.dynamodb import DynamoStore

            os.environ["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"]
            settings.reset()
            DynamoStore(env["PULSEBOARD_STORE"].removeprefix("dynamodb://")).ensure_table()
        return env

    @contextmanager
    def using(self, env: dict[str, str]) -> Iterator[Any]:
        """This process's settings pointed at `env`'s store; yields that store."""
        from testkit.stores import open_store

        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        settings.reset()
        store = open_store()
        try:
            yield store
        finally:
            store.close()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            settings.reset()

    def spawn(self, env: dict[str, str], source: str = "all") -> subprocess.Popen[bytes]:
        self.next_schedule()
        return subprocess.Popen(
            [sys.executable, "-m", "collectors", "sync", "--source", source], cwd=ROOT,
            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=(self.folder / "sync.log").open("ab"))

    def sync(self, env: dict[str, str], source: str = "all", until_done: int = 8) -> int:
        """Runs the sync CLI until it completes (a budget may end a run early); the last code."""
        code = -1
        for _ in range(until_done):
            code = self.spawn(env, source).wait(timeout=300)
            if code != 3:
                return code
        return code


@contextmanager
def world(adapter: str = "sqlite", *, grace: bool = False, seed: int = 3,
          years: float = YEARS) -> Iterator[World]:
    from demo.athlete import Athlete
    from demo.standins import StandIns

    athlete = Athlete.generate(seed=seed, years=years, end=END)
    with sandbox() as folder, StandIns(athlete, refresh_grace=grace) as standins:
        # Read limits as a paying app would see them after a quiet day: these trials are about
        # crashes and races, not about waiting out Strava's 15-minute window.
        standins.faults.set_read_limits(100_000, 1_000_000)
        yield World(folder, standins, adapter)


def snapshot(store: Any, kinds: tuple[str, ...] | None = None) -> Counter[str]:
    """Every record as a line of JSON, as `python -m storage export` writes them (minus the
    moment a reject was seen, which differs between runs by design)."""
    from storage.__main__ import KINDS, iter_records

    lines: Counter[str] = Counter()
    for kind in kinds or KINDS:
        for record in iter_records(store, kind):
            data = record.to_dict()
            data.pop("seen_at", None)
            lines[f"{kind} {json.dumps(data, sort_keys=True, default=str)}"] += 1
    return lines


def compare(out: Outcome, label: str, reference: Counter[str], got: Counter[str]) -> tuple[int,
                                                                                           int]:
    lost, extra = reference - got, got - reference
    if lost or extra:
        sample = next(iter(lost or extra))[:160]
        out.fail(f"{label}: {sum(lost.values())} lost, {sum(extra.values())} duplicated or "
                 f"changed (e.g. {sample})")
    return sum(lost.values()), sum(extra.values())


def at_once[T](n: int, call: Callable[[], T]) -> list[T]:
    """Runs `call` in n threads released together; the results of those that returned."""
    gate = threading.Barrier(n)
    results: list[T] = []

    def one() -> None:
        gate.wait()
        results.append(call())

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results
