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
