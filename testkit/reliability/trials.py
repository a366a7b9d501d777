"""The reliability trials' registry: each trial runs N times and reports failures and a figure."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import settings
from testkit.aws import AWS_ENV


@dataclass
class Outcome:
    runs: int
    failures: int
    figure: str
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.failures += 1
        if len(self.problems) < 20:
            self.problems.append(problem)


@dataclass(frozen=True)
class Trial:
    number: int
    name: str
    run: Callable[[int], Outcome]
    quick_runs: int  # inside `make test`
    full_runs: int  # `make reliability`


TRIALS: dict[str, Trial] = {}


def trial(number: int, name: str, quick: int, full: int) -> Callable[[Callable[[int], Outcome]],
                                                                     Callable[[int], Outcome]]:
    def register(fn: Callable[[int], Outcome]) -> Callable[[int], Outcome]:
        TRIALS[name] = Trial(number, name, fn, quick, full)
        return fn
    return register


def timed(fn: Callable[[int], Outcome], runs: int) -> tuple[Outcome, float]:
    start = time.perf_counter()
    outcome = fn(runs)
    return outcome, time.perf_counter() - start


def load_all() -> dict[str, Trial]:
    """Imports every trial module (`*_trials.py` beside this one)."""
    import importlib

    for path in sorted(Path(__file__).parent.glob("*_trials.py")):
        importlib.import_module(f"testkit.reliability.{path.stem}")
    return dict(sorted(TRIALS.items(), key=lambda item: item[1].number))


@contextlib.contextmanager
def sandbox(**env: str) -> Iterator[Path]:
    """Laptop defaults in a fresh data dir (plus `env`), as the test suite's isolated settings
    give each test; the previous environment comes back afterwards."""
    saved = dict(os.environ)
    folder = Path(tempfile.mkdtemp(prefix="pulseboard-trial-"))
    try:
        for name in list(os.environ):
            if name.startswith("PULSEBOARD_") or name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
                del os.environ[name]
        os.environ.update(AWS_ENV)
        os.environ["PULSEBOARD_DATA_DIR"] = str(folder / "var")
        os.environ.update(env)
        settings.reset()
        yield folder
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.reset()
        shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float = 60.0) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s") from None
            time.sleep(0.2)
