"""`python -m api serve [--host --port]`: run the forecast API locally."""

from __future__ import annotations

import argparse
import sys
import traceback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API on a local port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8051)
    serve.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    try:
        from werkzeug.serving import run_simple

        from api import create_app

        app = create_app()
        print(f"Pulseboard forecast API on http://{args.host}:{args.port}/ "
              "(health: /health, document: /openapi.json)", flush=True)
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - one line for people, the traceback on --debug
        if args.debug:
            traceback.print_exc()
        else:
            print(f"error: the API cannot start: {exc} (run with --debug for details)",
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
