"""One visit, many checks (进一次门、查多项事, 第八条). Pure rules, no I/O.

A target drawn in several tasks whose inspection windows overlap (each window runs from the
day its inspection was opened to its task's deadline) and whose inspections are still open is
visited once. A :class:`Visit` groups those inspections; each task keeps its own record form,
signatures and submission. The visit's leader is the leader of the earliest task's team (the
inspection opened first; ties by deadline, then task number); the other tasks' teams join the
visit. The visit's leader organises it (检查组长负责组织协调管理): they may record and submit
every inspection of the visit; each task's own team still signs its own form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspections.domain.model import Inspection, LogEntry, windows_overlap
from spotcheck_common.events.draws import TeamMember

VISIT_NS = uuid.UUID("0c7e2a51-8d43-4b6f-a1e9-5f2d7c3b9a64")


def visit_id_for(first_inspection_id: str) -> str:
    """Stable: the same first inspection always names the same visit (redelivery-safe)."""
    return str(uuid.uuid5(VISIT_NS, first_inspection_id))


def visit_order(i: Inspection) -> tuple[Any, ...]:
    return (i.created_at, i.deadline, i.task_no, i.inspection_id)


def joins_visit(new: Inspection, other: Inspection) -> bool:
    """``other`` (another task's inspection of the same target) is visited with ``new``."""
    return (
        other.inspection_id != new.inspection_id
        and other.uscc == new.uscc
        and other.task_id != new.task_id
        and other.is_open
        and windows_overlap(new.window, other.window)
    )


@dataclass
class Visit:
    visit_id: str
    uscc: str
    entity_name: str
    leader: TeamMember
    lead_inspection_id: str
    lead_task_id: str
    # Every inspection of the visit, in visit order: inspection_id, task_id, task_no, joined_at.
    inspections: list[dict[str, Any]]
    # Every inspector of every task's team, with the tasks they came with.
    members: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime | None = None
    version: int = 0
    new_log: list[LogEntry] = field(default_factory=list)

    @property
    def inspection_ids(self) -> list[str]:
        return [i["inspection_id"] for i in self.inspections]

    @classmethod
    def form(cls, inspections: list[Inspection], at: datetime) -> Visit:
        """A visit grouping ``inspections`` (at least two tasks' inspections of one target)."""
        ordered = sorted(inspections, key=visit_order)
        first = ordered[0]
        visit = cls(
            visit_id=visit_id_for(first.inspection_id),
            uscc=first.uscc,
            entity_name=first.entity_name,
            leader=first.leader,
            lead_inspection_id=first.inspection_id,
            lead_task_id=first.task_id,
            inspections=[],
            members=[],
            created_at=at,
            updated_at=at,
        )
        for inspection in ordered:
            visit._add(inspection, at)
        visit.new_log.append(
            LogEntry(
                "visit_formed",
                "system",
                at,
                {
                    "leader": first.leader.inspector_id,
                    "lead_task_id": first.task_id,
                    "inspection_ids": visit.inspection_ids,
                },
            )
        )
        return visit

    def join(self, inspection: Inspection, at: datetime) -> bool:
        """Another task's inspection of the same target joins; False if already in."""
        if inspection.inspection_id in self.inspection_ids:
            return False
        self._add(inspection, at)
        self.new_log.append(
            LogEntry(
                "visit_joined",
                "system",
                at,
                {"inspection_id": inspection.inspection_id, "task_id": inspection.task_id},
            )
        )
        self.updated_at = at
        return True

    def _add(self, inspection: Inspection, at: datetime) -> None:
        self.inspections.append(
            {
                "inspection_id": inspection.inspection_id,
                "task_id": inspection.task_id,
                "task_no": inspection.task_no,
                "joined_at": at.isoformat(),
            }
        )
        inspection.visit_id = self.visit_id
        inspection.visit_leader_id = self.leader.inspector_id
        inspection._log(
            "visit_joined",
            "system",
            at,
            visit_id=self.visit_id,
            visit_leader=self.leader.inspector_id,
            lead_task_id=self.lead_task_id,
        )
        self._merge_team(inspection)

    def _merge_team(self, inspection: Inspection) -> None:
        by_id = {m["inspector_id"]: m for m in self.members}
        for m in inspection.team:
            entry = by_id.get(m.inspector_id)
            if entry is None:
                entry = {**m.model_dump(mode="json"), "tasks": []}
                entry.pop("role")
                self.members.append(entry)
                by_id[m.inspector_id] = entry
            entry["tasks"] = [t for t in entry["tasks"] if t["task_id"] != inspection.task_id] + [
                {"task_id": inspection.task_id, "task_no": inspection.task_no, "role": str(m.role)}
            ]

    def refresh(self, inspections: list[Inspection], at: datetime) -> list[Inspection]:
        """After a team changed (an approved replacement): the leader is again the earliest
        task's leader, the members are every team's; returns the inspections whose visit
        leader changed (to be saved)."""
        ordered = sorted(inspections, key=visit_order)
        first = ordered[0]
        changed: list[Inspection] = []
        old = self.leader.inspector_id
        self.leader = first.leader
        self.lead_inspection_id, self.lead_task_id = first.inspection_id, first.task_id
        self.members = []
        for inspection in ordered:
            self._merge_team(inspection)
            if inspection.visit_leader_id != self.leader.inspector_id:
                inspection.visit_leader_id = self.leader.inspector_id
                inspection._log(
                    "visit_leader_changed",
                    "system",
                    at,
                    visit_id=self.visit_id,
                    visit_leader=self.leader.inspector_id,
                    previous=old,
                )
                changed.append(inspection)
        if old != self.leader.inspector_id:
            self.new_log.append(
                LogEntry(
                    "visit_leader_changed",
                    "system",
                    at,
                    {"from": old, "to": first.leader.inspector_id},
                )
            )
        self.updated_at = at
        return changed
