"""Forecast API bench: cold start vs bare Flask, warm latency vs per-request S3 fetch, imports."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit.zappa import TEMPLATE  # noqa: E402

HEAVY = ("numpy", "scipy", "sklearn", "pandas")
QUERY = {"distance_km": "25", "duration_h": "2.5", "crossfit_sessions": "3",
         "avg_weight_kg": "40", "weeks": "12"}
AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}

HELLO = '''
from flask import Flask

app = Flask(__name__)


@app.get("/forecast")
def forecast():
    return {"hello": "world"}
'''

HELLO_S3 = '''
import boto3
from flask import Flask

app = Flask(__name__)


@app.get("/forecast")
def forecast():
    s3 = boto3.client("s3")
    s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    return {"hello": "world"}
'''

# What a first version typically does: fetch and unpickle the scikit-learn pipeline per request.
SEED = '''
import pickle

import boto3
from flask import Flask, request

app = Flask(__name__)
s3 = boto3.client("s3")
FEATURES = ("distance_km", "duration_h", "crossfit_sessions", "avg_weight_kg")


@app.get("/forecast")
def forecast():
    body = s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    pipeline = pickle.loads(body)
    change = pipeline.predict([[float(request.args[n]) for n in FEATURES]])[0]
    weeks = int(request.args.get("weeks", 4))
    return {"per_week": {"weight_kg": float(change[0]), "fat_ratio_pct": float(change[1])},
            "total": {"weight_kg": float(change[0]) * weeks}}
'''

# One cold start: import Zappa's handler, build it for the app, answer one API Gateway event.
CHILD = '''
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = [{root!r}, {folder!r}]
from zappa.handler import LambdaHandler
handler = LambdaHandler(settings_name={settings!r})
t1 = time.perf_counter()
event = json.load(open({event!r}))
answer = handler.handler(event, None)
t2 = time.perf_counter()
print(json.dumps({{"status": answer["statusCode"], "init_s": t1 - t0, "first_s": t2 - t1,
                  "modules": sorted({{m.split(".")[0] for m in sys.modules}})}}))
'''


def write_app(folder: Path, name: str, source: str, **constants: str) -> str:
    header = "".join(f"{k} = {v!r}\n" for k, v in constants.items())
    (folder / f"{name}.py").write_text(header + source)
    settings_name = f"zappa_settings_{name}"
    app = f"APP_MODULE='{name}'\nAPP_FUNCTION='app'\n"
    (folder / f"{settings_name}.py").write_text(TEMPLATE.format(app=app))
    return settings_name


def cold(folder: Path, settings_name: str, event_path: Path, env: dict[str, str]) -> dict[str, Any]:
    script = CHILD.format(root=str(ROOT), folder=str(folder), settings=settings_name,
                          event=str(event_path))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, cwd=folder)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench: cold start of {settings_name} failed:\n{done.stderr}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if out["status"] != 200:
        raise SystemExit(f"bench: {settings_name} answered {out['status']}")
    out["wall_s"] = wall
    return out


def median_cold(runs: int, apps: dict[str, str], folder: Path, event: Path,
                env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Interleaved runs (so a busy machine slows every variant alike); the median of each."""
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in apps}
    for _ in range(runs):
        for name, settings_name in apps.items():
            samples[name].append(cold(folder, settings_name, event, env))
    out = {}
    for name, runs_ in samples.items():
        out[name] = {
            "wall_s": statistics.median(r["wall_s"] for r in runs_),
            "init_s": statistics.median(r["init_s"] for r in runs_),
            "first_s": statistics.median(r["first_s"] for r in runs_),
            "modules": runs_[-1]["modules"],
        }
    return out


def fresh_handler(settings_name: str) -> Any:
    import contextlib
    import io

    from zappa.handler import LambdaHandler

    LambdaHandler._LambdaHandler__instance = None  # type: ignore[attr-defined]
    with contextlib.redirect_stdout(io.StringIO()):  # Zappa prints "Instancing.."
        return LambdaHandler(settings_name=settings_name)


def warm_latency_s(settings_name: str, event: dict[str, Any], n: int) -> float:
    handler = fresh_handler(settings_name)
    assert handler.handler(event, None)["statusCode"] == 200
    timer = timeit.Timer(lambda: handler.handler(event, None))
    per_call = [t / 10 for t in timer.repeat(repeat=max(3, n // 10), number=10)]
    return statistics.median(per_call)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/forecast.py", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="cold starts per variant")
    parser.add_argument("--warm", type=int, default=200, help="warm requests for our handler")
    args = parser.parse_args(argv)

    import logging

    from moto.server import ThreadedMotoServer

    logging.disable(logging.INFO)  # Zappa logs every request; the bench prints its own lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="pulseboard-bench-"))
    bucket, table = f"bench-{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:8]}"
    # Demo mode: the API answers without a key, as the recorded event (which carries none) needs.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **AWS,
           "AWS_ENDPOINT_URL": endpoint, "PULSEBOARD_DATA_DIR": str(tmp / "var"),
           "PULSEBOARD_STORE": f"dynamodb://{table}", "PULSEBOARD_BLOBS": f"s3://{bucket}/v1",
           "PULSEBOARD_DEMO": "true"}
    os.environ.update(env)
    try:
        return run(args, tmp, env, bucket, table)
    finally:
        server.stop()


def run(args: argparse.Namespace, tmp: Path, env: dict[str, str], bucket: str,
        table: str) -> int:
    import settings
    from models import train
    from storage.dynamodb import DynamoStore
    from storage.s3 import S3Blobs
    from testkit.athlete import load, training_records
    from testkit.stores import open_blobs, open_store

    settings.reset()
    S3Blobs(bucket, "v1").ensure_bucket()
    DynamoStore(table).ensure_table()
    store = open_store()
    load(store, training_records(weeks=156, seed=5))
    result, manifest = train.run(store, open_blobs())
    S3Blobs(bucket, "v1").put("models/seed/pipeline.pkl", pickle.dumps(result.pipeline))
    print(f"model: {manifest['weeks_used']} weeks, k={manifest['k']}, model file "
          f"{manifest['size_bytes']} bytes (scikit-learn pipeline pickle "
          f"{len(pickle.dumps(result.pipeline))} bytes)")

    folder = tmp / "apps"
    folder.mkdir()
    event = json.loads((ROOT / "serverless_tests/events/api_get_forecast.json").read_text())
    event_path = folder / "event.json"
    event_path.write_text(json.dumps(event))
    apps = {
        "bare Flask": write_app(folder, "hello", HELLO),
        "bare Flask + 1 S3 GET": write_app(folder, "hello_s3", HELLO_S3, BUCKET=bucket,
                                           KEY=f"v1/{manifest['artifact_key']}"),
        "our API": write_app(folder, "ours", "from api.wsgi import app  # noqa: F401\n"),
        "seed-style": write_app(folder, "seed", SEED, BUCKET=bucket,
                                KEY="v1/models/seed/pipeline.pkl"),
    }

    print(f"\n== cold start: fresh process, import the handler, answer one GET /forecast "
          f"(median of {args.runs}, S3 + DynamoDB on a loopback moto server)")
    colds = median_cold(args.runs, apps, folder, event_path, env)
    bare = colds["bare Flask"]["wall_s"]
    for name, c in colds.items():
        print(f"  {name:<24}{c['wall_s'] * 1000:7.0f} ms   ×{c['wall_s'] / bare:4.2f} of bare "
              f"Flask   (handler+app init {c['init_s'] * 1000:5.0f} ms, first request "
              f"{c['first_s'] * 1000:5.0f} ms)")
    ours = colds["our API"]["wall_s"]
    print(f"  ratio our API / bare Flask: {ours / bare:.2f} (goal ≤ 1.30); "
          f"/ bare Flask + 1 S3 GET: {ours / colds['bare Flask + 1 S3 GET']['wall_s']:.2f}")

    laptop_env = {**env, "PULSEBOARD_STORE": f"sqlite:///{tmp / 'store.db'}",
                  "PULSEBOARD_BLOBS": f"file://{tmp / 'blobs'}"}
    from models import artifact
    from storage import open_blobs as blobs_at

    artifact.publish(blobs_at(laptop_env["PULSEBOARD_BLOBS"]), result.predictor, manifest)
    laptop = median_cold(args.runs, {k: apps[k] for k in ("bare Flask", "our API")}, folder,
                         event_path, laptop_env)
    print(f"  laptop settings (SQLite + blob folder): our API "
          f"{laptop['our API']['wall_s'] * 1000:.0f} ms, ×"
          f"{laptop['our API']['wall_s'] / laptop['bare Flask']['wall_s']:.2f} of bare Flask")

    print("\n== modules imported to answer (top-level packages beyond bare Flask's)")
    base_modules = set(colds["bare Flask"]["modules"])
    for name in ("our API", "seed-style"):
        extra = sorted(set(colds[name]["modules"]) - base_modules)
        heavy = [m for m in extra if m in HEAVY] or ["none"]
        print(f"  {name:<12} heavy: {', '.join(heavy):<28} all extra: {', '.join(extra)}")

    print(f"\n== warm GET /forecast through Zappa's handler (S3 on moto; our API "
          f"{args.warm} requests, seed-style {max(30, args.warm // 4)})")
    sys.path.insert(0, str(folder))
    settings.reset()
    ours_s = warm_latency_s(apps["our API"], event, args.warm)
    seed_s = warm_latency_s(apps["seed-style"], event, max(30, args.warm // 4))
    print(f"  our API    {ours_s * 1000:8.3f} ms per request (model in memory, manifest "
          "HEAD at most every 5 min)")
    print(f"  seed-style {seed_s * 1000:8.3f} ms per request (S3 GET + unpickle + predict)")
    print(f"  ratio seed-style / our API: ×{seed_s / ours_s:.0f} faster (goal ≥ 20)")

    print("\n== the predictor: plain Python vs numpy (why serving imports no numpy)")
    imports = {}
    for module in ("flask", "numpy"):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
            times.append(time.perf_counter() - start)
        imports[module] = statistics.median(times)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
    python_s = time.perf_counter() - start
    numpy_extra = imports["numpy"] - python_s
    print(f"  `import numpy` adds {numpy_extra * 1000:.0f} ms to a process; bare Flask's whole "
          f"cold start is {bare * 1000:.0f} ms (+{numpy_extra / bare * 100:.0f}%)")
    import numpy as np

    predictor = result.predictor
    query = [25.0, 2.5, 3.0, 40.0]
    table = np.array(predictor.table_x)
    targets = np.array(predictor.table_y)
    mean, scale = np.array(predictor.mean), np.array(predictor.scale)

    def with_numpy() -> Any:
        z = (np.asarray(query) - mean) / scale
        nearest = np.argsort(((table - z) ** 2).sum(axis=1), kind="stable")[: predictor.k]
        return targets[nearest].mean(axis=0)

    plain = min(timeit.repeat(lambda: predictor.predict_one(query), number=200, repeat=5)) / 200
    vector = min(timeit.repeat(with_numpy, number=200, repeat=5)) / 200
    print(f"  predict_one on {len(predictor.table_x)} weeks: plain Python {plain * 1e6:.0f} µs, "
          f"numpy {vector * 1e6:.0f} µs; a warm request takes {ours_s * 1e6:.0f} µs in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
