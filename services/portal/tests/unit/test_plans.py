"""The plan pages' logic: who sees which step of the chain, the form's rows as the plan's
items, and a refusal's field found on the form."""

from __future__ import annotations

from typing import Any

import pytest

from portal.adapters.api import ApiError, FieldError
from portal.domain import plans as rules
from portal.service_layer.plans import remapped

ITEMS = [{"code": "GS", "name": "企业公示信息抽查"}, {"code": "DJ", "name": "登记事项检查"}]
MARKET = "市场规范管理科"


def _plan(status: str, department: str = MARKET) -> dict[str, str]:
    return {"status": status, "department": department}


@pytest.mark.parametrize(
    ("status", "roles", "department", "action"),
    [
        ("draft", {"supervising_dept"}, MARKET, "submit"),
        ("draft", {"supervising_dept"}, "食品安全监督管理科", None),  # not its own plan
        ("draft", {"deputy_director"}, "", None),
        ("submitted", {"deputy_director"}, "", "sign"),
        ("submitted", {"supervising_dept"}, MARKET, None),
        ("signed", {"credit_dept"}, "信用监管科", "consolidate"),
        ("consolidated", {"director_meeting"}, "", "approve"),
        ("approved", {"credit_dept"}, "信用监管科", "file"),
        ("approved", {"general_office"}, "办公室", None),
        ("filed", {"general_office"}, "办公室", "publish"),
        ("filed", {"credit_dept"}, "信用监管科", "publish"),
        ("published", {"supervising_dept"}, MARKET, "adjust"),
        ("superseded", {"supervising_dept"}, MARKET, None),
    ],
)
def test_each_person_sees_only_their_step(
    status: str, roles: set[str], department: str, action: str | None
) -> None:
    step = rules.next_step(_plan(status), roles, department)
    assert (step.action if step else None) == action


def test_whoever_would_take_the_next_step_may_instead_return_the_plan() -> None:
    assert rules.may_reject(_plan("submitted"), {"deputy_director"})
    assert rules.may_reject(_plan("filed"), {"general_office"})
    assert not rules.may_reject(_plan("submitted"), {"credit_dept"})
    assert not rules.may_reject(_plan("draft"), {"supervising_dept"})
    assert not rules.may_reject(_plan("published"), {"supervising_dept"})


def test_only_the_departments_own_draft_is_editable() -> None:
    assert rules.may_edit(_plan("draft"), {"supervising_dept"}, MARKET)
    assert not rules.may_edit(_plan("submitted"), {"supervising_dept"}, MARKET)
    assert not rules.may_edit(_plan("draft"), {"supervising_dept"}, "办公室")


@pytest.mark.parametrize(
    ("text", "bp"), [("3", 300), ("0.25", 25), ("12.5%", 1250), ("", None), (" ", None)]
)
def test_a_percent_is_basis_points(text: str, bp: int | None) -> None:
    assert rules.percent_to_bp(text) == bp
    if bp is not None:
        assert rules.percent_to_bp(rules.bp_to_percent(bp)) == bp


@pytest.mark.parametrize("text", ["abc", "0.001", "1,5"])
def test_what_is_not_a_percent_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        rules.percent_to_bp(text)


def test_the_chosen_rows_become_items_a_blank_period_being_the_whole_year() -> None:
    rows = rules.rows_of(ITEMS)
    form = {"scope_1": "辖区内市场主体", "to_1": "2029-06-30", "ratio_A_1": "2", "ratio_E_1": "20"}
    items, errors = rules.items_of(rules.read_rows(rows, form, ["DJ"]), 2029)
    assert errors == {}
    assert items == [
        {
            "check_item_code": "DJ",
            "check_item_name": "登记事项检查",
            "scope": "辖区内市场主体",
            "period_from": "2029-01-01",
            "period_to": "2029-06-30",
            "ratio_bp": {"A": 200, "E": 2000},
        }
    ]


def test_a_ratio_that_is_not_a_percent_is_named_on_its_row() -> None:
    rows = rules.read_rows(rules.rows_of(ITEMS), {"ratio_B_0": "很多"}, ["GS"])
    assert rules.items_of(rows, 2029)[1] == {"item_0": "B 级比例应为百分数，最多两位小数"}


def test_a_plan_being_edited_shows_its_items_and_keeps_one_no_longer_listed() -> None:
    planned: list[dict[str, Any]] = [
        {
            "check_item_code": "DJ",
            "check_item_name": "登记事项检查",
            "period_from": "2029-01-01",
            "period_to": "2029-12-31",
            "ratio_bp": {"C": 550},
        },
        {
            "check_item_code": "OLD",
            "check_item_name": "旧事项",
            "period_from": "2029-01-01",
            "period_to": "2029-12-31",
        },
    ]
    rows = rules.rows_of(ITEMS, planned)
    assert [(r.code, r.chosen) for r in rows] == [("GS", False), ("DJ", True), ("OLD", True)]
    assert rows[1].ratio("C") == "5.5"


def test_a_refusal_of_the_nth_item_lands_on_the_nth_chosen_row() -> None:
    rows = rules.read_rows(rules.rows_of(ITEMS), {}, ["DJ"])  # only row 1 is chosen
    refusal = ApiError(
        422,
        "年度抽查计划内容不符合要求",
        [
            FieldError("items[0]", "抽查时间应在 2029 年内"),
            FieldError("items[0].period_to", "日期格式应为 YYYY-MM-DD"),
            FieldError("plan_no", "不能为空"),
        ],
    )
    fields = remapped(refusal, lambda f: rules.form_field(f, rows)).field_reasons()
    assert fields == {
        "item_1": "抽查时间应在 2029 年内",
        "to_1": "日期格式应为 YYYY-MM-DD",
        "plan_no": "不能为空",
    }
