"""The fake repositories the unit tests use behave as the SQL ones (on SQLite, the embedded
database; the integration suite runs the SQL ones on PostgreSQL): same answers to the same
calls, so a use case tested on the fakes holds on the real thing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from planning.adapters.unit_of_work import SqlPlanningUnitOfWork
from planning.domain.model import DuplicateTaskNo, StaleTask, Task, TaskSource, TaskStatus
from planning.domain.plans import AnnualPlan, StalePlan
from planning.entrypoints.service import definition
from spotcheck_common import migrations
from spotcheck_common.db import Database
from spotcheck_common.roles import Role
from spotcheck_common.uow import Context

from .factories import LIST, NOW, draft, plan_spec
from .fakes import FakePlanningUnitOfWork


@pytest.fixture(params=["fake", "sql"])
async def uow(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A unit of work carrying the fake repositories, or the SQL ones on a fresh database."""
    if request.param == "fake":
        yield FakePlanningUnitOfWork()
        return
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/planning.db", "planning")
    await migrations.upgrade(db, definition.migrations)
    async with SqlPlanningUnitOfWork(db, "lingang", Context(actor="tester")) as sql:
        yield sql
    await db.dispose()


def task(n: int, **changes: Any) -> Task:
    return dataclasses.replace(
        draft(),
        task_id=f"t-{n}",
        task_no=f"LG-{n:03}",
        created_at=NOW + timedelta(hours=n),
        **changes,
    )


def plan(plan_id: str = "p-1", **overrides: Any) -> AnnualPlan:
    return AnnualPlan.draft(
        plan_spec(**overrides),
        plan_id=plan_id,
        district="lingang",
        by="keyuan",
        at=NOW,
        listed=dict(LIST),
    )


async def test_a_task_comes_back_as_it_was_added(uow: Any) -> None:
    added = task(1)
    await uow.tasks.add(added)
    assert await uow.tasks.get("t-1") == added
    assert await uow.tasks.get_by_no("LG-001") == added
    assert await uow.tasks.get("t-2") is None and await uow.tasks.get_by_no("LG-002") is None


async def test_a_second_task_with_the_same_number_is_refused(uow: Any) -> None:
    await uow.tasks.add(task(1))
    with pytest.raises(DuplicateTaskNo):
        await uow.tasks.add(dataclasses.replace(task(1), task_id="t-9"))


async def test_a_save_bumps_the_version_and_a_stale_one_is_refused(uow: Any) -> None:
    await uow.tasks.add(task(1))
    loaded = await uow.tasks.get("t-1")
    loaded.approve("fuju", NOW)
    await uow.tasks.save(loaded)
    assert loaded.version == 1
    again = await uow.tasks.get("t-1")
    assert again.status is TaskStatus.APPROVED and again.version == 1
    again.version = 0  # read before the last save
    with pytest.raises(StaleTask):
        await uow.tasks.save(again)


async def test_search_filters_orders_newest_first_and_pages(uow: Any) -> None:
    for n in (1, 2, 3):
        await uow.tasks.add(task(n))
    await uow.tasks.add(task(4, source=TaskSource.CITY, lead_department="食品经营监管科"))
    page = await uow.tasks.search(limit=2, offset=1)
    assert page.total == 4 and [t.task_id for t in page.items] == ["t-3", "t-2"]
    city = await uow.tasks.search(source="city")
    assert [t.task_id for t in city.items] == ["t-4"]
    food = await uow.tasks.search(lead_department="食品经营监管科")
    assert food.total == 1 and food.items[0].task_id == "t-4"
    assert (await uow.tasks.search(status=TaskStatus.APPROVED)).total == 0


async def test_the_tasks_approved_in_a_year_are_the_yearly_caps_base(uow: Any) -> None:
    await uow.tasks.add(task(2))
    await uow.tasks.add(task(1))
    await uow.tasks.add(task(3, deadline=date(2027, 3, 1)))
    for task_id in ("t-1", "t-2", "t-3"):
        loaded = await uow.tasks.get(task_id)
        loaded.status = TaskStatus.APPROVED
        await uow.tasks.save(loaded)
    await uow.tasks.add(task(4))  # a draft does not count
    assert [t.task_id for t in await uow.tasks.approved_in_year(2026)] == ["t-1", "t-2"]
    assert [t.task_id for t in await uow.tasks.approved_in_year(2027)] == ["t-3"]


async def test_a_plan_keeps_its_versions_and_history(uow: Any) -> None:
    first = plan()
    await uow.plans.add(first)
    first.take("submit", "keyuan", {Role.SUPERVISING_DEPT}, NOW)
    await uow.plans.save(first)
    assert first.row_version == 1
    (loaded,) = await uow.plans.versions("p-1")
    assert loaded.status == first.status and loaded.items == first.items
    assert [t.action for t in await uow.plans.history("p-1")] == ["draft", "submit"]
    loaded.row_version = 0  # read before the last save
    with pytest.raises(StalePlan):
        await uow.plans.save(loaded)


async def test_plans_are_found_by_number_department_and_year_in_order(uow: Any) -> None:
    await uow.plans.add(plan("p-2", department="食品经营监管科", plan_no="LG-JH-2026-02"))
    await uow.plans.add(plan("p-1"))
    next_year = [plan_item_of(2027)]
    await uow.plans.add(plan("p-3", year=2027, plan_no="LG-JH-2027-01", items=next_year))
    # By year, then department (市场规范管理科 before 食品经营监管科), number, version.
    assert [p.plan_id for p in await uow.plans.of_year(2026)] == ["p-1", "p-2"]
    assert [p.plan_id for p in await uow.plans.find()] == ["p-1", "p-2", "p-3"]
    assert [p.plan_id for p in await uow.plans.find(plan_no="LG-JH-2026-01")] == ["p-1"]
    found = await uow.plans.find(department="食品经营监管科", year=2026)
    assert [p.plan_id for p in found] == ["p-2"]
    assert await uow.plans.find(year=2025) == []
    assert await uow.plans.versions("nope") == [] and await uow.plans.history("nope") == []


def plan_item_of(year: int) -> dict[str, Any]:
    from .factories import plan_item

    return plan_item("GS-01", period_from=f"{year}-04-01", period_to=f"{year}-10-31")


async def test_the_item_list_keeps_each_version_once_and_answers_the_one_in_force(
    uow: Any,
) -> None:
    items = [{"code": c, "name": n} for c, n in LIST]
    lists = uow.item_lists
    assert await lists.current(date(2026, 3, 2)) is None
    await lists.add_version(1, "l", date(2026, 1, 1), "首版", items)
    await lists.add_version(1, "l", date(2026, 1, 1), "首版", items[:1])  # redelivery
    await lists.add_version(2, "l", date(2026, 7, 1), "下半年", items[:2])
    assert await lists.current(date(2026, 3, 2)) == (1, LIST)
    assert await lists.current(date(2026, 7, 1)) == (2, LIST[:2])
