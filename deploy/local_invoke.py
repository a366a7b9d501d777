"""Lambda's Invoke API on loopback for local functions, every other AWS request passed on to a
moto server: one AWS endpoint under which a packaged function hands work to another as on AWS."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from deploy.local_lambda import LambdaError, LocalLambda
from deploy.loopback import LoopbackServer, handler_class

INVOKE_PREFIX = "/2015-03-31/functions/"
INVOKE_SUFFIX = "/invocations"
# Lambda retries an asynchronous invocation that failed twice more (after a minute, then two);
# locally the wait is short so a bench or a test sees the retry.
ASYNC_RETRIES = 2
RETRY_AFTER_S = 1.0
JSON_SERVICES = {"DynamoDB_20120810": "dynamodb", "AmazonSSM": "ssm"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def operation(method: str, headers: dict[str, str]) -> str:
    """What an AWS request is, from its JSON protocol's target (DynamoDB, SSM) or its method
    (S3's REST); the header names lower-case."""
    target = headers.get("x-amz-target", "")
    if target:
        prefix, _, name = target.partition(".")
        return f"{JSON_SERVICES.get(prefix, prefix)}:{name}"
    return f"s3:{method}"


@dataclass
class Invocation:
    """One invocation as Lambda's log would show it (times from time.monotonic())."""

    function: str
    kind: str  # Event | RequestResponse
    payload: dict[str, Any]
    queued_s: float
    started_s: float = 0.0
    ended_s: float = 0.0
    attempts: int = 0
    error: str = ""
    cold: bool = False
    value: Any = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class _Function:
    """One function's containers, up to `concurrency` of them, each made at the first
    invocation that finds every existing one busy (a cold start), then kept warm."""

    def __init__(self, name: str, make: Callable[[], LocalLambda], concurrency: int) -> None:
        self.name = name
        self.make = make
        self.concurrency = concurrency
        self.idle: queue.LifoQueue[LocalLambda] = queue.LifoQueue()
        self.all: list[LocalLambda] = []
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(concurrency)

    def run(self, invocation: Invocation) -> None:
        with self.slots:
            try:
                container = self.idle.get_nowait()
            except queue.Empty:
                try:
                    container = self.make()
                except (LambdaError, TimeoutError, OSError) as exc:  # the init failed
                    invocation.error = f"init: {str(exc).splitlines()[0]}"
                    return
                invocation.cold = True
                with self.lock:
                    self.all.append(container)
            try:
                invocation.value = container.invoke(invocation.payload)
                invocation.error = ""
            except LambdaError as exc:
                invocation.error = str(exc).splitlines()[0]
                if container.process.poll() is not None:  # the container died: not reused
                    return
            except TimeoutError as exc:
                invocation.error = str(exc).splitlines()[0]
                return  # closed by LocalLambda
            self.idle.put(container)

    def close(self) -> None:
        with self.lock:
            for container in self.all:
                container.close()


class LocalInvoke:
    """Serves `Invoke` for the functions it is given (name → a maker of a warm container) and
    forwards every other request to `upstream` (a moto server). An `Event` invocation is
    answered 202 at once and run on a worker, retried twice on failure as Lambda does;
    `invocations` records each one."""

    def __init__(self, upstream: str, functions: dict[str, Callable[[], LocalLambda]],
                 concurrency: int = 2, retry_after_s: float = RETRY_AFTER_S) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.functions = {name: _Function(name, make, concurrency)
                          for name, make in functions.items()}
        self.retry_after_s = retry_after_s
        self.invocations: list[Invocation] = []
        # Requests passed on to moto, by service and operation ("dynamodb:PutItem", "s3:GET").
        self.forwarded: Counter[str] = Counter()
        self._pending = 0
        self._idle = threading.Condition()
        self._server = LoopbackServer(self._handler_class())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    # -- invocations ------------------------------------------------------------------------------
    def _function(self, target: str) -> _Function | None:
        name = unquote(target[len(INVOKE_PREFIX):-len(INVOKE_SUFFIX)])
        name = name.rsplit(":function:", 1)[-1].split(":", 1)[0]  # an ARN, maybe qualified
        return self.functions.get(name)

    def _async(self, function: _Function, invocation: Invocation) -> None:
        try:
            for attempt in range(1 + ASYNC_RETRIES):
                if attempt:
                    time.sleep(self.retry_after_s)
                invocation.attempts += 1
                invocation.started_s = invocation.started_s or time.monotonic()
                function.run(invocation)
                if not invocation.error:
                    break
        finally:
            invocation.ended_s = time.monotonic()
            invocation.done.set()
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def invoke(self, target: str, kind: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        function = self._function(target)
        if function is None:
            return 404, {"x-amzn-ErrorType": "ResourceNotFoundException"}, json.dumps(
                {"Type": "User", "message": f"Function not found: {target}"}).encode()
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, {"x-amzn-ErrorType": "InvalidRequestContentException"}, json.dumps(
                {"Type": "User", "message": "Could not parse request body into json"}).encode()
        invocation = Invocation(function.name, kind, payload, time.monotonic())
        self.invocations.append(invocation)
        if kind == "Event":
            with self._idle:
                self._pending += 1
            threading.Thread(target=self._async, args=(function, invocation), daemon=True).start()
            return 202, {}, b""
        if kind == "DryRun":
            return 204, {}, b""
        invocation.attempts, invocation.started_s = 1, time.monotonic()
        function.run(invocation)
        invocation.ended_s = time.monotonic()
        invocation.done.set()
        if invocation.error:
            return 200, {"X-Amz-Function-Error": "Unhandled"}, json.dumps(
                {"errorMessage": invocation.error}).encode()
        return 200, {}, json.dumps(invocation.value).encode()

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """Until no asynchronous invocation is queued or running; False on the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def containers(self, name: str) -> int:
        """How many containers `name` has had (cold starts)."""
        return len(self.functions[name].all)

    # -- everything else ---------------------------------------------------------------------
    def forward(self, method: str, target: str, headers: list[tuple[str, str]],
                body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        self.forwarded[operation(method, dict((k.lower(), v) for k, v in headers))] += 1
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers if k.lower() not in HOP_BY_HOP}
            sent["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            sent["Content-Length"] = str(len(body))
            connection.request(method, target, body=body or None, headers=sent)
            response = connection.getresponse()
            data = response.read()
            out = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP
                   or (method == "HEAD" and k.lower() == "content-length")]
            return response.status, out, data
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        def answer(request: BaseHTTPRequestHandler,
                   body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            path = urlsplit(request.path).path
            if (request.command == "POST" and path.startswith(INVOKE_PREFIX)
                    and path.endswith(INVOKE_SUFFIX)):
                kind = request.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
                status, extra, data = self.invoke(path, kind, body)
                return status, [("Content-Type", "application/json"), *extra.items()], data
            return self.forward(request.command, request.path, list(request.headers.items()),
                                body)

        return handler_class(answer)

    def __enter__(self) -> LocalInvoke:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        for function in self.functions.values():
            function.close()
