"""The year's official holiday schedule as the general office records it (pure rules).

The State Council publishes next year's holidays each autumn (国务院办公厅关于××××年部分节假日
安排的通知). The general office (办公室) enters it the day it is published: every holiday as
the notice states it (「春节：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）
上班」), with the notice's document number and date. A correction is a new version with a
reason; nothing recorded is ever edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from spotcheck_common.errors import Invalid
from spotcheck_common.events.calendar import CalendarYearRecorded, HolidayPeriod, MakeUpWorkday
from spotcheck_common.workdays import WorkCalendar, YearSchedule, library_schedule, library_years

# The longest holiday of any notice so far is 9 days (Spring Festival); more is a typing error.
MAX_PERIOD_DAYS = 15
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class ScheduleRejected(Invalid):
    """The schedule does not fit the calendar; nothing is recorded (422, naming the fields)."""

    def __init__(self, year: int, errors: list[FieldError]) -> None:
        super().__init__(
            f"{year} 年节假日安排未录入",
            errors=[{"field": e.field, "reason": e.reason} for e in errors],
        )
        self.errors = errors


def check(
    year: int,
    published_on: date,
    days_off: list[HolidayPeriod],
    make_up_workdays: list[MakeUpWorkday],
    today: date,
) -> None:
    """Every day in ``year``, periods apart, make-up days on weekends outside the holidays."""
    errors: list[FieldError] = []
    if published_on > today:
        errors.append(FieldError("published_on", f"发布日期不能晚于今天（{today}）"))
    if published_on.year not in (year - 1, year):
        errors.append(
            FieldError("published_on", f"{year} 年的安排应于 {year - 1} 或 {year} 年发布")
        )
    if not days_off:
        errors.append(FieldError("days_off", "至少填写一个放假安排"))
    taken = _check_days_off(year, days_off, errors)
    _check_make_up_workdays(year, make_up_workdays, taken, errors)
    if errors:
        raise ScheduleRejected(year, errors)


def _check_days_off(
    year: int, days_off: list[HolidayPeriod], errors: list[FieldError]
) -> dict[date, int]:
    """Each holiday within the year, ends after it starts, at most 15 days, no day in two;
    the days off, with the index of their holiday."""
    taken: dict[date, int] = {}
    for i, p in enumerate(days_off):
        where = f"days_off[{i}]"
        if p.start.year != year or p.end.year != year:
            errors.append(FieldError(where, f"放假日期应在 {year} 年内（跨年的日子分别录入各年）"))
        if p.end < p.start:
            errors.append(FieldError(where, f"结束日期 {p.end} 早于开始日期 {p.start}"))
            continue
        days = p.days()
        if len(days) > MAX_PERIOD_DAYS:
            errors.append(FieldError(where, f"「{p.name}」放假 {len(days)} 天，超过 15 天，请核对"))
            continue
        for d in days:
            if d in taken:
                errors.append(FieldError(where, f"{d} 已在 days_off[{taken[d]}] 中"))
                break
            taken[d] = i
    return taken


def _check_make_up_workdays(
    year: int, make_up: list[MakeUpWorkday], taken: dict[date, int], errors: list[FieldError]
) -> None:
    """Each make-up day within the year, a Saturday or Sunday, not a day off, not twice."""
    seen: set[date] = set()
    for i, m in enumerate(make_up):
        where = f"make_up_workdays[{i}]"
        if m.date.year != year:
            errors.append(FieldError(where, f"调休上班日应在 {year} 年内"))
        if m.date.weekday() < 5:
            weekday = WEEKDAYS[m.date.weekday()]
            errors.append(FieldError(where, f"{m.date} 是星期{weekday}，调休上班日应为周六或周日"))
        if m.date in taken:
            errors.append(FieldError(where, f"{m.date} 同时是放假日（days_off[{taken[m.date]}]）"))
        if m.date in seen:
            errors.append(FieldError(where, f"{m.date} 重复"))
        seen.add(m.date)


def next_version(year: int, latest: int, reason: str) -> int:
    """Version 1 needs no reason; a correction does (第九条's spirit: nothing is silently
    changed)."""
    if latest and not reason.strip():
        raise ScheduleRejected(
            year,
            [FieldError("reason", f"已录入第 {latest} 版，更正须说明理由（新版本替代旧版本）")],
        )
    return latest + 1


def differences_from_library(schedule: YearSchedule) -> list[dict[str, Any]]:
    """Where a recorded year and the holidays package disagree (empty when the package does
    not know the year)."""
    library = library_schedule(schedule.year)
    return schedule.differences(library) if library else []


def view(year: int, versions: list[CalendarYearRecorded]) -> dict[str, Any]:
    """What staff and the public read of a year: the schedule in force, where it comes from,
    every recorded version, and how it differs from the package."""
    library = library_schedule(year)
    recorded = [v.schedule() for v in versions]
    calendar = WorkCalendar(recorded)
    current = calendar.schedule(year) if calendar.covers(year) else None
    source = source_of(year, bool(recorded))
    return {
        "year": year,
        "covered": current is not None,
        "source": source,
        "source_label": {
            "recorded": "办公室录入的国务院办公厅通知",
            "holidays": f"默认日历（{library.source}）" if library else "",
            "none": "尚未录入：该年的期限将待录入后计算",
        }[source],
        "calendar_version": current.label if current else None,
        "days_off": _days(current.days_off) if current else [],
        "make_up_workdays": _days(current.make_up_workdays) if current else [],
        "current": _version(versions[-1]) if versions else None,
        "versions": [
            {**_version(v), "superseded": i < len(versions) - 1} for i, v in enumerate(versions)
        ],
        "library": {"source": library.source if library else None, "covers": library is not None},
        "differences_from_library": (
            differences_from_library(recorded[-1]) if recorded and library else []
        ),
    }


def source_of(year: int, recorded: bool) -> str:
    return "recorded" if recorded else ("holidays" if library_schedule(year) else "none")


def overview(today: date, versions: list[CalendarYearRecorded]) -> dict[str, Any]:
    """Which years are covered, and by what: the package's years, the recorded ones, this
    year and next."""
    calendar = WorkCalendar(v.schedule() for v in versions)
    recorded = {v.year for v in versions}
    years = sorted(recorded | set(library_years()) | {today.year, today.year + 1})
    return {
        "today": today.isoformat(),
        "covered_through": calendar.covered_through(today).isoformat(),
        "years": [
            {
                "year": y,
                "covered": calendar.covers(y),
                "source": source_of(y, y in recorded),
                "calendar_version": calendar.schedule(y).label if calendar.covers(y) else None,
            }
            for y in years
        ],
    }


def _days(days: Any) -> list[dict[str, str]]:
    return [{"date": d.isoformat(), "name": days[d]} for d in sorted(days)]


def _version(v: CalendarYearRecorded) -> dict[str, Any]:
    return {
        "version": v.schedule_version,
        "label": v.schedule().label,
        "document_no": v.document_no,
        "title": v.title,
        "published_on": v.published_on.isoformat(),
        "holidays": [p.model_dump(mode="json") for p in v.days_off],
        "make_up_workdays": [m.model_dump(mode="json") for m in v.make_up_workdays],
        "reason": v.reason,
        "recorded_by": v.recorded_by,
        "recorded_at": v.recorded_at.isoformat(),
    }
