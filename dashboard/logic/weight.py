"""Weight page: raw points, a rolling mean, a smoothed trend with its weekly rate, weekly bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import units
from dashboard.logic.common import COLORS, downsample_time, empty_figure, round_list, style

LABELS = {
    "weight_kg": ("Weight", "kg"),
    "fat_ratio_pct": ("Fat ratio", "%"),
    "fat_mass_kg": ("Fat mass", "kg"),
    "fat_free_mass_kg": ("Fat-free mass", "kg"),
    "muscle_mass_kg": ("Muscle mass", "kg"),
    "bone_mass_kg": ("Bone mass", "kg"),
    "hydration_kg": ("Hydration", "kg"),
}
TREND_HALFLIFE_DAYS = 10


def label(kind: str) -> str:
    name, unit = LABELS.get(kind, (kind, ""))
    return f"{name} ({unit})"


def trend(frame: pd.DataFrame) -> tuple[pd.Series, float | None]:
    """Daily means smoothed exponentially; the weekly rate is the least-squares slope of the
    daily means over the last 28 days (the smoothed line lags, so it would understate it)."""
    daily = frame.set_index("time")["value"].resample("D").mean().interpolate(limit_area="inside")
    smooth = daily.ewm(halflife=f"{TREND_HALFLIFE_DAYS}D", times=daily.index).mean()
    tail = daily.dropna()
    tail = tail[tail.index >= tail.index.max() - pd.Timedelta(days=28)] if len(tail) else tail
    if len(tail) < 2:
        return smooth, None
    days = (tail.index - tail.index[0]).total_seconds().to_numpy() / 86400
    slope_per_day = float(np.polyfit(days, tail.to_numpy(), 1)[0])
    return smooth, slope_per_day * 7


def weekly_changes(frame: pd.DataFrame) -> pd.DataFrame:
    weekly = frame.set_index("time")["value"].resample("W-MON", label="left").mean().dropna()
    out = weekly.diff().dropna().reset_index()
    out.columns = ["week", "change"]
    return out


def figures(frame: pd.DataFrame, kind: str, window_days: int, unit: str = "metric"
            ) -> tuple[go.Figure, go.Figure, str]:
    """(main figure, weekly-change bars, summary text) for one measurement type, masses in the
    viewer's units."""
    if LABELS.get(kind, ("", ""))[1] == "kg" and unit != "metric" and not frame.empty:
        frame = frame.assign(value=frame["value"] * units.factor("weight", unit))
        shown_unit = units.label("weight", unit)
    else:
        shown_unit = LABELS.get(kind, ("", ""))[1]
    if frame.empty:
        message = (
            f"No {LABELS.get(kind, (kind,))[0].lower()} data in this range yet — "
            "run `python -m collectors sync --source withings` or widen the dates."
        )
        return empty_figure(message), empty_figure("Weekly changes appear once there is data."), ""
    frame = frame.sort_values("time")
    unit_label = f"{LABELS.get(kind, (kind,))[0]} ({shown_unit})"
    rolling = frame.set_index("time")["value"].rolling(f"{int(window_days)}D").mean().reset_index()
    smooth, rate = trend(frame)
    shown = downsample_time(frame, "time", "value")
    rolling = downsample_time(rolling, "time", "value")
    smooth_frame = downsample_time(smooth.dropna().rename("value").reset_index(), "time", "value")

    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=shown["time"], y=round_list(shown["value"]), mode="markers", name="measurements",
        marker={"size": 4, "color": "rgba(44,123,229,0.35)"},
    ))
    fig.add_trace(go.Scatter(
        x=rolling["time"], y=round_list(rolling["value"]), mode="lines",
        name=f"{window_days}-day mean", line={"color": COLORS["main"], "width": 2},
    ))
    fig.add_trace(go.Scatter(
        x=smooth_frame["time"], y=round_list(smooth_frame["value"]), mode="lines", name="trend",
        line={"color": COLORS["accent"], "width": 2, "dash": "dash"},
    ))
    fig.update_yaxes(title_text=unit_label)
    fig.update_xaxes(title_text="date")
    style(fig, 400)

    weekly = weekly_changes(frame)
    bars = go.Figure()
    if weekly.empty:
        bars = empty_figure("Weekly changes need at least two weeks of data.")
    else:
        colors = [COLORS["bad"] if c > 0 else COLORS["good"] for c in weekly["change"]]
        bars.add_trace(go.Bar(x=weekly["week"], y=round_list(weekly["change"]),
                              marker_color=colors, name="weekly change"))
        bars.update_yaxes(title_text=f"change per week ({shown_unit})")
        bars.update_xaxes(title_text="week starting")
        style(bars, 280)

    unit = shown_unit
    latest = float(frame["value"].iloc[-1])
    text = f"Latest {latest:.1f} {unit}"
    if rate is not None:
        text += f" · trend {rate:+.2f} {unit}/week over the last 4 weeks"
    return fig, bars, text
