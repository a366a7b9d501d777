"""The dashboard stage behind one origin: the routing table, the CloudFront Function made from it
(run in node on sample events, against the same rewrite in Python), the distribution rehearsed
on moto (made, updated, removed), and the loopback stand-in serving by the same table."""

from __future__ import annotations

import gzip
import http.client
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from deploy import cdn
from deploy.cdn import (
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    FUNCTION_ORIGIN,
    STATIC_ORIGIN,
    Forward,
    RoutingError,
    table,
)
from deploy.local_cdn import LocalCdn
from deploy.loopback import LoopbackServer, reply

PREFIX = "/dashboard/"
PAGES = ["/", "/weight", "/running", "/crossfit", "/forecast", "/explore", "/quality",
         "/entry", "/privacy"]
ROUTES = table(PREFIX, PAGES)

# Viewer path (and query) → what the origin is asked for, or where the edge redirects.
CASES = [
    ("/dashboard/", "", Forward(STATIC_ORIGIN, "/static/shells/index.html")),
    ("/dashboard/weight", "embed=1", Forward(STATIC_ORIGIN, "/static/shells/weight.html")),
    ("/dashboard/privacy", "", Forward(STATIC_ORIGIN, "/static/shells/privacy.html")),
    ("/dashboard/static/plotly/6.3.0/package_data/plotly.min.js", "",
     Forward(STATIC_ORIGIN, "/static/plotly/6.3.0/package_data/plotly.min.js")),
    ("/dashboard/static/shells/weight.html", "", Forward(STATIC_ORIGIN,
                                                         "/static/shells/weight.html")),
    ("/dashboard", "embed=1", Forward(STATIC_ORIGIN, "/dashboard", "/dashboard/?embed=1")),
    ("/dashboard", "", Forward(STATIC_ORIGIN, "/dashboard", "/dashboard/")),
    ("/dashboard/_dash-update-component", "", Forward(FUNCTION_ORIGIN,
                                                      "/dashboard/_dash-update-component")),
    ("/dashboard/_dash-layout", "", Forward(FUNCTION_ORIGIN, "/dashboard/_dash-layout")),
    ("/dashboard/_pulseboard/session", "path=%2F", Forward(FUNCTION_ORIGIN,
                                                           "/dashboard/_pulseboard/session")),
    ("/dashboard/login", "next=%2Fdashboard%2Fweight", Forward(FUNCTION_ORIGIN,
                                                               "/dashboard/login")),
    ("/dashboard/logout", "", Forward(FUNCTION_ORIGIN, "/dashboard/logout")),
    ("/dashboard/setup/owner", "", Forward(FUNCTION_ORIGIN, "/dashboard/setup/owner")),
    ("/dashboard/oauth/strava/callback", "code=x", Forward(FUNCTION_ORIGIN,
                                                           "/dashboard/oauth/strava/callback")),
    ("/dashboard/health", "", Forward(FUNCTION_ORIGIN, "/dashboard/health")),
    ("/dashboard/reports.json", "", Forward(FUNCTION_ORIGIN, "/dashboard/reports.json")),
    ("/dashboard/weight/more", "", Forward(FUNCTION_ORIGIN, "/dashboard/weight/more")),
    ("/dashboard/Weight", "", Forward(FUNCTION_ORIGIN, "/dashboard/Weight")),
    ("/dashboards/", "", Forward(FUNCTION_ORIGIN, "/dashboards/")),
    ("/", "", Forward(FUNCTION_ORIGIN, "/")),
]


@pytest.mark.parametrize(("path", "query", "expected"), CASES)
def test_the_table_sends_each_path_where_it_belongs(path: str, query: str,
                                                    expected: Forward) -> None:
    assert ROUTES.forward(path, query) == expected
    route = ROUTES.route(path)
    assert route.cached == (route.origin == STATIC_ORIGIN)  # what the function answers: never


def test_the_table_in_cloudfronts_order() -> None:
    roles = [r.role for r in ROUTES.routes]
    assert roles[0] == "static" and roles[-1] == "function" and ROUTES.default.pattern == "*"
    assert [r.pattern for r in ROUTES.routes if r.role == "shell"] == [
        PREFIX + p.strip("/") for p in PAGES]
    assert ROUTES.pages["/dashboard/"] == "/static/shells/index.html"


@pytest.mark.parametrize(("prefix", "pages", "reason"), [
    ("dashboard/", ["/"], "prefix"),
    ("/dashboard", ["/"], "prefix"),
    ("/dashboard/", [], "no page paths"),
    ("/dashboard/", ["/", "/"], "listed twice"),
    ("/dashboard/", ["/Weight"], "page path '/Weight'"),
    ("/dashboard/", ["/weight/"], "page path '/weight/'"),
    ("/dashboard/", ["/../x"], "page path"),
    ("/dashboard/", ["/login"], "one the function answers"),
    ("/dashboard/", ["/_dash-layout"], "page path"),
    ("/dashboard/", ["/a--b", "/a/b"], "share a shell name"),
    ("/dashboard/", [f"/p{n}" for n in range(20)], "cache behaviours"),
])
def test_a_table_that_cannot_be_made_says_why(prefix: str, pages: list[str], reason: str) -> None:
    with pytest.raises(RoutingError, match=reason):
        table(prefix, pages)


NODE_HARNESS = """
const fs = require("fs");
eval(fs.readFileSync(process.argv[1], "utf8") + "\\nglobalThis.handler = handler;");
const events = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(events.map((e) => globalThis.handler(e))));
"""


def viewer_request_event(path: str, query: str) -> dict[str, Any]:
    """CloudFront Functions' viewer-request event (JavaScript runtime 2.0)."""
    querystring: dict[str, Any] = {}
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        querystring[name] = {"value": value}
    return {"version": "1.0", "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "127.0.0.1"},
            "request": {"method": "GET", "uri": path, "querystring": querystring,
                        "headers": {"host": {"value": "d111.cloudfront.net"}},
                        "cookies": {}}}


def run_node(code: str, events: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the function's JavaScript cannot be run here")
    script = tmp_path / "function.js"
    script.write_text(code)
    done = subprocess.run([node, "-e", NODE_HARNESS, str(script)], input=json.dumps(events),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_the_cloudfront_function_rewrites_as_the_table_says(tmp_path: Path) -> None:
    code = cdn.function_code(ROUTES)
    assert len(code.encode()) <= cdn.FUNCTION_CODE_LIMIT_BYTES
    results = run_node(code, [viewer_request_event(p, q) for p, q, _ in CASES], tmp_path)
    for (path, query, _), result in zip(CASES, results, strict=True):
        expected = ROUTES.forward(path, query)
        if expected.location:
            assert result["statusCode"] == 301, (path, result)
            assert result["headers"]["location"]["value"] == expected.location
        else:
            # The function leaves the origin to the behaviour; it only rewrites the path.
            assert result["uri"] == expected.path, (path, result)


def test_the_cloudfront_function_gives_a_shell_its_headers(tmp_path: Path) -> None:
    stored = {"content-type": "text/html; charset=utf-8", "cache-control": "no-cache",
              f"{cdn.META_PREFIX}content-security-policy": "default-src 'self'",
              f"{cdn.META_PREFIX}x-content-type-options": "nosniff",
              "x-amz-meta-other": "kept"}
    event = {"version": "1.0", "context": {"eventType": "viewer-response"},
             "request": viewer_request_event("/static/shells/index.html", "")["request"],
             "response": {"statusCode": 200,
                          "headers": {k: {"value": v} for k, v in stored.items()}}}
    result = run_node(cdn.function_code(ROUTES), [event], tmp_path)[0]
    got = {k: v["value"] for k, v in result["headers"].items()}
    assert got == cdn.viewer_response(stored)
    assert got["content-security-policy"] == "default-src 'self'"
    assert got["strict-transport-security"] == "max-age=31536000"
    assert not any(k.startswith(cdn.META_PREFIX) for k in got)


def behaviours(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [*config["CacheBehaviors"].get("Items", []), config["DefaultCacheBehavior"]]


def test_the_distribution_config_follows_the_table() -> None:
    arn = "arn:aws:cloudfront::123456789012:function/f"
    config = cdn.distribution_config(
        ROUTES, bucket="pulseboard-data", region="eu-west-1", blobs_prefix="v1",
        api_domain="abc123.execute-api.eu-west-1.amazonaws.com", function_arn=arn,
        reference="r1", comment="pulseboard-dashboard")
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}  # type: ignore[index]
    assert origins[STATIC_ORIGIN]["DomainName"] == "pulseboard-data.s3.eu-west-1.amazonaws.com"
    assert origins[STATIC_ORIGIN]["OriginPath"] == "/v1"
    assert origins[FUNCTION_ORIGIN]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    items = behaviours(config)
    assert [b.get("PathPattern", "*") for b in items] == [r.pattern for r in ROUTES.routes]
    for route, behaviour in zip(ROUTES.routes, items, strict=True):
        assert behaviour["TargetOriginId"] == route.origin
        assert behaviour["Compress"] is True
        events = sorted(a["EventType"] for a in behaviour["FunctionAssociations"]["Items"])
        if route.origin == FUNCTION_ORIGIN:
            assert behaviour["CachePolicyId"] == CACHING_DISABLED, route
            assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
            assert "POST" in behaviour["AllowedMethods"]["Items"] and events == []
        else:
            assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED, route
            assert behaviour["AllowedMethods"]["Items"] == ["GET", "HEAD"]
            assert events == (["viewer-request"] if route.role == "redirect"
                              else ["viewer-request", "viewer-response"])
    with pytest.raises(RoutingError, match="API domain"):
        cdn.distribution_config(ROUTES, bucket="b", region="eu-west-1", blobs_prefix="",
                                api_domain="https://abc/", function_arn=arn, reference="r",
                                comment="c")


def function_names(cf: Any) -> set[str]:
    return {f["Name"] for f in cf.list_functions()["FunctionList"].get("Items", [])}


def test_deploy_update_and_remove_the_distribution_on_moto(aws: str) -> None:
    cf: Any = boto3.client("cloudfront", region_name=cdn.CLOUDFRONT_REGION)
    stage = f"dash{uuid.uuid4().hex[:6]}"
    said: list[str] = []
    where = dict(bucket="pulseboard-data", region="eu-west-1", blobs_prefix="v1",
                 api_domain="abc123.execute-api.eu-west-1.amazonaws.com")
    domain = cdn.deploy_distribution(cf, stage, ROUTES, say=said.append, **where)
    found = cdn.find(cf, stage)
    assert found is not None and found["DomainName"] == domain
    assert any(f"https://{domain}/dashboard/" in line for line in said), said
    stored = cf.get_distribution_config(Id=found["Id"])["DistributionConfig"]
    assert [b.get("PathPattern", "*") for b in behaviours(stored)] == [
        r.pattern for r in ROUTES.routes]
    assert [b["TargetOriginId"] for b in behaviours(stored)] == [r.origin for r in ROUTES.routes]
    assert [b["CachePolicyId"] for b in behaviours(stored)] == [
        CACHING_OPTIMIZED if r.cached else CACHING_DISABLED for r in ROUTES.routes]
    first = cdn.function_name(stage, cdn.function_code(ROUTES))
    assert first in function_names(cf)
    assert cf.get_function(Name=first)["FunctionCode"].read().decode() == cdn.function_code(
        ROUTES)
    # An update with a page more: the same distribution, on a new function; the old one goes,
    # and the pages' shells are dropped from the edge caches.
    more = table(PREFIX, [*PAGES, "/sleep"])
    assert cdn.deploy_distribution(cf, stage, more, say=said.append, **where) == domain
    assert cdn.find(cf, stage)["Id"] == found["Id"]  # type: ignore[index]
    stored = cf.get_distribution_config(Id=found["Id"])["DistributionConfig"]
    assert "/dashboard/sleep" in [b.get("PathPattern") for b in behaviours(stored)]
    ours = {n for n in function_names(cf) if n.startswith(f"pulseboard-{stage}-")}
    assert ours == {cdn.function_name(stage, cdn.function_code(more))}
    invalidations = cf.list_invalidations(DistributionId=found["Id"])["InvalidationList"]
    assert invalidations["Quantity"] == 1
    assert cdn.remove_distribution(cf, stage, said.append, wait_delay_s=1) is True
    assert cdn.find(cf, stage) is None
    assert not {n for n in function_names(cf) if n.startswith(f"pulseboard-{stage}-")}
    assert cdn.remove_distribution(cf, stage, said.append, wait_delay_s=1) is False


# --- the loopback stand-in -------------------------------------------------------------------
class Function(BaseHTTPRequestHandler):
    """Stands in for the gateway: says what it was sent; /dashboard/login redirects with two
    cookies."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]] = []

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        Function.seen.append({"method": self.command, "target": self.path, "body": body,
                              "cookie": self.headers.get("Cookie", ""),
                              "host": self.headers.get("Host", "")})
        if self.path.startswith("/dashboard/login"):
            reply(self, 302, [("Location", "/dashboard/weight"), ("Set-Cookie", "a=1"),
                              ("Set-Cookie", "b=2")], b"")
        else:
            reply(self, 200, [("Content-Type", "application/json")], b'{"ok": true}')

    do_GET = do_POST = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in(moto_endpoint: str) -> Iterator[LocalCdn]:
    s3: Any = boto3.client("s3", region_name="eu-west-1", endpoint_url=moto_endpoint,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket = f"cdn-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=bucket, Key="v1/static/shells/weight.html", Body=b"<html>weight</html>",
                  ContentType="text/html; charset=utf-8", CacheControl="no-cache",
                  Metadata={"header-content-security-policy": "default-src 'self'"})
    s3.put_object(Bucket=bucket, Key="v1/static/dash/1.0/app.js", Body=b"var a = 1;\n" * 500,
                  ContentType="application/javascript",
                  CacheControl="public, max-age=31536000, immutable")
    s3.put_object(Bucket=bucket, Key="v1/static/list.json",
                  Body=gzip.compress(b'{"list": []}' * 200), ContentType="application/json",
                  ContentEncoding="gzip", CacheControl="public, max-age=31536000, immutable")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/v1/static/*"}]}))
    Function.seen = []
    function = LoopbackServer(Function)
    function.start()
    with LocalCdn(PREFIX, f"{moto_endpoint}/{bucket}/v1", ROUTES,
                  f"http://127.0.0.1:{function.port}/dashboard/") as served:
        yield served
    function.stop()


def fetch(cdn_: LocalCdn, method: str, target: str, headers: dict[str, str] | None = None,
          body: bytes = b"") -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", int(cdn_.origin.rsplit(":", 1)[1]),
                                            timeout=30)
    try:
        connection.request(method, target, body=body or None, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        connection.close()


def test_the_stand_in_serves_shells_and_static_from_s3(stand_in: LocalCdn) -> None:
    status, headers, body = fetch(stand_in, "GET", "/dashboard/weight?embed=1")
    assert (status, body) == (200, b"<html>weight</html>")
    assert headers["Content-Security-Policy"] == "default-src 'self'"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert not [h for h in headers if h.lower().startswith("x-amz-meta-")]
    # Asked for by its static path, the shell keeps its headers.
    status, headers, _ = fetch(stand_in, "GET", "/dashboard/static/shells/weight.html")
    assert (status, headers["Content-Security-Policy"]) == (200, "default-src 'self'")
    status, headers, body = fetch(stand_in, "GET", "/dashboard/static/dash/1.0/app.js",
                                  {"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == b"var a = 1;\n" * 500
    status, headers, body = fetch(stand_in, "GET", "/dashboard/static/dash/1.0/app.js")
    assert (status, headers.get("Content-Encoding"), len(body)) == (200, None, 5500)
    assert headers["X-Cache"] == "Hit from local-cdn"  # immutable: kept at the edge
    status, headers, body = fetch(stand_in, "GET", "/dashboard/static/list.json",
                                  {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"  # stored gzipped: sent as stored, once
    assert gzip.decompress(body) == b'{"list": []}' * 200
    assert fetch(stand_in, "GET", "/dashboard/static/missing.js")[0] in (403, 404)
    assert fetch(stand_in, "POST", "/dashboard/static/dash/1.0/app.js")[0] == 403
    status, headers, _ = fetch(stand_in, "GET", "/dashboard?embed=1")
    assert (status, headers["Location"]) == (301, "/dashboard/?embed=1")
    assert fetch(stand_in, "GET", "/dashboard/static/../../secret")[0] == 400
    assert not Function.seen and not stand_in.reaching_function()
    assert {e.origin for e in stand_in.log} == {"static", "edge"}


def test_the_stand_in_hands_the_rest_to_the_function(stand_in: LocalCdn) -> None:
    status, headers, _ = fetch(stand_in, "POST", "/dashboard/login?next=%2Fdashboard%2Fweight",
                               {"Cookie": "session=abc", "Content-Type": "text/plain"}, b"hi")
    assert (status, headers["Location"]) == (302, "/dashboard/weight")  # not followed
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert Function.seen[-1] == {"method": "POST", "target": "/dashboard/login?next=%2Fdashboard"
                                 "%2Fweight", "body": "hi", "cookie": "session=abc",
                                 "host": urlsplit(stand_in.function_url).netloc}
    for target in ("/dashboard/_dash-update-component", "/dashboard/_pulseboard/session?path=%2F",
                   "/dashboard/unknown", "/"):
        assert fetch(stand_in, "GET", target)[0] == 200
    assert [s["target"] for s in Function.seen[1:]] == [
        "/dashboard/_dash-update-component", "/dashboard/_pulseboard/session?path=%2F",
        "/dashboard/unknown", "/"]
    assert len(stand_in.reaching_function()) == 5 == len(stand_in.log)


def test_a_stage_serving_its_own_scripts_gets_no_distribution(aws: str) -> None:
    from deploy.aws import deploy_cdn

    said: list[str] = []
    config = {"aws_environment_variables": {"PULSEBOARD_STORE": "dynamodb://t",
                                            "PULSEBOARD_BLOBS": "s3://b/v1"}}
    assert deploy_cdn("dashboard", config, "eu-west-1", said.append) is None
    assert said and "no CloudFront distribution" in said[0]
