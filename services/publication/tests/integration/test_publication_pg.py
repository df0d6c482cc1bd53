"""Publication on real PostgreSQL: consumers, the public API, corrections, immutability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import ObjectionCorrectionSubmitted, ObjectionDecided
from spotcheck_common.events.types import ObjectionDecision, ResultCategory, TeamRole
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, ServiceHarness, auth_headers, running

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
USCC = "91371000MA3C000011"
NAMES = {"A01": "营业执照公示情况", "A02": "年度报告公示情况"}
CREDIT = auth_headers("credit-dept", "credit_dept", district=DISTRICT)


class Env(ServiceHarness):
    async def counts(self) -> tuple[int, int, int]:
        return (
            await self.scalar("SELECT count(*) FROM result_records"),
            await self.scalar("SELECT count(*) FROM result_versions"),
            await self.scalar("SELECT count(*) FROM outbox"),
        )


@pytest.fixture
async def env(pg_url: str) -> AsyncIterator[Env]:
    async with running(
        "publication",
        Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET),
        Env,
    ) as harness:
        yield harness


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM) -> ItemResult:
    return ItemResult(check_item_code=code, check_item_name=NAMES[code], category=category)


def submitted(inspection_id: str = "insp-1", uscc: str = USCC) -> InspectionSubmitted:
    return InspectionSubmitted(
        inspection_id=inspection_id,
        task_id="task-1",
        task_no="LG-2025-007",
        task_title="2025年食品经营者双随机抽查",
        draw_id="draw-1",
        uscc=uscc,
        entity_name="威海临港某某食品有限公司",
        inspecting_authority="威海临港经济技术开发区市场监督管理局",
        team=[
            TeamMember(inspector_id="i1", name="张三", department="食品科", role=TeamRole.LEADER),
            TeamMember(inspector_id="i2", name="李四", department="食品科", role=TeamRole.MEMBER),
        ],
        results=[item("A01"), item("A02")],
        completed_on=date(2025, 9, 25),
        submitted_by="i1",
    )


def decision(record_id: str, objection_id: str = "obj-1", **kw: Any) -> ObjectionDecided:
    values: dict[str, Any] = {
        "objection_id": objection_id,
        "record_id": record_id,
        "task_id": "task-1",
        "uscc": USCC,
        "decision": ObjectionDecision.CORRECTED,
        "reason": "年报已按期公示，原记录有误",
        "reviewer": "reviewer-1",
        "corrected_results": [item("A02", ResultCategory.PROBLEM_CORRECTED)],
        "decided_on": date(2025, 10, 20),
    }
    values.update(kw)
    return ObjectionDecided.model_validate(values)


def submission(record_id: str, objection_id: str = "obj-1") -> ObjectionCorrectionSubmitted:
    """The credit department submitted the correction the review confirmed (第九条)."""
    return ObjectionCorrectionSubmitted(
        objection_id=objection_id,
        record_id=record_id,
        task_id="task-1",
        uscc=USCC,
        corrected_results=[item("A02", ResultCategory.PROBLEM_CORRECTED)],
        reason="年报已按期公示，原记录有误",
        reviewer="reviewer-1",
        decided_on=date(2025, 10, 20),
        submitted_by="xinyong-1",
        submitted_on=date(2025, 10, 21),
    )


async def published_record(env: Env) -> str:
    await env.deliver(submitted())
    (envelope,) = await env.outbox("publication.result-published")
    return str(envelope["payload"]["record_id"])


async def test_inspection_is_published_at_once_and_served_publicly(env: Env) -> None:
    await env.deliver(submitted())
    (envelope,) = await env.outbox("publication.result-published")
    payload = envelope["payload"]
    assert payload["record_version"] == 1 and payload["inspection_id"] == "insp-1"
    assert payload["publish_due_on"] == "2025-10-29"  # 20 working days across National Day
    assert envelope["aggregate_id"] == "task-1" and envelope["causation_id"] is not None
    record_id = payload["record_id"]
    assert await env.scalar(
        "SELECT publish_due_on FROM result_records WHERE record_id = :r", r=record_id
    ) == date(2025, 10, 29)

    for query in (
        {"uscc": USCC},
        {"task_no": "LG-2025-007"},
        {"q": "某某食品"},
        {"q": "食品经营者"},
    ):
        response = await env.client.get("/public/results", params=query)
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1, query
        (summary,) = body["items"]
        assert summary["record_id"] == record_id and summary["current_version"] == 1
    miss = await env.client.get("/public/results", params={"uscc": "91371000MA3C000029"})
    assert miss.json() == {"total": 0, "items": []}

    detail = (await env.client.get(f"/public/results/{record_id}")).json()
    assert detail["task_no"] == "LG-2025-007" and detail["task_name"].startswith("2025年")
    assert detail["inspecting_authority"].startswith("威海临港")
    assert detail["completed_on"] == "2025-09-25" and detail["uscc"] == USCC
    assert [v["status"] for v in detail["versions"]] == ["current"]
    assert [r["check_item_code"] for r in detail["results"]] == ["A01", "A02"]
    missing = await env.client.get("/public/results/nope")
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


async def test_redelivered_inspection_publishes_once(env: Env) -> None:
    envelope = await env.deliver(submitted())
    await env.deliver(submitted(), event_id=envelope.event_id)  # exact redelivery
    await env.deliver(submitted())  # same inspection, another event id (re-submitted)
    assert await env.counts() == (1, 1, 1)


async def test_objection_correction_adds_a_version_and_keeps_the_old(env: Env) -> None:
    record_id = await published_record(env)
    # The review's decision alone changes nothing: publication waits for the credit department.
    await env.deliver(decision(record_id))
    assert await env.counts() == (1, 1, 1)
    event = submission(record_id)
    first = await env.deliver(event)
    await env.deliver(event, event_id=first.event_id)
    await env.deliver(event)  # the same decision under a new event id
    (corrected,) = await env.outbox("publication.result-corrected")
    payload = corrected["payload"]
    assert (payload["record_version"], payload["supersedes_version"]) == (2, 1)
    assert payload["objection_id"] == "obj-1" and payload["source"] == "objection"
    assert payload["reason"] == "年报已按期公示，原记录有误"
    assert payload["submitted_by"] == "xinyong-1"
    assert corrected["causation_id"] == first.event_id
    assert await env.counts() == (1, 2, 2)

    detail = (await env.client.get(f"/public/results/{record_id}")).json()
    v1, v2 = detail["versions"]
    assert (v1["status"], v1["superseded_by_version"]) == ("superseded", 2)
    assert v1["results"][1]["category"] == "未发现问题"  # the old version is kept as it was
    assert v2["status"] == "current" and v2["results"][1]["category"] == "发现问题经责令已改正"
    assert v2["objection_id"] == "obj-1" and detail["current_version"] == 2
    assert v2["submitted_by"] == "xinyong-1" and v1["submitted_by"] is None

    await env.deliver(decision(record_id, "obj-2", decision="upheld", corrected_results=[]))
    assert await env.counts() == (1, 2, 2)


async def test_credit_department_correction(env: Env) -> None:
    record_id = await published_record(env)
    body = {
        "reason": "录入错误，信用监管科报请更正",
        "results": [item("A01", ResultCategory.NO_ACTIVITY).model_dump(mode="json")],
    }
    response = await env.client.post(
        f"/api/publication/records/{record_id}/corrections",
        json=body,
        headers=CREDIT,
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2 and response.json()["supersedes_version"] == 1
    (corrected,) = await env.outbox("publication.result-corrected")
    assert corrected["actor"] == "credit-dept"
    assert corrected["payload"]["source"] == "credit_department"
    assert corrected["payload"]["objection_id"] is None
    assert (
        await env.scalar(
            "SELECT published_by FROM result_versions WHERE record_id = :r AND version = 2",
            r=record_id,
        )
        == "credit-dept"
    )


@pytest.mark.parametrize(
    ("path_record", "body", "status", "reason"),
    [
        (
            None,
            {
                "results": [
                    {"check_item_code": "A01", "check_item_name": NAMES["A01"], "category": "注销"}
                ]
            },
            422,
            None,
        ),
        (None, {"reason": "r", "results": []}, 422, None),
        (
            "nope",
            {
                "reason": "r",
                "results": [
                    {"check_item_code": "A01", "check_item_name": NAMES["A01"], "category": "注销"}
                ],
            },
            404,
            "不存在",
        ),
        (
            None,
            {
                "reason": "r",
                "results": [{"check_item_code": "Z9", "check_item_name": "x", "category": "注销"}],
            },
            422,
            "不在",
        ),
        (
            None,
            {
                "reason": "r",
                "results": [
                    {
                        "check_item_code": "A01",
                        "check_item_name": NAMES["A01"],
                        "category": "未发现问题",
                    }
                ],
            },
            422,
            "相同",
        ),
    ],
)
async def test_refused_corrections_write_nothing(
    env: Env, path_record: str | None, body: dict[str, Any], status: int, reason: str | None
) -> None:
    record_id = await published_record(env)
    before = await env.counts()
    response = await env.client.post(
        f"/api/publication/records/{path_record or record_id}/corrections",
        json=body,
        headers=CREDIT,
    )
    assert response.status_code == status, response.text
    if reason:
        assert reason in response.json()["detail"]
    assert await env.counts() == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE result_versions SET remark = 'edited'",
        "UPDATE result_versions SET results = '[]'",
        "DELETE FROM result_versions",
        "TRUNCATE result_versions CASCADE",
        "UPDATE result_records SET entity_name = 'edited'",
        "DELETE FROM result_records",
    ],
)
async def test_database_refuses_to_edit_published_versions(env: Env, sql: str) -> None:
    record_id = await published_record(env)
    with pytest.raises(DBAPIError, match="已公示的检查结果不得修改或删除"):
        async with env.rt.db.engine.begin() as conn:
            await conn.execute(sa.text(sql))
    assert await env.counts() == (1, 1, 1)
    remark = await env.scalar(
        "SELECT remark FROM result_versions WHERE record_id = :r", r=record_id
    )
    assert remark == ""


async def test_new_versions_are_still_inserted_under_the_trigger(env: Env) -> None:
    record_id = await published_record(env)
    for n, category in enumerate([ResultCategory.NO_ACTIVITY, ResultCategory.DEREGISTERED]):
        response = await env.client.post(
            f"/api/publication/records/{record_id}/corrections",
            json={
                "reason": f"第{n + 1}次更正",
                "results": [item("A01", category).model_dump(mode="json")],
            },
            headers=CREDIT,
        )
        assert response.status_code == 201, response.text
    detail = (await env.client.get(f"/public/results/{record_id}")).json()
    assert [(v["version"], v["status"]) for v in detail["versions"]] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "current"),
    ]


async def test_concurrent_corrections_get_distinct_versions(env: Env) -> None:
    record_id = await published_record(env)

    async def correct(category: ResultCategory) -> int:
        response = await env.client.post(
            f"/api/publication/records/{record_id}/corrections",
            json={"reason": "并发", "results": [item("A01", category).model_dump(mode="json")]},
            headers=CREDIT,
        )
        return response.status_code

    statuses = await asyncio.gather(
        *(
            correct(c)
            for c in [
                ResultCategory.NO_ACTIVITY,
                ResultCategory.DEREGISTERED,
                ResultCategory.REVOKED,
            ]
        )
    )
    assert all(s == 201 for s in statuses), statuses
    versions = await env.scalar(
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM result_versions "
        "WHERE record_id = :r",
        r=record_id,
    )
    assert versions == "1,2,3,4"


async def test_corrections_need_the_credit_department_and_reads_stay_public(env: Env) -> None:
    record_id = await published_record(env)
    url = f"/api/publication/records/{record_id}/corrections"
    body = {
        "reason": "录入错误",
        "results": [item("A01", ResultCategory.NO_ACTIVITY).model_dump(mode="json")],
    }
    before = await env.counts()

    nobody = await env.client.post(url, json=body)
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"
    for who in [
        auth_headers("keyuan", "supervising_dept", department="食品经营监管科"),
        auth_headers("fuju", "deputy_director"),
        auth_headers("qiye", "entity", uscc=USCC),
    ]:
        refused = await env.client.post(url, json=body, headers=who)
        assert refused.status_code == 403, refused.text
        assert "信用监管科(credit_dept)" in refused.json()["detail"]
    forged = auth_headers(
        "credit-dept", "credit_dept", secret="not-the-secret-0123456789abcdefghij"
    )
    assert (await env.client.post(url, json=body, headers=forged)).status_code == 401
    assert await env.counts() == before
    assert await env.outbox("publication.result-corrected") == []

    # The public reads need no token, and the page is the same with or without one.
    anonymous = await env.client.get(f"/public/results/{record_id}")
    assert anonymous.status_code == 200
    assert anonymous.json()["current_version"] == 1
    assert (await env.client.get("/public/results", params={"uscc": USCC})).json()["total"] == 1
    spec = (await env.client.get("/openapi.json")).json()
    assert "security" not in spec["paths"]["/public/results/{record_id}"]["get"]
    assert spec["paths"]["/api/publication/records/{record_id}/corrections"]["post"][
        "security"
    ] == [{"HTTPBearer": []}]
