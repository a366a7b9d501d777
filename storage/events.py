"""Push events as the store keeps them: the api writes them pending, the collectors take them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import PulseboardError
from storage.base import Store, check_doc_key

PENDING_SPACE = "push_pending"
# What the owner's side of a subscription is, remembered when syncing or subscribing:
# key = provider, {account_id (Strava's athlete, Withings' userid), subscription_id (Strava)}.
KNOWN_SPACE = "push_known"
# Who is working on what (an activity, a Withings range): two jobs invocations running at once
# (Lambda starts a second container for an event that finds the first busy) must not fetch the
# same thing twice. key = "<provider>:<object>", {at_s}.
CLAIM_SPACE = "push_claim"
# Longer than one activity's fetch takes; a claimer killed mid-event holds it no longer.
CLAIM_HOLD_S = 120
# An applied event is remembered this long (and up to twice as long) against late copies.
APPLIED_WINDOW_S = 86_400
# A source's connection as the overview shows it: key = source, {state, at, message}.
CONNECTION_SPACE = "connection"
DEAUTHORIZED = "deauthorized"

STRAVA = "strava"
WITHINGS = "withings"
STRAVA_OBJECTS = ("activity", "athlete")
STRAVA_ASPECTS = ("create", "update", "delete")
# Withings' appli 1: weight and body composition, the only one subscribed to.
WITHINGS_APPLIS = (1,)
MAX_ID = 2**63 - 1
MAX_BODY_FIELD_CHARS = 200


class EventError(PulseboardError, ValueError):
    """A push event that cannot be read; the message names the field and what was wrong."""


@dataclass(frozen=True)
class PushEvent:
    """One provider notification: what to go and look at, nothing more.

    Strava: object_type activity|athlete, object_id, aspect create|update|delete, event_time_s,
    owner_id, subscription_id, updates. Withings: object_type "measures", object_id the user id,
    aspect "appli<N>", the changed range start_s..end_s, event_time_s = end_s."""

    provider: str
    object_type: str
    object_id: int
    aspect: str
    event_time_s: int
    owner_id: int = 0
    subscription_id: int = 0
    updates: dict[str, str] = field(default_factory=dict)
    start_s: int = 0
    end_s: int = 0

    def key(self) -> str:
        """Idempotent by provider, object, aspect and time: a delivery repeated is one item."""
        span = f":{self.start_s}-{self.end_s}" if self.provider == WITHINGS else ""
        return (f"{self.provider}:{self.object_type}:{self.object_id}:{self.aspect}:"
                f"{self.event_time_s}{span}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PushEvent:
        try:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        except TypeError as exc:
            raise EventError(f"stored push event cannot be read: {exc}") from None


def _int(data: Mapping[str, Any], name: str, low: int = 0) -> int:
    value = data.get(name)
    if isinstance(value, bool) or value is None:
        raise EventError(f"{name} is missing or not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit() or len(text) > 19:
            raise EventError(f"{name} {value[:40]!r} is not a whole number")
        value = int(text)
    if not isinstance(value, int) or not low <= value <= MAX_ID:
        raise EventError(f"{name} {str(value)[:40]!r} is not a whole number of at least {low}")
    return value


def parse_strava(body: Any) -> PushEvent:
    """A Strava webhook POST's JSON body as an event; EventError naming the bad field."""
    if not isinstance(body, dict):
        raise EventError(f"the event is a {type(body).__name__}, not a JSON object")
    object_type = body.get("object_type")
    if object_type not in STRAVA_OBJECTS:
        raise EventError(f"object_type {str(object_type)[:40]!r} is not one of "
                         f"{', '.join(STRAVA_OBJECTS)}")
    aspect = body.get("aspect_type")
    if aspect not in STRAVA_ASPECTS:
        raise EventError(f"aspect_type {str(aspect)[:40]!r} is not one of "
                         f"{', '.join(STRAVA_ASPECTS)}")
    updates = body.get("updates") or {}
    if not isinstance(updates, dict):
        raise EventError("updates is not a JSON object")
    return PushEvent(
        provider=STRAVA,
        object_type=object_type,
        object_id=_int(body, "object_id", 1),
        aspect=aspect,
        event_time_s=_int(body, "event_time"),
        owner_id=_int(body, "owner_id", 1),
        subscription_id=_int(body, "subscription_id", 1),
        # Only what the handler reads (titles, the authorization flag), each cut short.
        updates={str(k)[:40]: str(v)[:MAX_BODY_FIELD_CHARS] for k, v in list(updates.items())[:20]},
    )


def parse_withings(form: Mapping[str, Any]) -> PushEvent:
    """A Withings notification's form fields as an event; EventError naming the bad field."""
    userid = _int(form, "userid", 1)
    appli = _int(form, "appli", 0)
    if appli not in WITHINGS_APPLIS:
        raise EventError(f"appli {appli} is not one this app subscribes to "
                         f"({', '.join(map(str, WITHINGS_APPLIS))})")
    start_s, end_s = _int(form, "startdate"), _int(form, "enddate")
    if end_s < start_s:
        raise EventError(f"enddate {end_s} is before startdate {start_s}")
    return PushEvent(WITHINGS, "measures", userid, f"appli{appli}", end_s, owner_id=userid,
                     start_s=start_s, end_s=end_s)


# --- what we know -----------------------------------------------------------------------------

def remember(store: Store, provider: str, **fields: int) -> None:
    """Adds to what we know of the owner's side (only when something changed: one read)."""
    doc = store.get_doc(KNOWN_SPACE, provider)
    data = dict(doc.data) if doc else {}
    wanted = {**data, **{k: int(v) for k, v in fields.items() if v}}
    if wanted != data:
        store.put_doc(KNOWN_SPACE, provider, wanted)


def forget(store: Store, provider: str, name: str) -> None:
    """Drops one thing we knew (a deleted subscription's id): its events become foreign."""
    doc = store.get_doc(KNOWN_SPACE, provider)
    if doc is not None and name in doc.data:
        store.put_doc(KNOWN_SPACE, provider, {k: v for k, v in doc.data.items() if k != name})


def known(store: Store, provider: str) -> dict[str, int]:
    doc = store.get_doc(KNOWN_SPACE, provider)
    return {k: int(v) for k, v in doc.data.items()} if doc else {}


def foreign(event: PushEvent, ours: Mapping[str, int]) -> str | None:
    """Why an event is not for us (None when it is): checked before anything is fetched."""
    if event.provider == STRAVA:
        if not ours.get("subscription_id"):
            return "no Strava subscription is known (run `python -m collectors subscribe strava`)"
        if event.subscription_id != ours["subscription_id"]:
            return f"subscription {event.subscription_id} is not ours"
        if not ours.get("account_id"):
            return "the owner's Strava athlete id is not known yet (sync Strava once)"
        if event.owner_id != ours["account_id"]:
            return f"athlete {event.owner_id} is not the owner"
        return None
    if not ours.get("account_id"):
        return "the owner's Withings user id is not known yet (connect Withings again)"
    if event.object_id != ours["account_id"]:
        return f"Withings user {event.object_id} is not the owner"
    return None


# --- pending items ------------------------------------------------------------------------------

def _applied_key(key: str) -> str:
    return f"push-applied:{key}"


def was_applied(store: Store, key: str, now_s: float) -> bool:
    """Whether the event was applied in this window of APPLIED_WINDOW_S or the one before."""
    counter = _applied_key(key)
    return (store.peek(counter, APPLIED_WINDOW_S, now_s) > 0
            or store.peek(counter, APPLIED_WINDOW_S, now_s - APPLIED_WINDOW_S) > 0)


def add_pending(store: Store, event: PushEvent, received_s: float) -> bool:
    """Stores the event as pending; False when the same event is already there or was applied
    lately (a retry: a provider sends again an answer it waited for in vain, which may come
    after the first copy was applied)."""
    key = event.key()
    check_doc_key(key)
    if was_applied(store, key, received_s):
        return False
    return store.put_doc(PENDING_SPACE, key, {**event.to_dict(), "received_s": received_s},
                         expected_version=0)


def pending(store: Store, provider: str | None = None) -> list[tuple[str, PushEvent]]:
    """Pending events (of one provider), oldest event first. One that cannot be read (written
    by another version) stays stored and is left out: it must not block those behind it."""
    found = []
    for key, doc in store.list_docs(PENDING_SPACE).items():
        if provider is not None and not key.startswith(provider + ":"):
            continue
        try:
            found.append((key, PushEvent.from_dict(doc.data)))
        except EventError:
            continue
    found.sort(key=lambda item: (item[1].event_time_s, item[0]))
    return found


def claim(store: Store, key: str, now_s: float, hold_s: float = CLAIM_HOLD_S) -> bool:
    """Takes `key` for this invocation; False while another holds it (for up to `hold_s`)."""
    check_doc_key(key)
    doc = store.get_doc(CLAIM_SPACE, key)
    if doc is None:
        return store.put_doc(CLAIM_SPACE, key, {"at_s": now_s}, expected_version=0)
    try:
        at_s = float(doc.data["at_s"])  # a Decimal from DynamoDB
    except (KeyError, TypeError, ValueError):
        at_s = -math.inf  # unreadable: taken over
    if abs(now_s - at_s) < hold_s:  # a little ahead: another container's clock
        return False
    return store.put_doc(CLAIM_SPACE, key, {"at_s": now_s}, expected_version=doc.version)


def still_pending(store: Store, keys: list[str]) -> list[str]:
    """Those of `keys` still pending: read after a claim, since another invocation may have
    applied them between our listing and our claim."""
    return [key for key in keys if store.get_doc(PENDING_SPACE, key) is not None]


def release(store: Store, key: str) -> None:
    store.delete_doc(CLAIM_SPACE, key)


def done(store: Store, keys: list[str], now_s: float | None = None) -> None:
    """Takes the events off the pending list; with `now_s`, remembers them as applied (for a
    day or two: an expiring counter), so a late copy of one is not applied again."""
    for key in keys:
        if now_s is not None:
            store.hit(_applied_key(key), APPLIED_WINDOW_S, now_s)
        store.delete_doc(PENDING_SPACE, key)


def connection(store: Store, source: str) -> dict[str, Any] | None:
    """The source's connection status when it is not a plain "connected" (None then)."""
    doc = store.get_doc(CONNECTION_SPACE, source)
    return dict(doc.data) if doc else None
