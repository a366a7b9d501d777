"""Trial 7: intruders at the dashboard — no session, forged or expired cookies, a viewer reaching
for owner actions, open redirects, cookie flags, and brute force across two app processes."""

from __future__ import annotations

import itertools
import json
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
EVENTS = ROOT / "serverless_tests" / "events"
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
                    age_s: float = 0.0, session_id: str | None = None) -> str:
    signer = flask.Flask("forger")
    signer.secret_key = secret
    serializer = server.session_interface.get_signing_serializer(signer)  # type: ignore[attr-defined]
    payload: dict[str, Any] = {"_user_id": user, "_fresh": True}
    if session_id is not None:
        payload["sid"] = session_id
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - age_s):
        return str(serializer.dumps(payload))


def _session_of(server: flask.Flask, client: Any) -> tuple[str, str]:
    """A signed-in client's cookie as a thief would copy it, and the session id it carries."""
    cookie = client.get_cookie(server.config["SESSION_COOKIE_NAME"]).value
    serializer = server.session_interface.get_signing_serializer(server)  # type: ignore[attr-defined]
    return cookie, str(serializer.loads(cookie).get("sid", ""))


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
    # A control first: a real sign-in's cookie is let in, and a cookie signed with the right key
    # for that session too, so the refusals below are the forging, the age, the missing session
    # that were refused, not something else.
    owner = _client(server)
    _login(owner, "owner")
    stolen, session_id = _session_of(server, owner)
    for label, cookie in (("a signed-in cookie", stolen), ("a cookie signed for the session",
                          _session_cookie(server, server.secret_key, "owner", 0, session_id))):
        good = _client(server)
        good.set_cookie(cookie_name, cookie)
        if good.get("/_dash-layout").status_code != 200:
            out.fail(f"control: {label} was refused")
    attacks = {
        "no session": None,
        "forged key": _session_cookie(server, "not-the-secret-key-at-all-000000", "owner", 0,
                                      session_id),
        "expired": _session_cookie(server, server.secret_key, "owner", SESSION_LIFETIME_S + 60,
                                   session_id),
        "no session id": _session_cookie(server, server.secret_key, "owner"),
        "made-up session id": _session_cookie(server, server.secret_key, "owner", 0, "x" * 32),
        "unknown user": _session_cookie(server, server.secret_key, "nobody-here", 0, session_id),
        "garbage": "eyJfdXNlcl9pZCI6Im93bmVyIn0.AAAA.BBBB",
    }
    _replay(out, server, attacks, targets)
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
    _revoked(out, server, store, targets)
    _headers(out, server, targets)
    _name_flood(out, server)
    _wildcard_names(out, server, store)
    _forged_forwarded_for(out, server)
    _cross_site(out, server, store)
    store.delete_doc("users", "owner")  # the brute force below uses its own accounts


def _replay(out: Outcome, server: flask.Flask, attacks: dict[str, str | None],
            targets: list[tuple[str, str]]) -> None:
    cookie_name = server.config["SESSION_COOKIE_NAME"]
    for label, cookie in attacks.items():
        for method, path in targets:
            client = _client(server)
            if cookie is not None:
                client.set_cookie(cookie_name, cookie)
            response = client.open(path, method=method, json={} if method == "POST" else None)
            out.runs += 1
            if not _refused(response):
                out.fail(f"{label}: {method} {path} answered {response.status_code}")


def _sign_out(client: Any, everywhere: bool = False) -> None:
    page = client.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    client.post("/logout", data={"csrf_token": token.group(1) if token else "",
                                 **({"everywhere": "1"} if everywhere else {})})


def _revoked(out: Outcome, server: flask.Flask, store: Any,
             targets: list[tuple[str, str]]) -> None:
    """Cookies copied before their session ended: signed out here or everywhere, a password
    or role change, a removal (the last three as another process makes them: in the store,
    reaching this process within SESSION_CHECK_S)."""
    from dashboard.auth import sessions, users

    stolen: dict[str, str | None] = {}
    for how in ("signed out", "signed out everywhere", "password change", "role change",
                "removed"):
        name = "revoked-" + how.replace(" ", "-")
        users.add(store, name, PASSWORD, "owner")
        client = _client(server)
        _login(client, name)
        stolen[f"a cookie from before {how}"] = _session_of(server, client)[0]
        if how.startswith("signed out"):
            _sign_out(client, everywhere=how.endswith("everywhere"))
        elif how == "password change":
            users.passwd(store, name, "a different password")
        elif how == "role change":
            users.set_role(store, name, "viewer")
        else:
            users.remove(store, name)
    time.sleep(sessions.SESSION_CHECK_S + 0.5)
    _replay(out, server, stolen, targets)


def _headers(out: Outcome, server: flask.Flask, targets: list[tuple[str, str]]) -> None:
    """The web's defences on every answer, anonymous or signed in, over HTTP and HTTPS."""
    import dash

    from dashboard.auth.login import PUBLIC_PATHS
    from dashboard.headers import SHELL_CACHE_CONTROL, STATIC_PREFIXES

    def cacheable_shell(path: str, response: Any) -> bool:
        """A page shell may be kept by a cache (`no-cache`: revalidated): it is the same for
        every visitor, byte for byte the app's shell for the path, nothing of the visitor in it."""
        return (response.headers.get("Cache-Control") == SHELL_CACHE_CONTROL
                and response.mimetype == "text/html"
                and response.get_data(as_text=True) == dash.get_app().shell_html(path))

    signed_in = _client(server)
    _login(signed_in, "viewer")
    paths = sorted({p for m, p in targets if m == "GET"} | PUBLIC_PATHS)
    for client in (_client(server), signed_in):
        for path in paths:
            for https in (False, True):
                response = client.get(path, headers={"X-Forwarded-Proto": "https"} if https
                                      else {})
                got = response.headers
                csp = got.get("Content-Security-Policy", "")
                missing = [name for name, ok in (
                    ("frame-ancestors", "frame-ancestors 'self'" in csp),
                    ("script-src", "script-src 'self'" in csp and "unsafe-inline" not in
                     csp.split("script-src")[1].split(";")[0]),
                    ("nosniff", got.get("X-Content-Type-Options") == "nosniff"),
                    ("Referrer-Policy", bool(got.get("Referrer-Policy"))),
                    ("HSTS", ("Strict-Transport-Security" in got) == https),
                    ("no-store", path.startswith(STATIC_PREFIXES)
                     or got.get("Cache-Control") == "no-store"
                     or cacheable_shell(path, response)),
                ) if not ok]
                if response.status_code >= 500:
                    missing.append(f"a sound answer (got {response.status_code})")
                out.runs += 1
                if missing:
                    out.fail(f"GET {path}{' over https' if https else ''}: "
                             f"missing {', '.join(missing)}")


def _store_bytes() -> int:
    db = Path(settings.get().store_url.removeprefix("sqlite:///"))
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def _name_flood(out: Outcome, server: flask.Flask) -> None:
    """Sign-ins with 200 KB names: refused as they are, and the store stays as it was."""
    before = _store_bytes()
    for i in range(20):
        response = _login(_client(server), f"{i}-" + "n" * 200_000)
        out.runs += 1
        if response.status_code != 400:
            out.fail(f"a 200 KB user name answered {response.status_code}")
    grown = _store_bytes() - before
    out.runs += 1
    if grown >= 1_000_000:
        out.fail(f"20 sign-ins with 200 KB names grew the store by {grown:,} bytes")


def _wildcard_names(out: Outcome, server: flask.Flask, store: Any) -> None:
    """Guesses at one account with a LIKE/GLOB wildcard variant of its name between them: the
    variants must not reset the account's counter."""
    from dashboard.auth import users
    from dashboard.auth.throttle import LOGIN_ATTEMPTS_PER_MINUTE

    for wildcard in ("%", "_", "*"):
        name = f"wild{ord(wildcard)}"
        users.add(store, name, PASSWORD, "owner")
        for _ in range(LOGIN_ATTEMPTS_PER_MINUTE - 1):
            _login(_client(server), name, "a wrong guess")
        _login(_client(server), name + wildcard, "a wrong guess")
        _login(_client(server), name[:-1] + wildcard, "a wrong guess")
        response = _login(_client(server), name, "a wrong guess")
        response = _login(_client(server), name) if response.status_code != 429 else response
        out.runs += 1
        if response.status_code != 429:
            out.fail(f"sign-ins as {name + wildcard!r} reset the counter of {name!r}")


def _lambda_environ(event: dict[str, Any]) -> dict[str, Any]:
    """The WSGI environ Zappa's handler makes of an API Gateway event (zappa.handler)."""
    from zappa.wsgi import create_wsgi_request

    environ = create_wsgi_request(event, script_name="/dashboard")
    environ.update({"HTTPS": "on", "wsgi.url_scheme": "https", "lambda.event": event})
    return dict(environ)


def _forged_forwarded_for(out: Outcome, server: flask.Flask) -> None:
    """Sign-ins through recorded regional REST and HTTP API events, each claiming a new client
    in X-Forwarded-For: the per-client counter still counts the one address API Gateway saw."""
    from werkzeug.wrappers import Response

    from dashboard.auth.throttle import LOGIN_ATTEMPTS_PER_MINUTE

    for kind, name in (("regional REST", "dashboard_post_login_regional_forged_xff.json"),
                       ("HTTP API", "dashboard_post_login_http_api_forged_xff.json")):
        recorded = json.loads((EVENTS / name).read_text())
        v2 = recorded.get("version") == "2.0"
        source = f"192.0.2.{len(kind)}"  # a client of its own for each kind
        recorded["requestContext"]["http" if v2 else "identity"]["sourceIp"] = source
        client = _client(server)
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))
        cookie = form.headers.get("Set-Cookie", "").split(";")[0]
        statuses = []
        for i in range(LOGIN_ATTEMPTS_PER_MINUTE + 1):
            event = json.loads(json.dumps(recorded))
            headers = event["headers"]
            headers["x-forwarded-for" if v2 else "X-Forwarded-For"] = f"198.51.100.{i}, {source}"
            if v2:
                event["cookies"] = [cookie]
            else:
                headers["Cookie"] = cookie
                event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
            event["body"] = (f"csrf_token={token.group(1) if token else ''}&username=someone-{i}"
                             "&password=not+it&next=%2Fdashboard%2F")
            with Response.from_app(server, _lambda_environ(event)) as answer:
                statuses.append(answer.status_code)
        out.runs += 1
        if statuses[-1] != 429:
            out.fail(f"{kind}: sign-ins with a forged X-Forwarded-For answered {statuses}")


def _cross_site(out: Outcome, server: flask.Flask, store: Any) -> None:
    """An owner's browser made to post Sync now from another site."""
    owner = _client(server)
    _login(owner, "owner")
    deps = owner.get("/_dash-dependencies").get_json()
    sync = next(d for d in deps if d["output"] == "overview-sync-message.children")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        store.delete_doc("requests", "sync")
        response = owner.post("/_dash-update-component", headers=headers, json={
            "output": sync["output"],
            "outputs": {"id": "overview-sync-message", "property": "children"},
            "inputs": [{"id": "overview-sync", "property": "n_clicks", "value": 1}],
            "state": [], "changedPropIds": ["overview-sync.n_clicks"]})
        out.runs += 1
        if response.status_code != 403 or store.get_doc("requests", "sync") is not None:
            out.fail(f"Sync now posted with {headers} answered {response.status_code}")


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
