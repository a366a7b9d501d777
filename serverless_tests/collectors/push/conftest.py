"""Helpers the push tests share: what we know of the owner, events as the api stores them."""

from __future__ import annotations

from typing import Any

import settings
from collectors import push, sources
from collectors.common import Counts
from storage import events
from storage.base import Store
from storage.events import PushEvent

SUBSCRIPTION_ID = 120_475
ATHLETE_ID = 41_230_977  # the Strava stand-in's athlete


def know_owner(store: Store, standins: Any) -> None:
    events.remember(store, "strava", subscription_id=SUBSCRIPTION_ID, account_id=ATHLETE_ID)
    events.remember(store, "withings", account_id=standins.withings_userid)


def strava_event(activity_id: int, aspect: str = "create", at_s: int = 1_700_000_000,
                 **updates: str) -> PushEvent:
    return events.parse_strava({
        "object_type": "activity", "object_id": activity_id, "aspect_type": aspect,
        "owner_id": ATHLETE_ID, "subscription_id": SUBSCRIPTION_ID, "event_time": at_s,
        "updates": updates,
    })


def pend(store: Store, *items: PushEvent) -> None:
    for item in items:
        events.add_pending(store, item, 0.0)


def handle(source: str, store: Store, **options: Any) -> Counts:
    config = sources.get(source).configure(settings.get())
    return push.handle(source, store, None, config, **options)
