"""Publication on real PostgreSQL: consumers, the public API, corrections (on the city bureau's
grant only, 第九条), immutability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.exc import DBAPIError

from publication.bootstrap import PUBLIC
from publication.domain.model import ResultQuery
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import (
    CorrectionGranted,
    CorrectionRefused,
    CorrectionRequested,
    ObjectionCorrectionSubmitted,
    ObjectionDecided,
)
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
    """The flow before city requests: the credit department submitted the correction."""
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


REQUEST: dict[str, Any] = {
    "task_id": "task-1",
    "uscc": USCC,
    "request_no": "临市监信〔2025〕12号",
    "requested_on": date(2025, 10, 21),
}


def requested(record_id: str, objection_id: str | None = "obj-1") -> CorrectionRequested:
    return CorrectionRequested(
        **REQUEST,
        request_id="req-1",
        record_id=record_id,
        objection_id=objection_id,
        source="objection" if objection_id else "credit_department",
        corrected_results=[item("A02", ResultCategory.PROBLEM_CORRECTED)],
        reason="年报已按期公示，原记录有误",
        requested_by="xinyong-1",
        record_version=1,
    )


def refused(record_id: str) -> CorrectionRefused:
    return CorrectionRefused(
        **REQUEST,
        request_id="req-1",
        record_id=record_id,
        objection_id="obj-1",
        source="objection",
        reply_no="威市监函〔2025〕80号",
        replied_on=date(2025, 10, 24),
        reason="原结果无误",
        recorded_by="xinyong-2",
    )


def grant(
    record_id: str,
    request_id: str = "req-1",
    objection_id: str | None = "obj-1",
    results: list[ItemResult] | None = None,
) -> CorrectionGranted:
    """The city bureau granted the credit department's request (第九条)."""
    return CorrectionGranted(
        **REQUEST,
        request_id=request_id,
        record_id=record_id,
        objection_id=objection_id,
        source="objection" if objection_id else "credit_department",
        corrected_results=results or [item("A02", ResultCategory.PROBLEM_CORRECTED)],
        reason="年报已按期公示，原记录有误",
        requested_by="xinyong-1",
        reply_no="威市监函〔2025〕88号",
        replied_on=date(2025, 10, 24),
        recorded_by="xinyong-2",
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
        {"uscc": USCC.lower(), "from": "2025-09-25", "to": "2025-09-25"},
        {"task_no": "LG-2025-007", "category": ResultCategory.NO_PROBLEM.value},
        {"q": "某某食品"},
        {"q": "食品经营者"},
        {"q": "91371000ma3c"},  # a code's beginning
    ):
        response = await env.client.get("/public/results", params=query)
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1, query
        (summary,) = body["items"]
        assert summary["record_id"] == record_id and summary["current_version"] == 1
    for query in (
        {"uscc": "91371000MA3C000029"},
        {"q": "%"},  # letters in a name, not patterns
        {"q": "某_食品"},
        {"uscc": USCC, "from": "2025-09-26"},
    ):
        miss = await env.client.get("/public/results", params=query)
        assert miss.json() == {"total": 0, "items": []}, query

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


async def test_only_the_citys_grant_adds_a_version_and_keeps_the_old(env: Env) -> None:
    record_id = await published_record(env)
    # The review's decision, the request, a refusal, and a submission of the flow before city
    # requests change nothing: publication waits for the city's grant.
    for nothing in (
        decision(record_id),
        requested(record_id),
        refused(record_id),
        submission(record_id, "obj-legacy"),
    ):
        await env.deliver(nothing)
        assert await env.counts() == (1, 1, 1), nothing
    event = grant(record_id)
    first = await env.deliver(event)
    await env.deliver(event, event_id=first.event_id)
    await env.deliver(event)  # the same grant under a new event id
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
    assert "经市局 2025-10-24 批复同意更正，威市监函〔2025〕88号" in v2["remark"]
    assert await env.scalar("SELECT request_id FROM result_versions WHERE version = 2") == "req-1"

    await env.deliver(decision(record_id, "obj-2", decision="upheld", corrected_results=[]))
    assert await env.counts() == (1, 2, 2)


async def test_an_error_the_bureau_found_is_published_on_the_grant(env: Env) -> None:
    record_id = await published_record(env)
    change = item("A01", ResultCategory.NO_ACTIVITY)
    await env.deliver(grant(record_id, objection_id=None, results=[change]))
    (corrected,) = await env.outbox("publication.result-corrected")
    assert corrected["payload"]["source"] == "credit_department"
    assert corrected["payload"]["objection_id"] is None
    assert corrected["payload"]["submitted_by"] == "xinyong-1"
    detail = (await env.client.get(f"/public/results/{record_id}")).json()
    assert detail["versions"][1]["results"][0]["category"] == "未发现开展本次抽查涉及的经营活动"


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
        await env.deliver(grant(record_id, f"req-{n}", None, [item("A01", category)]))
    detail = (await env.client.get(f"/public/results/{record_id}")).json()
    assert [(v["version"], v["status"]) for v in detail["versions"]] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "current"),
    ]


async def test_concurrent_grants_get_distinct_versions(env: Env) -> None:
    record_id = await published_record(env)
    categories = [ResultCategory.NO_ACTIVITY, ResultCategory.DEREGISTERED, ResultCategory.REVOKED]
    await asyncio.gather(
        *(
            env.deliver(grant(record_id, f"req-{n}", None, [item("A01", c)]))
            for n, c in enumerate(categories)
        )
    )
    versions = await env.scalar(
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM result_versions "
        "WHERE record_id = :r",
        r=record_id,
    )
    assert versions == "1,2,3,4"


async def test_no_one_corrects_here_and_reads_stay_public(env: Env) -> None:
    """第九条: publication has no correction of its own, not even for the credit department."""
    record_id = await published_record(env)
    body = {
        "reason": "录入错误",
        "results": [item("A01", ResultCategory.NO_ACTIVITY).model_dump(mode="json")],
    }
    url = f"/api/publication/records/{record_id}/corrections"
    refused = await env.client.post(url, json=body, headers=CREDIT)
    assert refused.status_code in (404, 405), refused.text
    assert await env.counts() == (1, 1, 1)
    assert await env.outbox("publication.result-corrected") == []

    # The public reads need no token, and the page is the same with or without one.
    anonymous = await env.client.get(f"/public/results/{record_id}")
    assert anonymous.status_code == 200
    assert anonymous.json()["current_version"] == 1
    assert (await env.client.get("/public/results", params={"uscc": USCC})).json()["total"] == 1
    spec = (await env.client.get("/openapi.json")).json()
    assert "security" not in spec["paths"]["/public/results/{record_id}"]["get"]
    assert not [p for p in spec["paths"] if "correction" in p]


async def test_a_replica_answers_from_memory_until_another_replicas_commit_moves_the_version(
    pg_url: str,
) -> None:
    """ADR 0013 across replicas: A publishes, B (reading the version for every answer) serves
    its kept answer while nothing changed and the new result as soon as A's commit raised the
    version; the name search reads trigram indexes on PostgreSQL."""
    hits = {"route": "/public/results", "result": "hit"}
    every = {"database_url": pg_url, "district": DISTRICT, "auth_secret": TEST_SECRET}
    async with (
        running("publication", Settings(**every), Env) as a,
        running("publication", Settings(**every, public_answers_recheck_s=0), Env) as b,
    ):
        await a.deliver(submitted("insp-1"))
        assert (await b.client.get("/public/results")).json()["total"] == 1
        before = REGISTRY.get_sample_value("spotcheck_public_answers_total", hits) or 0
        assert (await b.client.get("/public/results")).json()["total"] == 1
        assert REGISTRY.get_sample_value("spotcheck_public_answers_total", hits) == before + 1
        version = await a.scalar("SELECT version FROM data_version")

        await a.deliver(submitted("insp-2", uscc="91371000MA3C00003Y"))
        assert await a.scalar("SELECT version FROM data_version") > version
        page = (await b.client.get("/public/results")).json()
        assert page["total"] == 2
        found = await b.client.get("/public/results", params={"q": "临港某某食品"})
        assert found.json()["total"] == 2
        indexes = await a.scalar(
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_result_records_%_trgm'"
        )
        assert indexes == 3


async def test_a_search_by_code_runs_without_a_transaction_a_name_search_in_one(env: Env) -> None:
    """A public search is a read: at READ COMMITTED a transaction around it buys nothing and
    costs BEGIN and ROLLBACK. A name search keeps one for its SET LOCAL (a plan per pattern)."""
    await env.deliver(submitted())
    # Begun before the pause: a transaction that was open across it.
    in_transaction = sa.text("SELECT clock_timestamp() - transaction_timestamp() > '100 ms'")
    for query, expected in ((ResultQuery(uscc=USCC), False), (ResultQuery(q="某某食品"), True)):
        async with env.deps.uow(PUBLIC) as uow:
            assert (await uow.publication.search(query, 20, 0)).total == 1
            await asyncio.sleep(0.2)
            assert (await uow.session.execute(in_transaction)).scalar_one() is expected, query
