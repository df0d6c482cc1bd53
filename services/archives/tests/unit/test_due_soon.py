"""Due soon (spotcheck_due_soon_items): open legal deadlines within the next N working days,
counted on the working-day calendar across the 2026 National Day holiday (10-01 … 10-07 off)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from archives.domain.accountability import due_soon_gauge, due_soon_horizon, evaluate
from archives.service_layer import accountability as service
from spotcheck_common.events import Envelope
from spotcheck_common.metrics import DUE_SOON_ITEMS, OVERDUE_ITEMS
from spotcheck_common.workdays import WorkCalendar

from .fakes import FakeArchivesUnitOfWork
from .test_accountability import Events, docs, fold

CALENDAR = WorkCalendar()  # the library's schedules: 2026 is the last year covered


def tasks(s: Any) -> Events:
    """T-Z open, due 10-09; T-Y due 10-09 but done 09-28; T-X open, due 10-12; T-W open, due
    on the last day the calendar covers."""
    events: Events = []
    for task_id, deadline in [
        ("T-Z", date(2026, 10, 9)),
        ("T-Y", date(2026, 10, 9)),
        ("T-X", date(2026, 10, 12)),
        ("T-W", date(2026, 12, 31)),
    ]:
        events.append((s.task(task_id, f"LG-{task_id}", s.FOOD, deadline), s.at(date(2026, 3, 1))))
        events.append((s.drawn(task_id, [(s.U3, s.TEAM_U3)]), s.at(date(2026, 3, 2))))
    events.append(
        (s.submitted("T-Y", "insp-Y", s.U3, s.TEAM_U3, date(2026, 9, 28)), s.at(date(2026, 9, 28)))
    )
    return events


def test_the_horizon_counts_working_days_and_stops_where_the_calendar_does() -> None:
    # 09-30, then the holiday, then 10-08 and 10-09: three working days after 09-29.
    assert due_soon_horizon(date(2026, 9, 29), CALENDAR, 3) == date(2026, 10, 9)
    assert due_soon_horizon(date(2026, 9, 29), CALENDAR, 1) == date(2026, 9, 30)
    # 2027 is not covered: every dated deadline lies on or before 12-31.
    assert due_soon_horizon(date(2026, 12, 30), CALENDAR, 3) == date(2026, 12, 31)


def test_only_open_clocks_due_by_the_horizon_are_due_soon(
    envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    facts = fold(docs(tasks(s), envelope))

    def due_soon(as_of: date, workdays: int) -> list[tuple[str, str]]:
        horizon = due_soon_horizon(as_of, CALENDAR, workdays)
        _, _, items = evaluate(facts, as_of, CALENDAR, horizon)
        return sorted((i["task_id"], i["due_on"]) for i in items)

    # Ten calendar days ahead but three working days: due soon; T-Y is done, T-X a day later.
    assert due_soon(date(2026, 9, 29), 3) == [("T-Z", "2026-10-09")]
    assert due_soon(date(2026, 9, 29), 2) == []
    # Due today counts; Saturday 10-10 is worked, so T-X (Monday 10-12) is two working days off.
    assert due_soon(date(2026, 10, 9), 1) == [("T-Z", "2026-10-09")]
    assert due_soon(date(2026, 10, 9), 2) == [("T-X", "2026-10-12"), ("T-Z", "2026-10-09")]
    # The day after its deadline T-Z is overdue, no longer due soon.
    failures, _, soon = evaluate(facts, date(2026, 10, 10), CALENDAR, date(2026, 10, 12))
    assert [(i["task_id"], i["status"]) for i in failures] == [("T-Z", "overdue")]
    assert [i["task_id"] for i in soon] == ["T-X"]
    assert due_soon(date(2026, 12, 30), 3) == [("T-W", "2026-12-31")]
    # Without a horizon nothing is looked for.
    assert evaluate(facts, date(2026, 9, 29), CALENDAR, None)[2] == []
    assert due_soon_gauge(evaluate(facts, date(2026, 10, 9), CALENDAR, date(2026, 10, 12))[2]) == {
        ("task_not_run", s.FOOD): 2
    }


async def test_the_periodic_refresh_sets_the_due_soon_gauge(
    envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    uow = FakeArchivesUnitOfWork()
    for document in docs(tasks(s), envelope):
        await service.record(uow, document, datetime(2026, 10, 1))

    def value(gauge: Any, department: str) -> float:
        return gauge.labels(
            source="archives", kind="task_not_run", department=department
        )._value.get()

    await service.refresh_gauge(uow, date(2026, 9, 29), 3)
    assert value(DUE_SOON_ITEMS, s.FOOD) == 1
    assert value(OVERDUE_ITEMS, s.FOOD) == 0
    # A kind of a known department with nothing due soon has its 0 series.
    assert (
        DUE_SOON_ITEMS.labels(
            source="archives", kind="objection_review", department=s.FOOD
        )._value.get()
        == 0
    )
    # The setting counts: with 5 working days T-X (10-12) is due soon too.
    await service.refresh_gauge(uow, date(2026, 9, 29), 5)
    assert value(DUE_SOON_ITEMS, s.FOOD) == 2
    # Once missed, T-Z moves from due soon to overdue; T-X is still due soon.
    await service.refresh_gauge(uow, date(2026, 10, 10), 3)
    assert value(DUE_SOON_ITEMS, s.FOOD) == 1
    assert value(OVERDUE_ITEMS, s.FOOD) == 1
