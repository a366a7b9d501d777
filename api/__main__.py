"""`python -m api serve [--host --port]`: run the forecast API locally."""

from __future__ import annotations

import argparse
import sys

from core import cli


def _serve(args: argparse.Namespace) -> int:
    from api import create_app
    from core.wsgi import serve

    app = create_app()
    print(f"Pulseboard forecast API on http://{args.host}:{args.port}/ "
          "(health: /health, document: /openapi.json)", flush=True)
    serve(app, args.host, args.port, "pulseboard-api")
    return cli.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API on a local port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8051)
    cli.add_debug(serve)
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
