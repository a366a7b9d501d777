"""The Strava stand-in: OAuth with rotating refresh tokens, paged activities, streams, limits."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from demo.athlete import start_epoch
from demo.standins.http import Reply, pause
from demo.standins.oauth import TokenChain, UsageWindow

if TYPE_CHECKING:
    from demo.standins.server import StandIns

STRAVA_ACCESS_S = 6 * 3600
STRAVA_LIMITS = (200, 2000)  # overall requests per 15 min, per day
STRAVA_READ_LIMITS = (100, 1000)
STRAVA_SCOPE = "read,activity:read_all"  # what the consent page grants unless asked otherwise


class StravaStandIn:
    """Strava's API v3 and OAuth endpoints for one athlete and one registered application."""

    def __init__(self, hub: StandIns, rotate_refresh: bool, refresh_grace: bool) -> None:
        self.hub = hub
        self.client_id = str(80_000 + hub.athlete.seed % 10_000)
        self.client_secret = secrets.token_hex(20)
        # The lambda follows a clock swapped in later (tests move `hub.clock`).
        self.tokens = TokenChain("strava", STRAVA_ACCESS_S, rotate_refresh,
                                 lambda: hub.clock(), refresh_grace)
        self.usage = UsageWindow(900, 86_400)

    def call(
        self, method: str, sub: str, params: dict[str, str], bearer: str | None, kind: str
    ) -> Reply:
        pause(self.hub.faults.delay("strava"))
        if self.hub.faults.inactive():
            return Reply(
                403,
                {
                    "message": "Forbidden: this application is inactive; its owner needs an "
                    "active Strava subscription",
                    "errors": [{"resource": "Application", "field": "status", "code": "inactive"}],
                },
            )
        if kind == "token":
            return self._token(method, params)
        # A load balancer fails before anything is checked; calls without a valid token are
        # refused before they count against the application's limits.
        failure = self.hub.faults.take_failure("strava")
        if failure:
            return Reply(failure, {"message": "Internal Server Error", "errors": []})
        if not self.tokens.check(bearer):
            return Reply(
                401,
                {
                    "message": "Authorization Error",
                    "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
                },
            )
        usage = self.usage.add(self.hub.clock())
        limits = self.hub.faults.limits
        read_limits = self.hub.faults.read_limits
        headers = {
            "X-RateLimit-Limit": f"{limits[0]},{limits[1]}",
            "X-RateLimit-Usage": f"{usage[0]},{usage[1]}",
            "X-ReadRateLimit-Limit": f"{read_limits[0]},{read_limits[1]}",
            "X-ReadRateLimit-Usage": f"{usage[0]},{usage[1]}",
        }
        # Every call here is a read, so it counts against both the overall and read limits;
        # refused calls count too (Strava: they still count toward the daily limit).
        over = any(u > lim for u, lim in zip(usage, limits, strict=True)) or any(
            u > lim for u, lim in zip(usage, read_limits, strict=True)
        )
        if self.hub.faults.take_rate_limited("strava") or over:
            return Reply(
                429,
                {
                    "message": "Rate Limit Exceeded",
                    "errors": [
                        {"resource": "Application", "field": "rate limit", "code": "exceeded"}
                    ],
                },
                headers,
            )
        if method != "GET":
            return Reply(405, {"message": "Method Not Allowed", "errors": []}, headers)
        reply = self._get(sub, params)
        reply.headers.update(headers)
        return reply

    def _token(self, method: str, params: dict[str, str]) -> Reply:
        if method != "POST":
            return Reply(405, {"message": "Method Not Allowed", "errors": []})
        if params.get("client_id") != self.client_id or not secrets.compare_digest(
            params.get("client_secret", ""), self.client_secret
        ):
            return Reply(
                401,
                {
                    "message": "Bad Request",
                    "errors": [
                        {"resource": "Application", "field": "client_id", "code": "invalid"}
                    ],
                },
            )
        grant = params.get("grant_type")
        issued = None
        if grant == "refresh_token" and not self.hub.faults.rejects("strava"):
            issued = self.tokens.grant_refresh(params.get("refresh_token", ""))
            field_name = "refresh_token"
        elif grant == "authorization_code" and not self.hub.faults.rejects("strava"):
            issued = self.tokens.grant_code(params.get("code", ""))
            field_name = "code"
        else:
            field_name = "refresh_token" if grant == "refresh_token" else "grant_type"
        if issued is None:
            resource = "RefreshToken" if field_name == "refresh_token" else "AuthorizationCode"
            return Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [{"resource": resource, "field": field_name, "code": "invalid"}],
                },
            )
        access, refresh, expires_at = issued
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, int(expires_at - self.hub.clock())),
            "refresh_token": refresh,
        }
        if grant == "authorization_code":
            body["athlete"] = self.profile()
        return Reply(200, body)

    def profile(self) -> dict[str, Any]:
        return {
            "id": 41_230_977,
            "resource_state": 2,
            "username": "demo_runner",
            "firstname": "Demo",
            "lastname": "Runner",
            "city": "Lyon",
            "country": "France",
            "sex": "F",
            "premium": True,
            "summit": True,
        }

    def _get(self, sub: str, params: dict[str, str]) -> Reply:
        segments = sub.strip("/").split("/")
        if segments[:2] != ["api", "v3"]:
            return not_found("Path")
        segments = segments[2:]
        if segments == ["athlete"]:
            return Reply(200, self.profile())
        if segments == ["athlete", "activities"]:
            return self._list(params)
        if len(segments) in (2, 3) and segments[0] == "activities":
            try:
                activity_id = int(segments[1])
            except ValueError:
                return not_found("Activity")
            if len(segments) == 2:
                return self._activity(activity_id)
            if segments[2] == "streams":
                return self._streams(activity_id, params)
        return not_found("Path")

    def _list(self, params: dict[str, str]) -> Reply:
        try:
            page = int(params.get("page") or 1)
            per_page = min(200, int(params.get("per_page") or 30))
            before = int(params["before"]) if params.get("before") else None
            after = int(params["after"]) if params.get("after") else None
        except ValueError:
            return Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [{"resource": "Application", "field": "page", "code": "invalid"}],
                },
            )
        if page < 1 or per_page < 1:
            return Reply(200, [])
        with self.hub.athlete.lock:
            chosen = [
                dict(a)
                for a in self.hub.athlete.activities
                if (after is None or start_epoch(a) > after)
                and (before is None or start_epoch(a) < before)
            ]
        chosen.sort(key=start_epoch, reverse=True)
        return Reply(200, chosen[(page - 1) * per_page : page * per_page])

    def _activity(self, activity_id: int) -> Reply:
        try:
            summary = dict(self.hub.athlete.activity(activity_id))
        except KeyError:
            return not_found("Activity")
        summary["resource_state"] = 3
        summary["description"] = None
        summary["calories"] = round((summary.get("distance") or 0) / 1000 * 68, 1)
        if summary.get("map"):
            summary["map"] = {**summary["map"], "polyline": summary["map"]["summary_polyline"]}
        return Reply(200, summary)

    def _streams(self, activity_id: int, params: dict[str, str]) -> Reply:
        try:
            self.hub.athlete.activity(activity_id)
        except KeyError:
            return not_found("Activity")
        keys = [k for k in params.get("keys", "").split(",") if k]
        if not keys:
            return Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [{"resource": "Stream", "field": "keys", "code": "missing"}],
                },
            )
        data = self.hub.athlete.streams.get(activity_id, {})  # manual activities have none
        if data.get("distance") and self.hub.faults.streams_bad(activity_id):
            data = {**data, "distance": data["distance"][:-1]}
        # Strava sends distance along with whatever was asked for.
        wanted = [k for k in dict.fromkeys([*keys, "distance"]) if k in data]
        series = {
            k: {
                "data": data[k],
                "series_type": "distance",
                "original_size": len(data[k]),
                "resolution": "high",
            }
            for k in wanted
        }
        if params.get("key_by_type", "").lower() == "true":
            return Reply(200, series)
        return Reply(200, [{"type": k, **v} for k, v in series.items()])

    # -- Withings -------------------------------------------------------------------------------


def not_found(resource: str) -> Reply:
    return Reply(
        404,
        {
            "message": "Record Not Found",
            "errors": [{"resource": resource, "field": "path", "code": "invalid"}],
        },
    )

