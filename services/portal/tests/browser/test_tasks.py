"""A task (实施方案) drafted by its department, approved by the deputy director and published;
a task received from the city bureau; a refusal beside its field."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import expect_state, serious_violations, sign_in


def test_a_task_is_drafted_approved_and_published(
    page: Page, shot: Callable[[Page, str], Path]
) -> None:
    task_no = f"RW-{uuid.uuid4().hex[:8]}"
    sign_in(page, "赵规范")
    page.goto("/console/tasks")
    assert serious_violations(page) == []
    page.get_by_role("link", name="新建实施方案").click()
    page.get_by_label("任务编号（本区唯一）").fill(task_no)
    page.get_by_label("任务名称").fill(f"企业公示信息抽查 {task_no}")
    page.get_by_label("检查截止日期").fill("2026-12-20")
    page.get_by_label("企业公示信息抽查").check()
    page.get_by_label("区域（多个用逗号分隔，空为不限）").fill("汪疃镇")
    assert serious_violations(page) == []
    # No ratio at all: the planning service refuses, beside the ratios.
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#e-ratio_bp")).to_contain_text("至少一个风险等级的抽查比例须大于 0")
    expect(page.get_by_label("任务编号（本区唯一）")).to_have_value(task_no)
    shot(page, "refused")
    page.get_by_label("A 级（%）").fill("0.1")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_contain_text("已保存实施方案草稿")
    expect_state(page, "草稿")
    expect(page.get_by_text("A 0.1%")).to_be_visible()
    expect(page.get_by_role("button", name="公示实施方案")).to_have_count(0)
    task_url = page.url

    sign_in(page, "王分管")
    page.goto(task_url)
    page.get_by_role("button", name="分管局长审批（批准实施方案）").click()
    expect_state(page, "已批准")

    sign_in(page, "赵规范")
    page.goto(task_url)
    page.get_by_role("button", name="公示实施方案").click()
    expect_state(page, "已公示")
    shot(page, "published")
    page.goto("/console/tasks?status=published")
    expect(page.get_by_role("cell", name=task_no, exact=True)).to_be_visible()


def test_the_credit_department_receives_a_task_from_the_city(
    page: Page, shot: Callable[[Page, str], Path]
) -> None:
    task_no = f"SJ-{uuid.uuid4().hex[:8]}"
    sign_in(page, "张信用")
    page.goto("/console/tasks/receive")
    page.get_by_label("下派机关").fill("威海市市场监督管理局")
    page.get_by_label("下派文号").fill("威市监函〔2026〕8号")
    page.get_by_label("任务编号（本区唯一）").fill(task_no)
    page.get_by_label("任务名称").fill(f"市局下派登记事项检查 {task_no}")
    page.get_by_label("牵头（主办）科室").select_option("市场规范管理科")
    page.get_by_label("检查截止日期").fill("2026-12-25")
    page.get_by_label("登记事项检查").check()
    page.get_by_label("C 级（%）").fill("0.2")
    page.locator("fieldset", has_text="检查人员选派范围").get_by_label("市场规范管理科").check()
    page.get_by_role("button", name="接收任务").click()
    expect(page.get_by_role("status")).to_contain_text("已接收下派任务")
    expect(page.get_by_text("市局下派（威海市市场监督管理局 威市监函〔2026〕8号）")).to_be_visible()
    expect_state(page, "草稿")
    shot(page, "received")
