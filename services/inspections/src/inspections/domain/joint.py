"""Joint inspections (issue 10, ADR 0010): a joint draw puts a neighbour district's inspectors
on the drawing district's teams. The record form stays with the drawing district (its task, its
dossier, its publication); a neighbour's inspector signs it at their own bureau.

    drawing district                                     neighbour
    Inspection (team: own ids, "<nb>:<id>") ──JointInspectionState──▶ JointInspection
         ◀──JointInspection{Recorded,Signed,Submitted} (the inspector's bare id)── acts here

Each act is judged at the neighbour by the record's own rules on a mirror of the last state
(the leader records and submits, members sign), then again by the drawing district on its
record. A signature or submission confirms one form (``form_sha256`` over what was recorded);
one for a form recorded again since (every signature cleared) does not stand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from inspections.domain.model import (
    Inspection,
    InspectionStatus,
    NotAllowed,
    NotInspected,
    ResultEntry,
    StateRefused,
    Withhold,
)
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import (
    JointInspectionRecorded,
    JointInspectionSigned,
    JointInspectionState,
    JointInspectionSubmitted,
)

SEPARATOR = ":"


def namespaced(district: str, inspector_id: str) -> str:
    """A neighbour's inspector as the drawing district names them (its own ids hold no ':')."""
    return f"{district}{SEPARATOR}{inspector_id}"


def neighbour_districts(team: list[TeamMember]) -> set[str]:
    return {m.inspector_id.split(SEPARATOR, 1)[0] for m in team if SEPARATOR in m.inspector_id}


def is_joint(inspection: Inspection) -> bool:
    """A neighbour district's inspectors are on the team. A co-organising agency's
    (``<agency>:<id>``, 第三条) are not a neighbour's: they sign at this bureau."""
    return bool(neighbour_districts(inspection.team) - inspection.agencies)


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
        opened_at=inspection.created_at,
        check_items=list(inspection.check_items),
        team=list(inspection.team),
        status=str(inspection.status),
        results=list(inspection.results),
        not_inspected_reason=str(inspection.not_inspected_reason or ""),
        recorded_by=inspection.recorded_by or "",
        signatures=dict(inspection.signatures),
        form_sha256=form_sha256(inspection),
        revision=inspection.version,
    )


NeighbourAct = JointInspectionRecorded | JointInspectionSigned | JointInspectionSubmitted


def check_act(inspection: Inspection, act: NeighbourAct) -> None:
    """An act names the record's task; a signature or submission, the form as it stands (one
    recorded again since is another form: the act does not stand)."""
    if act.task_id != inspection.task_id:
        raise NotAllowed("所指的任务与检查记录不符", task_id=act.task_id)
    if not isinstance(act, JointInspectionRecorded) and act.form_sha256 != form_sha256(inspection):
        raise StateRefused("所确认的检查结果已被重新录入，不再有效")


def apply_neighbour_act(inspection: Inspection, source: str, act: NeighbourAct) -> None:
    """The drawing district applies a neighbour inspector's act to its record, under the
    inspector's namespaced id and by the record's own rules (NotAllowed, StateRefused,
    ResultsInvalid, ValidationError when it does not hold). A submission is applied by the
    service layer (it emits what a submission emits)."""
    check_act(inspection, act)
    actor = namespaced(source, act.inspector_id)
    if isinstance(act, JointInspectionRecorded):
        form = RecordForm.of(act)
        inspection.record_results(
            actor, form.results, act.recorded_at, form.not_inspected, form.withhold
        )
    elif isinstance(act, JointInspectionSigned):
        inspection.sign(actor, act.signed_at)


# ------------------------------------------------------------------ the neighbour's side


@dataclass
class JointInspection:
    """A neighbour's view of the drawing district's inspection, kept for this district's
    inspectors on its team; ``acted_here``: what they did at this bureau, by inspector and
    act (the drawing district's next state shows it recorded)."""

    inspection_id: str
    drawing_district: str
    state: JointInspectionState
    received_at: datetime
    acted_here: dict[str, dict[str, Any]] = field(default_factory=dict)

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

    def mirror(self) -> Inspection:
        """The record as the drawing district last sent it, for the same rules to judge an act
        here before it leaves (leader only records and submits, members sign, ...)."""
        s = self.state
        return Inspection(
            inspection_id=s.inspection_id,
            task_id=s.task_id,
            task_no=s.task_no,
            task_title=s.task_title,
            draw_id=s.draw_id,
            uscc=s.uscc,
            entity_name=s.entity_name,
            risk_class="",
            inspecting_authority="",
            check_items=list(s.check_items),
            deadline=s.deadline,
            team=list(s.team),
            created_at=s.opened_at,
            area=s.area,
            status=InspectionStatus(s.status),
            results=list(s.results),
            signatures=dict(s.signatures),
            recorded_by=s.recorded_by or None,
        )

    def _act(self, inspector_id: str, act: str, at: datetime) -> None:
        """One act per inspector and form: the same act on the same form, not yet recorded by
        the drawing district, is refused rather than sent twice."""
        key = f"{act}:{inspector_id}"
        done = self.acted_here.get(key)
        if done and done["form_sha256"] == self.state.form_sha256:
            raise StateRefused("已在本局办理，等待抽取区记录", act=act)
        self.acted_here[key] = {"form_sha256": self.state.form_sha256, "at": at.isoformat()}

    def record(
        self,
        district: str,
        inspector_id: str,
        form: RecordForm,
        at: datetime,
    ) -> JointInspectionRecorded:
        """This district's inspector, the team's leader, enters the record form here."""
        self.mirror().record_results(
            namespaced(district, inspector_id), form.results, at, form.not_inspected, form.withhold
        )
        self._act(inspector_id, "record", at)
        return JointInspectionRecorded(
            inspection_id=self.inspection_id,
            task_id=self.state.task_id,
            drawing_district=self.drawing_district,
            inspector_id=inspector_id,
            results=[e.model_dump(mode="json") for e in form.results],
            not_inspected=form.not_inspected.model_dump(mode="json")
            if form.not_inspected
            else None,
            withhold=form.withhold.model_dump(mode="json") if form.withhold else None,
            recorded_at=at,
        )

    def sign(self, district: str, inspector_id: str, at: datetime) -> JointInspectionSigned:
        """This district's inspector confirms the form as the drawing district last sent it."""
        member = namespaced(district, inspector_id)
        if member in self.state.signatures:
            raise StateRefused("已签名，无需重复签名", status=self.state.status)
        self.mirror().sign(member, at)
        self._act(inspector_id, "sign", at)
        return JointInspectionSigned(
            inspection_id=self.inspection_id,
            task_id=self.state.task_id,
            drawing_district=self.drawing_district,
            inspector_id=inspector_id,
            form_sha256=self.state.form_sha256,
            signed_at=at,
        )

    def submit(
        self, district: str, inspector_id: str, at: datetime, completed_on: date | None
    ) -> JointInspectionSubmitted:
        """This district's inspector, the team's leader, submits the signed form here."""
        # A product's samples and files are kept by the drawing district, which checks them.
        self.mirror().submit(namespaced(district, inspector_id), at, completed_on, attached=None)
        self._act(inspector_id, "submit", at)
        return JointInspectionSubmitted(
            inspection_id=self.inspection_id,
            task_id=self.state.task_id,
            drawing_district=self.drawing_district,
            inspector_id=inspector_id,
            form_sha256=self.state.form_sha256,
            completed_on=completed_on,
            submitted_at=at,
        )


@dataclass(frozen=True)
class RecordForm:
    """The record form as the inspections API takes it (``ResultsIn``)."""

    results: list[ResultEntry]
    not_inspected: NotInspected | None = None
    withhold: Withhold | None = None

    @classmethod
    def of(cls, event: JointInspectionRecorded) -> RecordForm:
        """The form a neighbour's leader sent (invalid: pydantic's ValidationError)."""
        return cls(
            results=[ResultEntry.model_validate(e) for e in event.results],
            not_inspected=NotInspected.model_validate(event.not_inspected)
            if event.not_inspected
            else None,
            withhold=Withhold.model_validate(event.withhold) if event.withhold else None,
        )
