"""OAuth tokens in the store: refreshed before expiry, rotated pairs saved by compare-and-set."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from collectors.common import SyncError
from storage import events
from storage.base import Doc, Store

SPACE = "token"
# Refresh this long before the provider says the access token expires: a run that starts with
# a minute left must not have the token die between two of its requests.
MARGIN_S = 300.0
# How long one run may hold the right to refresh. A refresh is one HTTP call, so this only
# matters when a run dies mid-refresh; the others then take over after it.
LEASE_S = 30.0
# Waiting for another run's refresh: short sleeps, never minutes.
WAIT_STEP_S = 0.1


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str
    expires_at: float
    # The provider's id of the account that granted it (Strava's athlete, Withings' userid),
    # when the answer carries one: push events are checked against it. Not stored with the pair.
    account_id: int = field(default=0, compare=False)

    def as_data(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Token:
        return cls(
            str(data.get("access_token") or ""),
            str(data.get("refresh_token") or ""),
            float(data.get("expires_at") or 0),
        )


class TokenRejected(SyncError):
    """The provider refused the refresh token (revoked, rotated away, or never valid)."""


class Tokens:
    """One source's token in the store (space "token", key = source).

    Refresh tokens rotate and a used one may die at once, so only one run may refresh at a time:
    it first claims a short lease on the stored document (compare-and-set on its version),
    refreshes, then saves the new pair (compare-and-set again) before using the access token.
    A run that finds the lease taken, or loses a compare-and-set, re-reads the stored token
    instead of refreshing with a refresh token that may already be spent.

    `self_signed`: the source makes its own grant (a Google service account signs one), so it
    has no refresh token to keep and is never "not connected"; its access token is shared the
    same way.
    """

    def __init__(
        self,
        store: Store,
        source: str,
        refresh: Callable[[str], Token],
        seed_refresh_token: str = "",
        reconnect_hint: str = "",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        margin_s: float = MARGIN_S,
        lease_s: float = LEASE_S,
        self_signed: bool = False,
    ) -> None:
        self.store = store
        self.source = source
        self.refresh_fn = refresh
        self.seed = seed_refresh_token
        self.hint = reconnect_hint or f"run `python -m collectors connect {source}`"
        self.clock = clock
        self.sleep = sleep
        self.margin_s = margin_s
        self.lease_s = lease_s
        self.self_signed = self_signed
        self.owner = uuid.uuid4().hex
        self.refreshes = 0
        self._held: Token | None = None

    def _read(self) -> Doc | None:
        doc = self.store.get_doc(SPACE, self.source)
        if doc is None and (self.seed or self.self_signed):
            # The setting only seeds an empty store; after that the stored (rotated) one rules.
            self.store.put_doc(SPACE, self.source, Token("", self.seed, 0).as_data(), 0)
            doc = self.store.get_doc(SPACE, self.source)
        return doc

    def access_token(self, force_refresh_of: str = "") -> str:
        """A valid access token, refreshing (once, across all runs) when it is about to expire.

        `force_refresh_of`: an access token the provider just refused; it is refreshed even if
        not yet expired, unless another run has already replaced it."""
        held = self._held
        if held is not None and held.access_token != force_refresh_of and \
                held.expires_at - self.margin_s > self.clock():
            return held.access_token  # already read (or refreshed) by this run
        deadline = self.clock() + self.lease_s * 2 + 5
        while True:
            doc = self._read()
            if doc is None or not (doc.data.get("refresh_token") or self.self_signed):
                raise SyncError(f"{self.source} is not connected yet: {self.hint}")
            token = Token.from_data(doc.data)
            now = self.clock()
            stale = token.expires_at - self.margin_s <= now or (
                force_refresh_of and token.access_token == force_refresh_of
            )
            if token.access_token and not stale:
                self._held = token
                return token.access_token
            lease = doc.data.get("lease") or {}
            if lease.get("owner") != self.owner and float(lease.get("until", 0)) > now:
                # Another run is refreshing right now: wait for its result.
                if now > deadline:
                    raise SyncError(
                        f"{self.source}: another sync has been refreshing the token for too "
                        "long; try again in a minute"
                    )
                self.sleep(WAIT_STEP_S)
                continue
            claimed = {**doc.data, "lease": {"owner": self.owner, "until": now + self.lease_s}}
            if not self.store.put_doc(SPACE, self.source, claimed, expected_version=doc.version):
                continue  # someone else moved first: look again
            return self._refresh(token, doc.version + 1)

    def _refresh(self, token: Token, version: int) -> str:
        try:
            self.refreshes += 1
            new = self.refresh_fn(token.refresh_token)
        except TokenRejected as exc:
            # Let the next run try again rather than wait out our lease.
            self.store.put_doc(SPACE, self.source, token.as_data(), expected_version=version)
            raise SyncError(
                f"{self.source.capitalize()} refresh token rejected: {self.hint} "
                f"(the provider said: {exc})"
            ) from None
        except BaseException:
            self.store.put_doc(SPACE, self.source, token.as_data(), expected_version=version)
            raise
        if not new.refresh_token:
            new = Token(new.access_token, token.refresh_token, new.expires_at, new.account_id)
        # Saved before the new access token is used: the old refresh token may be dead now.
        if self.store.put_doc(SPACE, self.source, new.as_data(), expected_version=version):
            self._held = new
            self._remember(new)
            return new.access_token
        # Our lease ran out and another run took over; its stored pair is the one to keep.
        doc = self.store.get_doc(SPACE, self.source)
        if doc is None:
            raise SyncError(f"{self.source}: the stored token vanished during a refresh; "
                            f"{self.hint}")
        self._held = Token.from_data(doc.data)
        return self._held.access_token

    def save(self, token: Token) -> None:
        """Stores a freshly authorized pair (the connect command), replacing any other."""
        self.store.put_doc(SPACE, self.source, token.as_data())
        self._remember(token)

    def _remember(self, token: Token) -> None:
        if token.account_id:
            events.remember(self.store, self.source, account_id=token.account_id)


def describe(store: Store, source: str, now: float | None = None) -> str:
    doc = store.get_doc(SPACE, source)
    if doc is None or not doc.data.get("refresh_token"):
        return "not connected"
    expires_at = float(doc.data.get("expires_at") or 0)
    left_s = expires_at - (time.time() if now is None else now)
    if left_s <= 0:
        return "connected (access token expired; refreshed on the next sync)"
    return f"connected (access token valid for {left_s / 60:.0f} min)"
