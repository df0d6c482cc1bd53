"""Inspections use cases. Plain functions on the unit of work, which carries the repository (a
fake in the unit tests)."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime

from inspections.adapters.repository import InspectionRepository
from inspections.domain import attachments as att
from inspections.domain import joint
from inspections.domain.follow_ups import (
    DEFAULT_TRANSFER_WORKDAYS,
    FollowUp,
    OutcomeIn,
    check_lead_department,
)
from inspections.domain.model import (
    FieldError,
    Inspection,
    NotAllowed,
    NotInspected,
    ResultEntry,
    ResultsInvalid,
    StateRefused,
    TaskInfo,
    Withhold,
)
from inspections.domain.visits import Visit, joins_visit, visit_order
from inspections.service_layer.unit_of_work import InspectionsUnitOfWork
from spotcheck_common.errors import NotFound, Unavailable
from spotcheck_common.events.draws import DrawCompleted, DrawInspectorReplaced
from spotcheck_common.events.inspections import AttachmentKind, Sample, TransferDueSet
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.workdays import WorkCalendar

log = logging.getLogger(__name__)

# Inspection ids derive from (draw, target): a draw handled again yields the same ids.
INSPECTION_NS = uuid.UUID("6f1d3c2e-5b8a-4c7e-9d2f-3a1b0c9e8d7f")


class TaskNotKnownYet(Unavailable):
    """A draw arrived before its task's TaskApproved; raised so the event is redelivered."""


class InspectionNotKnownYet(Unavailable):
    """A replacement arrived before the draw that opened the inspection; redelivered later."""


def inspection_id_for(draw_id: str, uscc: str) -> str:
    return str(uuid.uuid5(INSPECTION_NS, f"{draw_id}\x1f{uscc}"))


# -- consumers (run inside the idempotent consumer's transaction; never commit) ------------


async def task_approved(uow: InspectionsUnitOfWork, event: TaskApproved, now: datetime) -> None:
    await uow.inspections.put_task(TaskInfo.from_event(event), now)


async def draw_completed(
    uow: InspectionsUnitOfWork, event: DrawCompleted, now: datetime
) -> list[Inspection]:
    """One inspection per drawn target, with the team the draw matched. A draw comes in parts
    (ADR 0012) of up to a thousand or so targets; each part is read and written in a handful
    of statements, not a handful per target."""
    repo = uow.inspections
    task = await repo.get_task(event.task_id)
    if task is None:
        raise TaskNotKnownYet(f"task {event.task_id} ({event.task_no}) not approved here yet")
    already = await repo.existing(task.task_id, [t.uscc for t in event.targets])
    for uscc in sorted(already):
        log.warning(
            "target already has an inspection in this task",
            extra={"fields": {"task_id": task.task_id, "uscc": uscc}},
        )
    opened = [
        Inspection.open(task, event.draw_id, t, inspection_id_for(event.draw_id, t.uscc), now)
        for t in event.targets
        if t.uscc not in already
    ]
    usccs = [i.uscc for i in opened]
    await repo.lock_targets(usccs)
    open_elsewhere = await repo.open_for_usccs(usccs)
    for inspection in opened:
        for other in await _group_into_visit(repo, inspection, open_elsewhere, now):
            await save(uow, other)
    await repo.add_many(opened)
    for inspection in opened:
        await publish_joint_state(uow, inspection)
    return opened


async def _group_into_visit(
    repo: InspectionRepository,
    inspection: Inspection,
    open_elsewhere: dict[str, list[Inspection]],
    now: datetime,
) -> list[Inspection]:
    """进一次门、查多项事: open inspections of the same target in other tasks whose windows
    overlap this one's are visited together. Returns the other inspections changed (to save);
    ``inspection`` itself is changed in place (not stored yet). The caller holds the target's
    lock and read its open inspections (``open_elsewhere``) under it."""
    others = [o for o in open_elsewhere.get(inspection.uscc, []) if joins_visit(inspection, o)]
    if not others:
        return []
    visit_ids = sorted({o.visit_id for o in others if o.visit_id})
    visit: Visit | None = None
    if visit_ids:
        # Join the visit of the earliest inspection among those already grouped.
        first = min((o for o in others if o.visit_id), key=visit_order)
        visit = await repo.get_visit(first.visit_id)
    changed: list[Inspection] = []
    if visit is None:
        loose = [o for o in others if not o.visit_id]
        visit = Visit.form([*loose, inspection], now)
        await repo.add_visit(visit)
        changed = loose
    else:
        visit.join(inspection, now)
        for other in others:
            if not other.visit_id:
                visit.join(other, now)
                changed.append(other)
        await repo.save_visit(visit)
    log.info(
        "target visited once for several tasks",
        extra={"fields": {"visit_id": visit.visit_id, "uscc": inspection.uscc}},
    )
    return changed


async def inspector_replaced(
    uow: InspectionsUnitOfWork, event: DrawInspectorReplaced, now: datetime
) -> Inspection:
    """An approved replacement from the draw: the open inspection's team changes (who, why and
    the approval are kept in its history); a visit's leader follows the earliest team."""
    repo = uow.inspections
    inspection = await repo.find(event.task_id, event.uscc)
    if inspection is None:
        raise InspectionNotKnownYet(f"no inspection of {event.uscc} in task {event.task_id} yet")
    changed = inspection.replace_inspector(
        event.replaced_inspector_id,
        list(event.team),
        now,
        reason=event.reason,
        approved_by=event.approved_by,
        approval_ref=event.approval_ref,
    )
    if not inspection.new_log:
        return inspection
    await save(uow, inspection)
    if changed and inspection.visit_id:
        visit = await repo.get_visit(inspection.visit_id)
        if visit is not None:
            members = await repo.of_visit(visit.visit_id)
            for other in visit.refresh(members, now):
                await save(uow, other)
            await repo.save_visit(visit)
    return inspection


# -- commands -------------------------------------------------------------------------------


def acting_inspector(inspector_id: str) -> str:
    """The acting inspector's id (执法人员编号, from their token); a request that names none is
    refused before anything is read."""
    if not inspector_id.strip():
        raise NotAllowed("令牌中没有执法人员编号（inspector_id），无法确认是否为检查组成员")
    return inspector_id.strip()


async def _load(repo: InspectionRepository, inspection_id: str) -> Inspection:
    inspection = await repo.get(inspection_id)
    if inspection is None:
        raise NotFound(f"检查记录 {inspection_id} 不存在")
    return inspection


async def save(uow: InspectionsUnitOfWork, inspection: Inspection) -> None:
    await uow.inspections.save(inspection)  # StaleWrite (409) if someone else changed it first
    await publish_joint_state(uow, inspection)


async def publish_joint_state(uow: InspectionsUnitOfWork, inspection: Inspection) -> None:
    """A team with a neighbour's inspectors: the neighbour's bureau gets every change, so its
    inspectors see the form they sign (issue 10). A co-organising agency's inspectors
    (``<agency>:<id>``, 第三条) are not a neighbour's: they sign at this bureau."""
    if joint.is_joint(inspection):
        await uow.emit(joint.state_of(inspection))


async def record_results(
    uow: InspectionsUnitOfWork,
    inspection_id: str,
    inspector_id: str,
    entries: list[ResultEntry],
    now: datetime | None = None,
    not_inspected: NotInspected | None = None,
    withhold: Withhold | None = None,
) -> Inspection:
    """The leader (by ``inspector_id``; in a visit, the visit's leader too) enters the whole
    record form, or the reason the target was not inspected."""
    repo = uow.inspections
    actor = acting_inspector(inspector_id)
    inspection = await _load(repo, inspection_id)
    inspection.record_results(actor, entries, now or uow.clock.now(), not_inspected, withhold)
    await save(uow, inspection)
    await uow.commit()
    return inspection


async def _load_visit(repo: InspectionRepository, visit_id: str) -> tuple[Visit, list[Inspection]]:
    visit = await repo.get_visit(visit_id)
    if visit is None:
        raise NotFound(f"检查（进一次门）{visit_id} 不存在")
    return visit, await repo.of_visit(visit_id)


async def record_visit_results(
    uow: InspectionsUnitOfWork,
    visit_id: str,
    inspector_id: str,
    entries: list[tuple[str, ResultEntry]],
    now: datetime | None = None,
    not_inspected: NotInspected | None = None,
) -> tuple[Visit, list[Inspection]]:
    """The visit's leader records the results of every task's items in one request; each
    entry is (task_id, result). All or nothing: one form refused refuses them all."""
    repo = uow.inspections
    actor = acting_inspector(inspector_id)
    at = now or uow.clock.now()
    visit, inspections = await _load_visit(repo, visit_id)
    if actor != visit.leader.inspector_id:
        raise NotAllowed(
            f"只有本次检查的组长（{visit.leader.inspector_id}）可以录入整次检查的结果", actor=actor
        )
    by_task = {i.task_id: i for i in inspections}
    grouped: dict[str, list[ResultEntry]] = {}
    errors: list[FieldError] = []
    for n, (task_id, entry) in enumerate(entries):
        if task_id not in by_task:
            errors.append(FieldError(f"results[{n}].task_id", f"任务「{task_id}」不在本次检查中"))
        else:
            grouped.setdefault(task_id, []).append(entry)
    open_ones = [i for i in inspections if i.is_open]
    for i in inspections:
        if not i.is_open and i.task_id in grouped:
            raise StateRefused(
                f"任务 {i.task_no} 的检查记录已提交，不能再修改", status=str(i.status)
            )
    if not open_ones:
        raise StateRefused("本次检查的各任务检查记录均已提交")
    for i in open_ones:
        mine = grouped.get(i.task_id, [])
        if not mine and not_inspected is None:
            errors.append(FieldError("results", f"缺少任务 {i.task_no} 的检查结果"))
            continue
        errors += [
            FieldError(f"{i.task_no}：{e.field}", e.reason)
            for e in i.form_errors(mine, at, not_inspected)
        ]
    if errors:
        raise ResultsInvalid(errors)
    for i in open_ones:
        i.record_results(actor, grouped.get(i.task_id, []), at, not_inspected)
        await save(uow, i)
    await uow.commit()
    return visit, inspections


async def sign(
    uow: InspectionsUnitOfWork,
    inspection_id: str,
    inspector_id: str,
    now: datetime | None = None,
) -> Inspection:
    """A member of the team (by ``inspector_id``: inspector or expert) signs the record form."""
    repo = uow.inspections
    actor = acting_inspector(inspector_id)
    inspection = await _load(repo, inspection_id)
    inspection.sign(actor, now or uow.clock.now())
    if inspection.new_log:
        await save(uow, inspection)
        await uow.commit()
    return inspection


async def submit(
    uow: InspectionsUnitOfWork,
    inspection_id: str,
    inspector_id: str,
    completed_on: date | None = None,
    now: datetime | None = None,
) -> Inspection:
    """The leader (by ``inspector_id``) submits; InspectionSubmitted leaves through the outbox
    with the change."""
    actor = acting_inspector(inspector_id)
    inspection = await _load(uow.inspections, inspection_id)
    await submit_inspection(uow, inspection, actor, now or uow.clock.now(), completed_on)
    await uow.commit()
    return inspection


async def submit_inspection(
    uow: InspectionsUnitOfWork,
    inspection: Inspection,
    actor: str,
    at: datetime,
    completed_on: date | None,
) -> None:
    """Submit, save, and emit what a submission emits (no commit: a consumer's transaction
    may be the one)."""
    attached = {a.kind for a in await uow.inspections.attachments_of(inspection.inspection_id)}
    inspection.submit(actor, at, completed_on, attached)
    await save(uow, inspection)
    await uow.emit(inspection.submitted_event())
    # 第十条: what needs following up goes to the task's lead department.
    follow_up = FollowUp.open_for(inspection, at)
    if (
        follow_up is not None
        and await uow.inspections.follow_up_of(inspection.inspection_id) is None
    ):
        await uow.inspections.add_follow_up(follow_up)
        await uow.emit(follow_up.opened_event())


async def record_samples(
    uow: InspectionsUnitOfWork,
    inspection_id: str,
    inspector_id: str,
    samples: list[Sample],
    now: datetime | None = None,
) -> Inspection:
    """The leader records (replaces) the samples taken from a product (抽样, ADR 0011)."""
    actor = acting_inspector(inspector_id)
    inspection = await _load(uow.inspections, inspection_id)
    inspection.record_samples(actor, samples, now or uow.clock.now())
    if inspection.new_log:
        await save(uow, inspection)
        await uow.commit()
    return inspection


async def add_attachment(
    uow: InspectionsUnitOfWork,
    inspection_id: str,
    inspector_id: str,
    kind: AttachmentKind,
    filename: str,
    media_type: str,
    content: bytes,
    now: datetime | None = None,
) -> att.Attachment:
    """A team member attaches a file; allowed until the follow-up is closed."""
    repo = uow.inspections
    actor = acting_inspector(inspector_id)
    inspection = await _load(repo, inspection_id)
    follow_up = await repo.follow_up_of(inspection_id)
    att.may_attach(inspection, actor, follow_up is not None and follow_up.is_open)
    attachment = att.new_attachment(
        inspection, kind, filename, media_type, content, actor, now or uow.clock.now()
    )
    await repo.add_attachment(attachment, content)
    await uow.emit(attachment.added_event())
    await uow.commit()
    return attachment


async def record_follow_up(
    uow: InspectionsUnitOfWork,
    follow_up_id: str,
    user: str,
    roles: set[str],
    department: str,
    outcome: OutcomeIn,
    now: datetime | None = None,
    transfer_workdays: int = DEFAULT_TRANSFER_WORKDAYS,
) -> FollowUp:
    """The lead department (or the credit department) records an outcome (第十条)."""
    repo = uow.inspections
    follow_up = await repo.get_follow_up(follow_up_id)
    if follow_up is None:
        raise NotFound(f"后续处理 {follow_up_id} 不存在")
    check_lead_department(follow_up, roles, department)
    event = follow_up.record(
        outcome, user, now or uow.clock.now(), await repo.calendar(), transfer_workdays
    )
    await repo.save_follow_up(follow_up)  # StaleWrite (409) if someone else changed it first
    await uow.emit(event)
    await uow.commit()
    return follow_up


async def calendar_recorded(
    uow: InspectionsUnitOfWork,
    calendar: WorkCalendar,
    year: int,
    transfer_workdays: int = DEFAULT_TRANSFER_WORKDAYS,
) -> list[FollowUp]:
    """A year's holiday schedule was recorded (or corrected): give the transfer deadlines that
    waited for it a date, move those computed with an earlier version. In the consumer's
    transaction."""
    repo = uow.inspections
    changed = []
    for follow_up in await repo.suspected_since(date(year - 1, 1, 1)):
        if not follow_up.recompute(calendar, year, transfer_workdays):
            continue
        await repo.save_follow_up(follow_up)
        due, at = follow_up.transfer_due_on, follow_up.suspected_crime_on
        if due is not None and at is not None and follow_up.transfer_due_calendar:
            await uow.emit(
                TransferDueSet(
                    follow_up_id=follow_up.follow_up_id,
                    task_id=follow_up.task_id,
                    uscc=follow_up.uscc,
                    suspected_crime_on=at,
                    transfer_due_on=due,
                    calendar_version=follow_up.transfer_due_calendar,
                )
            )
        changed.append(follow_up)
    return changed
