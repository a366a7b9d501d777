"""GPX and TCX are read as a stream: memory stays a small multiple of the file, not a tree."""

from __future__ import annotations

import tracemalloc

import pytest

from collectors.sources.files.parse import parse
from collectors.sources.files.xmlstream import events, moment
from demo.activity_files import gpx_text, samples, tcx_bytes
from serverless_tests.collectors.sources.files.conftest import DAY, NOW

# Peak memory stays under 4× the file (a tree of a 60 MB GPX took 1.3 GB, over 20×). A file of
# 8 MB is big enough for the reader's fixed costs (a 1 MB chunk, a 10,000-point stream) to
# count for little.
MAX_PEAK_PER_BYTE = 4.0


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_peak_memory_is_a_small_multiple_of_the_file(fmt):
    points = samples(DAY, n=40_000, step_s=1.0)
    data = gpx_text(points).encode() if fmt == "gpx" else tcx_bytes(points)
    del points
    tracemalloc.start()
    try:
        parsed = parse(f"big.{fmt}", data, NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.records) == 2
    assert peak < MAX_PEAK_PER_BYTE * len(data), f"{peak / len(data):.1f}× the file"


def test_the_stream_reads_across_chunks_and_leading_blanks():
    text = b"\n\n  \xef\xbb\xbf" + gpx_text(samples(DAY, n=3)).encode()
    names = [e.tag.rsplit("}", 1)[-1] for event, e in events(text) if event == "end"]
    assert names.count("trkpt") == 3 and names[-1] == "gpx"


@pytest.mark.parametrize(("text", "expected"), [
    ("2010-08-05T14:23:59Z", "2010-08-05T14:23:59+00:00"),
    ("2010-08-05T14:23:59.250+02:00", "2010-08-05T14:23:59.250000+02:00"),
    ("2010-08-05T14:23:59", "2010-08-05T14:23:59"),
    ("yesterday", None), ("", None),
])
def test_times_as_files_write_them(text, expected):
    found = moment(text)
    assert (found.isoformat() if found else None) == expected
