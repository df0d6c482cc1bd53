"""Publication use cases. Plain functions taking the unit of work (its repository:
``uow.publication``).

The event handlers (``publish_inspection``, ``correct_on_grant``) run inside the idempotent
consumer's transaction and do not commit.
Every version-creating path is safe against redelivery on its own: one record (or withheld
result) per inspection (unique ``inspection_id``), one version per granted request (unique
``request_id``) and per objection (unique ``objection_id``), one row per plan version (unique
``(plan_id, plan_version)``), versions numbered under a lock of the record row with a unique
(record, version) pair.

第九条: a published result is never changed by this service on its own: a correction is
published only on the city bureau's grant of the credit department's request
(``CorrectionGranted``). A request publishes nothing, a refusal never does, and a submission
of the flow before city requests (``ObjectionCorrectionSubmitted``) is not acted on.
"""

from __future__ import annotations

import logging
from datetime import date

from publication.adapters.repository import PublicationRepository
from publication.domain import model
from publication.domain.model import (
    PlanVersion,
    PublishedTask,
    ResultRecord,
    ResultVersion,
    WithheldResult,
)
from publication.service_layer.unit_of_work import PublicationUnitOfWork
from spotcheck_common.errors import NotFound
from spotcheck_common.events.envelope import new_id
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.events.objections import CorrectionGranted
from spotcheck_common.events.planning import AnnualPlanPublished, TaskPublished
from spotcheck_common.events.publication import (
    CorrectionSource,
    PublishDueSet,
    ResultCorrected,
    ResultPublished,
    ResultWithheld,
)
from spotcheck_common.events.types import TeamRole
from spotcheck_common.workdays import WorkCalendar

log = logging.getLogger(__name__)


class RecordNotFound(NotFound):
    """The public record a correction names does not exist (404)."""


async def lead_department(repo: PublicationRepository, event: InspectionSubmitted) -> str:
    """The task's lead department (from its published implementation plan), else the team
    leader's department: who answers for publishing the result and reviews objections."""
    task = await repo.get_task(event.task_id)
    if task is not None and task.lead_department:
        return task.lead_department
    leader = next((m for m in event.team if m.role == TeamRole.LEADER), None)
    return leader.department if leader else ""


async def publish_inspection(
    uow: PublicationUnitOfWork, event: InspectionSubmitted
) -> ResultPublished | ResultWithheld | None:
    """Publish a submitted inspection as version 1 of a public record, at once; a result the
    law keeps private (``withhold_reason``) is recorded, not published (第九条).

    Returns None (and writes nothing) if this inspection is already published or withheld.
    """
    repo = uow.publication
    if await repo.get_withheld(event.inspection_id) is not None:
        return None
    if event.withhold_reason.strip():
        if await repo.get_record_by_inspection(event.inspection_id) is not None:
            # Already public (an earlier submission without the reason): never unpublished
            # silently; withdrawing a published result is a correction by the credit department.
            log.warning(
                "withhold reason arrived for a published result; left published",
                extra={"fields": {"inspection_id": event.inspection_id}},
            )
            return None
        return await withhold_inspection(uow, event)
    existing = await repo.get_record_by_inspection(event.inspection_id)
    if existing is not None:
        versions = await repo.versions(existing.record_id)
        if versions and versions[0].results != list(event.results):
            # Published results are never edited: a changed resubmission needs a correction.
            log.warning(
                "resubmitted inspection differs from its published record; not republished",
                extra={
                    "fields": {
                        "inspection_id": event.inspection_id,
                        "record_id": existing.record_id,
                    }
                },
            )
        return None
    now = uow.clock.now()
    record = ResultRecord(
        record_id=new_id(),
        inspection_id=event.inspection_id,
        task_id=event.task_id,
        task_no=event.task_no,
        task_title=event.task_title,
        plan_no=event.plan_no,
        plan_name=event.plan_name,
        check_type=event.check_type,
        inspecting_authority=event.inspecting_authority,
        uscc=event.uscc,
        entity_name=event.entity_name,
        completed_on=event.completed_on,
        publish_due_on=None,
        published_at=now,
        published_by=uow.context.actor,
        lead_department=await lead_department(repo, event),
        area=event.area,
        details=dict(event.details),
    )
    record = model.with_deadline(
        record, model.publish_deadline(await repo.calendar(), event.completed_on)
    )
    version = ResultVersion(
        record_id=record.record_id,
        version=1,
        results=list(event.results),
        # Not inspected but counted as done (第八条): the reason is part of the public record.
        remark=model.not_inspected_remark(event.not_inspected_reason),
        source=model.SOURCE_INSPECTION,
        reason=None,
        objection_id=None,
        published_at=now,
        published_by=uow.context.actor,
    )
    await repo.add_record(record)
    await repo.add_version(version)
    published = ResultPublished(
        record_id=record.record_id,
        record_version=1,
        inspection_id=record.inspection_id,
        task_id=record.task_id,
        uscc=record.uscc,
        entity_name=record.entity_name,
        results=version.results,
        published_at=now,
        task_no=record.task_no,
        task_title=record.task_title,
        plan_no=record.plan_no,
        plan_name=record.plan_name,
        check_type=record.check_type,
        inspecting_authority=record.inspecting_authority,
        completed_on=record.completed_on,
        remark=version.remark,
        publish_due_on=record.publish_due_on,
        lead_department=record.lead_department,
        calendar_version=record.publish_due_calendar,
        details=record.details,
    )
    await uow.emit(published)
    return published


async def withhold_inspection(
    uow: PublicationUnitOfWork, event: InspectionSubmitted
) -> ResultWithheld:
    """Record a result the law keeps private, with its reason; it never reaches /public."""
    repo = uow.publication
    now = uow.clock.now()
    withheld = WithheldResult(
        inspection_id=event.inspection_id,
        task_id=event.task_id,
        task_no=event.task_no,
        task_title=event.task_title,
        plan_no=event.plan_no,
        plan_name=event.plan_name,
        check_type=event.check_type,
        inspecting_authority=event.inspecting_authority,
        lead_department=await lead_department(repo, event),
        uscc=event.uscc,
        entity_name=event.entity_name,
        completed_on=event.completed_on,
        results=list(event.results),
        reason=event.withhold_reason.strip(),
        recorded_at=now,
        recorded_by=uow.context.actor,
    )
    await repo.add_withheld(withheld)
    event_out = ResultWithheld(
        inspection_id=withheld.inspection_id,
        task_id=withheld.task_id,
        uscc=withheld.uscc,
        reason=withheld.reason,
        recorded_at=now,
    )
    await uow.emit(event_out)
    return event_out


async def record_plan(uow: PublicationUnitOfWork, event: AnnualPlanPublished) -> bool:
    """Keep every published version of an annual plan (第四条); a redelivery adds nothing."""
    repo = uow.publication
    if await repo.plan_version_exists(event.plan_id, event.plan_version):
        return False
    await repo.add_plan_version(
        PlanVersion(
            plan_id=event.plan_id,
            plan_version=event.plan_version,
            plan_no=event.plan_no,
            plan_name=event.plan_name,
            department=event.department,
            year=event.year,
            supersedes_version=event.supersedes_version,
            adjustment_reason=event.adjustment_reason,
            items=[i.model_dump(mode="json") for i in event.items],
            signed_by=event.signed_by,
            consolidated_by=event.consolidated_by,
            approved_by=event.approved_by,
            filed_on=event.filed_on,
            published_at=event.published_at,
        )
    )
    return True


async def record_task(uow: PublicationUnitOfWork, event: TaskPublished) -> bool:
    """Keep the published implementation plan (第六条); a later publication replaces it."""
    repo = uow.publication
    return await repo.save_task(
        PublishedTask(
            task_id=event.task_id,
            task_no=event.task_no,
            title=event.title,
            plan_no=event.plan_no,
            plan_name=event.plan_name,
            lead_department=event.lead_department,
            co_lead_departments=list(event.co_lead_departments),
            assisting_departments=list(event.assisting_departments),
            check_items=[c.model_dump(mode="json") for c in event.check_items],
            target_filter=event.target_filter.model_dump(mode="json"),
            ratio_bp={str(k): int(v) for k, v in event.ratio_bp.items()},
            methods=[str(m) for m in event.methods],
            deadline=event.deadline,
            source=str(event.source),
            published_at=event.published_at,
        )
    )


async def _new_version(
    uow: PublicationUnitOfWork, grant: CorrectionGranted, source: CorrectionSource
) -> ResultCorrected:
    repo = uow.publication
    record = await repo.get_record(grant.record_id, lock=True)
    if record is None:
        raise RecordNotFound(f"公示记录 {grant.record_id} 不存在")
    versions = await repo.versions(grant.record_id)
    current = versions[-1]
    # The city granted these results: even if the record already reads so (another
    # correction crossed it), the version is published so the grant is on record.
    results = model.merge_results(current.results, grant.corrected_results, allow_unchanged=True)
    now = uow.clock.now()
    city_grant = model.grant_note(grant.reply_no, grant.replied_on)
    version = ResultVersion(
        record_id=grant.record_id,
        version=current.version + 1,
        results=results,
        remark=model.correction_remark(source.value, grant.reason, city_grant),
        source=source.value,
        reason=grant.reason,
        objection_id=grant.objection_id,
        published_at=now,
        published_by=uow.context.actor,
        submitted_by=grant.requested_by,
        request_id=grant.request_id,
        city_grant=city_grant,
    )
    await repo.add_version(version)
    corrected = ResultCorrected(
        record_id=grant.record_id,
        record_version=version.version,
        supersedes_version=current.version,
        task_id=record.task_id,
        uscc=record.uscc,
        results=results,
        reason=grant.reason,
        objection_id=grant.objection_id,
        published_at=now,
        source=source,
        remark=version.remark,
        entity_name=record.entity_name,
        task_no=record.task_no,
        task_title=record.task_title,
        submitted_by=grant.requested_by,
        details=record.details,
    )
    await uow.emit(corrected)
    return corrected


async def correct_on_grant(
    uow: PublicationUnitOfWork, grant: CorrectionGranted
) -> ResultCorrected | None:
    """The city bureau granted the credit department's request (第九条): publish the corrected
    results as a new version, the old one kept and marked superseded. A grant applied before
    (the same request, or its objection corrected before city requests existed) adds nothing.
    """
    repo = uow.publication
    # Lock the record first, so a concurrent delivery of the same grant sees our version.
    if await repo.get_record(grant.record_id, lock=True) is None:
        raise RecordNotFound(f"公示记录 {grant.record_id} 不存在")
    applied = await repo.version_for_request(grant.request_id)
    if applied is None and grant.objection_id:
        applied = await repo.version_for_objection(grant.objection_id)
    if applied is not None:
        log.info("grant already applied", extra={"fields": {"request_id": grant.request_id}})
        return None
    return await _new_version(uow, grant, CorrectionSource(grant.source))


async def calendar_recorded(
    uow: PublicationUnitOfWork, calendar: WorkCalendar, year: int
) -> list[ResultRecord]:
    """A year's holiday schedule was recorded (or corrected): give the deadlines that waited
    for it a date, move those computed with an earlier version. In the consumer's transaction."""
    repo = uow.publication
    changed = []
    for record in await repo.records_completed_since(date(year - 1, 1, 1)):
        updated = model.recompute(record, calendar, year)
        if updated is None:
            continue
        await repo.set_deadline(updated)
        if updated.publish_due_on is not None and updated.publish_due_calendar:
            await uow.emit(
                PublishDueSet(
                    record_id=updated.record_id,
                    inspection_id=updated.inspection_id,
                    task_id=updated.task_id,
                    uscc=updated.uscc,
                    completed_on=updated.completed_on,
                    publish_due_on=updated.publish_due_on,
                    calendar_version=updated.publish_due_calendar,
                )
            )
        changed.append(updated)
    return changed
