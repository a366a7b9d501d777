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

ROOT = Path(__file__).resolve().parents[1]
DEMO_USER = "demo"


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(
    argv: list[str], env: dict[str, str], stdin: str | None = None, ok: tuple[int, ...] = (0,)
) -> int:
    """Runs one pipeline step as a user would, in its own process; stops the demo if it fails."""
    done = subprocess.run([sys.executable, *argv], env=env, cwd=ROOT, input=stdin, text=True)
    if done.returncode not in ok:
        raise SystemExit(f"demo: `python {' '.join(argv)}` failed with exit {done.returncode}")
    return done.returncode


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
    raise SystemExit(f"demo: nothing answered at {url} within {timeout_s:.0f} s")


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
    args = parser.parse_args(argv)

    # The demo has its own data dir so it never mixes with a real store in ./var.
    data_dir = (ROOT / args.data_dir).resolve()
    env = {
        **os.environ,
        "PULSEBOARD_DEMO": "true",
        "PULSEBOARD_DATA_DIR": str(data_dir),
        "PULSEBOARD_STORE": f"sqlite:///{data_dir / 'pulseboard.db'}",
        "PULSEBOARD_BLOBS": f"file://{data_dir / 'blobs'}",
        "PULSEBOARD_API_URL": f"http://127.0.0.1:{args.api_port}",
    }
    secret_file = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
        secret_file.chmod(0o600)
    env["PULSEBOARD_SECRET_KEY"] = secret_file.read_text().strip()

    from demo.athlete import Athlete
    from demo.standins import StandIns

    step(f"synthetic athlete: {args.years} years, seed {args.seed}")
    athlete = Athlete.generate(seed=args.seed, years=args.years)
    children: list[subprocess.Popen[str]] = []
    with StandIns(athlete) as standins:
        env.update(standins.env())
        print(
            f"stand-ins on loopback: Strava {standins.strava_url}, Withings "
            f"{standins.withings_url}, Sheets {standins.sheets_url}"
        )

        step("sync: the real collectors against the stand-ins")
        run(["-m", "collectors", "sync", "--source", "all"], env, ok=(0, 3))
        step("sync again (should change nothing)")
        run(["-m", "collectors", "sync", "--source", "all"], env, ok=(0, 3))

        step("train the forecaster")
        run(["-m", "models", "train"], env)

        step("demo user")
        password = secrets.token_urlsafe(9)
        run(["-m", "dashboard", "users", "remove", DEMO_USER], env, ok=(0, 1))
        run(
            ["-m", "dashboard", "users", "add", DEMO_USER, "--role", "owner", "--password-stdin"],
            env,
            stdin=password + "\n",
        )

        step("serve")
        api = ["-m", "api", "serve", "--host", "127.0.0.1", "--port", str(args.api_port)]
        dash = ["-m", "dashboard", "serve", "--host", "127.0.0.1", "--port", str(args.port)]
        for argv_ in (api, dash):
            children.append(
                subprocess.Popen([sys.executable, *argv_], env=env, cwd=ROOT, text=True)
            )
        try:
            wait_http(f"http://127.0.0.1:{args.api_port}/health")
            wait_http(f"http://127.0.0.1:{args.port}/login")
            print(
                f"\nPulseboard demo is up:  http://127.0.0.1:{args.port}/\n"
                f"  user:     {DEMO_USER}\n  password: {password}\n"
                f"  forecast API: http://127.0.0.1:{args.api_port}/forecast (see /openapi.json)\n"
                "Ctrl-C stops it.",
                flush=True,
            )
            while not args.check:
                time.sleep(1)
                if any(child.poll() is not None for child in children):
                    raise SystemExit("demo: a server stopped; see its output above")
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
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
