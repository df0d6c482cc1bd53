"""A product's record form in the console (ADR 0011 decision 5), on a fake of the services'
APIs: the product's fields instead of a USCC, the samples form (rows added one at a time, a row
emptied removed), the two sampling attachments in the upload's select, what the submission
still lacks, and what is forwarded to the inspections API."""

from __future__ import annotations

from typing import Any

import httpx

from portal.adapters.api import ApiError, FieldError
from portal.domain import inspections as form
from portal.entrypoints.console import inspections as pages
from portal.entrypoints.web import csrf_of
from spotcheck_common.objects import ObjectKind, assigned_id

from .fakes import FakeApi, console_site

TOKEN = "token-of-lg-leader"
LEADER, MEMBER = "LG0022", "LG0027"
DETAILS = {
    "producer_uscc": "91371000MA3C000017",
    "product_name": "电动自行车用充电器",
    "brand": "临港",
    "specification": "48V 2A",
    "batch": "20261015",
    "producer_name": "威海临港某某电器有限公司",
    "sold_at": "临港区某某商场",
}
PRODUCT = assigned_id(ObjectKind.PRODUCT, DETAILS)
SAMPLE = {
    "sample_no": "YP-001",
    "quantity": "4 个",
    "taken_at": "临港区某某商场",
    "taken_on": "2026-11-16",
    "sealed": True,
    "seal_no": "FT-001",
    "testing_body": "山东省产品质量检验研究院",
}
URL = "/api/inspections/inspections/p1"


def inspection(**fields: Any) -> dict[str, Any]:
    """The inspections API's InspectionOut of a product, LG0022 leading."""
    base: dict[str, Any] = {
        "inspection_id": "p1",
        "task_no": "LG-2026-031",
        "task_title": "2026年电动自行车充电器产品质量抽查",
        "uscc": PRODUCT,
        "entity_name": "临港 电动自行车用充电器 48V 2A（20261015）",
        "object_kind": "product",
        "details": DETAILS,
        "samples": [],
        "risk_class": "C",
        "inspecting_authority": "产品质量监管科",
        "check_type": "定向抽查",
        "deadline": "2026-12-31",
        "done": False,
        "status": "pending",
        "check_items": [{"code": "ZL-01", "name": "产品质量抽样检验"}],
        "team": [
            {"inspector_id": LEADER, "name": "张涛刚", "role": "leader"},
            {"inspector_id": MEMBER, "name": "罗勇丽", "role": "member"},
        ],
        "signatures": {},
        "results": [],
        "visit_id": None,
        "visit_leader_id": None,
        "not_inspected_reason": None,
        "not_inspected_label": None,
        "withhold_reason": None,
        "completed_on": None,
        "history": [],
    }
    return base | fields


class SignedInApi(FakeApi):
    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def answers(found: dict[str, Any], attachments: list[dict[str, Any]], **more: Any) -> SignedInApi:
    who = {"user": "lg-leader", "district": "lingang", "roles": ["inspector"]}
    return SignedInApi(
        {
            "/auth/whoami": who | {"inspector_id": LEADER},
            "/public/calendar": {"today": "2026-11-16"},
            URL: found,
            f"{URL}/attachments": {"total": len(attachments), "items": attachments},
            **more,
        }
    )


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, pages.router)


# ------------------------------------------------------------------------------ the rules


def test_the_object_is_shown_by_its_kind_never_an_assigned_id_as_a_uscc() -> None:
    product = form.inspected_object(inspection())
    assert product.is_product and product.id_label == "对象编码"
    assert ("产品名称", "电动自行车用充电器") in product.fields and len(product.fields) == 7
    entity = form.inspected_object(inspection(uscc="91371000MA3C000017", details={}))
    assert not entity.is_product and entity.id_label == "统一社会信用代码"
    assert entity.fields == []


def test_the_samples_form_sends_its_filled_rows_and_drops_the_blank_ones() -> None:
    sent = {
        "sample.sample_no.0": " YP-001 ",
        "sample.quantity.0": "4 个",
        "sample.taken_at.0": "临港区某某商场",
        "sample.taken_on.0": "2026-11-16",
        "sample.sealed.0": "on",
        "sample.seal_no.0": "FT-001",
        "sample.testing_body.0": "山东省产品质量检验研究院",
        "sample.sample_no.1": " ",  # emptied: removed
        "sample.quantity.1": "",
        "sample.sample_no.2": "YP-003",  # the blank row, filled: added, not sealed
    }
    body = form.samples_body(sent)
    assert [s["sample_no"] for s in body["samples"]] == ["YP-001", "YP-003"]
    assert body["samples"][0] == SAMPLE
    assert body["samples"][1]["sealed"] is False and body["samples"][1]["quantity"] == ""
    assert form.samples_body({}) == {"samples": []}


def test_the_rows_are_the_samples_and_one_blank_to_add() -> None:
    rows = form.sample_rows([SAMPLE])
    assert len(rows) == 2 and rows[0]["sample_no"] == "YP-001" and rows[0]["sealed"] is True
    assert rows[1] == dict.fromkeys(form.SAMPLE_FIELDS, "") | {"sealed": False}


def test_what_the_submission_still_lacks() -> None:
    lab = [{"kind": "lab_report"}, {"kind": "photo"}]
    assert form.sampling_missing(inspection(), []) == ["样品登记", "抽样单", "检验报告"]
    assert form.sampling_missing(inspection(samples=[SAMPLE]), lab) == ["抽样单"]
    not_inspected = inspection(not_inspected_reason="unreachable")
    assert form.sampling_missing(not_inspected, []) == []


# ----------------------------------------------------------------------------- the pages


async def test_the_leader_sees_the_products_fields_the_samples_form_and_the_two_kinds() -> None:
    found = inspection(samples=[SAMPLE])
    async with site(answers(found, [{"kind": "lab_report", **_file()}])) as client:
        page = await client.get("/console/inspections/p1")
    html = page.text
    assert page.status_code == 200, html
    assert "<dt>对象编码</dt>" in html and "统一社会信用代码</dt>" not in html.split("生产者")[0]
    assert "<dt>产品名称</dt><dd>电动自行车用充电器</dd>" in html
    assert "<dt>检查对象类别</dt><dd>产品</dd>" in html
    samples = html.split('action="/console/inspections/p1/samples"')[1].split("</form>")[0]
    assert 'name="sample.sample_no.0" value="YP-001"' in samples
    assert 'name="sample.sealed.0" checked' in samples
    assert 'name="sample.sample_no.1" value=""' in samples  # the row to add one
    assert '<option value="sampling_form">抽样单</option>' in html
    assert '<option value="lab_report">检验报告</option>' in html
    assert 'accept="image/*,application/pdf"' in html
    assert "产品抽样检测尚缺：抽样单" in html


async def test_a_market_entitys_record_has_no_samples() -> None:
    entity = inspection(uscc="91371000MA3C000017", details={}, object_kind="market_entity")
    async with site(answers(entity, [])) as client:
        html = (await client.get("/console/inspections/p1")).text
    assert "<dt>统一社会信用代码</dt>" in html and "/samples" not in html
    assert "产品抽样检测尚缺" not in html and 'capture="environment"' in html


async def test_the_samples_are_forwarded_as_the_api_takes_them() -> None:
    api = answers(inspection(), [], **{f"{URL}/samples": inspection(samples=[SAMPLE])})
    sent = {"csrf": csrf_of(TOKEN)} | {
        f"sample.{k}.0": ("on" if v is True else v) for k, v in SAMPLE.items()
    }
    async with site(api) as client:
        answer = await client.post("/console/inspections/p1/samples", data=sent)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("#samples")
    (put,) = [c for c in api.calls if c[0] == "PUT"]
    assert put[1:] == (f"{URL}/samples", {"samples": [SAMPLE]})


async def test_a_refused_sample_is_shown_on_its_row_with_what_was_sent() -> None:
    refusal = ApiError(
        422,
        "抽样登记不符合要求",
        [FieldError("samples[1].seal_no", "已封样的须填写封条编号")],
    )
    api = answers(inspection(), [], **{f"{URL}/samples": refusal})
    sent = {
        "csrf": csrf_of(TOKEN),
        "sample.sample_no.0": "YP-001",
        "sample.sample_no.2": "YP-002",  # row 1 left blank: YP-002 is the second sent
        "sample.sealed.2": "on",
    }
    async with site(api) as client:
        page = await client.post("/console/inspections/p1/samples", data=sent)
        forged = await client.post("/console/inspections/p1/samples", data={"csrf": ""})
    assert page.status_code == 422
    samples = page.text.split('action="/console/inspections/p1/samples"')[1]
    assert 'name="sample.sample_no.1" value="YP-002"' in samples
    assert 'id="e-sample-seal_no-1">已封样的须填写封条编号' in samples
    assert '<p class="field-error" role="alert">抽样登记不符合要求' in samples
    assert forged.status_code == 403  # not from our page: nothing sent
    assert len([c for c in api.calls if c[0] == "PUT"]) == 1


def _file() -> dict[str, Any]:
    return {
        "attachment_id": "a1",
        "filename": "检验报告.pdf",
        "kind_label": "检验报告",
        "size": 2048,
        "added_by": LEADER,
        "added_at": "2026-11-16T02:00:00+00:00",
        "sha256": "ab" * 32,
    }
