"""The one root of every error a user can meet: its message says what was wrong and what to do."""

from __future__ import annotations


class PulseboardError(Exception):
    """An error a user can meet; `str(exc)` is one line: what was wrong and what to do.

    `exit_code` is what a command-line run ends with when this error stops it."""

    exit_code = 1


class UsageError(PulseboardError):
    """A command was called the wrong way, or a setting is missing or wrong."""

    exit_code = 2
