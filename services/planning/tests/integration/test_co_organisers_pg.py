"""Joint checks with other agencies (第三条) on real PostgreSQL: the co-organisers a department
drafts reach TaskApproved through the outbox and the bus, an agency named after a neighbour is
refused with nothing written, and the database keeps an approved task's co-organisers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from planning.adapters import orm
from spotcheck_common.bus import InProcessBus
from spotcheck_common.clock import FixedClock
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers
from spotcheck_common.uow import OUTBOX

pytestmark = pytest.mark.integration

CLOCK = FixedClock(TEST_NOW)
TAX = {
    "agency": "tax",
    "name": "临港区税务局",
    "check_items": [{"code": "SW-01", "name": "发票使用情况检查"}],
}


class Harness:
    def __init__(self, client: httpx.AsyncClient, rt: ServiceRuntime, delivered: list[Any]):
        self.client = client
        self.rt = rt
        self.delivered = delivered

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.rt.district, **claims)

    async def rows(self, table: sa.Table) -> list[Any]:
        async with self.rt.db.sessions() as session:
            return list((await session.execute(sa.select(table))).all())


@pytest.fixture
async def planning(pg_url: str, unique_district: str) -> AsyncIterator[Harness]:
    bus = InProcessBus()
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
        neighbours="huancui",
        relay_interval_s=0.05,
        auth_secret=TEST_SECRET,
    )
    (rt,) = build_runtimes([load("planning")], settings, bus=bus, clock=CLOCK)
    delivered: list[Envelope[Any]] = []

    async def probe(envelope: Envelope[Any], _headers: dict[str, str]) -> None:
        delivered.append(envelope)

    bus.subscribe(TaskApproved.topic(unique_district), "probe", TaskApproved, probe)
    app = build_app([rt], title="planning-test")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        yield Harness(client, rt, delivered)


def body(**overrides: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "task_no": "LG-2026-031",
        "title": "2026年成品油经营企业联合抽查",
        "lead_department": "信用监管科",
        "check_items": [{"code": "GS-01", "name": "企业公示信息检查"}],
        "ratio_bp": {"C": 500},
        "inspector_departments": ["信用监管科"],
        "team_size": 2,
        "methods": ["现场检查"],
        "deadline": (CLOCK.today() + timedelta(days=60)).isoformat(),
        "co_organisers": [TAX],
    }
    task.update(overrides)
    return task


async def test_co_organisers_reach_task_approved_and_stay_as_approved(planning: Harness) -> None:
    credit = planning.as_("xinyong-li", "credit_dept", department="信用监管科")
    refused = await planning.client.post(
        "/api/planning/tasks",
        json=body(co_organisers=[{**TAX, "agency": "huancui"}]),
        headers=credit,
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["co_organisers"]
    assert await planning.rows(orm.tasks) == [] and await planning.rows(OUTBOX) == []

    created = await planning.client.post("/api/planning/tasks", json=body(), headers=credit)
    assert created.status_code == 201, created.text
    task_id = created.json()["task_id"]
    assert created.json()["co_organisers"] == [
        {
            **TAX,
            "check_items": [{"code": "SW-01", "name": "发票使用情况检查", "agency": "tax"}],
            "inspectors_per_team": 1,
        }
    ]
    approved = await planning.client.post(
        f"/api/planning/tasks/{task_id}/approve",
        headers=planning.as_("fuju-wang", "deputy_director"),
    )
    assert approved.status_code == 200, approved.text

    rows = await planning.rows(OUTBOX)
    (row,) = [r for r in rows if r.event_type == "planning.task-approved"]
    payload = TaskApproved.model_validate(json.loads(row.envelope)["payload"])
    (co,) = payload.co_organisers
    assert (co.agency, co.name, co.inspectors_per_team) == ("tax", "临港区税务局", 1)
    assert [(i.code, i.agency) for i in co.check_items] == [("SW-01", "tax")]
    assert [(i.code, i.agency) for i in payload.check_items] == [("GS-01", "")]

    for _ in range(100):
        if planning.delivered:
            break
        await asyncio.sleep(0.05)
    (delivered,) = planning.delivered
    assert delivered.event().co_organisers == payload.co_organisers  # type: ignore[attr-defined]

    async with planning.rt.db.sessions() as session:
        with pytest.raises(sa.exc.DBAPIError, match="已批准的抽查实施方案不得修改"):
            await session.execute(sa.update(orm.tasks).values(co_organisers=[]))
