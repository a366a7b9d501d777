"""Activity-file import bench: files per second for a 1,000-file Strava export on each store, and
peak memory per MB of file and MB/s for one large file of each format."""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.activity_files import (  # noqa: E402
    ExportEntry,
    export_zip,
    fit_bytes,
    gpx_text,
    gz,
    samples,
    tcx_bytes,
)

AWS_FAKE = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}


def build_export(n_files: int, points: int, seed: int = 11) -> tuple[bytes, int]:
    """A Strava-export-shaped ZIP: n activity files (FIT.gz, GPX, TCX.gz mixed, as Strava
    keeps each upload's original format), one run a day, each `points` samples at 5 s."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, 6, 0, tzinfo=UTC)
    entries = []
    for i in range(n_files):
        moment = start + timedelta(days=i, minutes=rng.randint(0, 600))
        track = samples(moment, n=points, speed_mps=rng.uniform(2.5, 3.6),
                        origin=(48.85 + rng.uniform(-0.05, 0.05), 2.35 + rng.uniform(-0.05, 0.05)))
        kind = ("fit", "fit", "gpx", "tcx")[i % 4]
        content = {"fit": lambda t=track: gz(fit_bytes(t)),
                   "gpx": lambda t=track: gpx_text(t).encode(),
                   "tcx": lambda t=track: gz(tcx_bytes(t))}[kind]()
        suffix = {"fit": ".fit.gz", "gpx": ".gpx", "tcx": ".tcx.gz"}[kind]
        entries.append(ExportEntry(
            activity_id=10_000 + i, start=moment, name=f"Run {i}", kind="Run",
            distance_m=track[-1].distance_m,
            elapsed_s=(track[-1].time - track[0].time).total_seconds(),
            filename=f"activities/{10_000 + i}{suffix}", content=content))
    data = export_zip(entries)
    return data, n_files


# Run in a fresh interpreter per file, so its peak resident memory is the parse's alone: what
# the parse adds over the interpreter and the file's bytes, read first.
PEAK_CHILD = """
import sys, time
from datetime import UTC, datetime
from collectors.sources.files.parse import parse


def status_kb(name):
    for line in open("/proc/self/status"):
        if line.startswith(name + ":"):
            return int(line.split()[1])


path = sys.argv[1]
data = open(path, "rb").read()
# Linux: "5" resets the peak (VmHWM) to what is resident now, the file's bytes included.
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before_kb = status_kb("VmRSS")
t0 = time.perf_counter()
parse(path, data, datetime.now(UTC))
elapsed_s = time.perf_counter() - t0
print(len(data), (status_kb("VmHWM") - before_kb) * 1024, elapsed_s)
"""


def large_files(tmp: Path, points: int) -> dict[str, Path]:
    """One recording of `points` samples at 1 s in each format (GPX and TCX are the big ones:
    a 60 MB GPX is a long day's track at 1 Hz with extensions)."""
    track = samples(datetime(2024, 6, 1, 5, 0, tzinfo=UTC), n=points, step_s=1.0)
    made = {"fit": fit_bytes(track), "gpx": gpx_text(track).encode(), "tcx": tcx_bytes(track)}
    paths = {}
    for fmt, data in made.items():
        paths[fmt] = tmp / f"large.{fmt}"
        paths[fmt].write_bytes(data)
    return paths


def peak_memory(paths: dict[str, Path]) -> None:
    import subprocess

    for fmt, path in paths.items():
        done = subprocess.run([sys.executable, "-c", PEAK_CHILD, str(path)], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        size, peak, elapsed_s = (float(v) for v in done.stdout.split())
        size_mb = size / 2**20
        print(f"{'parse one large ' + fmt.upper():<36} {size_mb:6.1f} MB   peak memory "
              f"{peak / 2**20:7.1f} MB = {peak / size:5.2f} per MB of file   "
              f"{size_mb / elapsed_s:6.2f} MB/s")


def run_backend(
    label: str, store_url: str, archive: Path, n_files: int, workers: int
) -> dict[str, float]:
    import settings
    from collectors.sources.files import import_paths
    from testkit.stores import open_store

    os.environ["PULSEBOARD_STORE"] = store_url
    settings.reset()
    store = open_store()
    if hasattr(store, "ensure_table"):
        store.ensure_table()
    store.calls.clear()
    t0 = time.perf_counter()
    first = import_paths(store, [archive], workers=workers)
    t1 = time.perf_counter()
    again = import_paths(store, [archive], workers=workers)
    t2 = time.perf_counter()
    assert first.imported == n_files, first.line()
    assert again.duplicates == n_files, again.line()
    store.close()
    fresh, dup = n_files / (t1 - t0), n_files / (t2 - t1)
    label = f"{label}, {workers} worker{'s' if workers > 1 else ''}"
    print(f"{label:<36} first import {fresh:8.1f} files/s   re-import (all duplicates) "
          f"{dup:8.1f} files/s   store requests {sum(store.calls.values())}")
    return {"fresh": fresh, "dup": dup}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--points", type=int, default=360, help="samples per activity (5 s each)")
    parser.add_argument("--backend", choices=("sqlite", "dynamodb", "both"), default="both")
    parser.add_argument("--large-points", type=int, default=200_000,
                        help="samples of the large file of each format (1 s each)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="parsing processes for the parallel runs (default: the CLI's)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pulseboard-bench-imports-"))
    os.environ["PULSEBOARD_DATA_DIR"] = str(tmp)
    t0 = time.perf_counter()
    data, n = build_export(args.files, args.points)
    archive = tmp / "export.zip"
    archive.write_bytes(data)
    print(f"export: {n} files, {len(data) / 2**20:.1f} MB zipped, built in "
          f"{time.perf_counter() - t0:.1f} s")

    from collectors.sources.files.parse import parse

    # Parsing alone, no store: what the store adapters add on top of it.
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    with zipfile.ZipFile(archive) as zf:
        members = [i for i in zf.infolist() if i.filename.startswith("activities/")]
        for info in members:
            parse(info.filename, zf.read(info), now)
    parse_rate = len(members) / (time.perf_counter() - t0)
    print(f"{'parse only, 1 process':<36} {parse_rate:8.1f} files/s")
    peak_memory(large_files(tmp, args.large_points))

    from collectors.sources.files.cli import default_jobs

    jobs = args.jobs or default_jobs()
    rates: dict[str, dict[str, float]] = {}
    if args.backend in ("sqlite", "both"):
        rates["sqlite1"] = run_backend("sqlite", f"sqlite:///{tmp / 'one.db'}", archive, n, 1)
        if jobs > 1:
            rates["sqlite"] = run_backend("sqlite", f"sqlite:///{tmp / 'n.db'}", archive, n, jobs)
        else:
            rates["sqlite"] = rates["sqlite1"]
    if args.backend in ("dynamodb", "both"):
        from moto.server import ThreadedMotoServer

        for key, value in AWS_FAKE.items():
            os.environ.setdefault(key, value)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
        try:
            rates["dynamodb"] = run_backend(
                "dynamodb (moto server)", f"dynamodb://bench-{uuid.uuid4().hex[:8]}", archive, n,
                jobs,
            )
        finally:
            moto.stop()
    if "sqlite" in rates:
        print(f"sqlite 1 worker / parse only: {rates['sqlite1']['fresh'] / parse_rate:.2f}")
        print(f"sqlite {jobs} workers / 1 worker: "
              f"{rates['sqlite']['fresh'] / rates['sqlite1']['fresh']:.2f}")
    if "sqlite" in rates and "dynamodb" in rates:
        print(f"dynamodb-on-moto / sqlite, first import: "
              f"{rates['dynamodb']['fresh'] / rates['sqlite']['fresh']:.2f}; "
              f"re-import: {rates['dynamodb']['dup'] / rates['sqlite']['dup']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
