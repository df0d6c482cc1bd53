"""The registry's unit of work: one transaction, its repository and its calendar on that
session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from registry.adapters.repository import SqlRegistryRepository
from spotcheck_common.calendar_store import CalendarStore
from spotcheck_common.uow import UnitOfWork


class SqlRegistryUnitOfWork(UnitOfWork):
    registry: SqlRegistryRepository
    calendar: CalendarStore

    def open(self, session: AsyncSession) -> None:
        self.registry = SqlRegistryRepository(session)
        self.calendar = CalendarStore(session)
