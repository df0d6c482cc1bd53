"""Statistics and accountability in the browser: every chart drawn (a canvas, by ECharts,
vendored) with its table beside it, no error in the console, accessible, on a phone too."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from .conftest import serious_violations, sign_in
from .scenario import CREDIT, Services, approved_task, eventually

CHARTS = ("departments", "categories", "kinds", "trend", "inspector_rates", "inspectors")


def _open_statistics(page: Page) -> list[str]:
    """Signs in and opens the page; the list fills with script errors and failed requests (the
    browser's own favicon request aside)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    sign_in(page, "张信用")
    page.goto("/console/statistics")
    return errors


def _is_error(message: ConsoleMessage) -> bool:
    """A console error other than the report of a failed request (listed by its URL)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def test_statistics_draw_charts_beside_their_tables(
    page: Page, phone: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    task_no = f"STA-{uuid.uuid4().hex[:8]}"
    approved_task(api, task_no, {"E": 30})

    def counted() -> bool:
        found = api.call("GET", "/api/archives/statistics", CREDIT, params={"year": 2026})
        return any(t["task_no"] == task_no for t in found["tasks"])

    eventually(counted, "the task in the statistics")

    errors = _open_statistics(page)
    expect(page.get_by_role("heading", name="统计与责任追究", exact=True)).to_be_visible()
    for key in CHARTS:
        expect(page.locator(f"#chart-{key} canvas")).to_have_count(1)
        expect(page.locator(f"#chart-{key} + .table-scroll table")).to_be_visible()
    departments = page.locator("section.chart-pair", has_text="各科室完成率与公示率")
    expect(departments.locator("tbody")).to_contain_text("市场规范管理科")
    expect(
        page.get_by_role("heading", name="责任追究（第十三条）：谁在何时未做什么")
    ).to_be_visible()
    assert serious_violations(page) == []
    shot(page, "desktop")
    assert errors == []

    phone_errors = _open_statistics(phone)
    expect(phone.locator("#chart-trend canvas")).to_have_count(1)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    shot(phone, "phone")
    assert phone_errors == []
