"""FIT files: damaged, truncated and non-activity ones refused with a reason."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from demo.activity_files import (
    fit_bytes,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import rejected

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


def test_truncated_fit_is_rejected():
    data = fit_bytes(samples(START))
    assert "truncated" in rejected("cut.fit", data[: len(data) // 2])


def test_corrupt_fit_is_rejected_by_its_checksum():
    data = bytearray(fit_bytes(samples(START)))
    data[200] ^= 0xFF
    assert "corrupt" in rejected("flipped.fit", bytes(data))


def test_fit_course_file_is_not_an_activity():
    reason = rejected("course.fit", fit_bytes(samples(START), file_type="course"))
    assert "course" in reason


def test_fit_header_alone_is_truncated_not_a_crash():
    data = fit_bytes(samples(START))
    header = data[:14]
    body_size = struct.unpack("<I", header[4:8])[0]
    assert body_size > 0
    assert "truncated" in rejected("header.fit", header)
