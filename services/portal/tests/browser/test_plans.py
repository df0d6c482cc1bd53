"""An annual plan through its whole approval chain in the browser (第四条): each person sees
only the step that is theirs; a refusal shows beside its field; a published plan is adjusted
as a new version."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import expect_state, serious_violations, sign_in

# A year no other test plans for: one plan per department and year.
YEAR = 2029


def _open(page: Page, name: str, plan_url: str) -> None:
    sign_in(page, name)
    page.goto(plan_url)


def test_a_plan_goes_through_the_whole_chain(page: Page, shot: Callable[[Page, str], Path]) -> None:
    plan_no = f"JH-{YEAR}-{uuid.uuid4().hex[:6]}"
    sign_in(page, "赵规范")
    page.goto("/console/plans")
    assert serious_violations(page) == []
    page.get_by_role("link", name="制定本科室年度计划").click()
    page.get_by_label("计划编号（本区唯一）").fill(plan_no)
    page.get_by_label("计划年度").fill(str(YEAR))
    page.get_by_label("计划名称").fill(f"{YEAR}年市场规范管理科双随机抽查工作计划")
    boxes = page.locator("input[name=code]")
    for n in range(boxes.count()):
        boxes.nth(n).check()
    page.get_by_label("LG-GS-01 A 级比例（%）").fill("3")
    # A period outside the plan's year: the planning service refuses it, beside that row.
    page.get_by_label("LG-DJ-01 结束日期").fill(f"{YEAR + 1}-01-31")
    assert serious_violations(page) == []
    page.get_by_role("button", name="保存草稿").click()
    row = page.locator("tr[data-code=LG-DJ-01]")
    expect(row.locator(".field-error")).to_contain_text(f"抽查时间应在 {YEAR} 年内")
    expect(page.get_by_label("LG-GS-01 A 级比例（%）")).to_have_value("3")  # kept as typed
    shot(page, "refused-beside-row")
    page.get_by_label("LG-DJ-01 结束日期").fill(f"{YEAR}-06-30")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_have_text("已保存计划草稿")
    expect_state(page, "草稿")
    expect(page.get_by_role("cell", name="A 3.0%")).to_be_visible()
    plan_url = page.url

    # Edit the draft, then submit it.
    page.get_by_role("link", name="修改草稿").click()
    page.get_by_label("计划名称").fill(f"{YEAR}年市场规范管理科抽查计划（修改）")
    page.get_by_role("button", name="保存草稿").click()
    expect(
        page.get_by_role("heading", name=f"{YEAR}年市场规范管理科抽查计划（修改）")
    ).to_be_visible()
    expect(page.get_by_role("button", name="分管局长审批签字", exact=True)).to_have_count(0)
    page.get_by_role("button", name="报分管局长审批签字").click()
    expect_state(page, "已报分管局长")
    expect(page.get_by_role("button", name="报分管局长审批签字")).to_have_count(0)

    # The deputy director returns it with a reason; the department resubmits.
    _open(page, "王分管", plan_url)
    page.get_by_label("退回理由").fill("抽查范围需细化")
    page.get_by_role("button", name="退回修改").click()
    expect_state(page, "草稿")
    expect(page.get_by_text("抽查范围需细化").first).to_be_visible()
    expect(page.get_by_role("button", name="分管局长审批签字", exact=True)).to_have_count(0)
    _open(page, "赵规范", plan_url)
    page.get_by_role("button", name="报分管局长审批签字").click()
    expect_state(page, "已报分管局长")

    _open(page, "王分管", plan_url)
    shot(page, "to-sign")
    page.get_by_role("button", name="分管局长审批签字", exact=True).click()
    expect_state(page, "分管局长已签字")

    # The credit department sees the year's coverage, then consolidates.
    sign_in(page, "张信用")
    page.goto(f"/console/plans?year={YEAR}")
    expect(page.locator("[data-coverage]")).to_have_attribute("data-coverage", "complete")
    shot(page, "coverage")
    page.get_by_role("button", name="汇总", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已汇总")
    page.goto(plan_url)
    expect_state(page, "信用监管科已汇总")
    expect(page.get_by_role("button", name="局长办公会批准")).to_have_count(0)

    _open(page, "局长办公会", plan_url)
    page.get_by_role("button", name="局长办公会批准").click()
    expect_state(page, "局长办公会已批准")

    _open(page, "张信用", plan_url)
    page.get_by_label("报市局备案日期").fill("2026-11-16")
    page.get_by_label("备案文号或回执编号").fill(f"威临市监备〔{YEAR}〕1号")
    page.get_by_role("button", name="记录报市局备案").click()
    expect_state(page, "已报市局备案")
    expect(page.get_by_text(f"威临市监备〔{YEAR}〕1号")).to_be_visible()

    _open(page, "李办公", plan_url)
    page.get_by_role("button", name="公示", exact=True).click()
    expect_state(page, "已公示")
    shot(page, "published")

    # A published plan is adjusted as a new version, with its reason.
    _open(page, "赵规范", plan_url)
    page.get_by_role("link", name="年内调整（新版本）").click()
    page.get_by_label("调整理由").fill("新增重点行业")
    page.get_by_role("button", name="新建调整版本").click()
    expect(page.get_by_role("status")).to_contain_text("已新建调整版本")
    expect_state(page, "草稿")
    expect(page.get_by_text("第 2 版（调整理由：新增重点行业）")).to_be_visible()
    expect(page.get_by_role("heading", name="各版本")).to_be_visible()
    shot(page, "adjusted")


def test_a_console_form_without_its_token_is_refused(page: Page) -> None:
    sign_in(page, "赵规范")
    answer = page.request.post(
        "/console/plans/new",
        form={"plan_no": "JH-CSRF", "year": str(YEAR), "plan_name": "无令牌"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "表单已过期或来源不明" in answer.text()
    page.goto("/console/plans")
    expect(page.get_by_text("JH-CSRF")).to_have_count(0)
