"""Request bodies are refused with Chinese reasons naming each field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from planning.domain.model import TaskSpec
from spotcheck_common.validation import errors_zh

from .factories import spec_body


def refusal(body: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as exc:
        TaskSpec.model_validate(body)
    return {e["field"]: e["reason"] for e in errors_zh(exc.value)}


def test_missing_fields_are_named() -> None:
    body = spec_body()
    del body["title"], body["deadline"]
    assert refusal(body) == {"title": "必填", "deadline": "必填"}


@pytest.mark.parametrize("value", [1.5, "500", True, 500.0])
def test_ratio_must_be_a_json_integer(value: object) -> None:
    errors = refusal(spec_body(ratio_bp={"A": value}))
    assert errors == {"ratio_bp.A": "应为整数"}


def test_ratio_bounds_and_team_size() -> None:
    errors = refusal(spec_body(ratio_bp={"A": 10001, "B": -1}, team_size=1))
    assert errors["ratio_bp.A"] == "不能大于 10000"
    assert errors["ratio_bp.B"] == "不能小于 0"
    assert errors["team_size"] == "不能小于 2"


def test_unknown_risk_class_source_and_method() -> None:
    errors = refusal(spec_body(ratio_bp={"F": 100}, source="county", methods=["拍脑袋"]))
    assert errors == {
        "ratio_bp.F": "键应为 A、B、C、D、E 之一",
        "source": "应为 local、city、province 之一",
        "methods[0]": "应为 现场检查、书面检查、实地核查、抽样检测、"
        "利用其他部门检查结论、委托第三方专业机构核查 之一",
    }


def test_lists_and_items() -> None:
    errors = refusal(spec_body(check_items=[], inspector_departments=[], methods=[]))
    assert errors == {
        "check_items": "至少需要 1 项",
        "inspector_departments": "至少需要 1 项",
        "methods": "至少需要 1 项",
    }


def test_bad_date_and_extra_field() -> None:
    errors = refusal(spec_body(deadline="30/06/2026", plan="x"))
    assert errors["deadline"] == "日期格式应为 YYYY-MM-DD"
    assert errors["plan"] == "不允许的字段"
