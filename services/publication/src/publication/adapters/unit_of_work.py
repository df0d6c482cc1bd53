"""The publication service's unit of work: one transaction, its repository on that session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from publication.adapters.repository import SqlPublicationRepository
from spotcheck_common.uow import UnitOfWork


class SqlPublicationUnitOfWork(UnitOfWork):
    publication: SqlPublicationRepository

    def open(self, session: AsyncSession) -> None:
        self.publication = SqlPublicationRepository(session)

    async def commit(self) -> None:
        """Commit; a transaction that changed what the public reads raises the data version in
        it, so every replica's kept answers expire (ADR 0013)."""
        if self.publication.changed:
            await self.publication.raise_data_version()
            self.publication.changed = False
        await super().commit()
