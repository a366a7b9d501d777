"""API Gateway on loopback for a local Lambda: HTTP requests in, REST proxy events to the function,
its answers back out as HTTP, so a browser can use an unpacked stage package as it will be used."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from deploy.local_lambda import LambdaError, LocalLambda
from deploy.loopback import LoopbackServer, handler_class

# Headers HTTP itself owns; the gateway sets its own on the way out.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class Exchange:
    """One request the gateway saw, as its access log would show it."""

    method: str
    path: str  # as the browser asked, stage included
    status: int
    response_bytes: int  # the function's answer as Lambda returns it (0 when not invoked)
    container: int = -1  # which container answered (-1: none was invoked)
    cold: bool = False  # that container was started for this request
    elapsed_s: float = 0.0  # from the request's arrival to the function's answer


class Containers:
    """Lambda's scaling for one function: a request takes a free warm container, else starts a
    new (cold) one, up to `concurrency_limit` at once (the function's reserved concurrency;
    None: the account's 1000, unlimited here). A container answers one request at a time and is
    reused once free. A request over the limit is throttled: Lambda refuses it with a 429, which
    API Gateway's REST proxy turns into a 500 (`queue`: it waits for a free one instead, as the
    one-container gateway always did)."""

    def __init__(self, start: Callable[[], LocalLambda], concurrency_limit: int | None = None,
                 started: list[LocalLambda] | None = None, queue: bool = False) -> None:
        if concurrency_limit is not None and concurrency_limit < 1:
            raise ValueError(f"concurrency_limit {concurrency_limit}: at least 1, or None")
        self._start = start
        self.concurrency_limit = concurrency_limit
        self.all: list[LocalLambda] = list(started or [])
        # A container's number, in the order they started (stays when others are reclaimed).
        self._number = {id(f): n for n, f in enumerate(self.all)}
        self._free = list(self.all)
        self._starting = 0
        self._lock = threading.Condition()
        self._queue = queue
        self.cold_starts = 0  # containers started by requests (not those handed in)
        self.throttled = 0
        self.init_s: list[float] = []  # each cold container's start (process + handler import)

    def take(self) -> tuple[LocalLambda, int, bool] | None:
        """A container for one request (its index, whether it is cold), None when throttled."""
        with self._lock:
            while True:
                if self._free:
                    function = self._free.pop()
                    return function, self._number[id(function)], False
                busy = len(self.all) + self._starting
                if self.concurrency_limit is None or busy < self.concurrency_limit:
                    break
                if not self._queue:
                    self.throttled += 1
                    return None
                self._lock.wait()
            self._starting += 1
        try:
            function = self._start()  # outside the lock: others are served meanwhile
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            self.all.append(function)
            self._number[id(function)] = number = len(self._number)
            self.cold_starts += 1
            self.init_s.append(function.init_s)
            return function, number, True

    def give_back(self, function: LocalLambda) -> None:
        with self._lock:
            self._free.append(function)
            self._lock.notify()

    def reclaim(self) -> int:
        """Ends every free container, as Lambda does with idle ones after some minutes: the next
        requests start cold ones. How many were ended."""
        with self._lock:
            idle, self._free = self._free, []
            self.all = [f for f in self.all if f not in idle]
        for function in idle:
            function.close()
        return len(idle)

    def close(self) -> None:
        for function in self.all:
            function.close()


def rest_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes, stage: str,
               host: str, source_ip: str) -> dict[str, Any]:
    """The event API Gateway's REST proxy integration (`/{proxy+}`) sends for a request to
    `/<stage><path>`: the path without the stage, headers and query both single- and
    multi-valued, the body base64 (Zappa declares every media type binary)."""
    parts = urlsplit(target)
    path = parts.path[len(stage) + 1:] or "/"
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        value = host if name.lower() == "host" else value
        single[name] = value
        multi.setdefault(name, []).append(value)
    query = parse_qsl(parts.query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    user_agent = single.get("User-Agent", "")
    return {
        "resource": "/" if path == "/" else "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": dict(query) or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None if path == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/" if path == "/" else "/{proxy+}",
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(".", 1)[0],
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "domainName": host,
            "apiId": host.split(".", 1)[0],
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


class LocalGateway:
    """Serves `http://127.0.0.1:<port>/<stage>/…` from a local function. Given one started
    function it is one warm container, one request at a time; given a way to start one
    (`start`), it scales as Lambda does (`Containers`): requests that arrive together each find
    a container, cold ones where none is free, up to `concurrency_limit`. Outside the stage it
    answers 403 as API Gateway does; an invocation that fails (the function raised, or answered
    over Lambda's 6 MB) is a 502, a throttled one a 500. `log` lists every exchange.

    The Host the function sees is the API's execute-api name, as on AWS: Zappa keys the stage's
    script name on it, so the app answers exactly as it will when deployed."""

    def __init__(self, function: LocalLambda | None, stage: str, api_id: str = "local0api0",
                 region: str = "eu-west-1", start: Callable[[], LocalLambda] | None = None,
                 concurrency_limit: int | None = None) -> None:
        if (function is None) == (start is None):
            raise ValueError("give the gateway either a started function or `start`, not both")
        self.stage = stage
        self.host = f"{api_id}.execute-api.{region}.amazonaws.com"
        self.log: list[Exchange] = []
        if function is not None:
            self.containers = Containers(lambda: function, 1, started=[function], queue=True)
        else:
            assert start is not None
            self.containers = Containers(start, concurrency_limit)
        self._owns = start is not None
        self._server = LoopbackServer(self._handler_class())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/{self.stage}/"

    @property
    def cold_starts(self) -> int:
        """Containers requests have started so far (a visit's: the difference across it)."""
        return self.containers.cold_starts

    def _answer(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                client: str) -> tuple[int, list[tuple[str, str]], bytes, int, int, bool]:
        path = urlsplit(target).path
        if not (path == f"/{self.stage}" or path.startswith(f"/{self.stage}/")):
            return 403, [("Content-Type", "application/json")], \
                b'{"message":"Missing Authentication Token"}', 0, -1, False
        event = rest_event(method, target, headers, body, self.stage, self.host, client)
        try:
            taken = self.containers.take()
        except (LambdaError, TimeoutError):  # the new container's init failed: Lambda says so
            return 502, [("Content-Type", "application/json")], \
                b'{"message": "Internal server error"}', 0, -1, True
        if taken is None:
            return 500, [("Content-Type", "application/json"),
                         ("x-amzn-ErrorType", "TooManyRequestsException")], \
                b'{"message": "Internal server error"}', 0, -1, False
        function, index, cold = taken
        try:
            answer = function.invoke(event)
            size = function.last_response_bytes
        except LambdaError:
            return 502, [("Content-Type", "application/json")], \
                b'{"message": "Internal server error"}', function.last_response_bytes, index, cold
        finally:
            self.containers.give_back(function)
        out: list[tuple[str, str]] = []
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            out += [(name, str(v)) for v in values if name.lower() not in HOP_BY_HOP]
        if not answer.get("multiValueHeaders"):
            out += [(k, str(v)) for k, v in (answer.get("headers") or {}).items()
                    if k.lower() not in HOP_BY_HOP]
        text = answer.get("body") or ""
        data = base64.b64decode(text) if answer.get("isBase64Encoded") else text.encode()
        return int(answer["statusCode"]), out, data, size, index, cold

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        def answer(request: BaseHTTPRequestHandler,
                   body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            t0 = time.perf_counter()
            status, headers, data, size, index, cold = self._answer(
                request.command, request.path, list(request.headers.items()), body,
                request.client_address[0])
            self.log.append(Exchange(request.command, urlsplit(request.path).path, status, size,
                                     index, cold, time.perf_counter() - t0))
            return status, headers, data

        return handler_class(answer)

    def __enter__(self) -> LocalGateway:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        if self._owns:
            self.containers.close()
