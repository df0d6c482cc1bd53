"""The draws service's unit of work: one transaction, its repository on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from draws.adapters.repository import SqlDrawsRepository
from spotcheck_common.uow import UnitOfWork


class SqlDrawsUnitOfWork(UnitOfWork):
    draws: SqlDrawsRepository

    def open(self, session: AsyncSession) -> None:
        self.draws = SqlDrawsRepository(session)
