"""Runs Zappa's own command line, without its update check (a PyPI request on every command)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from zappa.cli import ZappaCLI

    # Builds and deploys must not depend on reaching a package index; the check only prints.
    ZappaCLI.check_for_update = lambda self: None  # type: ignore[method-assign]
    cli = ZappaCLI()
    try:
        return cli.handle(argv) or 0
    except SystemExit as exc:
        cli.on_exit()
        return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
