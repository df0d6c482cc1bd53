"""Party keys and the draw log in the database (``draws.domain.ledger``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from draws.adapters import orm
from draws.domain import ledger
from draws.domain import protocol as p
from draws.domain.ledger import PartyKey


class LedgerRepository(Protocol):
    async def append(
        self, district: str, at: datetime, kind: str, fields: dict[str, Any]
    ) -> dict[str, Any]: ...
    async def records(self, district: str, after: int, limit: int) -> list[dict[str, Any]]: ...
    async def head(self, district: str) -> tuple[int, str]: ...
    async def extract_of(self, draw_id: str, key_ids: Sequence[str]) -> list[dict[str, Any]]: ...
    async def add_key(self, key: PartyKey) -> None: ...
    async def get_key(self, key_id: str) -> PartyKey | None: ...
    async def keys(self, district: str) -> list[PartyKey]: ...
    async def revoke_key(
        self, key_id: str, seq: int, by: str, reason: str, at: datetime
    ) -> None: ...


def _key(row: Any, revoked_seq: int | None) -> PartyKey:
    return PartyKey(
        key_id=row.key_id,
        district=row.district,
        party=row.party,
        holder=row.holder,
        public_key=row.public_key,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        signature=row.signature,
        registered_seq=row.registered_seq,
        revoked_seq=revoked_seq,
    )


class SqlLedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self, district: str, at: datetime, kind: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        if self.session.get_bind().dialect.name == "postgresql":  # one chain writer
            await self.session.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"drawlog:{district}"}
            )
        seq, prev = await self.head(district)
        record = ledger.log_record(
            seq=seq + 1, prev=prev, at=at, kind=kind, district=district, fields=fields
        )
        key_id = fields.get("key_id") or (fields.get("key") or {}).get("key_id")
        await self.session.execute(
            sa.insert(orm.draw_log).values(
                district=district,
                seq=seq + 1,
                hash=p.log_hash(record),
                kind=kind,
                draw_id=fields.get("draw_id"),
                key_id=key_id,
                record=record,
            )
        )
        return record

    async def records(self, district: str, after: int, limit: int) -> list[dict[str, Any]]:
        t = orm.draw_log
        rows = await self.session.execute(
            sa.select(t.c.record)
            .where(t.c.district == district, t.c.seq > after)
            .order_by(t.c.seq)
            .limit(limit)
        )
        return [dict(r.record) for r in rows]

    async def head(self, district: str) -> tuple[int, str]:
        t = orm.draw_log
        row = (
            await self.session.execute(
                sa.select(t.c.seq, t.c.hash)
                .where(t.c.district == district)
                .order_by(t.c.seq.desc())
                .limit(1)
            )
        ).first()
        return (int(row.seq), str(row.hash)) if row else (0, p.LOG_GENESIS)

    async def extract_of(self, draw_id: str, key_ids: Sequence[str]) -> list[dict[str, Any]]:
        t = orm.draw_log
        rows = await self.session.execute(
            sa.select(t.c.record)
            .where(
                sa.or_(
                    t.c.draw_id == draw_id,
                    sa.and_(t.c.kind == "key-registered", t.c.key_id.in_(list(key_ids))),
                )
            )
            .order_by(t.c.seq)
        )
        return [dict(r.record) for r in rows]

    async def add_key(self, key: PartyKey) -> None:
        values = {k: v for k, v in vars(key).items() if k != "revoked_seq"}
        await self.session.execute(sa.insert(orm.draw_keys).values(**values))

    async def _keys(self, where: Any) -> list[PartyKey]:
        k, r = orm.draw_keys, orm.draw_key_revocations
        rows = await self.session.execute(
            sa.select(k, r.c.seq.label("revoked_seq"))
            .select_from(k.outerjoin(r, r.c.key_id == k.c.key_id))
            .where(where)
            .order_by(k.c.registered_seq)
        )
        return [_key(row, row.revoked_seq) for row in rows]

    async def get_key(self, key_id: str) -> PartyKey | None:
        found = await self._keys(orm.draw_keys.c.key_id == key_id)
        return found[0] if found else None

    async def keys(self, district: str) -> list[PartyKey]:
        return await self._keys(orm.draw_keys.c.district == district)

    async def revoke_key(self, key_id: str, seq: int, by: str, reason: str, at: datetime) -> None:
        await self.session.execute(
            sa.insert(orm.draw_key_revocations).values(
                key_id=key_id, seq=seq, revoked_by=by, reason=reason, revoked_at=at
            )
        )
