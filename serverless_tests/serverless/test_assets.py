"""`make publish-assets` on moto: Dash's, the components' and plotly's files at the installed
versions plus `dashboard/assets/`, typed and cached right, readable by anyone and nothing else;
and without PULSEBOARD_ASSETS_URL the dashboard still serves its own scripts."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

import settings
from deploy.assets import (
    ASSETS_CACHE,
    METADATA_LIMIT_BYTES,
    SHELL_CACHE,
    VERSIONED_CACHE,
    dependencies_body,
    plan,
    shell_file,
    shell_pages,
    shell_settings,
    upload,
)
from deploy.cdn import shell_key
from deploy.package import stage_config
from serverless_tests.serverless.conftest import empty_folder

ROOT = Path(__file__).resolve().parents[2]


def s3_at(endpoint: str) -> Any:
    return boto3.client("s3", region_name="eu-west-1", endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_publish_assets_command(moto_endpoint: str, tmp_path: Path) -> None:
    """Where zappa_settings.json says: the dashboard stage's bucket, under v1/static/."""
    s3 = s3_at(moto_endpoint)
    empty_folder(s3, "pulseboard-data", "v1/static")
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "PULSEBOARD_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "deploy", "publish-assets"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    url = f"{moto_endpoint}/pulseboard-data/v1/static"
    assert done.stdout.splitlines()[-1] == f"PULSEBOARD_ASSETS_URL={url}", done.stdout
    stage_env = stage_config("dashboard")["aws_environment_variables"]
    files = plan(stage_env)
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket="pulseboard-data",
                                                   Prefix="v1/static/")["Contents"]}
    assert listed == {f"v1/static/{f.key}" for f in files}
    # One shell per page, gzipped, its headers kept on the object (S3 answers x-amz-meta-…).
    pages = shell_pages(shell_settings(stage_env))
    assert "/" in pages and "/weight" in pages
    stored = s3.get_object(Bucket="pulseboard-data", Key=f"v1/static/{shell_key('/weight')}")
    assert (stored["ContentEncoding"], stored["CacheControl"]) == ("gzip", SHELL_CACHE)
    assert gzip.decompress(stored["Body"].read()).decode() == pages["/weight"]["html"]
    policy = {k.lower(): v for k, v in pages["/weight"]["headers"].items()}[
        "content-security-policy"]
    assert stored["Metadata"]["header-content-security-policy"] == policy
    for item in files:
        head = s3.head_object(Bucket="pulseboard-data", Key=f"v1/static/{item.key}")
        assert (head["ContentType"], head["CacheControl"]) == (item.content_type,
                                                               item.cache_control), item
    by_key = {f.key: f for f in files}
    plotly = next(k for k in by_key if k.endswith("/package_data/plotly.min.js"))
    assert plotly.startswith("plotly/") and by_key[plotly].content_type == "application/javascript"
    assert by_key[plotly].cache_control == VERSIONED_CACHE
    assert by_key["assets/style.css"].content_type == "text/css"
    assert by_key["assets/style.css"].cache_control == ASSETS_CACHE
    assert any(k.endswith("/dcc/async-graph.js") for k in by_key)
    # The release's callback list, gzipped under its digest, readable from the page's origin.
    from dashboard.static_hosting import dependencies_key

    key = dependencies_key(dependencies_body())
    assert key in by_key and by_key[key].cache_control == VERSIONED_CACHE
    stored = s3.get_object(Bucket="pulseboard-data", Key=f"v1/static/{key}")
    assert (stored["ContentType"], stored["ContentEncoding"]) == ("application/json", "gzip")
    assert json.loads(gzip.decompress(stored["Body"].read())) == json.loads(dependencies_body())
    origin = "https://abc.execute-api.eu-west-1.amazonaws.com"
    with urllib.request.urlopen(urllib.request.Request(
            f"{url}/{key}", headers={"Origin": origin}), timeout=30) as answer:
        assert answer.headers["Access-Control-Allow-Origin"] in (origin, "*")
        assert answer.headers["Content-Encoding"] == "gzip"
    # Readable by anyone: the static folder, nothing else in the bucket.
    policy = json.loads(s3.get_bucket_policy(Bucket="pulseboard-data")["Policy"])
    public = [s for s in policy["Statement"] if s.get("Principal") == "*"]
    assert [s["Resource"] for s in public] == ["arn:aws:s3:::pulseboard-data/v1/static/*"]
    assert [s["Action"] for s in public] == ["s3:GetObject"]
    block = s3.get_public_access_block(Bucket="pulseboard-data")
    assert block["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    # Published once, nothing is sent again but the shells; the policy is not stacked.
    shells = [f for f in files if f.key.startswith("shells/")]
    assert upload(s3, "pulseboard-data", "v1", stage_env) == (len(shells), len(files))
    policy = json.loads(s3.get_bucket_policy(Bucket="pulseboard-data")["Policy"])
    assert len([s for s in policy["Statement"] if s.get("Principal") == "*"]) == 1


def test_an_existing_bucket_policy_is_kept(aws: str) -> None:
    s3: Any = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="kept-policy",
                     CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    theirs = {"Sid": "Theirs", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
              "Resource": "arn:aws:s3:::kept-policy/*"}
    s3.put_bucket_policy(Bucket="kept-policy",
                         Policy=json.dumps({"Version": "2012-10-17", "Statement": [theirs]}))
    their_cors = {"ID": "Theirs", "AllowedMethods": ["PUT"],
                  "AllowedOrigins": ["https://theirs.example"]}
    s3.put_bucket_cors(Bucket="kept-policy", CORSConfiguration={"CORSRules": [their_cors]})
    upload(s3, "kept-policy", "v2")
    upload(s3, "kept-policy", "v2")
    statements = json.loads(s3.get_bucket_policy(Bucket="kept-policy")["Policy"])["Statement"]
    assert theirs in statements and len(statements) == 2
    rules = s3.get_bucket_cors(Bucket="kept-policy")["CORSRules"]
    assert [r["ID"] for r in rules] == ["Theirs", "PulseboardPublicStatic"]
    ours = rules[1]
    assert (ours["AllowedMethods"], ours["AllowedOrigins"]) == (["GET", "HEAD"], ["*"])


@pytest.fixture
def local_dashboard(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The dashboard in this process, signed in, without PULSEBOARD_ASSETS_URL."""
    from dashboard import data
    from dashboard.app import build
    from dashboard.auth import users

    monkeypatch.setenv("PULSEBOARD_SECRET_KEY", "test-secret-key-0123456789abcdef")
    settings.reset()
    server = build()[0]
    with server.app_context():
        users.add(data.store(), "ann", "password-123", "owner")
    client = server.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    assert client.post("/login", data={"csrf_token": token.group(1), "username": "ann",
                                       "password": "password-123"}).status_code == 302
    return client


def test_without_the_setting_the_dashboard_serves_its_own_scripts(local_dashboard: Any) -> None:
    from dashboard.app import build

    page = local_dashboard.get("/weight").get_data(as_text=True)
    urls = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))  # type: ignore[union-attr]
    assert config["serve_locally"] is True and "plotlyjs_url" not in config
    bundle = next(u for u in urls if "/_dash-component-suites/dash/dcc/" in u)
    assert local_dashboard.get(bundle).status_code == 200
    # The same files are what gets published: all Dash would serve here, and Dash's icon.
    app = build()[1]
    served = {(ns, path) for ns, paths in app.registered_paths.items() for path in paths}
    from deploy.assets import bundles

    assert ("plotly", "package_data/plotly.min.js") in served
    assert served <= bundles()


def test_a_shell_keeps_its_headers_on_its_object() -> None:
    shell = shell_file("/weight", "<html>é</html>", {
        "Content-Security-Policy": "default-src 'self'", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8",
        "Content-Length": "12"})
    assert shell.key == "shells/weight.html" and shell.content_encoding == "gzip"
    assert gzip.decompress(shell.data()).decode() == "<html>é</html>"
    assert (shell.content_type, shell.cache_control) == ("text/html; charset=utf-8", SHELL_CACHE)
    assert shell.metadata == {"header-content-security-policy": "default-src 'self'",
                              "header-x-content-type-options": "nosniff"}
    with pytest.raises(ValueError, match="metadata"):
        shell_file("/", "<html></html>", {"Content-Security-Policy": "x" * METADATA_LIMIT_BYTES})
    with pytest.raises(ValueError, match="PULSEBOARD_ASSETS_URL"):
        shell_settings({"DASH_REQUESTS_PATHNAME_PREFIX": "/dashboard/"})
