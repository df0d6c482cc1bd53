"""One visit, many checks (进一次门、查多项事, 第八条) in the browser: an entity drawn by two tasks
in the same period is visited once; the visit's leader records both tasks' items on one form
(a missing result refused beside its row) and the results land on both inspections.

Set up over HTTP (``scenario``): an entity of our own in an area of its own, two tasks drawing
that area (half of one entity rounds up to it), each draw completed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from spotcheck_common import uscc

from .conftest import ENTITY_HEADER, serious_violations, sign_in_inspector
from .scenario import (
    CREDIT,
    ITEMS,
    PENDING,
    PROBLEM,
    SUPERVISOR,
    Services,
    approved_task,
    completed_draw,
    eventually,
    opened_inspections,
)


def entity_of_its_own(api: Services, area: str) -> tuple[str, str]:
    """A class-C entity registered in the district, alone in ``area``: its USCC and name."""
    code = uscc.synthetic(1, seed=uuid.uuid4().int % 10**9, area_code="371071")[0]
    name = f"{area}商贸有限公司"
    row = f"{code},{name},有限责任公司,批发和零售业,{area},C,存续,{area}1号"
    csv = f"{ENTITY_HEADER}\n{row}\n".encode()
    api.call(
        "POST",
        "/api/registry/entities/import",
        CREDIT,
        content=csv,
        params={"filename": "visit.csv"},
    )
    return code, name


def drawn_in(api: Services, task_no: str, area: str) -> dict[str, Any]:
    """A task drawing half of class C in ``area``, due in 60 days; its one inspection."""
    title = f"{task_no} 现场检查（进一次门）"
    task = approved_task(
        api, task_no, {"C": 5000}, title=title, target_filter={"areas": [area]}, days=60
    )
    draw = completed_draw(api, task["task_id"], min_population=1)
    [inspection] = opened_inspections(api, draw)
    return inspection


def test_visit_leader_records_both_tasks_on_one_form(
    phone: Page, server: str, shot: Callable[[Page, str], Path]
) -> None:
    api = Services(server)
    tag = uuid.uuid4().hex[:6]
    area = f"进门测试区{tag}"
    code, name = entity_of_its_own(api, area)
    first = drawn_in(api, f"JM1-{tag}", area)
    second = drawn_in(api, f"JM2-{tag}", area)
    assert first["uscc"] == second["uscc"] == code

    def grouped() -> Any:
        found = [
            api.call("GET", f"/api/inspections/inspections/{i['inspection_id']}", SUPERVISOR)
            for i in (first, second)
        ]
        ids = {i["visit_id"] for i in found}
        return ids.pop() if len(ids) == 1 and None not in ids else None

    visit_id = eventually(grouped, "the two inspections to form one visit")
    visit = api.call("GET", f"/api/inspections/visits/{visit_id}", SUPERVISOR)
    leader = visit["leader"]["inspector_id"]
    assert {i["task_id"] for i in visit["inspections"]} == {first["task_id"], second["task_id"]}

    # The leader reaches the visit from the lead task's record form.
    sign_in_inspector(phone, leader)
    phone.goto(f"/console/inspections/{visit['lead_inspection_id']}")
    phone.get_by_role("link", name="查看本次检查的全部任务").click()
    expect(phone.get_by_role("heading", name=name)).to_be_visible()
    for task_no in (f"JM1-{tag}", f"JM2-{tag}"):
        expect(phone.get_by_role("link", name=task_no)).to_be_visible()
    rows = phone.locator("fieldset[data-row]")
    expect(rows).to_have_count(len(visit["check_items"]))
    assert serious_violations(phone) == []
    shot(phone, "visit")

    # Every row but the last: the service refuses, its reason beside the empty row.
    last = len(visit["check_items"]) - 1
    for n in range(last):
        phone.locator(f"#f-category-{n}").select_option("未发现问题")
    phone.get_by_role("button", name="保存本次检查结果").click()
    expect(phone.locator(f"#e-category-{last}")).not_to_be_empty()
    expect(phone.locator("#f-category-0")).to_have_value("未发现问题")
    shot(phone, "refused")

    # The lead task's first item with a finding, every other item clean.
    phone.locator("#f-category-0").select_option(PROBLEM)
    phone.locator("#f-pending-0").select_option(PENDING)
    phone.locator("#f-remark-0").fill("年报未公示")
    phone.locator(f"#f-category-{last}").select_option("未发现问题")
    phone.get_by_role("button", name="保存本次检查结果").click()
    expect(phone.get_by_role("status")).to_contain_text("本次检查各任务的结果已保存")
    shot(phone, "saved")

    # Both inspections hold their own items' results, as recorded on the one form.
    expected = {
        (item["task_id"], item["code"]): ("未发现问题", None) for item in visit["check_items"]
    }
    first_item = visit["check_items"][0]
    expected[(first_item["task_id"], first_item["code"])] = (PROBLEM, PENDING)
    for inspection in (first, second):
        found = api.call(
            "GET", f"/api/inspections/inspections/{inspection['inspection_id']}", SUPERVISOR
        )
        assert found["status"] == "recorded"
        got = {
            (inspection["task_id"], r["check_item_code"]): (r["category"], r["pending_reason"])
            for r in found["results"]
        }
        assert got == {k: v for k, v in expected.items() if k[0] == inspection["task_id"]}
        assert {r["check_item_code"] for r in found["results"]} == {i["code"] for i in ITEMS}
