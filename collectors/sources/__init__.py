"""The registry of sources: adding one is a folder beside this file and one line below."""

from __future__ import annotations

from collectors.sources import files, sheets, strava, withings
from collectors.sources.base import Source
from core.errors import UsageError

REGISTRY: dict[str, Source] = {
    source.name: source
    for source in (
        strava.SOURCE,
        withings.SOURCE,
        sheets.SOURCE,
        files.SOURCE,  # syncs = False: its work is the inbox poll and `import`
    )
}


class UnknownSource(UsageError, ValueError):
    """A source name that is not in the registry."""


def get(name: str) -> Source:
    """The source called `name`; UnknownSource naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownSource(f"unknown source {name!r}; one of {', '.join(REGISTRY)}") from None


def syncing() -> list[Source]:
    """The sources `sync --source all`, "sync now" and the schedule run, in registry order."""
    return [source for source in REGISTRY.values() if source.syncs]


def with_oauth() -> list[Source]:
    """The sources `connect` can authorize."""
    return [source for source in REGISTRY.values() if source.oauth is not None]
