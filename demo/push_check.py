"""The demo's push check: Strava's stand-in subscribed to the running api's webhook, one run
uploaded to it, and the time until the scheduler has it in the store the dashboard reads."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from core.errors import PulseboardError

ROOT = Path(__file__).resolve().parents[1]
WITHIN_S = 30.0


class PushCheckError(PulseboardError):
    """The run uploaded to the stand-in did not reach the store: which step, and what it said."""


def subscribe(env: dict[str, str], api_url: str) -> str:
    """`python -m collectors subscribe strava --callback …`, as the owner runs it; its line."""
    callback = api_url.rstrip("/") + "/webhooks/strava"
    done = subprocess.run(
        [sys.executable, "-m", "collectors", "subscribe", "strava", "--callback", callback],
        env=env, cwd=ROOT, text=True, capture_output=True)
    if done.returncode != 0:
        raise PushCheckError(f"`python -m collectors subscribe strava` failed with exit "
                             f"{done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def _clock(at: datetime, tz: tzinfo) -> str:
    """The owner's clock, with its zone's abbreviation (as the dashboard shows times)."""
    return at.astimezone(tz).strftime("%H:%M:%S %Z")


def upload_and_wait(standins: Any, store_url: str, timeout_s: float = WITHIN_S,
                    now: Callable[[], datetime] = lambda: datetime.now(UTC),
                    tz: tzinfo = UTC) -> str:
    """Uploads one run to the Strava stand-in (its create event goes to the webhook) and waits
    until the store holds it; returns the line saying when each happened."""
    from storage import open_store

    uploaded_at = now()
    started = time.monotonic()
    run_id = str(standins.push.upload_run()["id"])
    with open_store(store_url) as store:
        while time.monotonic() - started < timeout_s:
            if any(a.id == run_id for a in store.latest("activities", n=5)):
                stored_at = now()
                took_s = (stored_at - uploaded_at).total_seconds()
                return (f"a run uploaded to the Strava stand-in at {_clock(uploaded_at, tz)} "
                        f"appeared on the dashboard at {_clock(stored_at, tz)} ({took_s:.1f} s), "
                        "by push")
            time.sleep(0.2)
    answers = [d.answers for d in standins.push.deliveries[-1:]]
    raise PushCheckError(f"a run uploaded to the Strava stand-in at {_clock(uploaded_at, tz)} was "
                         f"not in the store {timeout_s:.0f} s later (the webhook answered "
                         f"{answers}); see the api's and the scheduler's output above")


def run(env: dict[str, str], standins: Any, api_url: str) -> None:
    """Subscribes, uploads, waits; prints what happened."""
    print(subscribe(env, api_url), flush=True)
    from core import localtime

    owner_zone = localtime.zone(env.get("PULSEBOARD_TIMEZONE") or localtime.system_zone_name())
    print(upload_and_wait(standins, env["PULSEBOARD_STORE"], tz=owner_zone), flush=True)
