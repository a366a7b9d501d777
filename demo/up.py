"""`make demo`: a synthetic athlete through the real pipeline, then the API and the dashboard."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from core import cli
from core.errors import PulseboardError

ROOT = Path(__file__).resolve().parents[1]
DEMO_USER = "demo"
# Years of history take several runs of Strava's 15-minute read limit (3 years: about 6).
MAX_SYNC_RUNS = 30
WINDOW_S = 15 * 60
DAY_S = 24 * 3600
# The scheduler looks this often for "Sync now" requests and files in the inbox.
SCHEDULER_TICK_S = 2.0


class DemoError(PulseboardError):
    """A step of the demo failed: which one, and what it said or how it ended."""


class ProviderClock:
    """The stand-ins' clock. A sync run stopped by Strava's read limit is followed, in real
    life, by a scheduled run hours later that meets a fresh limit window; the demo moves the
    providers' clock on to that window instead of waiting for it."""

    def __init__(self) -> None:
        self.ahead_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead_s

    def next_window(self, day_used: bool) -> str:
        """Moves on to the next 15-minute window, or to the next UTC day when the daily limit
        is what stopped the run; says how far it moved."""
        now = self()
        step = (DAY_S if day_used else WINDOW_S) - now % (DAY_S if day_used else WINDOW_S)
        self.ahead_s += step
        return f"{step / 60:.0f} min"


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(
    argv: list[str], env: dict[str, str], stdin: str | None = None, ok: tuple[int, ...] = (0,),
    quiet: bool = False,
) -> int:
    """Runs one pipeline step as a user would, in its own process; stops the demo if it fails
    (`quiet`: its errors are expected, e.g. removing a user a fresh data dir never had)."""
    done = subprocess.run([sys.executable, *argv], env=env, cwd=ROOT, input=stdin, text=True,
                          stderr=subprocess.DEVNULL if quiet else None)
    if done.returncode not in ok:
        raise DemoError(f"the demo step `python {' '.join(argv)}` failed with exit "
                        f"{done.returncode}")
    return done.returncode


def forget_old_tokens(store_url: str) -> None:
    """The stand-ins issue new credentials each time they start: tokens that an earlier demo
    stored in this data dir are another provider's. Without them the syncs start from the
    stand-ins' refresh tokens (the settings seed an empty token store), as after `connect`."""
    from storage import open_store

    with open_store(store_url) as store:
        for source in ("strava", "withings", "sheets"):
            store.delete_doc("token", source)


def sync(env: dict[str, str]) -> tuple[int, list[str]]:
    """One `collectors sync --source all`; its exit status and its lines (also printed)."""
    argv = ["-m", "collectors", "sync", "--source", "all"]
    done = subprocess.run([sys.executable, *argv], env=env, cwd=ROOT, text=True,
                          stdout=subprocess.PIPE)
    print(done.stdout, end="", flush=True)
    if done.returncode not in (cli.EXIT_OK, cli.EXIT_STOPPED):
        raise DemoError(f"the demo step `python {' '.join(argv)}` failed with exit "
                        f"{done.returncode}")
    return done.returncode, done.stdout.splitlines()


def sync_until_complete(env: dict[str, str], standins: Any, clock: ProviderClock) -> int:
    """Syncs until every source has everything (exit 0); returns how many runs it took."""
    from demo.standins import STRAVA_READ_LIMITS

    for attempt in range(1, MAX_SYNC_RUNS + 1):
        print(f"-- sync run {attempt}", flush=True)
        code, _ = sync(env)
        if code == 0:
            return attempt
        day_used = standins.strava_usage()[1] >= STRAVA_READ_LIMITS[1]
        moved = clock.next_window(day_used)
        print(f"   stopped early at a rate limit, progress saved; the stand-ins' clock moves "
              f"{moved} on, to the fresh {'day' if day_used else '15-minute window'} the "
              "next scheduled run would meet", flush=True)
    raise DemoError(f"the sync did not complete in {MAX_SYNC_RUNS} runs")


def import_files(athlete: Any, data_dir: Path, env: dict[str, str]) -> None:
    from demo import athlete_files

    made = athlete_files.write(athlete, data_dir / "files")
    print(f"a watch's folder {made.watch_folder} (runs Strava never saw, and its own copy of "
          f"Strava activity {made.duplicate_of}) and a Strava export {made.export_zip} (an older "
          "account's runs and a session entered by hand)", flush=True)
    run(["-m", "collectors", "import", str(made.watch_folder), str(made.export_zip)], env)
    print(f"The copy of Strava activity {made.duplicate_of} is a duplicate: Strava's activity "
          "stays, with the watch's heart rate filling its stream.", flush=True)


def check_inbox(athlete: Any, data_dir: Path, timeout_s: float = 30.0) -> None:
    """A file dropped into the inbox is imported by the running scheduler."""
    from datetime import UTC, datetime, timedelta

    from demo.activity_files import gpx_text
    from demo.athlete_files import watch_run

    day = athlete.end - timedelta(days=2)
    start = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
    inbox = data_dir / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    dropped = inbox / "check-run.gpx"
    for earlier in (data_dir / "imported").glob("check-run*"):
        earlier.unlink()  # left by an earlier check
    dropped.write_text(gpx_text(watch_run(athlete, start, 4_000, key=999), name="Inbox check"))
    past = time.time() - 60  # the inbox leaves files still being copied for the next look
    os.utime(dropped, (past, past))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (data_dir / "imported" / dropped.name).exists():
            print(f"inbox: {dropped.name} was imported by the scheduler", flush=True)
            return
        time.sleep(0.3)
    raise DemoError(f"the scheduler did not import {dropped} within {timeout_s:.0f} s")


def wait_http(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, even if with 401/404
        except OSError:
            time.sleep(0.3)
    raise DemoError(f"nothing answered at {url} within {timeout_s:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.up", description=__doc__)
    parser.add_argument("--data-dir", default="var/demo", help="where the demo keeps its store")
    parser.add_argument("--years", type=int, default=3, help="years of synthetic history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8050, help="dashboard port")
    parser.add_argument("--api-port", type=int, default=8051)
    parser.add_argument(
        "--check", action="store_true", help="start everything, check it answers, then stop"
    )
    parser.add_argument("--timezone", help="the owner's IANA zone, e.g. America/Los_Angeles "
                        "(default: PULSEBOARD_TIMEZONE, else this computer's zone)")
    parser.add_argument("--units", choices=("metric", "imperial"),
                        help="units shown by default (default: PULSEBOARD_UNITS, else metric)")
    args = cli.add_debug(parser).parse_args(argv)
    return cli.run(lambda: up(args), debug=args.debug)


def demo_env(args: argparse.Namespace) -> tuple[Path, dict[str, str]]:
    """The demo's data dir and the environment every step runs with."""
    # The demo has its own data dir so it never mixes with a real store in ./var.
    data_dir = (ROOT / args.data_dir).resolve()
    env = {
        **os.environ,
        "PULSEBOARD_DEMO": "true",
        "PULSEBOARD_DATA_DIR": str(data_dir),
        "PULSEBOARD_STORE": f"sqlite:///{data_dir / 'pulseboard.db'}",
        "PULSEBOARD_BLOBS": f"file://{data_dir / 'blobs'}",
        "PULSEBOARD_API_URL": f"http://127.0.0.1:{args.api_port}",
        # The demo athlete is synthetic: training on what the Strava stand-in serves breaks no
        # agreement, so the demo opts in (a real owner decides for themselves; see README).
        "PULSEBOARD_FORECAST_USE_STRAVA_API": "true",
    }
    # Shown zone and units: the flags over the environment's PULSEBOARD_TIMEZONE / _UNITS.
    if getattr(args, "timezone", None):
        from core import localtime

        env["PULSEBOARD_TIMEZONE"] = localtime.zone(args.timezone).key
    if getattr(args, "units", None):
        env["PULSEBOARD_UNITS"] = args.units
    secret_file = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
        secret_file.chmod(0o600)
    env["PULSEBOARD_SECRET_KEY"] = secret_file.read_text().strip()
    return data_dir, env


def up(args: argparse.Namespace) -> int:
    """Every step in turn, then serves until Ctrl-C (with --check: until all of it answers)."""
    from demo.athlete import Athlete
    from demo.standins import StandIns

    data_dir, env = demo_env(args)
    started = time.monotonic()
    step(f"synthetic athlete: {args.years} years, seed {args.seed}")
    athlete = Athlete.generate(seed=args.seed, years=args.years)
    clock = ProviderClock()
    with StandIns(athlete, clock=clock) as standins:
        env.update(standins.env())
        # The api's webhook validates Strava's subscription with it (the push check, below).
        env.setdefault("PULSEBOARD_STRAVA_VERIFY_TOKEN", secrets.token_urlsafe(16))
        forget_old_tokens(env["PULSEBOARD_STORE"])
        print(
            f"stand-ins on loopback: Strava {standins.strava_url}, Withings "
            f"{standins.withings_url}, Sheets {standins.sheets_url}"
        )
        password = fill(env, standins, clock, athlete, data_dir)
        serve(args, env, athlete, data_dir, password, started, standins=standins)
    return 0


def fill(env: dict[str, str], standins: Any, clock: ProviderClock, athlete: Any,
         data_dir: Path) -> str:
    """Sync, files, a sync that must change nothing, training, the demo user; its password."""
    step("sync: the real collectors against the stand-ins, until complete")
    runs = sync_until_complete(env, standins, clock)
    print(f"complete after {runs} sync run{'s' * (runs != 1)}")

    step("activity files: a watch's FIT folder and a Strava export")
    import_files(athlete, data_dir, env)

    step("sync again (should change nothing)")
    code, lines = sync(env)
    changed = [line for line in lines if "stored 0, deleted 0," not in line]
    if code != 0 or changed:
        raise DemoError("a sync right after a complete one changed the store: "
                        + "; ".join(changed or lines))

    step("the store")
    run(["-m", "collectors", "status"], env)

    step("train the forecaster")
    run(["-m", "models", "train"], env)

    step("demo user")
    password = secrets.token_urlsafe(9)
    run(["-m", "dashboard", "users", "remove", DEMO_USER], env, ok=(0, 1), quiet=True)
    run(
        ["-m", "dashboard", "users", "add", DEMO_USER, "--role", "owner", "--password-stdin"],
        env,
        stdin=password + "\n",
    )
    return password


def serve(args: argparse.Namespace, env: dict[str, str], athlete: Any, data_dir: Path,
          password: str, started: float, standins: Any = None) -> None:
    """The API, the dashboard and the scheduler, until Ctrl-C or (with --check) they answer."""
    step("serve, and the scheduler (Sync now, the inbox, the collectors' schedule)")
    api = ["-m", "api", "serve", "--host", "127.0.0.1", "--port", str(args.api_port)]
    dash = ["-m", "dashboard", "serve", "--host", "127.0.0.1", "--port", str(args.port)]
    # Everything was just synced and trained: jobs first run at their next time.
    scheduler = ["-m", "collectors", "schedule", "--from-now",
                 "--tick", f"{SCHEDULER_TICK_S:g}"]
    children = [subprocess.Popen([sys.executable, *argv], env=env, cwd=ROOT, text=True)
                for argv in (api, dash, scheduler)]
    try:
        wait_http(f"http://127.0.0.1:{args.api_port}/health")
        wait_http(f"http://127.0.0.1:{args.port}/login")
        if standins is not None:  # a run uploaded to Strava reaches the store by push
            from demo import push_check

            push_check.run(env, standins, f"http://127.0.0.1:{args.api_port}")
        if args.check:
            check_inbox(athlete, data_dir)
        print(
            f"\nPulseboard demo is up in {time.monotonic() - started:.0f} s:  "
            f"http://127.0.0.1:{args.port}/\n"
            f"  user:     {DEMO_USER}\n  password: {password}\n"
            f"  forecast API: http://127.0.0.1:{args.api_port}/forecast (see /openapi.json)\n"
            f"  inbox: drop .fit/.gpx/.tcx files or a Strava export .zip into "
            f"{data_dir / 'inbox'}/ (imported within seconds); \"Sync now\" on the overview "
            "page syncs all sources\n"
            "Ctrl-C stops it.",
            flush=True,
        )
        while not args.check:
            time.sleep(1)
            if any(child.poll() is not None for child in children):
                raise DemoError("a server or the scheduler stopped; see its output above")
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
