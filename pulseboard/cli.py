"""`pulseboard COMMAND …`: one command for what each package's `python -m …` does."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from core.cli import EXIT_USAGE


@dataclass(frozen=True)
class Command:
    module: str  # whose main(argv) runs it
    prefix: tuple[str, ...]  # the words put before the user's arguments
    help: str


COMMANDS: dict[str, Command] = {
    "up": Command("pulseboard.up", (), "run dashboard, API and scheduler on this machine"),
    "doctor": Command("pulseboard.doctor", (), "check this setup; one line per problem"),
    "sync": Command("collectors.__main__", ("sync",), "bring new data from the providers"),
    "import": Command("collectors.__main__", ("import",), "import FIT/GPX/TCX files, folders, "
                      "Strava's export"),
    "connect": Command("collectors.__main__", ("connect",), "authorize Strava or Withings once"),
    "status": Command("collectors.__main__", ("status",), "each source's last sync, the store"),
    "schedule": Command("collectors.__main__", ("schedule",), "run the sync schedule locally"),
    "export": Command("storage.__main__", ("export",), "write one kind of record (JSONL, CSV)"),
    "load": Command("storage.__main__", ("load",), "read an export back (idempotent)"),
    "users": Command("dashboard.__main__", ("users",), "add, list or remove dashboard users"),
    "train": Command("models.__main__", ("train",), "train the forecaster and publish it"),
    "serve": Command("", (), "serve one part: `pulseboard serve dashboard|api …`"),
}
SERVABLE = {"dashboard": "dashboard.__main__", "api": "api.__main__"}


def usage() -> str:
    lines = ["usage: pulseboard COMMAND [ARGS…]   (pulseboard COMMAND --help for its options)", ""]
    lines += [f"  {name:<9} {command.help}" for name, command in COMMANDS.items()]
    return "\n".join(lines)


def resolve(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """The module whose main runs `argv`, and the arguments it is given; None if unknown."""
    if not argv or argv[0] not in COMMANDS:
        return None
    name, rest = argv[0], list(argv[1:])
    if name == "serve":
        if not rest or rest[0] not in SERVABLE:
            return None
        return SERVABLE[rest[0]], ["serve", *rest[1:]]
    command = COMMANDS[name]
    return command.module, [*command.prefix, *rest]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in ([], ["-h"], ["--help"]):
        print(usage())
        return 0 if args else EXIT_USAGE
    found = resolve(args)
    if found is None:
        print(f"pulseboard: unknown command {' '.join(args[:2])!r}\n\n{usage()}", file=sys.stderr)
        return EXIT_USAGE
    module, forwarded = found
    return int(importlib.import_module(module).main(forwarded) or 0)
