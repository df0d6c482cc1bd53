"""The SQL repository on the embedded database (SQLite, as `make run` uses it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inspections.adapters.repository import SqlInspectionRepository, StaleInspection
from inspections.domain.model import InspectionStatus
from inspections.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.migrations import upgrade

from .factories import LEADER, MEMBER, NOW, USCC_1, all_clear, inspection, task_info


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inspections.db'}", "inspections")
    await upgrade(database, definition.migrations)
    yield database
    await database.dispose()


async def test_an_inspection_round_trips_with_its_history(db: Database) -> None:
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        await repo.put_task(task_info(), NOW)
        await repo.put_task(task_info(), NOW)  # again: an update, not a second row
        await repo.add(inspection())
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        assert await repo.get_task("task-1") == task_info()
        assert await repo.exists("task-1", USCC_1)
        loaded = await repo.get("i-1")
        assert loaded is not None and loaded.created_at == NOW
        loaded.record_results(LEADER, all_clear(), NOW)
        loaded.sign(MEMBER, NOW)
        await repo.save(loaded)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlInspectionRepository(session)
        again = await repo.get("i-1")
        assert again is not None
        assert again.status is InspectionStatus.RECORDED
        assert again.signatures == {MEMBER: NOW} and again.recorded_at == NOW
        assert [r.check_item_name for r in again.results] == ["企业公示信息检查", "登记事项检查"]
        history = await repo.history("i-1")
        assert [h["action"] for h in history] == ["opened", "results_recorded", "signed"]
        assert history[0]["at"] == NOW.isoformat()
        total, rows = await repo.search("task-1", None, InspectionStatus.RECORDED, 10, 0)
        assert total == 1 and rows[0].inspection_id == "i-1"
        again.version = 0
        with pytest.raises(StaleInspection):
            await repo.save(again)
