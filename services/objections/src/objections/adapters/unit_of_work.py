"""The objections service's unit of work: one transaction, its repository on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from objections.adapters.repository import SqlObjectionsRepository
from spotcheck_common.uow import UnitOfWork


class SqlObjectionsUnitOfWork(UnitOfWork):
    objections: SqlObjectionsRepository

    def open(self, session: AsyncSession) -> None:
        self.objections = SqlObjectionsRepository(session)
