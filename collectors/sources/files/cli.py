"""The `import` command of `python -m collectors`: files, folders and archives into the store."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from collectors.sources.files.importer import import_paths
from collectors.sources.files.outcomes import Summary
from core.cli import EXIT_OK, add_debug
from storage.base import Store

EPILOG = """\
Files: .fit .gpx .tcx (each optionally .gz), folders (searched recursively) and ZIP archives,
Strava's "download your data" export included (its activities.csv names the activities).
An activity already in the store (start within 60 s, distance within 2 %) is a duplicate:
the stored one is kept, and this file's samples fill a stream it lacks. A file imported before
Strava's sync brings the same activity is merged into Strava's by that sync.

Exit status: 0 when the run finished, even if some files were rejected (each is listed with
the reason: a data problem, not a program error); 1 on an error (a path that does not exist,
the store unreachable, a bad setting).
"""


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Adds the `import` command to the collectors CLI."""
    parser = subparsers.add_parser(
        "import",
        help="import activity files (FIT, GPX, TCX, Strava's export ZIP)",
        description="Import activity files into the store.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help="files parsed at once, in N processes (default: %(default)s)",
    )
    add_debug(parser)
    parser.set_defaults(func=run, command="import")
    return parser


def report(summary: Summary, out: Any = None) -> None:
    out = out or sys.stdout
    for outcome in summary.rejections:
        print(f"rejected  {outcome.ref}: {outcome.reason}", file=out)
    print(summary.line().capitalize() + ".", file=out)
    if summary.rejected:
        print(
            "Rejected files were left as they are; fix them as each reason says and import "
            "them again.",
            file=out,
        )


def run(args: argparse.Namespace, store: Store | None = None) -> int:
    """The command itself; errors propagate to the one CLI helper (core.cli)."""
    if store is None:
        import settings
        from storage import open_store

        current = settings.get()
        store = open_store(current.store_url, current.user, current.aws)
    jobs = max(1, int(getattr(args, "jobs", 1) or 1))
    summary = import_paths(store, args.paths, progress=True, workers=jobs)
    report(summary)
    return EXIT_OK
