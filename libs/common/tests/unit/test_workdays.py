"""Working days on the official Chinese calendar: the holidays package's default years, years
recorded by the general office, and deadlines pending a year not yet recorded.

Expected dates are worked out by hand from the State Council notices for 2025 and 2026, and
from the made-up 2027 schedule of ``spotcheck_common.testing`` (not a real notice).
"""

from __future__ import annotations

from datetime import date

import pytest

from spotcheck_common.testing import calendar_event
from spotcheck_common.workdays import (
    CalendarNotCovered,
    Deadline,
    WorkCalendar,
    YearSchedule,
    library_schedule,
    library_years,
)

LIB = WorkCalendar()
WITH_2027 = WorkCalendar([calendar_event().schedule()])


def test_the_package_carries_2025_and_2026_but_not_2027() -> None:
    # The worked examples below assume this; when `holidays` gains 2027, move the "next
    # year" examples to the first year it lacks.
    years = library_years()
    assert 2025 in years and 2026 in years
    assert 2027 not in years and 2000 not in years


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 28), True),  # Sunday, make-up working day for National Day 2025
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),  # ordinary Sunday
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 8), False),  # Wednesday, day off moved by 调休
        (date(2025, 10, 9), True),  # first working day after the holiday
        (date(2025, 1, 26), True),  # Sunday, make-up day for Spring Festival 2025
        (date(2025, 2, 4), False),  # Tuesday, Spring Festival holiday
        (date(2025, 2, 8), True),  # Saturday, make-up day
        (date(2026, 2, 14), True),  # Saturday, make-up day for Spring Festival 2026
        (date(2026, 2, 23), False),  # Monday, last day of the Spring Festival holiday
        (date(2026, 2, 28), True),  # Saturday, make-up day
        (date(2026, 9, 20), True),  # Sunday, make-up day for National Day 2026
        (date(2026, 10, 7), False),  # Wednesday, National Day holiday
        (date(2026, 10, 10), True),  # Saturday, make-up day
        (date(2026, 11, 25), True),  # ordinary Wednesday
    ],
)
def test_is_workday(day: date, expected: bool) -> None:
    assert LIB.is_workday(day) is expected


def test_start_day_is_not_counted() -> None:
    # Received on a working day: the first working day is the next one.
    assert LIB.add_workdays(date(2026, 11, 23), 1) == date(2026, 11, 24)
    # Received on a Saturday: counting starts on Monday.
    assert LIB.add_workdays(date(2026, 11, 21), 1) == date(2026, 11, 23)


def test_across_national_day_2025() -> None:
    # Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are working days.
    assert LIB.add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert LIB.add_workdays(date(2025, 9, 26), 1) == date(2025, 9, 28)  # a make-up Sunday counts
    # 20 working days (objection review) from Thu Sep 25: weekday-only counting would give
    # Oct 23; with the holiday and both make-up days it is Oct 29.
    assert LIB.add_workdays(date(2025, 9, 25), 20) == date(2025, 10, 29)


def test_across_spring_festival_2025() -> None:
    # Jan 28 - Feb 4 off; Sun Jan 26 and Sat Feb 8 are working days.
    assert LIB.add_workdays(date(2025, 1, 24), 5) == date(2025, 2, 7)
    assert LIB.add_workdays(date(2025, 1, 24), 15) == date(2025, 2, 20)


def test_across_spring_festival_2026() -> None:
    # Feb 15 - 23 off; Sat Feb 14 and Sat Feb 28 are working days.
    assert LIB.add_workdays(date(2026, 2, 12), 2) == date(2026, 2, 14)
    assert LIB.add_workdays(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert LIB.add_workdays(date(2026, 2, 12), 20) == date(2026, 3, 18)


def test_across_national_day_2026() -> None:
    # Oct 1 - 7 off; Sun Sep 20 and Sat Oct 10 are working days.
    assert LIB.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert LIB.add_workdays(date(2026, 9, 30), 20) == date(2026, 11, 3)
    assert LIB.add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_count_workdays_inverts_add_workdays() -> None:
    for start in (date(2025, 9, 25), date(2026, 2, 12), date(2025, 1, 24), date(2026, 12, 10)):
        for n in (1, 5, 15, 20):
            assert WITH_2027.count_workdays(start, WITH_2027.add_workdays(start, n)) == n
    assert LIB.count_workdays(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert LIB.count_workdays(date(2025, 10, 9), date(2025, 10, 1)) == 0


def test_uncovered_year_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarNotCovered) as info:
        LIB.is_workday(date(2027, 1, 4))
    assert info.value.year == 2027
    assert "2027 年的节假日安排" in str(info.value) and "尚未录入" in str(info.value)
    with pytest.raises(CalendarNotCovered):
        LIB.is_workday(date(1999, 10, 8))
    with pytest.raises(CalendarNotCovered):
        LIB.add_workdays(date(2026, 12, 10), 20)


def test_a_deadline_into_an_unrecorded_year_is_pending_then_a_date_once_recorded() -> None:
    # Received Thu 2026-12-10; 20 working days reach into 2027.
    pending = LIB.deadline(date(2026, 12, 10), 20)
    assert pending.pending and pending.due_on is None and pending.status == "pending_calendar"
    assert pending.pending_year == 2027 and pending.calendar_version is None
    assert pending.reason is not None and "2027 年的节假日安排" in pending.reason
    assert pending.json()["due_status"] == "pending_calendar"
    # With 2027 recorded (made-up schedule: Jan 1-3 off): Dec 11, 14-18, 21-25, 28-31 are 15
    # working days; Jan 4-8 bring it to 20.
    due = WITH_2027.deadline(date(2026, 12, 10), 20)
    assert due.due_on == date(2027, 1, 8) and due.status == "set"
    assert due.calendar_version == "2026/holidays-0.109,2027/v1"
    # The same count with weekdays alone (no holiday) would end on Jan 7.
    assert WorkCalendar([YearSchedule(2027, 1, "x")]).add_workdays(date(2026, 12, 10), 20) == date(
        2027, 1, 7
    )


def test_a_deadline_inside_a_covered_year_names_only_that_year() -> None:
    assert LIB.deadline(date(2026, 9, 30), 20) == Deadline(date(2026, 11, 3), "2026/holidays-0.109")


def test_across_the_made_up_spring_festival_2027() -> None:
    # Feb 5-13 off; Sun Jan 31 and Sat Feb 20 are working days (made-up schedule).
    assert WITH_2027.add_workdays(date(2027, 1, 29), 1) == date(2027, 1, 31)
    assert WITH_2027.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 15)
    assert WITH_2027.add_workdays(date(2027, 2, 4), 6) == date(2027, 2, 20)


def test_a_recorded_year_overrides_the_package_and_the_latest_version_wins() -> None:
    # Say the office records 2026 with 2026-11-25 (a Wednesday) as a day off.
    v1 = YearSchedule(2026, 1, "doc-1", days_off={date(2026, 11, 25): "测试"})
    v2 = YearSchedule(2026, 2, "doc-2", days_off={date(2026, 11, 26): "测试"})
    assert WorkCalendar([v1]).is_workday(date(2026, 11, 25)) is False
    # A recorded year is the whole schedule: the package's 2026 days no longer apply.
    assert WorkCalendar([v1]).is_workday(date(2026, 10, 7)) is True
    calendar = WorkCalendar([v2, v1])
    assert calendar.schedule(2026) is v2
    assert calendar.is_workday(date(2026, 11, 25)) and not calendar.is_workday(date(2026, 11, 26))
    assert calendar.deadline(date(2026, 11, 24), 2).calendar_version == "2026/v2"


def test_differences_from_the_package_are_reported() -> None:
    package = library_schedule(2026)
    assert package is not None and package.differences(package) == []
    typo = YearSchedule(
        2026,
        1,
        "doc",
        days_off={d: n for d, n in package.days_off.items() if d != date(2026, 10, 7)},
        make_up_workdays={**package.make_up_workdays, date(2026, 11, 28): "多录"},
    )
    assert typo.differences(package) == [
        {"date": "2026-10-07", "2026/v1": "工作日", "2026/holidays-0.109": "休息日"},
        {"date": "2026-11-28", "2026/v1": "工作日", "2026/holidays-0.109": "休息日"},
    ]


def test_deadline_reads_the_years_it_was_computed_with() -> None:
    due = WITH_2027.deadline(date(2026, 12, 10), 20)
    assert due.reads(2027) and due.reads(2026) and not due.reads(2028)
    assert LIB.deadline(date(2026, 12, 10), 20).reads(2027)  # pending: recording may resolve it
    assert not LIB.deadline(date(2026, 3, 2), 5).reads(2027)


def test_covered_through() -> None:
    assert LIB.covered_through(date(2026, 11, 30)) == date(2026, 12, 31)
    assert WITH_2027.covered_through(date(2026, 11, 30)) == date(2027, 12, 31)
    assert LIB.covered_through(date(2027, 3, 1)) == date(2026, 12, 31)


def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LIB.add_workdays(date(2026, 1, 5), 0)
