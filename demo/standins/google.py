"""The Google stand-in: a service account's signed-JWT token exchange and the Sheets values API."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from demo.standins.cells import column_name, parse_a1, quote_title, trim, unformatted
from demo.standins.http import Reply, b64decode, pause
from demo.standins.oauth import UsageWindow

if TYPE_CHECKING:
    from demo.standins.server import StandIns

GOOGLE_ACCESS_S = 3600
SHEETS_PER_MINUTE = 60  # read requests per minute per user
# google-auth signs for Google's own token endpoint whatever the key file's token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SHEETS_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive",
)


class GoogleStandIn:
    """Google's OAuth token endpoint for one service account, and one spreadsheet behind it."""

    def __init__(self, hub: StandIns, sheet_title: str) -> None:
        self.hub = hub
        self.sheet_title = sheet_title
        digest = hashlib.sha256(f"sheet-{hub.athlete.seed}".encode()).hexdigest()
        self.sheet_id = "1Pb" + digest[:41]
        self.client_email = "pulseboard-reader@pulseboard-demo.iam.example"
        self.key: rsa.RSAPrivateKey | None = None  # made at start (see `service_account_key`)
        self._tokens: dict[str, float] = {}  # access token -> expires at
        self._lock = threading.Lock()
        self.usage = UsageWindow(60)

    def expire_access(self) -> None:
        with self._lock:
            self._tokens.clear()

    def service_account(self) -> dict[str, str]:
        assert self.key is not None
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": "pulseboard-demo",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": str(100_000_000_000_000_000_000 + self.hub.athlete.seed),
            "auth_uri": f"{self.hub.base_url}/google/auth",
            "token_uri": self.hub.google_token_url,
            "universe_domain": "googleapis.com",
        }

    def _verify_jwt(self, assertion: str, audience: str | None) -> dict[str, Any]:
        """Checks an RS256 JWT against the service account's public key; raises ValueError."""
        assert self.key is not None
        try:
            head_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(b64decode(head_b64))
            claims = json.loads(b64decode(claims_b64))
            signature = b64decode(signature_b64)
        except (ValueError, TypeError) as exc:
            raise ValueError("Invalid JWT: not a signed JWT") from exc
        if header.get("alg") != "RS256":
            raise ValueError("Invalid JWT: only RS256 is accepted")
        try:
            self.key.public_key().verify(
                signature,
                f"{head_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise ValueError("Invalid JWT Signature.") from None
        if claims.get("iss") != self.client_email:
            raise ValueError("Invalid JWT: unknown issuer")
        if audience is not None and claims.get("aud") not in (audience, GOOGLE_TOKEN_AUDIENCE):
            raise ValueError("Invalid JWT: wrong audience")
        # Signed with the client's wall clock, so checked against it, not the settable clock.
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise ValueError("Invalid JWT: iat and exp are required")
        if exp - iat > 3600 or iat > now + 300 or exp < now - 300:
            raise ValueError(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim."
            )
        return claims

    def token(self, method: str, params: dict[str, str]) -> Reply:
        pause(self.hub.faults.delay("sheets"))
        if method != "POST":
            return Reply(405, {"error": "invalid_request"})
        if params.get("grant_type") != JWT_BEARER:
            return Reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Invalid grant_type: " + params.get("grant_type", ""),
                },
            )
        if self.hub.faults.rejects("sheets"):
            return Reply(
                400,
                {"error": "invalid_grant", "error_description": "Invalid grant: account not found"},
            )
        try:
            claims = self._verify_jwt(params.get("assertion", ""), self.hub.google_token_url)
        except ValueError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes & set(SHEETS_SCOPES):
            return Reply(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "No Sheets or Drive scope was asked for.",
                },
            )
        token = "ya29.standin-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = self.hub.clock() + GOOGLE_ACCESS_S
        return Reply(
            200, {"access_token": token, "expires_in": GOOGLE_ACCESS_S - 1, "token_type": "Bearer"}
        )

    def _ok(self, bearer: str | None) -> bool:
        if bearer is None:
            return False
        with self._lock:
            expires = self._tokens.get(bearer)
        if expires is not None:
            return expires > self.hub.clock()
        if bearer.count(".") == 2:  # a self-signed JWT used directly as the access token
            try:
                self._verify_jwt(bearer, None)
                return True
            except ValueError:
                return False
        return False

    def sheets_call(
        self, method: str, path: str, params: dict[str, str], bearer: str | None
    ) -> Reply:
        pause(self.hub.faults.delay("sheets"))
        failure = self.hub.faults.take_failure("sheets")
        if failure:
            return google_error(failure, "UNAVAILABLE", "The service is currently unavailable.")
        if bearer is None:
            return google_error(
                403, "PERMISSION_DENIED", "The request is missing a valid API key."
            )
        if not self._ok(bearer):
            return google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected "
                "OAuth 2 access token, login cookie or other valid "
                "authentication credential.",
            )
        used = self.usage.add(self.hub.clock())[0]
        if self.hub.faults.take_rate_limited("sheets") or used > SHEETS_PER_MINUTE:
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Read requests' and limit "
                "'Read requests per minute per user' of the Sheets API.",
            )
        if method != "GET":
            return google_error(405, "INVALID_ARGUMENT", "Method not allowed.")
        parts = path.removeprefix("/sheets/v4/").split("/")
        if len(parts) < 2 or parts[0] != "spreadsheets" or parts[1] != self.sheet_id:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        with self.hub.athlete.lock:
            rows = [list(r) for r in self.hub.athlete.sheet_rows]
        if len(parts) == 2:
            return Reply(200, self._metadata(len(rows)))
        if len(parts) == 4 and parts[2] == "values":
            return self._values(unquote(parts[3]), rows, params)
        return google_error(404, "NOT_FOUND", "Requested entity was not found.")

    def _metadata(self, row_count: int) -> dict[str, Any]:
        return {
            "spreadsheetId": self.sheet_id,
            "properties": {
                "title": "Training log",
                "locale": "en_GB",
                "timeZone": "Europe/Paris",
                "autoRecalc": "ON_CHANGE",
            },
            "sheets": [
                {
                    "properties": {
                        "sheetId": 0,
                        "title": self.sheet_title,
                        "index": 0,
                        "sheetType": "GRID",
                        "gridProperties": {"rowCount": max(1000, row_count), "columnCount": 26},
                    }
                }
            ],
            "spreadsheetUrl": f"{self.hub.sheets_url}/spreadsheets/{self.sheet_id}",
        }

    def _values(self, a1_range: str, rows: list[list[str]], params: dict[str, str]) -> Reply:
        grid_rows = max(1000, len(rows))
        try:
            title, col0, row0, col1, row1 = parse_a1(a1_range, self.sheet_title, grid_rows)
        except ValueError:
            return google_error(400, "INVALID_ARGUMENT", f"Unable to parse range: {a1_range}")
        value_option = params.get("valueRenderOption", "FORMATTED_VALUE").upper()
        date_option = params.get("dateTimeRenderOption", "SERIAL_NUMBER").upper()
        if value_option not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA") or (
            date_option not in ("SERIAL_NUMBER", "FORMATTED_STRING")
        ):
            return google_error(
                400, "INVALID_ARGUMENT", "Invalid valueRenderOption or dateTimeRenderOption."
            )
        window = [r[col0 : col1 + 1] for r in rows[row0 - 1 : row1]]
        values: list[list[Any]] = [trim(r) for r in window]
        while values and not values[-1]:
            values.pop()
        if value_option != "FORMATTED_VALUE":
            values = [[unformatted(cell, date_option) for cell in row] for row in values]
        if params.get("majorDimension", "ROWS").upper() == "COLUMNS":
            width = max((len(r) for r in values), default=0)
            columns = [[r[i] if i < len(r) else "" for r in values] for i in range(width)]
            values = [trim(c) for c in columns]
        body: dict[str, Any] = {
            "range": f"{quote_title(title)}!{column_name(col0)}{row0}:{column_name(col1)}{row1}",
            "majorDimension": params.get("majorDimension", "ROWS").upper(),
        }
        if values:
            body["values"] = values  # Google leaves the key out for an empty range
        return Reply(200, body)


@functools.lru_cache(maxsize=1)
def service_account_key() -> rsa.RSAPrivateKey:
    """Made at the first start in a process: a 2048-bit key costs up to a second to generate,
    and a loopback stand-in needs no new key each time it starts."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def google_error(code: int, status: str, message: str) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})

