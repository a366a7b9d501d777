"""`python -m api serve` answers on a local port, and serving never imports the training stack."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from serverless_tests.api.conftest import publish
from storage import open_blobs

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "sklearn", "pandas")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout_s: float = 5.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def env(tmp_path, trained):
    publish(open_blobs(f"file://{tmp_path}/blobs"), trained)
    return {"PATH": "/usr/bin:/bin", "PULSEBOARD_DATA_DIR": str(tmp_path / "var"),
            "PULSEBOARD_STORE": f"sqlite:///{tmp_path}/store.db",
            "PULSEBOARD_BLOBS": f"file://{tmp_path}/blobs"}


def test_serve_answers_health_and_forecast(env):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "api", "serve", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, health = get(base + "/health")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"the API did not start: {server.stderr.read()}") \
                        from None
                time.sleep(0.2)
        assert status == 200 and health["status"] == "ok" and health["model_loaded"] is True
        status, body = get(base + "/forecast?distance_km=20&duration_h=2&crossfit_sessions=2"
                                  "&avg_weight_kg=50&weeks=8")
        assert status == 200 and body["weeks"] == 8
        status, body = get(base + "/forecast?distance_km=-1")
        assert status == 400 and body["field"] == "distance_km"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_bad_setting_is_one_line_not_a_traceback(env):
    done = subprocess.run([sys.executable, "-m", "api", "serve", "--port", str(free_port())],
                          cwd=ROOT, env={**env, "PULSEBOARD_BLOBS": "ftp://x"},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "PULSEBOARD_BLOBS" in done.stderr and "Traceback" not in done.stderr


def test_answering_imports_no_numpy_scipy_sklearn_or_pandas(env):
    code = f"""
import json, sys
from api.wsgi import app
client = app.test_client()
answer = client.get('/forecast?distance_km=20&duration_h=2&crossfit_sessions=2&avg_weight_kg=50')
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})
print(json.dumps({{"status": answer.status_code, "heavy": heavy}}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"status": 200, "heavy": []}
