"""The sign-in throttle: a sliding minute per account and per client, in the store."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.auth.throttle import LOGIN_ATTEMPTS_PER_MINUTE, throttled


@pytest.mark.parametrize("offset_s", [0.0, 57.0])
def test_throttle_holds_across_a_window_boundary(sqlite_store: Any, offset_s: float) -> None:
    start = 1_800_000_000.0 + offset_s  # 57 s puts the boundary right inside the burst
    verdicts = [throttled(sqlite_store, "ana", "10.0.0.1", start + i) for i in range(12)]
    assert verdicts[:LOGIN_ATTEMPTS_PER_MINUTE] == [False] * LOGIN_ATTEMPTS_PER_MINUTE
    assert all(verdicts[LOGIN_ATTEMPTS_PER_MINUTE:])
