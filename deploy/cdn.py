"""The dashboard stage behind one origin: one routing table, and from it CloudFront's
distribution (its cache behaviours and the CloudFront Function that rewrites paths and adds the
pages' security headers) and the loopback stand-in's routing (deploy/local_cdn.py).

What is the same for every visitor comes from the stage's bucket, published by `make
publish-assets` under `<blobs prefix>/static/`: the bundles, plotly.js, `assets/`, the callback
list and one page shell per page (`static/shells/<name>.html`). Everything else (the data
callbacks, the session, login and logout, setup, OAuth, health, reports, anything unknown) goes to
the function through the stage's API Gateway, with cookies, query and headers, never cached."""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

STATIC_ORIGIN = "static"  # the stage's bucket (the public static folder)
STATIC_FOLDER = "static"  # `make publish-assets`' folder under the blobs prefix
FUNCTION_ORIGIN = "function"  # the stage's API Gateway
# Where the shells live under the static folder, and the metadata prefix their headers are kept
# under: S3 answers `x-amz-meta-<key>` headers, the viewer-response function renames them.
SHELLS_FOLDER = "shells"
HEADER_METADATA = "header-"
META_PREFIX = "x-amz-meta-" + HEADER_METADATA
# The paths the function answers under the prefix (the rest of it, and what is outside, too: the
# default behaviour), each named so the table says why it is not cached.
FUNCTION_PATTERNS = ("_dash-*", "_pulseboard/*", "login", "logout", "setup", "setup/*",
                     "oauth/*", "health", "reports.json")
# AWS's managed policies (their ids are fixed).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # no cookies or query; gzip/br keys
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # API Gateway routes by Host
# What the function sends on its own answers over HTTPS (dashboard/headers.py); the viewers of
# the bucket's answers are on HTTPS too (the behaviours redirect HTTP).
HSTS = ("strict-transport-security", f"max-age={365 * 24 * 3600}")
FUNCTION_CODE_LIMIT_BYTES = 10 * 1024  # CloudFront Functions' code size limit
CACHE_BEHAVIOURS_LIMIT = 25  # per distribution, by default
GET_HEAD = ["GET", "HEAD"]
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
_PAGE_PATH = re.compile(r"/(?:[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*)?")


class RoutingError(ValueError):
    """The table cannot be made as asked; the message says which value and why."""


@dataclass(frozen=True)
class Route:
    """One cache behaviour: the viewer paths it takes (a CloudFront path pattern, prefix
    included), the origin that answers and what it is (static, shell, redirect, function)."""

    pattern: str
    origin: str
    role: str
    target: str = ""  # shell: the object's path under the origin; redirect: the location

    @property
    def cached(self) -> bool:
        return self.origin == STATIC_ORIGIN

    def matches(self, path: str) -> bool:
        """CloudFront's matching: `*` any characters (slashes too), `?` one, case-sensitive."""
        regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                        for c in self.pattern)
        return re.fullmatch(regex, path) is not None


@dataclass(frozen=True)
class Forward:
    """What one viewer request becomes: the origin asked and the path it is asked for, or a
    redirect answered at the edge (`location`)."""

    origin: str
    path: str
    location: str = ""


def shell_name(page_path: str) -> str:
    """A page path's shell file name: "/" → index.html, "/weight" → weight.html."""
    if not _PAGE_PATH.fullmatch(page_path):
        raise RoutingError(f"page path {page_path!r}: expected '/' or '/name' (lower-case "
                           "letters, digits, '-' and '_', parts separated by '/')")
    return (page_path.strip("/").replace("/", "--") or "index") + ".html"


def shell_key(page_path: str) -> str:
    """Where a page's shell is published under the static folder."""
    return f"{SHELLS_FOLDER}/{shell_name(page_path)}"


@dataclass(frozen=True)
class Table:
    """The routes in CloudFront's order (first match wins; the last is the default, `*`)."""

    prefix: str
    routes: tuple[Route, ...]

    @property
    def default(self) -> Route:
        return self.routes[-1]

    def route(self, path: str) -> Route:
        return next(r for r in self.routes if r.matches(path))

    def forward(self, path: str, query: str = "") -> Forward:
        """The viewer-request rewrite, as the CloudFront Function does it (`function_code`)."""
        route = self.route(path)
        if route.role == "redirect":
            return Forward(route.origin, path, route.target + (f"?{query}" if query else ""))
        if route.role == "shell":
            return Forward(route.origin, route.target)
        if route.role == "static":
            return Forward(route.origin, path[len(self.prefix) - 1:])
        return Forward(route.origin, path)

    @property
    def pages(self) -> dict[str, str]:
        """Viewer path → the shell object's path under the static origin."""
        return {r.pattern: r.target for r in self.routes if r.role == "shell"}


def table(prefix: str, page_paths: Iterable[str]) -> Table:
    """The dashboard stage's routes under `prefix` (e.g. "/dashboard/") for its pages."""
    if not re.fullmatch(r"/(?:[a-z0-9_-]+/)+", prefix):
        raise RoutingError(f"prefix {prefix!r}: expected '/<stage>/' (the dashboard's "
                           "DASH_REQUESTS_PATHNAME_PREFIX)")
    paths = list(page_paths)
    if not paths:
        raise RoutingError("no page paths: the dashboard has no pages to publish")
    if len(set(paths)) != len(paths):
        twice = sorted({p for p in paths if paths.count(p) > 1})
        raise RoutingError(f"page paths listed twice: {twice}")
    routes = [Route(f"{prefix}{STATIC_FOLDER}/*", STATIC_ORIGIN, "static")]
    names: dict[str, str] = {}
    for page in paths:
        name = shell_name(page)
        if name in names:
            raise RoutingError(f"page paths {names[name]!r} and {page!r} share a shell name")
        names[name] = page
        viewer = prefix + page.strip("/")
        if any(Route(prefix + p, FUNCTION_ORIGIN, "").matches(viewer) for p in FUNCTION_PATTERNS):
            raise RoutingError(f"page path {page!r} is one the function answers")
        routes.append(Route(viewer, STATIC_ORIGIN, "shell", f"/{STATIC_FOLDER}/{shell_key(page)}"))
    routes.append(Route(prefix.rstrip("/"), STATIC_ORIGIN, "redirect", prefix))
    routes += [Route(prefix + p, FUNCTION_ORIGIN, "function") for p in FUNCTION_PATTERNS]
    routes.append(Route("*", FUNCTION_ORIGIN, "function"))
    if len(routes) - 1 > CACHE_BEHAVIOURS_LIMIT:
        raise RoutingError(f"{len(routes) - 1} cache behaviours: CloudFront allows "
                           f"{CACHE_BEHAVIOURS_LIMIT} per distribution")
    return Table(prefix, tuple(routes))


def viewer_response(headers: Mapping[str, str]) -> dict[str, str]:
    """The viewer-response change for what the bucket answers, as the CloudFront Function does
    it: each header kept as `x-amz-meta-header-<name>` on the object (a shell's) becomes `<name>`
    (names in lower case), and HSTS is added."""
    out: dict[str, str] = {}
    moved: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(META_PREFIX):
            moved[lower[len(META_PREFIX):]] = value
        else:
            out[lower] = value
    return {**out, **moved, HSTS[0]: HSTS[1]}


_FUNCTION_JS = """// Made by deploy/cdn.py from the dashboard stage's routing table: do not edit.
var PAGES = %(pages)s;
var BARE = %(bare)s, PREFIX = %(prefix)s, STATIC = %(static)s, META = %(meta)s;
var HSTS = %(hsts)s;

function query(qs) {
  var parts = [];
  for (var name in qs) {
    var entry = qs[name], values = entry.multiValue ? entry.multiValue : [entry];
    for (var i = 0; i < values.length; i++) {
      parts.push(values[i].value === "" ? name : name + "=" + values[i].value);
    }
  }
  return parts.length ? "?" + parts.join("&") : "";
}

function handler(event) {
  if (event.context.eventType === "viewer-response") {
    var headers = event.response.headers, moved = {};
    for (var name in headers) {
      if (name.indexOf(META) === 0) { moved[name] = headers[name]; }
    }
    for (var key in moved) {
      headers[key.slice(META.length)] = {value: moved[key].value};
      delete headers[key];
    }
    headers[HSTS[0]] = {value: HSTS[1]};
    return event.response;
  }
  var request = event.request, uri = request.uri;
  if (Object.prototype.hasOwnProperty.call(PAGES, uri)) {
    request.uri = PAGES[uri];
  } else if (uri === BARE) {
    return {statusCode: 301, statusDescription: "Moved Permanently",
            headers: {location: {value: PREFIX + query(request.querystring)}}};
  } else if (uri.indexOf(STATIC) === 0) {
    request.uri = uri.slice(PREFIX.length - 1);
  }
  return request;
}
"""


def function_code(routes: Table) -> str:
    """The CloudFront Function (cloudfront-js-2.0) for the static, shell and redirect
    behaviours: viewer-request rewrites as `Table.forward`, viewer-response (static and shells)
    as `viewer_response`."""
    static = next(r for r in routes.routes if r.role == "static")
    code = _FUNCTION_JS % {
        "pages": json.dumps(routes.pages, sort_keys=True),
        "bare": json.dumps(routes.prefix.rstrip("/")), "prefix": json.dumps(routes.prefix),
        "static": json.dumps(static.pattern.rstrip("*")), "meta": json.dumps(META_PREFIX),
        "hsts": json.dumps(list(HSTS)),
    }
    if len(code.encode()) > FUNCTION_CODE_LIMIT_BYTES:
        raise RoutingError(f"the CloudFront Function is {len(code.encode())} bytes: CloudFront "
                           f"allows {FUNCTION_CODE_LIMIT_BYTES}")
    return code


def function_name(stage: str, code: str) -> str:
    """Named by its code, so an update makes a new function and the distribution moves to it."""
    return f"pulseboard-{stage}-{hashlib.sha256(code.encode()).hexdigest()[:12]}"


def _behaviour(route: Route, function_arn: str) -> dict[str, object]:
    associations = []
    if route.role in ("static", "shell", "redirect"):
        associations.append({"FunctionARN": function_arn, "EventType": "viewer-request"})
    if route.role in ("static", "shell"):  # a shell asked for by its static path too
        associations.append({"FunctionARN": function_arn, "EventType": "viewer-response"})
    methods = GET_HEAD if route.cached else ALL_METHODS
    behaviour: dict[str, object] = {
        "TargetOriginId": route.origin,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {"Quantity": len(methods), "Items": methods,
                           "CachedMethods": {"Quantity": 2, "Items": GET_HEAD}},
        "Compress": True,
        "CachePolicyId": CACHING_OPTIMIZED if route.cached else CACHING_DISABLED,
        "FunctionAssociations": {"Quantity": len(associations), "Items": associations},
        "LambdaFunctionAssociations": {"Quantity": 0},
        "SmoothStreaming": False,
        "FieldLevelEncryptionId": "",
    }
    if not route.cached:
        # Cookies (the session), the query and every header but Host reach the function.
        behaviour["OriginRequestPolicyId"] = ALL_VIEWER_EXCEPT_HOST
    return behaviour


def distribution_config(routes: Table, *, bucket: str, region: str, blobs_prefix: str,
                        api_domain: str, function_arn: str, reference: str,
                        comment: str) -> dict[str, object]:
    """CloudFront's DistributionConfig for the table: the bucket (its public static folder,
    under the blobs prefix) and the API Gateway stage as origins, one behaviour per route."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]+[a-z0-9]", api_domain):
        raise RoutingError(f"API domain {api_domain!r}: expected <id>.execute-api.<region>"
                           ".amazonaws.com")
    origins = [
        {"Id": STATIC_ORIGIN, "DomainName": f"{bucket}.s3.{region}.amazonaws.com",
         "OriginPath": f"/{blobs_prefix.strip('/')}" if blobs_prefix.strip("/") else "",
         "S3OriginConfig": {"OriginAccessIdentity": ""}},
        {"Id": FUNCTION_ORIGIN, "DomainName": api_domain, "OriginPath": "",
         "CustomOriginConfig": {
             "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
             "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
             "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5}},
    ]
    ordered = [{"PathPattern": r.pattern, **_behaviour(r, function_arn)}
               for r in routes.routes[:-1]]
    return {
        "CallerReference": reference,
        "Comment": comment,
        "Enabled": True,
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": _behaviour(routes.default, function_arn),
        "CacheBehaviors": {"Quantity": len(ordered), "Items": ordered},
        "PriceClass": "PriceClass_100",  # North America and Europe edges: the cheapest
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
    }


# --- on AWS (CloudFront is global: its API is in us-east-1) ----------------------------------
CLOUDFRONT_REGION = "us-east-1"


def comment(stage: str) -> str:
    """How a stage's distribution is found again (CloudFront names none)."""
    return f"pulseboard-{stage}"


def find(cf: Any, stage: str) -> dict[str, Any] | None:
    """The stage's distribution's summary, None when there is none."""
    for page in cf.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items", []):
            if item.get("Comment") == comment(stage):
                return dict(item)
    return None


def _publish(cf: Any, name: str, etag: str, say: Callable[[str], None]) -> None:
    try:
        cf.publish_function(Name=name, IfMatch=etag)
    except cf.exceptions.ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status != 404 or not os.environ.get("AWS_ENDPOINT_URL"):
            raise
        # A local emulator (moto) has no PublishFunction: the function stays in DEVELOPMENT.
        say(f"CloudFront Function {name}: this endpoint cannot publish it (kept as made)")


def ensure_function(cf: Any, stage: str, code: str, say: Callable[[str], None]) -> str:
    """The stage's CloudFront Function for this code, made and published if new; its ARN."""
    name = function_name(stage, code)
    try:
        return str(cf.describe_function(Name=name)["FunctionSummary"]["FunctionMetadata"]
                   ["FunctionARN"])
    except cf.exceptions.NoSuchFunctionExists:
        pass
    made = cf.create_function(Name=name, FunctionCode=code.encode(), FunctionConfig={
        "Comment": f"{comment(stage)}: path rewrite and shell headers (deploy/cdn.py)",
        "Runtime": "cloudfront-js-2.0"})
    _publish(cf, name, made["ETag"], say)
    say(f"CloudFront Function {name} made")
    return str(made["FunctionSummary"]["FunctionMetadata"]["FunctionARN"])


def _drop_functions(cf: Any, stage: str, keep: str = "",
                    say: Callable[[str], None] = print) -> None:
    names: list[str] = []
    marker = ""
    while True:  # boto3 has no paginator for this one
        listed = cf.list_functions(**({"Marker": marker} if marker else {}))["FunctionList"]
        names += [item["Name"] for item in listed.get("Items", [])]
        marker = listed.get("NextMarker", "")
        if not marker:
            break
    for name in names:
        if name.startswith(comment(stage) + "-") and name != keep:
            etag = cf.describe_function(Name=name)["ETag"]
            try:
                cf.delete_function(Name=name, IfMatch=etag)
            except cf.exceptions.FunctionInUse:  # the distribution's change is still going out
                say(f"CloudFront Function {name} is still in use: the next deploy removes it")


def deploy_distribution(cf: Any, stage: str, routes: Table, *, bucket: str, region: str,
                        blobs_prefix: str, api_domain: str,
                        say: Callable[[str], None] = print) -> str:
    """Makes the stage's distribution, or points the one there at the new function and
    origins (and drops the pages' cached shells); its domain name."""
    code = function_code(routes)
    arn = ensure_function(cf, stage, code, say)
    found = find(cf, stage)
    reference = f"{comment(stage)}-{uuid.uuid4().hex[:12]}"
    if found is None:
        config = distribution_config(routes, bucket=bucket, region=region,
                                     blobs_prefix=blobs_prefix, api_domain=api_domain,
                                     function_arn=arn, reference=reference,
                                     comment=comment(stage))
        made = cf.create_distribution(DistributionConfig=config)["Distribution"]
        domain = str(made["DomainName"])
        say(f"CloudFront distribution {made['Id']} made: https://{domain}{routes.prefix}")
    else:
        current = cf.get_distribution_config(Id=found["Id"])
        config = distribution_config(
            routes, bucket=bucket, region=region, blobs_prefix=blobs_prefix,
            api_domain=api_domain, function_arn=arn, comment=comment(stage),
            reference=current["DistributionConfig"]["CallerReference"])
        cf.update_distribution(Id=found["Id"], IfMatch=current["ETag"],
                               DistributionConfig=config)
        cf.create_invalidation(DistributionId=found["Id"], InvalidationBatch={
            "Paths": {"Quantity": len(routes.pages), "Items": sorted(routes.pages)},
            "CallerReference": reference})
        domain = str(found["DomainName"])
        say(f"CloudFront distribution {found['Id']} updated: https://{domain}{routes.prefix}")
    _drop_functions(cf, stage, function_name(stage, code), say)
    return domain


def remove_distribution(cf: Any, stage: str, say: Callable[[str], None] = print,
                        wait_delay_s: int = 30) -> bool:
    """Disables the stage's distribution, waits until that is deployed (CloudFront deletes
    only a disabled one; on AWS this takes minutes), deletes it and its functions. Whether
    there was one."""
    found = find(cf, stage)
    if found is not None:
        current = cf.get_distribution_config(Id=found["Id"])
        config = current["DistributionConfig"]
        etag = current["ETag"]
        if config.get("Enabled"):
            config["Enabled"] = False
            say(f"CloudFront distribution {found['Id']}: disabling (minutes on AWS)")
            etag = cf.update_distribution(Id=found["Id"], IfMatch=etag,
                                          DistributionConfig=config)["ETag"]
        cf.get_waiter("distribution_deployed").wait(
            Id=found["Id"], WaiterConfig={"Delay": wait_delay_s, "MaxAttempts": 60})
        cf.delete_distribution(Id=found["Id"], IfMatch=etag)
        say(f"CloudFront distribution {found['Id']} deleted")
    _drop_functions(cf, stage, "", say)
    return found is not None
