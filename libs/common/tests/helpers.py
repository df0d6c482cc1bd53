"""Shared by the kernel's tests: a throwaway schema with the outbox and processed events."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI

from spotcheck_common.bus import InProcessBus
from spotcheck_common.db import Database, service_metadata
from spotcheck_common.events.registry import ConflictDeclared
from spotcheck_common.http import build_app
from spotcheck_common.service import ServiceDefinition, ServiceRuntime
from spotcheck_common.settings import Settings

metadata = service_metadata()
notes = sa.Table(
    "notes", metadata, sa.Column("id", sa.String(50), primary_key=True), sa.Column("n", sa.Integer)
)


async def create_schema(db: Database) -> None:
    async with db.engine.begin() as conn:
        if db.postgres:
            await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(metadata.create_all)


def conflict(inspector: str, n: int) -> ConflictDeclared:
    return ConflictDeclared(inspector_id=inspector, uscc="914403001922038216", reason=f"r{n}")


def kernel_app(settings: Settings, routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The kernel's app around one throwaway service with ``routers`` (no lifespan run)."""
    definition = ServiceDefinition("t", "t", sa.MetaData(), Path("."), routers=routers)
    db = Database("sqlite+aiosqlite://", "t")
    return build_app([ServiceRuntime(definition, settings, db, InProcessBus())], title="t")


bulk_rows = sa.Table(
    "bulk_rows",
    metadata,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("note", sa.String(50)),
)


async def check_bulk_insert(db: Database) -> None:
    """``bulk.insert_rows`` on ``db``: every value as given (JSON, time, NULL), in the
    session's transaction — a rollback leaves nothing, even when it is the first statement."""
    from datetime import UTC, datetime

    from spotcheck_common.bulk import insert_rows

    at = datetime(2026, 4, 1, 2, 30, tzinfo=UTC)
    rows = [
        {"id": f"r{i}", "at": at, "detail": {"名": "王强", "n": i}, "note": None if i else "x"}
        for i in range(1500)
    ]
    async with db.sessions() as session:
        await insert_rows(session, bulk_rows, rows[:10])
        await session.rollback()
    async with db.sessions() as session:
        assert (
            await session.execute(sa.select(sa.func.count()).select_from(bulk_rows))
        ).scalar() == 0
        await insert_rows(session, bulk_rows, rows)
        await insert_rows(session, bulk_rows, [])
        await session.commit()
    async with db.sessions() as session:
        stored = (await session.execute(sa.select(bulk_rows).order_by(bulk_rows.c.id))).all()
    assert len(stored) == 1500
    first = next(r for r in stored if r.id == "r0")
    assert first.detail == {"名": "王强", "n": 0} and first.note == "x"
    assert first.at.replace(tzinfo=first.at.tzinfo or UTC) == at
    assert next(r for r in stored if r.id == "r7").note is None
