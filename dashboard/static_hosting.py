"""Static hosting: Dash linking its browser code under a published base (PULSEBOARD_ASSETS_URL).

The one module that reaches into Dash's private methods, written for the release
DASH_WRITTEN_FOR names; serverless_tests/dashboard/test_static_hosting.py fails loudly when a Dash
upgrade moves what it relies on."""

from __future__ import annotations

import hashlib
import importlib
import json
from typing import Any

import dash
from dash import dcc
from dash._utils import to_json

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


# Put before Dash's renderer starts. Its GET of `<prefix>_dash-layout` is answered from the
# layout written into the page (once: the first load), and its GET of `<prefix>_dash-dependencies`
# goes to the published copy as a plain cross-origin GET (no cookie, no custom header: no
# preflight). Anything else, and a copy that cannot be had (not published, the network), goes to
# this server as before.
_REROUTE = """(function () {
  var send = window.fetch, layoutFrom = %(layout)s, from = %(from)s, to = %(to)s;
  window.fetch = function (url, options) {
    var method = ((options && options.method) || "GET").toUpperCase();
    var path = typeof url === "string" && method === "GET"
      ? new URL(url, window.location.href).pathname : "";
    var written = path === layoutFrom && document.getElementById("_pulseboard-layout");
    if (written) {
      written.remove();
      return Promise.resolve(new Response(written.textContent, {
        status: 200, headers: {"Content-Type": "application/json"}}));
    }
    if (path === from) {
      var self = this, args = arguments;
      var fallback = function () { return send.apply(self, args); };
      return send(to, {credentials: "omit", mode: "cors"}).then(
        function (answer) { return answer.ok ? answer : fallback(); }, fallback);
    }
    return send.apply(this, arguments);
  };
})();"""


def _js_string(text: str) -> str:
    """A JavaScript string literal safe inside a <script> element."""
    return json.dumps(text).replace("<", "\\u003c")


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

    `_dash-dependencies` (the callback list, the same for every visitor of a release) is
    fetched from its published copy too: Dash 4.4's renderer builds every request URL, that one
    included, from `requests_pathname_prefix`, so a small script put before the renderer starts
    sends its GET of `<prefix>_dash-dependencies` to `dependencies_url()` (and back here when
    that copy cannot be had). The same script answers the renderer's first GET of
    `<prefix>_dash-layout` from the layout written into the page, made in the page's own request:
    a page view is then the page and its callbacks. The page and the callbacks come from this
    server, behind the login."""

    def __init__(self, *args: Any, assets_url: str = "", **kwargs: Any) -> None:
        self.assets_url = assets_url  # before Dash's __init__, which sets plotly.js up
        self._dependencies_url = ""
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
            [self._external(r) for r in resources], include_async, url_attr)

    def favicon_url(self) -> str:
        """The published icon (with `assets_url`): the app's own from assets/, else Dash's."""
        if self._favicon:
            return str(self.get_asset_url(self._favicon))
        return f"{self.assets_url}/{bundle_path('dash', 'favicon.ico')}"

    def dependencies_body(self) -> bytes:
        """The `_dash-dependencies` answer, byte for byte: the same for every visitor of a
        release (what `make publish-assets` publishes under `dependencies_key`)."""
        with self.server.test_request_context(self.config.requests_pathname_prefix):
            # Dash completes its callback list in its first request's hooks (`_setup_server`,
            # then the pages' router adds its own): run Dash's, each once per process, not ours.
            for hook in self.server.before_request_funcs.get(None, []):
                if getattr(hook, "__module__", "").startswith("dash."):
                    hook()
            return str(to_json(self._callback_list)).encode()

    def dependencies_url(self) -> str:
        """The published copy of this release's `_dash-dependencies` (with `assets_url`)."""
        if not self._dependencies_url:
            self._dependencies_url = (
                f"{self.assets_url}/{dependencies_key(self.dependencies_body())}")
        return self._dependencies_url

    def layout_json(self) -> str:
        """This request's `_dash-layout` answer (the visitor's, made with their session), safe
        inside a <script> element (`<` escaped as JSON allows)."""
        return str(to_json(self.get_layout())).replace("<", "\\u003c")

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]  # Dash passes keywords
        if self.assets_url and not self._favicon:  # Dash's own icon, else served from here
            kwargs["favicon"] = f'<link rel="icon" type="image/x-icon" href="{self.favicon_url()}">'
        if self.assets_url:
            prefix = self.config.requests_pathname_prefix
            reroute = _REROUTE % {"layout": _js_string(prefix + "_dash-layout"),
                                  "from": _js_string(prefix + "_dash-dependencies"),
                                  "to": _js_string(self.dependencies_url())}
            kwargs["renderer"] = (
                f'<script id="_pulseboard-layout" type="application/json">{self.layout_json()}'
                f'</script>\n<script id="_pulseboard-dependencies">{reroute}</script>\n'
                + kwargs.get("renderer", ""))
        return str(super().interpolate_index(**kwargs))

    def _setup_plotlyjs(self) -> None:
        super()._setup_plotlyjs()
        if self.assets_url:
            plotly = next(r for r in dcc._js_dist if r.get("namespace") == "plotly")
            self._plotlyjs_url = self._external(plotly)["external_url"][0]
