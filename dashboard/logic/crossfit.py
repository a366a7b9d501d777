"""Crossfit page: per exercise, the session maxima and volumes and an estimated 1-rep max."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import units
from dashboard.logic.common import COLORS, empty_figure, round_list, style

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
    rows["volume_kg"] = rows["weight_kg"] * rows["reps"]
    rows["e1rm_kg"] = [epley_1rm(w, r) for w, r in zip(rows["weight_kg"], rows["reps"],
                                                         strict=True)]
    grouped = rows.groupby("date").agg(
        max_weight_kg=("weight_kg", "max"), total_reps=("reps", "sum"),
        volume_kg=("volume_kg", "sum"), e1rm_kg=("e1rm_kg", "max"),
    ).reset_index()
    grouped["avg_weight_per_rep_kg"] = grouped["volume_kg"] / grouped["total_reps"].where(
        grouped["total_reps"] > 0)
    return grouped


def figures(sets: pd.DataFrame, exercise: str | None, unit: str = "metric"
            ) -> dict[str, go.Figure]:
    """The exercise's figures, weights in the viewer's units (the columns keep their SI names:
    only the numbers shown and the labels change)."""
    mass = units.label("lifted", unit)
    if unit != "metric" and not sets.empty:
        sets = sets.assign(weight_kg=sets["weight_kg"] * units.factor("lifted", unit))
    if sets.empty or not exercise or exercise not in set(sets["exercise"]):
        blank = empty_figure(EMPTY)
        return {"progress": blank, "e1rm": blank, "scatter": blank, "volume": blank}
    per = sessions(sets, exercise)
    progress = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    for row, (col, name, unit) in enumerate((
        ("max_weight_kg", "max weight", f"max ({mass})"),
        ("total_reps", "total reps", "reps"),
        ("avg_weight_per_rep_kg", "avg weight per rep", f"{mass} / rep"),
    ), start=1):
        progress.add_trace(go.Scatter(x=per["date"], y=round_list(per[col]), name=name,
                                      mode="lines+markers", marker={"size": 5}), row=row, col=1)
        progress.update_yaxes(title_text=unit, row=row, col=1)
    progress.update_xaxes(title_text="session date", row=3, col=1)
    style(progress, 560)

    e1rm = go.Figure(go.Scatter(x=per["date"], y=round_list(per["e1rm_kg"], 1),
                                mode="lines+markers", name="estimated 1RM",
                                line={"color": COLORS["accent"]}))
    e1rm.update_layout(title={"text": "Estimated 1-rep max (Epley)", "font": {"size": 13}})
    e1rm.update_yaxes(title_text=f"estimated 1RM ({mass})")
    e1rm.update_xaxes(title_text="session date")
    style(e1rm)

    rows = sets[sets["exercise"] == exercise]
    scatter = go.Figure(go.Scatter(x=rows["reps"], y=rows["weight_kg"], mode="markers",
                                   marker={"size": 7, "opacity": 0.5}, name="sets"))
    scatter.update_xaxes(title_text="reps per set")
    scatter.update_yaxes(title_text=f"weight ({mass})")
    style(scatter)

    volume = go.Figure(go.Scatter(x=per["total_reps"], y=round_list(per["volume_kg"], 1),
                                  mode="markers", text=per["date"].astype(str),
                                  marker={"size": 8, "color": COLORS["main"]}, name="sessions"))
    volume.update_xaxes(title_text="reps per session")
    volume.update_yaxes(title_text=f"total weight lifted per session ({mass})")
    style(volume)
    return {"progress": progress, "e1rm": e1rm, "scatter": scatter, "volume": volume}
