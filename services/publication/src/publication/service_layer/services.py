"""Publication use cases. Plain functions; the unit of work and repository are injected.

The event handlers (``publish_inspection``, ``correct_from_objection``) run inside the
idempotent consumer's transaction and do not commit; the HTTP use case commits.
Every version-creating path is safe against redelivery on its own: one record per inspection
(unique ``inspection_id``), one version per objection (unique ``objection_id``), versions
numbered under a lock of the record row with a unique (record, version) pair.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from publication.adapters.repository import PublicationRepository
from publication.domain import model
from publication.domain.model import ResultRecord, ResultVersion
from spotcheck_common.events.envelope import Event, new_id, utcnow
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import ObjectionDecided
from spotcheck_common.events.publication import (
    CorrectionSource,
    ResultCorrected,
    ResultPublished,
)
from spotcheck_common.events.types import ObjectionDecision

log = logging.getLogger(__name__)


class UnitOfWork(Protocol):
    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    @property
    def context(self) -> Any: ...


class RecordNotFound(LookupError):
    pass


async def publish_inspection(
    uow: UnitOfWork, repo: PublicationRepository, event: InspectionSubmitted
) -> ResultPublished | None:
    """Publish a submitted inspection as version 1 of a public record, at once.

    Returns None (and writes nothing) if this inspection is already published.
    """
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
    now = utcnow()
    record = ResultRecord(
        record_id=new_id(),
        inspection_id=event.inspection_id,
        task_id=event.task_id,
        task_no=event.task_no,
        task_title=event.task_title,
        # Not (yet) carried by InspectionSubmitted v1: taken when an upstream adds them.
        plan_no=str(getattr(event, "plan_no", "") or ""),
        plan_name=str(getattr(event, "plan_name", "") or ""),
        check_type=str(getattr(event, "check_type", "") or ""),
        inspecting_authority=event.inspecting_authority,
        uscc=event.uscc,
        entity_name=event.entity_name,
        completed_on=event.completed_on,
        publish_due_on=model.publish_due_on(event.completed_on),
        published_at=now,
        published_by=uow.context.actor,
    )
    version = ResultVersion(
        record_id=record.record_id,
        version=1,
        results=list(event.results),
        remark="",
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
    )
    await uow.emit(published)
    return published


async def _new_version(
    uow: UnitOfWork,
    repo: PublicationRepository,
    record_id: str,
    changes: Sequence[ItemResult],
    reason: str,
    source: CorrectionSource,
    objection_id: str | None,
    allow_unchanged: bool = False,
) -> ResultCorrected:
    record = await repo.get_record(record_id, lock=True)
    if record is None:
        raise RecordNotFound(f"公示记录 {record_id} 不存在")
    versions = await repo.versions(record_id)
    current = versions[-1]
    results = model.merge_results(current.results, changes, allow_unchanged=allow_unchanged)
    now = utcnow()
    version = ResultVersion(
        record_id=record_id,
        version=current.version + 1,
        results=results,
        remark=model.correction_remark(source.value, reason),
        source=source.value,
        reason=reason,
        objection_id=objection_id,
        published_at=now,
        published_by=uow.context.actor,
    )
    await repo.add_version(version)
    corrected = ResultCorrected(
        record_id=record_id,
        record_version=version.version,
        supersedes_version=current.version,
        task_id=record.task_id,
        uscc=record.uscc,
        results=results,
        reason=reason,
        objection_id=objection_id,
        published_at=now,
        source=source,
        remark=version.remark,
        entity_name=record.entity_name,
        task_no=record.task_no,
        task_title=record.task_title,
    )
    await uow.emit(corrected)
    return corrected


async def correct_from_objection(
    uow: UnitOfWork, repo: PublicationRepository, event: ObjectionDecided
) -> ResultCorrected | None:
    """A review that confirmed an error: publish the corrected results as a new version.

    Upheld decisions change nothing; a decision already applied (same objection) is ignored.
    """
    if event.decision != ObjectionDecision.CORRECTED:
        return None
    # Lock the record first, so a concurrent delivery of the same decision sees our version.
    if await repo.get_record(event.record_id, lock=True) is None:
        raise RecordNotFound(f"公示记录 {event.record_id} 不存在")
    if await repo.version_for_objection(event.objection_id) is not None:
        log.info("objection already applied", extra={"fields": {"id": event.objection_id}})
        return None
    return await _new_version(
        uow,
        repo,
        event.record_id,
        event.corrected_results,
        event.reason,
        CorrectionSource.OBJECTION,
        event.objection_id,
        # The review ordered it: even if the record already reads so (an earlier correction
        # crossed it), the version is published so the objection's correction is on record.
        allow_unchanged=True,
    )


async def correct_by_credit_department(
    uow: UnitOfWork,
    repo: PublicationRepository,
    record_id: str,
    changes: Sequence[ItemResult],
    reason: str,
) -> ResultCorrected:
    """A correction collected by the credit department (第九条): a new version, committed."""
    corrected = await _new_version(
        uow, repo, record_id, changes, reason, CorrectionSource.CREDIT_DEPARTMENT, None
    )
    await uow.commit()
    return corrected
