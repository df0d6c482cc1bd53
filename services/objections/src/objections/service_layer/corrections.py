"""Corrections requested from the city bureau (第九条), and its replies. Plain functions taking
the unit of work; each validates everything before writing and commits once.

A request is an event (``CorrectionRequested``) and publishes nothing; the city's grant
(``CorrectionGranted``) is what publication issues the new version on; a refusal
(``CorrectionRefused``) of an objection's request is answered to the entity
(``ObjectionFeedbackGiven`` naming the request). Each names the task, so the dossier files it.
"""

from __future__ import annotations

from datetime import date

from objections.domain import model, requests, scans
from objections.domain.model import Objection, PublishedRecord
from objections.domain.requests import CorrectionRequest, RequestStatus
from objections.service_layer.unit_of_work import ObjectionsUnitOfWork
from spotcheck_common.errors import Conflict, NotFound
from spotcheck_common.events.envelope import new_id
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.objections import (
    CorrectionGranted,
    CorrectionRefused,
    CorrectionRequested,
    ObjectionDeadlinesSet,
    ObjectionFeedbackGiven,
)
from spotcheck_common.workdays import Deadline


async def _record(uow: ObjectionsUnitOfWork, record_id: str) -> PublishedRecord:
    record = await uow.objections.get_record(record_id)
    if record is None:
        raise NotFound(f"公示记录 {record_id} 不存在或尚未公示")
    return record


async def _no_open_request(uow: ObjectionsUnitOfWork, record_id: str) -> None:
    waiting = await uow.objections.open_request_for_record(record_id)
    if waiting is not None:
        raise Conflict(
            f"该检查结果已有待市局批复的更正报请（{waiting.request_no}，{waiting.requested_on}），"
            "请待批复后再报"
        )


async def _objection(uow: ObjectionsUnitOfWork, objection_id: str) -> Objection:
    objection = await uow.objections.get(objection_id, lock=True)
    if objection is None:
        raise NotFound(f"异议 {objection_id} 不存在")
    return objection


async def request_objection_correction(
    uow: ObjectionsUnitOfWork,
    objection_id: str,
    request_no: str,
    requested_on: date | None,
    note: str,
    today: date,
) -> CorrectionRequest:
    """The credit department requests of the city bureau the correction an objection's review
    confirmed, by its document (``request_no`` dated ``requested_on``, default today)."""
    objection = await _objection(uow, objection_id)
    model.check_requestable(objection)
    day = requested_on or today
    requests.check_requested_on(day, objection.decided_on, today)
    await _no_open_request(uow, objection.record_id)
    now = uow.clock.now()
    request = CorrectionRequest(
        request_id=new_id(),
        record_id=objection.record_id,
        task_id=objection.task_id,
        uscc=objection.uscc,
        objection_id=objection.objection_id,
        source=requests.SOURCE_OBJECTION,
        corrected_results=list(objection.corrected_results or []),
        reason=objection.decision_reason or "",
        request_no=request_no,
        requested_on=day,
        requested_by=uow.context.actor,
        requested_at=now,
        record_version=objection.record_version,
        note=note,
    )
    calendar = await uow.objections.calendar()
    model.request_city(objection, request.request_id, uow.context.actor, day, now, note, calendar)
    await uow.objections.update(objection)
    await uow.objections.add_request(request)
    await uow.emit(_requested(request, objection))
    await uow.commit()
    return request


async def request_correction(
    uow: ObjectionsUnitOfWork,
    record_id: str,
    changes: list[ItemResult],
    reason: str,
    request_no: str,
    requested_on: date | None,
    note: str,
    today: date,
) -> CorrectionRequest:
    """An error the bureau found itself (not from an objection), reported to the credit
    department, which requests the correction of the city bureau like an objection's."""
    record = await _record(uow, record_id)
    checked = model.check_corrections(record, changes)
    day = requested_on or today
    requests.check_requested_on(day, record.published_on, today)
    await _no_open_request(uow, record_id)
    request = CorrectionRequest(
        request_id=new_id(),
        record_id=record_id,
        task_id=record.task_id,
        uscc=record.uscc,
        objection_id=None,
        source=requests.SOURCE_CREDIT_DEPARTMENT,
        corrected_results=checked,
        reason=reason,
        request_no=request_no,
        requested_on=day,
        requested_by=uow.context.actor,
        requested_at=uow.clock.now(),
        record_version=record.current_version,
        note=note,
    )
    await uow.objections.add_request(request)
    await uow.emit(_requested(request, None))
    await uow.commit()
    return request


def _requested(r: CorrectionRequest, o: Objection | None) -> CorrectionRequested:
    return CorrectionRequested(
        request_id=r.request_id,
        record_id=r.record_id,
        task_id=r.task_id,
        uscc=r.uscc,
        objection_id=r.objection_id,
        source=r.source,
        corrected_results=r.corrected_results,
        reason=r.reason,
        request_no=r.request_no,
        requested_on=r.requested_on,
        requested_by=r.requested_by,
        record_version=r.record_version,
        note=r.note,
        correction_due_on=o.correction_due_on if o else None,
        clock_suspended=o.correction_suspended if o else False,
    )


async def record_city_reply(
    uow: ObjectionsUnitOfWork,
    request_id: str,
    granted: bool,
    reply_no: str,
    replied_on: date | None,
    reason: str,
    today: date,
    upload: scans.Upload | None = None,
    max_bytes: int = scans.MAX_BYTES,
) -> CorrectionRequest:
    """The city's reply to a request, recorded by the credit department with its document
    number and date (default today) and, if the bureau has it, the document's scan."""
    repo = uow.objections
    request = await repo.get_request(request_id, lock=True)
    if request is None:
        raise NotFound(f"更正报请 {request_id} 不存在")
    now = uow.clock.now()
    day = replied_on or today
    requests.record_reply(request, granted, reply_no, day, reason, uow.context.actor, now, today)
    document = (
        scans.new_scan(
            request_id, upload, uow.context.actor, now, max_bytes, requests.DOCUMENT_NAME
        )
        if upload is not None
        else None
    )
    objection = await _objection(uow, request.objection_id) if request.objection_id else None
    if not await repo.update_request(request):
        raise Conflict("该报请的市局批复已由他人登记，请刷新")
    if document is not None and upload is not None:
        await repo.add_reply_document(document, upload.content)
        request.document = document
    before = None
    if objection is not None:
        before = model.deadline_of(objection, "correction")
        model.city_replied(objection, granted, day, await repo.calendar())
    sha256 = document.sha256 if document else None
    if granted:
        await uow.emit(_granted(request, objection, sha256))
    else:
        await uow.emit(_refused(request, sha256))
    if objection is not None:
        await _reply_to_objection(uow, objection, request, before, today)
    await uow.commit()
    return request


def _granted(r: CorrectionRequest, o: Objection | None, sha256: str | None) -> CorrectionGranted:
    assert r.reply_no is not None and r.replied_on is not None and r.reply_recorded_by
    return CorrectionGranted(
        request_id=r.request_id,
        record_id=r.record_id,
        task_id=r.task_id,
        uscc=r.uscc,
        objection_id=r.objection_id,
        source=r.source,
        corrected_results=r.corrected_results,
        reason=r.reason,
        request_no=r.request_no,
        requested_on=r.requested_on,
        requested_by=r.requested_by,
        reply_no=r.reply_no,
        replied_on=r.replied_on,
        recorded_by=r.reply_recorded_by,
        note=r.reply_reason or "",
        document_sha256=sha256,
        correction_due_on=o.correction_due_on if o else None,
    )


def _refused(r: CorrectionRequest, sha256: str | None) -> CorrectionRefused:
    assert r.reply_no is not None and r.replied_on is not None and r.reply_recorded_by
    return CorrectionRefused(
        request_id=r.request_id,
        record_id=r.record_id,
        task_id=r.task_id,
        uscc=r.uscc,
        objection_id=r.objection_id,
        source=r.source,
        request_no=r.request_no,
        requested_on=r.requested_on,
        reply_no=r.reply_no,
        replied_on=r.replied_on,
        reason=r.reply_reason or "",
        recorded_by=r.reply_recorded_by,
        document_sha256=sha256,
    )


async def _reply_to_objection(
    uow: ObjectionsUnitOfWork,
    o: Objection,
    r: CorrectionRequest,
    before: Deadline | None,
    today: date,
) -> None:
    """Say that a grant moved the objection's correction clock (run again from the reply); answer
    a refusal to the entity (not fed back yet, it is the feedback on the review too)."""
    granted = r.status == RequestStatus.GRANTED
    after = model.deadline_of(o, "correction")
    if granted and after is not None and after != before and after.due_on is not None:
        await uow.emit(
            ObjectionDeadlinesSet(
                objection_id=o.objection_id,
                record_id=o.record_id,
                task_id=o.task_id,
                uscc=o.uscc,
                review_due_on=o.review_due_on,
                feedback_due_on=o.feedback_due_on,
                correction_due_on=o.correction_due_on,
                changed=["correction"],
                calendar_version=after.calendar_version or "",
                reason=f"市局 {r.replied_on} 批复同意更正（{r.reply_no}），更正期限接续计算",
            )
        )
    if not granted:
        note = requests.refusal_note(r)
        if o.feedback_given_on is None:
            o.feedback_given_on, o.feedback_note, o.feedback_by = today, note, uow.context.actor
        await uow.emit(
            ObjectionFeedbackGiven(
                objection_id=o.objection_id,
                record_id=o.record_id,
                task_id=o.task_id,
                uscc=o.uscc,
                given_on=today,
                feedback_due_on=o.feedback_due_on,
                note=note,
                correction_request_id=r.request_id,
            )
        )
    await uow.objections.update(o)
