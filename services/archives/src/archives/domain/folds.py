"""Folding typed events into the accountability facts (the rules are in :mod:`accountability`).

One function per event class, found through :data:`FOLDS` (event class → :class:`Fold`: the
facts the event touches, and how it changes them). Each function reads its event's schema
(``spotcheck_common.events``), never a raw payload. Events of one task arrive on several topics
and so in no guaranteed order: every fold only sets the fields its own event knows, so the
facts come out the same in any order. Pure: the service layer loads the touched facts, folds,
and stores what :func:`apply` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from archives.domain.accountability import (
    FOLLOW_UP,
    OBJECTION,
    RECORD,
    RESULT,
    TASK,
    Fact,
    Key,
    china_date,
    iso,
)
from spotcheck_common.events import Event
from spotcheck_common.events.draws import DrawCompleted, DrawInspectorReplaced
from spotcheck_common.events.inspections import (
    FollowUpKind,
    FollowUpOpened,
    FollowUpRecorded,
    InspectionSubmitted,
    TransferDueSet,
)
from spotcheck_common.events.objections import (
    CorrectionGranted,
    CorrectionRefused,
    CorrectionRequested,
    ObjectionCorrectionSubmitted,
    ObjectionDeadlinesSet,
    ObjectionDecided,
    ObjectionFeedbackGiven,
    ObjectionFiled,
    ObjectionFiledV1,
)
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.events.publication import (
    PublishDueSet,
    ResultCorrected,
    ResultPublished,
    ResultWithheld,
)

E = TypeVar("E", bound=Event)


@dataclass
class Folding:
    """One event's fold in progress: the facts it touches as loaded, and those it changed."""

    task_id: str
    occurred_on: date | None
    current: Mapping[Key, Fact | None]
    out: list[Fact] = field(default_factory=list)

    def fact(self, kind: str, key: str) -> Fact:
        """The fact ``(kind, key)`` as loaded (a copy), or a new one; it is among the changed."""
        existing = self.current.get((kind, key))
        if existing is not None:
            f = Fact(
                kind,
                key,
                existing.task_id or self.task_id,
                dict(existing.data),
                existing.year,
                existing.department,
            )
        else:
            f = Fact(kind, key, self.task_id, {"task_id": self.task_id})
        self.out.append(f)
        return f


@dataclass(frozen=True)
class Fold(Generic[E]):
    """How one event class changes the facts."""

    keys: Callable[[E], list[Key]]
    apply: Callable[[E, Folding], None]


def _json(models: list[Any]) -> list[Any]:
    """Nested schema objects as the JSON the facts keep (as the envelope carries them)."""
    return [m.model_dump(mode="json") if isinstance(m, BaseModel) else m for m in models]


def _earliest(current: Any, new: date | None) -> str | None:
    old = china_date(current)
    if new is None:
        return iso(old)
    return iso(min(old, new) if old else new)


def _given(data: dict[str, Any], name: str, value: date | None) -> None:
    """A deadline the keeping service gave with its event: kept unless one is known already
    (a later ``*-set`` event, which always wins, may have arrived first on another topic)."""
    if value and not data.get(name):
        data[name] = iso(value)


# ---------------------------------------------------------------- planning, draws


def task_approved(e: TaskApproved, f: Folding) -> None:
    t = f.fact(TASK, e.task_id)
    t.data.update(
        task_no=e.task_no,
        title=e.title,
        lead_department=e.lead_department,
        deadline=iso(e.deadline),
        plan_id=e.plan_id or None,
        approved_on=iso(china_date(e.approved_at) or f.occurred_on),
        approved=True,
    )
    t.year = e.deadline.year
    t.department = e.lead_department


def _draw(t: Fact, draw_id: str) -> dict[str, Any]:
    draws = dict(t.data.get("draws") or {})
    draw = dict(draws.get(draw_id) or {})
    draws[draw_id] = draw
    t.data["draws"] = draws
    return draw


def draw_completed(e: DrawCompleted, f: Folding) -> None:
    """One part of a draw's completion (ADR 0012): its targets and unstaffed join those of
    the parts already folded, in any order."""
    draw = _draw(f.fact(TASK, e.task_id), e.draw_id)
    targets = dict(draw.get("targets") or {})
    targets.update(
        {t.uscc: {"entity_name": t.entity_name, "team": _json(t.team)} for t in e.targets}
    )
    unstaffed = dict.fromkeys([*(draw.get("unstaffed") or []), *e.unstaffed])
    draw.update(
        drawn_on=_earliest(draw.get("drawn_on"), f.occurred_on),
        targets=targets,
        unstaffed=list(unstaffed),
    )


def draw_inspector_replaced(e: DrawInspectorReplaced, f: Folding) -> None:
    draw = _draw(f.fact(TASK, e.task_id), e.draw_id)
    replaced = dict(draw.get("replaced") or {})
    replaced[e.uscc] = _json(e.team)
    draw["replaced"] = replaced


# ---------------------------------------------------------------- inspections


def inspection_submitted(e: InspectionSubmitted, f: Folding) -> None:
    r = f.fact(RESULT, e.inspection_id)
    r.data.update(
        uscc=e.uscc,
        entity_name=e.entity_name,
        team=_json(e.team),
        completed_on=iso(e.completed_on),
        submitted_on=_earliest(r.data.get("submitted_on"), f.occurred_on),
        not_inspected_reason=e.not_inspected_reason,
        results=_json(e.results),
        submitted=True,
    )


def follow_up_opened(e: FollowUpOpened, f: Folding) -> None:
    u = f.fact(FOLLOW_UP, e.follow_up_id)
    u.data.update(
        uscc=e.uscc,
        inspection_id=e.inspection_id,
        follow_up_kind=e.kind.value,
        lead_department=e.lead_department,
        opened_on=iso(e.opened_on),
    )


def follow_up_recorded(e: FollowUpRecorded, f: Folding) -> None:
    u = f.fact(FOLLOW_UP, e.follow_up_id)
    actions = dict(u.data.get("actions") or {})
    actions[e.action] = _earliest(actions.get(e.action), e.recorded_on)
    u.data["actions"] = actions
    if e.action == "transferred":
        u.data["transferred_on"] = actions[e.action]
    # A case filed on a suspected crime turns the follow-up into one (inspections follow-up
    # register): the transfer clock runs from then, or to the given date.
    if e.suspected_crime or e.kind == FollowUpKind.SUSPECTED_CRIME:
        u.data["suspected_since"] = _earliest(u.data.get("suspected_since"), e.recorded_on)
        _given(u.data, "transfer_due_on", e.transfer_due_on)
    if e.lead_department and not u.data.get("lead_department"):
        u.data["lead_department"] = e.lead_department
    if e.closed:
        u.data["closed_on"] = _earliest(u.data.get("closed_on"), e.recorded_on)


def transfer_due_set(e: TransferDueSet, f: Folding) -> None:
    f.fact(FOLLOW_UP, e.follow_up_id).data["transfer_due_on"] = iso(e.transfer_due_on)


# ---------------------------------------------------------------- publication


def _record_version(r: Fact, version: int, results: list[Any]) -> None:
    if version >= int(r.data.get("version") or 0):
        r.data.update(version=version, results=_json(results))


def result_published(e: ResultPublished, f: Folding) -> None:
    r = f.fact(RESULT, e.inspection_id)
    r.data.update(
        uscc=r.data.get("uscc") or e.uscc,
        entity_name=r.data.get("entity_name") or e.entity_name,
        record_id=e.record_id,
        published_on=_earliest(r.data.get("published_on"), china_date(e.published_at)),
    )
    _given(r.data, "publish_due_on", e.publish_due_on)
    record = f.fact(RECORD, e.record_id)
    record.data["inspection_id"] = e.inspection_id
    _record_version(record, e.record_version or 1, e.results)


def result_withheld(e: ResultWithheld, f: Folding) -> None:
    r = f.fact(RESULT, e.inspection_id)
    r.data.update(
        uscc=r.data.get("uscc") or e.uscc,
        withhold_reason=e.reason,
        withheld_on=_earliest(r.data.get("withheld_on"), china_date(e.recorded_at)),
    )


def result_corrected(e: ResultCorrected, f: Folding) -> None:
    _record_version(f.fact(RECORD, e.record_id), e.record_version, e.results)
    if e.objection_id:
        o = f.fact(OBJECTION, e.objection_id)
        o.data["corrected_on"] = _earliest(o.data.get("corrected_on"), china_date(e.published_at))


def publish_due_set(e: PublishDueSet, f: Folding) -> None:
    f.fact(RESULT, e.inspection_id).data["publish_due_on"] = iso(e.publish_due_on)


# ---------------------------------------------------------------- objections


def objection_filed(e: ObjectionFiledV1 | ObjectionFiled, f: Folding) -> None:
    o = f.fact(OBJECTION, e.objection_id)
    o.data.update(
        uscc=e.uscc,
        record_id=e.record_id,
        received_on=iso(e.received_on),
        review_department=e.review_department or None,
    )
    _given(o.data, "review_due_on", e.review_due_on)


def objection_correction_submitted(e: ObjectionCorrectionSubmitted, f: Folding) -> None:
    # 第九条: the credit department submits the confirmed correction; publication then
    # publishes it (result-corrected closes the clock).
    o = f.fact(OBJECTION, e.objection_id)
    o.data["correction_submitted_on"] = _earliest(
        o.data.get("correction_submitted_on"), e.submitted_on
    )
    o.data["correction_submitted_by"] = e.submitted_by
    _given(o.data, "correction_due_on", e.correction_due_on)


def correction_requested(e: CorrectionRequested, f: Folding) -> None:
    # 第九条: requested of the city bureau; within the 5 working days, the clock stops until
    # the city replies.
    if e.objection_id is None:
        return
    o = f.fact(OBJECTION, e.objection_id)
    o.data["correction_requested_on"] = _earliest(
        o.data.get("correction_requested_on"), e.requested_on
    )
    o.data["correction_submitted_by"] = e.requested_by
    if e.clock_suspended:
        o.data["correction_suspended"] = True
    _given(o.data, "correction_due_on", e.correction_due_on)


def correction_granted(e: CorrectionGranted, f: Folding) -> None:
    # The clock runs again from the city's reply with the days it had left (the objections
    # service computed it): the correction is due then (result-corrected closes it).
    if e.objection_id is None:
        return
    o = f.fact(OBJECTION, e.objection_id)
    o.data["city_replied_on"] = _earliest(o.data.get("city_replied_on"), e.replied_on)
    if e.correction_due_on:
        o.data["correction_due_after_city"] = iso(e.correction_due_on)


def correction_refused(e: CorrectionRefused, f: Folding) -> None:
    # The city refused: there is nothing to correct, the clock is closed by the reply.
    if e.objection_id is None:
        return
    o = f.fact(OBJECTION, e.objection_id)
    o.data["city_replied_on"] = _earliest(o.data.get("city_replied_on"), e.replied_on)
    o.data["correction_refused_on"] = _earliest(o.data.get("correction_refused_on"), e.replied_on)


def objection_decided(e: ObjectionDecided, f: Folding) -> None:
    o = f.fact(OBJECTION, e.objection_id)
    o.data.update(
        uscc=o.data.get("uscc") or e.uscc,
        record_id=o.data.get("record_id") or e.record_id,
        decided_on=_earliest(o.data.get("decided_on"), e.decided_on),
        decision=e.decision.value,
        reviewer=e.reviewer,
    )
    _given(o.data, "review_due_on", e.review_due_on)
    _given(o.data, "feedback_due_on", e.feedback_due_on)
    _given(o.data, "correction_due_on", e.correction_due_on)


def objection_deadlines_set(e: ObjectionDeadlinesSet, f: Folding) -> None:
    # Computed once the year's holiday schedule was recorded (or corrected): wins.
    o = f.fact(OBJECTION, e.objection_id)
    for name, due in (
        ("review_due_on", e.review_due_on),
        ("feedback_due_on", e.feedback_due_on),
        ("correction_due_on", e.correction_due_on),
    ):
        if due:
            o.data[name] = iso(due)


def objection_feedback_given(e: ObjectionFeedbackGiven, f: Folding) -> None:
    o = f.fact(OBJECTION, e.objection_id)
    o.data["feedback_given_on"] = _earliest(o.data.get("feedback_given_on"), e.given_on)
    _given(o.data, "feedback_due_on", e.feedback_due_on)


# ---------------------------------------------------------------- the dispatch


def _fold(
    cls: type[E], keys: Callable[[E], list[Key]], apply: Callable[[E, Folding], None]
) -> tuple[type[Event], Fold[Any]]:
    return cls, Fold(keys, apply)


def _task(e: TaskApproved | DrawCompleted | DrawInspectorReplaced) -> list[Key]:
    return [(TASK, e.task_id)]


def _result(e: InspectionSubmitted | ResultWithheld | PublishDueSet) -> list[Key]:
    return [(RESULT, e.inspection_id)]


def _published(e: ResultPublished) -> list[Key]:
    return [(RESULT, e.inspection_id), (RECORD, e.record_id)]


def _corrected(e: ResultCorrected) -> list[Key]:
    keys = [(RECORD, e.record_id)]
    if e.objection_id:
        keys.append((OBJECTION, e.objection_id))
    return keys


def _objection(
    e: ObjectionFiledV1
    | ObjectionFiled
    | ObjectionDecided
    | ObjectionFeedbackGiven
    | ObjectionCorrectionSubmitted
    | ObjectionDeadlinesSet,
) -> list[Key]:
    return [(OBJECTION, e.objection_id)]


def _city(e: CorrectionRequested | CorrectionGranted | CorrectionRefused) -> list[Key]:
    """A request for an objection's correction (one the bureau found itself has no clock)."""
    return [(OBJECTION, e.objection_id)] if e.objection_id else []


def _follow_up(e: FollowUpOpened | FollowUpRecorded | TransferDueSet) -> list[Key]:
    return [(FOLLOW_UP, e.follow_up_id)]


FOLDS: dict[type[Event], Fold[Any]] = dict(
    [
        _fold(TaskApproved, _task, task_approved),
        _fold(DrawCompleted, _task, draw_completed),
        _fold(DrawInspectorReplaced, _task, draw_inspector_replaced),
        _fold(InspectionSubmitted, _result, inspection_submitted),
        _fold(ResultPublished, _published, result_published),
        _fold(ResultWithheld, _result, result_withheld),
        _fold(ResultCorrected, _corrected, result_corrected),
        _fold(PublishDueSet, _result, publish_due_set),
        _fold(ObjectionFiledV1, _objection, objection_filed),
        _fold(ObjectionFiled, _objection, objection_filed),
        _fold(ObjectionDecided, _objection, objection_decided),
        _fold(ObjectionFeedbackGiven, _objection, objection_feedback_given),
        _fold(ObjectionCorrectionSubmitted, _objection, objection_correction_submitted),
        _fold(ObjectionDeadlinesSet, _objection, objection_deadlines_set),
        _fold(CorrectionRequested, _city, correction_requested),
        _fold(CorrectionGranted, _city, correction_granted),
        _fold(CorrectionRefused, _city, correction_refused),
        _fold(FollowUpOpened, _follow_up, follow_up_opened),
        _fold(FollowUpRecorded, _follow_up, follow_up_recorded),
        _fold(TransferDueSet, _follow_up, transfer_due_set),
    ]
)
"""Every event class archives folds into the facts (others are filed, not folded)."""


def folds(cls: type[Event]) -> bool:
    return cls in FOLDS


def touched(event: Event) -> list[Key]:
    """The facts ``event`` changes (loaded, then passed to :func:`apply`); none if it is not
    folded."""
    fold = FOLDS.get(type(event))
    return fold.keys(event) if fold else []


def apply(event: Event, occurred_at: Any, current: Mapping[Key, Fact | None]) -> list[Fact]:
    """The facts after ``event`` (only those it changes). Order-independent per field."""
    fold = FOLDS.get(type(event))
    if fold is None:
        return []
    folding = Folding(str(getattr(event, "task_id", "") or ""), china_date(occurred_at), current)
    fold.apply(event, folding)
    return folding.out
