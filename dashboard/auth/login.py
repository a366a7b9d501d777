"""The sign-in page and the guard in front of every route (Dash's own included)."""

from __future__ import annotations

import html
import time
from typing import Any, cast
from urllib.parse import quote, urlparse

import dash
import flask
import flask_login

from dashboard import data
from dashboard.auth import csrf, sessions, users
from dashboard.auth.throttle import throttled
from dashboard.static_hosting import StaticHostedDash

# What the login page itself loads before anyone is logged in.
PUBLIC_PATHS = {"/login", "/assets/style.css", "/health"}

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pulseboard · sign in</title>
<link rel="stylesheet" href="{stylesheet}">{icon}</head>
<body class="login-body">
<main class="login-card">
  <h1 class="brand">Pulseboard</h1>
  <p class="muted">Sign in to see your dashboard.</p>
  {error}
  <form method="post" action="{prefix}login">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <input type="hidden" name="next" value="{next}">
    <label for="username">User name</label>
    <input class="form-control" id="username" name="username" autocomplete="username"
           value="{username}" required autofocus>
    <label for="password">Password</label>
    <input class="form-control" id="password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary" id="login-submit" type="submit">Sign in</button>
  </form>
</main></body></html>"""


def safe_next(target: str | None, prefix: str) -> str:
    """Where to go after login: only a path inside this app, anything else goes home."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return prefix
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or target.startswith("//"):
        return prefix
    if not target.startswith(prefix) or "/../" in target or target.endswith("/.."):
        return prefix
    return target


def _render(prefix: str, next_url: str, error: str = "", username: str = "",
            status: int = 200) -> flask.Response:
    app = cast(StaticHostedDash, dash.get_app())
    # Without a link the browser asks for /favicon.ico, outside the stage behind API Gateway; the
    # one Dash serves needs a session, so only the published copy is linked.
    icon = f'<link rel="icon" href="{html.escape(app.favicon_url())}">' if app.assets_url else ""
    body = LOGIN_PAGE.format(
        prefix=html.escape(prefix), stylesheet=html.escape(dash.get_asset_url("style.css")),
        icon=icon, csrf=html.escape(csrf.token()), next=html.escape(next_url),
        username=html.escape(username),
        error=f'<div class="alert alert-danger" id="login-error">{html.escape(error)}</div>'
        if error else "",
    )
    response = flask.make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_json(path: str) -> bool:
    request = flask.request
    return (
        path.startswith(("/_", "/assets/"))
        or path.endswith(".json")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or (request.accept_mimetypes.best == "application/json")
    )


def install(server: flask.Flask, prefix: str) -> None:
    """Sessions, the guard, and the sign-in and sign-out routes on `server`."""
    sessions.configure(server)
    manager = flask_login.LoginManager()
    manager.session_protection = "basic"
    manager.user_loader(sessions.load_user)
    manager.init_app(server)

    @server.before_request
    def guard() -> Any:
        path = flask.request.path
        if path in PUBLIC_PATHS or flask_login.current_user.is_authenticated:
            return None
        if _wants_json(path):
            return flask.jsonify(error="unauthorized",
                                 message="Sign in first: this needs a session."), 401
        here = prefix + path.lstrip("/")
        if flask.request.query_string:
            here += "?" + flask.request.query_string.decode("latin-1")
        return flask.redirect(f"{prefix}login?next={quote(here, safe='/')}")

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        request = flask.request
        next_url = safe_next(request.values.get("next"), prefix)
        if request.method == "GET":
            if flask_login.current_user.is_authenticated:
                return flask.redirect(next_url)
            return _render(prefix, next_url)
        if not csrf.valid(request.form.get("csrf_token", "")):
            return _render(prefix, next_url, "The form expired. Please sign in again.",
                           status=400)
        name = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if throttled(data.store(), name, request.remote_addr or "", time.time()):
            return _render(prefix, next_url,
                           "Too many sign-in attempts. Wait a minute, then try again.",
                           username=name, status=429)
        record = users.verify(data.store(), name, password)
        if record is None:
            return _render(prefix, next_url, "Wrong user name or password.",
                           username=name, status=401)
        sessions.start(name, str(record.get("role", "viewer")))
        return flask.redirect(next_url)

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> Any:
        sessions.end()
        return flask.redirect(f"{prefix}login")
