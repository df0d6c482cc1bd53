"""Many new rows into one table in one statement: PostgreSQL's binary COPY, or an
``executemany`` elsewhere (SQLite, the embedded mode).

An ``INSERT … VALUES`` of a thousand rows is a new statement for every row count, compiled by
SQLAlchemy and planned by PostgreSQL each time, with every value bound one by one; COPY sends
the rows as they are. Used where a single event writes a thousand rows (a draw's part opens a
thousand inspections, ADR 0012). COPY fires the table's insert triggers as an INSERT would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


def _json_text(value: Any) -> Any:
    """A JSON column's value as asyncpg's COPY codecs take it: its text."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


async def insert_rows(
    session: AsyncSession, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (every row with the same keys) into ``table`` in the session's
    transaction."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(sa.insert(table), list(rows))
        return
    columns = [table.c[name] for name in rows[0]]
    # Which columns need converting is decided once, not once per value.
    plan = [(c.name, isinstance(c.type, sa.JSON)) for c in columns]
    records = [tuple(_json_text(row[n]) if j else row[n] for n, j in plan) for row in rows]
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    if not raw.driver_connection.is_in_transaction():  # type: ignore[union-attr]
        # SQLAlchemy begins the transaction with its first statement: without one, COPY on
        # the driver's connection would commit on its own.
        await conn.execute(sa.text("SELECT 1"))
    # Unqualified: the connection's search_path is the service's schema (spotcheck_common.db).
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, schema_name=table.schema, columns=[c.name for c in columns], records=records
    )
