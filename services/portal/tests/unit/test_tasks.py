"""The task pages' logic: the form as the planning service's body, a refusal's field found on
the form, and who approves or publishes."""

from __future__ import annotations

import pytest

from portal.domain import tasks as rules

FORM = {
    "task_no": " RW-1 ",
    "title": "企业公示信息抽查",
    "lead_department": "市场规范管理科",
    "areas": "草庙子镇，蔄山镇",
    "industries": "",
    "entity_types": "",
    "ratio_A": "0.5",
    "ratio_E": "20",
    "team_size": "2",
    "experts_per_target": "",
    "expert_fields": "食品安全 计量",
    "deadline": "2026-12-20",
    "plan_id": "",
}
LISTS = {
    "check_items": ["GS"],
    "inspector_departments": ["市场规范管理科"],
    "methods": ["现场检查"],
}


def test_the_form_is_the_body_of_a_draft() -> None:
    body, errors = rules.body_of(FORM, LISTS, {"GS": "企业公示信息抽查"}, received=False)
    assert errors == {}
    assert body["task_no"] == "RW-1"
    assert body["check_items"] == [{"code": "GS", "name": "企业公示信息抽查"}]
    assert body["ratio_bp"] == {"A": 50, "E": 2000}
    assert body["target_filter"]["areas"] == ["草庙子镇", "蔄山镇"]
    assert body["expert_fields"] == ["食品安全", "计量"]
    assert body["team_size"] == 2 and body["experts_per_target"] == 0
    assert body["plan_id"] is None
    assert "source" not in body


def test_a_received_task_carries_its_source_and_document() -> None:
    form = {
        **FORM,
        "source": "province",
        "issuing_authority": "省局",
        "document_no": "鲁市监〔2026〕1号",
    }
    body, _ = rules.body_of(form, LISTS, {}, received=True)
    assert (body["source"], body["issuing_authority"], body["document_no"]) == (
        "province",
        "省局",
        "鲁市监〔2026〕1号",
    )


def test_a_ratio_that_is_not_a_percent_is_refused_beside_it() -> None:
    _, errors = rules.body_of({**FORM, "ratio_C": "三成"}, LISTS, {}, received=False)
    assert errors == {"ratio_C": "应为百分数，最多两位小数"}


@pytest.mark.parametrize(
    ("api_field", "form_field"),
    [
        ("ratio_bp", "ratio_bp"),
        ("ratio_bp.E", "ratio_E"),
        ("target_filter.areas", "areas"),
        ("check_items[2]", "check_items"),
        ("deadline", "deadline"),
    ],
)
def test_a_refusals_field_is_found_on_the_form(api_field: str, form_field: str) -> None:
    assert rules.form_field(api_field) == form_field


def test_who_approves_and_who_publishes() -> None:
    draft = {"status": "draft", "lead_department": "市场规范管理科"}
    approved = {**draft, "status": "approved"}
    assert rules.may_approve(draft, {"deputy_director"})
    assert not rules.may_approve(approved, {"deputy_director"})
    assert not rules.may_approve(draft, {"credit_dept"})
    assert rules.may_publish(approved, {"credit_dept"}, "信用监管科")
    assert rules.may_publish(approved, {"supervising_dept"}, "市场规范管理科")
    assert not rules.may_publish(approved, {"supervising_dept"}, "办公室")
    assert not rules.may_publish(draft, {"credit_dept"}, "信用监管科")


def test_ratios_as_the_bureau_writes_them() -> None:
    assert rules.ratio_text({"ratio_bp": {"E": 2000, "A": 10, "B": 0}}) == "A 0.1%、E 20%"
    assert rules.ratio_text({"ratio_bp": {}}) == "—"


def test_the_kind_of_object_goes_to_the_scope_and_is_shown_by_its_name() -> None:
    body, _ = rules.body_of(FORM, LISTS, {}, received=False)
    assert body["target_filter"]["object_kind"] == "market_entity"  # the form's default
    body, _ = rules.body_of({**FORM, "object_kind": "product"}, LISTS, {}, received=False)
    assert body["target_filter"]["object_kind"] == "product"
    assert rules.object_kind_label(body) == "产品"
    assert rules.object_kind_label({"target_filter": {}}) == "市场主体"
