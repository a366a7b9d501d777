"""CSRF: a random token per session, sent back with every form that changes something."""

from __future__ import annotations

import hmac
import secrets

import flask


def token() -> str:
    """This session's token (made on first use)."""
    found = flask.session.get("csrf")
    if not found:
        found = secrets.token_urlsafe(24)
        flask.session["csrf"] = found
    return str(found)


def valid(sent: str) -> bool:
    """Whether a form carried this session's token."""
    expected = flask.session.get("csrf", "")
    return bool(expected) and hmac.compare_digest(sent, expected)
