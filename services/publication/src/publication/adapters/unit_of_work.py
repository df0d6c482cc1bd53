"""The publication service's unit of work: one transaction, its repository on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from publication.adapters.repository import SqlPublicationRepository
from spotcheck_common.uow import UnitOfWork


class SqlPublicationUnitOfWork(UnitOfWork):
    publication: SqlPublicationRepository

    def open(self, session: AsyncSession) -> None:
        self.publication = SqlPublicationRepository(session)
