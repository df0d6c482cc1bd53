"""A product sampling task in the demo district, as ``make run`` serves it (第一条, ADR 0011):
the department plans it in the console for products, the draw takes only products and its
bundle verifies, the leader records the samples, files the sampling form and the lab report
and submits in the browser (refused while the lab report is missing), and the public site
shows the products in their own fields — never a made-up code as a credit code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from draws import verify_draw
from spotcheck_common.objects import ObjectKind, kind_of

from .conftest import TODAY, expect_state, serious_violations, sign_in, sign_in_inspector
from .scenario import (
    SUPERVISOR,
    Services,
    completed_draw,
    inspector,
    leader_of,
    members_of,
    opened_inspections,
    published_results,
)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def plan_in_the_console(page: Page, task_no: str) -> str:
    """The supervising department drafts the task for products; the deputy approves it."""
    sign_in(page, "赵规范")
    page.goto("/console/tasks/new")
    page.get_by_label("任务编号（本区唯一）").fill(task_no)
    page.get_by_label("任务名称").fill(f"瓶装水产品质量抽检 {task_no}")
    page.get_by_label("检查截止日期").fill((TODAY + timedelta(days=20)).isoformat())
    page.get_by_label("检查对象类型").select_option("product")
    page.get_by_label("生产企业产品质量监督抽查").check()
    page.get_by_label("C 级（%）").fill("100")
    methods = page.locator("fieldset", has_text="检查方式")
    # Only 现场检查 (the form's default): without 抽样检测 the planning service refuses a
    # product task, beside the methods.
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#e-methods")).to_contain_text("须包含「抽样检测」")
    methods.get_by_label("抽样检测").check()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_contain_text("已保存实施方案草稿")
    expect(page.locator("dd", has_text="产品").first).to_be_visible()
    task_url = page.url.split("?", 1)[0]
    sign_in(page, "王分管")
    page.goto(task_url)
    page.get_by_role("button", name="分管局长审批（批准实施方案）").click()
    expect_state(page, "已批准")
    return task_url.rsplit("/", 1)[-1]


def test_a_product_is_planned_drawn_sampled_and_published(
    page: Page, browsers: Callable[..., Page], server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task_no = f"CP-{uuid.uuid4().hex[:8]}"
    task_id = plan_in_the_console(page, task_no)

    draw = completed_draw(api, task_id, min_population=3)
    assert draw["targets"] and all(
        kind_of(t["uscc"]) is ObjectKind.PRODUCT for t in draw["targets"]
    )
    bundle = api.client.get(f"/public/draws/{draw['draw_id']}/bundle").raise_for_status()
    report = verify_draw.verify(json.loads(bundle.content), workers=1)
    assert report.ok, report.difference

    inspection = opened_inspections(api, draw)[0]
    inspection_id, leader = inspection["inspection_id"], leader_of(inspection)
    sign_in_inspector(page, leader)
    page.goto(f"/console/inspections/{inspection_id}")
    expect(page.get_by_text(inspection["details"]["product_name"]).first).to_be_visible()
    expect(page.locator("[data-sampling-missing]")).to_contain_text("检验报告")
    assert serious_violations(page) == []

    # The sample, sealed: its seal number is required.
    page.locator("#f-sample-sample_no-0").fill("CP-0001")
    page.locator("#f-sample-quantity-0").fill("12瓶")
    page.locator("#f-sample-taken_at-0").fill("草庙子镇惠民超市")
    page.locator("#f-sample-taken_on-0").fill(TODAY.isoformat())
    page.locator("#f-sample-testing_body-0").fill("威海市产品质量检验所")
    page.locator("#f-sample-sealed-0").check()
    page.get_by_role("button", name="保存抽样登记").click()
    expect(page.locator("#e-sample-seal_no-0")).to_be_visible()
    page.locator("#f-sample-seal_no-0").fill("FT-0001")
    page.get_by_role("button", name="保存抽样登记").click()
    expect(page.get_by_role("status")).to_contain_text("抽样登记已保存")

    page.locator("#f-category-0").select_option("未发现问题")
    page.get_by_role("button", name="保存检查结果").click()
    expect(page.get_by_role("status")).to_contain_text("检查结果已保存")
    page.get_by_label("附件类别").select_option("sampling_form")
    pdf = {"name": "抽样单.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.get_by_label("拍照或选择文件").set_input_files(pdf)
    page.get_by_role("button", name="上传").click()
    expect(page.locator("[data-sampling-missing]")).not_to_contain_text("抽样单")

    base = f"/api/inspections/inspections/{inspection_id}"
    for member in [leader, *members_of(inspection)]:
        api.call("POST", f"{base}/sign", inspector(member))
    page.reload()
    page.get_by_role("button", name="提交检查记录").click()
    expect(page.locator("#e-submit")).to_contain_text("检验报告")  # still missing: refused
    shot(page, "refused-without-lab-report")

    page.get_by_label("附件类别").select_option("lab_report")
    report_pdf = {"name": "检验报告.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.get_by_label("拍照或选择文件").set_input_files(report_pdf)
    page.get_by_role("button", name="上传").click()
    expect(page.locator("[data-sampling-missing]")).to_have_count(0)
    page.get_by_role("button", name="提交检查记录").click()
    expect(page.get_by_role("status")).to_contain_text("检查记录已提交")
    found = api.call("GET", base, SUPERVISOR)
    assert found["status"] == "submitted" and found["samples"][0]["seal_no"] == "FT-0001"

    # Published in the products' own fields: the id is an object code, not a credit code.
    record = next(r for r in published_results(api, task_no, 1) if r["uscc"] == inspection["uscc"])
    assert record["object_kind"] == "product"
    citizen = browsers()
    citizen.goto(f"/results/{record['record_id']}")
    expect(citizen.get_by_text("对象编码").first).to_be_visible()
    expect(citizen.get_by_text(inspection["details"]["brand"]).first).to_be_visible()
    assert serious_violations(citizen) == []
    shot(citizen, "published-product")
