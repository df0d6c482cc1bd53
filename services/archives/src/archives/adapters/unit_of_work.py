"""The archives service's unit of work: one transaction, its repository on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from archives.adapters.repository import SqlArchiveRepository
from spotcheck_common.uow import UnitOfWork


class SqlArchivesUnitOfWork(UnitOfWork):
    archives: SqlArchiveRepository

    def open(self, session: AsyncSession) -> None:
        self.archives = SqlArchiveRepository(session)
