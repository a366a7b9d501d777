"""Figure helpers shared by the pages: one look, empty states, and downsampling for the browser."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy, pandas and plotly cost 1 s of import: the login page needs none
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go

MAX_POINTS = 1500  # per trace: enough to read a decade, small enough to ship gzipped < 150 KiB
COLORS = {"main": "#2c7be5", "accent": "#e5632c", "good": "#2a9d5c", "bad": "#d64545"}


# A small template of our own: plotly's named templates are re-validated on every figure,
# which cost more server time than the data did.
TEMPLATE = {
    "layout": {
        "colorway": ["#2c7be5", "#e5632c", "#2a9d5c", "#d64545", "#6f42c1", "#20c997"],
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "xaxis": {"gridcolor": "#ebeef2", "zerolinecolor": "#d5dae1", "automargin": True},
        "yaxis": {"gridcolor": "#ebeef2", "zerolinecolor": "#d5dae1", "automargin": True},
        "hovermode": "closest",
    }
}


# The look style() gives a graph_objects figure, for figures built as plain dicts.
BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 55, "r": 15, "t": 40, "b": 45},
    "legend": {"orientation": "h", "y": -0.2},
    "title": {"x": 0.01, "xanchor": "left"},  # clear of the mode bar on the right
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, nested dicts merged key by key (a title string becomes its text)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if key == "title" and isinstance(value, str):
            value = {"text": value}
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def figure_dict(traces: list[dict[str, Any]], height: int = 360, **layout: Any) -> dict[str, Any]:
    """A figure as the plain dict dcc.Graph takes, with the house look: no graph_objects
    validation, which was half a figure callback's server time. Traces go as given (plotly.js
    checks them); `layout` keywords are merged over the look (`title="…"` is the title's text)."""
    look = _merge({"template": TEMPLATE, "height": height}, BASE_LAYOUT)
    return {"data": list(traces), "layout": _merge(look, layout)}


def empty_dict(message: str, height: int = 300) -> dict[str, Any]:
    """A blank figure dict that says what is missing and how to get it."""
    return figure_dict([], height, annotations=[{
        "text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
        "font": {"size": 14, "color": "#6c757d"},
    }], xaxis={"visible": False}, yaxis={"visible": False})


def use_light_template() -> None:
    """Every new figure copies the default template: make that default our small one."""
    import plotly.graph_objects as go
    import plotly.io as pio

    if pio.templates.default != "pulseboard":
        pio.templates["pulseboard"] = go.layout.Template(TEMPLATE)
        pio.templates.default = "pulseboard"


def style(fig: go.Figure, height: int = 360) -> go.Figure:
    fig.update_layout(height=height, **BASE_LAYOUT)
    return fig


def empty_figure(message: str, height: int = 300) -> go.Figure:
    """A blank figure that says what is missing and how to get it."""
    import plotly.graph_objects as go

    use_light_template()
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        font={"size": 14, "color": "#6c757d"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, height)


def downsample_time(frame: pd.DataFrame, time_col: str, value_col: str,
                    max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Means over equal time buckets when a series is longer than the browser needs."""
    if len(frame) <= max_points:
        return frame
    for rule in ("D", "W", "MS"):
        binned = (
            frame.set_index(time_col)[value_col].resample(rule).mean().dropna().reset_index()
        )
        if len(binned) <= max_points:
            return binned
    return binned


def downsample_index(length: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Evenly spaced indices (first and last kept) for along-track series."""
    import numpy as np

    if length <= max_points:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, max_points).round().astype(int))


def round_list(values: list[float] | np.ndarray | pd.Series,
               digits: int = 2) -> list[float | None]:
    """Fewer digits, fewer bytes: the screen cannot show more anyway. Missing values (None,
    NaN) are None."""
    # .tolist() turns an array's or a Series' numbers into Python floats in one call; round()
    # on each is Python's own (correctly rounded) rounding, as before, only without numpy
    # scalars in the loop.
    plain = values.tolist() if hasattr(values, "tolist") else values
    return [None if v is None or v != v else round(float(v), digits) for v in plain]
