"""Objections use cases. Plain functions; the unit of work and repository are injected.

HTTP use cases validate everything before writing and commit once; the event handler
(``record_published``) runs inside the idempotent consumer's transaction and does not commit.
"""

from __future__ import annotations

import logging
from datetime import date

from objections.domain import model, scans
from objections.domain.model import Objection, PublishedRecord, Status
from objections.service_layer.unit_of_work import ObjectionsUnitOfWork
from spotcheck_common.clock import china_date
from spotcheck_common.errors import Conflict, DomainError, Forbidden, NotFound
from spotcheck_common.events.envelope import new_id
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.objections import (
    ObjectionDeadlinesSet,
    ObjectionDecided,
    ObjectionFeedbackGiven,
    ObjectionFiled,
)
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.events.types import ObjectionDecision
from spotcheck_common.workdays import CHINA_TZ, WorkCalendar

log = logging.getLogger(__name__)


def _first_published(
    event: ResultPublished | ResultCorrected, existing: PublishedRecord | None
) -> date | None:
    if existing is not None and existing.published_on is not None:
        return existing.published_on
    return china_date(event.published_at) if isinstance(event, ResultPublished) else None


async def record_published(
    uow: ObjectionsUnitOfWork, event: ResultPublished | ResultCorrected
) -> None:
    """Keep the read model of published records; a correction published for an objection (its
    ``objection_id``, on the same record) closes that objection's correction clock."""
    repo = uow.objections
    existing = await repo.get_record(event.record_id)
    lead = event.lead_department if isinstance(event, ResultPublished) else ""
    record = PublishedRecord(
        record_id=event.record_id,
        task_id=event.task_id,
        task_no=event.task_no or (existing.task_no if existing else ""),
        task_title=event.task_title or (existing.task_title if existing else ""),
        uscc=event.uscc,
        entity_name=event.entity_name or (existing.entity_name if existing else ""),
        current_version=event.record_version,
        results=list(event.results),
        lead_department=lead or (existing.lead_department if existing else ""),
        published_on=_first_published(event, existing),
        details=event.details or (existing.details if existing else {}),
    )
    await repo.save_record(record, uow.clock.now())
    if isinstance(event, ResultCorrected) and event.objection_id:
        objection = await repo.get(event.objection_id, lock=True)
        if objection is None or objection.record_id != event.record_id:
            log.warning(
                "correction names an objection this service does not hold for the record",
                extra={"fields": {"objection_id": event.objection_id, "record": event.record_id}},
            )
            return
        if objection.correction_published_on is None:
            objection.correction_published_on = event.published_at.astimezone(CHINA_TZ).date()
            objection.correction_version = event.record_version
            await repo.update(objection)


async def file_objection(
    uow: ObjectionsUnitOfWork,
    record_id: str,
    uscc: str,
    reason: str,
    received_on: date | None,
    today: date,
    paper: bool = False,
    upload: scans.Upload | None = None,
    scan_max_bytes: int = scans.MAX_BYTES,
    applicant: str | None = None,
) -> Objection:
    """The inspected entity objects to a published result (第十一条): online, received today;
    or on ``paper``, registered by the credit department with the day it was received and the
    scan of the paper (``upload``), kept with the objection and its recorder and time.

    ``ObjectionFiled`` (a kernel schema) carries no scan: the objection's own read model and
    API say it exists (its name and SHA-256). ``uscc`` is the record's object id (a product's
    ``Z…`` id too); ``applicant`` the credit code of an entity filing in its own name (a
    product's producer), None when the credit department files."""
    model.check_channel(paper, received_on, upload)
    repo = uow.objections
    record = await repo.get_record(record_id)
    if record is None:
        raise NotFound(f"公示记录 {record_id} 不存在或尚未公示")
    if uscc.upper() != record.uscc:
        raise Forbidden(
            f"{model.code_label(uscc)} {uscc} 不是该检查结果的检查对象，不能对其提出异议"
        )
    model.check_applicant(record, applicant)
    received = received_on or today
    model.check_received_on(record, received, today)
    if await repo.pending_for_record(record_id) is not None:
        raise Conflict("该检查结果已有尚未复查的异议，请等待复查结果")
    objection_id = new_id()
    now = uow.clock.now()
    scan = (
        scans.new_scan(objection_id, upload, uow.context.actor, now, scan_max_bytes)
        if upload is not None
        else None
    )
    objection = Objection(
        objection_id=objection_id,
        record_id=record_id,
        record_version=record.current_version,
        task_id=record.task_id,
        uscc=record.uscc,
        reason=reason,
        received_on=received,
        review_due_on=None,
        filed_by=uow.context.actor,
        filed_at=now,
        review_department=record.lead_department,
        scan=scan,
    )
    # Received whatever the calendar knows: a year not yet recorded leaves the date pending.
    model.start_clock(objection, "review", await repo.calendar())
    review = model.deadline_of(objection, "review")
    assert review is not None
    await repo.add(objection)
    if scan is not None and upload is not None:
        await repo.add_scan(scan, upload.content)
    await uow.emit(
        ObjectionFiled(
            objection_id=objection.objection_id,
            record_id=record_id,
            task_id=record.task_id,
            uscc=record.uscc,
            reason=reason,
            received_on=received,
            review_due_on=review.due_on,
            due_status=review.status,
            calendar_version=review.calendar_version,
            record_version=record.current_version,
            review_department=objection.review_department,
        )
    )
    await uow.commit()
    return objection


async def decide_objection(
    uow: ObjectionsUnitOfWork,
    objection_id: str,
    decision: ObjectionDecision,
    reason: str,
    corrected_results: list[ItemResult],
    decided_on: date | None,
    today: date,
    reviewer_department: str = "",
    credit_department: bool = False,
) -> Objection:
    """The reviewer's decision: uphold, or confirm an error. A confirmed error is corrected
    through the credit department (第九条), which requests it of the city bureau
    (``request_objection_correction``) by a document the decision does not have."""
    repo = uow.objections
    objection = await repo.get(objection_id, lock=True)
    if objection is None:
        raise NotFound(f"异议 {objection_id} 不存在")
    model.may_review(objection, reviewer_department, credit_department)
    if objection.status != Status.PENDING:
        raise Conflict(
            f"异议 {objection_id} 已于 {objection.decided_on} 作出复查结果"
            f"（{model.STATUS_LABELS[objection.status]}），不能重复决定"
        )
    decided = decided_on or today
    if decided > today:
        raise DomainError("复查日期不能晚于今天")
    changes: list[ItemResult] | None = None
    if decision == ObjectionDecision.CORRECTED:
        record = await repo.get_record(objection.record_id)
        if record is None:  # the objection was filed against it: the read model has it
            raise NotFound(f"公示记录 {objection.record_id} 不存在")
        changes = model.check_corrections(record, corrected_results)
    elif corrected_results:
        raise DomainError("维持原结果（upheld）时不能填写 corrected_results")
    now = uow.clock.now()
    model.decide(
        objection, decision, reason, uow.context.actor, decided, now, changes, await repo.calendar()
    )
    if not objection.review_department:
        objection.review_department = reviewer_department
    if not await repo.update(objection, expected_status=Status.PENDING):
        raise Conflict(f"异议 {objection_id} 已作出复查结果，不能重复决定")
    await uow.emit(
        ObjectionDecided(
            objection_id=objection.objection_id,
            record_id=objection.record_id,
            task_id=objection.task_id,
            uscc=objection.uscc,
            decision=decision,
            reason=reason,
            reviewer=uow.context.actor,
            corrected_results=changes or [],
            decided_on=decided,
            record_version=objection.record_version,
            review_due_on=objection.review_due_on,
            feedback_due_on=objection.feedback_due_on,
            correction_due_on=objection.correction_due_on,
            calendar_version=objection.feedback_due_calendar,
        )
    )
    await uow.commit()
    return objection


async def give_feedback(
    uow: ObjectionsUnitOfWork,
    objection_id: str,
    given_on: date | None,
    note: str,
    today: date,
    reviewer_department: str = "",
    credit_department: bool = False,
) -> Objection:
    """Record that the review result was fed back to the entity (by the reviewing
    department, or the credit department)."""
    repo = uow.objections
    objection = await repo.get(objection_id, lock=True)
    if objection is None:
        raise NotFound(f"异议 {objection_id} 不存在")
    model.may_review(objection, reviewer_department, credit_department)
    if objection.status == Status.PENDING or objection.decided_on is None:
        raise Conflict("尚未作出复查结果，不能反馈")
    if objection.feedback_given_on is not None:
        raise Conflict(f"复查情况已于 {objection.feedback_given_on} 反馈，不能重复登记")
    given = given_on or today
    if given > today:
        raise DomainError("反馈日期不能晚于今天")
    if given < objection.decided_on:
        raise DomainError("反馈日期不能早于作出复查结果的日期")
    objection.feedback_given_on = given
    objection.feedback_note = note
    objection.feedback_by = uow.context.actor
    await repo.update(objection)
    await uow.emit(
        ObjectionFeedbackGiven(
            objection_id=objection.objection_id,
            record_id=objection.record_id,
            task_id=objection.task_id,
            uscc=objection.uscc,
            given_on=given,
            feedback_due_on=objection.feedback_due_on,
            note=note,
        )
    )
    await uow.commit()
    return objection


async def calendar_recorded(
    uow: ObjectionsUnitOfWork, calendar: WorkCalendar, year: int
) -> list[Objection]:
    """A year's holiday schedule was recorded (or corrected): compute the clocks that waited
    for it, move those computed with an earlier version, and say so in an event each. Runs in
    the consumer's transaction; no commit."""
    repo = uow.objections
    changed = []
    for objection in await repo.started_since(date(year - 1, 1, 1)):
        clocks = model.recompute(objection, calendar, year)
        if not clocks:
            continue
        await repo.update(objection)
        await uow.emit(
            ObjectionDeadlinesSet(
                objection_id=objection.objection_id,
                record_id=objection.record_id,
                task_id=objection.task_id,
                uscc=objection.uscc,
                review_due_on=objection.review_due_on,
                feedback_due_on=objection.feedback_due_on,
                correction_due_on=objection.correction_due_on,
                changed=clocks,
                calendar_version=calendar.schedule(year).label,
                reason=f"{year} 年工作日历录入（{calendar.schedule(year).source}）",
            )
        )
        changed.append(objection)
    return changed
