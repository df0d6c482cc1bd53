"""The planning service's unit of work: one transaction, its repositories on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from planning.adapters.repository import (
    SqlItemListRepository,
    SqlPlanRepository,
    SqlTaskRepository,
)
from spotcheck_common.uow import UnitOfWork


class SqlPlanningUnitOfWork(UnitOfWork):
    tasks: SqlTaskRepository
    plans: SqlPlanRepository
    item_lists: SqlItemListRepository

    def open(self, session: AsyncSession) -> None:
        self.tasks = SqlTaskRepository(session, self.district)
        self.plans = SqlPlanRepository(session, self.district)
        self.item_lists = SqlItemListRepository(session, self.district)
