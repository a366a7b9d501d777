"""`python -m collectors sync|import|connect|schedule|status`: bring data into the store."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from collectors.common import SOURCES, Counts

# Modules that add their own commands with `register(subparsers)` when they are installed.
EXTENSIONS = ("collectors.files",)

SYNC_EPILOG = """\
Exit status: 0 when every source finished; 3 when one stopped early on a rate limit or its
request budget (progress is saved: the next run carries on); 1 on an error, with a message that
says what to do. With --source all, sources without credentials are skipped.
"""


def _open() -> tuple[Any, Any]:
    import settings
    from storage import open_blobs, open_store

    current = settings.get()
    return (open_store(current.store_url, current.user, current.aws),
            open_blobs(current.blobs_url, current.aws))


def _bar(source: str) -> Any:
    from tqdm import tqdm

    # Quiet unless someone is watching: logs and Lambda get the summary lines only.
    return tqdm(desc=source, unit=" records", file=sys.stderr, leave=False,
                disable=not sys.stderr.isatty())


def cmd_sync(args: argparse.Namespace) -> int:
    from collectors.runner import exit_code, sync_source

    sources = list(SOURCES) if args.source == "all" else [args.source]
    store, blobs = _open()
    results: list[Counts] = []
    with store:
        for source in sources:
            bar = _bar(source)
            try:
                counts = sync_source(source, store, blobs, full=args.full, bar=bar,
                                     debug=args.debug)
            finally:
                bar.close()
            results.append(counts)
            print(counts.line(), flush=True)
    return exit_code(results, explicit=args.source != "all")


def cmd_connect(args: argparse.Namespace) -> int:
    from collectors.connect import connect

    store, _ = _open()
    with store:
        connect(args.source, store, port=args.port,
                open_browser=None if args.no_browser else _browser)
    return 0


def _browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


def cmd_schedule(args: argparse.Namespace) -> int:
    from collectors import schedule

    jobs = schedule.load_jobs(args.settings_file, args.stage)
    store, _ = _open()
    with store:
        try:
            schedule.serve(store, jobs, once=args.once, tick_s=args.tick,
                           from_now=args.from_now)
        except KeyboardInterrupt:
            print("scheduler stopped")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import settings
    from collectors import tokens
    from storage.records import MEASUREMENT_TYPES

    current = settings.get()
    store, _ = _open()
    with store:
        configured = {
            "strava": bool(current.strava_client_id and current.strava_client_secret),
            "withings": bool(current.withings_client_id and current.withings_client_secret),
            "sheets": bool(current.google_credentials and current.sheets_id),
        }
        statuses = {k: d.data for k, d in store.list_docs("sync").items()}
        for source in SOURCES:
            print(f"{source}:")
            if not configured[source]:
                print("  not configured")
            elif source != "sheets":
                print(f"  token: {tokens.describe(store, source)}")
            info = statuses.get(source)
            if info is None:
                print("  never synced")
                continue
            print(f"  last run {info.get('last_run_at')}: {info.get('last_outcome')}"
                  f" (fetched {info.get('fetched', 0)}, stored {info.get('stored', 0)}, "
                  f"rejected {info.get('rejected', 0)}, requests {info.get('requests', 0)})")
            print(f"  last success: {info.get('last_success_at') or 'never'}")
            if info.get("message"):
                print(f"  {info['message']}")
        counts = {
            "activities": store.count("activities"),
            "streams": store.count("streams"),
            "lift_sets": store.count("lift_sets"),
            "rejected": store.count("rejected"),
        }
        for kind in MEASUREMENT_TYPES:
            counts[f"measurements {kind}"] = store.count("measurements", kind)
        print("store: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m collectors", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sync = sub.add_parser("sync", help="bring new data from the providers into the store",
                          epilog=SYNC_EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    sync.add_argument("--source", choices=[*SOURCES, "all"], default="all")
    sync.add_argument("--full", action="store_true",
                      help="list everything again, not only what changed since the last run")
    sync.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sync.set_defaults(func=cmd_sync)

    connect = sub.add_parser("connect", help="authorize Pulseboard at Strava or Withings")
    connect.add_argument("source", choices=["strava", "withings"])
    connect.add_argument("--port", type=int, default=8765,
                         help="loopback port for the redirect (the app's callback)")
    connect.add_argument("--no-browser", action="store_true",
                         help="only print the address to open")
    connect.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    connect.set_defaults(func=cmd_connect)

    from collectors.schedule import SETTINGS_FILE, STAGE, TICK_S

    schedule = sub.add_parser("schedule",
                              help="run the jobs stage's events of zappa_settings.json locally")
    schedule.add_argument("--once", action="store_true", help="run each due job once and exit")
    schedule.add_argument("--settings-file", default=SETTINGS_FILE,
                          help="zappa_settings.json to read (default: the project's)")
    schedule.add_argument("--stage", default=STAGE)
    schedule.add_argument("--tick", type=float, default=TICK_S,
                          help="seconds between checks (of jobs, Sync now requests, the inbox)")
    schedule.add_argument("--from-now", action="store_true",
                          help="run no job at start, even one never run or overdue: each first "
                               "runs when its next time comes (after syncing by hand)")
    schedule.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    schedule.set_defaults(func=cmd_schedule)

    status = sub.add_parser("status", help="how each source's last sync went")
    status.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    status.set_defaults(func=cmd_status)

    for name in EXTENSIONS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; the traceback only with --debug
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
