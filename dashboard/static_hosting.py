"""Static hosting: Dash linking its browser code under a published base (PULSEBOARD_ASSETS_URL).

The one module that reaches into Dash's private methods, written for the release
DASH_WRITTEN_FOR names; serverless_tests/dashboard/test_static_hosting.py fails loudly when a Dash
upgrade moves what it relies on."""

from __future__ import annotations

import hashlib
import importlib
import threading
from pathlib import Path
from typing import Any

import dash
from dash import dcc
from dash._utils import to_json
from dash.dash import _ID_CONTENT, _ID_LOCATION, _ID_STORE

# The Dash release these overrides were written and checked against (pin it in pyproject).
DASH_WRITTEN_FOR = "4.4"
# Where `_dash-dependencies` is published under PULSEBOARD_ASSETS_URL, named by its content.
DEPENDENCIES_FOLDER = "dash-dependencies"


def bundle_path(namespace: str, package_path: str) -> str:
    """Where one of a package's browser files lives under PULSEBOARD_ASSETS_URL. The package and
    its installed version lead the path, so a published file never changes (it is cached for a
    year) and `make publish-assets` (deploy/assets.py) uploads to these very names."""
    version = importlib.import_module(namespace).__version__
    return f"{namespace}/{version}/{package_path}"


def dependencies_key(body: bytes) -> str:
    """Where a release's `_dash-dependencies` answer lives under PULSEBOARD_ASSETS_URL: named by
    its digest, so a page only ever fetches the list its own code made (cached for a year)."""
    return f"{DEPENDENCIES_FOLDER}/{hashlib.sha256(body).hexdigest()[:20]}.json"


# The name every per-visitor value has in the shell's layout: "pulseboard-session:<field>", the
# field of the session answer (dashboard/session.py) the shell's script puts in its place.
PLACEHOLDER = "pulseboard-session:"
SESSION_ROUTE = "_pulseboard/session"


def placeholder(field: str) -> str:
    """What stands in the shell's layout for the session answer's `field`."""
    return PLACEHOLDER + field


# The shell's one inline script, the same bytes in every shell (one CSP hash covers them all):
# what differs (URLs) is read from the JSON element before it. In the head, so the session
# request leaves at once and the function's cold start overlaps the bundles' download. It holds
# the renderer's GET of `<prefix>_dash-layout` until the session has answered, then answers it
# from the layout written into the page, each placeholder replaced by the session's value and
# the page's own layout (made in the session request) put in the page container, its location
# set to where the browser is so Dash's router has nothing to do; every
# `<prefix>_dash-update-component` POST waits for the session too (on Lambda a request finding
# the one cold container busy starts another). `_dash-dependencies` goes to its published copy
# as a plain cross-origin GET (no cookie, no custom header: no preflight). No session: to the
# login page. A session request that fails otherwise (the network, a 5xx): the layout is asked
# of the function, which fills it itself.
_SHELL_SCRIPT = """(function () {
  var shell = JSON.parse(document.getElementById("_pulseboard-shell").textContent);
  var send = window.fetch, page = location.pathname + location.search;
  var session = send.call(window, shell.session + "?path=" + encodeURIComponent(page), {
    credentials: "same-origin", headers: {"Accept": "application/json"}
  }).then(function (answer) {
    if (answer.status === 401) {
      return answer.json().then(function (body) {
        location.replace(body.login);
        return new Promise(function () {});
      });
    }
    if (!answer.ok) { throw new Error("session: " + answer.status); }
    return answer.json();
  });
  var settled = session.then(function () {}, function () {});
  var laidOut = false;
  function fill(node, values) {
    if (typeof node === "string" && node.indexOf(shell.placeholder) === 0) {
      var field = node.slice(shell.placeholder.length);
      return field in values ? values[field] : node;
    }
    if (Array.isArray(node)) { return node.map(function (n) { return fill(n, values); }); }
    if (node && typeof node === "object") {
      var out = {};
      Object.keys(node).forEach(function (k) { out[k] = fill(node[k], values); });
      var props = out.props, id = props && props.id;
      if (values.page && id === shell.content) { props.children = values.page.layout; }
      if (values.page && id === shell.store) { props.data = {title: values.page.title}; }
      if (values.page && id === shell.location) {
        ["pathname", "search", "hash", "href"].forEach(function (k) { props[k] = location[k]; });
      }
      return out;
    }
    return node;
  }
  window.fetch = function (url, options) {
    var self = this, args = arguments;
    var method = ((options && options.method) || "GET").toUpperCase();
    var path = typeof url === "string" ? new URL(url, location.href).pathname : "";
    var again = function () { return send.apply(self, args); };
    if (method === "GET" && path === shell.layout && !laidOut) {
      laidOut = true;
      return session.then(function (values) {
        var written = document.getElementById("_pulseboard-layout");
        var layout = fill(JSON.parse(written.textContent), values);
        return new Response(JSON.stringify(layout), {
          status: 200, headers: {"Content-Type": "application/json"}});
      }, again);
    }
    if (method === "GET" && path === shell.dependencies && shell.published) {
      return send.call(window, shell.published, {credentials: "omit", mode: "cors"}).then(
        function (answer) { return answer.ok ? answer : again(); }, again);
    }
    if (method === "POST" && path === shell.update) { return settled.then(again); }
    return send.apply(this, arguments);
  };
})();"""


def to_json_text(value: Any) -> str:
    """`value` (Dash components included) as Dash's own JSON."""
    return str(to_json(value))


# Lazy chunks a shell has the browser fetch at once: those the navbar and the pages' callbacks
# draw (dropdowns, tables) on every page, the others where the page's layout has the component.
LAZY_CHUNKS_EVERY_PAGE = ("dcc/async-dropdown.js", "dash_table/async-table.js",
                          "dash_table/async-highlight.js")
LAZY_CHUNKS = {"Graph": ("dcc/async-graph.js",), "DatePickerRange": ("dcc/async-datepicker.js",),
               "DatePickerSingle": ("dcc/async-datepicker.js",)}


def _json_in_script(value: Any) -> str:
    """JSON safe inside a <script> element (`<` escaped as JSON allows)."""
    return to_json_text(value).replace("<", "\\u003c")


class StaticHostedDash(dash.Dash):
    """Dash that, given `assets_url`, has the browser fetch every component bundle, plotly.js and
    `assets/` from there instead of from this server. Behind API Gateway each of those files is a
    Lambda invocation, and a Lambda answer is at most 6 MB: plotly.js alone is 4.8 MB.

    Plain `serve_locally=False` is not enough: Dash then uses each bundle's `external_url`, a
    public CDN (unpkg, cdn.plot.ly) at Dash's choice, not our copy. So the resource lists keep
    picking package paths (`scripts`/`css` stay `serve_locally`), and each package path becomes an
    `external_url` under our base just before Dash writes the tags; a bundle so moved is never
    registered for `_dash-component-suites/`, so this server cannot be asked for it. The app's own
    `serve_locally=False` makes the renderer load plotly.js (dcc.Graph fetches it lazily) from
    `plotlyjs_url`, pointed at our copy below; `assets_external_path` moves `assets/`, and the
    index's icon link is pointed at our copy of Dash's icon. Lazy chunks (dcc's async-graph.js, …)
    load from beside their main bundle, so they follow it.

    Every page is a shell (`shell_html`), the same for every visitor and request, so it can be
    published too: the root layout with placeholders where the visitor's values go, and one
    script that fetches those values (and the page's own layout) with one session request
    (dashboard/session.py) and hands the renderer the layout they make. Dash's renderer builds
    every request URL from `requests_pathname_prefix`, so that script sees its GETs of
    `<prefix>_dash-layout` and `<prefix>_dash-dependencies` (the callback list, the same for
    every visitor of a release, sent to `dependencies_url()` when published) and its callback
    POSTs. The shell, the session and the callbacks come from this server behind the login (a
    page GET without a session is sent to the login page); the shell also from the published
    copy."""

    def __init__(self, *args: Any, assets_url: str = "", **kwargs: Any) -> None:
        self.assets_url = assets_url  # before Dash's __init__, which sets plotly.js up
        self._dependencies_url = ""
        self._shells: dict[str, str] = {}
        self._shells_lock = threading.Lock()
        self._shell_page: dict[str, Any] = {}  # the page whose shell is being made
        # Dash's page meta tags carry the request's URL: a shell carries nothing of a request.
        kwargs.setdefault("include_pages_meta", False)
        if assets_url:
            kwargs.update(serve_locally=False, assets_external_path=assets_url + "/")
        super().__init__(*args, **kwargs)
        if assets_url:
            self.scripts.config.serve_locally = True
            self.css.config.serve_locally = True

    def _external(self, resource: dict[str, Any]) -> dict[str, Any]:
        paths = resource.get("relative_package_path")
        if not self.assets_url or paths is None:
            return resource
        moved = {k: v for k, v in resource.items() if k != "relative_package_path"}
        moved["external_url"] = [
            f"{self.assets_url}/{bundle_path(resource['namespace'], path)}"
            for path in ([paths] if isinstance(paths, str) else paths)
        ]
        return moved

    def _collect_and_register_resources(self, resources: Any, include_async: bool = True,
                                        url_attr: str = "src") -> Any:
        return super()._collect_and_register_resources(
            [self._external(self._by_content(r)) for r in resources], include_async, url_attr)

    def _by_content(self, resource: dict[str, Any]) -> dict[str, Any]:
        # Dash marks an assets/ file's URL with its modification time (`?m=`), which differs
        # between the machine publishing a shell and the function's package: the content's
        # digest instead, so both write the same shell.
        if "asset_path" not in resource:
            return resource
        body = (Path(self.config.assets_folder) / resource["asset_path"]).read_bytes()
        return {**resource, "ts": hashlib.sha256(body).hexdigest()[:12]}

    def favicon_url(self) -> str:
        """The published icon (with `assets_url`): the app's own from assets/, else Dash's."""
        if self._favicon:
            return str(self.get_asset_url(self._favicon))
        return f"{self.assets_url}/{bundle_path('dash', 'favicon.ico')}"

    def _run_dash_setup(self) -> None:
        # Dash completes its callback list and resources in its first request's hooks
        # (`_setup_server`, then the pages' router adds its own): run Dash's, each once per
        # process, not ours.
        for hook in self.server.before_request_funcs.get(None, []):
            if getattr(hook, "__module__", "").startswith("dash."):
                hook()

    def dependencies_body(self) -> bytes:
        """The `_dash-dependencies` answer, byte for byte: the same for every visitor of a
        release (what `make publish-assets` publishes under `dependencies_key`)."""
        with self.server.app_context(), \
                self.server.test_request_context(self.config.requests_pathname_prefix):
            self._run_dash_setup()
            return str(to_json(self._callback_list)).encode()

    def dependencies_url(self) -> str:
        """The published copy of this release's `_dash-dependencies` (with `assets_url`)."""
        if not self._dependencies_url:
            self._dependencies_url = (
                f"{self.assets_url}/{dependencies_key(self.dependencies_body())}")
        return self._dependencies_url

    def shell_paths(self) -> list[str]:
        """The page paths (relative to the stage prefix, "/" first) there is a shell for."""
        return [str(page["path"]) for page in dash.page_registry.values()]

    def shell_html(self, path: str) -> str:
        """The whole page for a page path ("/", "/weight": relative to the stage prefix): what
        this server answers a page GET with and what `make publish-assets` publishes, the same
        for every visitor and every request (no user, token, nonce, time or data in it)."""
        key = "/" + path.strip("/")
        page = self._page_at(key)
        if not page:  # no such page: Dash's "not found" page, from one shell for all
            key = "/_not_found"
        with self._shells_lock:
            if key in self._shells:
                return self._shells[key]
            prefix = self.config.requests_pathname_prefix
            # Its own app context too: inside a visitor's request a nested request context
            # would share their `g`, and with it their signed-in user.
            with self.server.app_context(), \
                    self.server.test_request_context(prefix + key.lstrip("/")):
                self._run_dash_setup()
                self._shell_page = page
                try:
                    self._shells[key] = str(super().index())
                finally:
                    self._shell_page = {}
            return self._shells[key]

    def index(self, *args: Any, **kwargs: Any) -> str:
        import flask

        return self.shell_html(flask.request.path[len(self.config.routes_pathname_prefix) - 1:])

    def _page_at(self, path: str) -> dict[str, Any]:
        from dash._pages import _path_to_page

        found, _variables = _path_to_page(path.strip("/"))
        return dict(found)

    def page_layout(self, page: str) -> dict[str, Any]:
        """What Dash's router would put in the page container for `page` (a path under the
        stage prefix, with its query): {"layout", "title"}, made in this request."""
        from dash._pages import _parse_query_string

        pathname, _, query = page.partition("?")
        path = "/" + str(self.strip_relative_path(pathname) or "")
        found = self._page_at(path)
        if not found:  # as Dash's router: the app's `not_found_404` page, else its own
            found = next((p for m, p in dash.page_registry.items()
                          if m.split(".")[-1] == "not_found_404"), {})
        if not found:
            from dash import html

            return {"layout": html.H1("404 - Page not found"), "title": self.title}
        layout = found.get("layout", "")
        if callable(layout):
            layout = layout(**_parse_query_string("?" + query if query else ""))
        title = found.get("title", self.title)
        return {"layout": layout, "title": title() if callable(title) else title}

    def _config(self) -> dict[str, Any]:
        config = dict(super()._config())
        # A signed token per page load (only background callbacks use it; this app has none)
        # and the interpreter's version (the machine that published the shell may run another
        # patch release than the function): a shell carries neither.
        config.pop("end_id", None)
        config.pop("python_version", None)
        return config

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]  # Dash passes keywords
        if self.assets_url and not self._favicon:  # Dash's own icon, else served from here
            kwargs["favicon"] = f'<link rel="icon" type="image/x-icon" href="{self.favicon_url()}">'
        title = self._shell_page.get("title")
        kwargs["title"] = title if isinstance(title, str) and title else self.title
        prefix = self.config.requests_pathname_prefix
        shell = {
            "session": prefix + SESSION_ROUTE, "placeholder": PLACEHOLDER,
            "layout": prefix + "_dash-layout", "dependencies": prefix + "_dash-dependencies",
            "published": self.dependencies_url() if self.assets_url else "",
            "update": prefix + "_dash-update-component",
            "content": _ID_CONTENT, "store": _ID_STORE, "location": _ID_LOCATION,
        }
        kwargs["metas"] = (
            kwargs.get("metas", "")
            + f'\n<script id="_pulseboard-shell" type="application/json">'
              f'{_json_in_script(shell)}</script>'
            + f'\n<script id="_pulseboard-session">{_SHELL_SCRIPT}</script>'
            + "".join(f'\n<link rel="preload" as="script" href="{url}">'
                      for url in self._preloads()))
        kwargs["renderer"] = (
            f'<script id="_pulseboard-layout" type="application/json">'
            f'{_json_in_script(self.get_layout())}</script>\n' + kwargs.get("renderer", ""))
        return str(super().interpolate_index(**kwargs))

    def _chunk_url(self, package_path: str) -> str:
        # Where webpack asks for a lazy chunk: beside the package's main bundle.
        if self.assets_url:
            return f"{self.assets_url}/{bundle_path('dash', package_path)}"
        return f"{self.config.requests_pathname_prefix}_dash-component-suites/dash/{package_path}"

    def _preloads(self) -> list[str]:
        """The lazy chunks (and plotly.js) the page's components load only once drawn, asked
        for at once instead: downloaded while the session request is out, not after it."""
        layout = self._shell_page.get("layout", "")
        used = to_json_text(layout() if callable(layout) else layout)
        chunks = [*LAZY_CHUNKS_EVERY_PAGE]
        for component, wanted in LAZY_CHUNKS.items():
            if f'"type":"{component}"' in used:
                chunks += [c for c in wanted if c not in chunks]
        urls = [self._chunk_url(c) for c in chunks]
        if '"type":"Graph"' in used:
            urls.append(self._plotlyjs_url if self.assets_url else
                        f"{self.config.requests_pathname_prefix}_dash-component-suites/plotly/"
                        "package_data/plotly.min.js")
        return urls

    def _setup_plotlyjs(self) -> None:
        super()._setup_plotlyjs()
        if self.assets_url:
            plotly = next(r for r in dcc._js_dist if r.get("namespace") == "plotly")
            self._plotlyjs_url = self._external(plotly)["external_url"][0]
