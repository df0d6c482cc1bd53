"""Reads of the publication service (the query side): what the public and staff look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from publication.domain import model
from publication.domain.model import (
    PlanVersion,
    PublishedTask,
    ResultQuery,
    ResultRecord,
    ResultVersion,
    WithheldResult,
)
from publication.service_layer.unit_of_work import PublicationUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import Invalid, NotFound
from spotcheck_common.workdays import WorkCalendar


async def search_results(
    uow: PublicationUnitOfWork, query: ResultQuery, limit: int, offset: int
) -> Page[tuple[ResultRecord, ResultVersion]]:
    if query.completed_from and query.completed_to and query.completed_from > query.completed_to:
        raise Invalid("起始日期不能晚于截止日期")
    return await uow.publication.search(query, limit, offset)


async def withheld_count(uow: PublicationUnitOfWork, task_no: str | None) -> int:
    """How many results the law keeps private (a count only: nothing of their content)."""
    return await uow.publication.count_withheld(task_no)


async def result(
    uow: PublicationUnitOfWork, record_id: str
) -> tuple[ResultRecord, list[ResultVersion]]:
    """A public record with every version, oldest first."""
    record = await uow.publication.get_record(record_id)
    if record is None:
        raise NotFound(f"公示记录 {record_id} 不存在")
    return record, await uow.publication.versions(record_id)


async def current_plans(
    uow: PublicationUnitOfWork, year: int | None, department: str | None
) -> list[PlanVersion]:
    return await uow.publication.current_plans(year, department)


async def plan_versions(uow: PublicationUnitOfWork, plan_id: str) -> list[PlanVersion]:
    """Every published version of a plan, oldest first (the last is current)."""
    versions = await uow.publication.plan_versions(plan_id)
    if not versions:
        raise NotFound(f"抽查计划 {plan_id} 不存在或尚未公示")
    return versions


async def search_tasks(
    uow: PublicationUnitOfWork, plan_no: str | None, q: str | None, limit: int, offset: int
) -> Page[PublishedTask]:
    return await uow.publication.search_tasks(plan_no, q, limit, offset)


async def task(uow: PublicationUnitOfWork, task_id: str) -> PublishedTask:
    found = await uow.publication.get_task(task_id)
    if found is None:
        raise NotFound(f"抽查任务 {task_id} 不存在或尚未公示")
    return found


async def withheld(
    uow: PublicationUnitOfWork, task_no: str | None, limit: int, offset: int
) -> Page[WithheldResult]:
    return await uow.publication.list_withheld(task_no, limit, offset)


@dataclass(frozen=True)
class Overdue:
    """Results published after their deadline, the calendar that counts how late, and how many
    deadlines wait for a year's holiday schedule."""

    late: list[ResultRecord]
    calendar: WorkCalendar
    pending_calendar: int


async def overdue(uow: PublicationUnitOfWork, department: str | None) -> Overdue:
    late = await uow.publication.late_records()
    calendar = await uow.publication.calendar()
    pending = await uow.publication.pending_deadlines()
    if department is not None:
        late = [r for r in late if r.lead_department == department]
    return Overdue(late, calendar, pending)


async def export_rows(
    uow: PublicationUnitOfWork,
    task_no: str | None,
    date_from: date | None,
    date_to: date | None,
    kind: model.ExportKind = model.ORGANISATIONS,
) -> list[dict[str, str]]:
    """The rows of the national publicity system's export (one per item, current versions)
    of the objects of ``kind``: organisations, or one kind without a credit code."""
    if date_from and date_to and date_from > date_to:
        raise Invalid("导出起始日期不能晚于截止日期")
    pairs = await uow.publication.current_versions(task_no, date_from, date_to, kind)
    return [row for record, version in pairs for row in model.export_rows(record, version)]
