"""Accountability (第十三条) on facts folded from events: every overdue kind, fixed dates, deadlines
across the 2026 National Day holiday (10-01 … 10-07 off, Saturday 10-10 worked)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from archives.domain.accountability import (
    Fact,
    Facts,
    Key,
    group_counts,
    overdue_gauge,
    overdue_items,
    statistics,
)
from archives.domain.folds import apply, touched
from archives.service_layer import accountability as service
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.objections import ObjectionDeadlinesSet
from spotcheck_common.metrics import OVERDUE_ITEMS
from spotcheck_common.testing import calendar_event
from spotcheck_common.workdays import WorkCalendar

from .fakes import FakeArchivesUnitOfWork

CALENDAR = WorkCalendar()

Events = list[tuple[Event, datetime]]


def fold(envelopes: list[dict[str, Any]]) -> Facts:
    """What the consumer does, on a dict instead of the table."""
    store: dict[Key, Fact] = {}
    for env in envelopes:
        event = service.parse(env)  # the payload read with its schema class
        if event is None:  # filed, not folded
            continue
        keys = touched(event)
        current = {k: store[k] for k in keys if k in store}
        for f in apply(event, env["occurred_at"], current):
            store[(f.kind, f.key)] = f
    return Facts.of(store.values())


def docs(events: Events, envelope: Callable[..., Envelope[Any]]) -> list[dict[str, Any]]:
    return [envelope(e, occurred_at=t).model_dump(mode="json") for e, t in events]


def by_kind(items: list[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for i in items:
        subject = i["subject"]
        what = (
            subject.get("uscc")
            if i["kind"] in ("task_not_run", "result_publication")
            else subject.get("objection_id") or subject.get("follow_up_id")
        )
        out.setdefault(i["kind"], []).append(
            (i["task_id"], what, i["status"], i["due_on"], i["department"])
        )
    return {k: sorted(v, key=str) for k, v in out.items()}


def test_every_kind_as_of_20_october(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    facts = fold(docs(year_events(), envelope))
    items, pending = overdue_items(facts, date(2026, 10, 20), CALENDAR)
    assert pending == []
    assert by_kind(items) == {
        "task_not_run": [
            ("T-A", s.U2, "overdue", "2026-09-30", s.CREDIT),  # drawn, never inspected
            ("T-B", None, "overdue", "2026-09-30", s.FOOD),  # approved, never drawn
        ],
        # corrected 10-13, due 10-12 (5 working days after 09-29 across the holiday)
        "objection_correction": [("T-C", "obj-C3", "late", "2026-10-12", s.FOOD)],
        # opened 09-29, 10 working days → 10-19; as of 10-20 not transferred
        "case_not_transferred": [("T-C", "fu-C1", "overdue", "2026-10-19", s.FOOD)],
    }
    not_run = next(i for i in items if i["subject"].get("uscc") == s.U2)
    assert [m["inspector_id"] for m in not_run["inspectors"]] == ["I003", "I004"]
    assert not_run["overdue_workdays"] == 10  # 10-08, 10-09, Sat 10-10, 10-12 … 10-16, 10-19, 10-20
    assert "赵敏（I003）" in not_run["description"] and "2026-09-30" in not_run["description"]
    case = next(i for i in items if i["kind"] == "case_not_transferred")
    assert [m["inspector_id"] for m in case["inspectors"]] == ["I005", "I006"]
    assert case["overdue_workdays"] == 1


def test_every_kind_as_of_29_october(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    items, _ = overdue_items(fold(docs(year_events(), envelope)), date(2026, 10, 29), CALENDAR)
    kinds = by_kind(items)
    # published 10-23, due 10-22: 20 working days after 09-18 (Mid-Autumn and National Day off)
    assert kinds["result_publication"] == [("T-A", s.U1, "late", "2026-10-22", s.CREDIT)]
    publication = next(i for i in items if i["kind"] == "result_publication")
    assert [m["inspector_id"] for m in publication["inspectors"]] == ["I001"]  # the leader
    assert publication["done_on"] == "2026-10-23" and publication["overdue_workdays"] == 1
    # decided 09-22, feedback due 10-20 (15 working days), given 10-21
    assert kinds["objection_feedback"] == [("T-C", "obj-C1", "late", "2026-10-20", s.FOOD)]
    # received 09-23, review due 10-28, never decided
    assert kinds["objection_review"] == [("T-C", "obj-C2", "overdue", "2026-10-28", s.FOOD)]
    assert kinds["case_not_transferred"] == [("T-C", "fu-C1", "overdue", "2026-10-19", s.FOOD)]
    assert len(kinds["task_not_run"]) == 2 and len(kinds["objection_correction"]) == 1
    # fu-C2 was transferred in time (10-16), fu-C3 is not a suspected crime: no items.
    assert not any(i["subject"].get("follow_up_id") in ("fu-C2", "fu-C3") for i in items)


def test_deadline_days_themselves_are_not_overdue(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]]
) -> None:
    """A naive count (weekends only, no holidays) would make these overdue days earlier."""
    facts = fold(docs(year_events(), envelope))

    def kinds(day: date) -> set[str]:
        return {i["kind"] for i in overdue_items(facts, day, CALENDAR)[0]}

    assert "case_not_transferred" not in kinds(date(2026, 10, 19))
    assert "case_not_transferred" in kinds(date(2026, 10, 20))
    assert "objection_correction" not in kinds(date(2026, 10, 12))  # due 10-12, done 10-13
    assert "objection_correction" in kinds(date(2026, 10, 13))
    assert "result_publication" not in kinds(date(2026, 10, 22))
    assert "objection_review" not in kinds(date(2026, 10, 28))
    assert "task_not_run" not in kinds(date(2026, 9, 30))
    assert "task_not_run" in kinds(date(2026, 10, 1))


def test_as_of_is_a_point_in_time(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]]
) -> None:
    """An act dated after ``as_of`` has not happened yet as of that day."""
    facts = fold(docs(year_events(), envelope))
    on_23 = [
        i
        for i in overdue_items(facts, date(2026, 10, 23), CALENDAR)[0]
        if i["kind"] == "result_publication"
    ]
    assert [i["status"] for i in on_23] == ["late"]
    on_20 = [
        i
        for i in overdue_items(facts, date(2026, 10, 20), CALENDAR)[0]
        if i["kind"] == "objection_feedback"
    ]
    assert on_20 == []  # due 10-20: not yet overdue, although given late on 10-21
    on_21 = [
        i
        for i in overdue_items(facts, date(2026, 10, 21), CALENDAR)[0]
        if i["kind"] == "objection_feedback"
    ]
    assert [i["status"] for i in on_21] == ["late"]


def test_facts_do_not_depend_on_arrival_order(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]]
) -> None:
    """Events of one task come over several topics: any order must give the same answer."""
    documents = docs(year_events(), envelope)
    expected = overdue_items(fold(documents), date(2026, 10, 29), CALENDAR)
    for seed in range(5):
        shuffled = documents[:]
        random.Random(seed).shuffle(shuffled)
        assert overdue_items(fold(shuffled), date(2026, 10, 29), CALENDAR) == expected


def test_a_redelivered_fold_changes_nothing(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]]
) -> None:
    documents = docs(year_events(), envelope)
    assert overdue_items(
        fold(documents + documents), date(2026, 10, 29), CALENDAR
    ) == overdue_items(fold(documents), date(2026, 10, 29), CALENDAR)


def test_withheld_results_and_counted_done_targets_close_their_clocks(
    envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    from spotcheck_common.events.publication import ResultWithheld
    from spotcheck_common.events.types import ResultCategory

    s = scenario
    refused = s.submitted("T-X", "insp-X2", s.U2, s.TEAM_U2, date(2026, 9, 18))
    refused = refused.model_copy(update={"not_inspected_reason": "不配合检查情节严重"})
    events: Events = [
        (s.task("T-X", "LG-X", s.CREDIT, date(2026, 9, 30)), s.at(date(2026, 3, 1))),
        (s.drawn("T-X", [(s.U1, s.TEAM_U1), (s.U2, s.TEAM_U2)]), s.at(date(2026, 3, 2))),
        (
            s.submitted(
                "T-X", "insp-X1", s.U1, s.TEAM_U1, date(2026, 9, 18), ResultCategory.NO_PROBLEM
            ),
            s.at(date(2026, 9, 18)),
        ),
        (refused, s.at(date(2026, 9, 18))),
        (
            ResultWithheld(
                inspection_id="insp-X1",
                task_id="T-X",
                uscc=s.U1,
                reason="涉及国家秘密",
                recorded_at=s.at(date(2026, 9, 21)),
            ),
            s.at(date(2026, 9, 21)),
        ),
    ]
    facts = fold(docs(events, envelope))
    items, _ = overdue_items(facts, date(2026, 12, 1), CALENDAR)
    # The refusal counts as done; the withheld result is closed; the other is not published.
    assert [(i["kind"], i["subject"]["inspection_id"]) for i in items] == [
        ("result_publication", "insp-X2")
    ]


def test_an_inspection_submitted_after_the_deadline_is_late_not_overdue(
    envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    events: Events = [
        (s.task("T-L", "LG-L", s.FOOD, date(2026, 9, 30)), s.at(date(2026, 3, 1))),
        (s.drawn("T-L", [(s.U3, s.TEAM_U3)]), s.at(date(2026, 3, 2))),
        (s.submitted("T-L", "insp-L", s.U3, s.TEAM_U3, date(2026, 9, 30)), s.at(date(2026, 10, 8))),
    ]
    items, _ = overdue_items(fold(docs(events, envelope)), date(2026, 10, 9), CALENDAR)
    late = [i for i in items if i["kind"] == "task_not_run"]
    assert [(i["status"], i["done_on"], i["overdue_workdays"]) for i in late] == [
        ("late", "2026-10-08", 1)
    ]


def test_counts_per_department_and_inspector_and_the_gauge(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    items, _ = overdue_items(fold(docs(year_events(), envelope)), date(2026, 10, 29), CALENDAR)
    grouped = group_counts(items)
    departments = {d["department"]: d for d in grouped["by_department"]}
    assert departments[s.CREDIT]["overdue"] == {"task_not_run": 1}
    assert departments[s.CREDIT]["late"] == {"result_publication": 1}
    assert departments[s.FOOD]["overdue"] == {
        "task_not_run": 1,
        "objection_review": 1,
        "case_not_transferred": 1,
    }
    assert departments[s.FOOD]["late_total"] == 2
    inspectors = {i["inspector_id"]: i for i in grouped["by_inspector"]}
    assert inspectors["I003"]["overdue"] == {"task_not_run": 1}
    assert inspectors["I001"]["late"] == {"result_publication": 1}
    assert inspectors["I005"]["overdue"] == {"case_not_transferred": 1}
    assert "I002" not in inspectors  # a member is not the one who enters results
    assert overdue_gauge(items) == {
        ("task_not_run", s.CREDIT): 1,
        ("task_not_run", s.FOOD): 1,
        ("objection_review", s.FOOD): 1,
        ("case_not_transferred", s.FOOD): 1,
    }


def test_statistics_rates_and_categories(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    stats = statistics(fold(docs(year_events(), envelope)), date(2026, 10, 29), CALENDAR)
    tasks = {t["task_id"]: t for t in stats["tasks"]}
    assert tasks["T-A"]["targets"] == 2 and tasks["T-A"]["submitted"] == 1
    assert tasks["T-A"]["completion_rate"] == 0.5
    assert tasks["T-A"]["publication_rate"] == 1.0 and tasks["T-A"]["on_time_rate"] == 0.0
    assert tasks["T-B"]["drawn"] is False and tasks["T-B"]["completion_rate"] is None
    assert tasks["T-C"]["completion_rate"] == 1.0 and tasks["T-C"]["on_time_rate"] == 1.0
    assert tasks["T-C"]["overdue"] == {"objection_review": 1, "case_not_transferred": 1}
    departments = {d["department"]: d for d in stats["departments"]}
    assert departments[s.FOOD]["tasks"] == 2 and departments[s.FOOD]["tasks_completed"] == 1
    assert departments[s.CREDIT]["completion_rate"] == 0.5
    # T-C's record was corrected: its current version counts, not the first one.
    assert departments[s.FOOD]["results_by_category"] == {"发现问题经责令已改正": 1}
    assert stats["results_by_category"] == {"发现问题待后续处理": 1, "发现问题经责令已改正": 1}
    # By person: the targets of the teams each inspector was on (第十三条, by inspector).
    people = {i["inspector_id"]: i for i in stats["inspectors"]}
    assert people["I001"] == people["I002"] | {"inspector_id": "I001", "name": "王强"}
    assert people["I001"]["targets"] == 1 and people["I001"]["completion_rate"] == 1.0
    assert people["I001"]["publication_rate"] == 1.0 and people["I001"]["on_time_rate"] == 0.0
    assert people["I003"]["completion_rate"] == 0.0 and people["I003"]["results_formed"] == 0
    assert people["I003"]["publication_rate"] is None  # nothing to publish yet
    assert people["I005"]["completion_rate"] == 1.0 and people["I005"]["on_time_rate"] == 1.0
    # As of a day before the publication, T-A has nothing published.
    earlier = statistics(fold(docs(year_events(), envelope)), date(2026, 10, 22), CALENDAR)
    assert {t["task_id"]: t for t in earlier["tasks"]}["T-A"]["publication_rate"] == 0.0


async def test_service_reports_filter_and_set_the_gauge(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    uow = FakeArchivesUnitOfWork()
    for document in docs(year_events(), envelope):
        await service.record(uow, document, datetime(2026, 11, 1))
    report = await service.accountability(uow, date(2026, 10, 29), 2026, s.FOOD)
    assert {i["department"] for i in report["items"]} == {s.FOOD}
    assert report["summary"] == {
        "overdue": 3,
        "late": 2,
        "exempt": 0,
        "exemption_proposed": 0,
        "pending_calendar": 0,
    }
    assert await service.accountability(uow, date(2026, 10, 29), 2025, None) == {
        **report,
        "year": 2025,
        "department": None,
        "summary": {
            "overdue": 0,
            "late": 0,
            "exempt": 0,
            "exemption_proposed": 0,
            "pending_calendar": 0,
        },
        "by_department": [],
        "by_inspector": [],
        "items": [],
    }
    stats = await service.statistics_report(uow, date(2026, 10, 29), 2026, s.CREDIT)
    assert [t["task_id"] for t in stats["tasks"]] == ["T-A"]

    counts = await service.refresh_gauge(uow, date(2026, 10, 29), 3)
    assert counts[("case_not_transferred", s.FOOD)] == 1

    def value(kind: str, department: str) -> float:
        return OVERDUE_ITEMS.labels(
            source="archives", kind=kind, department=department
        )._value.get()

    assert value("case_not_transferred", s.FOOD) == 1
    assert value("objection_feedback", s.FOOD) == 0  # late, not open: not in the gauge
    assert value("result_publication", s.CREDIT) == 0
    # Later, once everything is done (or not yet due), a series that was 1 drops to 0.
    await service.refresh_gauge(uow, date(2026, 3, 3), 3)
    assert value("case_not_transferred", s.FOOD) == 0


def test_envelope_dates_are_read_in_china_time(
    envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    """Submitted at 23:30 UTC on 09-30 is 07:30 on 10-01 in Beijing: after the deadline."""
    from datetime import UTC

    s = scenario
    events: Events = [
        (s.task("T-Z", "LG-Z", s.FOOD, date(2026, 9, 30)), s.at(date(2026, 3, 1))),
        (s.drawn("T-Z", [(s.U3, s.TEAM_U3)]), s.at(date(2026, 3, 2))),
        (
            s.submitted("T-Z", "insp-Z", s.U3, s.TEAM_U3, date(2026, 9, 30)),
            datetime(2026, 9, 30, 23, 30, tzinfo=UTC),
        ),
    ]
    items, _ = overdue_items(fold(docs(events, envelope)), date(2026, 10, 9), CALENDAR)
    assert [(i["kind"], i["status"], i["done_on"]) for i in items] == [
        ("task_not_run", "late", "2026-10-01")
    ]


def _raw(event_type: str, occurred: datetime, **payload: Any) -> dict[str, Any]:
    """An envelope as filed (fields of the newer contracts written out, so this test does not
    depend on which optional fields a producer fills)."""
    return {"event_type": event_type, "occurred_at": occurred.isoformat(), "payload": payload}


def test_a_follow_up_made_a_suspected_crime_later_starts_the_transfer_clock(
    envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    base: Events = [
        (s.task("T-F", "LG-F", s.FOOD, date(2026, 12, 31)), s.at(date(2026, 3, 1))),
        (s.drawn("T-F", [(s.U3, s.TEAM_U3)]), s.at(date(2026, 3, 2))),
        (s.submitted("T-F", "insp-F", s.U3, s.TEAM_U3, date(2026, 9, 1)), s.at(date(2026, 9, 1))),
    ]
    opened = _raw(
        "inspections.follow-up-opened",
        s.at(date(2026, 9, 2)),
        follow_up_id="fu-V",
        inspection_id="insp-F",
        task_id="T-F",
        uscc=s.U3,
        kind="violation",
        lead_department=s.FOOD,
        opened_on="2026-09-02",
    )
    case_filed = _raw(
        "inspections.follow-up-recorded",
        s.at(date(2026, 9, 29)),
        follow_up_id="fu-V",
        task_id="T-F",
        uscc=s.U3,
        action="case_filed",
        outcome="立案后发现涉嫌犯罪",
        recorded_on="2026-09-29",
        recorded_by="食品科",
        kind="suspected_crime",
        suspected_crime=True,
    )
    documents = [*docs(base, envelope), opened, case_filed]

    def cases(documents: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
        items = overdue_items(fold(documents), day, CALENDAR)[0]
        return [i for i in items if i["kind"] == "case_not_transferred"]

    assert cases([*docs(base, envelope), opened], date(2026, 12, 1)) == []  # a violation only
    # 10 working days after 09-29, across National Day: 10-19 (not 09-02 + 10).
    assert cases(documents, date(2026, 10, 19)) == []
    items = cases(documents, date(2026, 10, 20))
    assert [(i["due_on"], i["department"], i["status"]) for i in items] == [
        ("2026-10-19", s.FOOD, "overdue")
    ]
    # In any order; and the date inspections gives wins over the computed one.
    given = dict(case_filed, payload={**case_filed["payload"], "transfer_due_on": "2026-10-16"})
    items = cases([given, opened, *docs(base, envelope)], date(2026, 10, 19))
    assert [i["due_on"] for i in items] == ["2026-10-16"]
    transferred = _raw(
        "inspections.follow-up-recorded",
        s.at(date(2026, 10, 15)),
        follow_up_id="fu-V",
        task_id="T-F",
        uscc=s.U3,
        action="transferred",
        outcome="已移送公安机关",
        recorded_on="2026-10-15",
        recorded_by="食品科",
    )
    assert cases([*documents, transferred], date(2026, 12, 1)) == []


def test_objections_name_the_reviewing_department_and_the_correction_submission(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    s = scenario
    documents = docs(year_events(), envelope)
    for d in documents:
        if d["event_type"] == "objections.objection-filed":
            d["payload"]["review_department"] = "复查科"
    submitted = _raw(
        "objections.objection-correction-submitted",
        s.at(date(2026, 10, 9)),
        objection_id="obj-C3",
        record_id="rec-insp-C3",
        task_id="T-C",
        uscc=s.U3,
        corrected_results=[],
        reason="复查属实",
        reviewer="食品科复查人",
        decided_on="2026-09-29",
        submitted_by="xinyong-01",
        submitted_on="2026-10-09",
    )
    items, _ = overdue_items(fold([*documents, submitted]), date(2026, 10, 29), CALENDAR)
    objection_items = [i for i in items if i["kind"].startswith("objection_")]
    assert {i["department"] for i in objection_items} == {"复查科"}
    correction = next(i for i in items if i["kind"] == "objection_correction")
    assert correction["subject"]["correction_submitted_on"] == "2026-10-09"
    assert correction["subject"]["correction_submitted_by"] == "xinyong-01"
    assert correction["status"] == "late"  # submitted in time, published on 10-13 (due 10-12)


def test_a_clock_pending_next_years_calendar_is_listed_apart_then_judged_once_recorded(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    approved, drawn, submitted, published, filed, *_ = task_cycle("T-P")
    # Received Sun 2026-12-20 with no 2027 schedule anywhere: objections sent no review date.
    pending_filed = filed.model_copy(
        update={"received_on": date(2026, 12, 20), "review_due_on": None}
    )
    events = [(e, datetime(2026, 12, 20, 2, tzinfo=UTC)) for e in (approved, drawn, submitted)]
    events += [(published, datetime(2026, 12, 20, 2, tzinfo=UTC))]
    events += [(pending_filed, datetime(2026, 12, 20, 3, tzinfo=UTC))]
    facts = fold(docs(events, envelope))
    items, pending = overdue_items(facts, date(2027, 2, 1), CALENDAR)
    assert [i["kind"] for i in items] == []  # neither overdue nor on time
    (review,) = pending
    assert review["kind"] == "objection_review" and review["due_status"] == "pending_calendar"
    assert "2027 年的节假日安排" in review["reason"]
    # Archives holds 2027 now: the fallback is counted on read (Jan 18 with the made-up
    # schedule), so the same facts are judged at once.
    with_2027 = WorkCalendar([calendar_event().schedule()])
    items, pending = overdue_items(facts, date(2027, 2, 1), with_2027)
    assert pending == [] and [(i["kind"], i["status"], i["due_on"]) for i in items] == [
        ("objection_review", "overdue", "2027-01-18")
    ]
    assert items[0]["calendar_version"] == "2026/holidays-0.109,2027/v1"
    # The date objections computes and sends (objection-deadlines-set) wins over the fallback.
    given = ObjectionDeadlinesSet(
        objection_id=filed.objection_id,
        record_id=filed.record_id,
        task_id=filed.task_id,
        uscc=filed.uscc,
        review_due_on=date(2027, 1, 19),
        changed=["review"],
        calendar_version="2027/v2",
        reason="2027 年工作日历录入",
    )
    facts = fold(docs([*events, (given, datetime(2027, 1, 2, 2, tzinfo=UTC))], envelope))
    items, _ = overdue_items(facts, date(2027, 2, 1), WorkCalendar())
    assert [(i["kind"], i["due_on"]) for i in items] == [("objection_review", "2027-01-19")]


def test_a_correction_requested_of_the_city_in_time_waits_for_its_reply(
    year_events: Callable[[], Events], envelope: Callable[..., Envelope[Any]], scenario: Any
) -> None:
    """第九条: obj-C3, decided 09-29, due 10-12. Requested of the city on 10-09 (in time): not
    overdue while the city holds it; granted on 10-20 with 1 working day left (due 10-21), the
    correction published 10-22 is late; refused instead, there is nothing to correct."""
    s = scenario
    documents = [
        d
        for d in docs(year_events(), envelope)
        if d["event_type"] != "publication.result-corrected"
    ]
    common = {
        "objection_id": "obj-C3",
        "record_id": "rec-insp-C3",
        "task_id": "T-C",
        "uscc": s.U3,
        "source": "objection",
        "request_id": "req-1",
        "request_no": "临市监更〔2026〕3号",
        "requested_on": "2026-10-09",
    }
    requested = _raw(
        "objections.correction-requested",
        s.at(date(2026, 10, 9)),
        **common,
        corrected_results=[],
        reason="复查属实",
        requested_by="xinyong-01",
        record_version=1,
        correction_due_on="2026-10-12",
        clock_suspended=True,
    )
    reply = {"reply_no": "威市监复〔2026〕5号", "replied_on": "2026-10-20", "recorded_by": "x"}
    granted = _raw(
        "objections.correction-granted",
        s.at(date(2026, 10, 20)),
        **common,
        **reply,
        corrected_results=[],
        reason="复查属实",
        requested_by="xinyong-01",
        correction_due_on="2026-10-21",
    )
    refused = _raw(
        "objections.correction-refused",
        s.at(date(2026, 10, 20)),
        **common,
        **reply,
        reason="不予更正",
    )
    corrected = next(
        d
        for d in docs(year_events(), envelope)
        if d["event_type"] == "publication.result-corrected"
    )
    late_publication = {
        **corrected,
        "payload": {**corrected["payload"], "published_at": "2026-10-22T02:00:00+00:00"},
    }

    def correction(extra: list[dict[str, Any]], day: date) -> list[tuple[str, str]]:
        items = overdue_items(fold([*documents, *extra]), day, CALENDAR)[0]
        return [(i["status"], i["due_on"]) for i in items if i["kind"] == "objection_correction"]

    assert correction([], date(2026, 10, 29)) == [("overdue", "2026-10-12")]  # without the city
    assert correction([requested], date(2026, 10, 29)) == []  # the city holds it
    assert correction([requested, granted], date(2026, 10, 21)) == []
    assert correction([granted, requested], date(2026, 10, 22)) == [("overdue", "2026-10-21")]
    assert correction([requested, granted, late_publication], date(2026, 10, 29)) == [
        ("late", "2026-10-21")
    ]
    assert correction([requested, refused], date(2026, 10, 29)) == []
