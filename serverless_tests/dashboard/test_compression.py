"""Gzip on the dashboard's answers: only when asked for, only where it pays, never twice."""

from __future__ import annotations

import gzip
import json

import flask
import pytest

from dashboard import compression


@pytest.fixture
def small() -> flask.testing.FlaskClient:
    app = flask.Flask("compression-test")
    big = {"data": [{"x": list(range(2000)), "y": [0.5] * 2000}]}

    @app.get("/big.json")
    def big_json() -> flask.Response:
        return flask.jsonify(big)

    @app.get("/small.json")
    def small_json() -> flask.Response:
        return flask.jsonify(ok=True)

    @app.get("/image")
    def image() -> flask.Response:
        return flask.Response(b"\x89PNG" + b"\0" * 5000, mimetype="image/png")

    @app.get("/encoded")
    def encoded() -> flask.Response:
        response = flask.Response(gzip.compress(b"a" * 5000), mimetype="application/json")
        response.headers["Content-Encoding"] = "gzip"
        return response

    compression.install(app)
    return app.test_client()


def test_a_large_json_answer_is_gzipped_and_reads_back_the_same(small) -> None:  # type: ignore[no-untyped-def]
    plain = small.get("/big.json")
    zipped = small.get("/big.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert len(zipped.data) * 3 < len(plain.data)
    assert int(zipped.headers["Content-Length"]) == len(zipped.data)


@pytest.mark.parametrize(("path", "accept"), [
    ("/small.json", "gzip"),  # not worth it
    ("/image", "gzip"),  # already compressed formats
    ("/big.json", "br"),  # no gzip asked for
    ("/big.json", "gzip;q=0, br"),  # gzip refused
])
def test_left_as_it_is(small, path: str, accept: str) -> None:  # type: ignore[no-untyped-def]
    assert "Content-Encoding" not in small.get(path, headers={"Accept-Encoding": accept}).headers


def test_an_encoded_answer_is_not_encoded_twice(small) -> None:  # type: ignore[no-untyped-def]
    answer = small.get("/encoded", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(answer.data) == b"a" * 5000


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("gzip;q=0", False),
    ("br", False), ("", False), ("gzip;q=x", False),
])
def test_accept_encoding(header: str, expected: bool) -> None:
    assert compression.wants_gzip(header) is expected


def test_the_dashboard_gzips_its_layout_and_dependencies(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/_dash-layout", "/_dash-dependencies"):
        plain = client.get(path)
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers.get("Content-Encoding") == "gzip", path
        assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()


def test_a_page_is_gzipped_after_its_headers_read_it(client) -> None:  # type: ignore[no-untyped-def]
    # The security headers hash the page's inline scripts: they must see it before gzip does.
    plain = client.get("/")
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert b"<script" in gzip.decompress(zipped.data)
    for name in ("X-Content-Type-Options", "Content-Security-Policy", "Cache-Control"):
        assert zipped.headers.get(name) == plain.headers.get(name), name
    assert zipped.headers.get("X-Content-Type-Options") == "nosniff"
