"""The visitor's part of a page: one request its shell makes at once (who they are, their sign-out
token, units and zone, the data version, the page's own layout), warming the container on the way
so the callbacks that follow find it ready."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import dash
import flask
import flask_login

from dashboard import data
from dashboard.auth import csrf, login
from dashboard.static_hosting import SESSION_ROUTE, StaticHostedDash, placeholder, to_json_text

log = logging.getLogger(__name__)
ROUTE = "/" + SESSION_ROUTE
# The session answer's fields that stand as placeholders in the shell's layout.
FIELDS = ("user", "role", "who", "csrf_token", "units", "zone", "stone", "units_choice",
          "data_version")


def placeholders() -> dict[str, str]:
    """The shell's stand-ins, one per field."""
    return {field: placeholder(field) for field in FIELDS}


def values() -> dict[str, Any]:
    """The signed-in visitor's values of FIELDS."""
    from dashboard.prefs import current_prefs

    user = flask_login.current_user
    chosen = current_prefs()
    return {
        "user": user.id, "role": user.role, "who": f"{user.id} · {user.role}",
        "csrf_token": csrf.token(), "units": chosen.units, "zone": chosen.zone_name,
        "stone": chosen.stone, "units_choice": "stone" if chosen.stone else chosen.units,
        "data_version": data.current_version(data.store()),
    }


def warm(page_path: str) -> float:
    """Readies this container for the page's first callbacks (data.warm: their lazy imports
    and their reads, at once, into the read cache) while the browser is still downloading the
    bundles. Answers the seconds it took; a failure is only logged (the callbacks meet it and
    say so in the page)."""
    started = time.perf_counter()
    try:
        data.warm(page_path)
    except Exception:  # warming is a head start, never a reason to refuse the page
        log.warning("warming the container for %s failed", page_path, exc_info=True)
    return time.perf_counter() - started


def install(server: flask.Flask, prefix: str) -> None:
    """`GET <prefix>_pulseboard/session?path=<the page>` on `server`."""

    @server.get(ROUTE)
    def session() -> Any:
        asked = flask.request.args.get("path", "")
        if not flask_login.current_user.is_authenticated:  # the front answers it the same way
            return login.sign_in_first(prefix, asked)
        page = login.safe_next(asked, prefix)
        app = cast(StaticHostedDash, dash.get_app())
        body = values()
        pathname = page[len(prefix) - 1:].partition("?")[0]
        warmed_s = warm("/" + pathname.strip("/"))
        body["page"] = app.page_layout(page)
        log.debug("session for %s: warmed in %.3f s", page, warmed_s)
        answer = flask.Response(to_json_text(body), mimetype="application/json")
        answer.headers["Cache-Control"] = "no-store"
        return answer
