"""Lambda packages: size per stage, cold start and warm latency of each unpacked package in a
clean Python 3.12, and what the api stage imports. Prints measurements and ratios, never fails."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVENTS = ROOT / "serverless_tests" / "events"
WARM_RUNS = 20


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def measure(stage: str, package: Path, env: dict[str, str], first: dict[str, Any],
            bytecode_reads: bool = True) -> dict[str, Any]:
    from deploy.local_lambda import LocalLambda

    with LocalLambda(package, env, bytecode=False) as function:  # -B: /var/task is read-only
        answer = function.invoke_raw(first)
        cold_s = function.init_s + answer["elapsed_s"]
        warm = [function.invoke_raw(first)["elapsed_s"] for _ in range(WARM_RUNS)]
        modules = function.invoke_raw({**first, "pulseboard_list_modules": True})
    return {"stage": stage, "import_s": function.import_s, "cold_s": cold_s,
            "warm_ms": statistics.median(warm) * 1000, "ok": answer["ok"],
            "modules": modules.get("module_names", [])}


def main() -> None:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from deploy.local_lambda import lambda_env, unpack
    from deploy.package import build_all, stage_config
    from storage.dynamodb import DynamoStore

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's request log
    infos = build_all()
    print("package sizes (Lambda: 250 MB unzipped; 50 MB zipped for direct upload only)")
    for info in infos:
        print("  " + info.report())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    table, bucket = f"bench-{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:8]}"
    clients = dict(region_name="eu-west-1", endpoint_url=endpoint, aws_access_key_id="testing",
                   aws_secret_access_key="testing")
    DynamoStore(table, client=boto3.client("dynamodb", **clients)).ensure_table()
    boto3.client("s3", **clients).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    firsts = {"api": event("api_get_health.json"), "dashboard": event("dashboard_get_login.json"),
              "jobs": event("scheduled_train.json")}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for info in infos:
            folder = unpack(info.path, Path(tmp) / info.stage)
            env = lambda_env(info.stage, stage_config(info.stage), {
                "PULSEBOARD_STORE": f"dynamodb://{table}", "PULSEBOARD_BLOBS": f"s3://{bucket}/v1",
                "PULSEBOARD_DATA_DIR": str(Path(tmp) / f"data-{info.stage}"),
                "PULSEBOARD_SSM_PREFIX": "", "PULSEBOARD_SECRET_KEY": "bench-secret-key-0123456789",
                # Outside the demo the api stage starts only with a key.
                "PULSEBOARD_API_KEY": "bench-api-key-0123456789",
                "AWS_ENDPOINT_URL": endpoint, **creds})
            results.append(measure(info.stage, folder, env, firsts[info.stage]))
    server.stop()
    print(f"\ncold start (process + handler import + first answer) and warm latency "
          f"(median of {WARM_RUNS}), clean python3.12 -I -S -B")
    for r in results:
        print(f"  {r['stage']:<10} import {r['import_s']:5.2f} s  cold {r['cold_s']:5.2f} s  "
              f"warm {r['warm_ms']:7.1f} ms  cold/warm {r['cold_s'] * 1000 / r['warm_ms']:6.0f}x"
              + ("" if r["ok"] else "  (first answer failed)"))
    api = next(r for r in results if r["stage"] == "api")
    heavy = sorted({m.split(".")[0] for m in api["modules"]} & {
        "dash", "pandas", "plotly", "sklearn", "scipy", "numpy", "flask", "boto3", "botocore"})
    print(f"\napi stage: {len(api['modules'])} modules imported after /health; of the heavy "
          f"ones: {', '.join(heavy) or 'none'}")
    by_stage = {r["stage"]: r for r in results}
    if "api" in by_stage and "dashboard" in by_stage:
        print(f"dashboard cold start / api cold start: "
              f"{by_stage['dashboard']['cold_s'] / by_stage['api']['cold_s']:.1f}x")


if __name__ == "__main__":
    main()
