"""Dashboard users, kept in the store (docs space "users") so every Lambda container sees them."""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core import localtime
from core import units as units_mod
from core.errors import PulseboardError
from storage.base import Store

if TYPE_CHECKING:
    from argon2 import PasswordHasher

SPACE = "users"
ROLES = ("owner", "viewer")


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # made by the first check or hash, never by the login page

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, in the hasher's own parameters: verifying against it when the
    user is unknown costs the same time as a real check, so response times do not reveal which
    names exist. Written out (random salt and digest), not hashed: hashing one cost 0.17 s, and
    at import that was in every cold start, the login page's too."""
    from argon2 import Type
    from argon2.low_level import ARGON2_VERSION

    hasher = _hasher()
    kind = {Type.ID: "argon2id", Type.I: "argon2i", Type.D: "argon2d"}[hasher.type]

    def b64(size: int) -> str:  # the PHC string format: standard base64, no padding
        return base64.b64encode(secrets.token_bytes(size)).decode().rstrip("=")

    return (f"${kind}$v={ARGON2_VERSION}$m={hasher.memory_cost},t={hasher.time_cost},"
            f"p={hasher.parallelism}${b64(hasher.salt_len)}${b64(hasher.hash_len)}")


class UserError(PulseboardError):
    """A user operation that cannot be done; the message says why."""


MAX_NAME_CHARS = 64
MIN_PASSWORD_CHARS = 8
# A user's open sessions live in its record, so ending them is one write every process sees.
MAX_SESSIONS = 20
_CAS_TRIES = 5


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or any(c.isspace() or c in "#/\\" for c in name):
        raise UserError(f"user name {name!r}: use 1-{MAX_NAME_CHARS} characters, no spaces, "
                        "'#', '/' or '\\'")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"password too short: use at least {MIN_PASSWORD_CHARS} characters")
    return _hasher().hash(password)


def add(store: Store, name: str, password: str, role: str) -> None:
    name = check_name(name)
    record = {"password_hash": _hash(password), "role": _check_role(role), "sessions": {}}
    if not store.put_doc(SPACE, name, record, expected_version=0):
        raise UserError(f"user {name!r} already exists; change it with `users passwd` or "
                        "`users role`")


def _update(store: Store, name: str, change: Callable[[dict[str, Any]], None]) -> bool:
    """Applies `change` to the user's record with a compare-and-set (another process may be
    opening or closing a session at the same moment); False when there is no such user."""
    for _ in range(_CAS_TRIES):
        doc = store.get_doc(SPACE, name)
        if doc is None:
            return False
        record = dict(doc.data)
        change(record)
        if store.put_doc(SPACE, name, record, expected_version=doc.version):
            return True
    raise UserError(f"user {name!r} is being changed by someone else; try again")


def _must(found: bool, name: str) -> None:
    if not found:
        raise UserError(f"no user {name!r}; `python -m dashboard users list` shows who exists")


def passwd(store: Store, name: str, password: str) -> None:
    """A new password; every session the user had ends."""
    new_hash = _hash(password)
    _must(_update(store, name, lambda r: r.update(password_hash=new_hash, sessions={})), name)


def set_role(store: Store, name: str, role: str) -> None:
    """A new role; every session the user had ends (they sign in again with the new one)."""
    _check_role(role)
    _must(_update(store, name, lambda r: r.update(role=role, sessions={})), name)


def end_sessions(store: Store, name: str) -> None:
    """Signs the user out everywhere."""
    _must(_update(store, name, lambda r: r.update(sessions={})), name)


def set_prefs(store: Store, name: str, units: str | None = None,
              timezone: str | None = None, stone: bool | None = None) -> None:
    """The user's own units and time zone (None leaves one as it is; "" goes back to the
    dashboard's default), and whether body weight reads in stones; a name the zone database
    does not know is refused."""
    change: dict[str, str | bool] = {}
    if stone is not None:
        change["weight_in_stone"] = bool(stone)
    if units is not None:
        change["units"] = units_mod.check_units(units) if units else ""
    if timezone is not None:
        change["timezone"] = localtime.zone(timezone).key if timezone else ""
    if change:
        _must(_update(store, name, lambda r: r.update(change)), name)


def prefs_of(record: dict[str, Any] | None) -> tuple[str, str]:
    """(units, timezone) the user chose; "" where they kept the default."""
    record = record or {}
    return str(record.get("units") or ""), str(record.get("timezone") or "")


def remove(store: Store, name: str) -> bool:
    if store.get_doc(SPACE, name) is None:
        return False
    store.delete_doc(SPACE, name)
    return True


def list_users(store: Store) -> list[tuple[str, str]]:
    return [(name, str(doc.data.get("role", "viewer")))
            for name, doc in store.list_docs(SPACE).items()]


def get(store: Store, name: str) -> dict[str, Any] | None:
    doc = store.get_doc(SPACE, name)
    return None if doc is None else doc.data


def verify(store: Store, name: str, password: str) -> dict[str, Any] | None:
    """The user's record when the password matches, else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    record = get(store, name) if name else None
    try:
        _hasher().verify(record["password_hash"] if record else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return record


def _digest(session_id: str) -> str:
    # The store keeps a digest: reading the store is not enough to present a session.
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


def open_session(store: Store, name: str, now_s: float, lifetime_s: float) -> str:
    """A new session id for the user, valid `lifetime_s`; expired ones are dropped, and past
    MAX_SESSIONS the oldest goes."""
    session_id = secrets.token_urlsafe(24)

    def add_one(record: dict[str, Any]) -> None:
        live = {k: v for k, v in dict(record.get("sessions") or {}).items() if v > now_s}
        live[_digest(session_id)] = now_s + lifetime_s
        record["sessions"] = dict(sorted(live.items(), key=lambda kv: kv[1])[-MAX_SESSIONS:])

    _must(_update(store, name, add_one), name)
    return session_id


def close_session(store: Store, name: str, session_id: str) -> None:
    """Ends one session (signing out on one device)."""
    key = _digest(session_id)
    _update(store, name, lambda r: r.update(
        sessions={k: v for k, v in dict(r.get("sessions") or {}).items() if k != key}))


def session_open(record: dict[str, Any], session_id: str, now_s: float) -> bool:
    """Whether the record holds this session, unexpired."""
    expires_at_s = dict(record.get("sessions") or {}).get(_digest(session_id))
    return isinstance(expires_at_s, int | float) and expires_at_s > now_s
