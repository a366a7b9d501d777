"""What an import of activity files reports: one outcome per file or entry, and their summary."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    ref: str
    status: str  # imported | duplicate | rejected
    reason: str = ""
    activity_id: str = ""


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0
    # Index of the first item not imported when a run was told to stop early (a Lambda running
    # out of time); None when every item was seen.
    stopped_at: int | None = None

    def _count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def imported(self) -> int:
        return self._count("imported")

    @property
    def duplicates(self) -> int:
        return self._count("duplicate")

    @property
    def rejected(self) -> int:
        return self._count("rejected")

    @property
    def rejections(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def line(self) -> str:
        text = f"imported {self.imported}, duplicates {self.duplicates}, rejected {self.rejected}"
        return text + (f", skipped {self.skipped} non-activity files" if self.skipped else "")


def is_utf8(name: str) -> bool:
    """Whether a name the file system gave can be written anywhere (a store, a log, a page):
    a name that is not UTF-8 comes from it with lone surrogates in place of its bad bytes."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_name(name: str) -> str:
    """The name with each byte that is not UTF-8 written as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def not_utf8(name: str) -> Outcome:
    return Outcome(safe_name(name), "rejected",
                   "its name is not UTF-8 (written here with \\x escapes): rename the file and "
                   "import it again")
