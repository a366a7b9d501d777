"""`pulseboard up`: the dashboard, the API and the scheduler as one supervised process tree."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from core import cli
from core.errors import UsageError

# The store's space where each child's state is kept, so the overview can show a crash.
SPACE = "supervisor"
# A child that ran this long before it ended was healthy: its next restart waits the least.
HEALTHY_S = 60.0
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# How long a child may take to stop after SIGTERM (the scheduler finishes the batch in
# flight and saves its cursor) before it is killed.
GRACE_S = 30.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start_at: float = 0.0
    log: IO[bytes] | None = None
    pumps: list[threading.Thread] = field(default_factory=list)


def children(api_port: int, dashboard_port: int, host: str) -> list[Child]:
    """What runs, in the order it starts (the API before the dashboard that calls it) and
    stops in reverse (the scheduler first, so no sync is cut short by a vanishing store)."""
    python = sys.executable
    return [
        Child("api", [python, "-m", "api", "serve", "--host", host, "--port", str(api_port)]),
        Child("dashboard", [python, "-m", "dashboard", "serve", "--host", host,
                            "--port", str(dashboard_port)]),
        Child("scheduler", [python, "-m", "collectors", "schedule"]),
    ]


class Supervisor:
    """Starts the children, restarts one that ends with a growing pause, writes each one's
    output to `<logs>/<name>.log` and the terminal, and stops them all on SIGTERM or Ctrl-C."""

    def __init__(self, kids: list[Child], logs: Path, store: Any = None,
                 out: IO[str] | None = None, clock: Callable[[], float] = time.monotonic,
                 grace_s: float = GRACE_S, env: dict[str, str] | None = None) -> None:
        self.kids = kids
        self.env = env or {}  # settings the children get on top of this process's environment
        self.logs = logs
        self.store = store
        self.out = out or sys.stdout
        self.clock = clock
        self.grace_s = grace_s
        self.stopping = threading.Event()
        self._print_lock = threading.Lock()

    # --- output ----------------------------------------------------------------------------
    def say(self, name: str, text: str) -> None:
        with self._print_lock:
            self.out.write(f"{name:>9} | {text}\n")
            self.out.flush()

    def _pump(self, kid: Child, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            if kid.log is not None:
                kid.log.write(raw)
                kid.log.flush()
            self.say(kid.name, raw.decode("utf-8", "replace").rstrip())
        stream.close()

    def _record(self, kid: Child, state: str, exit_code: int | None = None) -> None:
        if self.store is None:
            return
        data: dict[str, Any] = {"state": state, "restarts": kid.restarts,
                                "at": datetime.now(UTC).isoformat(timespec="seconds")}
        if exit_code is not None:
            data["last_exit_code"] = exit_code
        try:
            self.store.put_doc(SPACE, kid.name, data)
        except Exception as exc:  # the status is a courtesy: never let it stop supervising
            self.say("up", f"could not record {kid.name}'s state: {exc}")

    # --- children --------------------------------------------------------------------------
    def start(self, kid: Child) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if kid.log is None:
            kid.log = (self.logs / f"{kid.name}.log").open("ab")
        # Its own session: Ctrl-C in the terminal reaches only the supervisor, which then
        # stops the children in order instead of all of them at once.
        kid.process = subprocess.Popen(kid.argv, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env={**os.environ, **self.env,
                                            "PYTHONUNBUFFERED": "1"})
        kid.started_at = self.clock()
        assert kid.process.stdout is not None
        pump = threading.Thread(target=self._pump, args=(kid, kid.process.stdout), daemon=True)
        pump.start()
        kid.pumps = [pump]
        self._record(kid, "running")

    def check(self, kid: Child) -> None:
        """Restarts a child that ended, after a pause that grows while it keeps failing."""
        now = self.clock()
        if kid.process is None:
            if now >= kid.next_start_at:
                self.start(kid)
            return
        code = kid.process.poll()
        if code is None:
            return
        ran_s = now - kid.started_at
        kid.restarts += 1
        pause_s = BACKOFF_S[0] if ran_s >= HEALTHY_S else BACKOFF_S[
            min(kid.restarts - 1, len(BACKOFF_S) - 1)]
        self.say("up", f"{kid.name} ended with exit code {code} after {ran_s:.0f} s; "
                       f"restarting in {pause_s:g} s (log: {self.logs / (kid.name + '.log')})")
        self._record(kid, "restarting", code)
        kid.process, kid.next_start_at = None, now + pause_s

    def stop(self) -> None:
        """SIGTERM to each child (the scheduler first), then wait; what is still running when
        the grace period ends is killed."""
        for kid in reversed(self.kids):
            if kid.process is not None and kid.process.poll() is None:
                self.say("up", f"stopping {kid.name}")
                kid.process.send_signal(signal.SIGTERM)
        deadline = self.clock() + self.grace_s
        for kid in reversed(self.kids):
            if kid.process is None:
                continue
            try:
                kid.process.wait(timeout=max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                self.say("up", f"{kid.name} did not stop within {self.grace_s:g} s; killing it")
                kid.process.kill()
                kid.process.wait()
            for pump in kid.pumps:
                pump.join(timeout=2)
            self._record(kid, "stopped", kid.process.returncode)
            if kid.log is not None:
                kid.log.close()

    def run(self, tick_s: float = 0.5) -> int:
        for kid in self.kids:
            self.start(kid)
        while not self.stopping.wait(tick_s):
            for kid in self.kids:
                self.check(kid)
        self.stop()
        return cli.EXIT_OK


# The secrets a local install needs before its owner has set any: (setting, what it is for).
MADE_SECRETS = (("secret_key", "signs the dashboard's sessions"),
                ("api_key", "the dashboard's key to the forecast API"))


def made_secrets(current: Any) -> dict[str, str]:
    """PULSEBOARD_SECRET_KEY and PULSEBOARD_API_KEY for the children when the owner has set
    none (a first run has no .env at all): each made once and kept, private, in the data dir, so
    a restart does not sign everyone out. A set variable (or SSM, or the demo) wins."""
    if current.ssm_prefix or current.demo:
        return {}
    made = {}
    for name, purpose in MADE_SECRETS:
        if getattr(current, name):
            continue
        path = current.data_dir / name
        if not path.exists():
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            with os.fdopen(os.open(path, flags, 0o600), "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            raise UsageError(f"{path} ({purpose}) is empty: delete it (a new one is made) or set "
                             f"PULSEBOARD_{name.upper()} in .env")
        made[f"PULSEBOARD_{name.upper()}"] = value
    return made


def dashboard_url(host: str, port: int) -> str:
    """The address to open: a wildcard host is served on every interface, so it is named by
    this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}/"


def first_run_steps(current: Any, store: Any, url: str) -> list[str]:
    """What a new owner still has to do, one line each (empty once set up): the setup page does
    the account and the connections; a provider left out needs its app's settings first."""
    from dashboard import setup

    steps = []
    if not setup.has_owner(store):
        code = setup.new_code(store)
        steps.append(f"open {url}setup?code={code} to create your owner login (the code works "
                     "once; restarting prints a new one)")
    callback = f"{url}oauth/<provider>/callback"
    providers = (
        ("Strava", "strava", current.strava_client_id,
         "set PULSEBOARD_STRAVA_CLIENT_ID and _CLIENT_SECRET in .env (Strava: Settings → My API "
         f"Application, Authorization Callback Domain {urlparse(url).hostname}) and restart"),
        ("Withings", "withings", current.withings_client_id,
         "set PULSEBOARD_WITHINGS_CLIENT_ID and _CLIENT_SECRET in .env (Withings developer "
         f"dashboard, callback URL {callback.replace('<provider>', 'withings')}) and restart"),
        ("the lifting sheet", "sheets", current.sheets_id and current.google_credentials,
         "set PULSEBOARD_GOOGLE_CREDENTIALS (a service-account file) and PULSEBOARD_SHEETS_ID "
         f"in .env and restart; {url}setup names the e-mail to share the sheet with"),
    )
    tokens = store.list_docs("token")
    for name, key, configured, step in providers:
        if not configured:
            steps.append(f"{name} (optional): {step}")
        elif key != "sheets" and key not in tokens:
            steps.append(f"{name}: press Connect on {url}setup (or run pulseboard connect {key})")
    return steps


def _port(url: str, default: int) -> int:
    return urlparse(url).port or default


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulseboard up", description="Run the dashboard, the API and the scheduler on "
        "this machine, on the embedded store; Ctrl-C or SIGTERM stops them cleanly.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8050, help="the dashboard's port")
    cli.add_debug(parser)
    parser.set_defaults(func=_up)
    return parser


def _up(args: argparse.Namespace) -> int:
    import settings
    from storage import open_store

    current = settings.get()
    store = open_store(current.store_url, current.user, current.aws)
    url = dashboard_url(args.host, args.port)
    steps = first_run_steps(current, store, url)
    if steps:
        # Printed, never opened: this may be a server with no browser, reached from elsewhere.
        print("Welcome to Pulseboard. Still to do, while this runs:")
        for step in steps:
            print(f"  - {step}")
    supervisor = Supervisor(children(_port(current.api_url, 8051), args.port, args.host),
                            current.data_dir / "logs", store, env=made_secrets(current))

    def on_signal(signum: int, _frame: Any) -> None:
        supervisor.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"Pulseboard on {url} (logs in {current.data_dir / 'logs'}); Ctrl-C stops it",
          flush=True)
    return supervisor.run()


def main(argv: list[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
