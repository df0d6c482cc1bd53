"""Signing in and the console's home: what awaits each role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import sign_in


def test_sign_in_lists_what_awaits_the_credit_department(
    page: Page, shot: Callable[[Page, str], Path]
) -> None:
    page.goto("/console")
    expect(page).to_have_url("/console/login?next=%2Fconsole")  # not signed in: sign in first
    shot(page, "login")
    sign_in(page, "张信用")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.get_by_role("heading", name="年度计划待汇总")).to_be_visible()
    expect(page.get_by_role("heading", name="异议待复查")).to_be_visible()
    shot(page, "home")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_have_text("已退出登录")
    page.goto("/console")
    expect(page).to_have_url("/console/login?next=%2Fconsole")
