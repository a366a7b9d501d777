"""`python -m dashboard serve | users add|list|passwd|role|signout|remove`: run it, manage users."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

import settings
from core import cli
from dashboard.auth import users
from storage import open_store
from storage.base import Store


def _serve(args: argparse.Namespace) -> int:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from core.wsgi import serve
    from dashboard.app import build

    server, app = build()
    prefix = app.config.requests_pathname_prefix
    wsgi: Any = server
    if prefix != "/":
        # Behind API Gateway the stage prefix is stripped before Flask sees the path; do the same
        # locally so the app answers under the prefix exactly as it will when deployed.
        wsgi = DispatcherMiddleware(_not_found, {prefix.rstrip("/"): server})
    print(f"Pulseboard dashboard on http://{args.host}:{args.port}{prefix}", flush=True)
    serve(wsgi, args.host, args.port, "pulseboard-dashboard")
    return cli.EXIT_OK


def _not_found(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not here: the dashboard is served under its path prefix\n"]


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise users.UserError("the two passwords differ; nothing changed")
    return first


def _store() -> Store:
    current = settings.get()
    return open_store(current.store_url, current.user, current.aws)


def _users(args: argparse.Namespace) -> int:
    store = _store()
    if args.users_command == "add":
        users.add(store, args.name, _read_password(args), args.role)
        print(f"added {args.name} ({args.role})")
    elif args.users_command == "list":
        found = users.list_users(store)
        if not found:
            print("no users yet — add one with `python -m dashboard users add NAME`")
        for name, role in found:
            print(f"{name}\t{role}")
    elif args.users_command == "passwd":
        users.passwd(store, args.name, _read_password(args))
        print(f"new password for {args.name}; their sessions have ended")
    elif args.users_command == "role":
        users.set_role(store, args.name, args.role)
        print(f"{args.name} is now {args.role}; their sessions have ended")
    elif args.users_command == "signout":
        users.end_sessions(store, args.name)
        print(f"signed {args.name} out everywhere")
    elif args.users_command == "remove":
        if not users.remove(store, args.name):
            raise users.UserError(f"no user {args.name!r}")
        print(f"removed {args.name}")
    return cli.EXIT_OK


def parser() -> argparse.ArgumentParser:
    root = cli.add_debug(argparse.ArgumentParser(prog="python -m dashboard", description=__doc__))
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the dashboard")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    serve.set_defaults(func=_serve)
    manage = sub.add_parser("users", help="add, list, change or remove dashboard users")
    msub = manage.add_subparsers(dest="users_command", required=True)
    add = msub.add_parser("add", help="add a user (prompts for the password)")
    add.add_argument("name")
    add.add_argument("--role", choices=users.ROLES, default="viewer")
    passwd = msub.add_parser("passwd", help="change a user's password (ends their sessions)")
    passwd.add_argument("name")
    for command in (add, passwd):
        command.add_argument("--password-stdin", action="store_true",
                             help="read the password from the first line of stdin (for scripts)")
    msub.add_parser("list", help="list users and roles")
    role = msub.add_parser("role", help="change a user's role (ends their sessions)")
    role.add_argument("name")
    role.add_argument("role", choices=users.ROLES)
    signout = msub.add_parser("signout", help="sign a user out everywhere")
    signout.add_argument("name")
    remove = msub.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    manage.set_defaults(func=_users)
    return root


def main(argv: list[str] | None = None) -> int:
    return cli.main(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
