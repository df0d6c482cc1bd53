"""Consumer lag from offsets (``spotcheck_common.lag.lag_of``): high watermark minus committed
offset per partition, from the first offset where the group never committed."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from spotcheck_common import lag
from spotcheck_common.lag import lag_of


def test_lag_sums_the_partitions_and_counts_an_uncommitted_one_from_its_first_offset() -> None:
    end = {0: 120, 1: 40, 2: 7}
    first = {0: 100, 1: 0, 2: 7}  # partition 0's first 100 events expired (retention)
    committed = {0: 110, 1: None}  # partition 2: never committed, and empty
    assert lag_of(committed, first, end) == 10 + 40 + 0


def test_a_committed_offset_ahead_of_the_watermark_counts_no_negative_lag() -> None:
    assert lag_of({0: 12}, {0: 0}, {0: 10}) == 0
    assert lag_of({}, {}, {}) == 0


class FakeProbe:
    """Stands in for ``lag.LagProbe``: counts the pairs of clients opened and closed."""

    opened: ClassVar[list[FakeProbe]] = []
    fail_at: ClassVar[set[int]] = set()
    stop = asyncio.Event()  # set after the sixth measurement

    def __init__(self, bootstrap: str, options: dict[str, Any]) -> None:
        self.closed = False
        self.measured = 0

    async def start(self) -> FakeProbe:
        FakeProbe.opened.append(self)
        return self

    async def measure(self, groups: Any) -> dict[tuple[str, str], int]:
        self.measured += 1
        total = sum(p.measured for p in FakeProbe.opened)
        if total == 6:
            FakeProbe.stop.set()
        if total in FakeProbe.fail_at:
            raise ConnectionError("broker gone")
        return {}

    async def close(self) -> None:
        self.closed = True


async def test_watch_keeps_one_pair_of_clients_and_opens_new_ones_only_after_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lag, "LagProbe", FakeProbe)
    FakeProbe.opened, FakeProbe.fail_at, FakeProbe.stop = [], {3}, asyncio.Event()
    await asyncio.wait_for(lag.watch("b:9092", {}, [("g", "t")], 0.001, FakeProbe.stop), 10)
    first, second = FakeProbe.opened  # the third measurement failed: one new pair, no more
    assert first.measured == 3 and first.closed
    assert second.measured == 3 and second.closed  # closed when the watch stops
