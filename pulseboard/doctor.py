"""`pulseboard doctor`: checks a setup and says what is wrong, one line each, with what to do."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core import cli

OK, WARN, FAIL = "ok", "warn", "FAIL"
MODEL_MANIFEST = "models/forecast/manifest.json"
# Older than this, a provider's last good sync (scheduled every 3 h, the sheet daily) or the
# weekly model means the schedule is not running.
SYNC_STALE = timedelta(days=2)
MODEL_STALE = timedelta(days=15)
SCHEDULER_STALE = timedelta(hours=26)
MIN_FREE_BYTES = 1 << 30
SETUP_URL = "http://127.0.0.1:8050/setup"  # `pulseboard up`'s default address


@dataclass(frozen=True)
class Finding:
    level: str
    what: str
    text: str

    def line(self) -> str:
        return f"{self.level:<4}  {self.what:<10} {self.text}"


def _age(stamp: str | None, now: datetime) -> timedelta | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return now - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _ago(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"


def check_python() -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] != (3, 12):
        return Finding(FAIL, "python", f"{version}; Pulseboard runs on 3.12 (as Lambda does)")
    return Finding(OK, "python", version)


def check_disk(data_dir: Path) -> Finding:
    usage = shutil.disk_usage(data_dir)
    free_gb = usage.free / (1 << 30)
    if usage.free < MIN_FREE_BYTES:
        return Finding(WARN, "disk", f"{free_gb:.1f} GB free where {data_dir} is; free some "
                                     "space (imports and raw payloads keep growing)")
    return Finding(OK, "disk", f"{free_gb:.0f} GB free for {data_dir}")


def check_store(store: Any, store_url: str) -> Finding:
    try:
        weigh_ins = store.count("measurements", "weight_kg")
        activities = store.count("activities")
    except Exception as exc:
        return Finding(FAIL, "store", f"{store_url} cannot be read: {exc}")
    return Finding(OK, "store", f"{store_url}: {weigh_ins} weigh-ins, {activities} activities")


def check_model(blobs: Any, blobs_url: str, now: datetime) -> Finding:
    try:
        if blobs.head(MODEL_MANIFEST) is None:
            return Finding(WARN, "model", "none published yet: pulseboard train (once a few "
                                          "months of weigh-ins and training are in)")
        manifest = json.loads(blobs.get(MODEL_MANIFEST)[0])
    except Exception as exc:
        return Finding(FAIL, "blobs", f"{blobs_url} cannot be read: {exc}")
    age = _age(manifest.get("trained_at"), now)
    if age is None:
        return Finding(WARN, "model", "its manifest has no training time: pulseboard train")
    if age > MODEL_STALE:
        return Finding(WARN, "model", f"trained {_ago(age)}; the weekly training has not run "
                                      "(is the scheduler up?): pulseboard train")
    return Finding(OK, "model", f"trained {_ago(age)}")


def check_sources(store: Any, configured: dict[str, bool], now: datetime) -> Iterator[Finding]:
    statuses = {key: doc.data for key, doc in store.list_docs("sync").items()}
    tokens = store.list_docs("token")
    for source, is_configured in configured.items():
        if not is_configured:
            yield Finding(OK, source, "not configured (optional)")
            continue
        status = statuses.get(source, {})
        if source in ("strava", "withings") and source not in tokens and not status:
            yield Finding(FAIL, source, f"configured but never connected: press Connect on "
                                        f"{SETUP_URL} (or pulseboard connect {source})")
            continue
        age = _age(status.get("last_success_at"), now)
        outcome = status.get("last_outcome", "never run")
        if age is None:
            yield Finding(WARN, source, f"no complete sync yet (last: {outcome}): "
                                        f"pulseboard sync --source {source}")
        elif age > SYNC_STALE:
            yield Finding(WARN, source, f"last complete sync {_ago(age)} (last run: {outcome}; "
                                        f"{status.get('message', '')}".rstrip("; ") + ")")
        else:
            yield Finding(OK, source, f"synced {_ago(age)}")


def check_owner(store: Any, local: bool) -> Finding:
    """Nobody can sign in before an owner exists; locally the setup page makes one."""
    owners = [name for name, doc in store.list_docs("users").items()
              if doc.data.get("role") == "owner"]
    if owners:
        return Finding(OK, "owner", ", ".join(sorted(owners)))
    where = (f"open the setup address pulseboard up prints ({SETUP_URL}?code=…), or "
             if local else "")
    return Finding(FAIL, "owner", f"none yet, so nobody can sign in: {where}pulseboard users "
                                  "add YOUR_NAME --role owner")


def check_scheduler(store: Any, now: datetime) -> Finding:
    runs = [doc.data.get("last_run_at") for doc in store.list_docs("schedule").values()]
    ages = [age for age in (_age(r, now) for r in runs) if age is not None]
    if not ages:
        return Finding(WARN, "scheduler", "has never run a job: pulseboard up (or pulseboard "
                                          "schedule) runs it")
    newest = min(ages)
    if newest > SCHEDULER_STALE:
        return Finding(WARN, "scheduler", f"last ran a job {_ago(newest)}: is pulseboard up "
                                          "running?")
    crashed = [name for name, doc in store.list_docs("supervisor").items()
               if doc.data.get("state") == "restarting"]
    if crashed:
        return Finding(WARN, "scheduler", f"last job {_ago(newest)}; restarting after a crash: "
                                          f"{', '.join(crashed)} (see the logs folder)")
    return Finding(OK, "scheduler", f"last job {_ago(newest)}")


def run_checks(now: datetime | None = None) -> list[Finding]:
    import settings
    from storage import open_blobs, open_store

    now = now or datetime.now(UTC)
    findings = [check_python()]
    try:
        current = settings.get()
    except settings.SettingsError as exc:
        return [*findings, Finding(FAIL, "settings", str(exc))]
    findings.append(Finding(OK, "settings", f"data in {current.data_dir}"))
    findings.append(check_disk(current.data_dir))
    store = open_store(current.store_url, current.user, current.aws)
    findings.append(check_store(store, current.store_url))
    if findings[-1].level == FAIL:
        return findings
    findings.append(check_owner(store, current.store_url.startswith("sqlite:")))
    findings.append(check_model(open_blobs(current.blobs_url, current.aws),
                                current.blobs_url, now))
    configured = {
        "strava": bool(current.strava_client_id),
        "withings": bool(current.withings_client_id),
        "sheets": bool(current.sheets_id),
    }
    findings.extend(check_sources(store, configured, now))
    findings.append(check_scheduler(store, now))
    return findings


def _doctor(args: argparse.Namespace) -> int:
    findings = run_checks()
    for finding in findings:
        print(finding.line())
    return cli.EXIT_ERROR if any(f.level == FAIL for f in findings) else cli.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulseboard doctor", description=__doc__)
    cli.add_debug(parser)
    parser.set_defaults(func=_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
