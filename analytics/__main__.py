"""`python -m analytics backfill`: summaries for the activities stored before they existed."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core import cli


def _backfill(args: argparse.Namespace) -> int:
    import settings
    from analytics import summary
    from storage import open_store

    current = settings.get()
    with open_store(current.store_url, current.user, current.aws) as store:
        written, missing = summary.backfill(store, redo=args.all)
    print(f"{written} activity summaries written; {missing} activities have no stream "
          "(their load is estimated from their totals)")
    return cli.EXIT_OK


def parser() -> argparse.ArgumentParser:
    root = cli.add_debug(argparse.ArgumentParser(prog="python -m analytics", description=__doc__))
    sub = root.add_subparsers()
    fill = sub.add_parser("backfill", help="summarise stored streams that have no summary")
    fill.add_argument("--all", action="store_true", help="recompute every summary")
    fill.set_defaults(func=_backfill)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
