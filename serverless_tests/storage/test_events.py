"""Push events as stored: reading the providers' bodies, idempotent pending items, the checks."""

from __future__ import annotations

from typing import Any

import pytest

from storage import events
from storage.base import Store
from storage.events import EventError, PushEvent

OURS = {"subscription_id": 7, "account_id": 99}


def _strava(**changes: Any) -> dict[str, Any]:
    body = {"object_type": "activity", "object_id": 12345, "aspect_type": "create",
            "owner_id": 99, "subscription_id": 7, "event_time": 1_700_000_000, "updates": {}}
    return {**body, **changes}


def test_a_strava_body_reads_as_an_event() -> None:
    event = events.parse_strava(_strava(updates={"title": "Lunch run"}))
    assert (event.object_id, event.aspect, event.owner_id) == (12345, "create", 99)
    assert event.updates == {"title": "Lunch run"}


@pytest.mark.parametrize(("changes", "named"), [
    ({"object_type": "club"}, "object_type"),
    ({"aspect_type": "rename"}, "aspect_type"),
    ({"object_id": "12a"}, "object_id"),
    ({"object_id": True}, "object_id"),
    ({"owner_id": -1}, "owner_id"),
    ({"event_time": None}, "event_time"),
    ({"updates": ["x"]}, "updates"),
])
def test_a_bad_strava_field_is_named(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(EventError, match=named):
        events.parse_strava(_strava(**changes))


def test_a_strava_body_that_is_no_object_is_refused() -> None:
    with pytest.raises(EventError, match="not a JSON object"):
        events.parse_strava([1, 2])


def test_a_withings_form_reads_as_a_range_and_bad_fields_are_named() -> None:
    event = events.parse_withings({"userid": "42", "appli": "1", "startdate": "10",
                                   "enddate": "20"})
    assert (event.object_id, event.start_s, event.end_s) == (42, 10, 20)
    with pytest.raises(EventError, match="appli"):
        events.parse_withings({"userid": "42", "appli": "44", "startdate": "1", "enddate": "2"})
    with pytest.raises(EventError, match="before startdate"):
        events.parse_withings({"userid": "42", "appli": "1", "startdate": "9", "enddate": "2"})


def test_the_same_event_delivered_twice_is_one_pending_item(store: Store) -> None:
    event = events.parse_strava(_strava())
    assert events.add_pending(store, event, 1.0) is True
    assert events.add_pending(store, event, 2.0) is False
    later = events.parse_strava(_strava(event_time=1_700_000_001))
    assert events.add_pending(store, later, 3.0) is True
    found = events.pending(store, "strava")
    assert [e for _, e in found] == [event, later]
    events.done(store, [found[0][0]])
    assert [e for _, e in events.pending(store)] == [later]


@pytest.mark.parametrize(("event", "why"), [
    (events.parse_strava(_strava(subscription_id=8)), "subscription 8"),
    (events.parse_strava(_strava(owner_id=100)), "athlete 100"),
])
def test_a_foreign_strava_event_says_why(event: PushEvent, why: str) -> None:
    assert events.foreign(event, OURS) is not None
    assert why in (events.foreign(event, OURS) or "")
    assert events.foreign(events.parse_strava(_strava()), OURS) is None


def test_nothing_known_means_every_event_is_foreign() -> None:
    strava = events.parse_strava(_strava())
    withings = events.parse_withings({"userid": "99", "appli": "1", "startdate": "1",
                                      "enddate": "2"})
    assert "subscribe" in (events.foreign(strava, {}) or "")
    assert events.foreign(withings, {}) is not None
    assert events.foreign(withings, {"account_id": 99}) is None
    assert "user 99" in (events.foreign(withings, {"account_id": 98}) or "")


def test_what_we_know_adds_up_and_is_written_only_on_change(sqlite_store: Store) -> None:
    events.remember(sqlite_store, "strava", subscription_id=7)
    events.remember(sqlite_store, "strava", account_id=99)
    version = sqlite_store.get_doc(events.KNOWN_SPACE, "strava").version  # type: ignore[union-attr]
    events.remember(sqlite_store, "strava", account_id=99)
    assert events.known(sqlite_store, "strava") == OURS
    assert sqlite_store.get_doc(events.KNOWN_SPACE, "strava").version == version  # type: ignore[union-attr]


def test_a_claim_is_held_by_one_invocation_until_released_or_lapsed(store: Store) -> None:
    key = "strava:activity:12345"
    assert events.claim(store, key, 1000.0) is True
    assert events.claim(store, key, 1000.0 + events.CLAIM_HOLD_S - 1) is False  # another's
    assert events.claim(store, key, 995.0) is False  # a container whose clock is behind
    assert events.claim(store, key, 1000.0 + events.CLAIM_HOLD_S) is True  # its holder died
    events.release(store, key)
    assert events.claim(store, key, 1001.0) is True  # released: free at once
    assert events.claim(store, "strava:activity:678", 1001.0) is True  # one key, one claim


def test_a_late_copy_of_an_applied_event_is_not_pending_again(store: Store) -> None:
    event = events.parse_strava(_strava())
    assert events.add_pending(store, event, 1_000.0)
    events.done(store, [event.key()], 1_010.0)  # applied
    assert events.add_pending(store, event, 1_020.0) is False  # the provider's retry
    assert events.pending(store) == []
    later = 1_010.0 + 2 * events.APPLIED_WINDOW_S + 1  # long forgotten: a new delivery
    assert events.add_pending(store, event, later) is True
    events.done(store, [event.key()])  # without a time: nothing remembered
    assert events.add_pending(store, event, later + 1) is True
