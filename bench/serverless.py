"""Lambda packages: size per stage, cold start and warm latency of each unpacked package in a
clean Python 3.12, what the api stage imports, and a cold visit: headless Chromium through a
loopback API Gateway that scales as Lambda does to the overview drawn. Prints measurements, ratios
and each goal beside its figure; never fails."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVENTS = ROOT / "serverless_tests" / "events"
WARM_RUNS = 20
MB = 1024 * 1024
# The goals of issue 16 (an instant dashboard).
GOAL_COLD_S, GOAL_COLD_VS_API = 1.5, 2.0
GOAL_VISIT_S = 2.5
GOAL_ZIPPED_MB = 50
GOAL_JOBS_UNZIPPED_MB = 250 * 0.7  # 30 % headroom under Lambda's 250 MB
CONCURRENCY_LIMIT = 10
PAGES = ("", "weight", "running", "crossfit", "forecast", "explore", "quality")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


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


def cold_visit(folder: Path, env: dict[str, str], store: Any, s3: Any, bucket: str,
               endpoint: str, password: str) -> dict[str, Any]:
    """Signed in an hour ago (Lambda reclaimed the containers): Chromium opens the overview
    through the stage's one origin, a loopback CDN routing by deploy/cdn.py's table (the pages'
    shells and scripts from S3 on moto, the rest to a gateway that starts a cold container for
    each request finding every one busy); then each page once more, warm, counting what reaches
    the function and what the CDN answers without it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from dashboard.auth import users
    from deploy.assets import page_paths, upload
    from deploy.cdn import FUNCTION_ORIGIN, table
    from deploy.local_cdn import LocalCdn
    from deploy.local_gateway import LocalGateway
    from deploy.local_lambda import LocalLambda
    from serverless_tests.browser import chromium
    from testkit.athlete import dashboard_records, load

    load(store, dashboard_records(days=365, seed=5, stream_points=300))
    users.add(store, "owner", password, "owner")

    def css(driver: Any, selector: str) -> list[Any]:
        return driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(driver: Any, condition: Any) -> Any:
        return WebDriverWait(driver, 60, poll_frequency=0.05).until(condition)

    def settled(driver: Any) -> bool:
        return bool(css(driver, ".page-title")) and not css(
            driver, "[data-dash-is-loading='true']")

    out: dict[str, Any] = {"pages": {}}
    prefix = env.get("DASH_REQUESTS_PATHNAME_PREFIX", "/dashboard/")
    cdn = LocalCdn(prefix, f"{endpoint}/{bucket}/v1")
    with cdn:
        # The stage's settings behind CloudFront: its scripts from the one origin.
        env = {**env, "PULSEBOARD_ASSETS_URL": cdn.url + "static"}
        upload(s3, bucket, "v1", env)  # `make publish-assets`: scripts and the pages' shells
        cdn.routes = table(prefix, page_paths(env))
        with LocalGateway(None, "dashboard", start=lambda: LocalLambda(folder, env),
                          concurrency_limit=CONCURRENCY_LIMIT) as gateway, \
                chromium() as browser:
            cdn.function_url = gateway.url
            browser.get(cdn.url + "login")
            wait(browser, lambda d: css(d, "#username"))
            css(browser, "#username")[0].send_keys("owner")
            css(browser, "#password")[0].send_keys(password)
            css(browser, "#login-submit")[0].click()
            wait(browser, lambda d: css(d, "#overview-content *"))
            browser.get("about:blank")
            gateway.containers.reclaim()
            before, seen, since = gateway.cold_starts, len(gateway.log), len(cdn.log)
            t0 = time.perf_counter()
            browser.get(cdn.url)
            wait(browser, lambda d: css(d, "#overview-sources") or css(d, "#overview-weight_kg"))
            out["visit_s"] = time.perf_counter() - t0
            out["visit_cold"] = gateway.cold_starts - before
            out["visit_requests"] = [f"{e.method} {e.path[len(prefix) - 1:]} {e.elapsed_s:.2f}s"
                                     + (" cold" if e.cold else "") for e in gateway.log[seen:]]
            answered = [e for e in cdn.log[since:] if e.origin != FUNCTION_ORIGIN]
            out["visit_cdn"] = [f"{e.method} {e.path[len(prefix) - 1:]} {e.status} {e.origin} "
                                f"{e.elapsed_s:.2f}s" for e in answered]
            for page in PAGES:
                time.sleep(0.5)  # the previous page's requests are over
                since = len(cdn.log)
                browser.get(cdn.url + page)
                wait(browser, settled)
                time.sleep(0.5)
                wait(browser, settled)
                reached = cdn.reaching_function(since)
                callbacks = sum("_dash-update-component" in e.path for e in reached)
                out["pages"][page or "overview"] = (len(reached), callbacks,
                                                    len(cdn.log) - since - len(reached))
            out["cold_total"] = gateway.cold_starts
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-visit", action="store_true",
                        help="skip the cold visit in Chromium (packages and cold starts only)")
    args = parser.parse_args()
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
    clients: dict[str, Any] = dict(region_name="eu-west-1", endpoint_url=endpoint,
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
    DynamoStore(table, client=boto3.client("dynamodb", **clients)).ensure_table()
    boto3.client("s3", **clients).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    firsts = {"api": event("api_get_health.json"), "dashboard": event("dashboard_get_login.json"),
              "jobs": event("scheduled_sync_strava.json"), "train": event("scheduled_train.json")}
    results = []
    visit: dict[str, Any] = {}
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
            if info.stage == "dashboard" and not args.no_visit:
                s3 = boto3.client("s3", **clients)
                store = DynamoStore(table, client=boto3.client("dynamodb", **clients))
                try:
                    visit = cold_visit(folder, env, store, s3, bucket, endpoint,
                                       "bench password 1")
                except Exception as exc:  # noqa: BLE001  (a bench reports, it does not stop)
                    print(f"cold visit not measured: {type(exc).__name__}: {exc}")
                except BaseException as exc:  # pytest's skip when there is no chromium
                    print(f"cold visit not measured: {exc}")
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
    if visit:
        print(f"\ncold visit (Chromium → loopback CDN → S3 on moto, or API Gateway scaling as "
              f"Lambda, concurrency limit {CONCURRENCY_LIMIT} → the overview drawn): "
              f"{visit['visit_s']:.2f} s, {visit['visit_cold']} cold containers started")
        print("  requests that reached the function: " + "; ".join(visit["visit_requests"]))
        print(f"  answered by the CDN (S3 or its edge), {len(visit['visit_cdn'])}: "
              + "; ".join(visit["visit_cdn"]))
        print("  per page view (warm), requests reaching the function (of them data callbacks), "
              "answered by the CDN:")
        for page, (n, callbacks, by_cdn) in visit["pages"].items():
            print(f"    {page:<10} {n:3d} ({callbacks})   other requests {n - callbacks}"
                  f"   goal ≤ 1: {verdict(n - callbacks <= 1)}   CDN {by_cdn}")
    sizes = {info.stage: info for info in infos}
    print("\ngoals (issue 16), measured on this run:")
    if "api" in by_stage and "dashboard" in by_stage:
        cold, api = by_stage["dashboard"]["cold_s"], by_stage["api"]["cold_s"]
        print(f"  dashboard cold start {cold:.2f} s           goal ≤ {GOAL_COLD_S} s: "
              f"{verdict(cold <= GOAL_COLD_S)}")
        print(f"  dashboard / api cold start {cold / api:.1f}x       goal "
              f"≤ {GOAL_COLD_VS_API:.0f}x: {verdict(cold / api <= GOAL_COLD_VS_API)}")
    if visit:
        print(f"  cold visit {visit['visit_s']:.2f} s ({visit['visit_cold']} cold containers)  "
              f"goal ≤ {GOAL_VISIT_S} s and 1 container: "
              f"{verdict(visit['visit_s'] <= GOAL_VISIT_S and visit['visit_cold'] <= 1)}")
        over = [page for page, (n, callbacks, _) in visit["pages"].items() if n - callbacks > 1]
        print(f"  requests reaching the function per page view, besides data callbacks: at most "
              f"{max(n - c for n, c, _ in visit['pages'].values())} on {len(visit['pages'])} "
              f"pages   goal ≤ 1: {verdict(not over)}" + (f" ({', '.join(over)})" if over else ""))
    if "dashboard" in sizes:
        zipped = sizes["dashboard"].zipped_bytes / MB
        print(f"  dashboard package {zipped:.1f} MB zipped    goal ≤ {GOAL_ZIPPED_MB} MB: "
              f"{verdict(zipped <= GOAL_ZIPPED_MB)}")
    for stage in ("jobs", "train"):  # training is a function of its own, with the same goal
        if stage in sizes:
            unzipped = sizes[stage].unzipped_bytes / MB
            print(f"  {stage} package {unzipped:.1f} MB unzipped{' ' * (9 - len(stage))}goal "
                  f"≤ {GOAL_JOBS_UNZIPPED_MB:.0f} MB (30 % under 250): "
                  f"{verdict(unzipped <= GOAL_JOBS_UNZIPPED_MB)}")


if __name__ == "__main__":
    main()
