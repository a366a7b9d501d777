"""Google Sheets' sync: the whole log read in one call and mirrored in the store."""

from __future__ import annotations

import hashlib

from collectors.common import Archive, Counts, Progress, Quarantine, SyncError, dumps
from collectors.http import Http, json_body
from collectors.sources.base import Run
from collectors.sources.sheets.client import SheetsClient, load_credentials
from collectors.sources.sheets.config import SheetsConfig
from collectors.sources.sheets.parse import SOURCE, Sheet, SheetError, parse_sheet
from storage.base import Store
from storage.records import iso_utc

MANUAL_ROW = 0


def apply(store: Store, sheet: Sheet, counts: Counts, progress: Progress) -> None:
    """Makes the store hold exactly the sheet's rows and its current rejects."""
    existing = {r.sort_key(): r for r in store.query("lift_sets")}
    wanted = {r.sort_key(): r for r in sheet.records}
    fresh = [r for key, r in wanted.items() if existing.get(key) != r]
    if fresh:
        counts.stored += store.put(fresh)
    # A set typed in on the dashboard (row 0: no sheet has one) is not the sheet's to delete.
    gone = sorted(k for k in set(existing) - set(wanted) if existing[k].source_row != MANUAL_ROW)
    if gone:
        store.delete("lift_sets", gone)
        counts.deleted += len(gone)
    progress.update(len(sheet.records))
    Quarantine(store, SOURCE).replace(sheet.rejected)
    counts.rejected += len(sheet.rejected)


def sync(run: Run, config: SheetsConfig) -> None:
    """Reads the whole log in one call and mirrors it in the store (`full` changes nothing:
    every run reads the whole range)."""
    assert config.credentials_file is not None  # the runner syncs configured sources only
    http = Http("Google Sheets", run.counts, run.session, config.timeout_s)
    client = SheetsClient(http, config.url, load_credentials(config.credentials_file),
                          run.store, run.clock, run.sleep)
    response = client.values(config.sheet_id, config.a1_range)
    Archive(run.blobs, SOURCE, lambda: run.now).save("values", response.content)
    payload = json_body("Google Sheets", response)
    try:
        sheet = parse_sheet(payload, run.now, config.weight_unit)
    except SheetError as exc:
        raise SyncError(f"the sheet {config.a1_range!r} cannot be read: {exc}") from None
    run.counts.fetched += sheet.rows
    apply(run.store, sheet, run.counts, run.progress)
    run.store.set_cursor(SOURCE, dumps({
        "synced_at": iso_utc(run.now),
        "rows": sheet.rows,
        "sha256": hashlib.sha256(response.content).hexdigest(),
        "weight_unit": sheet.weight_unit,
        "weight_unit_reason": sheet.weight_unit_reason,
    }))
    run.batch_done(1)
