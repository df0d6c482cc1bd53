"""inspections on real PostgreSQL: a task approved in planning and a draw (from a stand-in for
draws, through its own outbox and relay) open the inspections; the team records, signs and
submits over HTTP; InspectionSubmitted leaves through the outbox; refusals write nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from inspections.adapters import orm
from spotcheck_common.bus import InProcessBus
from spotcheck_common.db import Database, processed_events_table, service_metadata
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.envelope import Envelope
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.http import build_app
from spotcheck_common.outbox import OutboxRelay
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork

pytestmark = pytest.mark.integration

PROCESSED = processed_events_table(sa.MetaData())
USCC_1 = "91371000MA3C000017"
USCC_2 = "91371000MA3C000025"
LEADER, MEMBER, OUTSIDER = "LG-001", "LG-002", "LG-050"


async def wait_for(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 15) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Flow:
    def __init__(
        self,
        client: httpx.AsyncClient,
        inspections: ServiceRuntime,
        draws_db: Database,
        draws_relay: OutboxRelay,
        submitted: list[Envelope[Any]],
    ) -> None:
        self.client = client
        self.rt = inspections
        self.draws_db = draws_db
        self.draws_relay = draws_relay
        self.submitted = submitted

    async def rows(self, table: sa.Table, db: Database | None = None) -> list[Any]:
        async with (db or self.rt.db).sessions() as session:
            return list(
                (await session.execute(sa.select(table).order_by(*table.primary_key))).all()
            )

    async def snapshot(self) -> list[list[Any]]:
        return [
            await self.rows(t) for t in (orm.inspections, orm.inspection_log, OUTBOX, PROCESSED)
        ]

    async def emit_draw(self, event: DrawCompleted) -> None:
        """What draws does: the event goes to its outbox; its relay delivers it."""
        uow = UnitOfWork(
            self.draws_db,
            self.rt.district,
            Context(actor="credit-dept"),
            on_commit=[self.draws_relay.wake],
        )
        async with uow:
            await uow.emit(event)
            await uow.commit()


@pytest.fixture
async def flow(pg_url: str, unique_district: str) -> AsyncIterator[Flow]:
    bus = InProcessBus()
    settings = Settings(database_url=pg_url, district=unique_district, relay_interval_s=0.05)
    planning, inspections = build_runtimes(
        [load("planning"), load("inspections")], settings, bus=bus
    )
    submitted: list[Envelope[Any]] = []

    async def probe(envelope: Envelope[Any], _headers: dict[str, str]) -> None:
        submitted.append(envelope)

    bus.subscribe(InspectionSubmitted.topic(unique_district), "probe", InspectionSubmitted, probe)

    # A stand-in for the draws service: its own schema, outbox and relay.
    draws_db = Database(pg_url, "draws_standin")
    async with draws_db.engine.begin() as conn:
        await conn.execute(sa.text('CREATE SCHEMA IF NOT EXISTS "draws_standin"'))
        await conn.run_sync(service_metadata().create_all)
    draws_relay = OutboxRelay(
        "draws_standin", draws_db, bus.publish, interval_s=0.05, max_backoff_s=0.5
    )
    stop = asyncio.Event()
    app = build_app([planning, inspections], title="inspections-test")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        relay_task = asyncio.create_task(draws_relay.run(stop))
        try:
            yield Flow(client, inspections, draws_db, draws_relay, submitted)
        finally:
            stop.set()
            draws_relay.wake()
            await relay_task
            await draws_db.dispose()


def team() -> list[TeamMember]:
    return [
        TeamMember(inspector_id=LEADER, name="王组长", department="临港市场监管所", role="leader"),
        TeamMember(inspector_id=MEMBER, name="李四", department="临港市场监管所", role="member"),
    ]


def draw(task_id: str) -> DrawCompleted:
    return DrawCompleted(
        draw_id="draw-0001",
        task_id=task_id,
        task_no="LG-2026-011",
        algorithm="seeded-v1",
        seed_hex="ab" * 32,
        population_size=2000,
        targets=[
            DrawnTarget(uscc=uscc, entity_name=name, risk_class="D", team=team())
            for uscc, name in [(USCC_1, "威海临港甲商贸有限公司"), (USCC_2, "临港区乙餐饮店")]
        ],
        unstaffed=[],
    )


TASK = {
    "task_no": "LG-2026-011",
    "title": "2026年食品经营者双随机抽查",
    "lead_department": "食品经营监管科",
    "check_items": [
        {"code": "SP-01", "name": "食品经营许可情况检查"},
        {"code": "SP-02", "name": "食品进货查验记录检查"},
    ],
    "ratio_bp": {"D": 1500, "E": 5000},
    "inspector_departments": ["临港市场监管所"],
    "team_size": 2,
    "methods": ["现场检查"],
    "deadline": (date.today() + timedelta(days=30)).isoformat(),
}

RESULTS = {
    "results": [
        {"check_item_code": "SP-01", "category": "未发现问题"},
        {
            "check_item_code": "SP-02",
            "category": "发现问题待后续处理",
            "pending_reason": "未按规定公示应当公示的信息",
            "remark": "进货查验记录不全",
        },
    ]
}


def actor(who: str) -> dict[str, str]:
    return {"X-Spotcheck-Actor": who}


async def test_draw_waits_for_its_task_then_the_team_records_signs_and_submits(
    flow: Flow,
) -> None:
    client = flow.client
    created = await client.post("/api/planning/tasks", json=TASK, headers=actor("shipin-keyuan"))
    assert created.status_code == 201, created.text
    task_id = created.json()["task_id"]

    # The draw arrives before inspections knows the task: refused, kept, retried.
    await flow.emit_draw(draw(task_id))

    async def draw_failed_once() -> bool:
        (row,) = await flow.rows(OUTBOX, flow.draws_db)
        return row.attempts >= 1 and row.published_at is None

    await wait_for(draw_failed_once, "the early draw to be refused")
    (row,) = await flow.rows(OUTBOX, flow.draws_db)
    assert "TaskNotKnownYet" in row.last_error
    assert await flow.rows(orm.inspections) == []
    assert await flow.rows(PROCESSED) == []

    approved = await client.post(
        f"/api/planning/tasks/{task_id}/approve", headers=actor("fuju-wang")
    )
    assert approved.status_code == 200

    async def opened() -> bool:
        return len(await flow.rows(orm.inspections)) == 2

    await wait_for(opened, "the redelivered draw to open the inspections")
    (row,) = await flow.rows(OUTBOX, flow.draws_db)
    assert row.published_at is not None
    consumers = sorted(r.consumer for r in await flow.rows(PROCESSED))
    assert consumers == ["inspections.on_draw_completed", "inspections.on_task_approved"]

    # -- reads ------------------------------------------------------------------------------
    listed = (await client.get("/api/inspections/inspections", params={"task_id": task_id})).json()
    assert listed["total"] == 2
    assert {i["uscc"] for i in listed["items"]} == {USCC_1, USCC_2}
    by_uscc = (await client.get("/api/inspections/inspections", params={"uscc": USCC_1})).json()
    (one,) = by_uscc["items"]
    assert one["status"] == "pending" and one["inspecting_authority"] == "食品经营监管科"
    assert [c["code"] for c in one["check_items"]] == ["SP-01", "SP-02"]
    assert one["unsigned"] == [LEADER, MEMBER]
    url = f"/api/inspections/inspections/{one['inspection_id']}"

    # -- refusals before anything is recorded: nothing written ------------------------------
    before = await flow.snapshot()
    refusals = [
        ("put", "/results", MEMBER, RESULTS, 403, "只有检查组长"),
        ("put", "/results", OUTSIDER, RESULTS, 403, "不是该检查对象的检查组成员"),
        ("put", "/results", "anonymous", RESULTS, 403, "X-Spotcheck-Actor"),
        ("put", "/results", LEADER, {"results": RESULTS["results"][:1]}, 422, "缺少检查事项"),
        (
            "put",
            "/results",
            LEADER,
            {
                "results": [
                    {"check_item_code": "SP-01", "category": "发现问题待后续处理"},
                    {"check_item_code": "SP-02", "category": "未发现问题"},
                ]
            },
            422,
            "results[0].pending_reason",
        ),
        (
            "put",
            "/results",
            LEADER,
            {"results": [{"check_item_code": "SP-01", "category": "还行"}]},
            422,
            "results[0].category",
        ),
        ("post", "/sign", LEADER, None, 409, "尚未录入"),
        ("post", "/submit", LEADER, None, 409, "尚未录入"),
    ]
    for method, path, who, payload, status, words in refusals:
        answer = await client.request(method, url + path, json=payload, headers=actor(who))
        assert answer.status_code == status, (path, who, answer.text)
        assert words in answer.text, answer.text
    missing = await client.post("/api/inspections/inspections/nope/sign", headers=actor(LEADER))
    assert missing.status_code == 404
    assert await flow.snapshot() == before

    # -- record, sign, change (signatures cleared), sign again, submit ----------------------
    recorded = await client.put(url + "/results", json=RESULTS, headers=actor(LEADER))
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "recorded"
    assert recorded.json()["results"][1]["check_item_name"] == "食品进货查验记录检查"
    for who in (LEADER, MEMBER):
        assert (await client.post(url + "/sign", headers=actor(who))).status_code == 200
    assert (await client.get(url)).json()["status"] == "signed"

    changed = dict(RESULTS)
    changed["results"] = [
        RESULTS["results"][0],
        {"check_item_code": "SP-02", "category": "发现问题经责令已改正"},
    ]
    again = await client.put(url + "/results", json=changed, headers=actor(LEADER))
    assert again.json()["signatures"] == {} and again.json()["status"] == "recorded"

    await client.post(url + "/sign", headers=actor(LEADER))
    early = await client.post(url + "/submit", headers=actor(LEADER))
    assert early.status_code == 409 and MEMBER in early.json()["unsigned"]
    await client.post(url + "/sign", headers=actor(MEMBER))
    not_leader = await client.post(url + "/submit", headers=actor(MEMBER))
    assert not_leader.status_code == 403

    submitted = await client.post(url + "/submit", json={}, headers=actor(LEADER))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"

    # -- the event, through the outbox to the bus -------------------------------------------
    (event_row,) = await flow.rows(OUTBOX)
    assert event_row.event_type == "inspections.inspection-submitted"
    assert event_row.topic == f"{flow.rt.district}.inspections.inspection-submitted.v1"
    envelope = json.loads(event_row.envelope)
    assert envelope["actor"] == LEADER
    event = InspectionSubmitted.model_validate(envelope["payload"])
    assert event.inspection_id == one["inspection_id"] and event.task_id == task_id
    assert event.task_no == "LG-2026-011" and event.task_title == "2026年食品经营者双随机抽查"
    assert event.draw_id == "draw-0001" and event.uscc == USCC_1
    assert event.entity_name == "威海临港甲商贸有限公司"
    assert event.inspecting_authority == "食品经营监管科"
    assert [m.inspector_id for m in event.team] == [LEADER, MEMBER]
    assert [(r.check_item_code, r.category) for r in event.results] == [
        ("SP-01", "未发现问题"),
        ("SP-02", "发现问题经责令已改正"),
    ]
    assert event.completed_on.isoformat() == submitted.json()["completed_on"]
    assert event.submitted_by == LEADER
    assert event.check_type == "不定向抽查"  # the task named no types, industries or areas

    async def delivered() -> bool:
        return len(flow.submitted) == 1

    await wait_for(delivered, "InspectionSubmitted on the bus")
    assert flow.submitted[0].event_id == envelope["event_id"]

    # -- a submitted inspection cannot change ------------------------------------------------
    before = await flow.snapshot()
    for method, path, who, payload in [
        ("put", "/results", LEADER, RESULTS),
        ("post", "/sign", MEMBER, None),
        ("post", "/submit", LEADER, None),
    ]:
        answer = await client.request(method, url + path, json=payload, headers=actor(who))
        assert answer.status_code == 409, answer.text
        assert "已提交" in answer.json()["detail"]
    assert await flow.snapshot() == before

    detail = (await client.get(url)).json()
    assert [h["action"] for h in detail["history"]] == [
        "opened",
        "results_recorded",
        "signed",
        "signed",
        "results_recorded",
        "signed",
        "signed",
        "submitted",
    ]
    assert detail["history"][4]["detail"]["signatures_cleared"] == [LEADER, MEMBER]
    submitted_list = (
        await client.get("/api/inspections/inspections", params={"status": "submitted"})
    ).json()
    assert [i["uscc"] for i in submitted_list["items"]] == [USCC_1]


async def test_a_draw_delivered_twice_opens_each_inspection_once(flow: Flow) -> None:
    created = await flow.client.post(
        "/api/planning/tasks", json=TASK, headers=actor("shipin-keyuan")
    )
    task_id = created.json()["task_id"]
    await flow.client.post(f"/api/planning/tasks/{task_id}/approve", headers=actor("fuju-wang"))

    async def task_known() -> bool:
        return len(await flow.rows(orm.tasks)) == 1

    await wait_for(task_known, "TaskApproved to reach inspections")
    await flow.emit_draw(draw(task_id))

    async def opened() -> bool:
        return len(await flow.rows(orm.inspections)) == 2

    await wait_for(opened, "the inspections")
    # The broker hands the same envelope over again (e.g. after a consumer crash).
    (row,) = await flow.rows(OUTBOX, flow.draws_db)
    await flow.draws_relay.publish(row.topic, row.aggregate_id, row.envelope.encode(), {})
    assert len(await flow.rows(orm.inspections)) == 2
    assert len(await flow.rows(orm.inspection_log)) == 2
