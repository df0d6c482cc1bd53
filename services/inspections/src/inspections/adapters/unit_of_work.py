"""The inspections service's unit of work: one transaction, its repositories on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from inspections.adapters.reports import SqlReportRepository
from inspections.adapters.repository import SqlInspectionRepository
from spotcheck_common.uow import UnitOfWork


class SqlInspectionsUnitOfWork(UnitOfWork):
    inspections: SqlInspectionRepository
    reports: SqlReportRepository

    def open(self, session: AsyncSession) -> None:
        self.inspections = SqlInspectionRepository(session)
        self.reports = SqlReportRepository(session)
