"""inspections on real PostgreSQL: a task approved in planning and a draw (from a stand-in for
draws, through its own outbox and relay) open the inspections; the team records, signs and
submits over HTTP; InspectionSubmitted leaves through the outbox; refusals write nothing."""

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
from spotcheck_common.testing import TEST_SECRET, auth_headers
from spotcheck_common.uow import OUTBOX, Context, UnitOfWork
from spotcheck_common.waiting import WAITING

from .conftest import CLOCK, wait_for

pytestmark = pytest.mark.integration

PROCESSED = processed_events_table(sa.MetaData())
USCC_1 = "91371000MA3C000017"
USCC_2 = "91371000MA3C000025"
LEADER, MEMBER, OUTSIDER, EXPERT = "LG-001", "LG-002", "LG-050", "EX-007"


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

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.rt.district, **claims)

    def inspector(self, inspector_id: str) -> dict[str, str]:
        """An inspector's token; the login differs from the inspector id on purpose."""
        if not inspector_id:
            return self.as_("no-id", "inspector")
        return self.as_(f"user-{inspector_id}", "inspector", inspector_id=inspector_id)

    @property
    def keyuan(self) -> dict[str, str]:
        return self.as_("shipin-keyuan", "supervising_dept", department="食品经营监管科")

    @property
    def fuju(self) -> dict[str, str]:
        return self.as_("fuju-wang", "deputy_director")

    @property
    def staff(self) -> dict[str, str]:
        # The departments read every record (a station reads only what it works on).
        return self.as_("xinyong-zhang", "credit_dept")

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
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
        relay_interval_s=0.05,
        auth_secret=TEST_SECRET,
    )
    planning, inspections = build_runtimes(
        [load("planning"), load("inspections")], settings, bus=bus, clock=CLOCK
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


def draw(task_id: str, members: list[TeamMember] | None = None) -> DrawCompleted:
    return DrawCompleted(
        draw_id="draw-0001",
        task_id=task_id,
        task_no="LG-2026-011",
        algorithm="seeded-v1",
        seed_hex="ab" * 32,
        population_size=2000,
        targets=[
            DrawnTarget(uscc=uscc, entity_name=name, risk_class="D", team=members or team())
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
    "deadline": (CLOCK.today() + timedelta(days=30)).isoformat(),
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


async def test_draw_waits_for_its_task_then_the_team_records_signs_and_submits(
    flow: Flow,
) -> None:
    client = flow.client
    created = await client.post("/api/planning/tasks", json=TASK, headers=flow.keyuan)
    assert created.status_code == 201, created.text
    task_id = created.json()["task_id"]

    # The draw arrives before inspections knows the task: delivered, it waits in the waiting
    # room (the relay's work is done), nothing opened.
    await flow.emit_draw(draw(task_id))

    async def draw_waits() -> bool:
        return len(await flow.rows(WAITING)) == 1

    await wait_for(draw_waits, "the early draw to wait")
    (waiting,) = await flow.rows(WAITING)
    assert "TaskNotKnownYet" in waiting.reason
    assert await flow.rows(orm.inspections) == []
    assert await flow.rows(PROCESSED) == []

    approved = await client.post(f"/api/planning/tasks/{task_id}/approve", headers=flow.fuju)
    assert approved.status_code == 200

    async def opened() -> bool:
        return len(await flow.rows(orm.inspections)) == 2

    await wait_for(opened, "the waiting draw to open the inspections")
    assert await flow.rows(WAITING) == []
    consumers = sorted(r.consumer for r in await flow.rows(PROCESSED))
    assert consumers == ["inspections.on_draw_completed", "inspections.on_task_approved"]

    # -- reads ------------------------------------------------------------------------------
    listed = (
        await client.get(
            "/api/inspections/inspections", params={"task_id": task_id}, headers=flow.staff
        )
    ).json()
    assert listed["total"] == 2
    assert {i["uscc"] for i in listed["items"]} == {USCC_1, USCC_2}
    by_uscc = (
        await client.get(
            "/api/inspections/inspections", params={"uscc": USCC_1}, headers=flow.staff
        )
    ).json()
    (one,) = by_uscc["items"]
    assert one["status"] == "pending" and one["inspecting_authority"] == "食品经营监管科"
    assert [c["code"] for c in one["check_items"]] == ["SP-01", "SP-02"]
    assert one["unsigned"] == [LEADER, MEMBER]
    url = f"/api/inspections/inspections/{one['inspection_id']}"

    # Field roles read what they work on (issue 12): the team its own, anyone else nothing.
    listing = "/api/inspections/inspections"
    for who, seen in ((LEADER, 2), (MEMBER, 2), (OUTSIDER, 0), ("", 0)):
        mine = await client.get(listing, params={"task_id": task_id}, headers=flow.inspector(who))
        assert mine.json()["total"] == seen, (who, mine.text)
    assert (await client.get(url, headers=flow.inspector(LEADER))).status_code == 200
    outsider = await client.get(url, headers=flow.inspector(OUTSIDER))
    assert outsider.status_code == 403 and "本人所在检查组" in outsider.json()["detail"]
    station = flow.as_("suo-zhang", "station")
    assert (await client.get(url, headers=station)).status_code == 403
    assert (await client.get(url + "/attachments", headers=station)).status_code == 403

    # -- refusals before anything is recorded: nothing written ------------------------------
    before = await flow.snapshot()
    refusals = [
        ("put", "/results", MEMBER, RESULTS, 403, "只有检查组长"),
        ("put", "/results", OUTSIDER, RESULTS, 403, "不是该检查对象的检查组成员"),
        ("put", "/results", "", RESULTS, 403, "inspector_id"),
        ("post", "/sign", "", None, 403, "inspector_id"),
        ("post", "/submit", "", None, 403, "inspector_id"),
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
        answer = await client.request(method, url + path, json=payload, headers=flow.inspector(who))
        assert answer.status_code == status, (path, who, answer.text)
        assert words in answer.text, answer.text
    missing = await client.post(
        "/api/inspections/inspections/nope/sign", headers=flow.inspector(LEADER)
    )
    assert missing.status_code == 404
    assert await flow.snapshot() == before

    # -- record, sign, change (signatures cleared), sign again, submit ----------------------
    recorded = await client.put(url + "/results", json=RESULTS, headers=flow.inspector(LEADER))
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "recorded"
    assert recorded.json()["results"][1]["check_item_name"] == "食品进货查验记录检查"
    for who in (LEADER, MEMBER):
        assert (await client.post(url + "/sign", headers=flow.inspector(who))).status_code == 200
    assert (await client.get(url, headers=flow.staff)).json()["status"] == "signed"

    changed = dict(RESULTS)
    changed["results"] = [
        RESULTS["results"][0],
        {"check_item_code": "SP-02", "category": "发现问题经责令已改正"},
    ]
    again = await client.put(url + "/results", json=changed, headers=flow.inspector(LEADER))
    assert again.json()["signatures"] == {} and again.json()["status"] == "recorded"

    await client.post(url + "/sign", headers=flow.inspector(LEADER))
    early = await client.post(url + "/submit", headers=flow.inspector(LEADER))
    assert early.status_code == 409 and MEMBER in early.json()["unsigned"]
    await client.post(url + "/sign", headers=flow.inspector(MEMBER))
    not_leader = await client.post(url + "/submit", headers=flow.inspector(MEMBER))
    assert not_leader.status_code == 403

    submitted = await client.post(url + "/submit", json={}, headers=flow.inspector(LEADER))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"

    # -- the event, through the outbox to the bus -------------------------------------------
    (event_row,) = await flow.rows(OUTBOX)
    assert event_row.event_type == "inspections.inspection-submitted"
    assert event_row.topic == f"{flow.rt.district}.inspections.inspection-submitted.v1"
    envelope = json.loads(event_row.envelope)
    assert envelope["actor"] == f"user-{LEADER}"  # the login; the record names the inspector
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
        answer = await client.request(method, url + path, json=payload, headers=flow.inspector(who))
        assert answer.status_code == 409, answer.text
        assert "已提交" in answer.json()["detail"]
    assert await flow.snapshot() == before

    detail = (await client.get(url, headers=flow.staff)).json()
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
        await client.get(
            "/api/inspections/inspections", params={"status": "submitted"}, headers=flow.staff
        )
    ).json()
    assert [i["uscc"] for i in submitted_list["items"]] == [USCC_1]


async def test_a_draw_delivered_twice_opens_each_inspection_once(flow: Flow) -> None:
    created = await flow.client.post("/api/planning/tasks", json=TASK, headers=flow.keyuan)
    task_id = created.json()["task_id"]
    await flow.client.post(f"/api/planning/tasks/{task_id}/approve", headers=flow.fuju)

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


async def _opened(flow: Flow, members: list[TeamMember]) -> str:
    """An approved task and a draw with ``members`` as the team; the first inspection's URL."""
    created = await flow.client.post("/api/planning/tasks", json=TASK, headers=flow.keyuan)
    assert created.status_code == 201, created.text
    task_id = created.json()["task_id"]
    await flow.client.post(f"/api/planning/tasks/{task_id}/approve", headers=flow.fuju)

    async def task_known() -> bool:
        return len(await flow.rows(orm.tasks)) == 1

    await wait_for(task_known, "TaskApproved to reach inspections")
    await flow.emit_draw(draw(task_id, members))

    async def opened() -> bool:
        return len(await flow.rows(orm.inspections)) == 2

    await wait_for(opened, "the inspections")
    return f"/api/inspections/inspections/{inspection_id_of(await flow.rows(orm.inspections))}"


def inspection_id_of(rows: list[Any]) -> str:
    return str(next(r.inspection_id for r in rows if r.uscc == USCC_1))


async def test_roles_no_token_and_an_expert_on_the_team(flow: Flow) -> None:
    members = [
        *team(),
        TeamMember(inspector_id=EXPERT, name="周专家", department="专家库", role="expert"),
    ]
    url = await _opened(flow, members)
    client = flow.client
    expert = flow.as_("zhou", "expert", inspector_id=EXPERT)
    before = await flow.snapshot()

    # No token: 401, reads included.
    for method, path in [
        ("get", ""),
        ("put", "/results"),
        ("post", "/sign"),
        ("post", "/submit"),
    ]:
        answer = await client.request(method, url + path, json=RESULTS if path else None)
        assert answer.status_code == 401, (path, answer.text)
    listed = await client.get("/api/inspections/inspections")
    assert listed.status_code == 401

    # The wrong role: 403 naming what is needed. An expert does not record or submit; a
    # department, however senior, neither records nor signs; an entity does not read.
    refusals = [
        ("put", "/results", expert, RESULTS, "执法检查人员(inspector)"),
        ("post", "/submit", expert, None, "执法检查人员(inspector)"),
        ("put", "/results", flow.keyuan, RESULTS, "执法检查人员(inspector)"),
        ("post", "/sign", flow.fuju, None, "专家(expert)"),
        ("get", "", flow.as_("qiye", "entity", uscc=USCC_1), None, "缺少角色"),
        # Holding the role is not enough: the inspector id must be on this team.
        ("post", "/sign", flow.as_("zhao", "expert", inspector_id="EX-999"), None, "不是该检查"),
    ]
    for method, path, who, payload, words in refusals:
        answer = await client.request(method, url + path, json=payload, headers=who)
        assert answer.status_code == 403, (path, answer.text)
        assert words in answer.json()["detail"], answer.text
    assert await flow.snapshot() == before

    # Staff read; the leader records; the expert on the team signs (not required to).
    assert (await client.get(url, headers=flow.staff)).status_code == 200
    recorded = await client.put(url + "/results", json=RESULTS, headers=flow.inspector(LEADER))
    assert recorded.status_code == 200, recorded.text
    signed = await client.post(url + "/sign", headers=expert)
    assert signed.status_code == 200, signed.text
    assert EXPERT in signed.json()["signatures"]
    assert signed.json()["unsigned"] == [LEADER, MEMBER]
    detail = (await client.get(url, headers=flow.staff)).json()
    assert detail["history"][-1]["action"] == "signed"
    assert detail["history"][-1]["actor"] == EXPERT
