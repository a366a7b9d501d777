"""What every source's pure parse shares: the one ParseError and the Parsed result."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import PulseboardError
from storage.records import Record, Rejected


class ParseError(PulseboardError, ValueError):
    """A raw payload (or one item of it) cannot be read; the message says what is wrong."""


@dataclass
class Parsed[R: Record]:
    """One raw payload read: the records it holds and what was rejected, with reasons."""

    records: list[R] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
