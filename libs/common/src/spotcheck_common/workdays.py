"""Working days (工作日) on the official Chinese calendar.

The calendar is the maintained ``holidays`` package's ``CN`` entity: statutory public holidays,
the days off moved by the State Council's yearly notice (调休, "休息日（由 … 调休）"), and the
weekend days that become working days in exchange (``weekend_workdays``, e.g. Sunday
2025-09-28 before the 2025 National Day holiday). A Saturday or Sunday is a working day only
when it is such a make-up day; a weekday is a working day unless it is a holiday.

Coverage: the package encodes the State Council notice (国务院办公厅关于部分节假日安排的通知)
of each year it knows (2001 onwards). For any other year it would still compute the lunar
holidays but could not know that year's 调休, so every function here raises
:class:`CalendarNotCovered` for a date in such a year instead of guessing. Upgrading
``holidays`` once the next year's notice is out extends the coverage. Known limit: a make-up
working day that falls in late December of the last covered year but belongs to the next
year's notice (rare; last seen 2011-12-31) is unknown until that notice is in the package.

Counting rule (how the law counts periods: the day of the triggering act — receipt, decision —
is not counted, counting starts the next day): ``add_workdays(start, n)`` is the n-th working day
*after* ``start``; ``start`` itself never counts, whether or not it is a working day. A 20 working
day review period for an application received on ``start`` ends on ``add_workdays(start, 20)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

import holidays as _holidays

__all__ = [
    "CHINA_TZ",
    "CalendarNotCovered",
    "add_workdays",
    "count_workdays",
    "covered_years",
    "is_workday",
    "today",
]

# China Standard Time has no daylight saving: a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class CalendarNotCovered(LookupError):
    """The calendar does not know a year's official holidays and make-up working days."""

    def __init__(self, year: int, covered: range) -> None:
        self.year = year
        self.covered = covered
        super().__init__(
            f"工作日历未覆盖 {year} 年（holidays {_holidays.__version__} 仅收录 "
            f"{covered.start}–{covered.stop - 1} 年国务院办公厅放假安排），无法计算工作日；"
            f"请升级 holidays 库 / working-day calendar does not cover {year}"
        )


class _Calendar:
    def __init__(self) -> None:
        static_years = sorted(_covered_notice_years())
        if not static_years:
            raise RuntimeError("the holidays package has no Chinese holiday notices")
        # Only the unbroken run ending at the newest notice: a gap would be a guess.
        last = static_years[-1]
        first = last
        while first - 1 in static_years:
            first -= 1
        self.covered = range(first, last + 1)
        self.cn = _holidays.country_holidays("CN", years=list(self.covered))
        self.weekend_workdays: frozenset[date] = frozenset(self.cn.weekend_workdays)

    def check(self, d: date) -> None:
        if d.year not in self.covered:
            raise CalendarNotCovered(d.year, self.covered)

    def is_workday(self, d: date) -> bool:
        self.check(d)
        if d.weekday() >= 5:
            return d in self.weekend_workdays
        return d not in self.cn


def _covered_notice_years() -> set[int]:
    """Years whose State Council notice (the 调休 table) the installed package carries."""
    cn = _holidays.country_holidays("CN", years=[])
    notices = getattr(cn, "special_public_holidays", None)
    if not isinstance(notices, dict):
        raise RuntimeError(
            "this holidays version does not expose China's yearly notices "
            "(special_public_holidays); check spotcheck_common.workdays against it"
        )
    return {int(y) for y in notices}


@lru_cache(maxsize=1)
def _calendar() -> _Calendar:
    return _Calendar()


def covered_years() -> range:
    """The years whose official holidays and make-up working days are known."""
    return _calendar().covered


def is_workday(d: date) -> bool:
    """True if ``d`` is a working day (make-up weekend days included, holidays excluded)."""
    return _calendar().is_workday(d)


def add_workdays(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is never counted; n >= 1).

    Raises :class:`CalendarNotCovered` if any day that has to be looked at lies in a year the
    calendar does not cover.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    cal = _calendar()
    d, left = start, n
    while left:
        d += timedelta(days=1)
        if cal.is_workday(d):
            left -= 1
    return d


def count_workdays(start: date, end: date) -> int:
    """Working days in ``(start, end]``: how many have elapsed since ``start`` by ``end``.

    ``count_workdays(s, add_workdays(s, n)) == n``; 0 when ``end <= start``.
    """
    cal = _calendar()
    total, d = 0, start
    while d < end:
        d += timedelta(days=1)
        total += cal.is_workday(d)
    return total


def today(now: datetime | None = None) -> date:
    """Today's date in China (deadlines are calendar dates in Beijing time)."""
    return (now or datetime.now(UTC)).astimezone(CHINA_TZ).date()
