"""The serving predictor: the fitted scaler and KNN neighbour table as plain floats, stdlib only."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain, repeat
from typing import Any

# Serving must not pay for training's imports. The table is a few hundred weeks of four numbers:
# plain Python (math.dist) answers in tens of microseconds, while importing numpy adds about a
# fifth to a bare Flask cold start (bench/forecast.py measures both), so no numpy here either.


class Predictor:
    """K-nearest-neighbours regression exactly as scikit-learn's StandardScaler +
    KNeighborsRegressor(weights="uniform", metric="euclidean") pipeline computes it.

    Equidistant neighbours at the k-th place are taken lowest index first; scikit-learn leaves
    that order to its search structure, so on such ties both answers are valid forecasts that
    may differ (the distances of the neighbours chosen are always the same)."""

    __slots__ = ("feature_names", "target_names", "mean", "scale", "table_x", "table_y", "k")

    def __init__(
        self,
        feature_names: Sequence[str],
        target_names: Sequence[str],
        mean: Sequence[float],
        scale: Sequence[float],
        table_x: Sequence[Sequence[float]],
        table_y: Sequence[Sequence[float]],
        k: int,
    ) -> None:
        self.feature_names = tuple(str(n) for n in feature_names)
        self.target_names = tuple(str(n) for n in target_names)
        self.mean = tuple(float(v) for v in mean)
        self.scale = tuple(float(v) for v in scale)
        self.table_x = tuple(tuple(float(v) for v in row) for row in table_x)
        self.table_y = tuple(tuple(float(v) for v in row) for row in table_y)
        self.k = int(k)
        n_features, n_targets = len(self.feature_names), len(self.target_names)
        if len(self.mean) != n_features or len(self.scale) != n_features:
            raise ValueError("scaler parameters do not match the feature names")
        if any(not math.isfinite(s) or s <= 0 for s in self.scale):
            raise ValueError("scaler scales must be finite and positive")
        if not all(map(math.isfinite, (*self.mean, *chain(*self.table_x), *chain(*self.table_y)))):
            raise ValueError("the scaler means and the neighbour table must be finite numbers")
        if len(self.table_x) != len(self.table_y) or not self.table_x:
            raise ValueError("the neighbour table needs as many target rows as feature rows")
        if any(len(row) != n_features for row in self.table_x):
            raise ValueError("a neighbour row does not have one value per feature")
        if any(len(row) != n_targets for row in self.table_y):
            raise ValueError("a target row does not have one value per target")
        if not 1 <= self.k <= len(self.table_x):
            raise ValueError(f"k={self.k} must be between 1 and {len(self.table_x)} (the rows)")

    def parameters(self) -> dict[str, Any]:
        """Everything the predictor is, as the constructor's keyword arguments."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Predictor) and self.parameters() == other.parameters()

    def __hash__(self) -> int:
        return hash(tuple(self.parameters().values()))

    def scaled(self, values: Sequence[float]) -> tuple[float, ...]:
        return tuple((v - m) / s for v, m, s in zip(values, self.mean, self.scale, strict=True))

    def neighbours(self, values: Sequence[float]) -> list[tuple[float, int]]:
        """(euclidean distance, row index) of the k nearest rows, nearest first."""
        z = self.scaled(values)
        # math.dist and a key sort run in C: a few hundred rows take tens of microseconds. The
        # sort is stable, so equidistant rows come lowest index first.
        distances = list(map(math.dist, repeat(z), self.table_x))
        nearest = sorted(range(len(distances)), key=distances.__getitem__)[: self.k]
        return [(distances[index], index) for index in nearest]

    def predict_one(self, values: Sequence[float]) -> tuple[float, ...]:
        """The mean target of the k nearest weeks, one value per target."""
        if len(values) != len(self.feature_names):
            raise ValueError(f"expected {len(self.feature_names)} values: {self.feature_names}")
        chosen = [self.table_y[index] for _, index in self.neighbours(values)]
        return tuple(sum(column) / len(chosen) for column in zip(*chosen, strict=True))

    def predict(self, rows: Sequence[Sequence[float]]) -> list[tuple[float, ...]]:
        return [self.predict_one(row) for row in rows]

    @classmethod
    def from_pipeline(
        cls,
        pipeline: Any,
        x: Any,
        y: Any,
        feature_names: Sequence[str],
        target_names: Sequence[str],
    ) -> Predictor:
        """Copies a fitted Pipeline(StandardScaler, KNeighborsRegressor) trained on (x, y)."""
        scaler, knn = pipeline[0], pipeline[-1]
        if knn.weights != "uniform" or knn.effective_metric_ != "euclidean":
            raise ValueError("only uniform weights and the euclidean metric are supported")
        return cls(
            feature_names,
            target_names,
            scaler.mean_.tolist(),
            scaler.scale_.tolist(),
            scaler.transform(x).tolist(),
            [list(row) for row in (y.tolist() if hasattr(y, "tolist") else y)],
            knn.n_neighbors,
        )
