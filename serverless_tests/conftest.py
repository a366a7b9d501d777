"""Fixtures shared by every suite: settings isolated per test, both store and blob adapters."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import settings
from storage import open_blobs, open_store
from storage.base import Blobs, Store
from testkit.aws import AWS_ENV


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a loopback port, shared by the session (tables and buckets are per test)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from laptop defaults in its own data dir; no real AWS is reachable."""
    for name in list(os.environ):
        if name.startswith("PULSEBOARD_") or name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PULSEBOARD_DATA_DIR", str(tmp_path / "var"))
    settings.reset()
    yield
    settings.reset()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points boto3 (through settings) at the moto server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    settings.reset()
    return moto_endpoint


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "sqlite":
        return open_store(f"sqlite:///{tmp_path / 'store.db'}")
    request.getfixturevalue("aws")
    from storage.dynamodb import DynamoStore

    store = DynamoStore(f"pulseboard-{uuid.uuid4().hex[:12]}")
    store.ensure_table()
    return store


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store adapter in turn: SQLite in a temp file, DynamoDB on the moto server."""
    made = make_store(request.param, tmp_path, request)
    yield made
    made.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    made = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield made
    made.close()


@pytest.fixture(params=["file", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Blobs:
    """Each blob adapter in turn: a temp folder, an S3 bucket on the moto server."""
    if request.param == "file":
        return open_blobs(f"file://{tmp_path / 'blobs'}")
    request.getfixturevalue("aws")
    from storage.s3 import S3Blobs

    made = S3Blobs(f"pulseboard-{uuid.uuid4().hex[:12]}", "data")
    made.ensure_bucket()
    return made
