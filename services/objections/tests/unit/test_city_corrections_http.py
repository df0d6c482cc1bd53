"""第九条 over HTTP on the embedded database (SQLite, the service in-process on a fixed clock):
the credit department requests a correction of the city bureau by its document, records the
city's reply (JSON, or multipart with the reply's scan), staff read and download it; refusals
write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from objections.domain import scans
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, running

from . import samples
from .test_paper_objections_http import CREDIT, DISTRICT, STATION, URL, Env, paper, published

CORRECTIONS = "/api/objections/corrections"
SUPERVISOR = auth_headers("jianguan-1", "supervising_dept", district=DISTRICT)
CHANGE = {
    "check_item_code": "A01",
    "check_item_name": "营业执照公示情况",
    "category": "未发现开展本次抽查涉及的经营活动",
}


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, district=DISTRICT, auth_secret=TEST_SECRET)
    async with running("objections", settings, Env) as harness:
        for record_id in ("rec-1", "rec-2"):
            await harness.deliver(published(record_id))
        yield harness


async def decided_objection(env: Env) -> str:
    filed = await paper(env, ("申请书.pdf", samples.PDF, "application/pdf"))
    objection_id: str = filed.json()["objection_id"]
    decision = {
        "decision": "corrected",
        "reason": "确有错误",
        "decided_on": "2025-09-30",
        "corrected_results": [CHANGE],
    }
    answer = await env.client.post(f"{URL}/{objection_id}/decision", json=decision, headers=CREDIT)
    assert answer.status_code == 200, answer.text
    return objection_id


async def payload(env: Env, event_type: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in await env.outbox(event_type)]


async def test_an_objections_correction_requested_and_granted_with_the_citys_document(
    env: Env,
) -> None:
    objection_id = await decided_objection(env)
    sent = {"request_no": "临市监信〔2025〕12号", "requested_on": "2025-10-10"}
    assert (
        await env.client.post(f"{URL}/{objection_id}/correction", json=sent, headers=SUPERVISOR)
    ).status_code == 403
    answer = await env.client.post(f"{URL}/{objection_id}/correction", json=sent, headers=CREDIT)
    assert answer.status_code == 200, answer.text
    objection = answer.json()
    request_id = objection["city_request_id"]
    assert objection["correction_clock_stopped"] is True
    assert objection["awaiting_credit_department"] is False
    (requested,) = await payload(env, "objections.correction-requested")
    assert requested["request_no"] == "临市监信〔2025〕12号" and requested["task_id"] == "task-1"
    assert await payload(env, "objections.correction-granted") == []

    form = {"decision": "granted", "reply_no": "威市监函〔2025〕88号", "replied_on": "2025-10-24"}
    parts: dict[str, Any] = {k: (None, v) for k, v in form.items()}
    parts["file"] = ("批复扫描", samples.PDF, "application/octet-stream")
    reply = await env.client.post(f"{CORRECTIONS}/{request_id}/reply", files=parts, headers=CREDIT)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["status"] == "granted" and body["reply_no"] == "威市监函〔2025〕88号"
    assert body["document"]["filename"] == "批复扫描.pdf"
    assert body["document"]["href"] == f"{CORRECTIONS}/{request_id}/document"
    (grant,) = await payload(env, "objections.correction-granted")
    assert grant["document_sha256"] == scans.sha256_hex(samples.PDF)
    assert grant["correction_due_on"] == "2025-10-29"  # 3 working days left, from Oct 24
    download = await env.client.get(body["document"]["href"], headers=STATION)
    assert download.content == samples.PDF and download.headers["x-content-type-options"]
    again = await env.client.post(f"{CORRECTIONS}/{request_id}/reply", json=form, headers=CREDIT)
    assert again.status_code == 409
    shown = (await env.client.get(f"{URL}/{objection_id}", headers=STATION)).json()
    assert shown["city_granted"] is True and shown["correction_due_on"] == "2025-10-29"


async def test_an_error_the_bureau_found_requested_and_refused(env: Env) -> None:
    sent = {
        "record_id": "rec-2",
        "corrected_results": [CHANGE],
        "reason": "录入时选错结果",
        "request_no": "临市监信〔2025〕20号",
        "requested_on": "2025-11-03",
    }
    created = await env.client.post(CORRECTIONS, json=sent, headers=CREDIT)
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]
    assert created.json()["objection_id"] is None
    waiting = await env.client.post(CORRECTIONS, json=sent, headers=CREDIT)
    assert waiting.status_code == 409  # one request of a record waits at a time
    outbox = await env.scalar("SELECT count(*) FROM outbox")
    url = f"{CORRECTIONS}/{request_id}/reply"
    refusal = {
        "decision": "refused",
        "reply_no": "威市监函〔2025〕90号",
        "replied_on": "2025-11-10",
    }
    for bad, status in (
        (refusal, 422),  # no reason
        ({**refusal, "reason": "x", "replied_on": "2025-11-01"}, 422),  # before the request
        ({**refusal, "reason": "x", "decision": "maybe"}, 422),
    ):
        answer = await env.client.post(url, json=bad, headers=CREDIT)
        assert answer.status_code == status, answer.text
    assert await env.scalar("SELECT count(*) FROM outbox") == outbox
    done = await env.client.post(url, json={**refusal, "reason": "原结果无误"}, headers=CREDIT)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "refused" and done.json()["document"] is None
    (refused,) = await payload(env, "objections.correction-refused")
    assert refused["reason"] == "原结果无误" and refused["objection_id"] is None
    listed = await env.client.get(CORRECTIONS, params={"status": "refused"}, headers=STATION)
    assert [r["request_id"] for r in listed.json()["items"]] == [request_id]
    assert (
        await env.client.get(f"{url[: -len('/reply')]}/document", headers=STATION)
    ).status_code == 404
