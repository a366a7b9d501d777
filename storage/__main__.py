"""`python -m storage`: export (own your data), load an export back, and show the store's status."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any, TextIO

import settings
from core import cli
from core.cli import add_debug
from storage import MEASUREMENT_TYPES, open_blobs, open_store
from storage.base import Blobs, Store, StoreError, record_class
from storage.records import RECORD_TYPES, Record

KINDS = tuple(RECORD_TYPES)


def _series(kind: str) -> tuple[str, ...]:
    return MEASUREMENT_TYPES if kind == "measurements" else ("",)


def iter_records(store: Store, kind: str, since: date | None = None) -> Iterator[Record]:
    """Every record of a kind, in key order; `since` keeps records from that day on."""
    if kind == "streams":
        # Streams are keyed by activity; `since` applies to the activity's start.
        if since is None:
            yield from store.query("streams")
            return
        for activity in store.query("activities", start=since):
            stream = store.get("streams", activity.id)
            if stream is not None:
                yield stream
        return
    if kind == "rejected" and since is not None:
        yield from (r for r in store.query("rejected") if r.seen_at.date() >= since)
        return
    for series in _series(kind):
        yield from store.query(kind, series, start=since)


def write_jsonl(records: Iterator[Record], out: TextIO) -> int:
    n = 0
    for record in records:
        out.write(json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")
        n += 1
    return n


def write_csv(kind: str, records: Iterator[Record], out: TextIO) -> int:
    import dataclasses

    names = [f.name for f in dataclasses.fields(record_class(kind))]  # type: ignore[arg-type]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    n = 0
    for record in records:
        row: dict[str, Any] = record.to_dict()
        writer.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
        n += 1
    return n


def load_jsonl(store: Store, kind: str, lines: TextIO) -> int:
    """Loads a JSONL export back (idempotent: loading twice changes nothing)."""
    cls = record_class(kind)
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(cls.from_dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise StoreError(f"line {number}: not a {kind} record ({exc})") from None
    return store.put(records)


def status(store: Store, blobs: Blobs, out: TextIO, store_url: str, blobs_url: str) -> None:
    out.write(f"store  {store_url}\nblobs  {blobs_url}\n")
    for kind in KINDS:
        total = sum(store.count(kind, s) for s in _series(kind))
        out.write(f"{kind:<14}{total:>9}\n")
    for source, doc in sorted(store.list_docs("sync").items()):
        out.write(
            f"sync {source:<10} {doc.data.get('last_outcome', '?')} at "
            f"{doc.data.get('last_success_at', 'never')}\n"
        )
    models = blobs.head("models/forecast/manifest.json")
    out.write(f"model  {'published' if models else 'none yet (python -m models train)'}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storage", description=__doc__)
    add_debug(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write one kind of record to stdout")
    export.add_argument("--kind", choices=KINDS, required=True)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD, inclusive")
    load = sub.add_parser("load", help="read a JSONL export of one kind from stdin")
    load.add_argument("--kind", choices=KINDS, required=True)
    sub.add_parser("status", help="what the store holds")
    sub.add_parser("init", help="create the DynamoDB table / S3 bucket when missing")
    parser.set_defaults(func=_command)
    return parser


def _command(args: argparse.Namespace) -> int:
    current = settings.get()  # the edge: settings are read here and passed down
    store = open_store(current.store_url, current.user, current.aws)
    blobs = open_blobs(current.blobs_url, current.aws)
    if args.command == "export":
        records = iter_records(store, args.kind, args.since)
        if args.format == "csv":
            write_csv(args.kind, records, sys.stdout)
        else:
            write_jsonl(records, sys.stdout)
    elif args.command == "load":
        print(f"loaded {load_jsonl(store, args.kind, sys.stdin)} {args.kind}", file=sys.stderr)
    elif args.command == "init":
        init_backends(store, blobs)
    else:
        status(store, blobs, sys.stdout, current.store_url, current.blobs_url)
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


def init_backends(store: Store, blobs: Blobs) -> None:
    ensure_table = getattr(store, "ensure_table", None)
    if ensure_table is not None:
        ensure_table()
    ensure_bucket = getattr(blobs, "ensure_bucket", None)
    if ensure_bucket is not None:
        ensure_bucket()


if __name__ == "__main__":
    sys.exit(main())
