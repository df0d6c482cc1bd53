"""Archives persistence behind a small interface, so the service layer runs on fakes too.

There is deliberately no method that changes or removes an entry.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from archives.adapters import orm
from archives.domain.chain import ChainLink, canonical_json
from archives.domain.model import DossierHead, Entry


class ArchiveRepository(Protocol):
    async def lock_dossier(self, task_id: str, now: datetime) -> DossierHead:
        """The dossier's head, created empty if new, locked until the transaction ends."""
        ...

    async def has_event(self, event_id: str) -> bool: ...

    async def append(self, head: DossierHead, entry: Entry) -> None:
        """Insert ``entry`` and move the dossier's head to ``head``."""
        ...

    async def get_dossier(self, task_id: str) -> DossierHead | None:
        """A consistent read: no append to this dossier lands between it and ``entries``."""
        ...

    async def entries(self, task_id: str) -> list[Entry]: ...

    async def list_dossiers(self, limit: int, offset: int) -> tuple[int, list[DossierHead]]: ...


def _head(row: Any) -> DossierHead:
    return DossierHead(
        task_id=row.task_id,
        entry_count=row.entry_count,
        head_hash=row.head_hash,
        opened_at=row.opened_at,
        last_activity_at=row.last_activity_at,
        task_no=row.task_no,
        title=row.title,
        last_event_type=row.last_event_type,
    )


def _entry(row: Any) -> Entry:
    return Entry(
        task_id=row.task_id,
        link=ChainLink(
            seq=row.seq,
            kind=row.kind,
            document=json.loads(row.document),
            prev_hash=row.prev_hash,
            entry_hash=row.entry_hash,
        ),
        recorded_at=row.recorded_at,
    )


class SqlArchiveRepository:
    def __init__(self, session: AsyncSession, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres
        self._insert = postgresql.insert if postgres else sqlite.insert

    async def lock_dossier(self, task_id: str, now: datetime) -> DossierHead:
        t = orm.dossiers
        empty = DossierHead.new(task_id, now)
        await self.session.execute(
            self._insert(t)
            .values(
                task_id=task_id,
                entry_count=0,
                head_hash=empty.head_hash,
                opened_at=now,
                last_activity_at=now,
            )
            .on_conflict_do_nothing(index_elements=["task_id"])
        )
        row = (
            await self.session.execute(sa.select(t).where(t.c.task_id == task_id).with_for_update())
        ).one()
        return _head(row)

    async def has_event(self, event_id: str) -> bool:
        t = orm.dossier_entries
        found = await self.session.execute(sa.select(t.c.id).where(t.c.event_id == event_id))
        return found.first() is not None

    async def append(self, head: DossierHead, entry: Entry) -> None:
        await self.session.execute(
            sa.insert(orm.dossier_entries).values(
                task_id=entry.task_id,
                seq=entry.seq,
                kind=entry.kind,
                document=canonical_json(entry.document).decode("utf-8"),
                prev_hash=entry.link.prev_hash,
                entry_hash=entry.link.entry_hash,
                recorded_at=entry.recorded_at,
                event_id=entry.event_id,
                event_type=entry.event_type,
            )
        )
        t = orm.dossiers
        await self.session.execute(
            sa.update(t)
            .where(t.c.task_id == head.task_id)
            .values(
                entry_count=head.entry_count,
                head_hash=head.head_hash,
                last_activity_at=head.last_activity_at,
                task_no=head.task_no,
                title=head.title,
                last_event_type=head.last_event_type,
            )
        )

    async def get_dossier(self, task_id: str) -> DossierHead | None:
        t = orm.dossiers
        query = sa.select(t).where(t.c.task_id == task_id)
        if self.postgres:
            # FOR SHARE waits for an append in flight and holds off the next one until this
            # read's transaction ends, so the head and the entries read after it agree.
            query = query.with_for_update(read=True)
        row = (await self.session.execute(query)).first()
        return _head(row) if row else None

    async def entries(self, task_id: str) -> list[Entry]:
        t = orm.dossier_entries
        rows = await self.session.execute(
            sa.select(t).where(t.c.task_id == task_id).order_by(t.c.seq)
        )
        return [_entry(r) for r in rows]

    async def list_dossiers(self, limit: int, offset: int) -> tuple[int, list[DossierHead]]:
        t = orm.dossiers
        total = (await self.session.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
        rows = await self.session.execute(
            sa.select(t)
            .order_by(t.c.last_activity_at.desc(), t.c.task_id)
            .limit(limit)
            .offset(offset)
        )
        return total, [_head(r) for r in rows]
