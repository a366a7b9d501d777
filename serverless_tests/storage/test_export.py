"""`python -m storage export|load`: what was written comes out, and goes back in, unchanged."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from storage import Activity, ActivityStream, LiftSet, Measurement, open_store
from storage.__main__ import iter_records, load_jsonl, write_csv, write_jsonl
from storage.base import Store, StoreError

T0 = datetime(2024, 5, 1, 7, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def sample(store: Store) -> list:
    records = [
        Measurement(T0 + timedelta(days=d), t, 80.0 - d / 10, "withings", f"g{d}")
        for d in range(4)
        for t in ("weight_kg", "fat_ratio_pct")
    ]
    records.append(Activity("9007199254740993", "strava", T0, "Run", "Run ✓", 5000.5, 1500))
    records.append(
        ActivityStream("9007199254740993", [0.0, 1.0], [0.0, 2.5], [3.0, 3.1], [2.5, 2.5])
    )
    records.append(LiftSet(date(2024, 5, 2), "Deadlift", 1, 5, 140.0, 3))
    store.put(records)
    return records


def test_jsonl_round_trip_into_another_store(store: Store, tmp_path: Path) -> None:
    sample(store)
    other = open_store(f"sqlite:///{tmp_path / 'copy.db'}")
    for kind in ("measurements", "activities", "streams", "lift_sets"):
        out = io.StringIO()
        write_jsonl(iter_records(store, kind), out)
        out.seek(0)
        load_jsonl(other, kind, out)
        out.seek(0)
        load_jsonl(other, kind, out)  # twice: still one copy of each
        again = io.StringIO()
        write_jsonl(iter_records(other, kind), again)
        assert again.getvalue() == out.getvalue() and out.getvalue()


def test_since_filters_by_day(store: Store) -> None:
    sample(store)
    got = list(iter_records(store, "measurements", since=date(2024, 5, 3)))
    assert sorted({m.time.date() for m in got}) == [date(2024, 5, 3), date(2024, 5, 4)]
    assert len(list(iter_records(store, "streams", since=date(2024, 6, 1)))) == 0
    assert len(list(iter_records(store, "streams", since=date(2024, 4, 1)))) == 1


def test_csv_has_a_header_and_one_row_per_record(sqlite_store: Store) -> None:
    sample(sqlite_store)
    out = io.StringIO()
    assert write_csv("activities", iter_records(sqlite_store, "activities"), out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["id"] == "9007199254740993" and rows[0]["distance_m"] == "5000.5"


def test_load_rejects_a_bad_line_and_stores_nothing(sqlite_store: Store) -> None:
    lines = io.StringIO(
        '{"date":"2024-01-01","exercise":"x","set_index":1,"reps":1,'
        '"weight_kg":1.0,"source_row":2}\n{"date":"not a date"}\n'
    )
    with pytest.raises(StoreError, match="line 2"):
        load_jsonl(sqlite_store, "lift_sets", lines)
    assert sqlite_store.count("lift_sets") == 0


def test_cli_exports_from_the_configured_store(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    with open_store(f"sqlite:///{db}") as store:
        sample(store)
    env = {
        "PULSEBOARD_STORE": f"sqlite:///{db}",
        "PULSEBOARD_DATA_DIR": str(tmp_path / "var"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "storage",
            "export",
            "--kind",
            "measurements",
            "--since",
            "2024-05-04",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert {x["type"] for x in lines} == {"weight_kg", "fat_ratio_pct"} and len(lines) == 2
    bad = subprocess.run(
        [sys.executable, "-m", "storage", "status"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "PULSEBOARD_STORE": "postgres://x"},
    )
    assert bad.returncode == 2  # a bad setting is a usage error
    assert bad.stderr.strip().splitlines() == [
        "error: PULSEBOARD_STORE='postgres://x': unknown URL scheme 'postgres'; "
        "use sqlite:///path/to/file.db or dynamodb://table"
    ]
