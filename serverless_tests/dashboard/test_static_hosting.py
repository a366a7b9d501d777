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
VISITORS = ("visitorann", "visitorbob")


def test_the_installed_dash_is_the_one_static_hosting_was_written_for() -> None:
    assert dash.__version__.startswith(DASH_WRITTEN_FOR + "."), (
        f"Dash {dash.__version__} is installed but dashboard/static_hosting.py overrides private "
        f"methods of Dash {DASH_WRITTEN_FOR}: check them against the new release, then move "
        "DASH_WRITTEN_FOR and the pin in pyproject.toml")


@pytest.mark.parametrize("method,parameters", [
    ("_collect_and_register_resources", [("resources", inspect.Parameter.empty),
                                         ("include_async", True), ("url_attr", "src")]),
    ("_setup_plotlyjs", []),
    ("_config", []),
    ("index", [("_args", inspect.Parameter.empty), ("_kwargs", inspect.Parameter.empty)]),
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
    """(In a fresh process, since Dash is built once per process.) Prints what two signed-in
    visitors' page GETs and the login page link, and the shells, with the dashboard built for
    BASE."""
    from dashboard import data
    from dashboard.app import build
    from dashboard.auth import users
    from dashboard.config import DashboardConfig

    config = DashboardConfig(store_url=db_url, secret_key="k" * 32, assets_url=BASE)
    for name in VISITORS:
        users.add(data.store_for(config), name, "password-123",
                  "owner" if name == VISITORS[0] else "viewer")
    server, app = build(config)
    # As `make publish-assets` makes them: before this process has answered any request.
    published = app.dependencies_body()
    form = ""
    pages, sessions, csps = [], [], []
    for name in VISITORS:
        client = server.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        client.post("/login", data={"csrf_token": token.group(1), "username": name,
                                    "password": "password-123"})
        # The first shell is made inside this visitor's request: none of it may be theirs.
        answer = client.get("/weight")
        pages.append(answer.get_data(as_text=True))
        csps.append(answer.headers["Content-Security-Policy"])
        sessions.append(client.get("/_pulseboard/session?path=/weight").get_json())
    dependencies = client.get("/_dash-dependencies")
    assert dependencies.status_code == 200
    suite = f"/_dash-component-suites/dash/dcc/{bundle_path('dash', 'dcc/dash_core_components.js')}"
    print(json.dumps({
        "pages": pages, "login": form, "suite_status": client.get(suite).status_code,
        "registered": sorted(app.registered_paths), "csps": csps,
        "cache_control": answer.headers["Cache-Control"],
        "dependencies_key": dependencies_key(dependencies.get_data()),
        "dependencies_body_key": dependencies_key(published),
        "shells": {path: app.shell_html(path) for path in app.shell_paths()},
        "again": app.shell_html("/weight"), "sessions": sessions,
    }))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = f"sqlite:///{tmp_path_factory.mktemp('static') / 'store.db'}"
    script = ("from serverless_tests.dashboard.test_static_hosting import rendered; "
              f"rendered({db!r})")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_page_links_every_bundle_under_the_base(out: dict[str, Any]) -> None:
    page = out["pages"][0]
    urls = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith(BASE + "/") for u in urls), urls
    assert f'{BASE}/dash/{dash.__version__}/favicon.ico' in page
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))  # type: ignore[union-attr]
    assert config["plotlyjs_url"].startswith(f"{BASE}/plotly/")
    assert f'href="{BASE}/assets/style.css' in out["login"]
    assert out["registered"] == []  # nothing moved can be asked of this server
    assert out["suite_status"] != 200


def test_the_page_is_the_same_shell_for_every_visitor_and_request(out: dict[str, Any]) -> None:
    ann, bob = out["pages"]
    assert ann == bob == out["shells"]["/weight"] == out["again"]
    for visitor in out["sessions"]:
        for field in ("csrf_token", "who"):
            assert visitor[field] not in ann, field
    assert not [name for name in VISITORS if name in ann]
    # Nothing of a request or a moment: no signed per-load token, no file times.
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>',
                                  ann, re.S).group(1))  # type: ignore[union-attr]
    assert "end_id" not in config and "python_version" not in config
    assert re.search(r"style\.css\?m=[0-9a-f]{12}\"", ann)
    assert out["cache_control"] == "no-cache"


def test_there_is_a_shell_per_page_and_one_script_for_all(out: dict[str, Any]) -> None:
    shells = out["shells"]
    assert list(shells)[0] == "/" and set(shells) >= {"/", "/weight", "/running", "/explore"}
    assert "<title>Weight · Pulseboard</title>" in shells["/weight"]
    from dashboard.headers import inline_script_hashes

    hashes = {tuple(inline_script_hashes(html)) for html in shells.values()}
    assert len(hashes) == 1, "every shell must run the same inline scripts"


def test_the_shell_asks_for_the_session_before_the_bundles(out: dict[str, Any]) -> None:
    page = out["pages"][0]
    head = page[:page.index("</head>")]
    found = re.search(r'<script id="_pulseboard-shell" type="application/json">(.*?)</script>\s*'
                      r'<script id="_pulseboard-session">(.*?)</script>', head, re.S)
    assert found, "the session script must be in the head, after what it reads"
    assert head.index("_pulseboard-session") < page.index("<script src=")
    shell = json.loads(found.group(1))
    assert shell["session"] == "/_pulseboard/session"
    assert shell["layout"] == "/_dash-layout" and shell["update"] == "/_dash-update-component"
    # `_dash-dependencies` from the copy published under its content's name.
    assert out["dependencies_key"] == out["dependencies_body_key"]
    assert shell["dependencies"] == "/_dash-dependencies"
    assert shell["published"] == f"{BASE}/{out['dependencies_key']}"
    script = found.group(2)
    assert 'credentials: "same-origin"' in script and 'credentials: "omit"' in script
    assert "location.replace(body.login)" in script
    # Allowed by the page's content policy (by its hash), fetched from the assets' origin.
    from dashboard.headers import inline_script_hashes

    script_src = next(d for d in out["csps"][0].split("; ") if d.startswith("script-src"))
    assert set(inline_script_hashes(page)) <= set(script_src.split())
    connect = next(d for d in out["csps"][0].split("; ") if d.startswith("connect-src"))
    assert "https://static.example" in connect.split()
    # The login page runs no renderer: no shell there.
    assert "_pulseboard-session" not in out["login"]


def test_the_shell_carries_the_root_layout_with_placeholders(out: dict[str, Any]) -> None:
    from dashboard.session import FIELDS
    from dashboard.static_hosting import placeholder

    page = out["pages"][0]
    found = re.search(r'<script id="_pulseboard-layout" type="application/json">(.*?)</script>'
                      r'\s*<script id="_dash-renderer"', page, re.S)
    assert found, "the layout must be in the page before the renderer starts"
    written = found.group(1)
    assert "<" not in written
    layout = json.loads(written)
    text = json.dumps(layout)
    assert '"app-user"' in text and '"_pages_content"' in text
    for field in ("who", "csrf_token", "units_choice", "zone", "data_version"):
        assert field in FIELDS and json.dumps(placeholder(field)) in text, field


def test_the_shell_fetches_its_page_s_lazy_chunks_at_once(out: dict[str, Any]) -> None:
    def preloads(html: str) -> list[str]:
        head = html[:html.index("</head>")]
        return re.findall(r'<link rel="preload" as="script" href="([^"]+)">', head)

    weight, overview = preloads(out["shells"]["/weight"]), preloads(out["shells"]["/"])
    chunk = f"{BASE}/{bundle_path('dash', 'dcc/async-graph.js')}"
    plotly = next(u for u in weight if "/plotly/" in u)
    assert chunk in weight and plotly.startswith(f"{BASE}/plotly/")
    assert f"{BASE}/{bundle_path('dash', 'dash_table/async-table.js')}" in overview
    # The overview draws no graph: no plotly.js asked for it.
    assert chunk not in overview and not [u for u in overview if "/plotly/" in u]
    page = out["shells"]["/weight"]
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))  # type: ignore[union-attr]
    assert plotly == config["plotlyjs_url"]  # the very URL dcc.Graph loads it from
