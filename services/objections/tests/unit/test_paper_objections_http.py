"""Paper objections over HTTP on the embedded database (SQLite, the service in-process on a
fixed clock): the credit department registers a paper application with its scan (multipart),
refusals write nothing, staff download the scan as it was registered, and the entity's online
objection is as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from objections.domain import scans
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.publication import ResultPublished
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, ServiceHarness, auth_headers, running

from . import samples

DISTRICT = "lingang"
USCC = "91371000MA3C000011"
URL = "/api/objections/objections"
CREDIT = auth_headers("xinyong-1", "credit_dept", district=DISTRICT)
STATION = auth_headers("suo-1", "station", district=DISTRICT)
ENTITY = auth_headers("entity-user", "entity", district=DISTRICT, uscc=USCC)


class Env(ServiceHarness):
    async def snapshot(self) -> tuple[int, int, int]:
        """What a refused request must leave as it was: objections, scans, outbox rows."""
        return (
            await self.scalar("SELECT count(*) FROM objections"),
            await self.scalar("SELECT count(*) FROM objection_scans"),
            await self.scalar("SELECT count(*) FROM outbox"),
        )


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, district=DISTRICT, auth_secret=TEST_SECRET)
    async with running("objections", settings, Env) as harness:
        for record_id in ("rec-1", "rec-2"):
            await harness.deliver(published(record_id))
        yield harness


def published(record_id: str) -> ResultPublished:
    return ResultPublished(
        record_id=record_id,
        record_version=1,
        inspection_id="insp-1",
        task_id="task-1",
        uscc=USCC,
        entity_name="威海临港某某食品有限公司",
        results=[
            ItemResult(
                check_item_code="A01",
                check_item_name="营业执照公示情况",
                category=ResultCategory.NO_PROBLEM,
            )
        ],
        published_at=datetime(2025, 9, 1, 2, tzinfo=UTC),
        task_no="LG-2025-007",
        lead_department="食品经营监管科",
    )


def fields(record_id: str = "rec-1", **changes: str) -> dict[str, str]:
    return {
        "record_id": record_id,
        "uscc": USCC,
        "reason": "年报已按期公示，见书面申请",
        "received_on": "2025-09-25",
        **changes,
    }


async def paper(
    env: Env,
    file: tuple[str, bytes, str] | None,
    headers: dict[str, str] = CREDIT,
    **form: str,
) -> httpx.Response:
    """POST …/paper as multipart/form-data: the form's fields and (filename, bytes, declared
    Content-Type) of the scan."""
    parts: dict[str, Any] = {name: (None, value) for name, value in fields(**form).items()}
    if file is not None:
        parts["file"] = file
    return await env.client.post(f"{URL}/paper", files=parts, headers=headers)


async def test_a_paper_objection_without_its_scan_is_refused(env: Env) -> None:
    before = await env.snapshot()
    urlencoded = await env.client.post(f"{URL}/paper", data=fields(), headers=CREDIT)
    assert urlencoded.status_code == 422, urlencoded.text
    assert "须上传申请书的扫描件" in urlencoded.json()["detail"]
    without_file = await paper(env, None)
    assert without_file.status_code == 422, without_file.text
    assert "须上传申请书的扫描件" in without_file.json()["detail"]
    assert without_file.json()["field"] == "file"
    # The JSON route no longer registers a paper application: the scan is missing there too.
    as_json = await env.client.post(URL, json=fields(), headers=CREDIT)
    assert as_json.status_code == 422 and "扫描件" in as_json.json()["detail"]
    undated = {k: v for k, v in fields().items() if k != "received_on"}
    assert (await env.client.post(URL, json=undated, headers=CREDIT)).status_code == 422
    assert await env.snapshot() == before


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        (("申请书.pdf", samples.HTML, "application/pdf"), "PDF、JPEG、PNG"),  # renamed .html
        (("申请书.pdf", b"", "application/pdf"), "为空"),
        (("申请书.png", samples.PDF, "image/png"), "表明是 PNG，内容却是 PDF"),
        (("CON.pdf", samples.PDF, "application/pdf"), "保留"),
    ],
    ids=["html-renamed-pdf", "empty", "pdf-named-png", "reserved-name"],
)
async def test_a_scan_that_is_not_one_is_refused(
    env: Env, file: tuple[str, bytes, str], reason: str
) -> None:
    before = await env.snapshot()
    answer = await paper(env, file)
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["detail"]
    assert await env.snapshot() == before


async def test_form_fields_are_validated_like_any_body(env: Env) -> None:
    before = await env.snapshot()
    pdf = ("申请书.pdf", samples.PDF, "application/pdf")
    bad_uscc = await paper(env, pdf, uscc="not-a-code")
    assert bad_uscc.status_code == 422
    assert bad_uscc.json()["errors"] == [{"field": "uscc", "reason": "格式不正确"}]
    unknown = await paper(env, pdf, colour="red")
    assert unknown.status_code == 422 and "colour" in unknown.json()["detail"]
    future = await paper(env, pdf, received_on="2999-01-01")
    assert future.status_code == 422 and "不能晚于今天" in future.json()["detail"]
    early = await paper(env, pdf, received_on="2025-08-31")
    assert early.status_code == 422 and "早于该检查结果公示之日" in early.json()["detail"]
    missing_record = await paper(env, pdf, record_id="rec-9")
    assert missing_record.status_code == 404
    assert await env.snapshot() == before


async def test_too_large_a_scan_is_413(env: Env) -> None:
    before = await env.snapshot()
    huge = samples.PDF + b"0" * scans.MAX_BYTES
    answer = await paper(env, ("申请书.pdf", huge, "application/pdf"))
    assert answer.status_code == 413 and "10 MiB" in answer.json()["detail"]
    assert await env.snapshot() == before


async def test_only_the_credit_department_registers_paper(env: Env) -> None:
    pdf = ("申请书.pdf", samples.PDF, "application/pdf")
    for headers in (ENTITY, STATION):
        assert (await paper(env, pdf, headers=headers)).status_code == 403
    assert (await paper(env, pdf, headers={})).status_code == 401


@pytest.mark.parametrize(
    ("sent", "content", "declared", "kept", "served"),
    [
        ("异议申请书.pdf", samples.PDF, "application/pdf", "异议申请书.pdf", "application/pdf"),
        # The client's Content-Type is ignored: the content says what it is.
        ("扫描 1.png", samples.PNG, "text/html", "扫描 1.png", "image/png"),
        ("scan", samples.PNG, "application/octet-stream", "scan.png", "image/png"),
    ],
    ids=["pdf", "png-declared-as-html", "png-without-extension"],
)
async def test_a_registered_scan_is_downloaded_as_it_was_sent(
    env: Env, sent: str, content: bytes, declared: str, kept: str, served: str
) -> None:
    answer = await paper(env, (sent, content, declared))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["received_on"] == "2025-09-25" and body["filed_by"] == "xinyong-1"
    objection_id = body["objection_id"]
    assert body["scan"] == {
        "filename": kept,
        "media_type": served,
        "size": len(content),
        "sha256": scans.sha256_hex(content),
        "recorded_by": "xinyong-1",
        # The server's clock (a FixedClock at TEST_NOW in tests), never the machine's.
        "recorded_at": "2026-03-16T01:00:00Z",
        "href": f"{URL}/{objection_id}/scan",
    }
    assert (await env.client.get(f"{URL}/{objection_id}", headers=STATION)).json()["scan"] == body[
        "scan"
    ]
    listed = (await env.client.get(URL, headers=STATION)).json()["items"]
    assert [o["scan"]["sha256"] for o in listed] == [scans.sha256_hex(content)]

    download = await env.client.get(body["scan"]["href"], headers=STATION)
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == served
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["x-content-sha256"] == scans.sha256_hex(content)
    assert download.headers["cache-control"] == "private, no-store"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f"filename*=UTF-8''{quote(kept, safe='')}")


async def test_who_may_download_a_scan(env: Env) -> None:
    pdf = ("申请书.pdf", samples.PDF, "application/pdf")
    objection_id = (await paper(env, pdf)).json()["objection_id"]
    href = f"{URL}/{objection_id}/scan"
    for staff in (CREDIT, STATION):
        assert (await env.client.get(href, headers=staff)).status_code == 200
    refused = await env.client.get(href, headers=ENTITY)  # staff only
    assert refused.status_code == 403 and "x-content-sha256" not in refused.headers
    assert (await env.client.get(href)).status_code == 401
    missing = await env.client.get(f"{URL}/nope/scan", headers=STATION)
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


async def test_the_archive_event_is_unchanged_and_the_scan_is_kept_for_good(env: Env) -> None:
    pdf = ("申请书.pdf", samples.PDF, "application/pdf")
    objection_id = (await paper(env, pdf)).json()["objection_id"]
    (filed,) = await env.outbox("objections.objection-filed")
    # The kernel's ObjectionFiled schema carries no scan (libs/common is not changed here):
    # the objection's own read model and API say it exists.
    assert filed["actor"] == "xinyong-1" and filed["payload"]["objection_id"] == objection_id
    assert not [k for k in filed["payload"] if "scan" in k or "sha256" in k]
    for statement in (
        "UPDATE objection_scans SET content = x'00'",
        "DELETE FROM objection_scans",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="扫描件只能登记一次"):
            async with env.rt.db.engine.begin() as conn:
                await conn.execute(sa.text(statement))
    stored = await env.scalar("SELECT sha256 FROM objection_scans")
    assert stored == scans.sha256_hex(samples.PDF)


async def test_an_online_objection_is_unaffected(env: Env) -> None:
    online = {"record_id": "rec-2", "uscc": USCC, "reason": "年报已按期公示"}
    answer = await env.client.post(URL, json=online, headers=ENTITY)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["scan"] is None and body["received_on"] == "2026-03-16"  # the server's day
    scan = await env.client.get(f"{URL}/{body['objection_id']}/scan", headers=STATION)
    assert scan.status_code == 404 and "没有扫描件" in scan.json()["detail"]
    # Online, an entity neither chooses its date nor sends a scan.
    dated = await env.client.post(
        URL, json={**online, "record_id": "rec-1", "received_on": "2025-09-25"}, headers=ENTITY
    )
    assert dated.status_code == 422 and "以系统收到之日为准" in dated.json()["detail"]
    assert await env.scalar("SELECT count(*) FROM objection_scans") == 0
    (filed,) = await env.outbox("objections.objection-filed")
    assert filed["actor"] == "entity-user"
    assert filed["payload"]["received_on"] == "2026-03-16"


async def test_the_paper_route_is_documented_as_multipart(env: Env) -> None:
    document: dict[str, Any] = env.app.openapi()
    operation = document["paths"][f"{URL}/paper"]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"]["format"] == "binary" and "file" in form["required"]
    assert {"201", "401", "403", "404", "409", "413", "422"} <= set(operation["responses"])
    download = document["paths"][f"{URL}/{{objection_id}}/scan"]["get"]["responses"]["200"]
    assert set(download["content"]) == {"application/pdf", "image/jpeg", "image/png"}
