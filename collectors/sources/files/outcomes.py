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
