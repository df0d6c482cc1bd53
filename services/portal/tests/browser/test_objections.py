"""Objections (第十一条) in the browser: the entity files one online against its published
result; the supervising department reviews it (更正, with the corrected item); the credit
department requests the correction of the city bureau, records the city's grant and the
feedback; the three clocks show on the way.

The published result is set up over HTTP (``scenario``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from .conftest import TODAY, serious_violations, sign_in, sign_in_entity, sign_out
from .scenario import CREDIT, Services, approved_task, eventually, published_cycle


def published_result(api: Services, task_no: str) -> dict[str, Any]:
    """One published result of a new task (its record), after the whole cycle."""
    task = approved_task(api, task_no, {"E": 30}, title=f"{task_no} 企业公示信息抽查（异议测试）")
    return published_cycle(api, task, inspected=1).records[0]


def clock(page: Page, key: str) -> Any:
    return page.locator(f"table.clocks tr[data-clock='{key}']")


def test_entity_objects_and_the_correction_is_published(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    record = published_result(api, f"OBJ-{uuid.uuid4().hex[:8]}")

    # The entity, signed in with its USCC, files its objection from the result's link.
    page.goto(f"/console/objections/new?record_id={record['record_id']}")
    sign_in_entity(page, record["uscc"])
    expect(page.get_by_role("heading", name="对检查结果提出异议")).to_be_visible()
    expect(page.get_by_text(record["entity_name"])).to_be_visible()
    page.get_by_label("异议理由").fill("本单位已于检查前按规定公示年度报告")
    shot(page, "entity-form")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("status")).to_have_text("异议已提交，等待复查")
    objection_id = page.url.split("/")[-1].split("?")[0]
    # The three clocks: review running (20 working days from today), the others not started.
    expect(clock(page, "review")).to_contain_text("2026-12-14")
    expect(clock(page, "review")).to_contain_text("剩余 20 个工作日")
    expect(clock(page, "feedback")).to_contain_text("未开始")
    expect(clock(page, "correction")).to_contain_text("未开始")
    assert serious_violations(page) == []
    shot(page, "entity-filed")
    sign_out(page)

    # The lead department reviews: without a decision the service's reason shows at the field.
    sign_in(page, "赵规范")
    page.goto(f"/console/objections/{objection_id}")
    page.get_by_label("复查意见").fill("复查确认企业已按时公示年度报告")
    page.get_by_role("button", name="登记复查结果").click()
    decision = page.locator("fieldset", has_text="复查结果")
    expect(decision.locator(".field-error")).to_be_visible()
    shot(page, "decision-refused")
    page.get_by_label("确有错误，予以更正").check()
    page.get_by_label("检查结果", exact=True).first.select_option("未发现问题")
    page.get_by_role("button", name="登记复查结果").click()
    expect(page.get_by_role("status")).to_have_text("复查结果已登记")
    expect(clock(page, "review")).to_contain_text("已完成（2026-11-16）")
    expect(clock(page, "feedback")).to_contain_text("剩余 15 个工作日")
    expect(clock(page, "correction")).to_contain_text("剩余 5 个工作日")
    assert serious_violations(page) == []
    shot(page, "decided")
    sign_out(page)

    # The credit department requests the correction of the city bureau: the correction
    # clock stops until the city replies; the reply is recorded on the request's page.
    sign_in(page, "张信用")
    page.goto(f"/console/objections/{objection_id}")
    page.get_by_label("报请文件文号").fill("临市监信〔2026〕31号")
    page.get_by_role("button", name="报请市局更正").click()
    expect(page.get_by_role("status")).to_have_text("已向市局报请更正，待市局批复")
    expect(page.get_by_text("更正期限停止计算")).to_be_visible()
    page.locator("dd a[href^='/console/corrections/']").click()  # the request's page
    page.get_by_label("同意更正", exact=True).check()
    page.get_by_label("市局批复文号").fill("威市监函〔2026〕9号")
    page.get_by_role("button", name="登记市局批复").click()
    expect(page.get_by_role("status")).to_have_text("已登记市局批复：同意更正")
    assert serious_violations(page) == []
    shot(page, "city-granted")
    page.get_by_role("link", name="异议复查确有错误").click()
    page.get_by_label("反馈方式、送达情况").fill("电话告知并送达复查结果告知书")
    page.get_by_role("button", name="登记已反馈").click()
    expect(page.get_by_role("status")).to_have_text("已登记反馈检查对象")
    expect(clock(page, "feedback")).to_contain_text("已完成（2026-11-16）")
    shot(page, "corrected")

    # In the services: the objection corrected, submitted, fed back; the result's new version.
    found = api.call("GET", f"/api/objections/objections/{objection_id}", CREDIT)
    assert found["status"] == "corrected"
    assert found["correction_submitted_by"] == "zhang.credit" and found["city_granted"] is True
    assert found["feedback_given_on"] == TODAY.isoformat()
    assert found["feedback_note"] == "电话告知并送达复查结果告知书"

    def corrected() -> Any:
        versions = api.call("GET", f"/public/results/{record['record_id']}")["versions"]
        return versions if len(versions) == 2 else None

    versions = sorted(eventually(corrected, "the correction"), key=lambda v: v["version"])
    assert versions[0]["status"] == "superseded"
    assert versions[1]["status"] == "current" and versions[1]["objection_id"] == objection_id
    assert versions[1]["results"][0]["category"] == "未发现问题"

    # The list shows the three clocks of every objection, in colour and in words.
    page.goto("/console/objections")
    row = page.locator("tr", has=page.locator(f"a[href='/console/objections/{objection_id}']"))
    expect(row.locator("td[data-clock]")).to_have_count(3)
    expect(row.locator("td[data-clock='review']")).to_contain_text("已完成")
    expect(row.locator("td[data-clock='feedback'] .badge.ok")).to_contain_text("已完成")
    assert serious_violations(page) == []
    shot(page, "list")
