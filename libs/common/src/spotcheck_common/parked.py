"""Parked outbox rows: events the bus can never accept as they are (over its message size
limit, or refused for good), set aside by the relay (``spotcheck_common.outbox``) so they do
not hold back their aggregate's later events. An operator lists them and, once the cause is
mended (e.g. the broker's limit raised, and ``SPOTCHECK_KAFKA_MAX_MESSAGE_BYTES`` with it),
releases them (``spotcheck parked-events``): the running service's relay then sends them as
new — after the events of their aggregate that went on meanwhile — or parks them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from spotcheck_common.db import Database, aware
from spotcheck_common.uow import OUTBOX


@dataclass(frozen=True)
class ParkedEvent:
    id: int  # the outbox row's, in the order the events were written
    event_id: str
    event_type: str
    aggregate_id: str
    bytes: int  # the envelope's, UTF-8
    parked_at: datetime
    last_error: str


_PARKED = sa.and_(OUTBOX.c.parked_at.is_not(None), OUTBOX.c.published_at.is_(None))


async def parked_events(db: Database) -> list[ParkedEvent]:
    async with db.sessions() as session:
        rows = await session.execute(sa.select(OUTBOX).where(_PARKED).order_by(OUTBOX.c.id))
        return [
            ParkedEvent(
                r.id,
                r.event_id,
                r.event_type,
                r.aggregate_id,
                len(r.envelope.encode()),
                aware(r.parked_at),
                r.last_error or "",
            )
            for r in rows
        ]


async def release(db: Database, event_ids: Sequence[str] | None) -> list[str]:
    """Put the parked events named (``None``: all) back in the relay's hands, as if never
    tried; returns the event ids released (a name not parked is left out)."""
    where = _PARKED if event_ids is None else sa.and_(_PARKED, OUTBOX.c.event_id.in_(event_ids))
    async with db.sessions() as session:
        released = (
            await session.execute(
                sa.update(OUTBOX)
                .where(where)
                .values(parked_at=None, attempts=0, next_attempt_at=None)
                .returning(OUTBOX.c.event_id)
            )
        ).scalars()
        ids = sorted(released)
        await session.commit()
    return ids
