"""Per-activity summaries computed once when a stream is stored: best efforts, TRIMP, cells."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from analytics import best_efforts, heatmap, load
from storage.base import Store
from storage.records import ActivityStream, Record

log = logging.getLogger(__name__)

SPACE = "activity_summary"  # one document per activity id: the dashboard reads them in one Query
# Bumped when what a summary holds or how it is computed changes: `python -m analytics
# backfill` recomputes the summaries of an older version.
VERSION = 1


def summarize(stream: ActivityStream) -> dict[str, Any]:
    """What the dashboard needs of a stream, without reading it again: each distance's best
    effort [time_s, start_s, start_distance_m], the heart-rate TRIMP and the heatmap cells."""
    efforts = best_efforts.best_efforts(stream.time_s, stream.distance_m, stream.latlng)
    trimp = (load.trimp_stream(stream.time_s, stream.heartrate_bpm)
             if stream.heartrate_bpm else None)
    cells = heatmap.cells(stream.latlng) if stream.latlng else []
    return {
        "v": VERSION,
        "efforts": {name: [round(e.time_s, 1), round(e.start_s, 1),
                           round(e.start_distance_m, 1)] for name, e in efforts.items()},
        "trimp": None if trimp is None else round(trimp, 2),
        "cells": heatmap.encode(cells),
    }


def store_summaries(store: Store, records: Iterable[Record]) -> int:
    """Writes the summary of every stream among `records` (just stored). A stream that cannot
    be summarised is logged and skipped: derived figures never hold up the stored data, and
    `python -m analytics backfill` tries again. Returns how many were written."""
    written = 0
    for record in records:
        if not isinstance(record, ActivityStream):
            continue
        try:
            summary = summarize(record)
        except (ValueError, ArithmeticError, TypeError, IndexError) as exc:
            log.warning("no summary for activity %s: %s", record.activity_id, exc)
            continue
        store.put_doc(SPACE, record.activity_id, summary)
        written += 1
    return written


def backfill(store: Store, redo: bool = False) -> tuple[int, int]:
    """Summaries for the activities stored before summaries existed (or of an older VERSION;
    `redo`: all of them). One Query for the activities and one for the summaries, then one
    read per stream to summarise. Returns (written, activities without a stream)."""
    have = {key: doc.data.get("v") for key, doc in store.list_docs(SPACE).items()}
    written = missing = 0
    for activity in store.query("activities"):
        if not redo and have.get(activity.id) == VERSION:
            continue
        stream = store.get("streams", activity.id)
        if stream is None:
            missing += 1
            continue
        written += store_summaries(store, [stream])
    return written, missing
