"""Events of one task's whole cycle, as envelopes the bus would carry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.inspections import (
    FollowUpKind,
    FollowUpOpened,
    FollowUpRecorded,
    InspectionSubmitted,
    ItemResult,
)
from spotcheck_common.events.objections import (
    ObjectionDecided,
    ObjectionFeedbackGiven,
    ObjectionFiled,
)
from spotcheck_common.events.planning import (
    AnnualPlanPublished,
    CheckItemRef,
    PlanItem,
    TargetFilter,
    TaskApproved,
)
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.events.types import ObjectionDecision, ResultCategory, RiskClass, TeamRole
from spotcheck_common.testing import envelope_of as common_envelope_of

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


def envelope_of(
    event: Event,
    district: str = "lingang",
    actor: str = "tester",
    occurred_at: datetime | None = None,
) -> Envelope[Any]:
    envelope: Envelope[Any] = common_envelope_of(event, district, actor, occurred_at=occurred_at)
    return envelope


# ---------------------------------------------------------------- a year in miniature (2026)
#
# Deadlines cross the National Day holiday (2026-10-01 … 10-07 off, Saturday 10-10 worked) and
# the Mid-Autumn Festival (Friday 2026-09-25 off). Working-day deadlines used below:
#   result of insp-A1 completed 09-18 → published by 10-22 (20 working days)
#   obj-C1 decided 09-22 → feedback by 10-20 (15)       obj-C2 received 09-23 → review by 10-28
#   obj-C3 decided 09-29 → corrected by 10-12 (5)       fu-C1 opened 09-29 → transferred by 10-19

CST = timezone(timedelta(hours=8))
CREDIT = "信用监管科"
FOOD = "食品科"
U1, U2, U3 = "91371000MA3C00001Y", "91371000MA3C00002W", "91371000MA3C00003R"
PLAN_ID = "PLAN-XY-2026"


def member(inspector_id: str, name: str, department: str, leader: bool = False) -> TeamMember:
    return TeamMember(
        inspector_id=inspector_id,
        name=name,
        department=department,
        role=TeamRole.LEADER if leader else TeamRole.MEMBER,
    )


TEAM_U1 = [member("I001", "王强", CREDIT, True), member("I002", "李娜", CREDIT)]
TEAM_U2 = [member("I003", "赵敏", CREDIT, True), member("I004", "孙丽", CREDIT)]
TEAM_U3 = [member("I005", "周杰", FOOD, True), member("I006", "吴芳", FOOD)]


def at(day: date, hour: int = 10) -> datetime:
    """A moment on ``day`` in Beijing time."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=CST)


def task(task_id: str, task_no: str, department: str, deadline: date, plan_id: str = "") -> Event:
    return TaskApproved(
        task_id=task_id,
        task_no=task_no,
        title=f"{department}{task_no}抽查",
        lead_department=department,
        check_items=[ITEM],
        target_filter=TargetFilter(),
        ratio_bp={RiskClass.A: 300},
        inspector_departments=[department],
        team_size=2,
        deadline=deadline,
        approved_by="副局长张三",
        plan_id=plan_id,
        plan_no="XY-2026" if plan_id else "",
        plan_name="2026年度信用监管科抽查计划" if plan_id else "",
    )


def plan_version(version: int, plan_id: str = PLAN_ID) -> Event:
    return AnnualPlanPublished(
        plan_id=plan_id,
        plan_no="XY-2026",
        plan_name="2026年度信用监管科抽查计划",
        department=CREDIT,
        year=2026,
        plan_version=version,
        supersedes_version=version - 1 if version > 1 else None,
        adjustment_reason="年中调整抽查比例" if version > 1 else "",
        items=[
            PlanItem(
                check_item_code=ITEM.code,
                check_item_name=ITEM.name,
                scope="全区企业",
                period_from=date(2026, 3, 1),
                period_to=date(2026, 11, 30),
                ratio_bp={RiskClass.A: 300 * version},
            )
        ],
        signed_by="副局长张三",
        consolidated_by=CREDIT,
        approved_by="局长办公会",
        filed_on=date(2026, 2, 20),
        published_at=datetime(2026, 2, 25 + version, 1, 0, tzinfo=UTC),
    )


def drawn(task_id: str, targets: list[tuple[str, list[TeamMember]]]) -> Event:
    return DrawCompleted(
        draw_id=f"draw-{task_id}",
        task_id=task_id,
        task_no=task_id,
        algorithm="seeded-v0",
        seed_hex="ab" * 32,
        population_size=100,
        targets=[
            DrawnTarget(uscc=u, entity_name=f"企业{u[-3:]}", risk_class="C", team=team)
            for u, team in targets
        ],
        unstaffed=[],
    )


def submitted(
    task_id: str,
    inspection_id: str,
    uscc: str,
    team: list[TeamMember],
    completed_on: date,
    category: ResultCategory = ResultCategory.PROBLEM_PENDING,
) -> Event:
    return InspectionSubmitted(
        inspection_id=inspection_id,
        task_id=task_id,
        task_no=task_id,
        task_title=task_id,
        draw_id=f"draw-{task_id}",
        uscc=uscc,
        entity_name=f"企业{uscc[-3:]}",
        inspecting_authority="威海市临港区市场监督管理局",
        team=team,
        results=_result(category),
        completed_on=completed_on,
        submitted_by=team[0].inspector_id,
    )


def published(
    task_id: str, inspection_id: str, uscc: str, on: date, due: date | None = None
) -> Event:
    return ResultPublished(
        record_id=f"rec-{inspection_id}",
        record_version=1,
        inspection_id=inspection_id,
        task_id=task_id,
        uscc=uscc,
        entity_name=f"企业{uscc[-3:]}",
        results=_result(ResultCategory.PROBLEM_PENDING),
        published_at=at(on),
        publish_due_on=due,
    )


def year_2026() -> list[tuple[Event, datetime]]:
    """Three tasks, every overdue kind once, each event with the moment it happened."""
    ta, tb, tc = "T-A", "T-B", "T-C"
    rec_c = "rec-insp-C3"

    def objection(oid: str, received: date, due: date) -> Event:
        return ObjectionFiled(
            objection_id=oid,
            record_id=rec_c,
            task_id=tc,
            uscc=U3,
            reason="异议",
            received_on=received,
            review_due_on=due,
        )

    def decided(oid: str, on: date, decision: ObjectionDecision) -> Event:
        return ObjectionDecided(
            objection_id=oid,
            record_id=rec_c,
            task_id=tc,
            uscc=U3,
            decision=decision,
            reason="复查",
            reviewer="食品科复查人",
            corrected_results=(
                _result(ResultCategory.PROBLEM_CORRECTED)
                if decision == ObjectionDecision.CORRECTED
                else []
            ),
            decided_on=on,
        )

    def follow_up(fid: str, kind: FollowUpKind) -> Event:
        return FollowUpOpened(
            follow_up_id=fid,
            inspection_id="insp-C3",
            task_id=tc,
            uscc=U3,
            kind=kind,
            lead_department=FOOD,
            opened_on=date(2026, 9, 29),
        )

    return [
        (task(ta, "LG-2026-101", CREDIT, date(2026, 9, 30), PLAN_ID), at(date(2026, 3, 2))),
        (task(tb, "LG-2026-102", FOOD, date(2026, 9, 30)), at(date(2026, 3, 2))),
        (task(tc, "LG-2026-103", FOOD, date(2026, 12, 31)), at(date(2026, 3, 2))),
        (drawn(ta, [(U1, TEAM_U1), (U2, TEAM_U2)]), at(date(2026, 3, 10))),
        (drawn(tc, [(U3, TEAM_U3)]), at(date(2026, 3, 10))),
        (submitted(ta, "insp-A1", U1, TEAM_U1, date(2026, 9, 18)), at(date(2026, 9, 18))),
        (
            published(ta, "insp-A1", U1, date(2026, 10, 23), date(2026, 10, 22)),
            at(date(2026, 10, 23)),
        ),
        (submitted(tc, "insp-C3", U3, TEAM_U3, date(2026, 9, 15)), at(date(2026, 9, 15))),
        (published(tc, "insp-C3", U3, date(2026, 9, 16)), at(date(2026, 9, 16))),
        (objection("obj-C1", date(2026, 9, 21), date(2026, 10, 26)), at(date(2026, 9, 21))),
        (decided("obj-C1", date(2026, 9, 22), ObjectionDecision.UPHELD), at(date(2026, 9, 22))),
        (
            ObjectionFeedbackGiven(
                objection_id="obj-C1",
                record_id=rec_c,
                task_id=tc,
                uscc=U3,
                given_on=date(2026, 10, 21),
            ),
            at(date(2026, 10, 21)),
        ),
        (objection("obj-C2", date(2026, 9, 23), date(2026, 10, 28)), at(date(2026, 9, 23))),
        (objection("obj-C3", date(2026, 9, 24), date(2026, 10, 29)), at(date(2026, 9, 24))),
        (decided("obj-C3", date(2026, 9, 29), ObjectionDecision.CORRECTED), at(date(2026, 9, 29))),
        (
            ResultCorrected(
                record_id=rec_c,
                record_version=2,
                supersedes_version=1,
                task_id=tc,
                uscc=U3,
                results=_result(ResultCategory.PROBLEM_CORRECTED, "已改正"),
                reason="复查属实",
                objection_id="obj-C3",
                published_at=at(date(2026, 10, 13)),
            ),
            at(date(2026, 10, 13)),
        ),
        (
            ObjectionFeedbackGiven(
                objection_id="obj-C3",
                record_id=rec_c,
                task_id=tc,
                uscc=U3,
                given_on=date(2026, 10, 9),
            ),
            at(date(2026, 10, 9)),
        ),
        (follow_up("fu-C1", FollowUpKind.SUSPECTED_CRIME), at(date(2026, 9, 29))),
        (follow_up("fu-C2", FollowUpKind.SUSPECTED_CRIME), at(date(2026, 9, 29))),
        (follow_up("fu-C3", FollowUpKind.PROBLEM), at(date(2026, 9, 29))),
        (
            FollowUpRecorded(
                follow_up_id="fu-C2",
                task_id=tc,
                uscc=U3,
                action="transferred",
                outcome="已移送公安机关",
                recorded_on=date(2026, 10, 16),
                recorded_by="食品科",
            ),
            at(date(2026, 10, 16)),
        ),
    ]


@pytest.fixture
def year_events() -> Callable[[], list[tuple[Event, datetime]]]:
    return year_2026


@pytest.fixture
def task_cycle() -> Callable[[str], list[Event]]:
    return cycle


@pytest.fixture
def envelope() -> Callable[..., Envelope[Any]]:
    return envelope_of


@pytest.fixture
def scenario() -> SimpleNamespace:
    """The 2026 scenario's builders and names (test modules cannot import conftest)."""
    return SimpleNamespace(
        year_2026=year_2026,
        task=task,
        plan_version=plan_version,
        drawn=drawn,
        submitted=submitted,
        published=published,
        at=at,
        CREDIT=CREDIT,
        FOOD=FOOD,
        U1=U1,
        U2=U2,
        U3=U3,
        PLAN_ID=PLAN_ID,
        TEAM_U1=TEAM_U1,
        TEAM_U2=TEAM_U2,
        TEAM_U3=TEAM_U3,
    )
