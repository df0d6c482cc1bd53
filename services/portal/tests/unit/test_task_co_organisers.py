"""Joint checks with other agencies (联合检查单位, 第三条) on the console's task pages, on a fake of
the services' APIs: the form's agency slots become the task's ``co_organisers`` (used slots
only, in order; items "编号 名称" a line), planning's refusal of an agency's field is shown beside
that agency's input, and the task page lists each agency with its items and team share."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from portal.adapters.api import ApiError, FieldError
from portal.domain import tasks as rules
from portal.entrypoints.console import tasks
from portal.entrypoints.web import csrf_of

from .fakes import FakeApi, console_site

TOKEN = "token-of-zhao"
CSRF = csrf_of(TOKEN)
WHO = {
    "user": "zhao.reg",
    "district": "lingang",
    "roles": ["supervising_dept"],
    "department": "市场规范管理科",
}
ITEMS = {"items": [{"code": "LG-GS-01", "name": "企业公示信息抽查"}]}
INSPECTORS = {"items": [{"department": "市场规范管理科"}, {"department": "信用监管科"}]}
FORM = {
    "csrf": CSRF,
    "task_no": "LG-T-9",
    "title": "企业公示信息与涉税事项联合检查",
    "lead_department": "市场规范管理科",
    "check_items": "LG-GS-01",
    "inspector_departments": "市场规范管理科",
    "methods": "现场检查",
    "co_lead_departments": "信用监管科",
    "ratio_E": "20",
    "team_size": "2",
    "deadline": "2026-12-20",
}
# The tax office typed in the second slot, the first left blank: it is the body's first agency.
TAX = {
    "co_1_agency": "tax",
    "co_1_name": "国家税务总局威海市临港区税务局",
    "co_1_items": "SW-01 发票管理检查\n\nSW-02\u3000税务登记信息核查\n",
    "co_1_per_team": "2",
}
TAX_BODY = {
    "agency": "tax",
    "name": "国家税务总局威海市临港区税务局",
    "check_items": [
        {"code": "SW-01", "name": "发票管理检查"},
        {"code": "SW-02", "name": "税务登记信息核查"},
    ],
    "inspectors_per_team": 2,
}


class SignedInApi(FakeApi):
    def __init__(self, answers: dict[str, Any]) -> None:
        base = {
            "/auth/whoami": WHO,
            "/api/registry/check-items": ITEMS,
            "/api/registry/inspectors": INSPECTORS,
            "/api/planning/plans": {"items": []},
        }
        super().__init__(base | answers)

    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, tasks.router)


def sent(api: FakeApi) -> dict[str, Any]:
    ((body,),) = [(b,) for m, p, b in api.calls if (m, p) == ("POST", "/api/planning/tasks")]
    return dict(body)


def test_the_used_slots_are_the_agencies_in_order_and_the_rest_of_the_form_is_kept() -> None:
    form = rules.compact_co_organisers(
        {"co_lead_departments": "信用监管科", "co_0_per_team": "3", **TAX}
    )
    assert form["co_lead_departments"] == "信用监管科"  # not an agency's input
    assert form["co_0_agency"] == "tax" and form["co_0_per_team"] == "2"
    assert "co_1_agency" not in form  # a slot with only its default count is not an agency
    co, errors = rules.co_organisers_of(form)
    assert (co, errors) == ([TAX_BODY], {})


def test_an_agency_without_its_count_sends_one_and_a_line_without_a_name_is_refused() -> None:
    co, errors = rules.co_organisers_of(
        {"co_0_agency": "eco", "co_0_name": "生态环境分局", "co_0_items": "HB-01 排污许可\nHB-02"}
    )
    assert co[0]["inspectors_per_team"] == 1
    assert errors == {"co_0_items": "第 2 行应为「编号 名称」，如 SW-01 发票管理检查"}
    body, own = rules.body_of({"co_0_agency": "eco", "co_0_per_team": "两"}, {}, {}, False)
    assert body["co_organisers"][0]["inspectors_per_team"] == "两"  # planning names it
    assert body["co_organisers"][0]["check_items"] == [] and own == {}


def test_a_task_without_agencies_sends_none() -> None:
    body, _ = rules.body_of({"co_0_per_team": "1"}, {}, {}, False)
    assert body["co_organisers"] == []


@pytest.mark.parametrize(
    ("api_field", "form_field"),
    [
        ("co_organisers[1].agency", "co_1_agency"),
        ("co_organisers[0].name", "co_0_name"),
        ("co_organisers[2].check_items[1].code", "co_2_items"),
        ("co_organisers[0].check_items", "co_0_items"),
        ("co_organisers[0].inspectors_per_team", "co_0_per_team"),
        ("co_organisers[0]", "co_organisers"),
        ("co_organisers", "co_organisers"),
        ("co_lead_departments", "co_lead_departments"),
    ],
)
def test_an_agencys_refusal_is_found_on_its_slot(api_field: str, form_field: str) -> None:
    assert rules.form_field(api_field) == form_field


async def test_the_form_offers_three_agencies_and_sends_the_typed_one() -> None:
    api = SignedInApi({"/api/planning/tasks": {"task_id": "t9"}})
    async with site(api) as client:
        page = await client.get("/console/tasks/new")
        answer = await client.post("/console/tasks/new", data=FORM | TAX)
    assert page.status_code == 200, page.text
    assert page.text.count('<fieldset class="co-organiser">') == rules.CO_SLOTS
    assert 'name="co_2_items"' in page.text and 'name="co_3_items"' not in page.text
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/console/tasks/t9")
    body = sent(api)
    assert body["co_organisers"] == [TAX_BODY]
    assert body["check_items"] == [{"code": "LG-GS-01", "name": "企业公示信息抽查"}]


async def test_planning_refusing_an_agencys_item_is_shown_beside_that_agencys_items() -> None:
    refusal = ApiError(
        422,
        "抽查任务内容不符合要求",
        [
            FieldError("co_organisers[0].check_items[0]", "检查事项「SW-01」已是本局的事项"),
            FieldError("co_organisers", "每组人数（本局 19 人、联合检查单位 2 人）超过 20 人"),
        ],
    )
    api = SignedInApi({"/api/planning/tasks": refusal})
    async with site(api) as client:
        answer = await client.post("/console/tasks/new", data=FORM | TAX)
    assert answer.status_code == 422
    text = answer.text
    # the agency typed in the second slot comes back in the first, its reason beside its items
    assert 'id="f-co_0_agency" name="co_0_agency" type="text" value="tax"' in text
    items_at = text.index('id="f-co_0_items"')
    error_at = text.index('id="e-co_0_items"')
    assert items_at < error_at < text.index('id="f-co_1_agency"')
    assert "检查事项「SW-01」已是本局的事项" in text[error_at : error_at + 200]
    assert 'id="e-co_organisers">每组人数（本局 19 人、联合检查单位 2 人）超过 20 人' in text
    assert "SW-02\u3000税务登记信息核查" in text  # as typed


async def test_a_line_without_a_name_is_refused_before_planning_is_asked() -> None:
    api = SignedInApi({"/api/planning/tasks": {"task_id": "t9"}})
    async with site(api) as client:
        answer = await client.post("/console/tasks/new", data=FORM | TAX | {"co_1_items": "SW-01"})
    assert answer.status_code == 422
    assert 'id="e-co_0_items">第 1 行应为「编号 名称」' in answer.text
    assert not [c for c in api.calls if c[0] == "POST"]


async def test_the_task_page_lists_its_agencies() -> None:
    task = {
        "task_id": "t9",
        "task_no": "LG-T-9",
        "title": "企业公示信息与涉税事项联合检查",
        "status": "draft",
        "source": "local",
        "lead_department": "市场规范管理科",
        "check_items": [{"code": "LG-GS-01", "name": "企业公示信息抽查"}],
        "target_filter": {},
        "ratio_bp": {"E": 2000},
        "inspector_departments": ["市场规范管理科"],
        "team_size": 2,
        "methods": ["现场检查"],
        "deadline": "2026-12-20",
        "created_by": "zhao.reg",
        "co_organisers": [TAX_BODY],
    }
    api = SignedInApi({"/api/planning/tasks/t9": task})
    async with site(api) as client:
        page = await client.get("/console/tasks/t9")
    assert page.status_code == 200, page.text
    listed = page.text[page.text.index('<li data-agency="tax">') :]
    listed = listed[: listed.index("</li>")]
    assert '国家税务总局威海市临港区税务局（<span class="mono">tax</span>）：每组 2 人' in listed
    assert '<span class="mono">SW-02</span> 税务登记信息核查' in listed
