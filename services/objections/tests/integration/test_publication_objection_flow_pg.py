"""Publication and objections in one process on real PostgreSQL, events through both outboxes:
inspection submitted -> published -> objection -> corrected decision -> the credit department
requests the correction of the city bureau (第九条; nothing published) -> the city's grant ->
new public version -> the objection's correction clock closed. A refused request, and a
submission of the flow before city requests, never publish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from spotcheck_common.bus import InProcessBus
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.envelope import Envelope, new_id
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import ObjectionCorrectionSubmitted
from spotcheck_common.events.types import ResultCategory, TeamRole
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
USCC = "91371000MA3C000011"
NAMES = {"A01": "营业执照公示情况", "A02": "年度报告公示情况"}
ENTITY = auth_headers("entity", "entity", district=DISTRICT, uscc=USCC)
REVIEWER = auth_headers("reviewer", "supervising_dept", district=DISTRICT, department="食品科")
CREDIT = auth_headers("xinyong-1", "credit_dept", district=DISTRICT, department="信用监管科")


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM) -> ItemResult:
    return ItemResult(check_item_code=code, check_item_name=NAMES[code], category=category)


async def until(check: Callable[[], Awaitable[Any]], seconds: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def system(
    pg_url: str,
) -> AsyncIterator[tuple[list[ServiceRuntime], InProcessBus, httpx.AsyncClient]]:
    bus = InProcessBus()
    settings = Settings(
        database_url=pg_url,
        district=DISTRICT,
        relay_interval_s=0.05,
        auth_secret=TEST_SECRET,
        clock="2025-10-20T02:00:00+00:00",  # the services' day: Mon 2025-10-20 (China)
    )
    runtimes = build_runtimes([load("publication"), load("objections")], settings, bus=bus)
    app = build_app(runtimes, title="publication + objections")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield runtimes, bus, client


async def count(rt: ServiceRuntime, sql: str) -> Any:
    async with rt.db.engine.connect() as conn:
        return (await conn.execute(sa.text(sql))).scalar()


async def published_record(bus: InProcessBus, client: httpx.AsyncClient) -> str:
    """An inspection submitted and published (version 1): its public record's id."""
    event = InspectionSubmitted(
        inspection_id="insp-1",
        task_id="task-1",
        task_no="LG-2025-007",
        task_title="2025年食品经营者双随机抽查",
        draw_id="draw-1",
        uscc=USCC,
        entity_name="威海临港某某食品有限公司",
        inspecting_authority="威海临港经济技术开发区市场监督管理局",
        team=[
            TeamMember(inspector_id="i1", name="张三", department="食品科", role=TeamRole.LEADER),
            TeamMember(inspector_id="i2", name="李四", department="食品科", role=TeamRole.MEMBER),
        ],
        results=[item("A01"), item("A02", ResultCategory.PROBLEM_PENDING)],
        completed_on=date(2025, 9, 25),
        submitted_by="i1",
    )
    await bus.publish(event.topic(DISTRICT), "task-1", envelope_of(event).to_bytes(), {})

    async def listed() -> Any:
        return (await client.get("/public/results", params={"uscc": USCC})).json()["items"]

    (summary,) = await until(listed)
    return str(summary["record_id"])


async def relayed(rt: ServiceRuntime) -> bool:
    """Every event in ``rt``'s outbox is on the bus."""
    return await count(rt, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_objection_leads_to_a_published_correction(
    system: tuple[list[ServiceRuntime], InProcessBus, httpx.AsyncClient],
) -> None:
    (publication, objections), bus, client = system
    record_id = await published_record(bus, client)

    async def filed() -> Any:
        response = await client.post(
            "/api/objections/objections",
            json={"record_id": record_id, "uscc": USCC, "reason": "已整改，非待处理"},
            headers=ENTITY,
        )
        return response.json() if response.status_code == 201 else None

    objection = await until(filed)  # once objections has seen ResultPublished
    oid = objection["objection_id"]
    decided = await client.post(
        f"/api/objections/objections/{oid}/decision",
        json={
            "decision": "corrected",
            "reason": "经复查，问题已当场责令改正",
            "corrected_results": [
                item("A02", ResultCategory.PROBLEM_CORRECTED).model_dump(mode="json")
            ],
        },
        headers=REVIEWER,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["awaiting_credit_department"] is True
    # The review alone publishes nothing: the correction goes through the credit department.
    await asyncio.sleep(0.5)
    assert await count(publication, "SELECT count(*) FROM result_versions") == 1
    request = {"request_no": "临市监信〔2025〕12号"}
    refused = await client.post(
        f"/api/objections/objections/{oid}/correction", json=request, headers=REVIEWER
    )
    assert refused.status_code == 403 and "信用监管科" in refused.json()["detail"]
    requested = await client.post(
        f"/api/objections/objections/{oid}/correction", json=request, headers=CREDIT
    )
    assert requested.status_code == 200, requested.text
    assert requested.json()["correction_submitted_by"] == "xinyong-1"
    request_id = requested.json()["city_request_id"]
    # The request alone publishes nothing: publication waits for the city's grant.
    await until(lambda: relayed(objections))
    await asyncio.sleep(0.5)
    assert await count(publication, "SELECT count(*) FROM result_versions") == 1
    granted = await client.post(
        f"/api/objections/corrections/{request_id}/reply",
        json={"decision": "granted", "reply_no": "威市监函〔2025〕88号"},
        headers=CREDIT,
    )
    assert granted.status_code == 200, granted.text

    async def corrected() -> Any:
        # The entity follows its own objection.
        body = (await client.get(f"/api/objections/objections/{oid}", headers=ENTITY)).json()
        return body if body["correction_version"] else None

    closed = await until(corrected)
    assert closed["correction_version"] == 2 and closed["overdue"]["correction"] is False

    detail = (await client.get(f"/public/results/{record_id}")).json()
    assert [(v["version"], v["status"]) for v in detail["versions"]] == [
        (1, "superseded"),
        (2, "current"),
    ]
    assert detail["versions"][0]["results"][1]["category"] == "发现问题待后续处理"
    assert detail["versions"][1]["results"][1]["category"] == "发现问题经责令已改正"
    assert detail["versions"][1]["objection_id"] == oid
    assert detail["versions"][1]["submitted_by"] == "xinyong-1"
    assert "威市监函〔2025〕88号" in detail["versions"][1]["remark"]  # the city's grant

    # Every event once: one record, two versions; the read model at version 2.
    assert await count(publication, "SELECT count(*) FROM result_versions") == 2
    assert await count(publication, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await count(objections, "SELECT current_version FROM published_records") == 2
    # One trace of work: the correction was caused by the city's grant, as recorded.
    async with publication.db.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT envelope::json->>'correlation_id' AS c FROM outbox "
                    "WHERE event_type = 'publication.result-corrected'"
                )
            )
        ).one()
    async with objections.db.engine.connect() as conn:
        grant_correlation = (
            await conn.execute(
                sa.text(
                    "SELECT envelope::json->>'correlation_id' FROM outbox "
                    "WHERE event_type = 'objections.correction-granted'"
                )
            )
        ).scalar()
    assert row.c == grant_correlation


async def test_a_refused_request_and_a_submission_before_city_requests_never_publish(
    system: tuple[list[ServiceRuntime], InProcessBus, httpx.AsyncClient],
) -> None:
    (publication, objections), bus, client = system
    record_id = await published_record(bus, client)
    await until(lambda: has_record(objections, record_id))
    found = {
        "record_id": record_id,
        "corrected_results": [item("A01", ResultCategory.NO_ACTIVITY).model_dump(mode="json")],
        "reason": "录入时选错结果",
        "request_no": "临市监信〔2025〕20号",
    }
    created = await client.post("/api/objections/corrections", json=found, headers=CREDIT)
    assert created.status_code == 201, created.text
    refusal = {"decision": "refused", "reply_no": "威市监函〔2025〕90号", "reason": "原结果无误"}
    url = f"/api/objections/corrections/{created.json()['request_id']}/reply"
    assert (await client.post(url, json=refusal, headers=CREDIT)).status_code == 200
    # The flow before city requests submitted corrections publication published at once.
    legacy = ObjectionCorrectionSubmitted(
        objection_id="obj-legacy",
        record_id=record_id,
        task_id="task-1",
        uscc=USCC,
        corrected_results=[item("A01", ResultCategory.NO_ACTIVITY)],
        reason="旧流程",
        reviewer="reviewer",
        decided_on=date(2025, 10, 9),
        submitted_by="xinyong-0",
        submitted_on=date(2025, 10, 10),
    )
    await bus.publish(legacy.topic(DISTRICT), "task-1", envelope_of(legacy).to_bytes(), {})
    await until(lambda: relayed(objections))
    await asyncio.sleep(0.5)
    assert await count(publication, "SELECT count(*) FROM result_versions") == 1
    # A new request of the same record, granted: version 2.
    again = await client.post(
        "/api/objections/corrections",
        json={**found, "request_no": "临市监信〔2025〕21号"},
        headers=CREDIT,
    )
    assert again.status_code == 201, again.text
    url = f"/api/objections/corrections/{again.json()['request_id']}/reply"
    grant = {"decision": "granted", "reply_no": "威市监函〔2025〕95号"}
    assert (await client.post(url, json=grant, headers=CREDIT)).status_code == 200

    async def corrected() -> Any:
        detail = (await client.get(f"/public/results/{record_id}")).json()
        return detail if len(detail["versions"]) == 2 else None

    detail = await until(corrected)
    v2 = detail["versions"][1]
    assert v2["source"] == "credit_department" and v2["objection_id"] is None
    assert v2["results"][0]["category"] == "未发现开展本次抽查涉及的经营活动"
    assert "威市监函〔2025〕95号" in v2["remark"]


async def has_record(rt: ServiceRuntime, record_id: str) -> bool:
    """Objections has read the published record."""
    sql = f"SELECT count(*) FROM published_records WHERE record_id = '{record_id}'"
    return bool(await count(rt, sql))


def envelope_of(event: Any) -> Envelope[Any]:
    return Envelope[Any](
        event_type=event.event_type(),
        schema_version=event.version,
        district=DISTRICT,
        actor="upstream",
        aggregate_id=event.aggregate_id(),
        correlation_id=new_id(),
        payload=event.model_dump(mode="json"),
    )
