"""The draws service's unit of work: one transaction, its repositories on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from draws.adapters.ledger import SqlLedgerRepository
from draws.adapters.repository import SqlDrawsRepository
from spotcheck_common.uow import UnitOfWork


class SqlDrawsUnitOfWork(UnitOfWork):
    draws: SqlDrawsRepository
    ledger: SqlLedgerRepository

    def open(self, session: AsyncSession) -> None:
        self.draws = SqlDrawsRepository(session)
        self.ledger = SqlLedgerRepository(session)
