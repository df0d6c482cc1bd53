"""The task's rules and life cycle (第六条, 第七条), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from planning.domain.model import TRANSITIONS, TaskInvalid, TaskStatus, TransitionRefused
from spotcheck_common.events.planning import CheckMethod, TaskSource
from spotcheck_common.events.types import RiskClass
from spotcheck_common.http import status_of

from .factories import NOW, day, draft


def reasons(exc: pytest.ExceptionInfo[TaskInvalid]) -> dict[str, str]:
    """Field → its reasons, joined (a field may break several rules)."""
    out: dict[str, str] = {}
    for e in exc.value.errors:
        out[e.field] = f"{out[e.field]}|{e.reason}" if e.field in out else e.reason
    return out


def test_a_valid_spec_becomes_a_draft_with_every_risk_class_explicit() -> None:
    task = draft(ratio_bp={"E": 5000, "D": 2000})
    assert task.status is TaskStatus.DRAFT
    assert task.ratio_bp == {
        RiskClass.A: 0,
        RiskClass.B: 0,
        RiskClass.C: 0,
        RiskClass.D: 2000,
        RiskClass.E: 5000,
    }
    assert task.created_by == "keyuan"
    assert task.approved_by is None and task.approved_at is None
    assert task.methods == [CheckMethod.ON_SITE, CheckMethod.WRITTEN]


def test_a_task_sent_down_by_the_city_keeps_its_source() -> None:
    assert draft(source="city").source is TaskSource.CITY


def test_deadline_in_the_past_is_refused_by_the_date_in_china() -> None:
    # 2026-03-01 18:00 UTC is already 2026-03-02 in China: the 1st is in the past there.
    late_evening = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    from planning.domain.model import Task

    from .factories import spec

    with pytest.raises(TaskInvalid) as exc:
        Task.draft(
            spec(deadline="2026-03-01"), task_id="t", district="lingang", by="k", at=late_evening
        )
    assert "早于今天" in reasons(exc)["deadline"]
    # Today itself is allowed.
    task = Task.draft(
        spec(deadline="2026-03-02"), task_id="t", district="lingang", by="k", at=late_evening
    )
    assert task.deadline == day("2026-03-02")


def test_no_class_drawn_is_refused() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(ratio_bp={"A": 0, "B": 0})
    assert "至少一个风险等级" in reasons(exc)["ratio_bp"]


def test_a_ratio_for_a_class_outside_the_target_scope_is_refused() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(
            target_filter={"risk_classes": ["E"]},
            ratio_bp={"A": 100, "E": 5000},
        )
    assert "风险等级 A" in reasons(exc)["ratio_bp"]
    # Within scope it is fine.
    assert draft(target_filter={"risk_classes": ["E"]}, ratio_bp={"E": 5000}).ratio_bp["E"] == 5000


def test_lead_department_cannot_also_co_lead_or_assist() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(co_lead_departments=["信用监管科"], assisting_departments=["信用监管科"])
    found = reasons(exc)
    assert found["co_lead_departments"] == "主办科室不能同时是联合主办科室"
    assert found["assisting_departments"] == "主办科室不能同时是协助办理科室"


def test_a_department_cannot_both_co_lead_and_assist() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(co_lead_departments=["质量科"], assisting_departments=["质量科"])
    assert "已是联合主办科室" in reasons(exc)["assisting_departments"]


def test_duplicate_check_items_methods_and_departments_are_refused() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(
            check_items=[{"code": "X", "name": "甲"}, {"code": "X", "name": "乙"}],
            methods=["现场检查", "现场检查"],
            inspector_departments=["信用监管科", "信用监管科"],
        )
    fields = {e.field for e in exc.value.errors}
    assert {"check_items", "methods", "inspector_departments"} <= fields


def test_blank_check_item_is_refused() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(check_items=[{"code": "X", "name": "  "}])
    assert "check_items[0]" in reasons(exc)


def test_refusal_message_is_chinese_and_names_every_problem() -> None:
    with pytest.raises(TaskInvalid) as exc:
        draft(ratio_bp={"A": 0}, deadline="2020-01-01")
    assert status_of(exc.value) == 422
    assert "ratio_bp" in exc.value.reason and "deadline" in exc.value.reason
    assert exc.value.details["errors"] == [e.as_dict() for e in exc.value.errors]


# -- life cycle -----------------------------------------------------------------------------


def test_approve_records_who_and_when_and_yields_task_approved() -> None:
    task = draft()
    at = NOW + timedelta(hours=1)
    task.approve("fuju-zhang", at)
    assert task.status is TaskStatus.APPROVED
    assert (task.approved_by, task.approved_at) == ("fuju-zhang", at)
    event = task.approved_event()
    assert event.task_id == "t-1"
    assert event.task_no == "LG-2026-001"
    assert event.approved_by == "fuju-zhang" and event.approved_at == at
    assert event.lead_department == "信用监管科"
    assert [i.code for i in event.check_items] == ["SD-01", "SD-02"]
    assert event.ratio_bp[RiskClass.E] == 5000
    assert event.team_size == 2
    assert event.deadline == day("2026-06-30")
    assert event.co_lead_departments == ["市场规范管理科"]
    assert event.assisting_departments == ["临港市场监管所"]


def test_only_a_draft_can_be_approved() -> None:
    task = draft()
    task.approve("fuju-zhang", NOW)
    with pytest.raises(TransitionRefused) as exc:
        task.approve("someone-else", NOW)
    assert status_of(exc.value) == 409
    assert "已批准" in exc.value.reason
    assert task.approved_by == "fuju-zhang"  # the first approval stands


def test_a_draft_has_no_approved_event() -> None:
    with pytest.raises(TransitionRefused):
        draft().approved_event()


def test_life_cycle_runs_draft_approved_published_closed() -> None:
    task = draft()
    with pytest.raises(TransitionRefused):
        task.publish(NOW)
    with pytest.raises(TransitionRefused):
        task.close(NOW)
    task.approve("fuju-zhang", NOW)
    with pytest.raises(TransitionRefused):
        task.close(NOW)
    task.publish(NOW)
    assert task.status is TaskStatus.PUBLISHED
    task.close(NOW)
    assert task.status is TaskStatus.CLOSED
    for step in (task.publish, task.close):
        with pytest.raises(TransitionRefused):
            step(NOW)


def test_transition_table_has_no_way_back_to_draft_and_closed_is_final() -> None:
    assert all(TaskStatus.DRAFT not in targets for targets in TRANSITIONS.values())
    assert TRANSITIONS[TaskStatus.CLOSED] == frozenset()
    assert set(TRANSITIONS) == set(TaskStatus)


def test_a_draft_whose_deadline_has_passed_cannot_be_approved() -> None:
    task = draft(deadline="2026-03-05")
    with pytest.raises(TaskInvalid) as exc:
        task.approve("fuju-zhang", NOW + timedelta(days=4))  # 2026-03-06 in China
    assert "已过" in reasons(exc)["deadline"]
    assert task.status is TaskStatus.DRAFT and task.approved_by is None
    task.approve("fuju-zhang", NOW + timedelta(days=3))  # the deadline day itself is fine
    assert task.status is TaskStatus.APPROVED


def test_check_type_follows_the_scope() -> None:
    assert draft().check_type == "定向抽查"  # entity types named
    undirected = draft(target_filter={"risk_classes": ["D", "E"]}, ratio_bp={"D": 1, "E": 2})
    assert undirected.check_type == "不定向抽查"
    undirected.approve("fuju-zhang", NOW)
    assert undirected.approved_event().check_type == "不定向抽查"
    assert draft().drafted_event().check_type == "定向抽查"
