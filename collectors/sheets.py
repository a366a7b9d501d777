"""Google Sheets: the crossfit log, one LiftSet per row; the sheet is the truth for its rows."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from collectors.common import (
    RATE_LIMITED,
    Archive,
    Counts,
    Http,
    NotConfigured,
    Progress,
    StopSync,
    SyncError,
    dumps,
    json_body,
    utc_now,
)
from storage.base import Blobs, Store
from storage.records import LiftSet, Rejected, iso_utc

SOURCE = "sheets"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)
LB_KG = 0.45359237
REQUIRED = ("date", "exercise", "set", "reps")
WEIGHTS = ("weight_kg", "weight_lb")
EXPECTED_HEADER = "date | exercise | set | reps | weight_kg (or weight_lb)"
# Sheets counts days from 1899-12-30 (serial numbers, as UNFORMATTED_VALUE sends dates).
SERIAL_EPOCH = date(1899, 12, 30)
# Beyond these a value is a typo (an extra zero, a weight typed in the reps column), not a set.
MAX_SET = 100
MAX_REPS = 1000
MAX_WEIGHT_KG = 1000.0
# Refresh the cached Google access token this long before it expires.
TOKEN_MARGIN_S = 300.0


class SheetError(ValueError):
    """The sheet as a whole cannot be read (no header, a required column missing)."""


# --- parsing (pure) -------------------------------------------------------------------------


def first_row(a1_range: str) -> int:
    """The sheet row number of the first row a `values` answer holds ("Log!A1:E120" → 1)."""
    cells = a1_range.rpartition("!")[2]
    match = re.match(r"\$?[A-Za-z]*\$?(\d+)", cells)
    return int(match.group(1)) if match else 1


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_name(cell: Any) -> str:
    return re.sub(r"\s+", "_", str(cell).strip().casefold())


def header_columns(header: list[Any]) -> dict[str, int]:
    """Column index by name, case-insensitive; SheetError naming what is missing."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _header_name(cell)
        if name and name not in columns:
            columns[name] = index
    missing = [n for n in REQUIRED if n not in columns]
    if not any(w in columns for w in WEIGHTS):
        missing.append("weight_kg")
    if missing:
        found = " | ".join(str(c) for c in header) or "(empty)"
        raise SheetError(
            f"the header row lacks {', '.join(missing)}: found {found}; expected {EXPECTED_HEADER}"
        )
    return columns


_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def parse_date(value: Any) -> date:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or not 1 <= value < 100_000:
            raise ValueError(f"date {value!r} is not a date")
        return SERIAL_EPOCH + timedelta(days=int(value))
    text = str(value).strip()
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"date {text!r} is not a date (write it as YYYY-MM-DD)")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"date {text!r} does not exist") from None


_INT = re.compile(r"[+-]?\d+(\.0*)?")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def parse_int(value: Any, name: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{name} {value!r} is not a whole number")
        return int(value)
    text = str(value).strip()
    if not text:
        raise ValueError(f"{name} is empty")
    if _INT.fullmatch(text) is None:
        raise ValueError(f"{name} {text!r} is not a whole number")
    return int(float(text))


def parse_number(value: Any, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"{name} {value!r} is not a number")
        return float(value)
    text = str(value).strip()
    if _NUMBER.fullmatch(text) is None:
        raise ValueError(f"{name} {text!r} is not a number")
    # A decimal comma, as a European locale shows it.
    return float(text.replace(",", "."))


@dataclass
class Sheet:
    lift_sets: list[LiftSet] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rows: int = 0


def parse_row(row: list[Any], columns: dict[str, int], number: int) -> LiftSet:
    """One data row as a LiftSet; ValueError with every reason it cannot be one."""

    def cell(name: str) -> Any:
        index = columns.get(name)
        # Google leaves trailing empty cells out, so a row may be shorter than the header.
        return row[index] if index is not None and index < len(row) else ""

    problems: list[str] = []
    values: dict[str, Any] = {}

    def attempt(name: str, read: Callable[[], Any]) -> None:
        try:
            values[name] = read()
        except ValueError as exc:
            problems.append(str(exc))

    attempt("date", lambda: parse_date(cell("date")))
    exercise = " ".join(str(cell("exercise")).split())
    if not exercise:
        problems.append("exercise is empty")
    attempt("set", lambda: parse_int(cell("set"), "set"))
    attempt("reps", lambda: parse_int(cell("reps"), "reps"))
    if "set" in values and not 1 <= values["set"] <= MAX_SET:
        problems.append(f"set {values['set']} must be between 1 and {MAX_SET}")
    if "reps" in values and values["reps"] < 0:
        problems.append(f"reps {values['reps']} is negative")
    elif "reps" in values and values["reps"] > MAX_REPS:
        problems.append(f"reps {values['reps']} is more than {MAX_REPS}: a typo?")
    weight_name = "weight_kg" if "weight_kg" in columns else "weight_lb"
    if weight_name == "weight_kg" and "weight_lb" in columns and _blank(cell("weight_kg")):
        weight_name = "weight_lb"
    raw_weight = cell(weight_name)
    if _blank(raw_weight):
        values["weight"] = 0.0  # a bodyweight set (pull-ups): nothing carried
    else:
        attempt("weight", lambda: parse_number(raw_weight, weight_name))
    if values.get("weight", 0.0) < 0:
        problems.append(f"{weight_name} {raw_weight!r} is negative")
    weight_kg = values.get("weight", 0.0) * (LB_KG if weight_name == "weight_lb" else 1.0)
    if weight_kg > MAX_WEIGHT_KG:
        problems.append(f"{weight_name} {raw_weight!r} is more than {MAX_WEIGHT_KG:g} kg: a typo?")
    if problems:
        raise ValueError("; ".join(problems))
    return LiftSet(
        date=values["date"],
        exercise=exercise,
        set_index=values["set"],
        reps=values["reps"],
        weight_kg=round(weight_kg, 3),
        source_row=number,
    )


def parse_sheet(payload: Any, now: datetime) -> Sheet:
    """A `values` answer (header row first) as LiftSets, and a Rejected per unreadable row.

    SheetError when there is no usable header: then nothing in the store should change."""
    if not isinstance(payload, dict):
        raise SheetError(f"expected an object with values, got a {type(payload).__name__}")
    rows = payload.get("values") or []
    if not rows:
        raise SheetError(f"the range is empty; its first row must be the header: "
                         f"{EXPECTED_HEADER}")
    columns = header_columns(rows[0])
    start = first_row(str(payload.get("range", "")))
    sheet = Sheet()
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[1:], start=1):
        number = start + offset
        if not isinstance(row, list) or all(_blank(c) for c in row):
            continue
        sheet.rows += 1
        try:
            lift = parse_row(row, columns, number)
            first = seen.get(lift.sort_key())
            if first is not None:
                raise ValueError(f"same date, exercise and set as row {first}")
        except ValueError as exc:
            sheet.rejected.append(Rejected(SOURCE, f"row {number}", str(exc),
                                           json.dumps(row, default=str), now))
            continue
        seen[lift.sort_key()] = number
        sheet.lift_sets.append(lift)
    return sheet


# --- HTTP -----------------------------------------------------------------------------------


class SheetsClient:
    """One `values` call with a service account's token.

    gspread is not used: its URLs are fixed to https://sheets.googleapis.com, while the base is
    a setting here (tests use a loopback stand-in), and one GET needs nothing else from it.
    google-auth signs the service account's JWT and exchanges it at the key file's token_uri;
    the access token (1 h) is kept in the store so a run within the hour makes one request."""

    def __init__(self, http: Http, base_url: str, credentials_path: str, store: Store,
                 clock: Callable[[], float] = time.time) -> None:
        from google.oauth2 import service_account

        self.http = http
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v4"):
            self.base_url += "/v4"
        self.store = store
        self.clock = clock
        try:
            self.credentials = service_account.Credentials.from_service_account_file(
                credentials_path, scopes=list(SCOPES)
            )
        except (OSError, ValueError, KeyError) as exc:
            raise SyncError(
                f"PULSEBOARD_GOOGLE_CREDENTIALS={credentials_path}: not a service-account key "
                f"file ({exc}); download a JSON key for the service account from Google Cloud"
            ) from None

    @property
    def email(self) -> str:
        return str(getattr(self.credentials, "service_account_email", ""))

    def _token(self, force: bool = False) -> str:
        doc = self.store.get_doc("token", SOURCE)
        if doc is not None and not force:
            expires_at = float(doc.data.get("expires_at") or 0)
            if doc.data.get("access_token") and expires_at - TOKEN_MARGIN_S > self.clock():
                return str(doc.data["access_token"])
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        try:
            self.credentials.refresh(Request(session=self.http))  # type: ignore[arg-type]
        except exceptions.RefreshError as exc:
            raise SyncError(
                f"Google refused the service account {self.email} ({_first(exc)}): check "
                "PULSEBOARD_GOOGLE_CREDENTIALS holds a current key of that account"
            ) from None
        except exceptions.TransportError as exc:
            raise SyncError(f"cannot reach Google's token endpoint: {_first(exc)}") from None
        expiry = self.credentials.expiry  # naive UTC, from the wall clock
        lifetime_s = ((expiry.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
                      if expiry is not None else 3000.0)
        expires_at = self.clock() + lifetime_s
        self.store.put_doc("token", SOURCE, {"access_token": self.credentials.token,
                                             "refresh_token": "", "expires_at": expires_at})
        return str(self.credentials.token)

    def values(self, sheet_id: str, a1_range: str) -> requests.Response:
        url = (f"{self.base_url}/spreadsheets/{quote(sheet_id, safe='')}/values/"
               f"{quote(a1_range, safe='')}")
        params = {
            "majorDimension": "ROWS",
            # Numbers as numbers and dates as serial numbers: no locale to guess.
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
        }
        force = False
        for attempt in range(3):
            token = self._token(force)
            response = self.http.request("GET", url, params=params,
                                         headers={"Authorization": f"Bearer {token}"})
            status = response.status_code
            if status == 200:
                return response
            if status == 429:
                raise StopSync(RATE_LIMITED, "Google Sheets answered 429 (read quota)")
            if status == 401 and not force:
                force = True
                continue
            if status in (403, 404):
                who = self.email or "the service account"
                raise SyncError(
                    f"Google Sheets answered {status} for spreadsheet {sheet_id}: check "
                    f"PULSEBOARD_SHEETS_ID and share the sheet with {who}"
                )
            if status == 400:
                raise SyncError(
                    f"Google Sheets cannot read the range {a1_range!r} "
                    f"({_google_message(response)}): check PULSEBOARD_SHEETS_RANGE (e.g. Log!A:E)"
                )
            if status >= 500 and attempt == 0:
                continue
            break
        raise SyncError(f"Google Sheets answered HTTP {response.status_code}; try again later")


def _first(exc: Exception) -> str:
    return str(exc.args[0] if exc.args else exc)[:200]


def _google_message(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


# --- the sync -------------------------------------------------------------------------------


def apply(store: Store, sheet: Sheet, counts: Counts, progress: Progress) -> None:
    """Makes the store hold exactly the sheet's rows and its current rejects."""
    existing = {r.sort_key(): r for r in store.query("lift_sets")}
    wanted = {r.sort_key(): r for r in sheet.lift_sets}
    fresh = [r for key, r in wanted.items() if existing.get(key) != r]
    if fresh:
        counts.stored += store.put(fresh)
    gone = sorted(set(existing) - set(wanted))
    if gone:
        store.delete("lift_sets", gone)
        counts.deleted += len(gone)
    progress.update(len(sheet.lift_sets))
    old = {r.sort_key(): r for r in store.query("rejected", start=f"{SOURCE}#",
                                               end=f"{SOURCE}$")}
    now_rejects = {r.sort_key(): r for r in sheet.rejected}
    new = [r for key, r in now_rejects.items()
           if key not in old or (old[key].reason, old[key].raw) != (r.reason, r.raw)]
    if new:
        store.put(new)
    fixed = sorted(set(old) - set(now_rejects))
    if fixed:
        store.delete("rejected", fixed)
    counts.rejected += len(sheet.rejected)


def sync(
    store: Store,
    blobs: Blobs | None,
    counts: Counts,
    full: bool = False,
    progress: Progress | None = None,
    session: requests.Session | None = None,
    now: datetime | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    after_batch: Callable[[int], None] | None = None,
) -> None:
    """Reads the whole log in one call and mirrors it in the store (`full` changes nothing:
    every run reads the whole range)."""
    import settings

    current = settings.get()
    if current.google_credentials is None or not current.sheets_id:
        raise NotConfigured(
            "Google Sheets is not configured: set PULSEBOARD_GOOGLE_CREDENTIALS (a service-account"
            " JSON key file) and PULSEBOARD_SHEETS_ID, and share the sheet with that account"
        )
    now = now or utc_now()
    http = Http("Google Sheets", counts, session, current.request_timeout_s)
    client = SheetsClient(http, current.sheets_url, str(current.google_credentials), store, clock)
    response = client.values(current.sheets_id, current.sheets_range)
    Archive(blobs, SOURCE, lambda: now).save("values", response.content)
    payload = json_body("Google Sheets", response)
    try:
        sheet = parse_sheet(payload, now)
    except SheetError as exc:
        raise SyncError(f"the sheet {current.sheets_range!r} cannot be read: {exc}") from None
    counts.fetched += sheet.rows
    apply(store, sheet, counts, progress or Progress())
    store.set_cursor(SOURCE, dumps({
        "synced_at": iso_utc(now),
        "rows": sheet.rows,
        "sha256": hashlib.sha256(response.content).hexdigest(),
    }))
    if after_batch is not None:
        after_batch(1)
