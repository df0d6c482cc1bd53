"""Consumer lag from offsets (``spotcheck_common.lag.lag_of``): high watermark minus committed
offset per partition, from the first offset where the group never committed."""

from __future__ import annotations

from spotcheck_common.lag import lag_of


def test_lag_sums_the_partitions_and_counts_an_uncommitted_one_from_its_first_offset() -> None:
    end = {0: 120, 1: 40, 2: 7}
    first = {0: 100, 1: 0, 2: 7}  # partition 0's first 100 events expired (retention)
    committed = {0: 110, 1: None}  # partition 2: never committed, and empty
    assert lag_of(committed, first, end) == 10 + 40 + 0


def test_a_committed_offset_ahead_of_the_watermark_counts_no_negative_lag() -> None:
    assert lag_of({0: 12}, {0: 0}, {0: 10}) == 0
    assert lag_of({}, {}, {}) == 0
