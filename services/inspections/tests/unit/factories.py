"""Shared builders and fakes for inspections' unit tests."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from inspections.adapters.repository import StaleInspection
from inspections.domain.attachments import Attachment
from inspections.domain.follow_ups import FollowUp
from inspections.domain.model import Inspection, InspectionStatus, ResultEntry, TaskInfo
from inspections.domain.visits import Visit
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.events.types import TeamRole
from spotcheck_common.workdays import WorkCalendar

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


def target(uscc: str = USCC_1, people: list[TeamMember] | None = None) -> DrawnTarget:
    return DrawnTarget(
        uscc=uscc, entity_name="威海临港某某商贸有限公司", risk_class="C", team=people or team()
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


class FakeInspectionRepository:
    def __init__(self, *inspections: Inspection) -> None:
        self.tasks: dict[str, TaskInfo] = {}
        self.inspections = {i.inspection_id: copy.deepcopy(i) for i in inspections}
        self.log: list[tuple[str, str, str]] = []
        self.visits: dict[str, Visit] = {}
        self.locked: list[str] = []
        self.visit_log: list[tuple[str, str]] = []
        self.follow_ups: dict[str, FollowUp] = {}
        self.attachments: dict[str, tuple[Attachment, bytes]] = {}
        self.work_calendar = WorkCalendar()

    async def calendar(self) -> WorkCalendar:
        return self.work_calendar

    async def suspected_since(self, day: date) -> list[FollowUp]:
        return [
            copy.deepcopy(f)
            for f in self.follow_ups.values()
            if f.suspected_crime_on is not None and f.suspected_crime_on >= day
        ]

    async def get_task(self, task_id: str) -> TaskInfo | None:
        return self.tasks.get(task_id)

    async def put_task(self, task: TaskInfo, now: datetime) -> None:
        self.tasks[task.task_id] = task

    async def exists(self, task_id: str, uscc: str) -> bool:
        return any(i.task_id == task_id and i.uscc == uscc for i in self.inspections.values())

    def _keep_log(self, i: Inspection) -> None:
        self.log.extend((i.inspection_id, e.action, e.actor) for e in i.new_log)
        i.new_log = []

    async def add(self, i: Inspection) -> None:
        self._keep_log(i)
        self.inspections[i.inspection_id] = copy.deepcopy(i)

    async def get(self, inspection_id: str) -> Inspection | None:
        found = self.inspections.get(inspection_id)
        return copy.deepcopy(found) if found else None

    async def save(self, i: Inspection) -> None:
        if self.inspections[i.inspection_id].version != i.version:
            raise StaleInspection(i.inspection_id)
        i.version += 1
        self._keep_log(i)
        self.inspections[i.inspection_id] = copy.deepcopy(i)

    async def find(self, task_id: str, uscc: str) -> Inspection | None:
        for i in self.inspections.values():
            if i.task_id == task_id and i.uscc == uscc:
                return copy.deepcopy(i)
        return None

    async def lock_target(self, uscc: str) -> None:
        self.locked.append(uscc)

    async def open_for_uscc(self, uscc: str) -> list[Inspection]:
        found = [
            i
            for i in self.inspections.values()
            if i.uscc == uscc and i.status is not InspectionStatus.SUBMITTED
        ]
        return [copy.deepcopy(i) for i in sorted(found, key=lambda i: i.created_at)]

    async def of_visit(self, visit_id: str) -> list[Inspection]:
        found = [i for i in self.inspections.values() if i.visit_id == visit_id]
        return [copy.deepcopy(i) for i in sorted(found, key=lambda i: (i.created_at, i.task_no))]

    async def get_visit(self, visit_id: str) -> Visit | None:
        found = self.visits.get(visit_id)
        return copy.deepcopy(found) if found else None

    def _keep_visit_log(self, v: Visit) -> None:
        self.visit_log.extend((v.visit_id, e.action) for e in v.new_log)
        v.new_log = []

    async def add_visit(self, visit: Visit) -> None:
        self._keep_visit_log(visit)
        self.visits[visit.visit_id] = copy.deepcopy(visit)

    async def save_visit(self, visit: Visit) -> None:
        if self.visits[visit.visit_id].version != visit.version:
            raise StaleInspection(visit.visit_id)
        visit.version += 1
        self._keep_visit_log(visit)
        self.visits[visit.visit_id] = copy.deepcopy(visit)

    async def get_follow_up(self, follow_up_id: str) -> FollowUp | None:
        found = self.follow_ups.get(follow_up_id)
        return copy.deepcopy(found) if found else None

    async def follow_up_of(self, inspection_id: str) -> FollowUp | None:
        for f in self.follow_ups.values():
            if f.inspection_id == inspection_id:
                return copy.deepcopy(f)
        return None

    async def add_follow_up(self, follow_up: FollowUp) -> None:
        self.follow_ups[follow_up.follow_up_id] = copy.deepcopy(follow_up)

    async def save_follow_up(self, follow_up: FollowUp) -> None:
        if self.follow_ups[follow_up.follow_up_id].version != follow_up.version:
            raise StaleInspection(follow_up.follow_up_id)
        follow_up.version += 1
        self.follow_ups[follow_up.follow_up_id] = copy.deepcopy(follow_up)

    async def add_attachment(self, attachment: Attachment, content: bytes) -> None:
        self.attachments[attachment.attachment_id] = (attachment, content)
