"""The domain clock: fixed for tests, started elsewhere for rehearsals, Beijing's today."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from spotcheck_common.clock import (
    FixedClock,
    StartedClock,
    SystemClock,
    clock_from_setting,
    parse_instant,
)


def test_today_is_the_beijing_date() -> None:
    assert FixedClock(datetime(2026, 11, 25, 16, 30, tzinfo=UTC)).today() == date(2026, 11, 26)
    assert FixedClock(datetime(2026, 11, 25, 15, 59, tzinfo=UTC)).today() == date(2026, 11, 25)


def test_a_bare_date_is_nine_in_the_morning_in_beijing() -> None:
    assert parse_instant("2027-06-01") == datetime(2027, 6, 1, 1, tzinfo=UTC)
    assert parse_instant("2027-06-01T23:30:00") == datetime(2027, 6, 1, 15, 30, tzinfo=UTC)
    assert parse_instant(date(2027, 6, 1)).tzinfo is UTC


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock("2026-12-31")
    first = clock.now()
    assert clock.now() == first
    clock.advance(days=1)
    assert clock.today() == date(2027, 1, 1)
    clock.set("2027-06-01")
    assert clock.today() == date(2027, 6, 1)


def test_started_clock_starts_where_told_and_runs() -> None:
    clock = StartedClock("2027-06-01T09:00:00+08:00")
    first = clock.now()
    assert clock.today() == date(2027, 6, 1)
    time.sleep(0.01)
    assert clock.now() > first


def test_the_setting_picks_the_clock() -> None:
    assert isinstance(clock_from_setting(""), SystemClock)
    assert clock_from_setting("2027-06-01").today() == date(2027, 6, 1)
