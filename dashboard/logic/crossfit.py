"""Crossfit page: per exercise, the session maxima and volumes and an estimated 1-rep max.

Figures are plain dicts (common.figure_dict). Session dates are the sheet's calendar dates:
drawn as written ("2026-10-01"), never turned into instants or shifted by a zone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core import units
from dashboard.logic.common import COLORS, empty_dict, figure_dict, round_list

ONE_RM_FORMULA = "Epley: 1RM = weight × (1 + reps / 30)"
EMPTY = (
    "No lifting log yet — run `python -m collectors sync --source sheets` "
    "(or pick another exercise)."
)


def epley_1rm(weight_kg: float, reps: int) -> float:
    """Estimated one-rep max; a single is its own 1RM."""
    if reps <= 1:
        return float(weight_kg)
    return float(weight_kg) * (1 + reps / 30)


def sessions(sets: pd.DataFrame, exercise: str) -> pd.DataFrame:
    """One row per session day for an exercise."""
    rows = sets[sets["exercise"] == exercise].copy()
    if rows.empty:
        return pd.DataFrame(columns=["date", "max_weight_kg", "total_reps", "avg_weight_per_rep_kg",
                                     "volume_kg", "e1rm_kg"])
    weight = rows["weight_kg"].to_numpy(dtype=float)
    reps = rows["reps"].to_numpy(dtype=float)
    rows["volume_kg"] = weight * reps
    rows["e1rm_kg"] = np.where(reps <= 1, weight, weight * (1 + reps / 30))
    grouped = rows.groupby("date").agg(
        max_weight_kg=("weight_kg", "max"), total_reps=("reps", "sum"),
        volume_kg=("volume_kg", "sum"), e1rm_kg=("e1rm_kg", "max"),
    ).reset_index()
    grouped["avg_weight_per_rep_kg"] = grouped["volume_kg"] / grouped["total_reps"].where(
        grouped["total_reps"] > 0)
    return grouped


def _dates(column: pd.Series) -> list[str]:
    """Calendar dates as "YYYY-MM-DD": a date axis with no clock and no zone."""
    return list(np.datetime_as_string(pd.DatetimeIndex(column).to_numpy(), unit="D"))


def _axis(text: str, **more: Any) -> dict[str, Any]:
    return {"title": {"text": text}, **more}


def figures(sets: pd.DataFrame, exercise: str | None, unit: str = "metric"
            ) -> dict[str, dict[str, Any]]:
    """The exercise's figures, weights in the viewer's units (the columns keep their SI names:
    only the numbers shown and the labels change)."""
    mass = units.label("lifted", unit)
    if unit != "metric" and not sets.empty:
        sets = sets.assign(weight_kg=sets["weight_kg"] * units.factor("lifted", unit))
    if sets.empty or not exercise or exercise not in set(sets["exercise"]):
        blank = empty_dict(EMPTY)
        return {"progress": blank, "e1rm": blank, "scatter": blank, "volume": blank}
    per = sessions(sets, exercise)
    days = _dates(per["date"])
    panels = (
        ("max_weight_kg", "max weight", f"max ({mass})", mass),
        ("total_reps", "total reps", "reps", "reps"),
        ("avg_weight_per_rep_kg", "avg weight per rep", f"{mass} / rep", f"{mass} / rep"),
    )
    # Three panels sharing one date axis, as make_subplots(rows=3, shared_xaxes=True,
    # vertical_spacing=0.06) laid them out.
    height = (1 - 2 * 0.06) / 3
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    for row, (col, name, title, shown) in enumerate(panels, start=1):
        axis = "" if row == 1 else str(row)
        traces.append({"type": "scatter", "x": days, "y": round_list(per[col]), "name": name,
                       "mode": "lines+markers", "marker": {"size": 5},
                       "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                       "hovertemplate": f"%{{x|%d %b %Y}}<br>%{{y}} {shown}<extra>{name}</extra>"})
        top = 1 - (row - 1) * (height + 0.06)
        layout[f"yaxis{axis}"] = _axis(title, anchor=f"x{axis}", domain=[top - height, top])
        layout[f"xaxis{axis}"] = {"anchor": f"y{axis}", "domain": [0.0, 1.0],
                                  **({} if row == 3 else {"matches": "x3", "showticklabels":
                                                          False}),
                                  **({"title": {"text": "session date"}} if row == 3 else {})}
    progress = figure_dict(traces, 560, **layout)

    e1rm = figure_dict([{
        "type": "scatter", "x": days, "y": round_list(per["e1rm_kg"], 1), "mode": "lines+markers",
        "name": "estimated 1RM", "line": {"color": COLORS["accent"]},
        "hovertemplate": f"%{{x|%d %b %Y}}<br>%{{y}} {mass}<extra>estimated 1RM</extra>"}],
        title={"text": "Estimated 1-rep max (Epley)", "font": {"size": 13}},
        yaxis=_axis(f"estimated 1RM ({mass})"), xaxis=_axis("session date"))

    rows = sets[sets["exercise"] == exercise]
    scatter = figure_dict([{
        "type": "scatter", "x": rows["reps"].tolist(), "y": round_list(rows["weight_kg"]),
        "mode": "markers", "marker": {"size": 7, "opacity": 0.5}, "name": "sets",
        "hovertemplate": f"%{{x}} reps at %{{y}} {mass}<extra></extra>"}],
        xaxis=_axis("reps per set"), yaxis=_axis(f"weight ({mass})"))

    volume = figure_dict([{
        "type": "scatter", "x": per["total_reps"].tolist(), "y": round_list(per["volume_kg"], 1),
        "mode": "markers", "text": days, "marker": {"size": 8, "color": COLORS["main"]},
        "name": "sessions",
        "hovertemplate": f"%{{text}}<br>%{{x}} reps, %{{y}} {mass}<extra></extra>"}],
        xaxis=_axis("reps per session"), yaxis=_axis(f"total weight lifted per session ({mass})"))
    return {"progress": progress, "e1rm": e1rm, "scatter": scatter, "volume": volume}
