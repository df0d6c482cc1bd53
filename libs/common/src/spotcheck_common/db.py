"""Database access: one engine per service, one PostgreSQL schema per service.

On PostgreSQL every connection's ``search_path`` is the service's schema, so tables, Alembic's
version table and the outbox land there without qualifying names. Embedded mode uses one
SQLite file per service, which gives the same isolation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from spotcheck_common.errors import Invalid

T = TypeVar("T")

# Portable auto-incrementing primary key.
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """Events waiting to be relayed to the bus, written in the state change's transaction."""
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("aggregate_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Index("ix_outbox_pending", "published_at", "id"),
        sa.Index("ix_outbox_aggregate", "aggregate_id", "id"),
    )


def processed_events_table(metadata: sa.MetaData) -> sa.Table:
    """Events already handled, per consumer: the idempotent consumer's memory."""
    return sa.Table(
        "processed_events",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def calendar_table(metadata: sa.MetaData) -> sa.Table:
    """Every version of every recorded year of the working-day calendar (the
    ``registry.calendar-year-recorded`` payload as it came; ``spotcheck_common.calendar_store``)."""
    return sa.Table(
        "calendar_years",
        metadata,
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("document_no", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


# The kernel's own tables, in every service's schema, migrated by the kernel's Alembic branch
# (``spotcheck_common/kernel_migrations``), never by a service's.
KERNEL_TABLES = ("outbox", "processed_events", "calendar_years")


def service_metadata() -> sa.MetaData:
    """A service's MetaData, with the kernel's tables every service has (outbox, processed
    events, the working-day calendar)."""
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    outbox_table(metadata)
    processed_events_table(metadata)
    calendar_table(metadata)
    return metadata


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def create_engine(url: str, schema: str) -> AsyncEngine:
    if not _SCHEMA.match(schema):
        raise ValueError(f"bad schema name {schema!r}")
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if is_postgres(url):
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        kwargs["pool_size"] = 5
        kwargs["max_overflow"] = 10
    else:
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_async_engine(url, **kwargs)
    if not is_postgres(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """A service's engine and session factory."""

    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.schema = schema
        self.engine = create_engine(url, schema)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def postgres(self) -> bool:
        return is_postgres(self.url)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def update_versioned(
    session: Any, table: sa.Table, key: sa.ColumnElement[bool], version: int, values: dict[str, Any]
) -> bool:
    """Optimistic lock: write ``values`` and bump ``version`` only where the row still has
    ``version``; False when someone else changed it first (the caller raises
    ``errors.StaleWrite``)."""
    result = await session.execute(
        sa.update(table)
        .where(key, table.c.version == version)
        .values(**{**values, "version": version + 1})
    )
    return bool(result.rowcount == 1)


def aware(moment: datetime) -> datetime:
    """An aware instant from the database: SQLite (embedded mode) hands back naive datetimes,
    stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def aware_or_none(moment: datetime | None) -> datetime | None:
    return aware(moment) if moment is not None else None


def insert_for(session: AsyncSession | AsyncConnection) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_…``) for the session's database."""
    bind = session.bind if isinstance(session, AsyncSession) else session
    if bind is None:
        raise RuntimeError("the session is bound to no engine")
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: the items and how many there are in all."""

    total: int
    items: list[T]


# The furthest a listing pages (a larger offset is refused, never sent to the database, where a
# number beyond 64 bits was a 500). Beyond ten million rows, narrow the listing with its filters.
MAX_OFFSET = 10_000_000


async def paginate(
    session: AsyncSession,
    query: sa.Select[Any],
    limit: int,
    offset: int,
    row: Callable[[Any], T],
) -> Page[T]:
    """``query`` (already filtered and ordered) counted, then one page of it mapped by
    ``row``."""
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(f"offset 须在 0 到 {MAX_OFFSET} 之间")
    counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    total = int((await session.execute(counted)).scalar_one())
    rows = await session.execute(query.limit(limit).offset(offset))
    return Page(total, [row(r) for r in rows])
