"""The model file: a Predictor as plain JSON (loading runs no code), checked field by field."""

from __future__ import annotations

import json
import math
from typing import Any

from models.predict import Predictor

FORMAT = "pulseboard-knn/1"
FIELDS = ("format", *Predictor.__slots__)
# The first byte of every pickle since protocol 2: how a model from before the JSON file looks.
PICKLE_MARK = b"\x80"
RETRAIN = "retrain: python -m models train"


def encode(predictor: Predictor) -> bytes:
    # json writes each float as its shortest repr, which reads back to the very same float: the
    # served model answers exactly as the trained one.
    return json.dumps({"format": FORMAT, **predictor.parameters()},
                      separators=(",", ":"), allow_nan=False).encode()


def refuse_constant(name: str) -> Any:
    """For json.loads: NaN and Infinity, which Python's json reads and JSON has not, are refused."""
    raise ValueError(f"{name} is not a finite number")


def _names(doc: dict[str, Any], field: str) -> list[str]:
    value = doc[field]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{field} must be a list of names")
    return value


def finite_number(value: Any) -> bool:
    # bool is an int in Python, but `true` is no scaler mean; JSON integers may be too large
    # for any float.
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _numbers(value: Any, field: str) -> list[float]:
    if not isinstance(value, list) or not all(map(finite_number, value)):
        raise ValueError(f"{field} must be a list of finite numbers")
    return value


def _rows(doc: dict[str, Any], field: str) -> list[list[float]]:
    value = doc[field]
    if not isinstance(value, list):
        raise ValueError(f"{field} must be a list of rows")
    return [_numbers(row, f"each row of {field}") for row in value]


def decode(data: bytes) -> Predictor:
    """The Predictor a model file holds; ValueError saying what is wrong with it otherwise."""
    if data.startswith(PICKLE_MARK):
        raise ValueError(f"it is a pickle, which models are no longer stored as; {RETRAIN}")
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise ValueError(f"it is not a JSON model file ({exc}); {RETRAIN}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"it is not a {FORMAT} model file; {RETRAIN}")
    if set(doc) != set(FIELDS):
        raise ValueError(f"its fields are {sorted(doc)}, expected {sorted(FIELDS)}; {RETRAIN}")
    k = doc["k"]
    if not isinstance(k, int) or isinstance(k, bool):
        raise ValueError("k must be a whole number")
    # The constructor checks the shapes, positive scales and 1 ≤ k ≤ rows.
    return Predictor(
        feature_names=_names(doc, "feature_names"),
        target_names=_names(doc, "target_names"),
        mean=_numbers(doc["mean"], "mean"),
        scale=_numbers(doc["scale"], "scale"),
        table_x=_rows(doc, "table_x"),
        table_y=_rows(doc, "table_y"),
        k=k,
    )
