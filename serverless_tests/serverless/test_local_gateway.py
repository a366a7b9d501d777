"""The loopback API Gateway scales as Lambda does: a request that finds every container busy
starts a cold one, free ones are reused, the concurrency limit throttles."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deploy.local_gateway import LocalGateway
from deploy.local_lambda import LocalLambda

# A function that takes its time, so requests sent together overlap, and says which process
# (container) answered.
HANDLER = '''
import json, os, time
def lambda_handler(event, context):
    pause = float((event.get("queryStringParameters") or {}).get("sleep", "0"))
    time.sleep(pause)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"pid": os.getpid(), "path": event["path"]})}
'''


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("slow-function")
    (folder / "handler.py").write_text(HANDLER)
    return folder


def starter(package: Path) -> Callable[[], LocalLambda]:
    return lambda: LocalLambda(package, {}, bytecode=False)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def together(url: str, n: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = [(0, "")] * n

    def one(i: int) -> None:
        out[i] = get(url)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


@pytest.fixture
def scaling(package: Path) -> Iterator[LocalGateway]:
    with LocalGateway(None, "dev", start=starter(package), concurrency_limit=3) as gateway:
        yield gateway


def test_requests_that_arrive_together_each_start_a_container(scaling: LocalGateway) -> None:
    answers = together(scaling.url + "page?sleep=1.0", 3)
    assert [status for status, _ in answers] == [200] * 3
    assert len({body for _, body in answers}) == 3  # three processes answered
    assert scaling.cold_starts == 3
    assert sorted(e.cold for e in scaling.log) == [True] * 3
    assert len(scaling.containers.init_s) == 3 and all(s > 0 for s in scaling.containers.init_s)


def test_a_free_container_is_reused_warm(scaling: LocalGateway) -> None:
    first = get(scaling.url + "a")
    second = get(scaling.url + "b")
    assert first[0] == second[0] == 200
    assert scaling.cold_starts == 1
    assert [e.cold for e in scaling.log] == [True, False]
    assert scaling.log[0].container == scaling.log[1].container == 0


def test_over_the_concurrency_limit_a_request_is_throttled(scaling: LocalGateway) -> None:
    answers = together(scaling.url + "busy?sleep=2.0", 5)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 200, 200, 500, 500], answers
    assert scaling.containers.throttled == 2
    assert scaling.cold_starts == 3


def test_one_started_function_serves_one_request_at_a_time(package: Path) -> None:
    with LocalLambda(package, {}) as function, LocalGateway(function, "dev") as gateway:
        answers = together(gateway.url + "x?sleep=0.3", 3)
    assert [status for status, _ in answers] == [200] * 3
    assert len({body.split(",")[0] for _, body in answers}) == 1  # one process answered all
    assert gateway.cold_starts == 0


def test_outside_the_stage_is_403_without_starting_anything(scaling: LocalGateway) -> None:
    assert get(scaling.url.replace("/dev/", "/other/"))[0] == 403
    assert scaling.cold_starts == 0


def test_a_gateway_needs_a_function_or_a_way_to_start_one(package: Path) -> None:
    with pytest.raises(ValueError, match="either"):
        LocalGateway(None, "dev")
    with pytest.raises(ValueError, match="at least 1"):
        LocalGateway(None, "dev", start=starter(package), concurrency_limit=0)


def test_reclaimed_containers_make_the_next_request_cold(scaling: LocalGateway) -> None:
    get(scaling.url + "warm-up")
    assert scaling.containers.reclaim() == 1
    get(scaling.url + "after-idle")
    assert scaling.cold_starts == 2
    assert [(e.container, e.cold) for e in scaling.log] == [(0, True), (1, True)]
