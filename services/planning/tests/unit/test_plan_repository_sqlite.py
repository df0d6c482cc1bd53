"""Plans and the item list's read model on the embedded database (SQLite, as `make run`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from planning.adapters.repository import SqlItemListRepository, SqlPlanRepository
from planning.domain.plans import AnnualPlan, PlanStatus, StalePlan
from planning.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.migrations import upgrade
from spotcheck_common.roles import Role

from .factories import LIST, NOW, plan_spec


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'planning.db'}", "planning")
    await upgrade(database, definition.migrations)
    yield database
    await database.dispose()


async def test_a_plan_round_trips_with_its_versions_and_history(db: Database) -> None:
    plan = AnnualPlan.draft(
        plan_spec(), plan_id="p-1", district="lingang", by="keyuan", at=NOW, listed=dict(LIST)
    )
    async with db.sessions() as session:
        repo = SqlPlanRepository(session, "lingang")
        await repo.add(plan)
        plan.take("submit", "keyuan", {Role.SUPERVISING_DEPT}, NOW)
        plan.take("sign", "fuju", {Role.DEPUTY_DIRECTOR}, NOW)
        await repo.save(plan)
        await session.commit()
    async with db.sessions() as session:
        repo = SqlPlanRepository(session, "lingang")
        (loaded,) = await repo.versions("p-1")
        assert loaded.status is PlanStatus.SIGNED and loaded.items == plan.items
        assert loaded.created_at == NOW and loaded.by("sign") == "fuju"
        assert [t.action for t in await repo.history("p-1")] == ["draft", "submit", "sign"]
        assert [p.plan_id for p in await repo.of_year(2026)] == ["p-1"]
        assert await repo.find(department="市场规范管理科", year=2027) == []
        assert await SqlPlanRepository(session, "weihai").versions("p-1") == []
        loaded.row_version = 0  # read before the last save
        with pytest.raises(StalePlan):
            await repo.save(loaded)


async def test_the_item_list_read_model_keeps_versions_once(db: Database) -> None:
    items = [{"code": c, "name": n} for c, n in LIST]
    async with db.sessions() as session:
        lists = SqlItemListRepository(session, "lingang")
        assert await lists.current(date(2026, 3, 2)) is None
        await lists.add_version(1, "l", date(2026, 1, 1), "首版", items)
        await lists.add_version(1, "l", date(2026, 1, 1), "首版", items[:1])  # redelivery
        await lists.add_version(2, "l", date(2026, 7, 1), "下半年", items[:2])
        await session.commit()
        version, listed = await lists.current(date(2026, 3, 2)) or (0, [])
        assert version == 1 and listed == LIST
        later = await lists.current(date(2026, 7, 1))
        assert later is not None and later[0] == 2 and len(later[1]) == 2
        assert await SqlItemListRepository(session, "weihai").current(date(2026, 7, 1)) is None
