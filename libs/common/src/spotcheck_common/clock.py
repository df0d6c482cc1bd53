"""The clock every domain date and instant comes from.

Legal deadlines are counted from "today" in Beijing; a service that read the wall clock
directly could not be tested on a chosen day, nor rehearsed in another year. So each process
has one :class:`Clock` (``ServiceRuntime.clock``, handed to every unit of work as
``uow.clock``), and domain code asks it — never ``datetime.now()`` or ``date.today()``.

- :class:`SystemClock` — production: the machine's time.
- :class:`FixedClock` — unit tests: stands still until the test moves it.
- :class:`StartedClock` — ``SPOTCHECK_CLOCK=<ISO instant>``: starts at that instant and runs
  at the normal pace (end-to-end tests in containers, rehearsals of a year that has not
  come yet). Operational timings (outbox age, retries, token expiry) keep the real time.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = [
    "CHINA_TZ",
    "Clock",
    "FixedClock",
    "StartedClock",
    "SystemClock",
    "clock_from_setting",
    "parse_instant",
]

# China Standard Time has no daylight saving: a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_date(instant: datetime) -> date:
    """The calendar date in China (the bureau's day) of an aware instant, whatever the server's
    zone."""
    return instant.astimezone(CHINA_TZ).date()


class Clock:
    """Now (an aware UTC instant) and today (the date in Beijing, where deadlines are dates)."""

    def now(self) -> datetime:
        raise NotImplementedError

    def today(self) -> date:
        return china_date(self.now())


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock(Clock):
    """A clock that stands still (unit tests); ``set`` and ``advance`` move it."""

    def __init__(self, instant: datetime | date | str) -> None:
        self._now = parse_instant(instant)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime | date | str) -> None:
        self._now = parse_instant(instant)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


class StartedClock(Clock):
    """Starts at ``start`` and runs at the normal pace from the moment it is made."""

    def __init__(self, start: datetime | date | str) -> None:
        self._start = parse_instant(start)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def __repr__(self) -> str:
        return f"StartedClock(from {self._start.isoformat()})"


def parse_instant(value: datetime | date | str) -> datetime:
    """An aware UTC instant. A bare date is 09:00 that day in Beijing (office hours); a naive
    time is Beijing time."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, 9, tzinfo=CHINA_TZ)
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(UTC)


def clock_from_setting(value: str) -> Clock:
    """``SPOTCHECK_CLOCK``: empty for the system clock, else the instant to start from."""
    return StartedClock(value) if value.strip() else SystemClock()
