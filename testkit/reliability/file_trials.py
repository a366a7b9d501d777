"""Trial 18: 200 mixed real, damaged and hostile activity files dropped into the inbox, polled
in this process and by the running scheduler: each ends in imported/ or rejected/ with a
reason within 3 polls, the good ones stored exactly, nothing else lost."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.activity_files import ExportEntry, export_csv, fit_bytes, gpx_text, gz, samples, tcx_bytes
from testkit.reliability.trials import Outcome, sandbox, trial

ROOT = Path(__file__).resolve().parents[2]
REALDATA = ROOT.parent / "shared" / "realdata"
FILES = 200
POLLS = 3
TICK_S = 0.5
FIRST_DAY = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (c, b"&%c;" % (c - 1) * 10) for c in range(98, 106))
    + b']><gpx version="1.1"><trk><name>&i;</name></trk></gpx>'
)


@dataclass
class Dropped:
    name: bytes  # relative to the inbox, raw: some names are not UTF-8
    good: bool  # it must end in imported/ (a copy of a good file too: accepted, stored once)
    data: bytes | None = None  # None for a link or a sparse giant
    link_to: Path | None = None
    sparse_bytes: int = 0
    # The activities it brings, by start time and name, when good and not a duplicate.
    brings: tuple[tuple[datetime, str], ...] = ()


def _export(day: datetime, bad_rows: int) -> tuple[bytes, tuple[tuple[datetime, str], ...]]:
    """A Strava export whose activities.csv has NaN or overflowing values in some rows."""
    entries = [ExportEntry(9000 + i, day + timedelta(hours=3 * i), f"Export {day:%m%d} {i}",
                           "Run", 0.0, 1200.0, filename=f"activities/{i}.fit",
                           content=fit_bytes(samples(day + timedelta(hours=3 * i), n=60)))
               for i in range(3)]
    rows = list(csv.reader(io.StringIO(export_csv(entries))))
    column = rows[0].index("Elapsed Time")
    for i in range(bad_rows):
        rows[1 + i][column] = ("NaN", "1e400")[i % 2]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("activities.csv", text.getvalue())
        for entry in entries:
            assert entry.content is not None
            zf.writestr(entry.filename, entry.content)
    # A bad row leaves its file to import under the file's own name.
    brings = tuple((e.start, e.name if i >= bad_rows else f"Run {e.start:%Y-%m-%d}")
                   for i, e in enumerate(entries))
    return buffer.getvalue(), brings


def _zip_bomb() -> bytes:
    """A few KB that would inflate to a member past the 64 MB limit for one file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities/bomb.fit", b"\0" * (70 * 2**20))
    return buffer.getvalue()


def _zip_slip(day: datetime) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../escape.fit", fit_bytes(samples(day)))
    return buffer.getvalue()


def make_drop(rng: random.Random, outside: Path) -> list[Dropped]:
    """FILES files: good ones (generated and real), copies, and every kind of bad."""
    days = iter(FIRST_DAY + timedelta(days=d) for d in range(1000))
    out: list[Dropped] = []
    good_data: list[tuple[str, bytes]] = []
    real = sorted(REALDATA.glob("*/*.*")) if REALDATA.is_dir() else []
    for path in real:
        if path.suffix in (".fit", ".gpx", ".tcx"):
            # Whether it is good, the importer's own reading tells (see expected()).
            out.append(Dropped(f"real/{path.name}".encode(), good=False, data=path.read_bytes()))
    while len(out) < 90:
        day = next(days)
        points = samples(day, n=rng.randint(40, 200), speed_mps=rng.uniform(2.5, 4.0))
        fmt = rng.choice(("fit", "fit.gz", "gpx", "tcx", "tcx.gz"))
        data = {"fit": fit_bytes, "fit.gz": lambda p: gz(fit_bytes(p)),
                "gpx": lambda p: gpx_text(p).encode(), "tcx": tcx_bytes,
                "tcx.gz": lambda p: gz(tcx_bytes(p))}[fmt](points)
        good_data.append((fmt, data))
        out.append(Dropped(f"watch/{day:%Y-%m-%d} run.{fmt}".encode(), good=True, data=data))
    for i, (fmt, data) in enumerate(good_data[:10]):
        # The same bytes under another name: accepted as a duplicate, stored once.
        out.append(Dropped(f"copies/copy {i}.{fmt}".encode(), good=True, data=data))
    for i, (raw, maker) in enumerate([
        (b"caf\xe9 %d.fit", lambda d: fit_bytes(samples(d))),
        (b"\xff\xfe %d.gpx", lambda d: gpx_text(samples(d)).encode()),
    ] * 5):
        out.append(Dropped(raw % i, good=False, data=maker(next(days))))
    for i in range(8):
        target = outside / f"secret {i}.fit"
        if i % 3 == 0:
            target = outside  # a link to a folder
        elif i % 3 == 1:
            target.write_bytes(fit_bytes(samples(next(days))))
        out.append(Dropped(f"links/link {i}.fit".encode(), good=False, link_to=target))
    for i in range(5):
        data, brings = _export(next(days), bad_rows=1 + i % 2)
        out.append(Dropped(f"exports/export {i}.zip".encode(), good=True, data=data,
                           brings=brings))
    hostile: list[tuple[str, bytes]] = []
    for i in range(20):
        whole = fit_bytes(samples(next(days)))
        cut = bytearray(whole[: rng.randint(20, len(whole) - 1)] if i % 2 else whole)
        if not i % 2:
            cut[rng.randrange(20, len(cut))] ^= 0xFF
        hostile.append((f"broken/{i}.fit", bytes(cut)))
    hostile += [(f"wrong/{i}.gpx", fit_bytes(samples(next(days)))) for i in range(5)]
    hostile += [(f"wrong/{i}.tcx", b"<html><body>Not found</body></html>") for i in range(5)]
    hostile += [(f"wrong/empty {i}.fit", b"") for i in range(5)]
    hostile += [(f"bombs/{i}.fit.gz", gzip.compress(b"\0" * (70 * 2**20), 9)) for i in range(5)]
    hostile += [(f"bombs/{i}.zip", _zip_bomb()) for i in range(5)]
    hostile += [(f"bombs/slip {i}.zip", _zip_slip(next(days))) for i in range(3)]
    hostile += [(f"xml/laughs {i}.gpx", BILLION_LAUGHS) for i in range(3)]
    hostile += [(f"xml/deep {i}.tcx", b"<TrainingCenterDatabase>" + b"<a>" * 200_000)
                for i in range(2)]
    hostile += [(f"noise/{i}.fit", rng.randbytes(rng.randint(12, 4000))) for i in range(5)]
    out += [Dropped(name.encode(), good=False, data=data) for name, data in hostile]
    for i in range(5):
        out.append(Dropped(f"giants/{i}.gpx".encode(), good=False, sparse_bytes=700 * 2**20))
    i = 0
    while len(out) < FILES:
        out.append(Dropped(f"notes/{i}.txt".encode(), good=False, data=b"not an activity"))
        i += 1
    return out


def write(drop: list[Dropped], folder: Path) -> None:
    """Puts the files in `folder` as a finished copy leaves them (an old enough mtime)."""
    past = time.time() - 60
    for item in drop:
        path = os.fsencode(folder) + b"/" + item.name
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if item.link_to is not None:
            os.symlink(item.link_to, path)
        else:
            with open(path, "wb") as handle:
                if item.sparse_bytes:
                    handle.truncate(item.sparse_bytes)
                else:
                    handle.write(item.data or b"")
        os.utime(path, (past, past), follow_symlinks=False)


def expected(drop: list[Dropped], now: datetime) -> dict[tuple[datetime, str], Any]:
    """The activities the good files bring, as the pure parse reads each on its own."""
    from collectors.sources.files.parse import parse
    from collectors.sources.files.track import FileRejected
    from storage.records import Activity

    want: dict[tuple[datetime, str], Any] = {}
    for item in drop:
        if item.brings:
            want.update({key: None for key in item.brings})
            continue
        if item.data is None or not item.name.startswith((b"watch/", b"real/")):
            continue
        try:
            parsed = parse(item.name.decode(), item.data, now)
        except FileRejected:
            continue  # a real file its README says is refused
        item.good = True
        for record in parsed.records:
            if isinstance(record, Activity):
                want[(record.start_time, record.name)] = record
    return want


def check(out: Outcome, label: str, drop: list[Dropped], data_dir: Path, store: Any,
          want: dict[tuple[datetime, str], Any]) -> None:
    inbox = os.fsencode(data_dir / "inbox")
    left = [os.path.join(p, n) for p, _, names in os.walk(inbox) for n in names]
    if left:
        out.fail(f"{label}: {len(left)} files still in the inbox, e.g. {left[0]!r}")
    for item in drop:
        folder = b"imported/" if item.good else b"rejected/"
        path = os.fsencode(data_dir) + b"/" + folder + item.name
        if not os.path.lexists(path):
            out.fail(f"{label}: {item.name!r} is not in {folder.decode()}")
            continue
        if item.link_to is not None:
            if not os.path.islink(path):
                out.fail(f"{label}: the link {item.name!r} was followed")
        elif item.data is not None:
            with open(path, "rb") as handle:
                if hashlib.sha256(handle.read()).digest() != hashlib.sha256(item.data).digest():
                    out.fail(f"{label}: {item.name!r} changed on its way")
        reason = path + b".reason"
        if folder == b"rejected/" and not (os.path.exists(reason) and os.path.getsize(reason)):
            out.fail(f"{label}: {item.name!r} was rejected without a reason")
    stored = {(a.start_time, a.name): a for a in store.query("activities")}
    if set(stored) != set(want):
        missing, extra = sorted(set(want) - set(stored)), sorted(set(stored) - set(want))
        out.fail(f"{label}: stored {len(stored)} activities, expected {len(want)}: missing "
                 f"{missing[:3]}, extra {extra[:3]}")
    for key, activity in want.items():
        if activity is not None and key in stored and stored[key] != activity:
            out.fail(f"{label}: {key[1]} stored as {stored[key]}, read as {activity}")


def poll_in_process(out: Outcome, label: str, data_dir: Path) -> tuple[Any, float]:
    """Up to POLLS polls, as the scheduler's ticks make them; the slowest poll's seconds."""
    from collectors.sources.files import inbox
    from testkit.stores import open_store

    store = open_store()
    slowest = 0.0
    for _ in range(POLLS):
        started = time.monotonic()
        inbox.poll(store, data_dir=data_dir)
        slowest = max(slowest, time.monotonic() - started)
        if not any(names for _, _, names in os.walk(data_dir / "inbox")):
            break
    return store, slowest


def poll_by_scheduler(out: Outcome, label: str, folder: Path, data_dir: Path,
                      drop: list[Dropped], deadline_s: float) -> None:
    """The real scheduler running (`python -m collectors schedule`) while the files arrive."""
    jobs = folder / "jobs.json"
    jobs.write_text(json.dumps({"jobs": {"events": [
        {"function": "collectors.lambda_handlers.sync_sheets", "expression": "rate(1 day)"}]}}))
    log = open(folder / "scheduler.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "collectors", "schedule", "--settings-file", str(jobs),
         "--tick", str(TICK_S), "--from-now"], cwd=ROOT, env=dict(os.environ),
        stdout=log, stderr=subprocess.STDOUT)
    try:
        staging = folder / "staging"
        write(drop, staging)
        (data_dir / "inbox").mkdir(parents=True, exist_ok=True)
        # Arriving in four batches while it polls, each moved in whole (as a copy finishes).
        tops = sorted(os.listdir(os.fsencode(staging)))
        for batch in (tops[i::4] for i in range(4)):
            for top in batch:
                os.rename(os.fsencode(staging) + b"/" + top,
                          os.fsencode(data_dir / "inbox") + b"/" + top)
            time.sleep(TICK_S)
        end = time.monotonic() + deadline_s
        while any(names for _, _, names in os.walk(data_dir / "inbox")):
            if time.monotonic() > end or proc.poll() is not None:
                break
            time.sleep(TICK_S)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def drop_box(runs: int) -> Outcome:
    from testkit.stores import open_store

    out = Outcome(0, 0, "")
    rng = random.Random(20261201)
    accepted = refused = 0
    slowest = 0.0
    for i in range(runs):
        with sandbox() as folder:
            outside = folder / "outside"
            outside.mkdir()
            drop = make_drop(rng, outside)
            now = datetime.now(UTC)
            want = expected(drop, now)
            data_dir = folder / "var"
            write(drop, data_dir / "inbox")
            out.runs += 1
            store, poll_s = poll_in_process(out, f"run {i}, polled", data_dir)
            slowest = max(slowest, poll_s)
            check(out, f"run {i}, polled", drop, data_dir, store, want)
            accepted += sum(1 for d in drop if d.good)
            refused += sum(1 for d in drop if not d.good)
            store.close()
        with sandbox() as folder:
            outside = folder / "outside"
            outside.mkdir()
            drop = make_drop(random.Random(i), outside)
            want = expected(drop, datetime.now(UTC))
            data_dir = folder / "var"
            out.runs += 1
            poll_by_scheduler(out, f"run {i}, scheduler", folder, data_dir, drop,
                              deadline_s=POLLS * (poll_s + TICK_S) + 30)
            with open_store() as store:
                check(out, f"run {i}, scheduler", drop, data_dir, store, want)
    out.figure = (f"{FILES} files a run ({accepted // max(runs, 1)} good or copies, "
                  f"{refused // max(runs, 1)} damaged or hostile): all in imported/ or "
                  f"rejected/ within {POLLS} polls (slowest poll {slowest:.1f} s)")
    return out


trial(18, "activity-file drop box", quick=1, full=3)(drop_box)
