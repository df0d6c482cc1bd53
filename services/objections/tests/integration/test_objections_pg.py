"""Objections on real PostgreSQL: the read model from publication's events, the HTTP API,
deadline fields, refusals that write nothing, and the outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from spotcheck_common.events.envelope import new_id
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.settings import Settings
from spotcheck_common.testing import (
    TEST_SECRET,
    ServiceHarness,
    auth_headers,
    calendar_event,
    running,
)

from ..unit import samples

pytestmark = pytest.mark.integration

DISTRICT = "lingang"
USCC = "91371000MA3C000011"
OTHER = "91371000MA3C000029"
NAMES = {"A01": "营业执照公示情况", "A02": "年度报告公示情况"}
REVIEWER = auth_headers(
    "reviewer-1", "supervising_dept", district=DISTRICT, department="食品安全监督管理科"
)
CREDIT = auth_headers("xinyong-1", "credit_dept", district=DISTRICT)
STAFF = auth_headers("suo-1", "station", district=DISTRICT)


def entity(uscc: str = USCC) -> dict[str, str]:
    return auth_headers("entity-user", "entity", district=DISTRICT, uscc=uscc)


class Env(ServiceHarness):
    async def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused request must leave as it was."""
        async with self.rt.db.engine.connect() as conn:
            objections = (
                await conn.execute(sa.text("SELECT * FROM objections ORDER BY objection_id"))
            ).all()
            outbox = (await conn.execute(sa.text("SELECT count(*) FROM outbox"))).scalar()
            scans = (await conn.execute(sa.text("SELECT count(*) FROM objection_scans"))).scalar()
        return (tuple(tuple(r) for r in objections), outbox, scans)


@pytest.fixture
async def env(pg_url: str) -> AsyncIterator[Env]:
    settings = Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET)
    async with running("objections", settings, Env) as harness:
        yield harness


def item(code: str, category: ResultCategory = ResultCategory.NO_PROBLEM) -> dict[str, Any]:
    return ItemResult(
        check_item_code=code, check_item_name=NAMES[code], category=category
    ).model_dump(mode="json")


def published(record_id: str = "rec-1", version: int = 1) -> ResultPublished:
    return ResultPublished(
        record_id=record_id,
        record_version=version,
        inspection_id="insp-1",
        task_id="task-1",
        uscc=USCC,
        entity_name="威海临港某某食品有限公司",
        results=[ItemResult.model_validate(item("A01")), ItemResult.model_validate(item("A02"))],
        published_at=datetime(2025, 9, 1, 2, tzinfo=UTC),
        task_no="LG-2025-007",
    )


# The scan of a paper application (a real one-page PDF).
SCAN = ("异议申请书.pdf", samples.PDF, "application/pdf")


async def file(env: Env, headers: dict[str, str] | None = None, **overrides: Any) -> httpx.Response:
    """The entity named in the body files online (its token carries that uscc) unless
    ``headers``; an application with a date of receipt is a paper one, which the credit
    department registers with its scan (multipart, ``…/paper``)."""
    body = {"record_id": "rec-1", "uscc": USCC, "reason": "年报已按期公示", **overrides}
    if "received_on" in body and headers in (None, CREDIT):
        parts = {k: (None, str(v)) for k, v in body.items() if v is not None}
        return await env.client.post(
            "/api/objections/objections/paper", files={**parts, "file": SCAN}, headers=CREDIT
        )
    headers = headers if headers is not None else entity(str(body["uscc"]))
    return await env.client.post("/api/objections/objections", json=body, headers=headers)


async def test_read_model_follows_publication_events_once(env: Env) -> None:
    first = await env.deliver(published())
    await env.deliver(published(), event_id=first.event_id)  # exact redelivery: dropped
    assert await env.scalar("SELECT count(*) FROM processed_events") == 1
    corrected = ResultCorrected(
        record_id="rec-1",
        record_version=2,
        supersedes_version=1,
        task_id="task-1",
        uscc=USCC,
        results=[
            ItemResult.model_validate(item("A01", ResultCategory.NO_ACTIVITY)),
            ItemResult.model_validate(item("A02")),
        ],
        reason="信用监管科更正",
        published_at=datetime(2025, 9, 26, tzinfo=UTC),
    )
    await env.deliver(corrected)
    await env.deliver(published())  # an old version under a new event id changes nothing
    assert await env.scalar("SELECT count(*) FROM published_records") == 1
    assert await env.scalar("SELECT current_version FROM published_records") == 2
    assert await env.scalar("SELECT task_no FROM published_records") == "LG-2025-007"


async def test_file_an_objection(env: Env) -> None:
    await env.deliver(published())
    response = await file(env, received_on="2025-09-25")
    assert response.status_code == 201, response.text
    body = response.json()
    # Thu 2025-09-25 + 20 working days across National Day 2025 (Oct 1-8 off; Sun Sep 28 and
    # Sat Oct 11 worked) = Wed 2025-10-29.
    assert body["review_due_on"] == "2025-10-29"
    assert body["status"] == "pending" and body["record_version"] == 1
    assert body["feedback_due_on"] is None and body["correction_due_on"] is None
    assert body["overdue"]["review"] is True  # still undecided long after the due date
    (filed,) = await env.outbox("objections.objection-filed")
    assert filed["actor"] == "xinyong-1" and filed["aggregate_id"] == "task-1"  # the recorder
    assert filed["payload"] == {
        "objection_id": body["objection_id"],
        "record_id": "rec-1",
        "task_id": "task-1",
        "uscc": USCC,
        "reason": "年报已按期公示",
        "received_on": "2025-09-25",
        "review_due_on": "2025-10-29",
        "due_status": "set",
        "calendar_version": "2025/holidays-0.109",
        "record_version": 1,
        "review_department": "",
    }
    assert filed["schema_version"] == 2
    detail = await env.client.get(
        f"/api/objections/objections/{body['objection_id']}", headers=STAFF
    )
    assert detail.status_code == 200 and detail.json()["review_due_on"] == "2025-10-29"


async def test_received_in_december_before_next_years_calendar_then_recorded(env: Env) -> None:
    env.rt.clock.set("2026-12-21T10:00:00+08:00")  # Monday; 2027 is not recorded yet
    await env.deliver(published())
    response = await file(env, received_on=None)
    assert response.status_code == 201, response.text  # the right to object never waits
    body = response.json()
    assert body["received_on"] == "2026-12-21" and body["review_due_on"] is None
    assert body["due_status"] == "pending_calendar" and "2027 年" in body["due_reason"]
    assert body["deadlines"]["review"]["due_status"] == "pending_calendar"
    (filed,) = await env.outbox("objections.objection-filed")
    assert filed["payload"]["review_due_on"] is None
    assert filed["payload"]["due_status"] == "pending_calendar"
    listed = await env.client.get("/api/objections/objections", headers=STAFF)
    assert listed.json()["items"][0]["pending_calendar"] == ["objection_review"]

    # The general office records 2027 (made-up schedule, Jan 1-3 off): the registry's event
    # reaches objections, which computes the date in the same transaction and says so.
    await env.deliver(calendar_event())
    detail = (
        await env.client.get(f"/api/objections/objections/{body['objection_id']}", headers=STAFF)
    ).json()
    # Dec 22-25, 28-31 (8), Jan 4-8 (13), 11-15 (18), Jan 18-19 (20).
    assert detail["review_due_on"] == "2027-01-19" and detail["due_status"] == "set"
    assert detail["deadlines"]["review"]["calendar_version"] == "2026/holidays-0.109,2027/v1"
    (computed,) = await env.outbox("objections.objection-deadlines-set")
    assert computed["payload"]["review_due_on"] == "2027-01-19"
    assert computed["payload"]["changed"] == ["review"]
    assert computed["causation_id"] is not None  # caused by the calendar event
    # Delivered again: nothing changes, no second event.
    await env.deliver(calendar_event())
    assert len(await env.outbox("objections.objection-deadlines-set")) == 1


async def test_received_on_defaults_to_today_in_beijing(env: Env) -> None:
    await env.deliver(published())
    body = (await file(env)).json()
    assert body["received_on"] == env.rt.clock.today().isoformat()


async def test_an_entity_online_cannot_choose_its_date_of_receipt(env: Env) -> None:
    """Issue 12: an entity filed with received_on months before, and was immediately overdue.
    Online receipt is the server's day; only a paper application carries its own date."""
    await env.deliver(published())
    before = await env.snapshot()
    chosen = await file(env, headers=entity(), received_on="2025-09-02")
    assert chosen.status_code == 422 and "网上提出的异议以系统收到之日为准" in chosen.text
    assert await env.snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "status", "reason"),
    [
        ({"record_id": "unknown"}, 404, "不存在"),
        ({"uscc": OTHER}, 403, "不是该检查结果的检查对象"),
        ({"uscc": "not-a-code"}, 422, None),
        ({"reason": ""}, 422, None),
        ({"received_on": "2999-01-01"}, 422, "不能晚于今天"),
        ({"received_on": "2025-08-31"}, 422, "早于该检查结果公示之日"),
    ],
)
async def test_refused_objections_write_nothing(
    env: Env, overrides: dict[str, Any], status: int, reason: str | None
) -> None:
    await env.deliver(published())
    before = await env.snapshot()
    response = await file(env, **overrides)
    assert response.status_code == status, response.text
    if reason:
        assert reason in response.json()["detail"]
    assert await env.snapshot() == before


async def test_second_open_objection_is_409(env: Env) -> None:
    await env.deliver(published())
    assert (await file(env)).status_code == 201
    before = await env.snapshot()
    again = await file(env)
    assert again.status_code == 409 and "尚未复查" in again.json()["detail"]
    assert await env.snapshot() == before


async def test_decide_corrected_then_twice_is_409(env: Env) -> None:
    await env.deliver(published())
    objection = (await file(env, received_on="2025-09-22")).json()
    url = f"/api/objections/objections/{objection['objection_id']}/decision"
    body = {
        "decision": "corrected",
        "reason": "经复查确有错误",
        "corrected_results": [item("A02", ResultCategory.PROBLEM_CORRECTED)],
        "decided_on": "2025-09-30",
    }
    response = await env.client.post(url, json=body, headers=REVIEWER)
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["status"] == "corrected" and decided["reviewer"] == "reviewer-1"
    # Decided Tue 2025-09-30: 5 working days -> Oct 9, 10, 11 (Sat, worked), 13, 14;
    # 15 -> Oct 28.
    assert decided["correction_due_on"] == "2025-10-14"
    assert decided["feedback_due_on"] == "2025-10-28"
    # Received Mon 2025-09-22: Sep 23-26, Sun 28, 29, 30, Oct 9-11, 13-17, 20-24 -> Oct 24.
    assert decided["review_due_on"] == "2025-10-24"
    assert decided["overdue"]["review"] is False  # decided in time
    (event,) = await env.outbox("objections.objection-decided")
    payload = event["payload"]
    assert payload["decision"] == "corrected" and payload["reviewer"] == "reviewer-1"
    assert payload["corrected_results"] == [item("A02", ResultCategory.PROBLEM_CORRECTED)]
    assert (payload["feedback_due_on"], payload["correction_due_on"]) == (
        "2025-10-28",
        "2025-10-14",
    )

    before = await env.snapshot()
    again = await env.client.post(
        url, json={**body, "decision": "upheld", "corrected_results": []}, headers=REVIEWER
    )
    assert again.status_code == 409 and "不能重复决定" in again.json()["detail"]
    assert await env.snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"decision": "corrected", "reason": "r"}, 422, "corrected_results"),
        (
            {
                "decision": "corrected",
                "reason": "r",
                "corrected_results": [
                    {"check_item_code": "Z9", "check_item_name": "x", "category": "注销"}
                ],
            },
            422,
            "不在该检查结果中",
        ),
        ({"decision": "corrected", "reason": "r", "corrected_results": [item("A01")]}, 422, "相同"),
        (
            {
                "decision": "upheld",
                "reason": "r",
                "corrected_results": [item("A01", ResultCategory.NO_ACTIVITY)],
            },
            422,
            "upheld",
        ),
        ({"decision": "maybe", "reason": "r"}, 422, None),
        ({"decision": "upheld", "reason": "r", "decided_on": "2025-01-01"}, 422, "早于"),
    ],
)
async def test_refused_decisions_write_nothing(
    env: Env, body: dict[str, Any], status: int, reason: str | None
) -> None:
    await env.deliver(published())
    objection = (await file(env, received_on="2025-09-22")).json()
    before = await env.snapshot()
    response = await env.client.post(
        f"/api/objections/objections/{objection['objection_id']}/decision",
        json=body,
        headers=REVIEWER,
    )
    assert response.status_code == status, response.text
    if reason:
        assert reason in json.dumps(response.json(), ensure_ascii=False)
    assert await env.snapshot() == before


async def test_unknown_objection_is_404(env: Env) -> None:
    response = await env.client.post(
        "/api/objections/objections/nope/decision",
        json={"decision": "upheld", "reason": "r"},
        headers=REVIEWER,
    )
    assert response.status_code == 404
    missing = await env.client.get("/api/objections/objections/nope", headers=STAFF)
    assert missing.status_code == 404


async def test_correction_feedback_and_overdue_listing(env: Env) -> None:
    await env.deliver(published())
    objection = (await file(env, received_on="2025-09-22")).json()
    oid = objection["objection_id"]
    await env.client.post(
        f"/api/objections/objections/{oid}/decision",
        json={
            "decision": "corrected",
            "reason": "确有错误",
            "corrected_results": [item("A02", ResultCategory.PROBLEM_CORRECTED)],
            "decided_on": "2025-09-30",
        },
        headers=CREDIT,
    )
    # Nothing fed back and no correction published yet: both clocks ran out long ago.
    listed = (
        await env.client.get("/api/objections/objections", params={"overdue": True}, headers=STAFF)
    ).json()
    assert [o["objection_id"] for o in listed["items"]] == [oid]
    assert listed["items"][0]["overdue"] == {
        "review": False,
        "feedback": True,
        "correction": True,
        "any": True,
    }
    # Publication issues the correction (Oct 13 Beijing time, before Oct 14): closes that clock.
    await env.deliver(
        ResultCorrected(
            record_id="rec-1",
            record_version=2,
            supersedes_version=1,
            task_id="task-1",
            uscc=USCC,
            results=[
                ItemResult.model_validate(item("A01")),
                ItemResult.model_validate(item("A02", ResultCategory.PROBLEM_CORRECTED)),
            ],
            reason="确有错误",
            objection_id=oid,
            published_at=datetime(2025, 10, 13, 1, tzinfo=UTC),
        )
    )
    feedback = await env.client.post(
        f"/api/objections/objections/{oid}/feedback",
        json={"given_on": "2025-10-20", "note": "书面送达"},
        headers=REVIEWER,
    )
    assert feedback.status_code == 200, feedback.text
    detail = feedback.json()
    assert detail["correction_published_on"] == "2025-10-13" and detail["correction_version"] == 2
    assert detail["feedback_given_on"] == "2025-10-20"
    assert detail["overdue"] == {
        "review": False,
        "feedback": False,
        "correction": False,
        "any": False,
    }
    overdue = await env.client.get(
        "/api/objections/objections", params={"overdue": True}, headers=STAFF
    )
    assert overdue.json()["total"] == 0
    (given,) = await env.outbox("objections.objection-feedback-given")
    assert given["payload"]["given_on"] == "2025-10-20"
    again = await env.client.post(
        f"/api/objections/objections/{oid}/feedback", json={}, headers=CREDIT
    )
    assert again.status_code == 409
    by_entity = await env.client.get(
        "/api/objections/objections", params={"uscc": USCC}, headers=STAFF
    )
    assert by_entity.json()["total"] == 1
    assert (
        await env.client.get(
            "/api/objections/objections", params={"status": "pending"}, headers=STAFF
        )
    ).json()["total"] == 0


async def test_database_allows_one_open_objection_per_record(env: Env) -> None:
    await env.deliver(published())
    first = (await file(env)).json()
    async with env.rt.db.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text("SELECT * FROM objections WHERE objection_id = :o"),
                {"o": first["objection_id"]},
            )
        ).one()
    duplicate = {**row._asdict(), "objection_id": new_id()}
    columns = ", ".join(duplicate)
    values = ", ".join(f":{c}" for c in duplicate)
    with pytest.raises(IntegrityError):
        async with env.rt.db.engine.begin() as conn:
            await conn.execute(
                sa.text(f"INSERT INTO objections ({columns}) VALUES ({values})"), duplicate
            )
    # Once decided, the record may be objected to again.
    await env.client.post(
        f"/api/objections/objections/{first['objection_id']}/decision",
        json={"decision": "upheld", "reason": "无误"},
        headers=REVIEWER,
    )
    assert (await file(env)).status_code == 201


async def test_who_may_file_decide_feed_back_and_read(env: Env) -> None:
    await env.deliver(published())
    url = "/api/objections/objections"
    before = await env.snapshot()

    # No token: 401, reads included.
    assert (await file(env, headers={})).status_code == 401
    assert (await env.client.get(url)).status_code == 401
    assert (await env.client.get(f"{url}/nope")).status_code == 401
    # The wrong role: an inspector or a supervising department does not file.
    for who in (auth_headers("i1", "inspector", district=DISTRICT, inspector_id="i1"), REVIEWER):
        refused = await file(env, headers=who)
        assert refused.status_code == 403, refused.text
        assert "检查对象(entity)" in refused.json()["detail"]
        assert "信用监管科(credit_dept)" in refused.json()["detail"]
    # An entity objects only in its own name, and only to its own result.
    someone_else = await file(env, headers=entity(OTHER))
    assert someone_else.status_code == 403
    assert "只能以本单位名义提出异议" in someone_else.json()["detail"]
    no_code = await file(env, headers=auth_headers("e", "entity", district=DISTRICT))
    assert no_code.status_code == 403
    not_its_result = await file(env, headers=entity(OTHER), uscc=OTHER)
    assert not_its_result.status_code == 403
    assert "不是该检查结果的检查对象" in not_its_result.json()["detail"]
    # Entities do not list objections (they read their own by id).
    assert (await env.client.get(url, headers=entity())).status_code == 403
    assert await env.snapshot() == before

    # The credit department registers a paper application on the entity's behalf.
    filed = await file(env, headers=CREDIT, received_on="2025-09-22")
    assert filed.status_code == 201, filed.text
    oid = filed.json()["objection_id"]
    (event,) = await env.outbox("objections.objection-filed")
    assert event["actor"] == "xinyong-1" and event["payload"]["uscc"] == USCC

    # Detail: staff, or the entity whose objection it is; not another entity.
    assert (await env.client.get(f"{url}/{oid}", headers=STAFF)).status_code == 200
    own = await env.client.get(f"{url}/{oid}", headers=entity())
    assert own.status_code == 200 and own.json()["uscc"] == USCC
    other = await env.client.get(f"{url}/{oid}", headers=entity(OTHER))
    assert other.status_code == 403 and "本单位" in other.json()["detail"]

    # Decision and feedback: supervising or credit department only; the entity, an inspector
    # or the deputy director are refused and nothing changes.
    decision = {"decision": "upheld", "reason": "无误", "decided_on": "2025-09-30"}
    before = await env.snapshot()
    for who in (
        entity(),
        auth_headers("i1", "inspector", district=DISTRICT, inspector_id="i1"),
        auth_headers("fuju", "deputy_director", district=DISTRICT),
    ):
        for path, payload in (("decision", decision), ("feedback", {})):
            refused = await env.client.post(f"{url}/{oid}/{path}", json=payload, headers=who)
            assert refused.status_code == 403, refused.text
            assert "监管科室(supervising_dept)" in refused.json()["detail"]
    assert (await env.client.post(f"{url}/{oid}/decision", json=decision)).status_code == 401
    assert await env.snapshot() == before

    decided = await env.client.post(f"{url}/{oid}/decision", json=decision, headers=REVIEWER)
    assert decided.status_code == 200 and decided.json()["reviewer"] == "reviewer-1"
    fed_back = await env.client.post(
        f"{url}/{oid}/feedback", json={"given_on": "2025-10-09"}, headers=CREDIT
    )
    assert fed_back.status_code == 200, fed_back.text
    (given,) = await env.outbox("objections.objection-feedback-given")
    assert given["actor"] == "xinyong-1"


def overdue_gauge(kind: str, department: str) -> float | None:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(
        "spotcheck_overdue_items", {"source": "objections", "kind": kind, "department": department}
    )


async def test_correction_requested_of_the_city_stops_its_clock_and_feeds_the_gauge(
    env: Env,
) -> None:
    lead = "食品安全监督管理科"
    await env.deliver(published().model_copy(update={"lead_department": lead}))
    # Received Mon 2025-09-22 -> review due Fri 2025-10-24 across National Day 2025.
    objection = (await file(env, received_on="2025-09-22")).json()
    oid = objection["objection_id"]
    assert objection["review_department"] == lead and objection["review_due_on"] == "2025-10-24"
    await env.rt.run_periodic()  # the runtime's periodic work refreshes the gauge
    assert overdue_gauge("objection_review", lead) == 1

    decided = await env.client.post(
        f"/api/objections/objections/{oid}/decision",
        json={
            "decision": "corrected",
            "reason": "确有错误",
            "corrected_results": [item("A02", ResultCategory.PROBLEM_CORRECTED)],
            "decided_on": "2025-09-30",
        },
        headers=REVIEWER,
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    # Decided Tue 2025-09-30: correction due Tue Oct 14, feedback due Tue Oct 28.
    assert (body["correction_due_on"], body["feedback_due_on"]) == ("2025-10-14", "2025-10-28")
    assert body["awaiting_credit_department"] is True
    assert await env.outbox("objections.correction-requested") == []
    await env.rt.run_periodic()
    assert overdue_gauge("objection_review", lead) == 0  # reviewed
    assert overdue_gauge("objection_correction", lead) == 1
    assert overdue_gauge("objection_feedback", lead) == 1

    request = {"request_no": "临市监信〔2025〕12号", "requested_on": "2025-10-10"}
    before = await env.snapshot()
    for who in (REVIEWER, STAFF, entity()):
        refused = await env.client.post(
            f"/api/objections/objections/{oid}/correction", json=request, headers=who
        )
        assert refused.status_code == 403 and "信用监管科" in refused.json()["detail"]
    assert await env.snapshot() == before
    fed_back = await env.client.post(
        f"/api/objections/objections/{oid}/feedback",
        json={"given_on": "2025-10-09"},
        headers=REVIEWER,
    )
    assert fed_back.status_code == 200, fed_back.text

    # Requested on Fri Oct 10, within the clock (2 of 5 working days used): it stops.
    requested = await env.client.post(
        f"/api/objections/objections/{oid}/correction", json=request, headers=CREDIT
    )
    assert requested.status_code == 200, requested.text
    assert requested.json()["correction_submitted_by"] == "xinyong-1"
    request_id = requested.json()["city_request_id"]
    (event,) = await env.outbox("objections.correction-requested")
    assert event["actor"] == "xinyong-1" and event["payload"]["requested_by"] == "xinyong-1"
    assert event["payload"]["corrected_results"][0]["check_item_code"] == "A02"
    assert event["payload"]["correction_due_on"] == "2025-10-14"
    assert event["payload"]["clock_suspended"] is True
    again = await env.client.post(
        f"/api/objections/objections/{oid}/correction", json=request, headers=CREDIT
    )
    assert again.status_code == 409
    # Months later the city still holds it: nothing overdue, in the listing (SQL) or the gauge.
    overdue = {"overdue": "true"}
    listed = await env.client.get("/api/objections/objections", params=overdue, headers=STAFF)
    assert listed.json()["total"] == 0
    await env.rt.run_periodic()
    assert overdue_gauge("objection_correction", lead) == 0

    # Granted on Fri Oct 24: 3 working days left -> due Wed Oct 29; unpublished today, late.
    granted = await env.client.post(
        f"/api/objections/corrections/{request_id}/reply",
        json={
            "decision": "granted",
            "reply_no": "威市监函〔2025〕88号",
            "replied_on": "2025-10-24",
        },
        headers=CREDIT,
    )
    assert granted.status_code == 200, granted.text
    (moved,) = await env.outbox("objections.objection-deadlines-set")
    assert moved["payload"]["correction_due_on"] == "2025-10-29"
    listed = await env.client.get("/api/objections/objections", params=overdue, headers=STAFF)
    (row,) = listed.json()["items"]
    assert row["correction_due_on"] == "2025-10-29" and row["overdue_open"] == [
        "objection_correction"
    ]
    await env.rt.run_periodic()
    assert overdue_gauge("objection_correction", lead) == 1

    # Publication's ResultCorrected for this objection (Oct 28) closes the clock, in time.
    await env.deliver(
        ResultCorrected(
            record_id="rec-1",
            record_version=2,
            supersedes_version=1,
            task_id="task-1",
            uscc=USCC,
            results=[
                ItemResult.model_validate(item("A01")),
                ItemResult.model_validate(item("A02", ResultCategory.PROBLEM_CORRECTED)),
            ],
            reason="确有错误",
            objection_id=oid,
            published_at=datetime(2025, 10, 28, 2, tzinfo=UTC),
            submitted_by="xinyong-1",
        )
    )
    listed = (await env.client.get("/api/objections/objections", headers=STAFF)).json()
    (row,) = listed["items"]
    assert row["correction_published_on"] == "2025-10-28" and row["correction_version"] == 2
    assert row["overdue"]["correction"] is False and row["overdue_open"] == []
    await env.rt.run_periodic()
    assert overdue_gauge("objection_correction", lead) == 0


async def test_a_city_reply_and_its_scan_on_postgresql(env: Env) -> None:
    """The request and its reply's scan are kept: the scan is written once (guarded), a replied
    request is final, neither is deleted."""
    await env.deliver(published())
    found = {
        "record_id": "rec-1",
        "corrected_results": [item("A01", ResultCategory.NO_ACTIVITY)],
        "reason": "录入时选错结果",
        "request_no": "临市监信〔2025〕20号",
        "requested_on": "2025-11-03",
    }
    created = await env.client.post("/api/objections/corrections", json=found, headers=CREDIT)
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]
    form = {"decision": "refused", "reply_no": "威市监函〔2025〕90号", "reason": "原结果无误"}
    parts: dict[str, Any] = {k: (None, v) for k, v in form.items()}
    parts["file"] = ("批复.png", samples.PNG, "image/png")
    replied = await env.client.post(
        f"/api/objections/corrections/{request_id}/reply", files=parts, headers=CREDIT
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["replied_on"] == "2026-03-16"  # the services' day by default
    document = await env.client.get(replied.json()["document"]["href"], headers=STAFF)
    assert document.content == samples.PNG and document.headers["content-type"] == "image/png"
    detail = await env.client.get(f"/api/objections/corrections/{request_id}", headers=STAFF)
    assert detail.json()["status"] == "refused" and detail.json()["reply_reason"] == "原结果无误"
    for sql in (
        "UPDATE correction_reply_documents SET content = 'x'",
        "DELETE FROM correction_reply_documents",
        "UPDATE correction_requests SET reply_reason = '改'",
        "DELETE FROM correction_requests",
    ):
        with pytest.raises(DBAPIError):
            async with env.rt.db.engine.begin() as conn:
                await conn.execute(sa.text(sql))
    # A new request of the record (the refused one is over) can wait for the city.
    again = await env.client.post(
        "/api/objections/corrections",
        json={**found, "request_no": "临市监信〔2025〕21号"},
        headers=CREDIT,
    )
    assert again.status_code == 201, again.text


async def test_a_paper_objections_scan_on_postgresql(env: Env) -> None:
    """The scan is kept in bytea byte for byte, downloaded as registered, and the database
    refuses to change or remove it (append-only, like other evidence)."""
    await env.deliver(published())
    filed = await file(env, received_on="2025-09-22")
    assert filed.status_code == 201, filed.text
    scan = filed.json()["scan"]
    assert scan["media_type"] == "application/pdf" and scan["recorded_by"] == "xinyong-1"
    download = await env.client.get(scan["href"], headers=STAFF)
    assert download.status_code == 200 and download.content == samples.PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    for statement in (
        "UPDATE objection_scans SET content = '\\x00'::bytea",
        "UPDATE objection_scans SET recorded_by = 'someone-else'",
        "DELETE FROM objection_scans",
        "TRUNCATE objection_scans",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="扫描件只能登记一次"):
            async with env.rt.db.engine.begin() as conn:
                await conn.execute(sa.text(statement))
    # A decision writes the objection back; its scan stays as registered.
    decided = await env.client.post(
        f"/api/objections/objections/{filed.json()['objection_id']}/decision",
        json={"decision": "upheld", "reason": "无误"},
        headers=REVIEWER,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["scan"] == scan
