"""Events of one task's whole cycle, as envelopes the bus would carry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.objections import ObjectionDecided, ObjectionFiled
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.events.types import ObjectionDecision, ResultCategory, RiskClass, TeamRole

USCC = "91371000MA3C00001Y"
TEAM = [
    TeamMember(inspector_id="I001", name="王强", department="信用监管科", role=TeamRole.LEADER),
    TeamMember(inspector_id="I002", name="李娜", department="信用监管科", role=TeamRole.MEMBER),
]
ITEM = CheckItemRef(code="SC-01", name="企业信息公示情况的检查")


def _result(category: ResultCategory, remark: str = "") -> list[ItemResult]:
    return [
        ItemResult(
            check_item_code=ITEM.code, check_item_name=ITEM.name, category=category, remark=remark
        )
    ]


def cycle(task_id: str) -> list[Event]:
    """The events of registry → task → draw → inspection → publication → objection → correction."""
    return [
        TaskApproved(
            task_id=task_id,
            task_no="LG-2026-007",
            title="2026年临港区企业公示信息抽查",
            lead_department="信用监管科",
            check_items=[ITEM],
            target_filter=TargetFilter(),
            ratio_bp={RiskClass.A: 300, RiskClass.E: 5000},
            inspector_departments=["信用监管科"],
            team_size=2,
            deadline=date(2026, 12, 31),
            approved_by="副局长张三",
        ),
        DrawCompleted(
            draw_id=f"draw-{task_id}",
            task_id=task_id,
            task_no="LG-2026-007",
            algorithm="seeded-v0",
            seed_hex="ab" * 32,
            population_size=20000,
            targets=[
                DrawnTarget(
                    uscc=USCC, entity_name="威海临港某某商贸有限公司", risk_class="C", team=TEAM
                )
            ],
            unstaffed=[],
        ),
        InspectionSubmitted(
            inspection_id=f"insp-{task_id}",
            task_id=task_id,
            task_no="LG-2026-007",
            task_title="2026年临港区企业公示信息抽查",
            draw_id=f"draw-{task_id}",
            uscc=USCC,
            entity_name="威海临港某某商贸有限公司",
            inspecting_authority="威海市临港区市场监督管理局",
            team=TEAM,
            results=_result(ResultCategory.PROBLEM_PENDING),
            completed_on=date(2026, 11, 20),
            submitted_by="I001",
        ),
        ResultPublished(
            record_id=f"rec-{task_id}",
            record_version=1,
            inspection_id=f"insp-{task_id}",
            task_id=task_id,
            uscc=USCC,
            entity_name="威海临港某某商贸有限公司",
            results=_result(ResultCategory.PROBLEM_PENDING),
            published_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        ),
        ObjectionFiled(
            objection_id=f"obj-{task_id}",
            record_id=f"rec-{task_id}",
            task_id=task_id,
            uscc=USCC,
            reason="已于检查当日补报年报",
            received_on=date(2026, 11, 23),
            review_due_on=date(2026, 12, 21),
        ),
        ObjectionDecided(
            objection_id=f"obj-{task_id}",
            record_id=f"rec-{task_id}",
            task_id=task_id,
            uscc=USCC,
            decision=ObjectionDecision.CORRECTED,
            reason="复查属实",
            reviewer="信用监管科赵六",
            corrected_results=_result(ResultCategory.PROBLEM_CORRECTED, "已改正"),
            decided_on=date(2026, 11, 25),
        ),
        ResultCorrected(
            record_id=f"rec-{task_id}",
            record_version=2,
            supersedes_version=1,
            task_id=task_id,
            uscc=USCC,
            results=_result(ResultCategory.PROBLEM_CORRECTED, "已改正"),
            reason="复查属实",
            objection_id=f"obj-{task_id}",
            published_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        ),
    ]


def envelope_of(event: Event, district: str = "lingang", actor: str = "tester") -> Envelope[Any]:
    return Envelope[Any](
        event_type=event.event_type(),
        schema_version=event.version,
        district=district,
        actor=actor,
        aggregate_id=event.aggregate_id(),
        correlation_id="corr-1",
        payload=event.model_dump(mode="json"),
    )


@pytest.fixture
def task_cycle() -> Callable[[str], list[Event]]:
    return cycle


@pytest.fixture
def envelope() -> Callable[..., Envelope[Any]]:
    return envelope_of
