"""The stand-ins over real HTTP: paths, paging, tokens, rate limits and faults as documented."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import settings
from demo.athlete import SHEET_HEADER, Athlete, start_epoch
from demo.standins import StandIns

from .conftest import strava_token, withings_token

ROOT = Path(__file__).resolve().parents[2]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- settings -----------------------------------------------------------------------------------


def test_env_gives_every_collector_setting(standins: StandIns, tmp_path: Path) -> None:
    env = standins.env()
    loaded = settings.load({**env, "PULSEBOARD_DATA_DIR": str(tmp_path / "var")})
    assert loaded.strava_url == standins.strava_url
    assert loaded.strava_url.replace("/api/v3", "/oauth/token") == standins.strava_token_url
    assert loaded.withings_url == standins.withings_url
    assert f"{loaded.sheets_url}/v4" == standins.sheets_url
    assert loaded.strava_refresh_token == standins.strava_refresh_token
    assert loaded.withings_client_secret == standins.withings_client_secret
    assert loaded.sheets_id == standins.sheets_id and loaded.sheets_range == standins.sheets_range
    key = json.loads(Path(loaded.google_credentials or "").read_text())
    assert key["token_uri"] == standins.google_token_url
    assert key["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert all(name.startswith("PULSEBOARD_") and value for name, value in env.items())


def test_stop_removes_the_key_file_and_closes_the_port(athlete: Athlete) -> None:
    with StandIns(athlete) as running:
        key_file = running.google_credentials_path
        url = running.strava_url
        assert key_file is not None and key_file.exists()
    assert not key_file.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/athlete", timeout=2)


# -- Strava -------------------------------------------------------------------------------------


def test_strava_pages_of_200_newest_first(standins: StandIns, http: requests.Session) -> None:
    token = strava_token(standins, http)["access_token"]
    seen: list[dict] = []
    page = 1
    while True:
        answer = http.get(
            f"{standins.strava_url}/athlete/activities",
            params={"page": page, "per_page": 500},  # more than the maximum: 200 come back
            headers=bearer(token),
            timeout=5,
        )
        assert answer.status_code == 200
        batch = answer.json()
        if not batch:
            break
        assert len(batch) <= 200
        seen += batch
        page += 1
    expected = standins.athlete.activities
    assert page - 1 == math.ceil(len(expected) / 200)
    assert [a["id"] for a in seen] == [a["id"] for a in expected]
    starts = [start_epoch(a) for a in seen]
    assert starts == sorted(starts, reverse=True)
    assert standins.requests("strava", "data") == page


def test_strava_after_and_before_filter_by_start(standins: StandIns, http) -> None:
    token = strava_token(standins, http)["access_token"]
    starts = sorted(start_epoch(a) for a in standins.athlete.activities)
    after, before = starts[len(starts) // 2], starts[-5]
    answer = http.get(
        f"{standins.strava_url}/athlete/activities",
        params={"after": after, "before": before, "per_page": 200},
        headers=bearer(token),
        timeout=5,
    ).json()
    assert answer and all(after < start_epoch(a) < before for a in answer)
    assert len(answer) == sum(1 for s in starts if after < s < before)


def test_strava_streams_keyed_or_listed(standins: StandIns, http: requests.Session) -> None:
    token = strava_token(standins, http)["access_token"]
    run = next(
        r
        for r in standins.athlete.runs()
        if "heartrate" in standins.athlete.streams.get(r["id"], {})
        and "latlng" in standins.athlete.streams[r["id"]]
    )
    url = f"{standins.strava_url}/activities/{run['id']}/streams"
    keys = "time,latlng,altitude,velocity_smooth,heartrate"
    keyed = http.get(url, params={"keys": keys, "key_by_type": "true"}, headers=bearer(token))
    body = keyed.json()
    assert set(body) == {*keys.split(","), "distance"}
    assert body["latlng"]["data"] == standins.athlete.streams[run["id"]]["latlng"]
    assert body["time"]["original_size"] == len(body["time"]["data"])
    listed = http.get(url, params={"keys": keys}, headers=bearer(token)).json()
    assert isinstance(listed, list)
    assert {s["type"] for s in listed} == set(body)
    no_hr = next(
        r
        for r in standins.athlete.runs()
        if r["id"] in standins.athlete.streams and not r.get("average_heartrate")
    )
    streams = http.get(
        f"{standins.strava_url}/activities/{no_hr['id']}/streams",
        params={"keys": keys, "key_by_type": "true"},
        headers=bearer(token),
    ).json()
    assert "heartrate" not in streams and "time" in streams
    detail = http.get(f"{standins.strava_url}/activities/{run['id']}", headers=bearer(token))
    assert detail.json()["id"] == run["id"] and detail.json()["resource_state"] == 3
    missing = http.get(
        f"{standins.strava_url}/activities/1/streams?keys=time", headers=bearer(token)
    )
    assert missing.status_code == 404 and missing.json()["message"] == "Record Not Found"


def test_strava_requires_a_bearer_token(standins: StandIns, http: requests.Session) -> None:
    url = f"{standins.strava_url}/athlete/activities"
    for headers in ({}, bearer("nonsense")):
        answer = http.get(url, headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.json()["message"] == "Authorization Error"
        assert answer.json()["errors"][0]["field"] == "access_token"
    token = strava_token(standins, http)["access_token"]
    # tokens in the query string are no longer accepted (header only, as Strava announced)
    assert http.get(url, params={"access_token": token}).status_code == 401


def test_strava_rotation_kills_old_refresh_and_then_old_access(
    standins: StandIns, http: requests.Session
) -> None:
    url = f"{standins.strava_url}/athlete/activities"
    first = strava_token(standins, http)
    assert first["status"] == 200
    assert first["token_type"] == "Bearer" and first["expires_in"] == pytest.approx(21_600, abs=2)
    assert first["expires_at"] == pytest.approx(standins.clock() + 21_600, abs=2)
    assert first["refresh_token"] != standins.strava_refresh_token
    stale = strava_token(standins, http, refresh=standins.strava_refresh_token)
    assert stale["status"] == 400
    assert stale["errors"] == [
        {"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}
    ]
    second = strava_token(standins, http, refresh=first["refresh_token"])
    assert second["status"] == 200
    # the older access token works until the newer one is used
    assert http.get(url, headers=bearer(first["access_token"])).status_code == 200
    assert http.get(url, headers=bearer(second["access_token"])).status_code == 200
    assert http.get(url, headers=bearer(first["access_token"])).status_code == 401


def test_strava_access_tokens_expire_after_six_hours(standins: StandIns, http) -> None:
    now = [1_800_000_000.0]
    standins.clock = lambda: now[0]
    token = strava_token(standins, http)["access_token"]
    url = f"{standins.strava_url}/athlete/activities"
    now[0] += 6 * 3600 - 60
    assert http.get(url, headers=bearer(token)).status_code == 200
    now[0] += 120
    assert http.get(url, headers=bearer(token)).status_code == 401


def test_strava_without_rotation_keeps_the_refresh_token(athlete: Athlete, http) -> None:
    with StandIns(athlete, rotate_refresh=False) as standins:
        first = strava_token(standins, http)
        again = strava_token(standins, http, refresh=standins.strava_refresh_token)
        assert first["refresh_token"] == again["refresh_token"] == standins.strava_refresh_token
        # more than an hour left: Strava hands back the same access token
        assert again["access_token"] == first["access_token"]


def test_strava_rate_limit_headers_and_429(standins: StandIns, http: requests.Session) -> None:
    now = [1_800_000_000.0 - 1_800_000_000 % 900 + 10]  # just after a 15-minute boundary
    standins.clock = lambda: now[0]
    token = strava_token(standins, http)["access_token"]
    url = f"{standins.strava_url}/athlete"
    standins.faults.set_read_limits(3, 5)
    usages = []
    for _ in range(3):
        answer = http.get(url, headers=bearer(token))
        assert answer.status_code == 200
        assert answer.headers["X-ReadRateLimit-Limit"] == "3,5"
        assert answer.headers["X-RateLimit-Limit"] == "200,2000"
        usages.append(answer.headers["X-ReadRateLimit-Usage"])
    assert usages == ["1,1", "2,2", "3,3"]
    over = http.get(url, headers=bearer(token))
    assert over.status_code == 429 and over.json()["message"] == "Rate Limit Exceeded"
    assert over.headers["X-RateLimit-Usage"] == "4,4"
    now[0] += 900  # the next 15-minute window: the daily count carries on
    assert http.get(url, headers=bearer(token)).headers["X-ReadRateLimit-Usage"] == "1,5"
    assert http.get(url, headers=bearer(token)).status_code == 429  # 6 > 5 a day
    now[0] += 86_400  # a new day (with a new token: the old one has expired)
    token = strava_token(standins, http)["access_token"]
    assert http.get(url, headers=bearer(token)).status_code == 200


def test_strava_429_after_n_calls_and_inactive_app(standins: StandIns, http) -> None:
    token = strava_token(standins, http)["access_token"]
    url = f"{standins.strava_url}/athlete/activities"
    standins.faults.rate_limit_after("strava", 2)
    codes = [http.get(url, headers=bearer(token)).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    standins.faults.clear()
    assert http.get(url, headers=bearer(token)).status_code == 200
    standins.faults.inactive_app()
    answer = http.get(url, headers=bearer(token))
    assert answer.status_code == 403 and "inactive" in answer.json()["message"]
    assert strava_token(standins, http)["status"] == 403


def test_bad_streams_are_one_distance_sample_short_until_fixed(standins: StandIns, http) -> None:
    token = strava_token(standins, http)["access_token"]
    run = next(r for r in standins.athlete.runs() if r["id"] in standins.athlete.streams)
    url = f"{standins.strava_url}/activities/{run['id']}/streams"
    params = {"keys": "time,distance", "key_by_type": "true"}

    def sizes() -> tuple[int, int]:
        body = http.get(url, params=params, headers=bearer(token)).json()
        return len(body["time"]["data"]), len(body["distance"]["data"])

    n = len(standins.athlete.streams[run["id"]]["time"])
    assert sizes() == (n, n)
    standins.faults.bad_streams(run["id"])
    assert sizes() == (n, n - 1)
    standins.faults.bad_streams(run["id"], bad=False)
    assert sizes() == (n, n)
    standins.faults.bad_streams(run["id"])
    standins.faults.clear()
    assert sizes() == (n, n)


def test_answers_do_not_wait_for_delayed_acks(standins: StandIns) -> None:
    # Headers and body are two writes: with Nagle's algorithm the body waits ~40 ms for the
    # client's delayed ACK on a kept-alive connection (bench/collectors.py shows the time).
    server = standins._server
    assert server is not None and server.RequestHandlerClass.disable_nagle_algorithm


def test_faults_5xx_truncation_rejection_and_slowness(standins: StandIns, http) -> None:
    token = strava_token(standins, http)["access_token"]
    url = f"{standins.strava_url}/athlete/activities"
    standins.faults.fail_5xx("strava", times=2)
    assert [http.get(url, headers=bearer(token)).status_code for _ in range(3)] == [503, 503, 200]

    standins.faults.fail_5xx("strava", probability=0.5, seed=4)
    pattern = [http.get(url, headers=bearer(token)).status_code for _ in range(12)]
    standins.faults.fail_5xx("strava", probability=0.5, seed=4)
    assert [http.get(url, headers=bearer(token)).status_code for _ in range(12)] == pattern
    assert {200, 503} == set(pattern)
    standins.faults.clear()

    standins.faults.truncate_json("strava", times=1)
    cut = http.get(url, headers=bearer(token))
    with pytest.raises(ValueError):
        cut.json()
    assert http.get(url, headers=bearer(token)).json()

    standins.faults.reject_tokens("strava")
    assert strava_token(standins, http)["status"] == 400
    standins.faults.clear()
    assert strava_token(standins, http)["status"] == 200

    standins.faults.slow("withings", 0.5)
    with pytest.raises(requests.Timeout):
        http.post(f"{standins.withings_url}/measure", timeout=0.1)
    with pytest.raises(ValueError):
        standins.faults.slow("garmin", 1)


def test_strava_authorization_code_flow(standins: StandIns, http: requests.Session) -> None:
    redirect = "http://127.0.0.1:9/callback"
    answer = http.get(
        standins.strava_authorize_url,
        params={
            "client_id": standins.strava_client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "activity:read_all",
            "state": "xyz",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(redirect + "?") and "state=xyz" in location
    code = requests.utils.urlparse(location).query.split("code=")[1].split("&")[0]
    granted = http.post(
        standins.strava_token_url,
        data={
            "client_id": standins.strava_client_id,
            "client_secret": standins.strava_client_secret,
            "grant_type": "authorization_code",
            "code": code,
        },
    )
    assert granted.status_code == 200 and granted.json()["athlete"]["id"]
    assert granted.json()["refresh_token"] == standins.current_refresh_token("strava")


# -- Withings -----------------------------------------------------------------------------------


def getmeas(standins: StandIns, http: requests.Session, token: str, **params) -> dict:
    answer = http.post(
        f"{standins.withings_url}/measure",
        data={"action": "getmeas", **params},
        headers=bearer(token),
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()


def test_withings_paging_with_more_and_offset(athlete: Athlete, http) -> None:
    with StandIns(athlete, withings_page_size=50) as standins:
        token = withings_token(standins, http)["body"]["access_token"]
        groups, offset, calls = [], 0, 0
        while True:
            body = getmeas(
                standins,
                http,
                token,
                meastypes="1,5,6,8,76,77,88",
                category=1,
                lastupdate=0,
                offset=offset,
            )
            assert body["status"] == 0
            calls += 1
            groups += body["body"]["measuregrps"]
            if not body["body"]["more"]:
                break
            offset = body["body"]["offset"]
        expected = [g for g in athlete.measure_groups if g["category"] == 1]
        assert calls == math.ceil(len(expected) / 50)
        assert sorted(g["grpid"] for g in groups) == sorted(g["grpid"] for g in expected)
        assert all(g["category"] == 1 for g in groups)


def test_withings_lastupdate_and_meastypes(standins: StandIns, http) -> None:
    token = withings_token(standins, http)["body"]["access_token"]
    groups = standins.athlete.measure_groups
    cut = sorted(g["modified"] for g in groups)[-10]
    body = getmeas(standins, http, token, meastypes="1", category=1, lastupdate=cut)["body"]
    expected = {g["grpid"] for g in groups if g["modified"] > cut and g["category"] == 1}
    assert {g["grpid"] for g in body["measuregrps"]} == expected
    assert all(m["type"] == 1 for g in body["measuregrps"] for m in g["measures"])
    added = standins.athlete.add_weighin(80.1, modified=cut + 10_000_000)
    body = getmeas(standins, http, token, category=1, lastupdate=cut + 9_999_999)["body"]
    assert [g["grpid"] for g in body["measuregrps"]] == [added["grpid"]]
    assert body["more"] == 0
    dates = sorted(g["date"] for g in groups)
    window = getmeas(standins, http, token, category=1, startdate=dates[5], enddate=dates[9])
    assert len(window["body"]["measuregrps"]) == 5


def test_withings_errors_are_http_200_with_a_status(standins: StandIns, http) -> None:
    bad = getmeas(standins, http, "not-a-token", meastypes="1", category=1)
    assert bad["status"] == 401 and "invalid" in bad["error"]
    token = withings_token(standins, http)["body"]["access_token"]
    assert getmeas(standins, http, token, meastypes="x")["status"] == 503
    standins.faults.rate_limit_after("withings", 1)
    assert getmeas(standins, http, token, category=1)["status"] == 0
    assert getmeas(standins, http, token, category=1)["status"] == 601
    standins.faults.clear()
    standins.faults.reject_tokens("withings")
    assert withings_token(standins, http)["status"] == 503


def test_withings_rotation(standins: StandIns, http: requests.Session) -> None:
    first = withings_token(standins, http)
    assert first["status"] == 0
    assert first["body"]["expires_in"] == pytest.approx(10_800, abs=2)
    assert set(first["body"]) >= {"userid", "access_token", "refresh_token", "scope", "token_type"}
    assert first["body"]["refresh_token"] != standins.withings_refresh_token
    stale = withings_token(standins, http, refresh=standins.withings_refresh_token)
    assert stale["status"] == 503 and "refresh_token" in stale["error"]
    second = withings_token(standins, http, refresh=first["body"]["refresh_token"])
    assert getmeas(standins, http, second["body"]["access_token"], category=1)["status"] == 0
    assert getmeas(standins, http, first["body"]["access_token"], category=1)["status"] == 401


# -- Google Sheets ------------------------------------------------------------------------------


def google_grant(standins: StandIns, key_file: Path | None = None) -> requests.Response:
    """The service-account JWT grant as google-auth makes it, posted to the key's token_uri.

    (google-auth's Credentials would also start a lookup on Google's IAM host after a refresh,
    which must not leave the machine, so the grant is made here with its signing helpers.)"""
    from google.auth import crypt, jwt

    path = str(key_file or standins.google_credentials_path)
    key = json.loads(Path(path).read_text())
    now = int(time.time())
    assertion = jwt.encode(
        crypt.RSASigner.from_service_account_file(path),
        {
            "iss": key["client_email"],
            "aud": key["token_uri"],
            "scope": "https://www.googleapis.com/auth/spreadsheets.readonly",
            "iat": now,
            "exp": now + 3600,
        },
    )
    return requests.post(
        key["token_uri"],
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=5,
    )


def sheets_session(standins: StandIns) -> requests.Session:
    granted = google_grant(standins)
    assert granted.status_code == 200, granted.text
    assert granted.json()["token_type"] == "Bearer" and granted.json()["expires_in"] > 3000
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {granted.json()['access_token']}"
    return session


def values_url(standins: StandIns, a1: str | None = None, sheet_id: str | None = None) -> str:
    return (
        f"{standins.sheets_url}/spreadsheets/{sheet_id or standins.sheets_id}"
        f"/values/{a1 or standins.sheets_range}"
    )


def test_sheets_values_through_a_service_account(standins: StandIns) -> None:
    session = sheets_session(standins)
    answer = session.get(values_url(standins))
    assert answer.status_code == 200
    body = answer.json()
    assert body["majorDimension"] == "ROWS" and body["range"].startswith("Log!A1:E")
    assert body["values"][0] == SHEET_HEADER
    rows = standins.athlete.sheet_rows
    last = max(i for i, row in enumerate(rows) if any(row))
    assert len(body["values"]) == last + 1
    assert standins.requests("sheets", "token") == 1
    metadata = session.get(f"{standins.sheets_url}/spreadsheets/{standins.sheets_id}").json()
    assert metadata["sheets"][0]["properties"]["title"] == "Log"


def test_sheets_trims_trailing_cells_and_rows(standins: StandIns) -> None:
    standins.athlete.set_sheet_rows(
        [
            SHEET_HEADER,
            ["2026-11-02", "Pull-up", "1", "8", ""],
            ["", "", "", "", ""],
            ["2026-11-02", "Deadlift", "1", "5", "120", "felt easy"],
            ["", "", ""],
            [],
        ]
    )
    session = sheets_session(standins)
    body = session.get(values_url(standins, "Log!A1:E")).json()
    assert body["values"] == [
        SHEET_HEADER,
        ["2026-11-02", "Pull-up", "1", "8"],
        [],
        ["2026-11-02", "Deadlift", "1", "5", "120"],
    ]
    part = session.get(values_url(standins, "Log!B2:C3")).json()
    assert part["values"] == [["Pull-up", "1"]] and part["range"] == "Log!B2:C3"
    columns = session.get(values_url(standins, "Log!A1:B2"), params={"majorDimension": "COLUMNS"})
    assert columns.json()["values"] == [["date", "2026-11-02"], ["exercise", "Pull-up"]]
    empty = session.get(values_url(standins, "Log!A50:E60")).json()
    assert "values" not in empty
    assert session.get(values_url(standins, "Other!A1:E")).status_code == 400


def test_sheets_rejects_a_jwt_signed_with_another_key(standins: StandIns, tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = json.loads(Path(str(standins.google_credentials_path)).read_text())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key["private_key"] = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(key))
    forged_grant = google_grant(standins, forged)
    assert forged_grant.status_code == 400
    assert forged_grant.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid JWT Signature.",
    }
    assert standins.requests("sheets", "data") == 0
    plain = requests.post(
        standins.google_token_url,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b.c"},
    )
    assert plain.status_code == 400 and plain.json()["error"] == "invalid_grant"


def test_sheets_auth_errors_unknown_sheet_and_quota(standins: StandIns) -> None:
    no_token = requests.get(values_url(standins), timeout=5)
    assert no_token.status_code == 403
    assert no_token.json()["error"]["status"] == "PERMISSION_DENIED"
    wrong = requests.get(values_url(standins), headers=bearer("ya29.nope"), timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 401
    session = sheets_session(standins)
    unknown = session.get(values_url(standins, sheet_id="1NoSuchSheet"))
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    standins.faults.rate_limit_after("sheets", 1)
    assert session.get(values_url(standins)).status_code == 200
    quota = session.get(values_url(standins))
    assert quota.status_code == 429 and quota.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    standins.faults.clear()
    assert session.get(values_url(standins)).status_code == 200


def test_log_records_every_request(standins: StandIns, http: requests.Session) -> None:
    strava_token(standins, http)
    http.get(f"{standins.strava_url}/athlete/activities", params={"per_page": 5})
    assert [(r.source, r.kind, r.status) for r in standins.log] == [
        ("strava", "token", 200),
        ("strava", "data", 401),
    ]
    assert standins.log[1].query == {"per_page": "5"}
    assert standins.log[1].path == "/strava/api/v3/athlete/activities"
    assert standins.requests("strava") == 2 and standins.requests("withings") == 0


# -- command line -------------------------------------------------------------------------------


def test_cli_prints_export_lines() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "demo", "standins", "--years", "0.1", "--seed", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if line.startswith("# Ctrl-C"):
                break
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert {
            "PULSEBOARD_STRAVA_URL",
            "PULSEBOARD_SHEETS_ID",
            "PULSEBOARD_GOOGLE_CREDENTIALS",
        } <= set(exports)
        answer = requests.get(f"{exports['PULSEBOARD_STRAVA_URL']}/athlete", timeout=5)
        assert answer.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_sheets_tokens_last_an_hour_of_the_clock(standins: StandIns) -> None:
    now = [1_800_000_000.0]
    standins.clock = lambda: now[0]
    session = sheets_session(standins)
    assert session.get(values_url(standins)).status_code == 200
    now[0] += 3_601
    assert session.get(values_url(standins)).status_code == 401


def test_faults_reach_withings_and_sheets(standins: StandIns, http: requests.Session) -> None:
    token = withings_token(standins, http)["body"]["access_token"]
    standins.faults.fail_5xx("withings", times=1, status=502)
    failed = http.post(
        f"{standins.withings_url}/measure", data={"action": "getmeas"}, headers=bearer(token)
    )
    assert failed.status_code == 502 and failed.headers["Content-Type"] == "text/html"
    standins.faults.truncate_json("withings")
    with pytest.raises(ValueError):
        http.post(
            f"{standins.withings_url}/measure", data={"action": "getmeas"}, headers=bearer(token)
        ).json()
    assert getmeas(standins, http, token, category=1)["status"] == 0
    standins.faults.fail_5xx("withings", times=1, status=2555)
    assert getmeas(standins, http, token, category=1)["status"] == 2555
    assert getmeas(standins, http, token, category=1)["status"] == 0

    session = sheets_session(standins)
    standins.faults.fail_5xx("sheets", times=1)
    unavailable = session.get(values_url(standins))
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["status"] == "UNAVAILABLE"
    standins.faults.reject_tokens("sheets")
    assert google_grant(standins).json()["error"] == "invalid_grant"
    assert session.get(values_url(standins)).status_code == 200


def test_strava_calls_without_a_token_do_not_count(standins: StandIns, http) -> None:
    url = f"{standins.strava_url}/athlete"
    for _ in range(3):
        assert http.get(url).status_code == 401
    token = strava_token(standins, http)["access_token"]
    assert http.get(url, headers=bearer(token)).headers["X-RateLimit-Usage"] == "1,1"


def test_sheets_unformatted_values_are_numbers_and_serial_dates(standins: StandIns) -> None:
    standins.athlete.set_sheet_rows(
        [
            SHEET_HEADER,
            ["2024-03-04", "Back Squat", "1", "5", "82.5"],
            ["31/02/2024", "Deadlift", "1", "-5", "8O"],
        ]
    )
    session = sheets_session(standins)
    params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
    values = session.get(values_url(standins), params=params).json()["values"]
    assert values[0] == SHEET_HEADER
    assert values[1] == [45355, "Back Squat", 1, 5, 82.5]  # 2024-03-04 is day 45355 of Sheets
    assert values[2] == ["31/02/2024", "Deadlift", 1, -5, "8O"]
    params["dateTimeRenderOption"] = "FORMATTED_STRING"
    assert session.get(values_url(standins), params=params).json()["values"][1][0] == "2024-03-04"
    formatted = session.get(values_url(standins)).json()["values"]
    assert formatted[1] == ["2024-03-04", "Back Squat", "1", "5", "82.5"]
    assert session.get(values_url(standins), params={"valueRenderOption": "RAW"}).status_code == 400


def test_refresh_grace_keeps_the_old_refresh_token_until_the_new_access_is_used(
    athlete: Athlete, http: requests.Session
) -> None:
    with StandIns(athlete, refresh_grace=True) as standins:
        url = f"{standins.strava_url}/athlete/activities"
        first = strava_token(standins, http)
        # the answer was lost (a process killed before saving it): the old token still works
        again = strava_token(standins, http, refresh=standins.strava_refresh_token)
        assert again["status"] == 200 and again["refresh_token"] != first["refresh_token"]
        assert http.get(url, headers=bearer(again["access_token"])).status_code == 200
        # once the new access token is used, the old refresh token is dead
        dead = strava_token(standins, http, refresh=standins.strava_refresh_token)
        assert dead["status"] == 400
