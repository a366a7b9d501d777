"""Trials 6 and 8: the forecast API fuzzed from its own OpenAPI document and by hand, and model
artifacts tampered with (never unpickled nor downloaded past their size; a signature a forger
cannot make; 503 with a reason; the dashboard says so)."""

from __future__ import annotations

import json
import math
import os
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testkit.reliability.trials import Outcome, sandbox, trial

KEY = "fuzz-key-0123456789"
VALID = {"distance_km": 25, "duration_h": 2.5, "crossfit_sessions": 3, "avg_weight_kg": 60,
         "weeks": 4}


def _published(folder: Path, model_key: str = "") -> tuple[Any, Any]:
    """A store and blobs holding a model trained on a synthetic athlete (its manifest signed
    when a model key is given), and a latest weight."""
    from models import artifact, train
    from storage import Measurement, open_blobs, open_store
    from testkit.athlete import training_records, weeks_of

    store = open_store(f"sqlite:///{folder / 'store.db'}")
    blobs = open_blobs(f"file://{folder / 'blobs'}")
    result = train.fit(weeks_of(training_records(weeks=120, seed=5)))
    artifact.publish(blobs, result.predictor, train.manifest(result, datetime.now(UTC), 16),
                     model_key)
    moment = datetime(2025, 1, 5, 7, tzinfo=UTC)
    store.put([Measurement(moment, "weight_kg", 81.4, "withings", "a"),
               Measurement(moment, "fat_ratio_pct", 21.3, "withings", "a")])
    return store, blobs


def _check(out: Outcome, label: str, response: Any, json_body: Any, keyed: bool = True) -> None:
    out.runs += 1
    status = response.status_code
    if status == 401 and not keyed:
        return  # a request generated without the right key is refused: as it should be
    if status >= 500:
        out.fail(f"{label}: answered {status}")
    elif status == 400:
        body = json_body if isinstance(json_body, dict) else {}
        if body.get("error") != "invalid_parameter" or not isinstance(body.get("field"), str) \
                or not body.get("message"):
            out.fail(f"{label}: a 400 without the field and the reason: {json_body!r}")
    elif status != 200:
        out.fail(f"{label}: answered {status} {json_body!r}")


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("NaN", {"query_string": {**VALID, "distance_km": "NaN"}}),
    ("-Infinity", {"query_string": {**VALID, "duration_h": "-Infinity"}}),
    ("1e308", {"query_string": {**VALID, "avg_weight_kg": "1e308"}}),
    ("1e309", {"query_string": {**VALID, "avg_weight_kg": "1e309"}}),
    ("a word", {"query_string": {**VALID, "weeks": "four"}}),
    ("hex", {"query_string": {**VALID, "weeks": "0x10"}}),
    ("repeated field", {"query_string": [*VALID.items(), ("weeks", "5")]}),
    ("unknown field", {"query_string": {**VALID, "bmi": "22"}}),
    ("missing field", {"query_string": {"weeks": "4"}}),
    ("negative", {"query_string": {**VALID, "crossfit_sessions": "-1"}}),
    ("weeks 0", {"query_string": {**VALID, "weeks": "0"}}),
    ("weeks 53", {"query_string": {**VALID, "weeks": "53"}}),
    ("fractional weeks", {"query_string": {**VALID, "weeks": "2.5"}}),
    ("JSON NaN", {"method": "POST", "data": json.dumps({**VALID, "distance_km": math.nan}),
                  "content_type": "application/json"}),
    ("JSON string number", {"method": "POST", "json": {**VALID, "weeks": "4"}}),
    ("JSON boolean", {"method": "POST", "json": {**VALID, "weeks": True}}),
    ("JSON array", {"method": "POST", "json": [VALID]}),
    ("JSON nested", {"method": "POST", "json": {**VALID, "distance_km": [1, 2]}}),
    ("JSON null", {"method": "POST", "json": {**VALID, "distance_km": None}}),
    ("JSON huge int", {"method": "POST", "json": {**VALID, "weeks": 10**400}}),
    ("1 MB body", {"method": "POST", "data": "{" + " " * 1_000_000 + "}",
                   "content_type": "application/json"}),
    ("truncated JSON", {"method": "POST", "data": '{"weeks": 4, "distance_km": ',
                        "content_type": "application/json"}),
    ("form body", {"method": "POST", "data": VALID}),
    ("text/plain", {"method": "POST", "data": json.dumps(VALID), "content_type": "text/plain"}),
    ("no body", {"method": "POST"}),
    ("binary", {"method": "POST", "data": bytes(range(256)) * 10,
                "content_type": "application/json"}),
]


def _fuzz(out: Outcome, operation: Any, mode: Any, examples: int,
          nonconforming: list[str]) -> None:
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    label = f"{operation.method.upper()} {operation.path} {mode.value}"

    @hsettings(max_examples=examples, deadline=None, database=None,
               suppress_health_check=list(HealthCheck), derandomize=True)
    @given(operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(headers={"X-Api-Key": KEY})
        try:
            body = response.json()
        except ValueError:
            body = None
        sent = response.request.headers.get("X-Api-Key")
        _check(out, f"{label} {case.query or case.body!r:.120}", response, body,
               keyed=sent == KEY)
        try:
            # One rule of the API spans two fields (distance over time must be a human running
            # speed), which a JSON schema cannot say: a schema-valid request may get that 400.
            # Every other check of the response stays on.
            case.validate_response(response, headers={"X-Api-Key": KEY},
                                   excluded_checks=[positive_data_acceptance])
        except (Exception, BaseExceptionGroup) as exc:  # any mismatch is a finding
            detail = " | ".join(line.strip() for line in str(exc).splitlines()
                                if line.strip())[:400]
            nonconforming.append(f"{label}: {detail}")

    run()


def fuzz(examples: int) -> Outcome:
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.core.result import Err

    from api import create_app

    out = Outcome(0, 0, "")
    with sandbox() as folder:
        store, blobs = _published(folder)
        app = create_app({"TESTING": True, "STORE": store, "BLOBS": blobs, "API_KEY": KEY})
        client = app.test_client()
        for label, request in HOSTILE:
            response = client.open("/forecast", headers={"X-Api-Key": KEY}, **request)
            _check(out, label, response, response.get_json(silent=True))
        schema = schemathesis.openapi.from_wsgi("/openapi.json", app, headers={"X-Api-Key": KEY})
        nonconforming: list[str] = []
        for found in schema.get_all_operations():
            if isinstance(found, Err):
                raise found.err()  # the API document itself is unreadable: nothing to fuzz
            operation = found.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if operation.path == "/health" and mode is GenerationMode.NEGATIVE:
                    continue  # nothing to make invalid: it takes no input

                _fuzz(out, operation, mode, examples, nonconforming)
        for problem in nonconforming[:5]:
            out.fail(f"response does not match /openapi.json: {problem}")
    out.figure = (f"{out.runs} requests ({len(HOSTILE)} hand-written), "
                  f"{out.failures} answers ≥ 500 or 400 without a field")
    return out


class _Tripwire:
    """Unpickling this runs code: it writes a file. If the file appears, something unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.makedirs, (str(self.path),))


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(5)


MODEL_KEY = "integrity-model-key-0123"


def newobj_build_pickle(k: int = 0) -> bytes:
    """A pickle that makes a Predictor with NEWOBJ and fills its slots with BUILD: its
    constructor never runs, so neither do its checks (k=0 would be refused there). An allow-list
    of classes let it through (issue 14, finding 5); the model tests use it too."""
    from models.features import FEATURES, TARGETS

    slots = {"feature_names": FEATURES, "target_names": TARGETS, "mean": (0.0,) * 4,
             "scale": (1.0,) * 4, "table_x": ((0.0,) * 4,), "table_y": ((0.0, 0.0),), "k": k}
    state = pickle.dumps((None, slots), protocol=2)[2:-1]  # without its PROTO and STOP
    return b"\x80\x02cmodels.predict\nPredictor\n)\x81" + state + b"b."


class _CountingBlobs:
    """Blobs that note every key downloaded: an oversize blob must never be one of them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.fetched: list[str] = []

    def get(self, key: str) -> Any:
        self.fetched.append(key)
        return self.inner.get(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _tampered(good: bytes, manifest: dict[str, Any], tripwire: Path,
              ) -> dict[str, tuple[bytes, dict[str, Any] | None]]:
    """Label → (model file bytes, manifest written beside it; None = not JSON). Labels that end
    in "signature" are refused for their signature alone: an API without a model key serves
    them."""
    from models import artifact, model_file, signing
    from models.predict import Predictor

    evil = pickle.dumps(_Tripwire(tripwire))
    build = newobj_build_pickle()
    # A valid model file, but not the published one: the same table asking one neighbour only.
    other = model_file.encode(Predictor(**{**model_file.decode(good).parameters(), "k": 1}))

    def flip(data: bytes) -> bytes:
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]

    def describing(data: bytes, key: str = "") -> dict[str, Any]:
        """The manifest fixed up for `data` (as write access to the bucket allows), re-signed
        under `key` (a forger's guess) or left with the old, now wrong, signature."""
        fixed = {**manifest, "sha256": artifact.sha256(data), "size_bytes": len(data)}
        return signing.sign(fixed, key) if key else fixed

    unsigned = {name: value for name, value in manifest.items() if name != signing.FIELD}
    old = {name: value for name, value in unsigned.items() if name != "artifact_key"}
    return {
        "one byte of the model file flipped": (flip(good), manifest),
        "model file replaced by a pickle that runs code": (evil, manifest),
        "model file and its sha256 replaced by a pickle that runs code": (evil, describing(evil)),
        "NEWOBJ/BUILD pickle of a Predictor, sha256 and size consistent": (build,
                                                                          describing(build)),
        "model file truncated": (good[: len(good) // 3], manifest),
        "oversize model file (2 MB more than the manifest says)": (good + b" " * 2_000_000,
                                                                  manifest),
        "manifest announcing a model over the cap": (good, {**manifest, "size_bytes": 2**40}),
        "manifest sha256 edited": (good, {**manifest, "sha256": "0" * 64}),
        "another model, manifest fixed up: a stale signature": (other, describing(other)),
        "another model, manifest signed with a guessed key: a forged signature": (
            other, describing(other, "guess")),
        "manifest without its signature": (good, unsigned),
        "manifest names a missing model file": (good, {**manifest, "artifact_key":
                                                       "models/forecast/gone.json"}),
        "manifest names a file elsewhere": (good, {**manifest, "artifact_key": "raw/x.json"}),
        "manifest of the pickle format": (good, {**old, "pickle_key": manifest["artifact_key"]}),
        "manifest not JSON": (good, None),
    }


def integrity(_runs: int) -> Outcome:
    from api import create_app
    from dashboard.logic import forecast as dashboard_forecast
    from models import artifact

    out = Outcome(0, 0, "")
    with sandbox() as folder:
        store, blobs = _published(folder, MODEL_KEY)
        manifest = json.loads(blobs.get(artifact.MANIFEST_KEY)[0])
        good = blobs.get(manifest["artifact_key"])[0]
        tripwire = folder / "unpickled"

        def serve(model: bytes, written: dict[str, Any] | None,
                  model_key: str = MODEL_KEY) -> tuple[Any, _CountingBlobs]:
            blobs.put(manifest["artifact_key"], model)
            raw = b"{not json" if written is None else json.dumps(written).encode()
            blobs.put(artifact.MANIFEST_KEY, raw)
            counting = _CountingBlobs(blobs)
            config = {"TESTING": True, "STORE": store, "BLOBS": counting, "API_KEY": KEY,
                      "MODEL_KEY": model_key}
            return create_app(config), counting

        # With the model key every case is refused; without it, all but the signature ones:
        # the checks of the model file itself stand on their own.
        cases = [(f"{label} (model key {'set' if key else 'unset'})", model, written, key)
                 for label, (model, written) in _tampered(good, manifest, tripwire).items()
                 for key in (MODEL_KEY, "") if key or not label.endswith("signature")]
        for label, model, written, model_key in cases:
            out.runs += 1
            app, counting = serve(model, written, model_key)
            response = app.test_client().get("/forecast", query_string=VALID,
                                             headers={"X-Api-Key": KEY})
            body = response.get_json(silent=True) or {}
            if tripwire.exists():
                out.fail(f"{label}: the pickle was unpickled")
                tripwire.rmdir()
            if len(model) > len(good) and manifest["artifact_key"] in counting.fetched:
                out.fail(f"{label}: the oversize model file was downloaded")
            if response.status_code != 503 or not body.get("message"):
                out.fail(f"{label}: answered {response.status_code} {body!r}")
                continue
            health = app.test_client().get("/health")
            if health.get_json() != {"status": "unavailable"}:
                out.fail(f"{label}: /health told an anonymous caller {health.get_json()!r}")
            with _serving(app) as url:
                answer = dashboard_forecast.fetch(url, KEY, VALID)
            if answer.ok or not answer.message:
                out.fail(f"{label}: the dashboard did not show the problem")
        # Control: the untouched artifact loads and answers, so the refusals above were earned.
        out.runs += 1
        app, _ = serve(good, manifest)
        if app.test_client().get("/forecast", query_string=VALID,
                                 headers={"X-Api-Key": KEY}).status_code != 200:
            out.fail("control: the untouched model was not served")
    out.figure = (f"{out.runs - 1 - out.failures} of {out.runs - 1} tampered artifacts refused "
                  "with 503 (pickles, oversize blobs, forged signatures among them), none "
                  "unpickled or downloaded past its size; untouched one served")
    return out


trial(6, "API fuzzing", quick=60, full=600)(fuzz)
trial(8, "model integrity", quick=1, full=1)(integrity)
