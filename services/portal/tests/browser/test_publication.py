"""Publication, for the credit department: the export for the national publicity system, and
a correction of a published result (a new version, the old one kept)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import serious_violations, sign_in
from .scenario import Services, drawn_inspection, published_results, submit


def test_credit_department_exports_and_corrects_a_published_result(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task, inspection = drawn_inspection(api, f"GS-{uuid.uuid4().hex[:8]}")
    submit(api, inspection)
    [record] = published_results(api, task["task_no"], 1)
    task_no = task["task_no"]
    sign_in(page, "张信用")
    page.goto("/console/publication")
    expect(page.get_by_role("heading", name="检查结果公示")).to_be_visible()
    expect(page.get_by_role("heading", name="依法不予公示")).to_be_visible()
    assert serious_violations(page) == []

    # The export, streamed with the person's own token.
    page.get_by_label("任务编号").nth(1).fill(task_no)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载导出文件").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("抽查计划编号,抽查计划名称,抽查任务编号")
    assert sum(task_no in line for line in exported.splitlines()) == 2  # one per item

    # Find the result and correct its first item.
    page.get_by_label("任务编号").first.fill(task_no)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=record["entity_name"]).click()
    expect(page.get_by_role("heading", name="第 1 版")).to_be_visible()
    shot(page, "record")

    # Nothing changed: the service says there is nothing to correct.
    page.get_by_label("更正理由").fill("核对录入")
    page.get_by_role("button", name="发布更正").click()
    expect(page.get_by_role("alert").first).to_contain_text("无需更正")

    page.locator("#f-category-0").select_option("发现问题经责令已改正")
    page.locator("#f-remark-0").fill("检查时已责令改正并补报年报")
    page.get_by_label("更正理由").fill("检查组长录入时误选检查结果")
    page.get_by_role("button", name="发布更正").click()
    expect(page.get_by_role("status")).to_contain_text("已发布更正后的第 2 版")
    expect(page.get_by_role("heading", name="第 1 版")).to_contain_text("已被更正")
    shot(page, "corrected")

    detail = api.call("GET", f"/public/results/{record['record_id']}")
    first, second = sorted(detail["versions"], key=lambda v: v["version"])
    assert first["status"] == "superseded"
    assert first["results"][0]["category"] == "发现问题待后续处理"  # the original is kept
    assert second["status"] == "current" and second["reason"] == "检查组长录入时误选检查结果"
    assert [r["category"] for r in second["results"]] == ["发现问题经责令已改正", "未发现问题"]
