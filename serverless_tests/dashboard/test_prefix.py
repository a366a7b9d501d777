"""Under DASH_REQUESTS_PATHNAME_PREFIX=/dev/ every URL the app hands out stays under /dev/."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from dashboard.auth import users
from storage import open_store

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_everything_stays_under_the_prefix(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(db)
    users.add(store, "ann", "password-123", "owner")
    store.close()
    port = free_port()
    env = {**os.environ, "PULSEBOARD_STORE": db, "PULSEBOARD_DATA_DIR": str(tmp_path),
           "PULSEBOARD_SECRET_KEY": "k" * 32, "DASH_REQUESTS_PATHNAME_PREFIX": "/dev/"}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        http = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                first = http.get(base + "/dev/weight", allow_redirects=False, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "dashboard did not start"
                time.sleep(0.2)
        assert first.status_code == 302
        assert first.headers["Location"] == "/dev/login?next=/dev/weight"
        login_page = http.get(base + "/dev/login?next=/dev/weight").text
        assert 'action="/dev/login"' in login_page and 'href="/dev/assets/style.css"' in login_page
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
        done = http.post(base + "/dev/login", allow_redirects=False, data={
            "csrf_token": token, "username": "ann", "password": "password-123",
            "next": "/dev/weight"})
        assert done.headers["Location"] == "/dev/weight"
        page = http.get(base + "/dev/weight").text
        urls = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert urls and all(u.startswith("/dev/") for u in urls), urls
        config = re.search(r'id="_dash-config" type="application/json">(.*?)</script>', page)
        assert config and json.loads(config.group(1))["requests_pathname_prefix"] == "/dev/"
        shell = json.loads(re.search(  # type: ignore[union-attr]
            r'id="_pulseboard-shell" type="application/json">(.*?)</script>', page).group(1))
        assert shell["session"] == "/dev/_pulseboard/session"
        assert shell["layout"] == "/dev/_dash-layout"
        assert shell["update"] == "/dev/_dash-update-component"
        visitor = http.get(base + "/dev/_pulseboard/session", params={"path": "/dev/weight"})
        assert visitor.status_code == 200 and visitor.json()["user"] == "ann"
        assert '"weight-graph"' in json.dumps(visitor.json()["page"]["layout"])
        nobody = requests.get(base + "/dev/_pulseboard/session", params={"path": "/dev/weight"},
                              timeout=5)
        assert nobody.status_code == 401 and nobody.json()["login"] == "/dev/login?next=/dev/weight"
        layout: Any = http.get(base + "/dev/_dash-layout").json()
        hrefs = re.findall(r"'href': '([^']+)'", str(layout))
        assert hrefs and all(h.startswith("/dev/") for h in hrefs), hrefs
        asked = http.get(base + "/dev/logout").text
        assert 'action="/dev/logout"' in asked
        token = re.search(r'name="csrf_token" value="([^"]+)"', asked).group(1)  # type: ignore[union-attr]
        assert http.post(base + "/dev/logout", data={"csrf_token": token},
                         allow_redirects=False).headers["Location"] == "/dev/login"
        assert http.get(base + "/weight", allow_redirects=False).status_code == 404
    finally:
        proc.terminate()
        proc.wait(10)
