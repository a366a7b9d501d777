"""`python -m api serve` answers on a local port; a bad or missing setting is one line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from serverless_tests.api.conftest import SERVE_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout_s: float = 5.0, key: str = SERVE_KEY) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"X-Api-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_answers_health_and_forecast(serve_env):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "api", "serve", "--port", str(port)],
                              cwd=ROOT, env=serve_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
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


def test_a_bad_setting_is_one_line_not_a_traceback(serve_env):
    done = subprocess.run([sys.executable, "-m", "api", "serve", "--port", str(free_port())],
                          cwd=ROOT, env={**serve_env, "PULSEBOARD_BLOBS": "ftp://x"},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2  # a setting is wrong: the usage-or-settings exit code
    assert "PULSEBOARD_BLOBS" in done.stderr and "Traceback" not in done.stderr


def test_outside_the_demo_serving_without_a_key_is_refused_in_one_line(serve_env):
    env = {name: value for name, value in serve_env.items() if name != "PULSEBOARD_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "api", "serve", "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "PULSEBOARD_API_KEY is not set" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
