"""`make publish-assets`: the dashboard's browser files on S3, so Lambda never has to send them.

A Lambda answer is at most 6 MB and plotly.js alone is 4.8 MB; without this, a first visit costs
a dozen invocations for bundles, 6.5 MB in all. This uploads Dash's and the component libraries'
bundles at the installed versions, plotly.js and `dashboard/assets/` under `<blobs prefix>/static/`
of the dashboard stage's bucket, lets anyone read that folder (and nothing else), and prints the
URL for the dashboard stage's PULSEBOARD_ASSETS_URL. Bundle paths come from
`dashboard.static_hosting.bundle_path`, the function the dashboard builds its script URLs with.

It also publishes the release's `_dash-dependencies` answer (the callback list, the same for
every visitor), gzipped, under `dashboard.static_hosting.dependencies_key` (named by its digest),
and lets any page read the bucket's public files across origins (CORS, GET only): the pages'
renderer fetches that list from there instead of from the function.

Given the stage's settings, it publishes each page's shell too (`StaticHostedDash.shell_html`,
the whole page, the same for every visitor), gzipped, under `shells/<name>.html`
(deploy/cdn.py names them), its headers (`dashboard.headers.shell_headers`: the content policy
with the shell's script hashes, …) kept on the object, where CloudFront's function, or the
loopback CDN, hands them to the browser."""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from deploy.aws import _client, targets
from deploy.cdn import HEADER_METADATA, STATIC_FOLDER, shell_key
from deploy.package import SETTINGS_FILE, stage_config

STAGE = "dashboard"
FOLDER = STATIC_FOLDER
ASSETS_DIR = Path(__file__).resolve().parents[1] / "dashboard" / "assets"
# Bundle paths carry the package version: what is there never changes. `assets/` does not.
VERSIONED_CACHE = "public, max-age=31536000, immutable"
ASSETS_CACHE = "public, no-cache"
CONTENT_TYPES = {
    ".js": "application/javascript", ".mjs": "application/javascript", ".css": "text/css",
    ".map": "application/json", ".json": "application/json", ".txt": "text/plain",
    ".ico": "image/x-icon", ".png": "image/png", ".svg": "image/svg+xml",
    ".woff2": "font/woff2", ".woff": "font/woff",
}
POLICY_SID = "PulseboardPublicStatic"
CORS_ID = "PulseboardPublicStatic"
GZIP_LEVEL = 9  # compressed once, at publishing: the smallest answer for every page view
ROOT = Path(__file__).resolve().parents[1]
SHELL_TYPE = "text/html; charset=utf-8"
SHELL_CACHE = "no-cache"  # one name per page, new content per release: revalidated each view
METADATA_LIMIT_BYTES = 2048  # S3's limit on an object's user metadata
# The stage's settings a shell is made from (the rest, store and secrets, play no part in it).
SHELL_SETTINGS_DROPPED = ("PULSEBOARD_STORE", "PULSEBOARD_BLOBS", "PULSEBOARD_SSM_PREFIX",
                          "PULSEBOARD_DATA_DIR", "PULSEBOARD_SECRET_KEY", "PULSEBOARD_API_KEY")


@dataclass(frozen=True)
class StaticFile:
    key: str  # under the static folder, as it appears after PULSEBOARD_ASSETS_URL
    source: Path | None  # a file copied as it is, else `body` (made here, stored as it is)
    content_type: str
    cache_control: str
    body: bytes = b""
    content_encoding: str = ""
    metadata: dict[str, str] = field(default_factory=dict)  # S3 user metadata (shell headers)

    def data(self) -> bytes:
        return self.source.read_bytes() if self.source is not None else self.body


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def _package_paths(resources: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(namespace, path) of every production file in Dash resource entries, lazy ones included
    (dcc's async chunks, source maps): what `_dash-component-suites/` would serve locally."""
    found: set[tuple[str, str]] = set()
    for resource in resources:
        paths = resource.get("relative_package_path")
        if paths is None or resource.get("dev_only"):
            continue
        if isinstance(paths, dict):  # the renderer's React, per mode
            paths = paths["prod"]
        for path in [paths] if isinstance(paths, str) else paths:
            found.add((resource["namespace"], path))
    return found


def bundles() -> set[tuple[str, str]]:
    """Every package file the dashboard's pages can load: the lists Dash writes its tags from
    (the renderer and React, dcc, html, dash_table, then each component library the dashboard
    imports), plotly.js (dcc.Graph loads it lazily) and Dash's favicon."""
    from dash import _dash_renderer, dash_table, dcc, html
    from dash.development.base_component import ComponentRegistry

    import dashboard.app  # noqa: F401  (imports, and so registers, the component libraries)

    found = _package_paths([
        *_dash_renderer._js_dist_dependencies, *_dash_renderer._js_dist,
        *dcc._js_dist, *html._js_dist, *dash_table._js_dist,
        *ComponentRegistry.get_resources("_js_dist"), *ComponentRegistry.get_resources("_css_dist"),
    ])
    found |= {("plotly", "package_data/plotly.min.js"), ("dash", "favicon.ico")}
    return found


_DEPENDENCIES_SCRIPT = """
import sys
from dashboard.app import build
from dashboard.config import DashboardConfig
# A throwaway config: the callback list depends on the code only (no store is opened).
config = DashboardConfig(store_url="sqlite:///unused.db", secret_key="publish" * 8,
                         assets_url="https://publish.invalid/static")
sys.stdout.buffer.write(build(config)[1].dependencies_body())
"""


@functools.cache
def dependencies_body() -> bytes:
    """The dashboard's `_dash-dependencies` answer as this code makes it, byte for byte. Made in
    a fresh process: Dash builds one app per process, and this one may want another config."""
    done = subprocess.run([sys.executable, "-c", _DEPENDENCIES_SCRIPT], cwd=ROOT,
                          capture_output=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError("could not build the dashboard to read its callback list:\n"
                           + done.stderr.decode(errors="replace").strip())
    return done.stdout


def dependencies_file() -> StaticFile:
    """The release's `_dash-dependencies`, gzipped, under its content-addressed key."""
    from dashboard.static_hosting import dependencies_key

    body = dependencies_body()
    return StaticFile(dependencies_key(body), None, "application/json", VERSIONED_CACHE,
                      gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), "gzip")


_SHELLS_SCRIPT = """
import json, sys
import settings
from dashboard import config as dashboard_config
from dashboard.app import build
from dashboard.headers import shell_headers
config = dashboard_config.from_settings(settings.get())
app = build(config)[1]
pages = {}
for path in app.shell_paths():
    html = app.shell_html(path)
    pages[path] = {"html": html, "headers": shell_headers(config, html)}
sys.stdout.write(json.dumps(pages))
"""


def shell_settings(stage_env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The dashboard's settings its shells are made with: the stage's own (its assets URL,
    path prefix, embedders, map, units and zone), without its store and secrets."""
    kept = {k: v for k, v in stage_env.items()
            if k.startswith(("PULSEBOARD_", "DASH_")) and k not in SHELL_SETTINGS_DROPPED}
    if not kept.get("PULSEBOARD_ASSETS_URL"):
        raise ValueError("the stage's shells load their scripts from PULSEBOARD_ASSETS_URL: "
                         "set it in the stage's aws_environment_variables")
    return tuple(sorted(kept.items()))


@functools.cache
def shell_pages(settings_items: tuple[tuple[str, str], ...]) -> dict[str, dict[str, Any]]:
    """Page path → {"html": the shell, "headers": its headers}, as the dashboard makes them
    with those settings. Made in a fresh process, as `dependencies_body` is."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PULSEBOARD_", "DASH_", "AWS_"))}
        env.update(dict(settings_items), PULSEBOARD_DATA_DIR=tmp,
                   PULSEBOARD_STORE=f"sqlite:///{tmp}/unused.db",
                   PULSEBOARD_SECRET_KEY="publish" * 8)  # a throwaway: sessions play no part
        done = subprocess.run([sys.executable, "-c", _SHELLS_SCRIPT], cwd=ROOT, env=env,
                              capture_output=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError("could not build the dashboard to read its page shells:\n"
                           + done.stderr.decode(errors="replace").strip())
    return dict(json.loads(done.stdout))


def shell_file(path: str, html: str, headers: Mapping[str, str]) -> StaticFile:
    """One page's shell, gzipped: its Content-Type and Cache-Control as S3 keeps them, its other
    headers as `header-<name>` metadata (S3 answers them as `x-amz-meta-header-<name>`)."""
    named = {k.lower(): v for k, v in headers.items()}
    content_type = named.pop("content-type", SHELL_TYPE)
    cache_control = named.pop("cache-control", SHELL_CACHE)
    if "no-store" in cache_control:
        cache_control = SHELL_CACHE  # the function's pages carry data; a shell carries none
    named.pop("content-length", None)
    named.pop("content-encoding", None)
    metadata = {f"{HEADER_METADATA}{k}": v for k, v in sorted(named.items())}
    size = sum(len(k) + len(v.encode()) for k, v in metadata.items())
    if size > METADATA_LIMIT_BYTES:
        raise ValueError(f"the {path!r} shell's headers are {size} bytes: S3 keeps at most "
                         f"{METADATA_LIMIT_BYTES} bytes of metadata on an object")
    return StaticFile(shell_key(path), None, content_type, cache_control,
                      gzip.compress(html.encode(), compresslevel=GZIP_LEVEL, mtime=0), "gzip",
                      metadata)


def shells(stage_env: Mapping[str, str]) -> list[StaticFile]:
    """Every page's shell for the stage with these settings."""
    pages = shell_pages(shell_settings(stage_env))
    return [shell_file(path, page["html"], page["headers"]) for path, page in pages.items()]


def page_paths(stage_env: Mapping[str, str]) -> list[str]:
    """The page paths the stage has shells for (what deploy/cdn.py routes to them)."""
    return list(shell_pages(shell_settings(stage_env)))


def plan(stage_env: Mapping[str, str] | None = None) -> list[StaticFile]:
    """What goes under the static folder: bundles by package and version, `assets/`, the
    release's `_dash-dependencies`, then (given the stage's settings) the pages' shells."""
    from dashboard.static_hosting import bundle_path

    files = []
    for namespace, path in sorted(bundles()):
        source = Path(importlib.import_module(namespace).__file__ or "").parent / path
        if not source.is_file():
            continue  # listed but not shipped (a wheel without some source maps): Dash 404s too
        files.append(StaticFile(bundle_path(namespace, path), source, _content_type(path),
                                VERSIONED_CACHE))
    for source in sorted(p for p in ASSETS_DIR.rglob("*") if p.is_file()):
        name = source.relative_to(ASSETS_DIR).as_posix()
        files.append(StaticFile(f"assets/{name}", source, _content_type(name), ASSETS_CACHE))
    files.append(dependencies_file())
    if stage_env is not None:
        files += shells(stage_env)
    return files


def public_url(bucket: str, prefix: str, region: str, endpoint: str = "") -> str:
    """The static folder's public address (path style on a local endpoint such as moto)."""
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}/{_folder(prefix)}"
    return f"https://{bucket}.s3.{region}.amazonaws.com/{_folder(prefix)}"


def _etag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _existing(s3: Any, bucket: str, folder: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder + "/"):
        for obj in page.get("Contents", []):
            found[obj["Key"][len(folder) + 1:]] = obj["ETag"].strip('"')
    return found


def allow_public_read(s3: Any, bucket: str, folder: str) -> None:
    """Anyone may GET objects under the static folder, nothing else: one statement merged into
    the bucket policy, and the bucket's public-access block relaxed for policies only (public
    ACLs stay blocked)."""
    statement = {
        "Sid": POLICY_SID, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/{folder}/*",
    }
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}
    kept = [s for s in policy.get("Statement", []) if s.get("Sid") != POLICY_SID]
    policy["Statement"] = [*kept, statement]
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
    })
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def allow_cross_origin_reads(s3: Any, bucket: str) -> None:
    """Pages on the dashboard's own origin may read the bucket's public files with fetch (the
    callback list): one CORS rule, GET and HEAD from any origin, merged with the bucket's own.
    It opens nothing the bucket policy keeps closed."""
    rule = {"ID": CORS_ID, "AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
            "AllowedHeaders": [], "MaxAgeSeconds": 86400}
    try:
        rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
        rules = []
    kept = [r for r in rules if r.get("ID") != CORS_ID]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [*kept, rule]})


def _folder(prefix: str) -> str:
    return f"{prefix}/{FOLDER}" if prefix else FOLDER


def missing(s3: Any, bucket: str, prefix: str,
            stage_env: Mapping[str, str] | None = None) -> list[str]:
    """Static files this machine's versions need that the bucket does not have (given the
    stage's settings, a shell that differs from this code's counts as missing)."""
    there = _existing(s3, bucket, _folder(prefix))
    return [f.key for f in plan(stage_env) if f.key not in there
            or (f.metadata and there[f.key] != _etag(f.data()))]


def upload(s3: Any, bucket: str, prefix: str,
           stage_env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Puts what is not there yet under `<prefix>/static/` (and, given the stage's settings,
    its pages' shells) and opens that folder to reading; (files sent, files in all)."""
    from storage.s3 import S3Blobs

    S3Blobs(bucket, prefix, client=s3).ensure_bucket()
    folder = _folder(prefix)
    there = _existing(s3, bucket, folder)
    files = plan(stage_env)
    sent = 0
    for item in files:
        data = item.data()
        if there.get(item.key) == _etag(data) and not item.metadata:
            continue  # a shell is put each time: its headers may change without its bytes
        extra: dict[str, Any] = {"Metadata": item.metadata} if item.metadata else {}
        if item.content_encoding:
            extra["ContentEncoding"] = item.content_encoding
        s3.put_object(Bucket=bucket, Key=f"{folder}/{item.key}", Body=data,
                      ContentType=item.content_type, CacheControl=item.cache_control, **extra)
        sent += 1
    allow_public_read(s3, bucket, folder)
    allow_cross_origin_reads(s3, bucket)
    return sent, len(files)


def publish(say: Callable[[str], None] = print, settings_file: Path = SETTINGS_FILE,
            endpoint: str = "") -> str:
    """`make publish-assets`: uploads to the dashboard stage's blobs bucket and returns the URL
    for its PULSEBOARD_ASSETS_URL (`endpoint`: a local S3 such as moto, else AWS's)."""
    config = stage_config(STAGE, settings_file)
    region = config.get("aws_region", "eu-west-1")
    _, bucket, prefix, _ = targets(STAGE, config)
    stage_env = config.get("aws_environment_variables", {})
    configured = stage_env.get("PULSEBOARD_ASSETS_URL")
    sent, total = upload(_client("s3", region), bucket, prefix,
                         stage_env if configured else None)
    url = public_url(bucket, prefix, region, endpoint)
    say(f"{sent} of {total} files uploaded to s3://{bucket}/{_folder(prefix)}/ (the others were "
        "there already); anyone may read that folder, nothing else in the bucket")
    if configured:
        say(f"the pages' shells were made with PULSEBOARD_ASSETS_URL={configured}; behind the "
            f"stage's CloudFront distribution it may be https://<its domain>"
            f"{stage_env.get('DASH_REQUESTS_PATHNAME_PREFIX', '/')}{FOLDER} (one origin)")
    else:
        say("no page shells published: they need the stage's PULSEBOARD_ASSETS_URL")
    if configured != url:
        say(f"set PULSEBOARD_ASSETS_URL={url} in the {STAGE} stage's aws_environment_variables "
            f"(zappa_settings.json; now {configured or 'unset'}), then `make update STAGE={STAGE}`")
    return url
