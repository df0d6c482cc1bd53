"""Objections to results on objects without a credit code (第一条, ADR 0011): a product's
result is objected to by its producer, under the product's ``Z…`` object id; a project's or a
conduct's only on paper, through the credit department; messages call a ``Z…`` id 对象编码.
Over HTTP on the embedded database (SQLite, fixed clock), as the paper objections' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from objections.service_layer import services
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, FakeUnitOfWork, auth_headers, running

from . import samples
from .fakes import FakeObjectionsRepository
from .test_objections_services import with_repo
from .test_paper_objections_http import CREDIT, DISTRICT, URL, Env

PRODUCER = "91371000MA3C00002X"
OTHER = "91371000MA3C000011"
PRODUCT_ID = "ZPL2M39K9UF25A3RR0"  # objects.assigned_id(PRODUCT, the producer's product)
PROJECT_ID = "ZJ3THR6E3B81T0HCWC"
PRODUCT = {"producer_uscc": PRODUCER, "product_name": "速冻水饺", "brand": "海之味"}
ITEM = ItemResult(
    check_item_code="A01", check_item_name="营业执照公示情况", category=ResultCategory.NO_PROBLEM
)


def entity(uscc: str) -> dict[str, str]:
    return auth_headers("entity-user", "entity", district=DISTRICT, uscc=uscc)


def published(record_id: str, uscc: str, details: dict[str, str]) -> ResultPublished:
    return ResultPublished(
        record_id=record_id,
        record_version=1,
        inspection_id=f"insp-{record_id}",
        task_id="task-1",
        uscc=uscc,
        entity_name="海之味 速冻水饺",
        results=[ITEM],
        published_at=datetime(2025, 9, 1, 2, tzinfo=UTC),
        task_no="LG-2025-007",
        lead_department="食品经营监管科",
        details=details,
    )


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, district=DISTRICT, auth_secret=TEST_SECRET)
    async with running("objections", settings, Env) as harness:
        await harness.deliver(published("rec-p", PRODUCT_ID, PRODUCT))
        await harness.deliver(published("rec-j", PROJECT_ID, {"project_code": "XM-1"}))
        yield harness


async def file(env: Env, headers: dict[str, str], **body: Any) -> httpx.Response:
    sent = {"record_id": "rec-p", "uscc": PRODUCT_ID, "reason": "批号记录有误", **body}
    return await env.client.post(URL, json=sent, headers=headers)


async def test_the_producer_objects_to_its_products_result_and_reads_it(env: Env) -> None:
    answer = await file(env, entity(PRODUCER))
    assert answer.status_code == 201, answer.text
    objection = answer.json()
    assert objection["uscc"] == PRODUCT_ID and objection["scan"] is None  # online
    href = f"{URL}/{objection['objection_id']}"
    assert (await env.client.get(href, headers=entity(PRODUCER))).status_code == 200
    assert (await env.client.get(href, headers=entity(OTHER))).status_code == 403


async def test_only_the_producer_objects_and_a_wrong_object_id_is_called_so(env: Env) -> None:
    before = await env.snapshot()
    someone_else = await file(env, entity(OTHER))
    assert someone_else.status_code == 403
    assert f"生产者（统一社会信用代码 {PRODUCER}）" in someone_else.json()["detail"]
    wrong_id = await file(env, entity(PRODUCER), uscc=PROJECT_ID)
    assert wrong_id.status_code == 403
    assert f"对象编码 {PROJECT_ID} 不是该检查结果的检查对象" in wrong_id.json()["detail"]
    not_an_id = await file(env, entity(PRODUCER), uscc="ZP" + "0" * 16)  # check char wrong
    assert not_an_id.status_code == 403 and "对象编码" in not_an_id.json()["detail"]
    assert await env.snapshot() == before


async def test_a_projects_result_is_objected_to_on_paper_only(env: Env) -> None:
    before = await env.snapshot()
    online = await file(env, entity(PRODUCER), record_id="rec-j", uscc=PROJECT_ID)
    assert online.status_code == 403 and "书面申请" in online.json()["detail"]
    assert await env.snapshot() == before
    parts: dict[str, Any] = {
        "record_id": (None, "rec-j"),
        "uscc": (None, PROJECT_ID),
        "reason": (None, "项目地点记录有误"),
        "received_on": (None, "2025-09-25"),
        "file": ("申请书.pdf", samples.PDF, "application/pdf"),
    }
    registered = await env.client.post(f"{URL}/paper", files=parts, headers=CREDIT)
    assert registered.status_code == 201, registered.text
    assert registered.json()["uscc"] == PROJECT_ID and registered.json()["scan"] is not None


async def test_the_read_model_keeps_the_fields_across_a_correction() -> None:
    repo = FakeObjectionsRepository()
    await services.record_published(
        with_repo(FakeUnitOfWork(), repo), published("rec-p", PRODUCT_ID, PRODUCT)
    )
    corrected = ResultCorrected(
        record_id="rec-p",
        record_version=2,
        supersedes_version=1,
        task_id="task-1",
        uscc=PRODUCT_ID,
        results=[ITEM],
        reason="更正",
        published_at=datetime(2025, 10, 1, 2, tzinfo=UTC),
    )  # from a publication release before details: none carried
    await services.record_published(with_repo(FakeUnitOfWork(), repo), corrected)
    kept = await repo.get_record("rec-p")
    assert kept is not None and kept.current_version == 2 and kept.details == PRODUCT
