"""Persistence of the "counted as done" reports (第八条) behind a small interface, so the use
cases run on a fake too (``tests/unit/fakes.py``, held to the same contract)."""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inspections.adapters import orm
from inspections.adapters.repository import _inspection
from inspections.domain.model import Inspection, InspectionStatus
from inspections.domain.reports import Item, Period, Report, ReportKind
from spotcheck_common.db import aware
from spotcheck_common.errors import StaleWrite
from spotcheck_common.events.inspections import NotInspectedReportRef

STALE_REPORT = "同一名单已被他人同时报送或更正，请刷新后重试"


class ReportRepository(Protocol):
    async def counted_as_done(self, period: Period, department: str | None) -> list[Inspection]:
        """Submitted inspections that counted as done (not inspected), submitted in the period
        (China days), of the tasks ``department`` leads (every department's: None)."""
        ...

    async def add(self, report: Report, files: dict[str, bytes]) -> None:
        """``files``: the exported bytes by format ("xlsx", "csv")."""
        ...

    async def get(self, report_id: str) -> Report | None: ...

    async def file(self, report_id: str, fmt: str) -> bytes | None: ...

    async def current(self, kind: ReportKind, department: str, period: Period) -> Report | None:
        """The version of that report no later version replaces."""
        ...

    async def search(
        self, kind: ReportKind | None, department: str | None, period: Period | None
    ) -> list[Report]:
        """Newest first, every version (``superseded_by`` says which are corrected);
        ``period``: only reports lying within it."""
        ...


def _values(report: Report, files: dict[str, bytes]) -> dict[str, Any]:
    return {
        "report_id": report.report_id,
        "kind": str(report.kind),
        "department": report.department,
        "period_start": report.period.start,
        "period_end": report.period.end,
        "version": report.version,
        "replaces": report.replaces or None,
        "correction_reason": report.correction_reason,
        "note": report.note,
        "items": [i.model_dump(mode="json") for i in report.items],
        "sources": [s.model_dump(mode="json") for s in report.sources],
        "submitted_by": report.submitted_by,
        "submitted_by_name": report.submitted_by_name,
        "submitted_at": report.submitted_at,
        "xlsx_sha256": report.xlsx_sha256,
        "csv_sha256": report.csv_sha256,
        "xlsx": files["xlsx"],
        "csv": files["csv"],
    }


def _report(row: Any) -> Report:
    return Report(
        report_id=row.report_id,
        kind=ReportKind(row.kind),
        department=row.department,
        period=Period(row.period_start, row.period_end),
        version=row.version,
        items=tuple(Item.model_validate(i) for i in row.items),
        sources=tuple(NotInspectedReportRef.model_validate(s) for s in row.sources),
        replaces=row.replaces or "",
        correction_reason=row.correction_reason,
        note=row.note,
        submitted_by=row.submitted_by,
        submitted_by_name=row.submitted_by_name,
        submitted_at=aware(row.submitted_at),
        xlsx_sha256=row.xlsx_sha256,
        csv_sha256=row.csv_sha256,
        superseded_by=row.superseded_by or "",
    )


class SqlReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _select(self) -> sa.Select[Any]:
        """Every column but the files, and the id of the version that replaced each."""
        t = orm.not_inspected_reports
        later = t.alias("later")
        replaced_by = (
            sa.select(later.c.report_id)
            .where(later.c.replaces == t.c.report_id)
            .scalar_subquery()
            .label("superseded_by")
        )
        return sa.select(*(c for c in t.c if c.name not in {"xlsx", "csv"}), replaced_by)

    async def counted_as_done(self, period: Period, department: str | None) -> list[Inspection]:
        t = orm.inspections
        since, until = period.instants()
        query = sa.select(t).where(
            t.c.status == str(InspectionStatus.SUBMITTED),
            t.c.not_inspected_reason != "",
            t.c.submitted_at >= since,
            t.c.submitted_at < until,
        )
        if department is not None:
            query = query.where(t.c.inspecting_authority == department)
        rows = await self.session.execute(query.order_by(t.c.task_no, t.c.uscc))
        return [_inspection(r) for r in rows]

    async def add(self, report: Report, files: dict[str, bytes]) -> None:
        try:
            await self.session.execute(
                sa.insert(orm.not_inspected_reports).values(**_values(report, files))
            )
        except sa.exc.IntegrityError as exc:  # the same version (or correction) submitted at once
            raise StaleWrite(STALE_REPORT, report_id=report.report_id) from exc

    async def get(self, report_id: str) -> Report | None:
        t = orm.not_inspected_reports
        row = (await self.session.execute(self._select().where(t.c.report_id == report_id))).first()
        return _report(row) if row else None

    async def file(self, report_id: str, fmt: str) -> bytes | None:
        t = orm.not_inspected_reports
        column = {"xlsx": t.c.xlsx, "csv": t.c.csv}[fmt]
        query = sa.select(column).where(t.c.report_id == report_id)
        found = (await self.session.execute(query)).scalar_one_or_none()
        return bytes(found) if found is not None else None

    async def current(self, kind: ReportKind, department: str, period: Period) -> Report | None:
        t = orm.not_inspected_reports
        query = (
            self._select()
            .where(
                t.c.kind == str(kind),
                t.c.department == department,
                t.c.period_start == period.start,
                t.c.period_end == period.end,
            )
            .order_by(t.c.version.desc())
            .limit(1)
        )
        row = (await self.session.execute(query)).first()
        return _report(row) if row else None

    async def search(
        self, kind: ReportKind | None, department: str | None, period: Period | None
    ) -> list[Report]:
        t = orm.not_inspected_reports
        where: list[Any] = []
        if kind is not None:
            where.append(t.c.kind == str(kind))
        if department is not None:
            where.append(t.c.department == department)
        if period is not None:
            where += [t.c.period_start >= period.start, t.c.period_end <= period.end]
        query = self._select().where(*where)
        rows = await self.session.execute(
            query.order_by(t.c.submitted_at.desc(), t.c.version.desc(), t.c.report_id)
        )
        return [_report(r) for r in rows]
