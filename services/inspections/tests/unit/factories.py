"""Shared builders for inspections' unit tests (the fakes are in ``fakes.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from inspections.domain.model import Inspection, ResultEntry, TaskInfo
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.inspections import Sample
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.events.types import TeamRole
from spotcheck_common.objects import ObjectKind, assigned_id

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 2026-04-01 10:00 in China
USCC_1 = "91371000MA3C000017"
USCC_2 = "91371000MA3C000025"

LEADER = "LG-001"
MEMBER = "LG-002"
EXPERT = "EX-009"


def member(inspector_id: str, role: TeamRole, name: str = "张三") -> TeamMember:
    return TeamMember(inspector_id=inspector_id, name=name, department="临港市场监管所", role=role)


def team(*, expert: bool = False) -> list[TeamMember]:
    people = [member(LEADER, TeamRole.LEADER, "王组长"), member(MEMBER, TeamRole.MEMBER, "李四")]
    if expert:
        people.append(member(EXPERT, TeamRole.EXPERT, "赵专家"))
    return people


def task_approved(task_id: str = "task-1") -> TaskApproved:
    return TaskApproved(
        task_id=task_id,
        task_no="LG-2026-001",
        title="2026年企业公示信息抽查",
        lead_department="信用监管科",
        check_items=[
            CheckItemRef(code="SD-01", name="企业公示信息检查"),
            CheckItemRef(code="SD-02", name="登记事项检查"),
        ],
        target_filter=TargetFilter(),
        ratio_bp={"A": 300, "B": 500, "C": 1000, "D": 2000, "E": 5000},
        inspector_departments=["临港市场监管所"],
        team_size=2,
        deadline=datetime(2026, 6, 30).date(),
        approved_by="fuju-wang",
        check_type="定向抽查",
    )


def task_info() -> TaskInfo:
    return TaskInfo.from_event(task_approved())


AREA = "草庙子镇"


def target(
    uscc: str = USCC_1, people: list[TeamMember] | None = None, area: str = AREA
) -> DrawnTarget:
    return DrawnTarget(
        uscc=uscc,
        entity_name="威海临港某某商贸有限公司",
        risk_class="C",
        team=people or team(),
        area=area,
    )


def draw_completed(task_id: str = "task-1", *targets: DrawnTarget) -> DrawCompleted:
    return DrawCompleted(
        draw_id="draw-1",
        task_id=task_id,
        task_no="LG-2026-001",
        algorithm="seeded-v1",
        seed_hex="00" * 32,
        population_size=100,
        targets=list(targets) or [target(USCC_1), target(USCC_2)],
        unstaffed=[],
    )


def inspection(*, expert: bool = False) -> Inspection:
    return Inspection.open(task_info(), "draw-1", target(people=team(expert=expert)), "i-1", NOW)


def entry(code: str, category: str = "未发现问题", **extra: Any) -> ResultEntry:
    return ResultEntry.model_validate({"check_item_code": code, "category": category, **extra})


def all_clear() -> list[ResultEntry]:
    return [entry("SD-01"), entry("SD-02")]


# A product drawn in a task (ADR 0011): its fields and the samples taken from it.
DETAILS = {
    "producer_uscc": USCC_1,
    "product_name": "电动自行车用充电器",
    "brand": "临港",
    "specification": "48V 2A",
    "batch": "20261015",
    "producer_name": "威海临港某某电器有限公司",
    "sold_at": "临港区某某商场",
}
PRODUCT = assigned_id(ObjectKind.PRODUCT, DETAILS)
TODAY = date(2026, 4, 1)  # NOW in China


def sample(no: str = "YP-001", **changes: object) -> Sample:
    fields: dict[str, object] = {
        "sample_no": no,
        "quantity": "4 个",
        "taken_at": "临港区某某商场",
        "taken_on": TODAY,
        "sealed": True,
        "seal_no": f"FT-{no}",
        "testing_body": "山东省产品质量检验研究院",
    }
    return Sample.model_validate(fields | changes)


def product_inspection() -> Inspection:
    drawn = target(PRODUCT).model_copy(update={"details": DETAILS})
    return Inspection.open(task_info(), "draw-1", drawn, "i-1", NOW)
