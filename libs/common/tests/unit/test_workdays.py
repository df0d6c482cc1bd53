"""Working days on the official Chinese calendar (holidays and 调休 from the ``holidays`` package).

Expected dates are worked out by hand from the State Council notices for 2025 and 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from spotcheck_common.workdays import (
    CalendarNotCovered,
    add_workdays,
    count_workdays,
    covered_years,
    is_workday,
    today,
)


def test_covers_2025_and_2026() -> None:
    years = covered_years()
    assert 2025 in years and 2026 in years
    assert 2000 not in years


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
    assert is_workday(day) is expected


def test_start_day_is_not_counted() -> None:
    # Received on a working day: the first working day is the next one.
    assert add_workdays(date(2026, 11, 23), 1) == date(2026, 11, 24)
    # Received on a Saturday: counting starts on Monday.
    assert add_workdays(date(2026, 11, 21), 1) == date(2026, 11, 23)


def test_across_national_day_2025() -> None:
    # Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are working days.
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_workdays(date(2025, 9, 26), 1) == date(2025, 9, 28)  # a make-up Sunday counts
    # 20 working days (objection review) from Thu Sep 25: weekday-only counting would give
    # Oct 23; with the holiday and both make-up days it is Oct 29.
    assert add_workdays(date(2025, 9, 25), 20) == date(2025, 10, 29)


def test_across_spring_festival_2025() -> None:
    # Jan 28 - Feb 4 off; Sun Jan 26 and Sat Feb 8 are working days.
    assert add_workdays(date(2025, 1, 24), 5) == date(2025, 2, 7)
    assert add_workdays(date(2025, 1, 24), 15) == date(2025, 2, 20)


def test_across_spring_festival_2026() -> None:
    # Feb 15 - 23 off; Sat Feb 14 and Sat Feb 28 are working days.
    assert add_workdays(date(2026, 2, 12), 2) == date(2026, 2, 14)
    assert add_workdays(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert add_workdays(date(2026, 2, 12), 20) == date(2026, 3, 18)


def test_across_national_day_2026() -> None:
    # Oct 1 - 7 off; Sun Sep 20 and Sat Oct 10 are working days.
    assert add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert add_workdays(date(2026, 9, 30), 20) == date(2026, 11, 3)
    assert add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_count_workdays_inverts_add_workdays() -> None:
    for start in (date(2025, 9, 25), date(2026, 2, 12), date(2025, 1, 24)):
        for n in (1, 5, 15, 20):
            assert count_workdays(start, add_workdays(start, n)) == n
    assert count_workdays(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert count_workdays(date(2025, 10, 9), date(2025, 10, 1)) == 0


def test_uncovered_year_is_an_error_not_a_guess() -> None:
    last = covered_years().stop - 1
    with pytest.raises(CalendarNotCovered) as info:
        is_workday(date(last + 1, 1, 4))
    assert info.value.year == last + 1
    assert "未覆盖" in str(info.value)
    with pytest.raises(CalendarNotCovered):
        is_workday(date(1999, 10, 8))
    # A deadline that runs into an uncovered year is refused too.
    with pytest.raises(CalendarNotCovered):
        add_workdays(date(last, 12, 10), 20)


def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2026, 1, 5), 0)


def test_today_is_beijing_date() -> None:
    assert today(datetime(2026, 11, 25, 16, 30, tzinfo=UTC)) == date(2026, 11, 26)
    assert today(datetime(2026, 11, 25, 15, 59, tzinfo=UTC)) == date(2026, 11, 25)
