"""The one helper every `__main__` runs through: one line per error, `--debug` for the traceback."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from core.errors import PulseboardError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_STOPPED = 3  # stopped early and cleanly (a rate limit, a request budget): run again later
EXIT_INTERRUPTED = 130


def add_debug(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--debug", action="store_true", help="show the traceback on errors")
    return parser


def run(func: Callable[[], int | None], *, debug: bool = False) -> int:
    """Calls `func` and returns its exit code; what it raises becomes one line on stderr."""
    try:
        return int(func() or EXIT_OK)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except PulseboardError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a bug or a surprise: one line unless asked for more
        if debug:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return EXIT_ERROR


def main(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parses `argv` (argparse's own usage errors exit 2) and runs the chosen sub-command's
    `func(args)`."""
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    return run(lambda: func(args), debug=bool(getattr(args, "debug", False)))
