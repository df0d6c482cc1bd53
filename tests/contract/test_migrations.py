"""Every service's migrations build exactly its tables: the kernel's branch (outbox, processed
events, working-day calendar) under the service's own, nothing missing and nothing extra — a
model changed without its migration fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from spotcheck_common import migrations
from spotcheck_common.db import KERNEL_TABLES, Database
from spotcheck_common.runner import available, load


@pytest.mark.parametrize("service", available())
async def test_migrations_match_the_models(tmp_path: Path, service: str) -> None:
    definition = load(service)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/{service}.db", service)
    try:
        await migrations.upgrade(db, definition.migrations)
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    definition.metadata,
                )
            )
            tables = set(await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync)))
    finally:
        await db.dispose()
    assert diff == [], f"{service}: models and migrations differ: {diff}"
    assert set(KERNEL_TABLES) <= tables


def test_no_service_migrates_a_kernel_table() -> None:
    for service in available():
        for script in (load(service).migrations / "versions").glob("*.py"):
            text = script.read_text()
            for table in KERNEL_TABLES:
                assert f"create_table('{table}'" not in text, f"{script} creates {table}"
