"""Weight page: raw points, a rolling mean, a smoothed trend with its weekly rate, weekly bars.

Figures are plain dicts (common.figure_dict); times are drawn on the viewer's local clock and
every daily and weekly bucket is a local day or a local Monday-to-Sunday week."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Literal

import numpy as np
import pandas as pd

from core import units
from dashboard.logic.common import COLORS, MAX_POINTS, empty_dict, figure_dict, round_list

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


def unit_of(kind: str, unit: str = "metric") -> str:
    """The unit a measurement reads in for the viewer: masses follow their units, % stays."""
    stored = LABELS.get(kind, ("", ""))[1]
    return units.label("weight", unit) if stored == "kg" else stored


def label(kind: str, unit: str = "metric") -> str:
    """"Weight (lb)" for an imperial viewer, "Fat ratio (%)" for everyone."""
    name = LABELS.get(kind, (kind, ""))[0]
    return f"{name} ({unit_of(kind, unit)})"


def options(kinds: tuple[str, ...] | list[str], unit: str = "metric") -> list[dict[str, str]]:
    """The Measurement dropdown's options, labelled in the viewer's units."""
    return [{"label": label(k, unit), "value": k} for k in kinds]


def local_times(frame: pd.DataFrame, tz: tzinfo | None) -> pd.DataFrame:
    """`frame` with `time` as the viewer's local wall clock (naive): what the browser draws and
    what daily and weekly buckets fall on."""
    if tz is None or frame.empty:
        return frame
    times = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    return frame.assign(time=times)


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


def _days(times: Any) -> np.ndarray:
    """Naive datetimes (or UTC ones, as UTC) as numpy days."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy().astype("datetime64[D]")


def _mondays(days: np.ndarray) -> np.ndarray:
    """Each day's ISO week's Monday (1970-01-01 was a Thursday)."""
    n = days.astype(np.int64)
    return (n - (n + 3) % 7).astype("datetime64[D]")


def _means(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct keys, the mean of the non-missing values of each); a key with none is
    left out, as pandas' resample(...).mean().dropna() leaves it out."""
    ok = ~np.isnan(values)
    first, inverse = np.unique(keys[ok], return_inverse=True)
    sums = np.bincount(inverse, weights=values[ok], minlength=len(first))
    counts = np.bincount(inverse, minlength=len(first))
    return first, sums / counts


def weekly_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Change of the weekly mean from one week (Monday to Sunday) with data to the next."""
    if frame.empty:
        return pd.DataFrame({"week": pd.Series(dtype="datetime64[ns]"),
                             "change": pd.Series(dtype=float)})
    weeks, means = _means(_mondays(_days(frame["time"])), frame["value"].to_numpy(float))
    return pd.DataFrame({"week": weeks[1:].astype("datetime64[ns]"), "change": np.diff(means)})


def downsample(times: Any, values: Any, max_points: int = MAX_POINTS
               ) -> tuple[np.ndarray, np.ndarray]:
    """common.downsample_time in numpy: means over days, else weeks (labelled by their Sunday,
    as pandas' "W"), else months (their first day) when a series is longer than the browser
    needs; pandas' resample built its week and month bins slowly, on every view."""
    stamps = pd.DatetimeIndex(times)
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    moments = stamps.to_numpy()
    numbers = np.asarray(values, dtype=float)
    if len(moments) <= max_points:
        return moments, numbers
    days = moments.astype("datetime64[D]")
    for keys in (days, _mondays(days) + np.timedelta64(6, "D"),
                 days.astype("datetime64[M]").astype("datetime64[D]")):
        binned, means = _means(keys, numbers)
        if len(binned) <= max_points:
            break
    return binned.astype("datetime64[ns]"), means


def _x(times: Any, fmt: Literal["D", "s"] = "s") -> list[str]:
    """Naive datetimes as ISO strings plotly.js reads as they are (no zone shift)."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:  # no viewer's zone given: drawn as stored, in UTC
        index = index.tz_convert("UTC").tz_localize(None)
    return list(np.datetime_as_string(index.to_numpy(), unit=fmt))


def figures(frame: pd.DataFrame, kind: str, window_days: int, unit: str = "metric",
            tz: tzinfo | None = None, stone: bool = False
            ) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(main figure, weekly-change bars, summary text) for one measurement type, masses in the
    viewer's units and times on their clock (`tz`; None: as given). `stone`: the latest body
    weight also reads in stones and pounds (rates stay in lb, and the text says so)."""
    shown_unit = unit_of(kind, unit)
    if frame.empty:
        message = (
            f"No {LABELS.get(kind, (kind,))[0].lower()} data in this range yet — "
            "run `python -m collectors sync --source withings` or widen the dates."
        )
        return empty_dict(message), empty_dict("Weekly changes appear once there is data."), ""
    latest_si = float(frame.sort_values("time")["value"].iloc[-1])
    if shown_unit != LABELS.get(kind, ("", ""))[1]:
        frame = frame.assign(value=frame["value"] * units.factor("weight", unit))
    frame = local_times(frame, tz).sort_values("time")
    zone_note = "" if tz is None else f" ({getattr(tz, 'key', str(tz))} time)"
    rolling = frame.set_index("time")["value"].rolling(f"{int(window_days)}D").mean().reset_index()
    smooth, rate = trend(frame)
    shown_x, shown_y = downsample(frame["time"], frame["value"])
    rolling_x, rolling_y = downsample(rolling["time"], rolling["value"])
    kept = smooth.dropna()
    smooth_x, smooth_y = downsample(kept.index, kept.to_numpy())
    axis_title = label(kind, unit)
    hover = f"%{{x|%d %b %Y, %H:%M}}<br>%{{y}} {shown_unit}<extra>%{{fullData.name}}</extra>"
    fig = figure_dict([
        {"type": "scatter", "x": _x(shown_x), "y": round_list(shown_y),
         "mode": "markers", "name": "measurements", "hovertemplate": hover,
         "marker": {"size": 4, "color": "rgba(44,123,229,0.35)"}},
        {"type": "scatter", "x": _x(rolling_x), "y": round_list(rolling_y),
         "mode": "lines", "name": f"{window_days}-day mean", "hovertemplate": hover,
         "line": {"color": COLORS["main"], "width": 2}},
        {"type": "scatter", "x": _x(smooth_x), "y": round_list(smooth_y),
         "mode": "lines", "name": "trend", "hovertemplate": hover,
         "line": {"color": COLORS["accent"], "width": 2, "dash": "dash"}},
    ], 400, yaxis={"title": {"text": axis_title}},
        xaxis={"title": {"text": "date" + zone_note}})

    weekly = weekly_changes(frame)
    if weekly.empty:
        bars = empty_dict("Weekly changes need at least two weeks of data.")
    else:
        change = weekly["change"].to_numpy()
        colors = np.where(change > 0, COLORS["bad"], COLORS["good"]).tolist()
        bars = figure_dict([{
            "type": "bar", "x": _x(weekly["week"], "D"), "y": round_list(change),
            "marker": {"color": colors}, "name": "weekly change",
            "hovertemplate": f"week of %{{x|%d %b %Y}}<br>%{{y:+}} {shown_unit}<extra></extra>",
        }], 280, yaxis={"title": {"text": f"change per week ({shown_unit})"}},
            xaxis={"title": {"text": "week starting (Monday)"}})

    latest = float(frame["value"].iloc[-1])
    if stone and kind in ("weight_kg",) and unit == "imperial":
        text = f"Latest {units.fmt_stone(latest_si)} ({latest:.1f} {shown_unit})"
    else:
        text = f"Latest {latest:.1f} {shown_unit}"
    if rate is not None:
        text += f" · trend {rate:+.2f} {shown_unit}/week over the last 4 weeks"
        if stone and kind == "weight_kg" and unit == "imperial":
            text += " (rates in lb)"
    return fig, bars, text
