"""Google Sheets' HTTP side: the service account's token and one `values` call.

gspread is not used behind this seam: its URLs are fixed to https://sheets.googleapis.com
while the base is a setting here (tests use a loopback stand-in), it keeps the access token
in memory (not in the token store, where runs within the hour share it), and one GET needs
nothing else from it. google-auth signs the service account's JWT and exchanges it at the key
file's token_uri."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from collectors.common import SyncError
from collectors.http import Authorized, Http
from collectors.tokens import Token, Tokens
from storage.base import Store

SOURCE = "sheets"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)
# When Google's answer gives no expiry: a little under its one hour.
DEFAULT_LIFETIME_S = 3000.0


def _first(exc: Exception) -> str:
    return str(exc.args[0] if exc.args else exc)[:200]


def _google_message(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def load_credentials(path: Path) -> Any:
    """The service account's credentials from its JSON key file; SyncError saying what to do."""
    from google.oauth2 import service_account

    try:
        return service_account.Credentials.from_service_account_file(str(path),
                                                                     scopes=list(SCOPES))
    except (OSError, ValueError, KeyError) as exc:
        raise SyncError(
            f"PULSEBOARD_GOOGLE_CREDENTIALS={path}: not a service-account key "
            f"file ({exc}); download a JSON key for the service account from Google Cloud"
        ) from None


def email_of(credentials: Any) -> str:
    return str(getattr(credentials, "service_account_email", ""))


def refresher(http: Http, credentials: Any,
              clock: Callable[[], float] = time.time) -> Callable[[str], Token]:
    """The refresh call for Tokens: a freshly signed grant exchanged for an access token."""

    def refresh(_refresh_token: str) -> Token:
        from google.auth import exceptions
        from google.auth.transport.requests import Request

        try:
            credentials.refresh(Request(session=http))  # type: ignore[arg-type]
        except exceptions.RefreshError as exc:
            raise SyncError(
                f"Google refused the service account {email_of(credentials)} ({_first(exc)}): "
                "check PULSEBOARD_GOOGLE_CREDENTIALS holds a current key of that account"
            ) from None
        except exceptions.TransportError as exc:
            raise SyncError(f"cannot reach Google's token endpoint: {_first(exc)}") from None
        expiry = credentials.expiry  # naive UTC, from the wall clock
        lifetime_s = ((expiry.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
                      if expiry is not None else DEFAULT_LIFETIME_S)
        return Token(str(credentials.token), "", clock() + lifetime_s)

    return refresh


class SheetsClient:
    """One `values` call with the service account's token, under the one HTTP policy."""

    def __init__(self, http: Http, base_url: str, credentials: Any, store: Store,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v4"):
            self.base_url += "/v4"
        self.email = email_of(credentials)
        tokens = Tokens(store, SOURCE, refresher(http, credentials, clock),
                        reconnect_hint="check PULSEBOARD_GOOGLE_CREDENTIALS",
                        clock=clock, sleep=sleep, self_signed=True)
        self.policy = Authorized(
            http, tokens, "check PULSEBOARD_GOOGLE_CREDENTIALS holds a current key of "
            f"{self.email or 'the service account'}", sleep, limit_name="read quota")

    def values(self, sheet_id: str, a1_range: str) -> requests.Response:
        url = (f"{self.base_url}/spreadsheets/{quote(sheet_id, safe='')}/values/"
               f"{quote(a1_range, safe='')}")
        params = {
            "majorDimension": "ROWS",
            # Numbers as numbers and dates as serial numbers: no locale to guess.
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
        }

        def request(token: str) -> requests.Response:
            return self.http.request("GET", url, params=params,
                                     headers={"Authorization": f"Bearer {token}"})

        def read(response: requests.Response) -> requests.Response:
            status = response.status_code
            if status == 200:
                return response
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
            raise SyncError(f"Google Sheets answered HTTP {status}; try again later")

        return self.policy.send(request, read)
