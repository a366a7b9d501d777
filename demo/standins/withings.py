"""The Withings stand-in: OAuth 2 with errors in the body of an HTTP 200, paged measure groups."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from demo.standins.http import Reply, pause
from demo.standins.oauth import TokenChain, UsageWindow

if TYPE_CHECKING:
    from demo.standins.server import StandIns

WITHINGS_ACCESS_S = 3 * 3600
WITHINGS_PER_MINUTE = 120


class WithingsStandIn:
    """Withings' measure and OAuth 2 services for one user of one registered application."""

    def __init__(
        self, hub: StandIns, rotate_refresh: bool, refresh_grace: bool, page_size: int
    ) -> None:
        self.hub = hub
        self.page_size = page_size
        self.client_id = secrets.token_hex(32)
        self.client_secret = secrets.token_hex(32)
        self.userid = 37_000_000 + hub.athlete.seed
        # The lambda follows a clock swapped in later (tests move `hub.clock`).
        self.tokens = TokenChain("withings", WITHINGS_ACCESS_S, rotate_refresh,
                                 lambda: hub.clock(), refresh_grace)
        self.usage = UsageWindow(60)

    def call(
        self, sub: str, params: dict[str, str], bearer: str | None, kind: str
    ) -> Reply:
        pause(self.hub.faults.delay("withings"))
        if kind == "token":
            return self._token(params)
        if sub != "/measure":
            return Reply(404, {"status": 2555, "body": {}, "error": f"Unknown service {sub}"})
        failure = self.hub.faults.take_failure("withings")
        if failure and not 500 <= failure < 600:
            # Withings' own error codes (e.g. 2555, unknown error) come in the body of a 200.
            return Reply(
                200, {"status": failure, "body": {}, "error": "An unknown error occurred"}
            )
        if failure:
            return Reply(
                failure,
                raw=b"<html><body>Service unavailable</body></html>",
                headers={"Content-Type": "text/html"},
            )
        if not self.tokens.check(bearer or params.get("access_token")):
            return Reply(
                200,
                {
                    "status": 401,
                    "body": {},
                    "error": "XRequestID: Not provided invalid_token: The access token "
                    "provided is invalid",
                },
            )
        used = self.usage.add(self.hub.clock())[0]
        if self.hub.faults.take_rate_limited("withings") or used > WITHINGS_PER_MINUTE:
            return Reply(200, {"status": 601, "body": {}, "error": "Too Many Requests"})
        if params.get("action") != "getmeas":
            return invalid("action")
        return self._getmeas(params)

    def _token(self, params: dict[str, str]) -> Reply:
        if params.get("action") != "requesttoken":
            return invalid("action")
        if params.get("client_id") != self.client_id or not secrets.compare_digest(
            params.get("client_secret", ""), self.client_secret
        ):
            return invalid("client_id")
        grant = params.get("grant_type")
        issued = None
        if self.hub.faults.rejects("withings"):
            issued = None
        elif grant == "refresh_token":
            issued = self.tokens.grant_refresh(params.get("refresh_token", ""))
        elif grant == "authorization_code":
            issued = self.tokens.grant_code(params.get("code", ""))
        if issued is None:
            name = "code" if grant == "authorization_code" else "refresh_token"
            return invalid(name)
        access, refresh, expires_at = issued
        return Reply(
            200,
            {
                "status": 0,
                "body": {
                    "userid": str(self.userid),
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in": max(0, int(expires_at - self.hub.clock())),
                    "scope": "user.metrics,user.info",
                    "csrf_token": secrets.token_hex(8),
                    "token_type": "Bearer",
                },
            },
        )

    def _getmeas(self, params: dict[str, str]) -> Reply:
        try:
            types = {
                int(t)
                for t in (params.get("meastypes") or params.get("meastype") or "").split(",")
                if t
            }
            category = int(params.get("category") or 1)
            start = int(params["startdate"]) if params.get("startdate") else None
            end = int(params["enddate"]) if params.get("enddate") else None
            lastupdate = int(params["lastupdate"]) if params.get("lastupdate") else None
            offset = int(params.get("offset") or 0)
        except ValueError:
            return invalid("meastypes, dates or offset")
        picked = []
        with self.hub.athlete.lock:
            for group in self.hub.athlete.measure_groups:
                if group["category"] != category:
                    continue
                if lastupdate is not None and group["modified"] <= lastupdate:
                    continue
                if start is not None and group["date"] < start:
                    continue
                if end is not None and group["date"] > end:
                    continue
                measures = [dict(m) for m in group["measures"] if not types or m["type"] in types]
                if measures:
                    picked.append({**group, "measures": measures})
        page = picked[offset : offset + self.page_size]
        more = offset + len(page) < len(picked)
        return Reply(
            200,
            {
                "status": 0,
                "body": {
                    "updatetime": int(self.hub.clock()),
                    "timezone": "Europe/Paris",
                    "measuregrps": page,
                    "more": 1 if more else 0,
                    "offset": offset + len(page) if more else 0,
                },
            },
        )

    # -- Google ---------------------------------------------------------------------------------


def invalid(name: str) -> Reply:
    return Reply(200, {"status": 503, "body": {}, "error": f"Invalid Params: invalid {name}"})

