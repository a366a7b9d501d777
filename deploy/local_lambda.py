"""An unpacked stage package run as Lambda runs it: Zappa's handler in a clean Python 3.12."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

MARK = "@@pulseboard-lambda-result@@"
# Lambda refuses to return more than this from a synchronous invocation (API Gateway's): the
# caller gets an error instead, which API Gateway turns into a 502.
RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024

# Runs inside the clean interpreter (-I -S: no site-packages, no PYTHON* variables, no script
# folder on sys.path), so only the package and the standard library can be imported — as on
# Lambda, where the package is /var/task. One process is one warm container.
RUNTIME = r"""
import json, os, sys, time, traceback
sys.path.insert(0, os.getcwd())
MARK = sys.argv[1]
out = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)  # the function's prints and logs go to stderr, as CloudWatch would get them

class Context:
    def __init__(self, n):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.aws_request_id = "local-%d" % n
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:%s" % (
            self.function_name)
        self._deadline = time.monotonic() + 900
    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.monotonic()) * 1000)

started = time.perf_counter()
import handler
imported_s = time.perf_counter() - started
out.write(MARK + json.dumps({"ready": True, "import_s": imported_s}) + "\n")
for n, line in enumerate(sys.stdin):
    event = json.loads(line)
    t0 = time.perf_counter()
    try:
        result = {"ok": True, "value": handler.lambda_handler(event, Context(n))}
    except Exception as exc:
        result = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc),
                  "traceback": traceback.format_exc()}
    result["elapsed_s"] = time.perf_counter() - t0
    result["modules"] = len(sys.modules)
    if event.get("pulseboard_list_modules"):
        result["module_names"] = sorted(sys.modules)
    out.write(MARK + json.dumps(result, default=str) + "\n")
"""


class LambdaError(RuntimeError):
    """The function raised (Lambda would report the invocation as failed)."""


def python312() -> str:
    """The plain interpreter under this virtualenv (Lambda's runtime is a plain Python 3.12)."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    return base


def unpack(zip_path: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    return target


class LocalLambda:
    """A warm container for one unpacked package: `invoke(event)` returns the handler's answer.

    `env` is the function's configuration (Zappa's `aws_environment_variables` plus what Lambda
    sets); nothing else from this process's environment leaks in."""

    def __init__(self, package_dir: Path, env: dict[str, str], bytecode: bool = False,
                 timeout_s: float = 120.0) -> None:
        self.package_dir = package_dir
        self.timeout_s = timeout_s
        base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC",
                "LAMBDA_TASK_ROOT": str(package_dir), "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}
        flags = ["-I", "-S"] if bytecode else ["-I", "-S", "-B"]
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [python312(), *flags, "-c", RUNTIME, MARK], cwd=package_dir, env={**base, **env},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.log: list[str] = []
        # Sizes of the answers `invoke` returned, as the JSON Lambda sends back.
        self.last_response_bytes = 0
        self.largest_response_bytes = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_log, daemon=True).start()
        ready = self._next()
        self.init_s = time.perf_counter() - started
        self.import_s = float(ready["import_s"])

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(MARK):
                self._answers.put(json.loads(line[len(MARK):]))
        self._answers.put(None)

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))

    def _next(self) -> dict[str, Any]:
        try:
            answer = self._answers.get(timeout=self.timeout_s)
        except queue.Empty:
            self.close()
            raise TimeoutError(f"no answer within {self.timeout_s:.0f} s; log:\n"
                               + "\n".join(self.log[-40:])) from None
        if answer is None:
            time.sleep(0.1)
            raise LambdaError("the function's process ended; log:\n" + "\n".join(self.log[-40:]))
        return answer

    def invoke_raw(self, event: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        return self._next()

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's answer, or LambdaError where Lambda would fail the invocation: the
        function raised, or its answer is over RESPONSE_LIMIT_BYTES."""
        self.last_response_bytes = 0
        answer = self.invoke_raw(event)
        if not answer["ok"]:
            raise LambdaError(answer["error"] + "\n" + answer.get("traceback", ""))
        size = len(json.dumps(answer["value"]).encode())
        self.last_response_bytes = size
        self.largest_response_bytes = max(self.largest_response_bytes, size)
        if size > RESPONSE_LIMIT_BYTES:
            raise LambdaError(f"Response payload size ({size} bytes) exceeded maximum allowed "
                              f"payload size ({RESPONSE_LIMIT_BYTES} bytes)")
        return answer["value"]

    def close(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LocalLambda:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lambda_env(stage: str, stage_config: dict[str, Any], overrides: dict[str, str]
               ) -> dict[str, str]:
    """What Lambda puts in a stage function's environment: its configured variables, the
    region, and the function's identity; `overrides` point store, blobs and AWS elsewhere."""
    env = dict(stage_config.get("aws_environment_variables", {}))
    region = stage_config.get("aws_region", "eu-west-1")
    env.update(AWS_REGION=region, AWS_DEFAULT_REGION=region,
               AWS_LAMBDA_FUNCTION_NAME=f"{stage_config.get('project_name', 'pulseboard')}-{stage}",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(stage_config.get("memory_size", 512)))
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}
