"""The model file: plain JSON that reads back to the very same predictor; anything else refused."""

from __future__ import annotations

import json
import pickle

import pytest

from models import model_file
from models.features import FEATURES, TARGETS
from models.predict import Predictor
from testkit.reliability.api_trials import newobj_build_pickle

QUERY = [20.0, 2.0, 2.0, 50.0]
SMALL = Predictor(FEATURES, TARGETS, [0.0] * 4, [1.0] * 4, [[0.0] * 4, [1.0] * 4],
                  [[0.0, 0.0], [1.0, 1.0]], 1)


def doc_of(predictor, **changes) -> bytes:
    return json.dumps({**json.loads(model_file.encode(predictor)), **changes}).encode()


def test_the_round_trip_is_equal_and_answers_bit_for_bit(trained):
    data = model_file.encode(trained.predictor)
    assert set(json.loads(data)) == {"format", "feature_names", "target_names", "mean", "scale",
                                     "table_x", "table_y", "k"}
    again = model_file.decode(data)
    assert again == trained.predictor
    assert again.predict_one(QUERY) == trained.predictor.predict_one(QUERY)


class Tripwire:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_a_pickle_runs_nothing_and_says_retrain(tmp_path):
    for data in (pickle.dumps(Tripwire(tmp_path / "ran")), newobj_build_pickle()):
        with pytest.raises(ValueError, match="pickle.*retrain: python -m models train"):
            model_file.decode(data)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(("changes", "reason"), [
    ({"k": 0}, "k=0"),
    ({"k": 3}, "between 1 and 2"),
    ({"k": True}, "whole number"),
    ({"k": 2.0}, "whole number"),
    ({"mean": [0.0, 0.0, 0.0]}, "scaler parameters"),
    ({"mean": ["1", 0, 0, 0]}, "finite numbers"),
    ({"mean": [True, 0, 0, 0]}, "finite numbers"),
    ({"mean": [10 ** 400, 0, 0, 0]}, "finite numbers"),
    ({"scale": [0.0, 1.0, 1.0, 1.0]}, "positive"),
    ({"table_x": "rows"}, "list of rows"),
    ({"table_x": [[0.0, 0.0], [1.0, 1.0]]}, "one value per feature"),
    ({"table_x": [[0.0] * 4]}, "as many target rows as feature rows"),
    ({"table_y": [[1.0], [2.0]]}, "one value per target"),
    ({"feature_names": [1, 2, 3, 4]}, "list of names"),
    ({"format": "sklearn-pickle"}, "not a pulseboard-knn/1"),
    ({"code": "print(1)"}, "fields are"),
])
def test_every_field_is_checked(changes, reason):
    model_file.decode(doc_of(SMALL))  # the control: unchanged, it loads
    with pytest.raises(ValueError, match=reason):
        model_file.decode(doc_of(SMALL, **changes))


@pytest.mark.parametrize("raw", [b"NaN", b'{"k": Infinity}', b"\xff\xfe", b"[" * 100_000,
                                 b"not json"])
def test_what_is_not_json_is_refused(raw):
    with pytest.raises(ValueError, match="retrain"):
        model_file.decode(raw)


def test_a_non_finite_number_written_as_json_is_refused(trained):
    data = model_file.encode(trained.predictor).replace(b'"mean":[', b'"mean":[NaN,', 1)
    with pytest.raises(ValueError, match="not a JSON model file"):
        model_file.decode(data)

