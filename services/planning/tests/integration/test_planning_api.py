"""planning over HTTP on real PostgreSQL: what is stored, what reaches the outbox and the bus,
and that every refusal leaves nothing behind."""

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


class Harness:
    def __init__(self, client: httpx.AsyncClient, rt: ServiceRuntime, delivered: list[Any]):
        self.client = client
        self.rt = rt
        self.delivered = delivered

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.rt.district, **claims)

    @property
    def keyuan(self) -> dict[str, str]:
        """The food department, which leads the tasks of these tests."""
        return self.as_("shipin-keyuan", "supervising_dept", department="食品经营监管科")

    @property
    def fuju(self) -> dict[str, str]:
        return self.as_("fuju-wang", "deputy_director")

    @property
    def staff(self) -> dict[str, str]:
        return self.as_("suo-zhang", "station")

    async def rows(self, table: sa.Table) -> list[Any]:
        async with self.rt.db.sessions() as session:
            return list(
                (await session.execute(sa.select(table).order_by(*table.primary_key))).all()
            )

    async def writes(self) -> tuple[list[Any], list[Any]]:
        """Tasks and outbox events, leaving out what the relay changes (published_at)."""
        outbox = [(r.id, r.event_id, r.event_type) for r in await self.rows(OUTBOX)]
        return await self.rows(orm.tasks), outbox


@pytest.fixture
async def planning(pg_url: str, unique_district: str) -> AsyncIterator[Harness]:
    bus = InProcessBus()
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
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
        "task_no": "LG-2026-007",
        "title": "2026年食品经营者双随机抽查",
        "lead_department": "食品经营监管科",
        "co_lead_departments": [],
        "assisting_departments": ["临港市场监管所"],
        "check_items": [
            {"code": "SP-01", "name": "食品经营许可情况检查"},
            {"code": "SP-02", "name": "食品进货查验记录检查"},
        ],
        "target_filter": {"industries": ["食品经营"], "risk_classes": ["C", "D", "E"]},
        "ratio_bp": {"C": 500, "D": 1500, "E": 5000},
        "inspector_departments": ["食品经营监管科", "临港市场监管所"],
        "team_size": 2,
        "methods": ["现场检查"],
        "deadline": (CLOCK.today() + timedelta(days=60)).isoformat(),
        "source": "city",
    }
    task.update(overrides)
    return task


async def test_create_and_approve_go_through_the_outbox_to_the_bus(planning: Harness) -> None:
    created = await planning.client.post(
        "/api/planning/tasks", json=body(), headers=planning.keyuan
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["status"] == "draft" and task["created_by"] == "shipin-keyuan"
    assert task["ratio_bp"] == {"A": 0, "B": 0, "C": 500, "D": 1500, "E": 5000}

    (row,) = await planning.rows(orm.tasks)
    assert (row.task_no, row.status, row.source) == ("LG-2026-007", "draft", "city")
    (drafted,) = await planning.rows(OUTBOX)
    assert drafted.event_type == "planning.task-drafted"
    assert drafted.aggregate_id == task["task_id"]

    approved = await planning.client.post(
        f"/api/planning/tasks/{task['task_id']}/approve", headers=planning.fuju
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "fuju-wang"
    assert approved.json()["approved_at"]

    outbox = await planning.rows(OUTBOX)
    assert [r.event_type for r in outbox] == ["planning.task-drafted", "planning.task-approved"]
    event_row = outbox[1]
    district = planning.rt.district
    assert event_row.topic == f"{district}.planning.task-approved.v1"
    envelope = json.loads(event_row.envelope)
    assert envelope["actor"] == "fuju-wang" and envelope["district"] == district
    payload = TaskApproved.model_validate(envelope["payload"])
    assert payload.task_id == task["task_id"]
    assert payload.lead_department == "食品经营监管科"
    assert [i.code for i in payload.check_items] == ["SP-01", "SP-02"]
    assert payload.ratio_bp["E"] == 5000 and payload.ratio_bp["A"] == 0
    assert payload.inspector_departments == ["食品经营监管科", "临港市场监管所"]
    assert payload.team_size == 2 and payload.source == "city"
    assert payload.check_type == "定向抽查" and payload.approved_by == "fuju-wang"

    # The relay hands it to the bus; the probe stands in for draws and inspections.
    for _ in range(100):
        if planning.delivered:
            break
        await asyncio.sleep(0.05)
    (delivered,) = planning.delivered
    assert delivered.event_id == envelope["event_id"]
    assert delivered.event().task_id == task["task_id"]  # type: ignore[attr-defined]

    # Approving again: 409, and no second event.
    again = await planning.client.post(
        f"/api/planning/tasks/{task['task_id']}/approve", headers=planning.fuju
    )
    assert again.status_code == 409
    assert "已批准" in again.json()["detail"]
    assert len(await planning.rows(OUTBOX)) == 2


async def test_refusals_write_nothing(planning: Harness) -> None:
    ok = await planning.client.post("/api/planning/tasks", json=body(), headers=planning.keyuan)
    assert ok.status_code == 201
    before = await planning.writes()

    cases: list[tuple[dict[str, Any], str]] = [
        (body(task_no="LG-2026-008", team_size=1), "team_size"),
        (body(task_no="LG-2026-008", ratio_bp={"E": 12.5}), "ratio_bp.E"),
        (body(task_no="LG-2026-008", deadline="2020-01-01"), "deadline"),
        (body(task_no="LG-2026-008", ratio_bp={"A": 100}), "ratio_bp"),
        (body(task_no="LG-2026-008", check_items=[]), "check_items"),
        (body(task_no="LG-2026-008", source="county"), "source"),
    ]
    for payload, field in cases:
        answer = await planning.client.post(
            "/api/planning/tasks", json=payload, headers=planning.keyuan
        )
        assert answer.status_code == 422, (field, answer.text)
        detail = answer.json()
        assert "内容不符合要求" in detail["detail"], detail
        assert field in [e["field"] for e in detail["errors"]], detail

    duplicate = await planning.client.post(
        "/api/planning/tasks", json=body(), headers=planning.keyuan
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "任务编号 LG-2026-007 已存在"

    task_id = ok.json()["task_id"]
    anonymous = await planning.client.post(f"/api/planning/tasks/{task_id}/approve")
    assert anonymous.status_code == 401
    missing = await planning.client.post("/api/planning/tasks/nope/approve", headers=planning.fuju)
    assert missing.status_code == 404

    assert await planning.writes() == before


async def test_list_and_get(planning: Harness) -> None:
    first = (
        await planning.client.post("/api/planning/tasks", json=body(), headers=planning.keyuan)
    ).json()
    second = (
        await planning.client.post(
            "/api/planning/tasks",
            json=body(task_no="LG-2026-009", source="local"),
            headers=planning.keyuan,
        )
    ).json()
    await planning.client.post(
        f"/api/planning/tasks/{first['task_id']}/approve", headers=planning.fuju
    )

    listed = (await planning.client.get("/api/planning/tasks", headers=planning.staff)).json()
    assert listed["total"] == 2
    drafts = (
        await planning.client.get(
            "/api/planning/tasks", params={"status": "draft"}, headers=planning.staff
        )
    ).json()
    assert [t["task_id"] for t in drafts["items"]] == [second["task_id"]]
    city = (
        await planning.client.get(
            "/api/planning/tasks", params={"source": "city"}, headers=planning.staff
        )
    ).json()
    assert [t["task_no"] for t in city["items"]] == ["LG-2026-007"]

    one = await planning.client.get(
        f"/api/planning/tasks/{first['task_id']}", headers=planning.staff
    )
    assert one.status_code == 200
    assert one.json()["status"] == "approved" and one.json()["status_label"] == "已批准"
    gone = await planning.client.get("/api/planning/tasks/nope", headers=planning.staff)
    assert gone.status_code == 404 and "不存在" in gone.json()["detail"]


async def test_who_may_draft_approve_and_read(planning: Harness) -> None:
    before = await planning.writes()
    # No token: 401 everywhere, reads included.
    for method, url in [
        ("post", "/api/planning/tasks"),
        ("get", "/api/planning/tasks"),
        ("get", "/api/planning/tasks/nope"),
        ("post", "/api/planning/tasks/nope/approve"),
    ]:
        answer = await planning.client.request(method, url, json=body())
        assert answer.status_code == 401, (url, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"

    # The wrong role: 403 naming the roles that would do.
    station = planning.as_("suo-zhang", "station")
    refused = await planning.client.post("/api/planning/tasks", json=body(), headers=station)
    assert refused.status_code == 403
    assert "监管科室(supervising_dept)" in refused.json()["detail"]
    assert "信用监管科(credit_dept)" in refused.json()["detail"]
    # A supervising department drafts only the tasks it leads.
    other = planning.as_("chanpin", "supervising_dept", department="产品质量安全监督管理科")
    not_theirs = await planning.client.post("/api/planning/tasks", json=body(), headers=other)
    assert not_theirs.status_code == 403
    assert "只能制定本科室牵头的抽查任务" in not_theirs.json()["detail"]
    no_department = planning.as_("keyuan", "supervising_dept")
    unknown = await planning.client.post("/api/planning/tasks", json=body(), headers=no_department)
    assert unknown.status_code == 403
    entity = planning.as_("qiye", "entity", uscc="91371000MA3C000017")
    assert (await planning.client.get("/api/planning/tasks", headers=entity)).status_code == 403
    assert await planning.writes() == before

    # The credit department may draft for any department (joint tasks it coordinates).
    credit = planning.as_("xinyong", "credit_dept")
    created = await planning.client.post("/api/planning/tasks", json=body(), headers=credit)
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["created_by"] == "xinyong"

    # Only the deputy director approves: not the department, not the credit department.
    before = await planning.writes()
    url = f"/api/planning/tasks/{task['task_id']}/approve"
    for who in (planning.keyuan, credit, planning.as_("juzhang", "director_meeting")):
        answer = await planning.client.post(url, headers=who)
        assert answer.status_code == 403, answer.text
        assert "分管局长(deputy_director)" in answer.json()["detail"]
    assert await planning.writes() == before
    approved = await planning.client.post(url, headers=planning.fuju)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "fuju-wang"

    # A token of another district is refused even with the right role.
    elsewhere = auth_headers("fuju-x", "deputy_director", district="huancui")
    assert (await planning.client.get("/api/planning/tasks", headers=elsewhere)).status_code == 403
