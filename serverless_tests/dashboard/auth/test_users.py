"""Users in the store: names, roles, passwords, and the sessions each record holds open."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.auth import users

DAY_S = 24 * 3600.0


@pytest.fixture
def ann(sqlite_store: Any) -> Any:
    users.add(sqlite_store, "ann", "first password", "owner")
    return sqlite_store


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "a#b", "a/b", "a\\b"])
def test_bad_names_are_refused(sqlite_store: Any, name: str) -> None:
    with pytest.raises(users.UserError, match="user name"):
        users.add(sqlite_store, name, "long enough", "viewer")


def test_a_password_change_takes_the_new_one_and_ends_every_session(ann: Any) -> None:
    first = users.open_session(ann, "ann", 1000.0, DAY_S)
    users.passwd(ann, "ann", "second password")
    assert users.verify(ann, "ann", "first password") is None
    record = users.verify(ann, "ann", "second password")
    assert record is not None and not users.session_open(record, first, 1001.0)


def test_a_role_change_ends_every_session(ann: Any) -> None:
    first = users.open_session(ann, "ann", 1000.0, DAY_S)
    users.set_role(ann, "ann", "viewer")
    record = users.get(ann, "ann")
    assert record and record["role"] == "viewer" and not users.session_open(record, first, 1.0)
    with pytest.raises(users.UserError, match="role"):
        users.set_role(ann, "ann", "admin")


def test_sessions_open_close_and_expire(ann: Any) -> None:
    phone = users.open_session(ann, "ann", 1000.0, DAY_S)
    laptop = users.open_session(ann, "ann", 1000.0, DAY_S)
    record = users.get(ann, "ann")
    assert record and users.session_open(record, phone, 1001.0)
    assert not users.session_open(record, phone, 1000.0 + DAY_S)  # a day later
    assert not users.session_open(record, "made-up", 1001.0)
    users.close_session(ann, "ann", phone)
    record = users.get(ann, "ann")
    assert record and not users.session_open(record, phone, 1001.0)
    assert users.session_open(record, laptop, 1001.0)
    assert phone not in str(record)  # the store keeps digests only


def test_a_record_holds_at_most_so_many_sessions(ann: Any) -> None:
    opened = [users.open_session(ann, "ann", 1000.0 + i, DAY_S)
              for i in range(users.MAX_SESSIONS + 5)]
    record = users.get(ann, "ann")
    assert record and len(record["sessions"]) == users.MAX_SESSIONS
    assert users.session_open(record, opened[-1], 2000.0)
    assert not users.session_open(record, opened[0], 2000.0)  # the oldest went


@pytest.mark.parametrize("change", [
    lambda s: users.passwd(s, "nobody", "long enough"),
    lambda s: users.set_role(s, "nobody", "viewer"),
    lambda s: users.end_sessions(s, "nobody"),
    lambda s: users.open_session(s, "nobody", 1.0, DAY_S),
])
def test_changing_someone_unknown_says_so(sqlite_store: Any, change: Any) -> None:
    with pytest.raises(users.UserError, match="no user 'nobody'"):
        change(sqlite_store)


def test_a_short_new_password_is_refused(ann: Any) -> None:
    with pytest.raises(users.UserError, match="too short"):
        users.passwd(ann, "ann", "short")
    assert users.verify(ann, "ann", "first password") is not None


def test_an_unknown_name_costs_a_check_against_one_dummy_hash(
        ann: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = users._hasher()
    checked: list[str] = []

    class Spy:
        def __getattr__(self, name: str) -> Any:  # the parameters, hash
            return getattr(real, name)

        def verify(self, hashed: str, password: str) -> bool:
            checked.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(users, "_hasher", lambda: Spy())
    users._dummy_hash.cache_clear()
    assert users.verify(ann, "nobody", "first password") is None
    assert users.verify(ann, "nobody else", "first password") is None
    assert users.verify(ann, "ann", "first password") is not None
    stored = users.get(ann, "ann")
    assert stored and len(checked) == 3 and checked[0] == checked[1] != stored["password_hash"]
    assert users._dummy_hash.cache_info().misses == 1 and checked[2] == stored["password_hash"]
    # The dummy costs what a real check costs: the same algorithm, memory, passes and lanes.
    from argon2 import extract_parameters

    assert extract_parameters(checked[0]) == extract_parameters(stored["password_hash"])
    users._dummy_hash.cache_clear()


def test_importing_users_neither_hashes_nor_loads_argon2() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; import dashboard.auth.users as u; "
            "print('argon2' in sys.modules, u._dummy_hash.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[3])
    assert out.stdout.split() == ["False", "0"]
