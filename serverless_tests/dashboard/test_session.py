"""The session request: the visitor's part of a page (who, token, units, zone, data version, the
page's own layout) for a signed-in visitor, where to sign in for anyone else, never cached."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import data
from dashboard.auth import sessions, users
from dashboard.session import FIELDS, placeholders
from dashboard.static_hosting import PLACEHOLDER
from serverless_tests.dashboard.conftest import login


def test_a_signed_in_visitor_gets_their_own_values(server: Any, store: Any) -> None:
    users.set_prefs(store, "viewer", units="imperial", timezone="America/St_Johns", stone=True)
    c = server.test_client()
    assert login(c, name="viewer").status_code == 302
    answer = c.get("/_pulseboard/session?path=/weight")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert set(FIELDS) <= set(body)
    assert (body["user"], body["role"], body["who"]) == ("viewer", "viewer", "viewer · viewer")
    assert (body["units"], body["zone"], body["stone"], body["units_choice"]) == (
        "imperial", "America/St_Johns", True, "stone")
    assert body["data_version"] == data.data_version(store) != ""
    # The token is this session's: it signs the visitor out.
    out = c.post("/logout", data={"csrf_token": body["csrf_token"]})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert c.get("/_pulseboard/session?path=/").status_code == 401


def test_the_answer_carries_the_page_s_own_layout(client: Any) -> None:
    weight = client.get("/_pulseboard/session?path=/weight").get_json()["page"]
    text = json.dumps(weight["layout"])
    assert weight["title"] == "Weight · Pulseboard"
    assert '"weight-graph"' in text and '"overview-content"' not in text
    home = client.get("/_pulseboard/session?path=/").get_json()["page"]
    assert '"overview-content"' in json.dumps(home["layout"])
    missing = client.get("/_pulseboard/session?path=/no-such-page").get_json()["page"]
    assert "404" in json.dumps(missing["layout"])


def test_a_path_from_elsewhere_is_answered_for_the_home_page(client: Any) -> None:
    page = client.get("/_pulseboard/session?path=//evil.example/weight").get_json()["page"]
    assert '"overview-content"' in json.dumps(page["layout"])


@pytest.mark.parametrize("asked,next_url", [
    ("/weight?embed=1", "/weight?embed=1"), ("/running", "/running"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("", "/"),
    ("/a/../../b", "/"),
])
def test_no_session_is_a_401_with_a_safe_login_url(
    server: Any, store: Any, asked: str, next_url: str,
) -> None:
    answer = server.test_client().get("/_pulseboard/session", query_string={"path": asked})
    assert answer.status_code == 401
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["error"] == "unauthorized"
    login_url = urlsplit(body["login"])
    assert login_url.path == "/login" and not login_url.netloc
    assert parse_qs(login_url.query)["next"] == [next_url]
    assert "user" not in body and "csrf_token" not in body


def test_a_session_that_ended_elsewhere_is_a_401(server: Any, store: Any) -> None:
    c = server.test_client()
    assert login(c).status_code == 302
    assert c.get("/_pulseboard/session?path=/").status_code == 200
    users.end_sessions(store, "owner")
    with server.app_context():  # as this process would within SESSION_CHECK_S
        sessions._forget("owner")
    assert c.get("/_pulseboard/session?path=/").status_code == 401


def test_the_served_layout_fills_in_what_the_shell_leaves_as_placeholders(client: Any) -> None:
    anonymous_fields = placeholders()
    assert set(anonymous_fields) == set(FIELDS)
    assert all(v == PLACEHOLDER + k for k, v in anonymous_fields.items())
    signed_in = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert PLACEHOLDER not in signed_in and "owner · owner" in signed_in


def test_the_session_request_warms_the_container_for_the_page(
    client: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small modules nothing else imports stand in for a page's heavy ones.
    monkeypatch.setattr(data, "WARM_MODULES", {"": ("wave",), "/weight": ("colorsys",)})
    for name in ("wave", "colorsys"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert client.get("/_pulseboard/session?path=/weight").status_code == 200
    assert "colorsys" in sys.modules and "wave" not in sys.modules
    assert client.get("/_pulseboard/session?path=/running?embed=1").status_code == 200
    assert "wave" in sys.modules


@pytest.mark.parametrize("page,output", [("/", "overview-content.children"),
                                         ("/quality", "quality-content.children")])
def test_after_the_session_request_the_page_s_first_callback_reads_nothing(
    client: Any, deps: Any, store: Any, monkeypatch: pytest.MonkeyPatch, page: str, output: str,
) -> None:
    from testkit.dashcalls import call

    data.clear_cache()
    body = client.get(f"/_pulseboard/session?path={page}").get_json()
    reads: list[str] = []
    for name in ("query", "latest", "count", "list_docs", "get_doc"):
        if hasattr(store, name):
            real = getattr(store, name)

            def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
                reads.append(_name)
                return _real(*args, **kw)

            monkeypatch.setattr(store, name, counted)
    status, drawn = call(client, deps, output, {"app-data-version.data": body["data_version"]})
    assert status == 200 and drawn[output]
    assert reads == [], f"the first callback after the session still read {reads}"


def test_the_warm_up_is_asked_for_the_page_being_opened(
    client: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    data.clear_cache()
    asked: list[str] = []

    def warm(page_path: str) -> float:
        asked.append(page_path)
        return 0.0

    monkeypatch.setattr(data, "warm", warm)
    assert client.get("/_pulseboard/session?path=/?embed=1").status_code == 200
    assert client.get("/_pulseboard/session?path=/explore").status_code == 200
    assert asked == ["/", "/explore"]


def test_a_failed_warm_up_still_answers(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_page_path: str) -> float:
        raise OSError("the store is not there")

    monkeypatch.setattr(data, "warm", broken)
    answer = client.get("/_pulseboard/session?path=/weight")
    assert answer.status_code == 200 and answer.get_json()["user"] == "owner"
