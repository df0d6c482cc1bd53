"""Dossiers (档案, 第十二条) in the browser: a task's dossier by category, every entry with its
hash; the hash chain verified ("哈希链完整"); the export downloaded through the portal."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from .conftest import serious_violations, sign_in
from .scenario import CREDIT, Services, approved_task, eventually


def test_dossier_verifies_and_exports(
    page: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task_no = f"DOS-{uuid.uuid4().hex[:8]}"
    task_id = approved_task(api, task_no, {"E": 30})["task_id"]

    def filed() -> Any:
        response = api.answer("GET", f"/api/archives/dossiers/{task_id}/contents", CREDIT)
        if response.status_code == 404:  # the task's events have not reached archives yet
            return None
        d = response.raise_for_status().json()
        return d if d["entry_count"] >= 2 else None

    dossier = eventually(filed, "the approved task in its dossier")

    sign_in(page, "张信用")
    page.goto("/console/dossiers")
    page.get_by_role("link", name=task_no).click()
    expect(page.get_by_role("heading", name="任务档案")).to_be_visible()
    plan = page.locator("section.dossier-category", has_text="抽查实施方案")
    for entry in dossier["categories"][1]["entries"]:
        expect(plan).to_contain_text(entry["entry_hash"])
    expect(plan).to_contain_text("实施方案批准")

    page.get_by_role("button", name="校验哈希链").click()
    result = page.locator("#verification")
    expect(result).to_contain_text("哈希链完整")
    expect(result).to_contain_text(f"{dossier['entry_count']} 个条目逐一校验通过")
    assert serious_violations(page) == []
    shot(page, "verified")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出档案").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert task_id in json.dumps(exported)
