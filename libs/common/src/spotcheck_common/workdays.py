"""Working days (工作日) on the official Chinese calendar, as the bureau's data. Pure.

Which days are off in a year, and which weekend days are worked in exchange (调休), is fixed by
the State Council's yearly notice (国务院办公厅关于××××年部分节假日安排的通知), published each
autumn. A :class:`YearSchedule` is one year of it, from one of two sources:

- **recorded** — entered by the general office (办公室) in the registry the day the notice is
  published, versioned 1, 2, … (a correction is a new version with a reason), and sent to every
  service that keeps a clock as ``registry.calendar-year-recorded``. The latest version wins.
- **the ``holidays`` package** (``CN``) — the default for the years whose notice the installed
  release already carries (version 0). A recorded year overrides it.

A :class:`WorkCalendar` is the set of schedules a service holds. A year in neither source is not
covered: counting into it raises :class:`CalendarNotCovered`, and :meth:`WorkCalendar.deadline`
returns a *pending* :class:`Deadline` instead, computed once the year is recorded. A legal act
(an objection received, a result formed) is never refused for it.

Counting rule (how the law counts periods: the day of the triggering act — receipt, decision —
is not counted, counting starts the next day): ``add_workdays(start, n)`` is the n-th working day
*after* ``start``; ``start`` itself never counts, whether or not it is a working day. A 20 working
day review period for an application received on ``start`` ends on ``add_workdays(start, 20)``.

Each computed deadline records the schedules it read (``calendar_version``, e.g.
``"2026/holidays-0.109,2027/v2"``), so a later correction of a year finds the deadlines to
recompute, and anyone can see which version a date came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

import holidays as _holidays

from spotcheck_common.clock import CHINA_TZ

__all__ = [
    "CHINA_TZ",
    "PENDING_CALENDAR",
    "CalendarNotCovered",
    "Deadline",
    "DueStatus",
    "WorkCalendar",
    "YearSchedule",
    "library_schedule",
    "library_years",
]

DueStatus = Literal["set", "pending_calendar"]
SET: DueStatus = "set"
PENDING_CALENDAR: DueStatus = "pending_calendar"
LIBRARY_SOURCE = f"holidays {_holidays.__version__}"


class CalendarNotCovered(LookupError):
    """The calendar does not know a year's official holidays and make-up working days."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(pending_reason(year))


def pending_reason(year: int) -> str:
    return (
        f"{year} 年的节假日安排（国务院办公厅通知）尚未录入工作日历，期限将在办公室录入后自动计算"
    )


@dataclass(frozen=True)
class YearSchedule:
    """One year of the official calendar: days off (with the holiday's name) and make-up working
    days. Only dates in ``year``."""

    year: int
    version: int  # recorded: 1, 2, …; 0: the holidays package
    source: str  # the notice's document number, or "holidays <release>"
    days_off: Mapping[date, str] = field(default_factory=dict)
    make_up_workdays: Mapping[date, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.version:
            return f"{self.year}/v{self.version}"
        return f"{self.year}/holidays-{_holidays.__version__}"

    def is_workday(self, d: date) -> bool:
        if d in self.make_up_workdays:
            return True
        return d.weekday() < 5 and d not in self.days_off

    def differences(self, other: YearSchedule) -> list[dict[str, Any]]:
        """Days this schedule and ``other`` (of the same year) classify differently."""
        days = sorted(
            {*self.days_off, *self.make_up_workdays, *other.days_off, *other.make_up_workdays}
        )
        out = []
        for d in days:
            mine, theirs = self.is_workday(d), other.is_workday(d)
            if mine != theirs:
                out.append(
                    {
                        "date": d.isoformat(),
                        self.label: _kind(mine),
                        other.label: _kind(theirs),
                    }
                )
        return out


def _kind(workday: bool) -> str:
    return "工作日" if workday else "休息日"


@dataclass(frozen=True)
class Deadline:
    """A legal deadline: a date, or pending until the calendar covers the year it reaches."""

    due_on: date | None
    calendar_version: str | None = None
    pending_year: int | None = None

    @property
    def status(self) -> DueStatus:
        return SET if self.due_on is not None else PENDING_CALENDAR

    @property
    def pending(self) -> bool:
        return self.due_on is None

    @property
    def reason(self) -> str | None:
        return pending_reason(self.pending_year) if self.pending_year else None

    def reads(self, year: int) -> bool:
        """Whether recording ``year`` may change this deadline: it is pending, or it was
        computed with a version of that year."""
        return self.pending or any(v.startswith(f"{year}/") for v in self.versions())

    def versions(self) -> list[str]:
        return (self.calendar_version or "").split(",") if self.calendar_version else []

    def json(self) -> dict[str, Any]:
        return {
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "due_status": self.status,
            "calendar_version": self.calendar_version,
            "pending_reason": self.reason,
        }


@lru_cache(maxsize=1)
def library_years() -> range:
    """The unbroken run of years, ending at the newest, whose notice the package carries."""
    cn = _holidays.country_holidays("CN", years=[])
    notices = getattr(cn, "special_public_holidays", None)
    if not isinstance(notices, dict) or not notices:
        raise RuntimeError(
            "this holidays version does not expose China's yearly notices "
            "(special_public_holidays); check spotcheck_common.workdays against it"
        )
    years = {int(y) for y in notices}
    last = first = max(years)
    while first - 1 in years:
        first -= 1
    return range(first, last + 1)


@lru_cache(maxsize=64)
def library_schedule(year: int) -> YearSchedule | None:
    """The ``holidays`` package's schedule of ``year``, or None when it lacks that notice."""
    if year not in library_years():
        return None
    cn = _holidays.country_holidays("CN", years=[year])
    return YearSchedule(
        year=year,
        version=0,
        source=LIBRARY_SOURCE,
        days_off={d: str(name) for d, name in cn.items() if d.year == year},
        make_up_workdays={d: "调休上班" for d in cn.weekend_workdays if d.year == year},
    )


class WorkCalendar:
    """The schedules one service holds: recorded years over the package's default years."""

    def __init__(self, recorded: Iterable[YearSchedule] = (), use_library: bool = True) -> None:
        self.recorded: dict[int, YearSchedule] = {}
        for s in recorded:
            if s.year not in self.recorded or s.version > self.recorded[s.year].version:
                self.recorded[s.year] = s
        self.use_library = use_library

    def schedule(self, year: int) -> YearSchedule:
        found = self.recorded.get(year) or (library_schedule(year) if self.use_library else None)
        if found is None:
            raise CalendarNotCovered(year)
        return found

    def covers(self, year: int) -> bool:
        try:
            self.schedule(year)
        except CalendarNotCovered:
            return False
        return True

    def covered_years(self) -> list[int]:
        years = set(self.recorded) | (set(library_years()) if self.use_library else set())
        return sorted(years)

    def covered_through(self, today: date) -> date:
        """The last day of the unbroken run of covered years starting with ``today``'s year
        (the day before ``today``'s year if even that is not covered)."""
        year = today.year
        while self.covers(year):
            year += 1
        return date(year, 1, 1) - timedelta(days=1)

    def is_workday(self, d: date) -> bool:
        return self.schedule(d.year).is_workday(d)

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself never counts; n >= 1).

        Raises :class:`CalendarNotCovered` if a day it has to look at lies in a year the
        calendar does not cover.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        d, left = start, n
        while left:
            d += timedelta(days=1)
            if self.is_workday(d):
                left -= 1
        return d

    def count_workdays(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``: how many have elapsed since ``start`` by ``end``.

        ``count_workdays(s, add_workdays(s, n)) == n``; 0 when ``end <= start``.
        """
        total, d = 0, start
        while d < end:
            d += timedelta(days=1)
            total += self.is_workday(d)
        return total

    def elapsed(self, start: date, end: date) -> int | None:
        """``count_workdays``, or None when a day in between is in a year not covered."""
        try:
            return self.count_workdays(start, end)
        except CalendarNotCovered:
            return None

    def deadline(self, start: date, n: int) -> Deadline:
        """``add_workdays(start, n)`` with the versions it read, or pending (never raises for an
        uncovered year)."""
        try:
            due = self.add_workdays(start, n)
        except CalendarNotCovered as exc:
            return Deadline(None, pending_year=exc.year)
        return Deadline(due, self.version_label(start + timedelta(days=1), due))

    def version_label(self, first: date, last: date) -> str:
        return ",".join(self.schedule(y).label for y in range(first.year, last.year + 1))
