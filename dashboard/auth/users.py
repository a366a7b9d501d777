"""Dashboard users, kept in the store (docs space "users") so every Lambda container sees them."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import PulseboardError
from storage.base import Store

SPACE = "users"
ROLES = ("owner", "viewer")
_hasher = PasswordHasher()
# Verifying against this when the user is unknown costs the same time as a real check,
# so response times do not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not a password")


class UserError(PulseboardError):
    """A user operation that cannot be done; the message says why."""


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() or c in "#/\\" for c in name):
        raise UserError(f"user name {name!r}: use 1-64 characters, no spaces, '#', '/' or '\\'")
    return name


def add(store: Store, name: str, password: str, role: str) -> None:
    name = check_name(name)
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise UserError("password too short: use at least 8 characters")
    if not store.put_doc(SPACE, name, {"password_hash": _hasher.hash(password), "role": role},
                         expected_version=0):
        raise UserError(f"user {name!r} already exists; remove it first to change it")


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
    record = get(store, name) if name else None
    try:
        _hasher.verify(record["password_hash"] if record else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return record
