"""`python -m collectors sync|import|connect|subscribe|schedule|status`: bring data into the
store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import settings
from collectors import sources
from collectors.common import Counts
from collectors.sources.files import register as register_import
from core import cli

SYNC_EPILOG = """\
Exit status: 0 when every source finished; 3 when one stopped early on a rate limit or its
request budget (progress is saved: the next run carries on); 1 on an error, with a message that
says what to do; 2 when the command or a setting is wrong. With --source all, sources without
credentials are skipped.
"""


def _bar(source: str) -> Any:
    from tqdm import tqdm

    # Quiet unless someone is watching: logs and Lambda get the summary lines only.
    return tqdm(desc=source, unit=" records", file=sys.stderr, leave=False,
                disable=not sys.stderr.isatty())


def cmd_sync(args: argparse.Namespace) -> int:
    from collectors.edge import open_store_and_blobs, sync_source
    from collectors.runner import exit_code

    current = settings.get()
    chosen = sources.syncing() if args.source == "all" else [sources.get(args.source)]
    store, blobs = open_store_and_blobs(current)
    results: list[Counts] = []
    with store:
        for source in chosen:
            bar = _bar(source.name)
            try:
                counts = sync_source(source.name, store, blobs, current, full=args.full,
                                     bar=bar, debug=args.debug)
            finally:
                bar.close()
            results.append(counts)
            print(counts.line(), flush=True)
    return exit_code(results, explicit=args.source != "all")


def cmd_connect(args: argparse.Namespace) -> int:
    from collectors.connect import connect
    from collectors.edge import open_store_and_blobs

    current = settings.get()
    source = sources.get(args.source)
    store, _ = open_store_and_blobs(current)
    with store:
        connect(source, source.configure(current), store, port=args.port,
                open_browser=None if args.no_browser else _browser)
    return cli.EXIT_OK


def cmd_subscribe(args: argparse.Namespace) -> int:
    from collectors.edge import open_store_and_blobs
    from collectors.subscribe import subscribe

    current = settings.get()
    source = sources.get(args.source)
    store, _ = open_store_and_blobs(current)
    with store:
        token = current.secret("strava_verify_token") if args.source == "strava" and not (
            args.list or args.delete) else ""
        subscribe(args.source, source.configure(current), store, args.callback, args.list,
                  args.delete, verify_token=token)
    return cli.EXIT_OK


def _browser(url: str) -> None:
    import webbrowser

    webbrowser.open(url)


def cmd_schedule(args: argparse.Namespace) -> int:
    from collectors import schedule
    from collectors.edge import open_store_and_blobs

    current = settings.get()
    jobs = schedule.load_jobs(args.settings_file, args.stage)
    store, _ = open_store_and_blobs(current)
    restore = schedule.stop_on_signals()
    try:
        with store:
            schedule.serve(store, jobs, once=args.once, tick_s=args.tick,
                           from_now=args.from_now, data_dir=current.data_dir)
    finally:
        restore()
    return cli.EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from collectors import tokens
    from collectors.edge import open_store_and_blobs
    from storage.records import MEASUREMENT_TYPES

    current = settings.get()
    store, _ = open_store_and_blobs(current)
    with store:
        statuses = {k: d.data for k, d in store.list_docs("sync").items()}
        for source in sources.syncing():
            print(f"{source.name}:")
            if not source.configure(current).configured:
                print("  not configured")
            elif source.oauth is not None:
                print(f"  token: {tokens.describe(store, source.name)}")
            info = statuses.get(source.name)
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
    return cli.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m collectors", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sync = sub.add_parser("sync", help="bring new data from the providers into the store",
                          epilog=SYNC_EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    sync.add_argument("--source", choices=[*(s.name for s in sources.syncing()), "all"],
                      default="all")
    sync.add_argument("--full", action="store_true",
                      help="list everything again, not only what changed since the last run")
    cli.add_debug(sync)
    sync.set_defaults(func=cmd_sync)

    oauth = [s.name for s in sources.with_oauth()]
    connect = sub.add_parser("connect", help=f"authorize Pulseboard at {' or '.join(oauth)}")
    connect.add_argument("source", choices=oauth)
    connect.add_argument("--port", type=int, default=8765,
                         help="loopback port for the redirect (the app's callback)")
    connect.add_argument("--no-browser", action="store_true",
                         help="only print the address to open")
    cli.add_debug(connect)
    connect.set_defaults(func=cmd_connect)

    subscribe = sub.add_parser("subscribe", help="push: the provider calls the api stage's "
                               "webhook on every new activity or weigh-in")
    subscribe.add_argument("source", choices=["strava", "withings"])
    subscribe.add_argument("--callback", help="the webhook URL (make deploy STAGE=api prints it)")
    what = subscribe.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="show the subscriptions there are")
    what.add_argument("--delete", action="store_true", help="remove the subscriptions")
    cli.add_debug(subscribe)
    subscribe.set_defaults(func=cmd_subscribe)

    from collectors.schedule import SETTINGS_FILE, STAGE, TICK_S

    schedule = sub.add_parser(
        "schedule", help="run the jobs and train stages' events of zappa_settings.json locally")
    schedule.add_argument("--once", action="store_true", help="run each due job once and exit")
    schedule.add_argument("--settings-file", default=SETTINGS_FILE,
                          help="zappa_settings.json to read (default: the project's)")
    schedule.add_argument("--stage", default=STAGE,
                          help="stages whose events run, comma-separated (default: %(default)s)")
    schedule.add_argument("--tick", type=float, default=TICK_S,
                          help="seconds between checks (of jobs, Sync now requests, the inbox)")
    schedule.add_argument("--from-now", action="store_true",
                          help="run no job at start, even one never run or overdue: each first "
                               "runs when its next time comes (after syncing by hand)")
    cli.add_debug(schedule)
    schedule.set_defaults(func=cmd_schedule)

    status = sub.add_parser("status", help="how each source's last sync went")
    cli.add_debug(status)
    status.set_defaults(func=cmd_status)

    register_import(sub)  # the files source's own `import` command
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
