"""The plain-dict figure helpers: the house look without graph_objects, valid for plotly.js."""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import pytest

from dashboard.logic.common import (
    TEMPLATE,
    empty_dict,
    empty_figure,
    figure_dict,
    style,
    use_light_template,
)


def test_figure_dict_has_the_look_style_gives_a_graph_objects_figure() -> None:
    use_light_template()
    styled = style(go.Figure(), 420).to_plotly_json()["layout"]
    plain = figure_dict([], 420)["layout"]
    for key in ("height", "margin", "legend", "title", "font"):
        assert plain[key] == styled[key], key
    assert plain["template"] == TEMPLATE


def test_figure_dict_merges_layout_keywords_over_the_look() -> None:
    trace = {"type": "scatter", "x": [1, 2], "y": [3.5, 4.0], "name": "weight"}
    fig = figure_dict([trace], 280, title="Weight", xaxis={"title": {"text": "date"}},
                      margin={"t": 10}, showlegend=False)
    layout = fig["layout"]
    assert fig["data"] == [trace]
    assert layout["height"] == 280
    assert layout["title"] == {"x": 0.01, "xanchor": "left", "text": "Weight"}
    assert layout["margin"] == {"l": 55, "r": 15, "t": 10, "b": 45}
    assert layout["xaxis"] == {"title": {"text": "date"}}
    assert layout["showlegend"] is False


def test_figure_dict_does_not_share_state_between_figures() -> None:
    first = figure_dict([], margin={"t": 99})
    first["layout"]["template"]["layout"]["colorway"].append("#000000")
    second = figure_dict([])
    assert second["layout"]["margin"]["t"] == 40
    assert "#000000" not in second["layout"]["template"]["layout"]["colorway"]


@pytest.mark.parametrize("make", [
    lambda: figure_dict([{"type": "bar", "x": ["a"], "y": [1]}], 300, yaxis2={"overlaying": "y"}),
    lambda: empty_dict("Sync Withings to see your weight."),
])
def test_dicts_are_json_and_valid_plotly(make: Any) -> None:
    fig = make()
    json.dumps(fig)
    go.Figure(fig)  # plotly's own validation raises on any property plotly.js does not know


def test_empty_dict_says_what_is_missing_like_empty_figure() -> None:
    message = "No runs with a GPS route in this range."
    plain = empty_dict(message, 420)
    old = empty_figure(message, 420).to_plotly_json()
    assert plain["data"] == []
    assert plain["layout"]["annotations"][0]["text"] == message
    assert plain["layout"]["annotations"][0] == old["layout"]["annotations"][0]
    assert plain["layout"]["xaxis"] == {"visible": False} == old["layout"]["xaxis"]
    assert plain["layout"]["height"] == 420


def _round_list_one_by_one(values: list[float | None], digits: int) -> list[float | None]:
    """The straightforward rounding round_list must match value for value."""
    import math

    return [None if v is None or (isinstance(v, float) and math.isnan(v))
            else round(float(v), digits) for v in values]


def test_round_list_matches_rounding_one_by_one_for_lists_arrays_and_series() -> None:
    import numpy as np
    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    floats = st.one_of(st.floats(allow_infinity=False, width=64), st.none(),
                       st.integers(-10**6, 10**6).map(float))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(floats, max_size=40), st.integers(0, 4))
    def check(values: list[float | None], digits: int) -> None:
        from dashboard.logic.common import round_list

        expected = _round_list_one_by_one(values, digits)
        assert round_list(values, digits) == expected
        as_float = [np.nan if v is None else v for v in values]
        assert round_list(np.array(as_float, dtype=float), digits) == expected
        assert round_list(pd.Series(as_float, dtype=float), digits) == expected

    check()
    from dashboard.logic.common import round_list

    assert round_list(pd.Series([1, 2], dtype="int64")) == [1.0, 2.0]
