"""A paper objection (书面异议, 第十一条) in the browser: the credit department registers the
entity's written application with its scan and the day it was received; without a scan, or
dated in the future, it is refused beside the field; the objection is listed with its clocks
and its scan downloads through the portal exactly as it was uploaded.

The published result is set up over HTTP (``scenario``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import TODAY, png, serious_violations, sign_in
from .scenario import CREDIT, Services, approved_task, published_cycle


def test_credit_department_registers_a_paper_objection_with_its_scan(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task_no = f"SMYY-{uuid.uuid4().hex[:8]}"
    task = approved_task(api, task_no, {"E": 30}, title=f"{task_no} 企业公示信息抽查（书面异议）")
    record = published_cycle(api, task, inspected=1).records[0]
    scan = png()

    sign_in(page, "张信用")
    page.goto("/console/objections")
    page.get_by_role("link", name="登记书面异议").click()
    expect(page.get_by_role("heading", name="登记书面异议申请")).to_be_visible()
    page.get_by_label("公示记录编号").fill(record["record_id"])
    page.get_by_label("申请人统一社会信用代码").fill(record["uscc"])
    page.get_by_label("异议理由（申请书所述）").fill("本单位已按时公示年度报告，申请复查")
    page.get_by_label("收到书面申请之日").fill(TODAY.isoformat())
    assert serious_violations(page) == []
    shot(page, "form")

    # Without a scan (the browser's own check set aside, as a form sent otherwise would be):
    # the objections service refuses, its reason beside the file field.
    page.get_by_label("申请书扫描件").evaluate("input => input.removeAttribute('required')")
    page.get_by_role("button", name="登记书面异议").click()
    expect(page.locator("#e-file")).not_to_be_empty()
    expect(page.get_by_label("异议理由（申请书所述）")).to_have_value(
        "本单位已按时公示年度报告，申请复查"
    )
    shot(page, "refused-no-scan")

    # Received tomorrow: refused beside the date.
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    page.get_by_label("收到书面申请之日").fill(tomorrow)
    page.get_by_label("申请书扫描件").set_input_files(
        {"name": "异议申请书.png", "mimeType": "image/png", "buffer": scan}
    )
    page.get_by_role("button", name="登记书面异议").click()
    expect(page.locator("#e-received_on")).not_to_be_empty()
    expect(page.locator("#e-file")).to_have_count(0)
    shot(page, "refused-future")

    # Received today, with the scan: registered.
    page.get_by_label("收到书面申请之日").fill(TODAY.isoformat())
    page.get_by_label("申请书扫描件").set_input_files(
        {"name": "异议申请书.png", "mimeType": "image/png", "buffer": scan}
    )
    page.get_by_role("button", name="登记书面异议").click()
    expect(page.get_by_role("status")).to_have_text("书面异议申请已登记")
    objection_id = page.url.split("?")[0].rsplit("/", 1)[1]
    digest = hashlib.sha256(scan).hexdigest()
    expect(page.get_by_text("书面申请，信用监管科登记")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(digest)
    shot(page, "registered")

    # The scan downloads through the portal, byte for byte.
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 异议申请书.png").click()
    assert Path(download.value.path()).read_bytes() == scan

    # In the service: a paper objection received today, its scan kept with its SHA-256.
    found = api.call("GET", f"/api/objections/objections/{objection_id}", CREDIT)
    assert (found["record_id"], found["uscc"]) == (record["record_id"], record["uscc"])
    assert found["received_on"] == TODAY.isoformat()
    assert (found["scan"]["sha256"], found["scan"]["size"]) == (digest, len(scan))

    # The list: marked 书面, its three clocks, the review running from today.
    page.goto("/console/objections")
    row = page.locator("tr", has=page.locator(f"a[href='/console/objections/{objection_id}']"))
    expect(row).to_contain_text("书面")
    expect(row.locator("td[data-clock]")).to_have_count(3)
    expect(row.locator("td[data-clock='review']")).to_contain_text("剩余 20 个工作日")
    expect(row.locator("td[data-clock='feedback']")).to_contain_text("未开始")
    assert serious_violations(page) == []
    shot(page, "list")
