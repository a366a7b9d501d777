"""`python -m models train [--min-weeks N]`: train the forecaster from the store and publish it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core import cli
from core.errors import PulseboardError


class TrainingFailed(PulseboardError):
    """Training stopped on something unexpected; the message names what."""


def _report(result: Any, manifest: dict[str, Any], blobs_url: str) -> None:
    print(f"weeks used: {result.weeks_used}   left out: {result.weeks_left_out}"
          f"   ({result.first_week} … {result.last_week})")
    for reason, count in result.left_out.items():
        print(f"  left out {count:>3}: {reason}")
    print(f"k = {result.k} (time-ordered {manifest['cv']['n_splits']}-fold cross-validation)")
    sources = result.sources
    used = "trained on" if sources["strava_api_used"] else "left out (PULSEBOARD_FORECAST_USE_" \
        "STRAVA_API=true includes them)"
    print(f"activities from your files or Strava export: {sources['file_activities']}; "
          f"from Strava's API only: {sources['strava_api_activities']}, {used}")
    from models import backtest

    for line in backtest.table(result.backtest):
        print(line)
    for horizon, chosen in result.horizons.items():
        print(f"  {horizon:>2} weeks ahead: serves {chosen['method']} ({chosen['reason']})")
    signed = "signed" if "signature" in manifest else "unsigned: PULSEBOARD_MODEL_KEY is not set"
    print(f"published {manifest['artifact_key']} (sha256 {manifest['sha256'][:12]}…) "
          f"and the manifest ({signed}) to {blobs_url}")


def _train(args: argparse.Namespace) -> int:
    import settings
    from models import train
    from models.features import forecast_config
    from storage import open_blobs, open_store

    current = settings.get()  # the edge: settings are read here and passed down
    blobs = open_blobs(current.blobs_url, current.aws)
    with open_store(current.store_url, current.user, current.aws) as store:
        try:
            result, manifest = train.run(store, blobs, args.min_weeks,
                                         signing_key=current.secret("model_key"),
                                         config=forecast_config(current))
        except train.NotEnoughData as exc:
            # A normal outcome, not an error: say why, then stop early (the next week may do).
            print(f"not enough data: {exc}", file=sys.stderr)
            for reason, count in exc.left_out.items():
                print(f"  left out {count:>3}: {reason}", file=sys.stderr)
            return exc.exit_code
        except PulseboardError:
            raise
        except Exception as exc:
            raise TrainingFailed(f"training failed: {exc} (run with --debug for details)") \
                from exc
    _report(result, manifest, current.blobs_url)
    return cli.EXIT_OK


def _min_weeks(text: str) -> int:
    from models.train import SMALLEST_MIN_WEEKS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < SMALLEST_MIN_WEEKS:
        raise argparse.ArgumentTypeError(f"must be at least {SMALLEST_MIN_WEEKS}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from models.train import DEFAULT_MIN_WEEKS

    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train_cmd = commands.add_parser("train", help="train from the store and publish to blobs")
    train_cmd.add_argument("--min-weeks", type=_min_weeks, default=DEFAULT_MIN_WEEKS,
                           help=f"refuse to publish with fewer usable weeks (default "
                                f"{DEFAULT_MIN_WEEKS})")
    cli.add_debug(train_cmd)
    train_cmd.set_defaults(func=_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli.main(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
