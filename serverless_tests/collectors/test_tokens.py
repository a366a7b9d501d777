"""The token store: seeding, refresh before expiry, rotation saved first, one refresh per race."""

from __future__ import annotations

import threading
import time

import pytest

from collectors.common import SyncError
from collectors.tokens import SPACE, Token, TokenRejected, Tokens
from storage.base import Store


class Provider:
    """A provider whose refresh tokens rotate and die as soon as they are used once."""

    def __init__(self, first: str = "r0", delay_s: float = 0.0) -> None:
        self.valid = first
        self.n = 0
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.calls = 0

    def refresh(self, refresh_token: str) -> Token:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay_s)
        with self.lock:
            if refresh_token != self.valid:
                raise TokenRejected("invalid refresh_token")
            self.n += 1
            self.valid = f"r{self.n}"
            return Token(f"a{self.n}", self.valid, time.time() + 3600)


def stored(store: Store, source: str = "withings") -> dict:
    doc = store.get_doc(SPACE, source)
    assert doc is not None
    return doc.data


def test_setting_seeds_an_empty_store_only(sqlite_store):
    provider = Provider("seed")
    tokens = Tokens(sqlite_store, "withings", provider.refresh, seed_refresh_token="seed")
    assert tokens.access_token() == "a1"
    assert stored(sqlite_store)["refresh_token"] == "r1"
    # A later run still has the old setting: the stored, rotated token rules.
    again = Tokens(sqlite_store, "withings", provider.refresh, seed_refresh_token="seed",
                   clock=lambda: time.time() + 7200)
    assert again.access_token() == "a2"
    assert stored(sqlite_store)["refresh_token"] == "r2"


def test_not_connected_says_what_to_do(sqlite_store):
    tokens = Tokens(sqlite_store, "withings", Provider().refresh)
    with pytest.raises(SyncError, match="python -m collectors connect withings"):
        tokens.access_token()


def test_valid_token_is_used_without_refreshing(sqlite_store):
    provider = Provider()
    sqlite_store.put_doc(SPACE, "strava", Token("a-live", "r0", time.time() + 3600).as_data())
    assert Tokens(sqlite_store, "strava", provider.refresh).access_token() == "a-live"
    assert provider.calls == 0


def test_refreshed_before_expiry(sqlite_store):
    provider = Provider()
    # Four minutes left: less than the margin, so refreshed now rather than mid-run.
    sqlite_store.put_doc(SPACE, "strava", Token("a-old", "r0", time.time() + 240).as_data())
    assert Tokens(sqlite_store, "strava", provider.refresh).access_token() == "a1"
    assert provider.calls == 1


def test_rotated_pair_is_saved_before_the_access_token_is_returned(sqlite_store):
    provider = Provider()
    sqlite_store.put_doc(SPACE, "strava", Token("", "r0", 0).as_data())
    seen_in_store = []

    def refresh(refresh_token: str) -> Token:
        token = provider.refresh(refresh_token)
        seen_in_store.append(stored(sqlite_store, "strava")["refresh_token"])
        return token

    access = Tokens(sqlite_store, "strava", refresh).access_token()
    # While refreshing, the store still had the old one; once the token is handed out, the new.
    assert seen_in_store == ["r0"]
    assert access == "a1" and stored(sqlite_store, "strava")["refresh_token"] == "r1"
    assert "lease" not in stored(sqlite_store, "strava")


def test_a_refused_access_token_is_refreshed_once(sqlite_store):
    provider = Provider()
    sqlite_store.put_doc(SPACE, "strava", Token("a-revoked", "r0", time.time() + 3600).as_data())
    tokens = Tokens(sqlite_store, "strava", provider.refresh)
    assert tokens.access_token(force_refresh_of="a-revoked") == "a1"
    # Another run had already replaced it: no second refresh.
    assert tokens.access_token(force_refresh_of="a-revoked") == "a1"
    assert provider.calls == 1


def test_rejected_refresh_token_points_to_connect_and_releases_the_lease(sqlite_store):
    provider = Provider("something-else")
    sqlite_store.put_doc(SPACE, "withings", Token("", "r-dead", 0).as_data())
    tokens = Tokens(sqlite_store, "withings", provider.refresh)
    with pytest.raises(SyncError) as caught:
        tokens.access_token()
    assert str(caught.value).startswith(
        "Withings refresh token rejected: run `python -m collectors connect withings`")
    assert "lease" not in stored(sqlite_store)


def test_two_runs_at_once_refresh_once_and_keep_the_chain(store):
    provider = Provider(delay_s=0.3)
    store.put_doc(SPACE, "withings", Token("", "r0", 0).as_data())
    start = threading.Barrier(2)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        tokens = Tokens(store, "withings", provider.refresh, sleep=lambda s: time.sleep(0.02))
        start.wait()
        try:
            results[n] = tokens.access_token()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert provider.calls == 1
    assert results == {0: "a1", 1: "a1"}
    assert stored(store)["refresh_token"] == provider.valid == "r1"


def test_a_dead_run_s_lease_is_taken_over_after_it_expires(sqlite_store):
    provider = Provider()
    now = [1_000_000.0]
    data = {**Token("", "r0", 0).as_data(), "lease": {"owner": "gone", "until": now[0] + 30}}
    sqlite_store.put_doc(SPACE, "withings", data)

    def sleep(seconds: float) -> None:
        now[0] += 10  # each wait moves the clock on

    tokens = Tokens(sqlite_store, "withings", provider.refresh, clock=lambda: now[0],
                    sleep=sleep)
    assert tokens.access_token() == "a1"
    assert provider.calls == 1


def test_a_run_that_loses_the_compare_and_set_uses_the_stored_token(sqlite_store):
    provider = Provider()
    sqlite_store.put_doc(SPACE, "withings", Token("", "r0", 0).as_data())

    def refresh(refresh_token: str) -> Token:
        token = provider.refresh(refresh_token)
        # Our lease lapsed meanwhile and another run stored a newer pair.
        sqlite_store.put_doc(SPACE, "withings", Token("a-other", "r-other", time.time() + 999)
                             .as_data())
        return token

    assert Tokens(sqlite_store, "withings", refresh).access_token() == "a-other"
    assert stored(sqlite_store)["refresh_token"] == "r-other"


def test_a_self_signed_source_needs_no_refresh_token_and_shares_its_access_token(sqlite_store):
    signed: list[str] = []

    def sign(refresh_token: str) -> Token:
        signed.append(refresh_token)
        return Token(f"g{len(signed)}", "", time.time() + 3600)

    first = Tokens(sqlite_store, "sheets", sign, self_signed=True)
    assert first.access_token() == "g1" and signed == [""]
    assert stored(sqlite_store, "sheets")["access_token"] == "g1"
    # Another run within the hour uses the stored token; a refused one is signed again.
    again = Tokens(sqlite_store, "sheets", sign, self_signed=True)
    assert again.access_token() == "g1" and len(signed) == 1
    assert again.access_token(force_refresh_of="g1") == "g2"
