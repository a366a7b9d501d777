"""Login sessions: a signed cookie naming the user and a session the store holds open."""

from __future__ import annotations

import threading
import time
from typing import Any

import flask
import flask_login
from flask.sessions import SecureCookieSessionInterface

from dashboard import data
from dashboard.auth import users

SESSION_LIFETIME_S = 24 * 3600
SESSION_CHECK_S = 5.0
SESSION_ID = "sid"  # the cookie's key for the session id (the store keeps its digest)


class User(flask_login.UserMixin):
    def __init__(self, name: str, role: str) -> None:
        self.id = name
        self.role = role

    @property
    def can_change(self) -> bool:
        """Owners may trigger syncs and change settings; viewers only look."""
        return self.role == "owner"


class CookieSessions(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the browser reached us over HTTPS (directly or through
    API Gateway / a proxy), and never on plain-HTTP loopback where it would be dropped."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        request = flask.request
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        return request.is_secure or forwarded == "https"


def configure(server: flask.Flask) -> None:
    """The cookie's flags and lifetime."""
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        # Flask refuses a session cookie signed longer ago than this, whatever the browser
        # keeps: a copied cookie stops working after a day.
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME_S,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="pulseboard_session",
    )
    server.session_interface = CookieSessions()


_records: dict[tuple[int, str], tuple[float, dict[str, Any] | None]] = {}
_records_lock = threading.Lock()


def _record(name: str) -> dict[str, Any] | None:
    """The user's record, read from the store at most every SESSION_CHECK_S per process: a
    sign-out, password or role change or removal on any process reaches this one within that,
    and Dash's many requests per page do not each cost a store read."""
    store = data.store()
    key = (id(store), name)
    now = time.monotonic()
    with _records_lock:
        cached = _records.get(key)
        if cached and now - cached[0] < SESSION_CHECK_S:
            return cached[1]
    record = users.get(store, name)
    with _records_lock:
        _records[key] = (now, record)
    return record


def _forget(name: str) -> None:
    with _records_lock:
        _records.pop((id(data.store()), name), None)


def load_user(name: str) -> User | None:
    """The user this request's cookie names, if the session it carries is still open."""
    session_id = flask.session.get(SESSION_ID)
    record = _record(name) if isinstance(session_id, str) else None
    if record is None or not users.session_open(record, str(session_id), time.time()):
        return None
    return User(name, str(record.get("role", "viewer")))


def start(name: str, role: str) -> None:
    """A fresh session for a user who just proved who they are (no fixation)."""
    flask.session.clear()
    session_id = users.open_session(data.store(), name, time.time(), SESSION_LIFETIME_S)
    _forget(name)
    flask.session[SESSION_ID] = session_id
    flask_login.login_user(User(name, role))


def end(everywhere: bool = False) -> None:
    """Signs the current user out: this session, or `everywhere` every session they have."""
    user = flask_login.current_user
    session_id = flask.session.get(SESSION_ID)
    if user.is_authenticated:
        if everywhere:
            users.end_sessions(data.store(), user.id)
        elif isinstance(session_id, str):
            users.close_session(data.store(), user.id, session_id)
        _forget(user.id)
    flask_login.logout_user()
    flask.session.clear()
