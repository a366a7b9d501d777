"""Trial 7: intruders at the dashboard — no session, forged or expired cookies, a viewer reaching
for owner actions, open redirects, cookie flags, and brute force across two app processes."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import flask
import requests

import settings
from testkit.reliability.trials import Outcome, free_port, sandbox, trial, wait_http

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
SECRET = "trial-secret-key-0123456789abcdef"
OPEN_REDIRECTS = [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "http:evil.example", "javascript:alert(1)", " //evil.example", "/%2F%2Fevil.example",
    "/login/../../evil", "https:/evil.example", "/\t/evil.example", "//evil.example@/x",
]


def _concrete(rule: str) -> str:
    return re.sub(r"<[^>]+>", "x.js", rule)


def _refused(response: Any) -> bool:
    if response.status_code == 401:
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and urlparse(location).path.endswith("/login")


def _session_cookie(server: flask.Flask, secret: str | bytes | None, user: str,
                    age_s: float = 0.0) -> str:
    signer = flask.Flask("forger")
    signer.secret_key = secret
    serializer = server.session_interface.get_signing_serializer(signer)  # type: ignore[attr-defined]
    payload = {"_user_id": user, "_fresh": True}
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - age_s):
        return str(serializer.dumps(payload))


_addresses = itertools.count()


def _client(server: flask.Flask) -> Any:
    """A test client from an address of its own: sign-ins are also counted per client, and
    these checks are not the brute force."""
    n = next(_addresses)
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.7.{n // 250}.{n % 250 + 1}"
    return client


def _login(client: Any, name: str, password: str = PASSWORD, next_url: str = "/") -> Any:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the login form has no CSRF token"
    return client.post("/login", data={"csrf_token": token.group(1), "username": name,
                                       "password": password, "next": next_url})


def _dashboard() -> tuple[flask.Flask, Any]:
    """The dashboard app for the sandbox's settings, and its store."""
    from dashboard import data
    from dashboard.app import create_app
    from dashboard.config import from_settings

    config = from_settings(settings.get())
    return create_app(config), data.store_for(config)


def _in_process(out: Outcome) -> None:
    from dashboard.auth import users
    from dashboard.auth.login import PUBLIC_PATHS
    from dashboard.auth.sessions import SESSION_LIFETIME_S

    server, store = _dashboard()
    users.add(store, "owner", PASSWORD, "owner")
    users.add(store, "viewer", PASSWORD, "viewer")
    cookie_name = server.config["SESSION_COOKIE_NAME"]
    targets = []
    for rule in server.url_map.iter_rules():
        path = _concrete(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if path not in PUBLIC_PATHS:
                targets.append((method, path))
    # A control first: a cookie signed with the right key for a real user is let in, so the
    # refusals below are the forging and the age that were refused, not something else.
    good = _client(server)
    good.set_cookie(cookie_name, _session_cookie(server, server.secret_key, "owner"))
    if good.get("/_dash-layout").status_code != 200:
        out.fail("control: a correctly signed, fresh session cookie was refused")
    attacks = {
        "no session": None,
        "forged key": _session_cookie(server, "not-the-secret-key-at-all-000000", "owner"),
        "expired": _session_cookie(server, server.secret_key, "owner", SESSION_LIFETIME_S + 60),
        "unknown user": _session_cookie(server, server.secret_key, "nobody-here"),
        "garbage": "eyJfdXNlcl9pZCI6Im93bmVyIn0.AAAA.BBBB",
    }
    for label, cookie in attacks.items():
        for method, path in targets:
            client = _client(server)
            if cookie is not None:
                client.set_cookie(cookie_name, cookie)
            response = client.open(path, method=method, json={} if method == "POST" else None)
            out.runs += 1
            if not _refused(response):
                out.fail(f"{label}: {method} {path} answered {response.status_code}")
    # A viewer reaching for the owner's action.
    viewer = _client(server)
    _login(viewer, "viewer")
    deps = viewer.get("/_dash-dependencies").get_json()
    sync = next(d for d in deps if d["output"] == "overview-sync-message.children")
    response = viewer.post("/_dash-update-component", json={
        "output": sync["output"], "outputs": {"id": "overview-sync-message", "property":
                                              "children"},
        "inputs": [{"id": "overview-sync", "property": "n_clicks", "value": 1}], "state": [],
        "changedPropIds": ["overview-sync.n_clicks"]})
    out.runs += 1
    if store.get_doc("requests", "sync") is not None or "Only an owner" not in response.get_data(
            as_text=True):
        out.fail("a viewer could request a sync")
    # Open redirects after a successful login, and the cookie's flags.
    # Sign-ins are also counted per account, so each check below signs in as its own owner.
    for i, target in enumerate(OPEN_REDIRECTS):
        users.add(store, f"redirect-{i}", PASSWORD, "owner")
        client = _client(server)
        response = _login(client, f"redirect-{i}", next_url=target)
        out.runs += 1
        location = response.headers.get("Location", "")
        parsed = urlparse(location)
        if parsed.scheme or parsed.netloc or not location.startswith("/") or \
                location.startswith("//") or "\\" in location:
            out.fail(f"next={target!r} sent the browser to {location!r}")
    for https in (False, True):
        users.add(store, f"cookie-{https}", PASSWORD, "owner")
        headers = {"X-Forwarded-Proto": "https"} if https else {}
        client = _client(server)
        page = client.get("/login", headers=headers).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        response = client.post("/login", headers=headers, data={
            "csrf_token": token.group(1) if token else "", "username": f"cookie-{https}",
            "password": PASSWORD, "next": "/"})
        flags = response.headers.get("Set-Cookie", "")
        out.runs += 1
        if "HttpOnly" not in flags or "SameSite=Lax" not in flags or ("Secure" in flags) != https:
            out.fail(f"session cookie flags {'over https' if https else 'on loopback'}: {flags}")
    store.delete_doc("users", "owner")  # the brute force below uses its own accounts


def _brute_force(out: Outcome, attempts: int, folder: Path) -> str:
    """Wrong passwords sprayed at one account through two dashboard processes sharing the
    store: the store-held counter must hold across both."""
    from dashboard.auth import users
    from dashboard.auth.throttle import LOGIN_ATTEMPTS_PER_MINUTE

    users.add(_dashboard()[1], "target", PASSWORD, "owner")
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        for port in ports:
            proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard", "serve", "--port", str(port)], cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=(folder / f"dashboard-{port}.log").open("w"))
            stack.callback(proc.wait, 10)
            stack.callback(proc.terminate)
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/health")
        sessions = [requests.Session() for _ in ports]
        evaluated: list[float] = []
        for i in range(attempts):
            port, http = ports[i % 2], sessions[i % 2]
            base = f"http://127.0.0.1:{port}"
            page = http.get(f"{base}/login", timeout=10).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            response = http.post(f"{base}/login", allow_redirects=False, timeout=10, data={
                "csrf_token": token.group(1) if token else "", "username": "target",
                "password": f"guess-{i:04d}", "next": "/"})
            out.runs += 1
            if response.status_code == 401:
                evaluated.append(time.monotonic())
            elif response.status_code != 429:
                out.fail(f"attempt {i}: answered {response.status_code}")
        busiest = max((sum(1 for u in evaluated if t <= u < t + 60) for t in evaluated), default=0)
        if busiest > LOGIN_ATTEMPTS_PER_MINUTE:
            out.fail(f"{busiest} guesses were checked within one minute across two processes")
        # The right password during the lockout is refused too: a guesser learns nothing.
        http = requests.Session()
        base = f"http://127.0.0.1:{ports[0]}"
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{base}/login").text)
        right = http.post(f"{base}/login", allow_redirects=False, timeout=10, data={
            "csrf_token": token.group(1) if token else "", "username": "target",
            "password": PASSWORD, "next": "/"})
        out.runs += 1
        if right.status_code != 429:
            out.fail(f"the right password during a lockout answered {right.status_code}")
    return f"brute force: {len(evaluated)} of {attempts} guesses checked (≤ 5/min)"


def intruders(attempts: int) -> Outcome:
    out = Outcome(0, 0, "")
    with sandbox(PULSEBOARD_SECRET_KEY=SECRET) as folder:
        _in_process(out)
        brute = _brute_force(out, attempts, folder)
    out.figure = f"{out.runs - out.failures} of {out.runs} intrusions refused; {brute}"
    return out


trial(7, "dashboard intruders", quick=30, full=100)(intruders)
