"""XML read as a stream of elements, so a large GPX or TCX never stands in memory as a tree."""

from __future__ import annotations

import codecs
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import cast

CHUNK_BYTES = 1 << 20
_LEADING = b"\xef\xbb\xbf \t\r\n"


def local(tag: str) -> str:
    """A tag without its namespace: files write the same schema under several URIs."""
    return tag.rsplit("}", 1)[-1]


def events(data: bytes) -> Iterator[tuple[str, ET.Element]]:
    """("start" | "end", element) for the whole document, read a chunk at a time.

    Decoded as UTF-8 whatever the declaration says, bad bytes replaced (as devices and exports
    write them); the caller clears elements it is done with. Raises ET.ParseError."""
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start", "end"))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    view = memoryview(data)
    # Strava's exports can start with blank lines before the XML declaration.
    head = data[:4096]
    start = len(head) - len(head.lstrip(_LEADING))
    for offset in range(start, len(data), CHUNK_BYTES):
        parser.feed(decoder.decode(view[offset:offset + CHUNK_BYTES]))
        yield from _elements(parser)
    parser.feed(decoder.decode(b"", final=True))
    parser.close()
    yield from _elements(parser)


def _elements(parser: ET.XMLPullParser) -> Iterator[tuple[str, ET.Element]]:
    # With only start and end asked for, every event is (name, element).
    for item in parser.read_events():
        yield cast(tuple[str, ET.Element], item)


def number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def moment(text: str | None) -> datetime | None:
    """An ISO-8601 time as GPX and TCX write it (Z or an offset, any fraction); None if none."""
    if not text or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None
