"""Use cases of the "counted as done" report (第八条): a department compiles and submits its
list for a period, the credit department consolidates the departments' lists; both are frozen
with their exported files' SHA-256 and leave as events through the outbox. Reads included."""

from __future__ import annotations

import hashlib
from typing import Protocol

from inspections.adapters.reports import ReportRepository
from inspections.domain.report_files import FORMATS
from inspections.domain.reports import (
    Consolidation,
    Item,
    Period,
    Report,
    ReportKind,
    Submitter,
    consolidation,
    item_of,
    next_version,
    ordered,
)
from spotcheck_common.errors import Corrupted, NotFound
from spotcheck_common.events.envelope import new_id
from spotcheck_common.uow import UnitOfWorkPort

# The consolidated reports' chain is the bureau's one, whatever its credit department's name.
CONSOLIDATED = ""


class ReportsUnitOfWork(UnitOfWorkPort, Protocol):
    @property
    def reports(self) -> ReportRepository: ...


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def department_draft(
    uow: ReportsUnitOfWork, department: str, period: Period
) -> tuple[Item, ...]:
    """What the department's report of the period holds if submitted now."""
    period.check(uow.clock.today())
    return ordered([item_of(i) for i in await uow.reports.counted_as_done(period, department)])


async def submit_department_report(
    uow: ReportsUnitOfWork,
    department: str,
    submitter: Submitter,
    period: Period,
    replaces: str = "",
    correction_reason: str = "",
    note: str = "",
) -> Report:
    """The department's list of the period, frozen as it stands (or a correction of it)."""
    current = await uow.reports.current(ReportKind.DEPARTMENT, department, period)
    version = next_version(current, replaces, correction_reason)
    items = await department_draft(uow, department, period)
    report = Report(
        report_id=new_id(),
        kind=ReportKind.DEPARTMENT,
        department=department,
        period=period,
        version=version,
        items=items,
        submitted_by=submitter.user,
        submitted_by_name=submitter.name,
        submitted_at=uow.clock.now(),
        replaces=replaces,
        correction_reason=correction_reason.strip(),
        note=note,
    )
    return await _issue(uow, report)


async def consolidation_draft(uow: ReportsUnitOfWork, period: Period) -> Consolidation:
    """The current department reports within the period, their objects, and the departments
    with objects counted as done in the period that no report holds yet."""
    period.check(uow.clock.today())
    reports = await uow.reports.search(ReportKind.DEPARTMENT, None, period)
    current = [r for r in reports if not r.superseded_by]
    counted = [item_of(i) for i in await uow.reports.counted_as_done(period, None)]
    return consolidation(period, current, counted)


async def consolidate(
    uow: ReportsUnitOfWork,
    submitter: Submitter,
    period: Period,
    replaces: str = "",
    correction_reason: str = "",
    note: str = "",
) -> Report:
    """The credit department's report of the period for the city bureau; refused (409) while
    a department has objects of the period in no report."""
    current = await uow.reports.current(ReportKind.CONSOLIDATED, CONSOLIDATED, period)
    version = next_version(current, replaces, correction_reason)
    draft = await consolidation_draft(uow, period)
    draft.check_complete()
    report = Report(
        report_id=new_id(),
        kind=ReportKind.CONSOLIDATED,
        department=CONSOLIDATED,
        period=period,
        version=version,
        items=draft.items,
        sources=tuple(r.ref() for r in draft.reports),
        submitted_by=submitter.user,
        submitted_by_name=submitter.name,
        submitted_at=uow.clock.now(),
        replaces=replaces,
        correction_reason=correction_reason.strip(),
        note=note,
    )
    return await _issue(uow, report)


async def _issue(uow: ReportsUnitOfWork, report: Report) -> Report:
    """Render the files, seal the report with their hashes, keep both, emit, commit."""
    files = {fmt: render(report) for fmt, (render, _) in FORMATS.items()}
    sealed = report.sealed(sha256_hex(files["xlsx"]), sha256_hex(files["csv"]))
    await uow.reports.add(sealed, files)
    await uow.emit(sealed.event())
    await uow.commit()
    return sealed


# -- reads ------------------------------------------------------------------------------------


async def report(uow: ReportsUnitOfWork, report_id: str) -> Report:
    found = await uow.reports.get(report_id)
    if found is None:
        raise NotFound(f"视为完成抽查名单 {report_id} 不存在")
    return found


async def report_file(uow: ReportsUnitOfWork, found: Report, fmt: str) -> bytes:
    """The file as submitted, checked against the SHA-256 recorded with it."""
    content = await uow.reports.file(found.report_id, fmt)
    recorded = found.xlsx_sha256 if fmt == "xlsx" else found.csv_sha256
    if content is None or sha256_hex(content) != recorded:
        raise Corrupted(
            f"名单 {found.report_id} 的 {fmt} 文件与报送时记录的 SHA-256 不符，已拒绝读取",
            sha256=recorded,
        )
    return content


async def reports(
    uow: ReportsUnitOfWork,
    kind: ReportKind | None,
    department: str | None,
    period: Period | None,
) -> list[Report]:
    return await uow.reports.search(kind, department, period)


async def current_report(
    uow: ReportsUnitOfWork, kind: ReportKind, department: str, period: Period
) -> Report | None:
    """The version in force of a department's (or, with ``CONSOLIDATED``, the credit
    department's) report of the period."""
    return await uow.reports.current(kind, department, period)
