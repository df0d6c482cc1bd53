"""The SQL repository on the embedded database (SQLite, as `make run` uses it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from planning.adapters.repository import SqlTaskRepository
from planning.domain.model import DuplicateTaskNo, StaleTask, TaskStatus
from planning.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.migrations import upgrade

from .factories import NOW, draft


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'planning.db'}", "planning")
    await upgrade(database, definition.migrations)
    yield database
    await database.dispose()


async def test_a_task_round_trips_with_aware_timestamps(db: Database) -> None:
    task = draft()
    async with db.sessions() as session:
        await SqlTaskRepository(session, "lingang").add(task)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlTaskRepository(session, "lingang")
        loaded = await repo.get(task.task_id)
        assert loaded is not None
        assert loaded.created_at == NOW and loaded.created_at.tzinfo is not None
        assert loaded.ratio_bp == task.ratio_bp and loaded.check_items == task.check_items
        assert loaded.target_filter == task.target_filter and loaded.methods == task.methods
        loaded.approve("fuju-zhang", NOW)
        await repo.save(loaded)
        await session.commit()
        assert loaded.version == 1
    async with db.sessions() as session:
        repo = SqlTaskRepository(session, "lingang")
        again = await repo.get(task.task_id)
        assert again is not None and again.status is TaskStatus.APPROVED
        assert again.approved_at == NOW
        # Another district does not see it.
        assert await SqlTaskRepository(session, "weihai").get(task.task_id) is None
        # A save based on the old version is refused.
        again.version = 0
        with pytest.raises(StaleTask):
            await repo.save(again)


async def test_task_no_is_unique_per_district(db: Database) -> None:
    async with db.sessions() as session:
        await SqlTaskRepository(session, "lingang").add(draft())
        # The same number in another district is another task.
        await SqlTaskRepository(session, "weihai").add(
            replace(draft(), task_id="t-2", district="weihai")
        )
        with pytest.raises(DuplicateTaskNo):
            await SqlTaskRepository(session, "lingang").add(replace(draft(), task_id="t-3"))
