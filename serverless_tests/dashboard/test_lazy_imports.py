"""What the dashboard's shared modules import: the login page's cold start pays for no numpy,
pandas or plotly they would bring."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "plotly")


# (Dash itself imports plotly.graph_objects: a module that imports dash pays for it anyway.)
@pytest.mark.parametrize("module", ["dashboard.data", "dashboard.logic.common"])
def test_importing_leaves_the_heavy_libraries_out(module: str) -> None:
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [], f"{module} imports {out}"


def test_the_dict_helpers_work_without_plotly_loaded() -> None:
    code = ("import sys; from dashboard.logic.common import empty_dict, round_list; "
            "f = empty_dict('nothing yet'); r = round_list([1.234, float('nan')]); "
            "print('plotly' in sys.modules, f['layout']['annotations'][0]['text'], r)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False nothing yet [1.23, None]"
