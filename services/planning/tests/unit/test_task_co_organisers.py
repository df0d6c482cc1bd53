"""Joint checks with other agencies (第三条): a task names its co-organisers, each with its own
items and inspectors per team; validated, frozen on approval, carried by every task event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from planning.adapters import orm
from planning.adapters.repository import SqlTaskRepository
from planning.domain.model import Task, TaskInvalid
from planning.entrypoints.service import definition
from spotcheck_common.db import Database
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.migrations import upgrade

from .factories import NOW, draft, spec

DISTRICTS = Path(__file__).parents[4] / "infra" / "regional" / "districts.txt"


def tax(**overrides: Any) -> dict[str, Any]:
    agency: dict[str, Any] = {
        "agency": "tax",
        "name": "临港区税务局",
        "check_items": [{"code": "SW-01", "name": "发票使用情况检查"}],
        "inspectors_per_team": 1,
    }
    agency.update(overrides)
    return agency


def eco(**overrides: Any) -> dict[str, Any]:
    agency: dict[str, Any] = {
        "agency": "eco",
        "name": "威海市生态环境局临港分局",
        "check_items": [
            {"code": "HB-01", "name": "排污许可执行情况检查"},
            {"code": "HB-02", "name": "危险废物管理检查"},
        ],
        "inspectors_per_team": 2,
    }
    agency.update(overrides)
    return agency


def reasons(**overrides: Any) -> list[str]:
    with pytest.raises(TaskInvalid) as caught:
        draft(**overrides)
    return [f"{e.field}：{e.reason}" for e in caught.value.errors]


def test_none_by_default_and_older_payloads_stay_valid() -> None:
    task = draft()
    task.approve("fuju-zhang", NOW)
    event = task.approved_event()
    assert event.co_organisers == []
    old = event.model_dump(mode="json")
    del old["co_organisers"]
    for item in old["check_items"]:
        del item["agency"]
    loaded = TaskApproved.model_validate(old)
    assert loaded.co_organisers == [] and {i.agency for i in loaded.check_items} == {""}


def test_co_organisers_travel_with_the_draft_the_approval_and_the_publication() -> None:
    task = draft(co_organisers=[tax(name=" 临港区税务局 "), eco()])
    drafted = task.drafted_event().co_organisers
    assert [(c.agency, c.name, c.inspectors_per_team) for c in drafted] == [
        ("tax", "临港区税务局", 1),
        ("eco", "威海市生态环境局临港分局", 2),
    ]
    # Each agency's items say whose they are; the task's own stay the bureau's.
    assert [(i.code, i.agency) for c in drafted for i in c.check_items] == [
        ("SW-01", "tax"),
        ("HB-01", "eco"),
        ("HB-02", "eco"),
    ]
    assert {i.agency for i in task.check_items} == {""}
    task.approve("fuju-zhang", NOW)
    approved = task.approved_event()
    assert approved.co_organisers == drafted
    assert TaskApproved.model_validate(approved.model_dump(mode="json")) == approved
    task.publish(NOW)
    assert [c.agency for c in task.published_event().co_organisers] == ["tax", "eco"]


def test_an_agency_named_twice_is_refused() -> None:
    assert "co_organisers：联合检查单位「tax」重复" in reasons(
        co_organisers=[tax(), tax(check_items=[{"code": "SW-02", "name": "纳税申报检查"}])]
    )


def test_an_agency_item_may_not_take_the_code_of_the_tasks_or_another_agencys() -> None:
    found = reasons(
        co_organisers=[
            tax(check_items=[{"code": "SD-01", "name": "同号事项"}]),
            eco(check_items=[{"code": "SW-01", "name": "x"}, {"code": "HB-01", "name": "y"}]),
            tax(agency="fire", name="消防救援大队", check_items=[{"code": "HB-01", "name": "z"}]),
        ]
    )
    assert found == [
        "co_organisers[0].check_items[0]：检查事项「SD-01」已是本局的事项",
        "co_organisers[2].check_items[0]：检查事项「HB-01」已是「威海市生态环境局临港分局」的事项",
    ]


def test_items_are_marked_by_their_own_agency_only() -> None:
    assert reasons(
        check_items=[{"code": "SD-01", "name": "企业公示信息检查", "agency": "tax"}]
    ) == ["check_items[0]：本局的检查事项不属于联合检查单位（agency 应为空）"]
    assert reasons(
        co_organisers=[tax(check_items=[{"code": "SW-01", "name": "x", "agency": "eco"}])]
    ) == ["co_organisers[0].check_items[0]：事项属于 eco，不属于 tax"]


def test_the_codes_shape_and_the_team_size_are_bounded() -> None:
    for code in ("Tax", "t", "1tax", "tax:1", "税务", "t" * 32):
        with pytest.raises(ValidationError):
            spec(co_organisers=[tax(agency=code)])
    with pytest.raises(ValidationError):
        spec(co_organisers=[tax(check_items=[])])
    with pytest.raises(ValidationError):
        spec(co_organisers=[tax(inspectors_per_team=0)])
    assert reasons(
        team_size=15, co_organisers=[tax(inspectors_per_team=3), eco(inspectors_per_team=3)]
    ) == ["co_organisers：每组人数（本局 15 人、联合检查单位 6 人）超过 20 人"]


def test_no_agency_is_named_after_a_district_of_the_region() -> None:
    """Inspectors are ``<agency>:<id>`` and a neighbour's ``<district>:<id>`` in the same draw:
    every district of infra/regional/districts.txt, as the bureau or as its neighbour, is
    refused as an agency code."""
    districts = [
        line.split()[0]
        for line in DISTRICTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(districts) >= 2
    for district in districts:
        others = frozenset(districts) - {district}
        for name in districts:
            with pytest.raises(TaskInvalid) as caught:
                Task.draft(
                    spec(co_organisers=[tax(agency=name)]),
                    task_id="t-1",
                    district=district,
                    by="keyuan",
                    at=NOW,
                    neighbours=others,
                )
            assert (
                caught.value.errors[0].reason == f"单位代码「{name}」是本区或相邻区的名称，不能使用"
            )


async def test_co_organisers_round_trip_and_are_frozen_once_approved(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'planning.db'}", "planning")
    await upgrade(db, definition.migrations)
    task = draft(co_organisers=[eco()])
    try:
        async with db.sessions() as session:
            await SqlTaskRepository(session, "lingang").add(task)
            await session.commit()
        async with db.sessions() as session:
            loaded = await SqlTaskRepository(session, "lingang").get(task.task_id)
            assert loaded is not None and loaded.co_organisers == task.co_organisers
            loaded.approve("fuju-zhang", NOW)
            await SqlTaskRepository(session, "lingang").save(loaded)
            await session.commit()
        async with db.sessions() as session:
            with pytest.raises(sa.exc.IntegrityError, match="已批准的抽查实施方案不得修改"):
                await session.execute(sa.update(orm.tasks).values(co_organisers=[]))
    finally:
        await db.dispose()
