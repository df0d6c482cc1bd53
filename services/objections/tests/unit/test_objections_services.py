"""Objections use cases on fakes: deadlines on working days, refusals, decisions, overdue."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from objections.domain import model, scans
from objections.domain.model import Objection, Status
from objections.entrypoints.schemas import ObjectionOut
from objections.service_layer import services
from spotcheck_common.errors import Conflict, DomainError, Forbidden, NotFound
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.objections import (
    ObjectionDeadlinesSet,
    ObjectionDecided,
    ObjectionFeedbackGiven,
    ObjectionFiled,
)
from spotcheck_common.events.publication import (
    CorrectionSource,
    ResultCorrected,
    ResultPublished,
)
from spotcheck_common.events.types import ObjectionDecision, PendingReason, ResultCategory
from spotcheck_common.http import status_of
from spotcheck_common.testing import FakeUnitOfWork, calendar_event
from spotcheck_common.workdays import WorkCalendar

from . import samples
from .fakes import FakeObjectionsRepository

USCC = "91371000MA3C000011"
OTHER = "91371000MA3C000029"
TODAY = date(2026, 11, 26)

NAMES = {"A01": "营业执照公示情况", "A02": "年度报告公示情况"}


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM, **kw: Any) -> ItemResult:
    return ItemResult(check_item_code=code, check_item_name=NAMES[code], category=category, **kw)


FakeRepo = FakeObjectionsRepository


def with_repo(uow: FakeUnitOfWork, repo: FakeObjectionsRepository) -> Any:
    """The fake unit of work carrying the fake repository, as the SQL one carries its own."""
    uow.objections = repo  # type: ignore[attr-defined]
    return uow


def shown(o: Objection, today: date) -> dict[str, Any]:
    return ObjectionOut.of(o, today).model_dump(mode="json")


def published(version: int = 1, results: list[ItemResult] | None = None) -> ResultPublished:
    return ResultPublished(
        record_id="rec-1",
        record_version=version,
        inspection_id="insp-1",
        task_id="task-1",
        uscc=USCC,
        entity_name="威海临港某某食品有限公司",
        results=results or [item("A01"), item("A02")],
        published_at=datetime(2025, 9, 1, 2, tzinfo=UTC),
        task_no="LG-2025-007",
        lead_department="食品经营监管科",
    )


async def repo_with_record() -> FakeRepo:
    repo = FakeRepo()
    await services.record_published(with_repo(FakeUnitOfWork(), repo), published())
    return repo


# The scan of a paper application (a real one-page PDF).
PAPER = scans.Upload("异议申请书.pdf", samples.PDF)


async def file(
    repo: FakeRepo, received_on: date | None = date(2025, 9, 25), uscc: str = USCC
) -> tuple[Objection, FakeUnitOfWork]:
    """A paper application registered by the credit department with its scan when it has a
    date of receipt; else the entity's own, online."""
    paper = received_on is not None
    uow = FakeUnitOfWork(actor="xinyong-1" if paper else "entity")
    o = await services.file_objection(
        with_repo(uow, repo),
        "rec-1",
        uscc,
        "年报已公示",
        received_on,
        TODAY,
        paper=paper,
        upload=PAPER if paper else None,
    )
    return o, uow


async def test_filing_sets_review_due_on_20_working_days_after_receipt() -> None:
    repo = await repo_with_record()
    objection, uow = await file(repo)
    # Received Thu 2025-09-25; the day of receipt is not counted; National Day 2025 off,
    # Sun Sep 28 and Sat Oct 11 worked: day 20 is Wed Oct 29.
    assert objection.review_due_on == date(2025, 10, 29)
    assert uow.committed
    (event,) = uow.events
    assert isinstance(event, ObjectionFiled)
    assert (event.review_due_on, event.record_version, event.task_id) == (
        date(2025, 10, 29),
        1,
        "task-1",
    )


async def test_received_on_defaults_to_today() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo, received_on=None)
    assert objection.received_on == TODAY
    # Thu 2026-11-26 + 20 working days (no holidays in between) = Thu 2026-12-24.
    assert objection.review_due_on == date(2026, 12, 24)


@pytest.mark.parametrize(
    ("kwargs", "error", "status"),
    [
        ({"uscc": OTHER}, Forbidden, 403),
        ({"received_on": date(2026, 11, 27)}, DomainError, 422),
    ],
)
async def test_filing_refusals_write_nothing(
    kwargs: dict[str, object], error: type[DomainError], status: int
) -> None:
    repo = await repo_with_record()
    with pytest.raises(error) as info:
        await file(repo, **kwargs)  # type: ignore[arg-type]
    assert status_of(info.value) == status
    assert repo.objections == {}


async def test_unknown_record_is_404() -> None:
    with pytest.raises(NotFound, match="不存在"):
        await file(FakeRepo())


async def test_second_open_objection_is_409() -> None:
    repo = await repo_with_record()
    await file(repo)
    with pytest.raises(Conflict):
        await file(repo)
    assert len(repo.objections) == 1


async def test_a_deadline_in_an_unrecorded_year_is_pending_then_computed_when_recorded() -> None:
    repo = await repo_with_record()
    uow = FakeUnitOfWork()
    # Received Sun 2026-12-20: 20 working days reach into 2027, whose schedule nobody has
    # recorded. The objection is received all the same; its review date is pending.
    objection = await services.file_objection(
        with_repo(uow, repo),
        "rec-1",
        USCC,
        "r",
        date(2026, 12, 20),
        date(2026, 12, 21),
        paper=True,
        upload=PAPER,
    )
    assert uow.committed and objection.review_due_on is None
    (filed,) = uow.events
    assert isinstance(filed, ObjectionFiled) and filed.review_due_on is None
    assert filed.due_status == "pending_calendar" and filed.calendar_version is None
    view = shown(objection, date(2027, 3, 1))
    assert view["due_status"] == "pending_calendar" and view["review_due_on"] is None
    assert "2027 年的节假日安排" in view["due_reason"]
    assert view["pending_calendar"] == [model.KIND_REVIEW]
    assert view["overdue"]["any"] is False and view["overdue_open"] == []  # pending: not late
    # Recording 2028 changes nothing; recording 2027 gives the date and says so in an event.
    recorder = FakeUnitOfWork(actor="registry")
    assert await services.calendar_recorded(with_repo(recorder, repo), WorkCalendar(), 2028) == []
    with_2027 = WorkCalendar([calendar_event().schedule()])
    (changed,) = await services.calendar_recorded(with_repo(recorder, repo), with_2027, 2027)
    # Dec 21-25, 28-31 (9), Jan 1-3 off (made-up schedule), Jan 4-8, 11-15 (19), Jan 18 (20).
    assert changed.review_due_on == date(2027, 1, 18)
    (event,) = recorder.uncommitted  # the consumer's transaction commits
    assert isinstance(event, ObjectionDeadlinesSet) and event.changed == ["review"]
    assert event.review_due_on == date(2027, 1, 18) and event.calendar_version == "2027/v1"
    stored = repo.objections[objection.objection_id]
    assert stored.review_due_on == date(2027, 1, 18) and stored.review_due_pending is None
    assert stored.review_due_calendar == "2026/holidays-0.109,2027/v1"
    assert shown(stored, date(2027, 1, 19))["overdue_open"] == [model.KIND_REVIEW]
    # The same schedule delivered again (a redelivery is dropped earlier; a re-run here too)
    # changes nothing.
    assert (
        await services.calendar_recorded(with_repo(FakeUnitOfWork(), repo), with_2027, 2027) == []
    )


async def test_a_correction_of_the_year_moves_dates_computed_with_the_old_version() -> None:
    repo = await repo_with_record()
    with_2027 = WorkCalendar([calendar_event().schedule()])
    repo.work_calendar = with_2027
    objection = await services.file_objection(
        with_repo(FakeUnitOfWork(), repo),
        "rec-1",
        USCC,
        "r",
        date(2026, 12, 20),
        date(2026, 12, 21),
        paper=True,
        upload=PAPER,
    )
    assert objection.review_due_on == date(2027, 1, 18)
    # Version 2 adds Jan 4 as a day off: the review date moves by one working day.
    days_off = [("元旦", "2027-01-01", "2027-01-04"), ("春节", "2027-02-05", "2027-02-13")]
    v2 = calendar_event(version=2, days_off=days_off, reason="元旦放假天数录错")
    corrected = WorkCalendar([calendar_event().schedule(), v2.schedule()])
    uow = FakeUnitOfWork()
    (changed,) = await services.calendar_recorded(with_repo(uow, repo), corrected, 2027)
    assert changed.review_due_on == date(2027, 1, 19)
    assert changed.review_due_calendar == "2026/holidays-0.109,2027/v2"
    (event,) = uow.uncommitted
    assert isinstance(event, ObjectionDeadlinesSet) and event.calendar_version == "2027/v2"


async def test_a_decision_whose_clocks_reach_an_unrecorded_year_is_taken() -> None:
    repo = await repo_with_record()
    objection = await services.file_objection(
        with_repo(FakeUnitOfWork(), repo),
        "rec-1",
        USCC,
        "r",
        date(2026, 12, 1),
        date(2026, 12, 1),
        paper=True,
        upload=PAPER,
    )
    assert objection.review_due_on == date(2026, 12, 29)
    uow = FakeUnitOfWork(actor="reviewer")
    decided = await services.decide_objection(
        with_repo(uow, repo),
        objection.objection_id,
        ObjectionDecision.CORRECTED,
        "年报未公示，原结果有误",
        [item("A02", ResultCategory.PROBLEM_PENDING)],
        date(2026, 12, 21),
        date(2026, 12, 21),
        reviewer_department="食品经营监管科",
    )
    assert decided.status == Status.CORRECTED and decided.feedback_due_on is None
    assert decided.correction_due_on == date(2026, 12, 28)  # 5 working days stay in 2026
    assert model.pending_clocks(decided) == ["feedback"]
    (event,) = uow.events
    assert isinstance(event, ObjectionDecided) and event.feedback_due_on is None


async def test_corrected_decision_sets_feedback_and_correction_deadlines() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo, received_on=date(2025, 9, 22))
    uow = FakeUnitOfWork(actor="reviewer")
    decided = await services.decide_objection(
        with_repo(uow, repo),
        objection.objection_id,
        ObjectionDecision.CORRECTED,
        "确有错误",
        [item("A02", ResultCategory.PROBLEM_CORRECTED)],
        date(2025, 9, 30),
        TODAY,
        reviewer_department="食品经营监管科",
    )
    # Decided Tue 2025-09-30, the eve of National Day 2025 (Oct 1-8 off, Sat Oct 11 worked):
    # 5 working days -> Oct 9, 10, 11, 13, 14; 15 -> 15, 16, 17, 20-24, 27, 28.
    assert decided.correction_due_on == date(2025, 10, 14)
    assert decided.feedback_due_on == date(2025, 10, 28)
    assert decided.status == Status.CORRECTED
    (event,) = uow.events
    assert isinstance(event, ObjectionDecided)
    assert event.decision == ObjectionDecision.CORRECTED and event.reviewer == "reviewer"
    assert [r.check_item_code for r in event.corrected_results] == ["A02"]
    assert (event.feedback_due_on, event.correction_due_on) == (
        date(2025, 10, 28),
        date(2025, 10, 14),
    )
    assert repo.objections[objection.objection_id].status == Status.CORRECTED


async def test_upheld_decision_has_no_correction_clock() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo, received_on=date(2026, 2, 12))
    decided = await services.decide_objection(
        with_repo(FakeUnitOfWork(), repo),
        objection.objection_id,
        ObjectionDecision.UPHELD,
        "无误",
        [],
        date(2026, 2, 13),
        TODAY,
        reviewer_department="食品经营监管科",
    )
    # Spring Festival 2026: Sat Feb 14 worked, Feb 15-23 off, Sat Feb 28 worked.
    # 15 working days after Fri Feb 13: Feb 14, 24-28 (6), Mar 2-6 (11), Mar 9-12 (15).
    assert decided.feedback_due_on == date(2026, 3, 12)
    assert decided.correction_due_on is None


async def test_deciding_twice_is_409_and_writes_nothing() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    await services.decide_objection(
        with_repo(FakeUnitOfWork(), repo),
        objection.objection_id,
        ObjectionDecision.UPHELD,
        "无误",
        [],
        None,
        TODAY,
        reviewer_department="食品经营监管科",
    )
    uow = FakeUnitOfWork()
    with pytest.raises(Conflict, match="不能重复决定"):
        await services.decide_objection(
            with_repo(uow, repo),
            objection.objection_id,
            ObjectionDecision.CORRECTED,
            "改",
            [item("A01", ResultCategory.NO_ACTIVITY)],
            None,
            TODAY,
            reviewer_department="食品经营监管科",
        )
    assert not uow.committed and repo.objections[objection.objection_id].status == Status.UPHELD


@pytest.mark.parametrize(
    ("decision", "changes", "message"),
    [
        (ObjectionDecision.CORRECTED, [], "corrected_results"),
        (
            ObjectionDecision.CORRECTED,
            [
                ItemResult(
                    check_item_code="Z9", check_item_name="x", category=ResultCategory.NO_PROBLEM
                )
            ],
            "不在",
        ),
        (ObjectionDecision.CORRECTED, [item("A01")], "相同"),
        (
            ObjectionDecision.CORRECTED,
            [item("A01", ResultCategory.NO_ACTIVITY), item("A01", ResultCategory.NO_ACTIVITY)],
            "重复",
        ),
        (
            ObjectionDecision.CORRECTED,
            [
                ItemResult(
                    check_item_code="A01",
                    check_item_name="错名",
                    category=ResultCategory.NO_ACTIVITY,
                )
            ],
            "名称",
        ),
        (
            ObjectionDecision.CORRECTED,
            [item("A01", pending_reason=PendingReason.OTHER)],
            "后续处理原因",
        ),
        (ObjectionDecision.UPHELD, [item("A01", ResultCategory.NO_ACTIVITY)], "upheld"),
    ],
)
async def test_invalid_decisions_write_nothing(
    decision: ObjectionDecision, changes: list[ItemResult], message: str
) -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    uow = FakeUnitOfWork()
    with pytest.raises(DomainError, match=message):
        await services.decide_objection(
            with_repo(uow, repo),
            objection.objection_id,
            decision,
            "r",
            changes,
            None,
            TODAY,
            reviewer_department="食品经营监管科",
        )
    assert not uow.committed and repo.objections[objection.objection_id].status == Status.PENDING


async def test_decision_before_receipt_is_refused() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    with pytest.raises(DomainError, match="早于"):
        await services.decide_objection(
            with_repo(FakeUnitOfWork(), repo),
            objection.objection_id,
            ObjectionDecision.UPHELD,
            "r",
            [],
            date(2025, 9, 1),
            TODAY,
            reviewer_department="食品经营监管科",
        )


async def test_read_model_keeps_the_newest_version_only() -> None:
    repo = await repo_with_record()
    newer = ResultCorrected(
        record_id="rec-1",
        record_version=3,
        supersedes_version=2,
        task_id="task-1",
        uscc=USCC,
        results=[item("A01", ResultCategory.NO_ACTIVITY), item("A02")],
        reason="r",
        published_at=datetime(2025, 10, 1, tzinfo=UTC),
        source=CorrectionSource.CREDIT_DEPARTMENT,
    )
    await services.record_published(with_repo(FakeUnitOfWork(), repo), newer)
    await services.record_published(with_repo(FakeUnitOfWork(), repo), published(version=1))
    record = repo.records["rec-1"]
    assert record.current_version == 3 and record.results[0].category == ResultCategory.NO_ACTIVITY
    assert record.task_no == "LG-2025-007"  # kept from version 1


async def test_published_correction_closes_the_correction_clock() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    await services.decide_objection(
        with_repo(FakeUnitOfWork(), repo),
        objection.objection_id,
        ObjectionDecision.CORRECTED,
        "确有错误",
        [item("A02", ResultCategory.PROBLEM_CORRECTED)],
        date(2025, 10, 9),
        TODAY,
        reviewer_department="食品经营监管科",
    )
    corrected = ResultCorrected(
        record_id="rec-1",
        record_version=2,
        supersedes_version=1,
        task_id="task-1",
        uscc=USCC,
        results=[item("A01"), item("A02", ResultCategory.PROBLEM_CORRECTED)],
        reason="确有错误",
        objection_id=objection.objection_id,
        # 2025-10-10 17:00 UTC is already Oct 11 in Beijing.
        published_at=datetime(2025, 10, 10, 17, tzinfo=UTC),
    )
    await services.record_published(with_repo(FakeUnitOfWork(), repo), corrected)
    stored = repo.objections[objection.objection_id]
    assert stored.correction_published_on == date(2025, 10, 11)
    assert stored.correction_version == 2
    assert repo.records["rec-1"].current_version == 2
    # Due 5 working days after Thu Oct 9 = Oct 16: corrected in time.
    assert model.overdue(stored, TODAY)["correction"] is False


async def test_overdue_flags() -> None:
    base = Objection(
        objection_id="o",
        record_id="r",
        record_version=1,
        task_id="t",
        uscc=USCC,
        reason="r",
        received_on=date(2026, 9, 30),
        review_due_on=date(2026, 11, 3),
        filed_by="e",
        filed_at=datetime(2026, 9, 30, tzinfo=UTC),
    )
    assert model.overdue(base, date(2026, 11, 3)) == {
        "review": False,
        "feedback": False,
        "correction": False,
        "any": False,
    }
    assert model.overdue(base, date(2026, 11, 4))["review"] is True
    late_decision = dataclasses.replace(
        base, decided_on=date(2026, 11, 5), status=Status.UPHELD, feedback_due_on=date(2026, 11, 26)
    )
    assert (
        model.overdue(late_decision, date(2026, 11, 6))["review"] is True
    )  # decided late stays late
    on_time = dataclasses.replace(
        base, decided_on=date(2026, 11, 3), status=Status.UPHELD, feedback_due_on=date(2026, 11, 24)
    )
    flags = model.overdue(on_time, date(2026, 11, 26))
    assert flags["review"] is False and flags["feedback"] is True and flags["any"] is True
    given = dataclasses.replace(on_time, feedback_given_on=date(2026, 11, 20))
    assert model.overdue(given, date(2026, 11, 26))["feedback"] is False


async def test_feedback_is_recorded_once_after_the_decision() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    with pytest.raises(Conflict, match="尚未作出复查结果"):
        await services.give_feedback(
            with_repo(FakeUnitOfWork(), repo),
            objection.objection_id,
            None,
            "",
            TODAY,
            reviewer_department="食品经营监管科",
        )
    await services.decide_objection(
        with_repo(FakeUnitOfWork(), repo),
        objection.objection_id,
        ObjectionDecision.UPHELD,
        "无误",
        [],
        date(2025, 10, 9),
        TODAY,
        reviewer_department="食品经营监管科",
    )
    uow = FakeUnitOfWork()
    done = await services.give_feedback(
        with_repo(uow, repo),
        objection.objection_id,
        date(2025, 10, 10),
        "电话告知",
        TODAY,
        reviewer_department="食品经营监管科",
    )
    assert done.feedback_given_on == date(2025, 10, 10)
    (event,) = uow.events
    assert isinstance(event, ObjectionFeedbackGiven) and event.given_on == date(2025, 10, 10)
    with pytest.raises(Conflict, match="不能重复登记"):
        await services.give_feedback(
            with_repo(FakeUnitOfWork(), repo),
            objection.objection_id,
            None,
            "",
            TODAY,
            reviewer_department="食品经营监管科",
        )


# -- 第九条: a confirmed error goes through the credit department --------------------------------


async def decide_corrected(
    repo: FakeRepo, objection: Objection, actor: str = "reviewer", credit: bool = False
) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(actor=actor)
    await services.decide_objection(
        with_repo(uow, repo),
        objection.objection_id,
        ObjectionDecision.CORRECTED,
        "确有错误",
        [item("A02", ResultCategory.PROBLEM_CORRECTED)],
        date(2025, 9, 30),
        TODAY,
        reviewer_department="食品经营监管科",
        credit_department=credit,
    )
    return uow


async def test_filing_assigns_the_tasks_lead_department_as_reviewer() -> None:
    repo = await repo_with_record()
    objection, uow = await file(repo)
    assert objection.review_department == "食品经营监管科"
    (event,) = uow.events
    assert isinstance(event, ObjectionFiled) and event.review_department == "食品经营监管科"


async def test_reviewers_department_fills_an_unassigned_review() -> None:
    repo = FakeRepo()
    await services.record_published(
        with_repo(FakeUnitOfWork(), repo), published().model_copy(update={"lead_department": ""})
    )
    objection, _ = await file(repo)
    assert objection.review_department == ""
    await decide_corrected(repo, objection)
    assert repo.objections[objection.objection_id].review_department == "食品经营监管科"


async def test_correction_of_another_record_does_not_close_the_clock() -> None:
    repo = await repo_with_record()
    objection, _ = await file(repo)
    await decide_corrected(repo, objection)
    stray = ResultCorrected(
        record_id="rec-other",
        record_version=2,
        supersedes_version=1,
        task_id="task-1",
        uscc=USCC,
        results=[item("A01")],
        reason="r",
        objection_id=objection.objection_id,
        published_at=datetime(2025, 10, 9, 2, tzinfo=UTC),
    )
    await services.record_published(with_repo(FakeUnitOfWork(), repo), stray)
    assert repo.objections[objection.objection_id].correction_published_on is None


# -- overdue clocks as a gauge -------------------------------------------------------------------


async def test_open_overdue_kinds_across_national_day() -> None:
    repo = await repo_with_record()
    # Received Mon 2025-09-22: review due 20 working days later across National Day 2025
    # (Sep 28 worked, Oct 1-8 off, Oct 11 worked) = Fri 2025-10-24.
    objection, _ = await file(repo, received_on=date(2025, 9, 22))
    assert objection.review_due_on == date(2025, 10, 24)
    o = repo.objections[objection.objection_id]
    assert model.outstanding_overdue(o, date(2025, 10, 24)) == []
    assert model.outstanding_overdue(o, date(2025, 10, 25)) == [model.KIND_REVIEW]

    await decide_corrected(repo, objection)  # decided Tue 2025-09-30
    o = repo.objections[objection.objection_id]
    # correction due Oct 14, feedback due Oct 28 (see the deadlines test above)
    assert model.outstanding_overdue(o, date(2025, 10, 14)) == []
    assert model.outstanding_overdue(o, date(2025, 10, 15)) == [model.KIND_CORRECTION]
    assert model.outstanding_overdue(o, date(2025, 10, 29)) == [
        model.KIND_FEEDBACK,
        model.KIND_CORRECTION,
    ]
    closed = dataclasses.replace(
        o, correction_published_on=date(2025, 10, 20), feedback_given_on=date(2025, 10, 30)
    )
    assert model.outstanding_overdue(closed, date(2025, 11, 30)) == []  # done late: not open


def test_gauge_by_kind_and_reviewing_department() -> None:
    from prometheus_client import REGISTRY

    from objections.entrypoints import periodic as overdue

    def objection(n: int, dept: str, **kw: Any) -> Objection:
        return Objection(
            objection_id=f"o{n}",
            record_id=f"r{n}",
            record_version=1,
            task_id="t",
            uscc=USCC,
            reason="r",
            received_on=date(2025, 9, 22),
            review_due_on=date(2025, 10, 27),
            filed_by="e",
            filed_at=datetime(2025, 9, 22, tzinfo=UTC),
            review_department=dept,
            **kw,
        )

    def value(kind: str, dept: str) -> float | None:
        return REGISTRY.get_sample_value(
            "spotcheck_overdue_items", {"source": "objections", "kind": kind, "department": dept}
        )

    rows = [
        objection(1, "食品科"),
        objection(2, "食品科"),
        objection(3, ""),
        objection(
            4,
            "规范科",
            status=Status.CORRECTED,
            decided_on=date(2025, 10, 9),
            feedback_due_on=date(2025, 10, 30),
            correction_due_on=date(2025, 10, 16),
        ),
    ]
    overdue.set_gauge(rows, date(2025, 10, 28))
    assert value("objection_review", "食品科") == 2
    assert value("objection_review", "未指定") == 1
    assert value("objection_correction", "规范科") == 1
    assert not value("objection_feedback", "规范科")  # due Oct 30, not yet late
    overdue.set_gauge(rows[3:], date(2025, 10, 31))
    assert value("objection_review", "食品科") == 0  # 0, not absent
    assert value("objection_feedback", "规范科") == 1


async def test_only_the_reviewing_department_or_the_credit_department_decides() -> None:
    """Issue 12: any supervising department decided another department's objection."""
    repo = await repo_with_record()
    objection, _ = await file(repo)
    assert objection.review_department == "食品经营监管科"
    for act in (
        lambda uow: services.decide_objection(
            uow,
            objection.objection_id,
            ObjectionDecision.UPHELD,
            "无误",
            [],
            None,
            TODAY,
            reviewer_department="特种设备安全监察科",
        ),
        lambda uow: services.give_feedback(
            uow,
            objection.objection_id,
            None,
            "",
            TODAY,
            reviewer_department="",
        ),
    ):
        with pytest.raises(Forbidden, match="由「食品经营监管科」复查"):
            await act(with_repo(FakeUnitOfWork(), repo))
    assert repo.objections[objection.objection_id].status == Status.PENDING
    decided = await services.decide_objection(
        with_repo(FakeUnitOfWork(actor="xinyong"), repo),
        objection.objection_id,
        ObjectionDecision.UPHELD,
        "无误",
        [],
        None,
        TODAY,
        reviewer_department="信用监管科",
        credit_department=True,  # the credit department may review any (第十一条)
    )
    assert decided.status == Status.UPHELD and decided.reviewer == "xinyong"


async def test_an_objection_is_never_received_before_its_result_was_published() -> None:
    repo = await repo_with_record()  # published 2025-09-01 (China)
    assert repo.records["rec-1"].published_on == date(2025, 9, 1)
    with pytest.raises(DomainError, match="早于该检查结果公示之日 2025-09-01"):
        await file(repo, received_on=date(2025, 8, 31))
    assert repo.objections == {}
    objection, _ = await file(repo, received_on=date(2025, 9, 1))
    assert objection.received_on == date(2025, 9, 1)
