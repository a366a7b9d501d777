"""Files the import refused, in the one quarantine under the source's one name, "files"."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from collectors.common import Quarantine
from collectors.sources.files.outcomes import Outcome
from collectors.sources.files.track import SOURCE
from storage.base import Store
from storage.records import Rejected

__all__ = ["SOURCE", "key", "record", "update"]
# Rejections stored before the source had one name were kept as source "file".
LEGACY_SOURCE = "file"


def key(ref: str) -> str:
    return Rejected(source=SOURCE, ref=ref, reason="", raw="", seen_at=datetime.min).sort_key()


def record(outcome: Outcome, now: datetime) -> Rejected:
    return Rejected(source=SOURCE, ref=outcome.ref, reason=outcome.reason, raw="", seen_at=now)


def update(store: Store, outcomes: Iterable[Outcome], now: datetime) -> None:
    """Refused files enter quarantine; a file refused before and accepted now was fixed and
    leaves it."""
    outcomes = list(outcomes)
    if not outcomes:
        return
    # "file#…" sorts just before "files#…": one Query reads what both names hold.
    held = [r for r in store.query("rejected", start=f"{LEGACY_SOURCE}#", end=f"{SOURCE}$")
            if isinstance(r, Rejected) and r.source in (SOURCE, LEGACY_SOURCE)]
    legacy = [r for r in held if r.source == LEGACY_SOURCE]
    if legacy:
        # Under the new key before the old one goes: a run stopped between loses nothing.
        store.put([dataclasses.replace(r, source=SOURCE) for r in legacy])
        store.delete("rejected", [r.sort_key() for r in legacy])
    quarantine = Quarantine(store, SOURCE, keys={key(r.ref) for r in held})
    quarantine.add(record(o, now) for o in outcomes if o.status == "rejected")
    if held:  # with nothing held there is nothing to clear: a re-import costs no key each
        quarantine.clear(key(o.ref) for o in outcomes if o.status != "rejected")
