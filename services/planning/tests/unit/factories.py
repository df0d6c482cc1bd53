"""Shared builders for planning's unit tests (the fakes are in ``fakes.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from planning.domain.model import Task, TaskSpec
from planning.domain.plans import PlanSpec

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 2026-03-02 10:00 in China


def spec_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task_no": "LG-2026-001",
        "title": "2026年企业年报公示信息抽查",
        "lead_department": "信用监管科",
        "co_lead_departments": ["市场规范管理科"],
        "assisting_departments": ["临港市场监管所"],
        "check_items": [
            {"code": "SD-01", "name": "企业公示信息检查"},
            {"code": "SD-02", "name": "登记事项检查"},
        ],
        "target_filter": {"entity_types": ["企业"], "risk_classes": []},
        "ratio_bp": {"A": 300, "B": 500, "C": 1000, "D": 2000, "E": 5000},
        "inspector_departments": ["信用监管科", "临港市场监管所"],
        "team_size": 2,
        "methods": ["现场检查", "书面检查"],
        "deadline": "2026-06-30",
        "source": "local",
    }
    body.update(overrides)
    return body


def spec(**overrides: Any) -> TaskSpec:
    return TaskSpec.model_validate(spec_body(**overrides))


def draft(**overrides: Any) -> Task:
    return Task.draft(spec(**overrides), task_id="t-1", district="lingang", by="keyuan", at=NOW)


def day(text: str) -> date:
    return date.fromisoformat(text)


# -- annual plans ------------------------------------------------------------------------------

LIST = [("GS-01", "企业公示信息抽查"), ("DJ-01", "登记事项检查"), ("SP-01", "食品经营检查")]


def plan_item(code: str, name: str = "", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "check_item_code": code,
        "check_item_name": name or dict(LIST).get(code, code),
        "scope": "辖区内企业",
        "period_from": "2026-04-01",
        "period_to": "2026-10-31",
        "ratio_bp": {"A": 300, "E": 5000},
    }
    item.update(overrides)
    return item


def plan_spec(**overrides: Any) -> PlanSpec:
    body: dict[str, Any] = {
        "plan_no": "LG-JH-2026-01",
        "plan_name": "市场规范管理科2026年度双随机抽查工作计划",
        "department": "市场规范管理科",
        "year": 2026,
        "items": [plan_item("GS-01"), plan_item("DJ-01")],
    }
    body.update(overrides)
    return PlanSpec.model_validate(body)
