"""Database access: one engine per service, one PostgreSQL schema per service.

On PostgreSQL every connection's ``search_path`` is the service's schema, so tables, Alembic's
version table and the outbox land there without qualifying names. Embedded mode uses one
SQLite file per service, which gives the same isolation.
"""

from __future__ import annotations

import functools
import re
import ssl
import time
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
    """Events waiting to be relayed to the bus, written in the state change's transaction;
    ``parked_at``: the bus can never accept the row (``spotcheck_common.outbox``), so the relay
    set it aside until an operator releases it (``spotcheck_common.parked``)."""
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
        sa.Column("parked_at", sa.DateTime(timezone=True)),
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


def failed_events_table(metadata: sa.MetaData) -> sa.Table:
    """Events a consumer failed to handle, per consumer: the attempts so far, and once the
    retry budget is spent (``dead_at``), the dead letters an operator replays."""
    return sa.Table(
        "failed_events",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True)),
    )


def waiting_events_table(metadata: sa.MetaData) -> sa.Table:
    """Events a consumer received before what they depend on (``Unavailable``), and those of
    the same aggregate behind them, in arrival order (``id``): they wait here, retried by the
    service's waiting room, while the partition moves on."""
    return sa.Table(
        "waiting_events",
        metadata,
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("aggregate_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("consumer", "event_id"),
        sa.Index("ix_waiting_events_aggregate", "consumer", "aggregate_id", "id"),
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
KERNEL_TABLES = ("outbox", "processed_events", "calendar_years", "failed_events")


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
    failed_events_table(metadata)
    waiting_events_table(metadata)
    return metadata


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


# Each service process opens at most POOL_SIZE + MAX_OVERFLOW connections (the PgBouncer
# Pooler in deploy/postgres is sized from these).
POOL_SIZE = 5
MAX_OVERFLOW = 10


class DatabaseUrlError(ValueError):
    """A database URL the services cannot use. The message names the problem and never holds
    the URL's password."""


_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# libpq's TLS parameters, turned into an SSL context; the others asyncpg takes as they are.
_SSL_PARAMS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword")
_PASSED = ("target_session_attrs", "prepared_statement_cache_size")


def asyncpg_url(url: str) -> tuple[sa.URL, dict[str, Any]]:
    """A PostgreSQL URL as libpq and CloudNativePG's secrets write it (``postgresql://`` or
    ``postgres://``, ``?sslmode=verify-full&sslrootcert=…``) as SQLAlchemy's asyncpg URL and
    the driver's connect arguments (``ssl``, ``timeout``, ``server_settings``)."""
    parsed = _parse(url)
    driver = parsed.drivername.partition("+")[2]
    if driver not in ("", "asyncpg"):
        raise DatabaseUrlError(
            f"the services connect with asyncpg, not {driver!r}: "
            "write postgresql://… (or postgresql+asyncpg://…)"
        )
    query = _single_values(parsed.query)
    unknown = set(query) - {*_SSL_PARAMS, *_PASSED, "connect_timeout", "application_name"}
    if unknown:
        raise DatabaseUrlError(
            f"unsupported database URL parameter(s) {', '.join(sorted(unknown))}; accepted: "
            f"{', '.join((*_SSL_PARAMS, 'connect_timeout', 'application_name', *_PASSED))}"
        )
    args: dict[str, Any] = {}
    if (ssl_arg := _ssl_argument(query)) is not None:
        args["ssl"] = ssl_arg
    if "connect_timeout" in query:
        args["timeout"] = _seconds(query["connect_timeout"])
    if "application_name" in query:
        args["server_settings"] = {"application_name": query["application_name"]}
    passed = {k: v for k, v in query.items() if k in _PASSED}
    return parsed.set(drivername="postgresql+asyncpg", query=passed), args


def _parse(url: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        # SQLAlchemy's own message repeats the whole URL, password included.
        raise DatabaseUrlError(
            "not a database URL (want postgresql://user:password@host:port/database, "
            "the port a number)"
        ) from None


def _single_values(query: Any) -> dict[str, str]:
    repeated = sorted(k for k, v in query.items() if isinstance(v, tuple))
    if repeated:
        raise DatabaseUrlError(f"database URL parameter(s) given twice: {', '.join(repeated)}")
    return dict(query)


def _seconds(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise DatabaseUrlError(f"connect_timeout must be seconds, not {value!r}") from None


def _ssl_argument(query: dict[str, str]) -> ssl.SSLContext | str | bool | None:
    """asyncpg's ``ssl`` for libpq's parameters (None: asyncpg's default, ``prefer``), with
    libpq's meaning: ``require`` verifies the chain when a root certificate is given,
    ``verify-full`` also checks the host name; ``sslrootcert=system`` is the system's CAs."""
    mode = query.get("sslmode")
    files = [k for k in _SSL_PARAMS[1:] if k in query]
    if mode is None:
        if files:
            raise DatabaseUrlError(f"{', '.join(files)} given without sslmode")
        return None
    if mode not in _SSLMODES:
        raise DatabaseUrlError(f"sslmode must be one of {', '.join(_SSLMODES)}, not {mode!r}")
    if mode in ("disable", "allow", "prefer"):
        if files:
            raise DatabaseUrlError(
                f"{', '.join(files)} need sslmode=require, verify-ca or verify-full, "
                f"not {mode} (which would not use them)"
            )
        return False if mode == "disable" else mode
    return _ssl_context(mode, query)


def _ssl_context(mode: str, query: dict[str, str]) -> ssl.SSLContext:
    root = query.get("sslrootcert")
    if mode != "require" and not root:
        raise DatabaseUrlError(f"sslmode={mode} needs sslrootcert (a CA file, or system)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = mode == "verify-full"
    context.verify_mode = ssl.CERT_REQUIRED if root else ssl.CERT_NONE
    if root == "system":
        context.load_default_certs()
    elif root:
        _load("sslrootcert", root, lambda: context.load_verify_locations(cafile=root))
    if "sslkey" in query and "sslcert" not in query:
        raise DatabaseUrlError("sslkey given without sslcert")
    if cert := query.get("sslcert"):
        key, password = query.get("sslkey"), query.get("sslpassword")
        _load("sslcert", cert, lambda: context.load_cert_chain(cert, key, password))
    return context


def _load(param: str, path: str, load: Callable[[], None]) -> None:
    try:
        load()
    except OSError as exc:  # ssl.SSLError included; neither's text holds the key's password
        raise DatabaseUrlError(f"{param} {path} cannot be loaded: {exc.strerror or exc}") from None


def create_engine(url: str, schema: str) -> AsyncEngine:
    if not _SCHEMA.match(schema):
        raise ValueError(f"bad schema name {schema!r}")
    if not is_postgres(url):
        engine = create_async_engine(url, pool_pre_ping=True, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    target, args = asyncpg_url(url)
    args["server_settings"] = {**args.get("server_settings", {}), "search_path": schema}
    engine = create_async_engine(
        target, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, connect_args=args
    )
    _ping_when_rested(engine.sync_engine)
    return engine


# A pooled connection unused for this long is pinged before use; one in use a moment ago is
# not. SQLAlchemy's pre-ping pings on every checkout, and on asyncpg a ping is three round
# trips (BEGIN, an empty statement, ROLLBACK: for PgBouncer's transaction mode): more than a
# public search's own queries. A connection cut while busy fails one statement, and that
# disconnect renews the whole pool.
PING_AFTER_S = 5.0


def _ping_when_rested(engine: sa.Engine) -> None:
    @event.listens_for(engine.pool, "checkin")
    def rested(_dbapi_connection: Any, record: Any) -> None:
        record.info["rested_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def ping_if_rested(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("rested_since")  # none on a new connection: nothing to ping
        if since is None or time.monotonic() - since < PING_AFTER_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The pool connects again, and renews every connection older than this one.
                raise sa.exc.InvalidatePoolError(str(error)) from error
            raise


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


class Paged:
    """A filtered, ordered query as ``paginate`` runs it: its page (limit and offset bound at
    execution) and its count. Built once and kept, with the query's values as bound parameters,
    its statements are keyed and compiled once: SQLAlchemy memoises both on the statement
    object, and building and keying a search's statement cost more than running it."""

    def __init__(self, query: sa.Select[Any]) -> None:
        self.query = query
        self.page = query.limit(sa.bindparam("page_limit", type_=sa.Integer)).offset(
            sa.bindparam("page_offset", type_=sa.Integer)
        )

    @functools.cached_property
    def count(self) -> sa.Select[Any]:
        return sa.select(sa.func.count()).select_from(self.query.order_by(None).subquery())


async def paginate(
    session: AsyncSession,
    query: sa.Select[Any] | Paged,
    limit: int,
    offset: int,
    row: Callable[[Any], T],
    params: dict[str, Any] | None = None,
) -> Page[T]:
    """One page of ``query`` (already filtered and ordered; ``params``: the values of its bound
    parameters) mapped by ``row``, and how many rows the query has: counted only when the page
    does not tell (a short page that is not empty ends the query; a one-entity search pays no
    count of the register)."""
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(f"offset 须在 0 到 {MAX_OFFSET} 之间")
    paged = query if isinstance(query, Paged) else Paged(query)
    values = {**(params or {}), "page_limit": limit, "page_offset": offset}
    items = [row(r) for r in await session.execute(paged.page, values)]
    if len(items) < limit and (items or offset == 0):
        return Page(offset + len(items), items)
    return Page(int((await session.execute(paged.count, params)).scalar_one()), items)
