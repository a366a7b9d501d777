"""Static hosting: the Dash internals it overrides are still there, and a page links the base.

When a Dash upgrade breaks these, re-read dashboard/static_hosting.py against the new Dash
before moving DASH_WRITTEN_FOR and the pin in pyproject.toml."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import dash
import pytest
from dash import dcc

from dashboard.static_hosting import (
    DASH_WRITTEN_FOR,
    StaticHostedDash,
    bundle_path,
    dependencies_key,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://static.example/pulseboard"


def test_the_installed_dash_is_the_one_static_hosting_was_written_for() -> None:
    assert dash.__version__.startswith(DASH_WRITTEN_FOR + "."), (
        f"Dash {dash.__version__} is installed but dashboard/static_hosting.py overrides private "
        f"methods of Dash {DASH_WRITTEN_FOR}: check them against the new release, then move "
        "DASH_WRITTEN_FOR and the pin in pyproject.toml")


@pytest.mark.parametrize("method,parameters", [
    ("_collect_and_register_resources", [("resources", inspect.Parameter.empty),
                                         ("include_async", True), ("url_attr", "src")]),
    ("_setup_plotlyjs", []),
    ("interpolate_index", [(p, "") for p in ("metas", "title", "css", "config", "scripts",
                                              "app_entry", "favicon", "renderer")]),
])
def test_the_dash_methods_it_overrides_keep_their_signatures(
    method: str, parameters: list[tuple[str, Any]],
) -> None:
    found = inspect.signature(getattr(dash.Dash, method)).parameters
    assert [(p.name, p.default) for p in found.values()][1:] == parameters, (
        f"dash.Dash.{method} changed: StaticHostedDash overrides it")


def test_the_dash_internals_it_reads_are_there(config: Any) -> None:
    from dashboard.app import build

    init = inspect.signature(dash.Dash.__init__).parameters
    assert {"serve_locally", "assets_external_path"} <= set(init)
    app = build(config)[1]
    for name in ("_favicon", "_plotlyjs_url", "scripts", "css"):
        assert hasattr(app, name), f"Dash no longer has {name}: StaticHostedDash relies on it"
    assert hasattr(app.scripts.config, "serve_locally")
    assert hasattr(app.css.config, "serve_locally")
    plotly = [r for r in dcc._js_dist if r.get("namespace") == "plotly"]
    assert plotly and plotly[0]["relative_package_path"] == "package_data/plotly.min.js"
    assert StaticHostedDash.__mro__[1] is dash.Dash


def test_the_renderer_still_asks_for_its_dependencies_under_the_request_prefix() -> None:
    """The page reroutes the renderer's GET of `<requests_pathname_prefix>_dash-dependencies`:
    Dash 4.4's renderer makes every request URL as `urlBase(config) + endpoint`, and asks for the
    callback list by that one name with GET."""
    build = Path(dash.__file__).parent / "dash-renderer" / "build"
    shipped = (build / "dash_renderer.min.js").read_text()
    assert '"_dash-dependencies","GET","dependenciesRequest"' in shipped
    source = (build / "dash_renderer.dev.js").read_text()
    assert "url = \"\".concat((0,_utils__WEBPACK_IMPORTED_MODULE_3__.urlBase)(config))" \
        ".concat(endpoint);" in source
    assert "var base = hasReqPrefix ? config.requests_pathname_prefix : " \
        "config.url_base_pathname;" in source


def test_bundle_paths_carry_the_package_and_its_version() -> None:
    assert bundle_path("dash", "favicon.ico") == f"dash/{dash.__version__}/favicon.ico"


def rendered(db_url: str) -> None:
    """(In a fresh process, since Dash is built once per process.) Prints what a signed-in
    page and the login page link, with the dashboard built for BASE."""
    from dashboard import data
    from dashboard.app import build
    from dashboard.auth import users
    from dashboard.config import DashboardConfig

    config = DashboardConfig(store_url=db_url, secret_key="k" * 32, assets_url=BASE)
    users.add(data.store_for(config), "ann", "password-123", "owner")
    server, app = build(config)
    # As `make publish-assets` makes it: before this process has answered any request.
    published = app.dependencies_body()
    client = server.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    client.post("/login", data={"csrf_token": token.group(1), "username": "ann",
                                "password": "password-123"})
    answer = client.get("/weight")
    page = answer.get_data(as_text=True)
    dependencies = client.get("/_dash-dependencies")
    assert dependencies.status_code == 200
    suite = f"/_dash-component-suites/dash/dcc/{bundle_path('dash', 'dcc/dash_core_components.js')}"
    print(json.dumps({
        "page": page, "login": form, "suite_status": client.get(suite).status_code,
        "registered": sorted(app.registered_paths),
        "csp": answer.headers["Content-Security-Policy"],
        "dependencies_key": dependencies_key(dependencies.get_data()),
        "dependencies_body_key": dependencies_key(published),
        "layout": client.get("/_dash-layout").get_json(),
    }))


def test_a_page_links_every_bundle_under_the_base(tmp_path: Path) -> None:
    script = (f"from serverless_tests.dashboard.test_static_hosting import rendered; "
              f"rendered({f'sqlite:///{tmp_path / "store.db"}'!r})")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    page = out["page"]
    urls = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith(BASE + "/") for u in urls), urls
    assert f'{BASE}/dash/{dash.__version__}/favicon.ico' in page
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))  # type: ignore[union-attr]
    assert config["plotlyjs_url"].startswith(f"{BASE}/plotly/")
    assert f'href="{BASE}/assets/style.css' in out["login"]
    assert out["registered"] == []  # nothing moved can be asked of this server
    assert out["suite_status"] != 200


def test_the_page_fetches_its_dependencies_from_their_published_copy(tmp_path: Path) -> None:
    script = (f"from serverless_tests.dashboard.test_static_hosting import rendered; "
              f"rendered({f'sqlite:///{tmp_path / "store.db"}'!r})")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # What is published is what this server answers `_dash-dependencies` with.
    assert out["dependencies_key"] == out["dependencies_body_key"]
    assert out["dependencies_key"].startswith("dash-dependencies/")
    found = re.search(r'<script id="_pulseboard-dependencies">(.*?)</script>\s*'
                      r'<script id="_dash-renderer"', out["page"], re.S)
    assert found, "the reroute must run before the renderer starts"
    reroute = found.group(1)
    assert f'to = "{BASE}/{out["dependencies_key"]}"' in reroute
    assert 'from = "/_dash-dependencies"' in reroute
    assert "fallback" in reroute and 'credentials: "omit"' in reroute
    # Allowed by the page's content policy (by its hash), fetched from the assets' origin.
    from dashboard.headers import inline_script_hashes

    script_src = next(d for d in out["csp"].split("; ") if d.startswith("script-src"))
    assert set(inline_script_hashes(out["page"])) <= set(script_src.split())
    connect = next(d for d in out["csp"].split("; ") if d.startswith("connect-src"))
    assert "https://static.example" in connect.split()
    # The login page runs no renderer: nothing rerouted there.
    assert "_pulseboard-dependencies" not in out["login"]


def test_the_page_carries_its_layout(tmp_path: Path) -> None:
    """The renderer's first `_dash-layout` is answered from the page: the visitor's own layout,
    made in the page's request (behind the login), exactly what the route would answer."""
    script = (f"from serverless_tests.dashboard.test_static_hosting import rendered; "
              f"rendered({f'sqlite:///{tmp_path / "store.db"}'!r})")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    found = re.search(r'<script id="_pulseboard-layout" type="application/json">(.*?)</script>'
                      r'\s*<script id="_pulseboard-dependencies">(.*?)</script>', out["page"], re.S)
    assert found, "the layout must be in the page before the script that hands it over"
    written, reroute = found.groups()
    assert "<" not in written
    assert json.loads(written) == out["layout"]
    assert "app-user" in written and "ann" in written  # the signed-in visitor's own
    assert 'layoutFrom = "/_dash-layout"' in reroute
