"""The first-run setup page of a local install: the owner's account, then each provider connected.

Only on the embedded store (a laptop or a home server): in the cloud the owner is made with the
CLI and the secrets live in SSM, so every route here is a 404 there. While no owner exists the
account form is open to whoever holds the one-time code `pulseboard up` printed; once one exists
the form is gone for good and the page is the owner's view of the providers' connections."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

import dash
import flask
import flask_login

import settings
from core.errors import PulseboardError
from dashboard import data
from dashboard.auth import csrf, sessions, users
from storage import events
from storage.base import Store

if TYPE_CHECKING:
    from dashboard.config import DashboardConfig
    from settings import Settings

CONFIG_KEY = "PULSEBOARD_SETUP"
SPACE = "setup"  # the store's space holding the one-time code's digest
CODE_KEY = "code"
VERIFIED = "setup_code_ok"  # the session key: this browser showed the code
STATE = "oauth_state"  # the session key: the Connect in flight (provider, state, redirect)
# Paths the guard lets through without a session while no owner exists.
OPEN_PATHS = ("/setup", "/setup/code", "/setup/owner")


@dataclass(frozen=True)
class SetupConfig:
    """What the page needs from the settings, read at the app factory like the rest."""

    local: bool = False
    # Each OAuth source's typed config (client id and secret resolved), by source name.
    oauth: dict[str, Any] = field(default_factory=dict, repr=False)
    google_credentials: Path | None = None
    sheets_id: str = ""


def from_settings(current: Settings) -> SetupConfig:
    """Local means the embedded store and this server serving its own browser code; anything
    else is a cloud install and gets no setup page (its secrets are not even read here)."""
    if not current.store_url.startswith("sqlite:") or current.assets_url:
        return SetupConfig()
    from collectors import sources  # the collectors load only where a setup page can exist

    return SetupConfig(
        local=True,
        oauth={source.name: source.configure(current) for source in sources.with_oauth()},
        google_credentials=current.google_credentials,
        sheets_id=current.sheets_id,
    )


def configure(server: flask.Flask, dashboard: DashboardConfig) -> None:
    """Called by the app factory with the config it serves: the setup page's share of the
    settings, or none at all when the dashboard reads a cloud store."""
    local = dashboard.store_url.startswith("sqlite:") and not dashboard.assets_url
    server.config[CONFIG_KEY] = from_settings(settings.get()) if local else SetupConfig()


def _config() -> SetupConfig:
    return cast(SetupConfig, flask.current_app.config.get(CONFIG_KEY) or SetupConfig())


# --- the one-time code ----------------------------------------------------------------------

def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code(store: Store) -> str:
    """A fresh one-time code for the account form (`pulseboard up` prints it in the page's
    address); the store keeps only its digest, and the previous code stops working."""
    code = secrets.token_urlsafe(18)
    store.put_doc(SPACE, CODE_KEY, {"sha256": _digest(code),
                                    "made_at": datetime.now(UTC).isoformat(timespec="seconds")})
    return code


def _code_ok(store: Store, code: str) -> bool:
    doc = store.get_doc(SPACE, CODE_KEY)
    expected = str(doc.data.get("sha256", "")) if doc else ""
    return bool(expected and code) and hmac.compare_digest(_digest(code), expected)


def has_owner(store: Store) -> bool:
    return any(role == "owner" for _name, role in users.list_users(store))


def open_for_setup(path: str) -> bool:
    """Whether the guard should let `path` through without a session: only the account form's
    routes, only on a local install, only while no owner exists."""
    return path in OPEN_PATHS and _config().local and not has_owner(data.store())


def wanted() -> bool:
    """Whether the sign-in page should send the visitor here (a local install with no owner)."""
    return _config().local and not has_owner(data.store())


# --- pages ----------------------------------------------------------------------------------

def _url(path: str) -> str:
    return html.escape(dash.get_relative_path(path))


def _hidden_csrf() -> str:
    return f'<input type="hidden" name="csrf_token" value="{html.escape(csrf.token())}">'


def _alert(text: str, kind: str = "danger", id_: str = "setup-message") -> str:
    return (f'<div class="alert alert-{kind}" id="{id_}">{html.escape(text)}</div>'
            if text else "")


def _page(body: str, status: int = 200, title: str = "set up") -> flask.Response:
    from dashboard.auth.login import _page as login_page

    style = ("<style>.login-card.setup-card{max-width:40rem;width:100%}"
             ".setup-provider{border-top:1px solid var(--border);padding:.75rem 0}"
             ".setup-provider h2{font-size:1.1rem;margin:.25rem 0}"
             ".setup-state{font-weight:600}.setup-provider code{word-break:break-all}"
             ".setup-card a.btn{text-decoration:none}.login-body{padding:1.5rem 0}</style>")
    page = login_page(title, style + body, status)
    text = page.get_data(as_text=True).replace('class="login-card"',
                                               'class="login-card setup-card"', 1)
    page.set_data(text)
    return page


CODE_FORM = """<p class="muted">Welcome. This install has no owner yet. Enter the setup code that
  <code>pulseboard up</code> printed in its terminal (or open the address it printed).</p>
  {error}
  <form method="post" action="{action}">
    {csrf}
    <label for="setup-code">Setup code</label>
    <input class="form-control" id="setup-code" name="code" autocomplete="off" required autofocus>
    <button class="btn btn-primary" id="setup-code-submit" type="submit">Continue</button>
  </form>"""
OWNER_FORM = """<p class="muted">Welcome. Create the owner's login: the owner sees everything,
  connects the providers and invites others (<code>pulseboard users add NAME</code>).</p>
  {error}
  <form method="post" action="{action}">
    {csrf}
    <label for="setup-username">User name</label>
    <input class="form-control" id="setup-username" name="username" autocomplete="username"
           value="{username}" maxlength="{max_name}" required autofocus>
    <label for="setup-password">Password (at least {min_password} characters)</label>
    <input class="form-control" id="setup-password" name="password" type="password"
           autocomplete="new-password" minlength="{min_password}" required>
    <label for="setup-password2">Password again</label>
    <input class="form-control" id="setup-password2" name="password2" type="password"
           autocomplete="new-password" required>
    <button class="btn btn-primary" id="setup-owner-submit" type="submit">Create the owner</button>
  </form>"""


def _code_page(error: str = "", status: int = 200) -> flask.Response:
    return _page(CODE_FORM.format(error=_alert(error), action=_url("/setup/code"),
                                  csrf=_hidden_csrf()), status)


def _owner_page(error: str = "", username: str = "", status: int = 200) -> flask.Response:
    return _page(OWNER_FORM.format(
        error=_alert(error), action=_url("/setup/owner"), csrf=_hidden_csrf(),
        username=html.escape(username), max_name=users.MAX_NAME_CHARS,
        min_password=users.MIN_PASSWORD_CHARS), status)


def service_account_email(path: Path | None) -> tuple[str, str]:
    """(the service account's e-mail, "") from its key file, or ("", what is wrong with it)."""
    if path is None:
        return "", ("set PULSEBOARD_GOOGLE_CREDENTIALS in .env to a Google Cloud service-account "
                    "key file (IAM → Service accounts → Keys → Add key → JSON)")
    try:
        email = json.loads(path.read_text(encoding="utf-8")).get("client_email", "")
    except (OSError, ValueError, AttributeError) as exc:
        return "", f"{path} is not a readable service-account key file ({exc}); download it again"
    if not isinstance(email, str) or "@" not in email:
        return "", f"{path} names no client_email: it is not a service-account key file"
    return email, ""


def _sync_line(store: Store, name: str) -> str:
    status = store.get_doc("sync", name)
    if status is None:
        return "no sync yet: the scheduler runs one within a minute of a Connect"
    done = status.data.get("last_success_at") or "never complete"
    return f"last sync: {status.data.get('last_outcome', '?')} (last complete: {done})"


def _oauth_block(store: Store, name: str, config: Any) -> str:
    from collectors import sources

    source = sources.get(name)
    upper = name.upper()
    if config is None or not config.configured:
        state, body = "not configured", (
            f"<p>Set <code>PULSEBOARD_{upper}_CLIENT_ID</code> and "
            f"<code>PULSEBOARD_{upper}_CLIENT_SECRET</code> in <code>.env</code> (from your "
            f"{source.title} developer application, whose callback is this dashboard's "
            f"<code>{html.escape(_callback_url(name))}</code>), then restart "
            "<code>pulseboard up</code>.</p>")
    else:
        connected = store.get_doc("token", name) is not None
        revoked = store.get_doc(events.CONNECTION_SPACE, name) is not None
        state = "access revoked" if revoked else "connected" if connected else "not connected"
        label = "Reconnect" if connected else "Connect"
        body = (f'<p class="muted">{html.escape(_sync_line(store, name))}</p>' if connected
                else "")
        # A link, not a form: the page's form-action policy would stop a form's redirect to
        # the provider; the session's CSRF token in the link keeps other sites from using it.
        href = dash.get_relative_path(f"/setup/connect/{name}") + "?" + urlencode(
            {"csrf_token": csrf.token()})
        body += (f'<p><a class="btn btn-primary" id="setup-connect-{name}" '
                 f'href="{html.escape(href)}">{label} {html.escape(source.title)}</a></p>')
    return (f'<section class="setup-provider" id="setup-{name}"><h2>{html.escape(source.title)}'
            f' · <span class="setup-state" id="setup-{name}-state">{state}</span></h2>'
            f'{body}</section>')


def _sheets_block(store: Store, config: SetupConfig) -> str:
    email, problem = service_account_email(config.google_credentials)
    if problem:
        steps = f"<p>{html.escape(problem)}.</p>"
        state = "not configured"
    else:
        steps = ("<p>Share your lifting sheet (columns: date, exercise, sets, reps, weight) "
                 "with this address, as a viewer:</p>"
                 f'<p><code id="setup-sheets-email">{html.escape(email)}</code></p>')
        state = "not read yet" if config.sheets_id else "no sheet named"
        if not config.sheets_id:
            steps += ("<p>Then set <code>PULSEBOARD_SHEETS_ID</code> in <code>.env</code> to the "
                      "long id in the sheet's address (…/spreadsheets/d/<b>ID</b>/edit) and "
                      "restart <code>pulseboard up</code>.</p>")
        elif store.get_doc("sync", "sheets") is not None:
            state = "read"
            steps += f'<p class="muted">{html.escape(_sync_line(store, "sheets"))}</p>'
    return (f'<section class="setup-provider" id="setup-sheets"><h2>Google Sheets · '
            f'<span class="setup-state" id="setup-sheets-state">{state}</span></h2>'
            f'{steps}</section>')


def _providers_page(message: str = "", kind: str = "success",
                    status: int = 200) -> flask.Response:
    config, store = _config(), data.store()
    user = flask_login.current_user
    blocks = "".join(_oauth_block(store, name, config.oauth.get(name))
                     for name in ("strava", "withings"))
    body = (f"<p class=\"muted\">Signed in as {html.escape(user.id)} (owner). Connect the "
            "providers you use; each is optional, and the scheduler syncs what is connected.</p>"
            f"{_alert(message, kind)}{blocks}{_sheets_block(store, config)}"
            f'<p><a class="btn btn-primary" id="setup-done" href="{_url("/")}">'
            "Go to the dashboard</a></p>")
    return _page(body, status, "providers")


# --- routes ---------------------------------------------------------------------------------

def _callback_url(name: str) -> str:
    """Where the provider sends the browser back: this dashboard, as the browser reached it."""
    root = flask.request.host_url.rstrip("/") if flask.has_request_context() else ""
    return root + dash.get_relative_path(f"/oauth/{name}/callback")


def _owner() -> bool:
    user = flask_login.current_user
    return bool(user.is_authenticated and getattr(user, "role", "") == "owner")


def _not_here() -> flask.Response:
    return flask.make_response("Not found.", 404)


def _oauth_source(name: str) -> Any:
    from collectors import sources

    if name not in _config().oauth:
        flask.abort(404)
    return sources.get(name)


def install(server: flask.Flask) -> None:
    """The setup routes on the dashboard's server (each a 404 on a cloud install)."""
    bp = flask.Blueprint("setup", __name__)

    @bp.before_request
    def local_only() -> Any:
        return None if _config().local else _not_here()

    @bp.get("/setup")
    def setup() -> Any:
        if has_owner(data.store()):
            # The account form is gone for good; the owner sees the connections, anyone else
            # is not told there was ever a form here.
            return _providers_page(_connected_message()) if _owner() else _not_here()
        sent = flask.request.args.get("code", "")
        if sent:  # the address `pulseboard up` printed carries the code
            if not _code_ok(data.store(), sent):
                return _code_page("That setup code is not (or no longer) valid: use the address "
                                  "the running `pulseboard up` printed last.", 403)
            flask.session[VERIFIED] = True
            return flask.redirect(dash.get_relative_path("/setup"))  # no code left in history
        if not flask.session.get(VERIFIED):
            return _code_page()
        return _owner_page()

    @bp.post("/setup/code")
    def code() -> Any:
        store = data.store()
        if has_owner(store):
            return _not_here()
        if not csrf.valid(flask.request.form.get("csrf_token", "")):
            return _code_page("The form expired. Please enter the code again.", 400)
        if not _code_ok(store, flask.request.form.get("code", "").strip()):
            return _code_page("That is not the setup code. Copy it from the terminal where "
                              "`pulseboard up` runs (restarting it prints a new one).", 403)
        flask.session[VERIFIED] = True
        return flask.redirect(dash.get_relative_path("/setup"))

    @bp.post("/setup/owner")
    def owner() -> Any:
        store, form = data.store(), flask.request.form
        if has_owner(store):
            return _not_here()
        if not csrf.valid(form.get("csrf_token", "")):
            return _owner_page("The form expired. Please try again.", status=400)
        if not flask.session.get(VERIFIED):
            return _code_page("Enter the setup code first.", 403)
        name, password = form.get("username", "").strip(), form.get("password", "")
        if password != form.get("password2", ""):
            return _owner_page("The two passwords differ; type them again.", name, 400)
        try:
            users.add(store, name, password, "owner")
        except users.UserError as exc:
            return _owner_page(f"Not created: {exc}.", name, 400)
        store.delete_doc(SPACE, CODE_KEY)
        sessions.start(name, "owner")
        return flask.redirect(dash.get_relative_path("/setup"))

    @bp.get("/setup/connect/<name>")
    def connect(name: str) -> Any:
        if not _owner():
            return _not_here()
        source = _oauth_source(name)
        if not csrf.valid(flask.request.args.get("csrf_token", "")):
            return _providers_page("The form expired. Press Connect again.", "danger", 400)
        config = _config().oauth[name]
        if not config.configured:
            return _providers_page(source.not_configured, "danger", 400)
        state, redirect_uri = secrets.token_urlsafe(24), _callback_url(name)
        flask.session[STATE] = {"provider": name, "state": state, "redirect_uri": redirect_uri}
        return flask.redirect(source.oauth.authorize_url(config, redirect_uri, state))

    @bp.get("/oauth/<name>/callback")
    def callback(name: str) -> Any:
        if not _owner():
            return _not_here()
        source = _oauth_source(name)
        args = flask.request.args
        # Single use: whatever this answer carries, the Connect it belonged to is spent.
        pending = flask.session.pop(STATE, None) or {}
        sent = str(args.get("state", ""))
        if (pending.get("provider") != name or not sent
                or not hmac.compare_digest(sent.encode(), str(pending.get("state", "")).encode())):
            return _providers_page(
                f"This answer from {source.title} does not belong to a Connect started here "
                "(or was already used), so it was refused. Press Connect again.", "danger", 400)
        if args.get("error"):
            return _providers_page(
                f"{source.title} did not grant access ({args['error']}). Press Connect again "
                "and allow access.", "danger", 400)
        if not args.get("code"):
            return _providers_page(f"{source.title} sent no authorization code. Press Connect "
                                   "again.", "danger", 400)
        from collectors.connect import complete

        try:
            complete(source, _config().oauth[name], data.store(), str(args["code"]),
                     str(pending["redirect_uri"]), again="press Connect again")
        except PulseboardError as exc:
            return _providers_page(f"Not connected: {exc}", "danger", 502)
        from dashboard.logic.overview import request_sync

        # The schedule would wait hours for the next run; "Sync now" asks the scheduler at once.
        request_sync(data.store(), flask_login.current_user.id, True, datetime.now(UTC))
        return flask.redirect(dash.get_relative_path(f"/setup?connected={name}"))

    server.register_blueprint(bp)


def _connected_message() -> str:
    name = flask.request.args.get("connected", "")
    if name in _config().oauth:
        return (f"{_oauth_source(name).title} is connected: the token is stored, and the "
                "scheduler was asked to sync now (it starts within a minute).")
    return ""
