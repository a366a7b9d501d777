"""`python -m dashboard users …`: add, list, passwd, role, signout, remove; clear errors."""

from __future__ import annotations

import io
from typing import Any

import pytest

from dashboard import data
from dashboard.__main__ import main
from dashboard.auth import users
from dashboard.config import DashboardConfig


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(args)


def test_add_list_remove(config: DashboardConfig, monkeypatch: pytest.MonkeyPatch,
                         capsys: Any) -> None:
    assert run(["users", "add", "ann", "--role", "owner", "--password-stdin"], monkeypatch,
               "s3cret-pass\n") == 0
    assert users.verify(data.store_for(config), "ann", "s3cret-pass") is not None
    assert users.verify(data.store_for(config), "ann", "wrong-pass") is None
    stored = data.store_for(config).get_doc("users", "ann")
    assert stored is not None and stored.data["password_hash"].startswith("$argon2")
    assert run(["users", "list"], monkeypatch) == 0
    assert "ann\towner" in capsys.readouterr().out
    assert run(["users", "remove", "ann"], monkeypatch) == 0
    assert run(["users", "remove", "ann"], monkeypatch) == 1


def test_duplicate_and_short_password(dash_env: None, monkeypatch: pytest.MonkeyPatch,
                                      capsys: Any) -> None:
    assert run(["users", "add", "bo", "--password-stdin"], monkeypatch, "short\n") == 1
    assert "too short" in capsys.readouterr().err
    assert run(["users", "add", "bo", "--password-stdin"], monkeypatch, "long enough\n") == 0
    assert run(["users", "add", "bo", "--password-stdin"], monkeypatch, "long enough\n") == 1
    assert "already exists" in capsys.readouterr().err


def test_interactive_password_must_match(dash_env: None, monkeypatch: pytest.MonkeyPatch,
                                         capsys: Any) -> None:
    answers = iter(["first-password", "other-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["users", "add", "cy"]) == 1
    assert "differ" in capsys.readouterr().err


def test_bad_name(dash_env: None, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    assert run(["users", "add", "a b", "--password-stdin"], monkeypatch, "long enough\n") == 1
    assert "user name" in capsys.readouterr().err


def test_passwd_role_and_signout(config: DashboardConfig, monkeypatch: pytest.MonkeyPatch,
                                 capsys: Any) -> None:
    store = data.store_for(config)
    assert run(["users", "add", "di", "--password-stdin"], monkeypatch, "first pass\n") == 0
    kept = users.open_session(store, "di", 0.0, 1e12)
    assert run(["users", "passwd", "di", "--password-stdin"], monkeypatch, "second pass\n") == 0
    record = users.verify(store, "di", "second pass")
    assert record is not None and not users.session_open(record, kept, 1.0)
    assert run(["users", "role", "di", "owner"], monkeypatch) == 0
    assert "di\towner" in (run(["users", "list"], monkeypatch), capsys.readouterr().out)[1]
    kept = users.open_session(store, "di", 0.0, 1e12)
    assert run(["users", "signout", "di"], monkeypatch) == 0
    record = users.get(store, "di")
    assert record is not None and not users.session_open(record, kept, 1.0)
    assert run(["users", "passwd", "nobody", "--password-stdin"], monkeypatch, "long enough\n") \
        == 1
    assert "no user 'nobody'" in capsys.readouterr().err
