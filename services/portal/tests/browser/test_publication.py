"""Publication, for the credit department: the export for the national publicity system, and
an error the bureau found in a published result, requested of the city bureau (第九条): the
city's grant, recorded with a scan of its document, publishes a new version, the old one
kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from .conftest import serious_violations, sign_in
from .scenario import Services, drawn_inspection, eventually, published_results, submit


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

    # Find the result and request the correction of its first item of the city bureau.
    page.get_by_label("任务编号").first.fill(task_no)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=record["entity_name"]).click()
    expect(page.get_by_role("heading", name="第 1 版")).to_be_visible()
    shot(page, "record")

    # Nothing changed: the service says there is nothing to correct.
    page.get_by_label("更正理由").fill("核对录入")
    page.get_by_label("报请文件文号").fill("临市监信〔2026〕21号")
    page.get_by_role("button", name="报请市局更正").click()
    expect(page.get_by_role("alert").first).to_contain_text("更正结果与现公示结果相同")

    page.locator("#f-category-0").select_option("发现问题经责令已改正")
    page.locator("#f-remark-0").fill("检查时已责令改正并补报年报")
    page.get_by_label("更正理由").fill("检查组长录入时误选检查结果")
    page.get_by_label("报请文件文号").fill("临市监信〔2026〕21号")
    page.get_by_role("button", name="报请市局更正").click()
    expect(page.get_by_role("status")).to_contain_text("已向市局报请更正（临市监信〔2026〕21号）")
    expect(page.get_by_text("已报市局，待批复").first).to_be_visible()
    assert serious_violations(page) == []
    shot(page, "requested")
    # Nothing is published before the city's reply.
    detail = api.call("GET", f"/public/results/{record['record_id']}")
    assert len(detail["versions"]) == 1

    # The city's grant, with a scan of its document; a refusal would need a reason.
    scan = b"%PDF-1.4\n% city reply\n"
    page.get_by_label("不予更正", exact=True).check()
    page.get_by_label("市局批复文号").fill("威市监函〔2026〕8号")
    page.get_by_role("button", name="登记市局批复").click()
    expect(page.locator("#e-reason")).to_contain_text("须填写理由")
    page.get_by_label("同意更正", exact=True).check()
    page.get_by_label("批复扫描件").set_input_files(
        files=[{"name": "市局批复.pdf", "mimeType": "application/pdf", "buffer": scan}]
    )
    page.get_by_role("button", name="登记市局批复").click()
    expect(page.get_by_role("status")).to_contain_text("已登记市局批复：同意更正")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 市局批复.pdf").click()
    assert Path(download.value.path()).read_bytes() == scan
    shot(page, "granted")

    # Publication issues version 2 on the grant; version 1 is kept and marked.
    def corrected() -> Any:
        found = api.call("GET", f"/public/results/{record['record_id']}")
        return found if len(found["versions"]) == 2 else None

    eventually(corrected, "the granted correction to be published")
    page.get_by_role("link", name="公示记录").click()
    expect(page.get_by_role("heading", name="第 1 版")).to_contain_text("已被更正")
    expect(page.get_by_text("市局同意更正").first).to_be_visible()
    shot(page, "corrected")

    detail = api.call("GET", f"/public/results/{record['record_id']}")
    first, second = sorted(detail["versions"], key=lambda v: v["version"])
    assert first["status"] == "superseded"
    assert first["results"][0]["category"] == "发现问题待后续处理"  # the original is kept
    assert second["status"] == "current" and second["reason"] == "检查组长录入时误选检查结果"
    assert [r["category"] for r in second["results"]] == ["发现问题经责令已改正", "未发现问题"]
