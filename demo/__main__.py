"""`python -m demo standins|up`: serve the synthetic athlete, or run the whole demo."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading

from core import cli


def _standins(args: argparse.Namespace) -> int:
    from demo.athlete import Athlete
    from demo.standins import StandIns

    athlete = Athlete.generate(seed=args.seed, years=args.years)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with StandIns(athlete, port=args.port, rotate_refresh=not args.no_rotate) as standins:
        print(
            f"# {len(athlete.activities)} activities, {len(athlete.measure_groups)} weigh-ins, "
            f"{len(athlete.sheet_rows) - 1} sheet rows; stand-ins on {standins.base_url}",
            flush=True,
        )
        for name, value in standins.env().items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        print("# Ctrl-C stops them.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _years(text: str) -> float:
    years = float(text)
    if years <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return years


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "standins", help="serve a synthetic athlete as Strava, Withings and Sheets on loopback"
    )
    serve.add_argument("--seed", type=int, default=7, help="the athlete's seed (default 7)")
    serve.add_argument("--years", type=_years, default=3.0, help="years of history (default 3)")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    serve.add_argument(
        "--no-rotate", action="store_true", help="keep refresh tokens across refreshes"
    )
    serve.set_defaults(func=_standins)
    cli.add_debug(serve)
    # `up` has options of its own: they are demo.up's to read.
    commands.add_parser("up", help="the whole demo (same as `make demo`)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "up":
        from demo.up import main as up

        return up(rest)
    return cli.main(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
