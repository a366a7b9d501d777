"""The serving predictor equals the scikit-learn pipeline it was copied from, minus its imports."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import model_file
from models.features import FEATURES, TARGETS
from models.predict import Predictor

ROOT = Path(__file__).resolve().parents[2]


def random_queries(result, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lows, highs = result.x.min(axis=0), result.x.max(axis=0)
    return rng.uniform(lows - 0.2 * (highs - lows), highs + 0.2 * (highs - lows),
                       size=(n, len(FEATURES)))


def test_predictions_equal_the_pipeline_on_continuous_queries(trained):
    queries = random_queries(trained, 300, seed=5)
    expected = trained.pipeline.predict(queries)
    got = np.array(trained.predictor.predict(queries.tolist()))
    assert got.shape == expected.shape == (300, len(TARGETS))
    # Weeks trained alike are equal rows: a query whose k-th and next neighbour are two copies
    # is a tie either answer settles validly (see Predictor), so only untied ones are compared.
    distances, _ = trained.pipeline[-1].kneighbors(trained.pipeline[:-1].transform(queries),
                                                   n_neighbors=trained.k + 1)
    untied = distances[:, -1] - distances[:, -2] > 1e-9
    assert untied.sum() > 0.9 * len(queries)
    np.testing.assert_allclose(got[untied], expected[untied], rtol=1e-9, atol=1e-12)


def test_on_training_rows_neighbour_distances_always_match_and_forecasts_match_without_ties(
    trained,
):
    knn = trained.pipeline[-1]
    distances, _ = knn.kneighbors(trained.pipeline[:-1].transform(trained.x),
                                  n_neighbors=min(trained.k + 1, len(trained.x)))
    expected = trained.pipeline.predict(trained.x)
    untied = 0
    for row, query in enumerate(trained.x.tolist()):
        ours = [d for d, _ in trained.predictor.neighbours(query)]
        # scikit-learn computes |x|² - 2xy + |y|²: a row's distance to itself is ~1e-8, not 0.
        np.testing.assert_allclose(ours, distances[row, : trained.k], rtol=1e-7, atol=1e-6)
        k_th, next_ = distances[row, trained.k - 1], distances[row, -1]
        if next_ - k_th > 1e-6:  # no tie at the k-th place: the forecast is well defined
            untied += 1
            np.testing.assert_allclose(trained.predictor.predict_one(query), expected[row],
                                       rtol=1e-9, atol=1e-12)
    assert untied > len(trained.x) // 2


def test_ties_are_broken_by_lowest_row_deterministically():
    p = Predictor(["a"], ["t"], [0.0], [1.0], [[0.0], [0.0], [0.0], [5.0]],
                  [[1.0], [2.0], [3.0], [4.0]], k=2)
    assert [i for _, i in p.neighbours([0.0])] == [0, 1]
    assert p.predict_one([0.0]) == (1.5,)


def test_scaling_uses_the_fitted_mean_and_scale():
    p = Predictor(["a", "b"], ["t"], [10.0, 0.0], [2.0, 100.0], [[0.0, 0.0], [1.0, 0.0]],
                  [[7.0], [9.0]], k=1)
    assert p.scaled([12.0, 50.0]) == (1.0, 0.5)
    assert p.predict_one([12.0, 50.0]) == (9.0,)  # (1, .5) is nearer (1, 0) than (0, 0)


@pytest.mark.parametrize("bad", [
    {"k": 0}, {"k": 3}, {"scale": [0.0]}, {"mean": [1.0, 2.0]}, {"table_y": [[1.0]]},
    {"table_x": [[1.0, 2.0], [3.0, 4.0]]},
])
def test_inconsistent_predictors_are_refused(bad):
    args = {"feature_names": ["a"], "target_names": ["t"], "mean": [0.0], "scale": [1.0],
            "table_x": [[0.0], [1.0]], "table_y": [[1.0], [2.0]], "k": 1, **bad}
    with pytest.raises(ValueError):
        Predictor(**args)


def test_serving_a_forecast_imports_no_numpy_scipy_sklearn_or_pandas(trained, tmp_path):
    (tmp_path / "model.json").write_bytes(model_file.encode(trained.predictor))
    code = f"""
import json, sys
from models import artifact
data = open({str(tmp_path / 'model.json')!r}, 'rb').read()
manifest = {{"sha256": artifact.sha256(data), "size_bytes": len(data),
            "artifact_key": "models/forecast/x.json", "targets": {list(TARGETS)!r},
            "k": {trained.k}, "features": [{{"name": n}} for n in {list(FEATURES)!r}]}}
p = artifact.load_predictor(data, manifest)
out = p.predict_one([25.0, 2.5, 3, 40.0])
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy', 'sklearn', 'pandas'))
print(json.dumps({{"out": out, "heavy": heavy}}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    answer = json.loads(done.stdout)
    assert answer["heavy"] == []
    assert answer["out"] == pytest.approx(list(trained.predictor.predict_one([25, 2.5, 3, 40])))


def test_random_predictors_match_a_fresh_pipeline():
    from models.train import pipeline

    rng = random.Random(3)
    for trial in range(5):
        n = rng.randint(10, 60)
        x = np.array([[rng.uniform(0, 80), rng.uniform(0, 8), rng.randint(0, 5), rng.uniform(0, 90)]
                      for _ in range(n)])
        y = np.array([[rng.gauss(0, 0.3), rng.gauss(0, 0.2)] for _ in range(n)])
        k = rng.randint(1, min(n, 15))
        fitted = pipeline(k).fit(x, y)
        predictor = Predictor.from_pipeline(fitted, x, y, FEATURES, TARGETS)
        queries = np.array([[rng.uniform(0, 80), rng.uniform(0, 8), rng.uniform(0, 5),
                             rng.uniform(0, 90)] for _ in range(50)])
        np.testing.assert_allclose(predictor.predict(queries.tolist()), fitted.predict(queries),
                                   rtol=1e-9, atol=1e-12, err_msg=f"trial {trial}")
