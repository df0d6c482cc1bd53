"""Joint inspections (issue 10, ADR 0010): a joint draw puts a neighbour district's inspectors
on the drawing district's teams. The record form stays with the drawing district (its task, its
dossier, its publication); a neighbour's inspector signs it at their own bureau.

    drawing district                                     neighbour
    Inspection (team: own ids, "<nb>:<id>") ──JointInspectionState──▶ JointInspection (mirror)
         ◀──JointInspectionSigned (inspector's bare id, form_sha256)── inspector signs here

A signature confirms one form: ``form_sha256`` over what was recorded. A signature for a form
that has changed since (re-recorded: every signature cleared) does not stand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspections.domain.model import (
    Inspection,
    InspectionStatus,
    NotAllowed,
    StateRefused,
)
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import JointInspectionSigned, JointInspectionState

SEPARATOR = ":"


def namespaced(district: str, inspector_id: str) -> str:
    """A neighbour's inspector as the drawing district names them (its own ids hold no ':')."""
    return f"{district}{SEPARATOR}{inspector_id}"


def neighbour_districts(team: list[TeamMember]) -> set[str]:
    return {m.inspector_id.split(SEPARATOR, 1)[0] for m in team if SEPARATOR in m.inspector_id}


def is_joint(inspection: Inspection) -> bool:
    return bool(neighbour_districts(inspection.team))


def form_sha256(inspection: Inspection) -> str:
    """What a signature confirms: the results as recorded, by whom and when (a re-recording
    clears every signature, so it yields another hash even with the same results)."""
    form = {
        "inspection_id": inspection.inspection_id,
        "results": [r.model_dump(mode="json") for r in inspection.results],
        "not_inspected_reason": str(inspection.not_inspected_reason or ""),
        "recorded_by": inspection.recorded_by or "",
        "recorded_at": inspection.recorded_at.isoformat() if inspection.recorded_at else "",
    }
    canonical = json.dumps(form, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def state_of(inspection: Inspection) -> JointInspectionState:
    return JointInspectionState(
        inspection_id=inspection.inspection_id,
        task_id=inspection.task_id,
        task_no=inspection.task_no,
        task_title=inspection.task_title,
        draw_id=inspection.draw_id,
        uscc=inspection.uscc,
        entity_name=inspection.entity_name,
        area=inspection.area,
        deadline=inspection.deadline,
        team=list(inspection.team),
        status=str(inspection.status),
        results=list(inspection.results),
        not_inspected_reason=str(inspection.not_inspected_reason or ""),
        recorded_by=inspection.recorded_by or "",
        signatures=dict(inspection.signatures),
        form_sha256=form_sha256(inspection),
        revision=inspection.version,
    )


def apply_neighbour_signature(
    inspection: Inspection, source: str, event: JointInspectionSigned
) -> None:
    """The drawing district records a neighbour inspector's signature. Refused (NotAllowed,
    StateRefused) when it does not hold: another district's record, not a member, a form that
    has changed since it was signed."""
    if event.task_id != inspection.task_id:
        raise NotAllowed("签名所指的任务与检查记录不符", task_id=event.task_id)
    if event.form_sha256 != form_sha256(inspection):
        raise StateRefused("签名确认的检查结果已被重新录入，签名不再有效")
    inspection.sign(namespaced(source, event.inspector_id), event.signed_at)


# ------------------------------------------------------------------ the neighbour's side


@dataclass
class JointInspection:
    """A neighbour's view of the drawing district's inspection, kept for this district's
    inspectors on its team; ``signed_here``: the signatures they gave at this bureau (the
    drawing district's state shows when it recorded them)."""

    inspection_id: str
    drawing_district: str
    state: JointInspectionState
    received_at: datetime
    signed_here: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def revision(self) -> int:
        return self.state.revision

    def members_of(self, district: str) -> list[str]:
        """This district's inspectors on the team, by their own (bare) ids."""
        prefix = namespaced(district, "")
        return [
            m.inspector_id.removeprefix(prefix)
            for m in self.state.team
            if m.inspector_id.startswith(prefix)
        ]

    def sign(self, district: str, inspector_id: str, at: datetime) -> JointInspectionSigned:
        """This district's inspector confirms the form as the drawing district last sent it."""
        state = self.state
        member = next(
            (m for m in state.team if m.inspector_id == namespaced(district, inspector_id)), None
        )
        if member is None:
            raise NotAllowed(f"{inspector_id} 不是该检查对象的检查组成员", actor=inspector_id)
        if state.status == InspectionStatus.SUBMITTED:
            raise StateRefused("检查记录已提交，不能再签名", status=state.status)
        if state.status == InspectionStatus.PENDING:
            raise StateRefused("检查组长尚未录入检查结果，无可确认的内容", status=state.status)
        if member.inspector_id in state.signatures:
            raise StateRefused("已签名，无需重复签名", status=state.status)
        mine = self.signed_here.get(inspector_id)
        if mine and mine["form_sha256"] == state.form_sha256:
            raise StateRefused("已签名，等待抽取区记录", status=state.status)
        self.signed_here[inspector_id] = {"form_sha256": state.form_sha256, "at": at.isoformat()}
        return JointInspectionSigned(
            inspection_id=self.inspection_id,
            task_id=state.task_id,
            drawing_district=self.drawing_district,
            inspector_id=inspector_id,
            form_sha256=state.form_sha256,
            signed_at=at,
        )
