"""Objections use cases. Plain functions; the unit of work and repository are injected.

HTTP use cases validate everything before writing and commit once; the event handler
(``record_published``) runs inside the idempotent consumer's transaction and does not commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from objections.adapters.repository import ObjectionsRepository
from objections.domain import model
from objections.domain.model import Objection, PublishedRecord, Status
from spotcheck_common.events.envelope import Event, new_id, utcnow
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.objections import (
    ObjectionDecided,
    ObjectionFeedbackGiven,
    ObjectionFiled,
)
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.events.types import ObjectionDecision
from spotcheck_common.http import Conflict, DomainError, NotFound
from spotcheck_common.workdays import CHINA_TZ


class UnitOfWork(Protocol):
    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    @property
    def context(self) -> Any: ...


async def record_published(
    uow: UnitOfWork, repo: ObjectionsRepository, event: ResultPublished | ResultCorrected
) -> None:
    """Keep the read model of published records; a correction made for an objection closes
    that objection's correction clock."""
    existing = await repo.get_record(event.record_id)
    record = PublishedRecord(
        record_id=event.record_id,
        task_id=event.task_id,
        task_no=event.task_no or (existing.task_no if existing else ""),
        task_title=event.task_title or (existing.task_title if existing else ""),
        uscc=event.uscc,
        entity_name=event.entity_name or (existing.entity_name if existing else ""),
        current_version=event.record_version,
        results=list(event.results),
    )
    await repo.save_record(record, utcnow())
    if isinstance(event, ResultCorrected) and event.objection_id:
        objection = await repo.get(event.objection_id, lock=True)
        if objection is not None and objection.correction_published_on is None:
            objection.correction_published_on = event.published_at.astimezone(CHINA_TZ).date()
            objection.correction_version = event.record_version
            await repo.update(objection)


async def file_objection(
    uow: UnitOfWork,
    repo: ObjectionsRepository,
    record_id: str,
    uscc: str,
    reason: str,
    received_on: date | None,
    today: date,
) -> Objection:
    """The inspected entity objects to a published result (第十一条)."""
    record = await repo.get_record(record_id)
    if record is None:
        raise NotFound(f"公示记录 {record_id} 不存在或尚未公示")
    if uscc.upper() != record.uscc:
        raise model.Forbidden(f"统一社会信用代码 {uscc} 不是该检查结果的检查对象，不能对其提出异议")
    received = received_on or today
    if received > today:
        raise DomainError("收到异议申请的日期不能晚于今天")
    if await repo.pending_for_record(record_id) is not None:
        raise Conflict("该检查结果已有尚未复查的异议，请等待复查结果")
    objection = Objection(
        objection_id=new_id(),
        record_id=record_id,
        record_version=record.current_version,
        task_id=record.task_id,
        uscc=record.uscc,
        reason=reason,
        received_on=received,
        review_due_on=model.deadline(received, model.REVIEW_WORKDAYS),
        filed_by=uow.context.actor,
        filed_at=utcnow(),
    )
    await repo.add(objection)
    await uow.emit(
        ObjectionFiled(
            objection_id=objection.objection_id,
            record_id=record_id,
            task_id=record.task_id,
            uscc=record.uscc,
            reason=reason,
            received_on=received,
            review_due_on=objection.review_due_on,
            record_version=record.current_version,
        )
    )
    await uow.commit()
    return objection


async def decide_objection(
    uow: UnitOfWork,
    repo: ObjectionsRepository,
    objection_id: str,
    decision: ObjectionDecision,
    reason: str,
    corrected_results: list[ItemResult],
    decided_on: date | None,
    today: date,
) -> Objection:
    """The reviewer's decision: uphold, or confirm an error and order the correction."""
    objection = await repo.get(objection_id, lock=True)
    if objection is None:
        raise NotFound(f"异议 {objection_id} 不存在")
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
    model.decide(objection, decision, reason, uow.context.actor, decided, utcnow(), changes)
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
        )
    )
    await uow.commit()
    return objection


async def give_feedback(
    uow: UnitOfWork,
    repo: ObjectionsRepository,
    objection_id: str,
    given_on: date | None,
    note: str,
    today: date,
) -> Objection:
    """Record that the review result was fed back to the entity."""
    objection = await repo.get(objection_id, lock=True)
    if objection is None:
        raise NotFound(f"异议 {objection_id} 不存在")
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
