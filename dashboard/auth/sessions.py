"""Login sessions: the signed cookie, who it names, and how long it lasts."""

from __future__ import annotations

import threading
import time

import flask
import flask_login
from flask.sessions import SecureCookieSessionInterface

from dashboard import data
from dashboard.auth import users

SESSION_LIFETIME_S = 24 * 3600
USER_CACHE_S = 30.0


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


_users_cache: dict[str, tuple[float, User | None]] = {}
_users_lock = threading.Lock()


def load_user(name: str) -> User | None:
    """Users are read from the store at most every USER_CACHE_S per process: a removed user
    loses access within that, and Dash's many requests do not each cost a store read."""
    now = time.monotonic()
    with _users_lock:
        cached = _users_cache.get(name)
        if cached and now - cached[0] < USER_CACHE_S:
            return cached[1]
    record = users.get(data.store(), name)
    user = User(name, str(record.get("role", "viewer"))) if record else None
    with _users_lock:
        _users_cache[name] = (now, user)
    return user


def start(name: str, role: str) -> None:
    """A fresh session for a user who just proved who they are (no fixation)."""
    flask.session.clear()
    with _users_lock:
        _users_cache.pop(name, None)
    flask_login.login_user(User(name, role))


def end() -> None:
    flask_login.logout_user()
    flask.session.clear()
