"""The public site with scripts turned off, on a phone: a citizen searches, reads a result and
its entity, a task and its draw, and downloads what the Python verifier needs — everything
but the in-browser verification works without JavaScript."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .scenario import Services, approved_task, published_cycle


def test_a_citizen_reads_the_site_on_a_phone_with_scripts_off(
    browsers: Callable[..., Page], server: str, shot: Callable[[Page, str], Path]
) -> None:
    task_no = f"NOJS-{uuid.uuid4().hex[:8]}"
    title = f"{task_no} 无脚本公示测试"
    task = approved_task(Services(server), task_no, {"E": 30}, title=title, publish=True)
    record = published_cycle(Services(server), task, inspected=1).records[0]
    page = browsers(phone=True, javascript=False)

    page.goto("/")
    page.get_by_label("查询检查结果").fill(record["entity_name"])
    page.get_by_role("button", name="查询").click()  # a plain GET form
    expect(page).to_have_url(re.compile(r"/results\?q="))
    page.get_by_role("link", name=record["entity_name"]).first.click()
    expect(page.get_by_text(task["title"]).first).to_be_visible()
    shot(page, "result")

    page.goto(f"/tasks/{task['task_id']}")
    expect(page.get_by_role("heading", name=task["title"])).to_be_visible()
    page.get_by_role("link", name="在浏览器中验证").first.click()  # the draw's own page
    expect(page.get_by_text("verify_draw.py").first).to_be_visible()
    bundle = page.get_by_role("link", name="可验证数据包 bundle.json").get_attribute("href")
    assert bundle and page.request.get(bundle).status == 200  # the Python verifier's input
    shot(page, "draw")

    page.goto(f"/entities/{record['uscc']}")
    expect(page.get_by_text(task["title"]).first).to_be_visible()
    shot(page, "entity")
