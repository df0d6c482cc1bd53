"""Inspections persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from inspections.adapters import orm
from inspections.domain.attachments import Attachment
from inspections.domain.follow_ups import FollowUp, FollowUpStatus
from inspections.domain.joint import JointInspection
from inspections.domain.model import Inspection, InspectionStatus, NotInspectedReason, TaskInfo
from inspections.domain.visits import Visit
from spotcheck_common.bulk import insert_rows
from spotcheck_common.calendar_store import CalendarStore
from spotcheck_common.db import Page, aware, aware_or_none, paginate, update_versioned
from spotcheck_common.errors import StaleWrite
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import (
    AttachmentKind,
    FollowUpKind,
    ItemResult,
    JointInspectionState,
    Sample,
)
from spotcheck_common.events.planning import CheckItemRef
from spotcheck_common.workdays import WorkCalendar

STALE_INSPECTION = "检查记录已被他人同时修改，请刷新后重试"
STALE_VISIT = "检查（进一次门）已被他人同时修改，请刷新后重试"
STALE_FOLLOW_UP = "后续处理已被他人同时修改，请刷新后重试"


class InspectionRepository(Protocol):
    async def get_task(self, task_id: str) -> TaskInfo | None: ...

    async def put_task(self, task: TaskInfo, now: datetime) -> None: ...

    async def existing(self, task_id: str, usccs: Sequence[str]) -> set[str]: ...

    async def add(self, inspection: Inspection) -> None: ...

    async def add_many(self, inspections: Sequence[Inspection]) -> None: ...

    async def get(self, inspection_id: str) -> Inspection | None: ...

    async def save(self, inspection: Inspection) -> None: ...

    async def find(self, task_id: str, uscc: str) -> Inspection | None: ...

    async def lock_targets(self, usccs: Sequence[str]) -> None: ...

    async def open_for_usccs(self, usccs: Sequence[str]) -> dict[str, list[Inspection]]: ...

    async def of_visit(self, visit_id: str) -> list[Inspection]: ...

    async def get_visit(self, visit_id: str) -> Visit | None: ...

    async def add_visit(self, visit: Visit) -> None: ...

    async def save_visit(self, visit: Visit) -> None: ...

    async def get_follow_up(self, follow_up_id: str) -> FollowUp | None: ...

    async def follow_up_of(self, inspection_id: str) -> FollowUp | None: ...

    async def add_follow_up(self, follow_up: FollowUp) -> None: ...

    async def save_follow_up(self, follow_up: FollowUp) -> None: ...

    async def calendar(self) -> WorkCalendar: ...

    async def suspected_since(self, day: date) -> list[FollowUp]: ...

    async def add_attachment(self, attachment: Attachment, content: bytes) -> None: ...

    # -- reads (``service_layer.views``)

    async def search(
        self,
        task_id: str | None,
        uscc: str | None,
        status: InspectionStatus | None,
        limit: int,
        offset: int,
        visit_id: str | None = None,
        not_inspected: bool | None = None,
        member: str | None = None,
    ) -> Page[Inspection]:
        """By task number, then target; ``member``: only those whose team (or visit leader)
        includes that inspector or expert."""
        ...

    async def history(self, inspection_id: str) -> list[dict[str, Any]]:
        """What happened to the inspection, oldest first (action, actor, at, detail)."""
        ...

    async def visit_history(self, visit_id: str) -> list[dict[str, Any]]: ...

    async def search_visits(self, uscc: str | None, limit: int, offset: int) -> Page[Visit]:
        """Latest first, with how many there are in all."""
        ...

    async def search_follow_ups(
        self,
        status: FollowUpStatus | None,
        department: str | None,
        task_id: str | None,
        uscc: str | None = None,
    ) -> list[FollowUp]:
        """Oldest first."""
        ...

    async def pending_transfer_deadlines(self) -> int: ...

    async def attachments_of(self, inspection_id: str) -> list[Attachment]:
        """Oldest first, without their content."""
        ...

    async def get_attachment(self, attachment_id: str) -> tuple[Attachment, bytes] | None: ...

    # -- a neighbour's joint inspections (issue 10)

    async def get_joint(self, inspection_id: str) -> JointInspection | None: ...

    async def put_joint(self, joint: JointInspection, members: list[str]) -> None:
        """Insert or replace; ``members``: this district's inspectors on it (bare ids)."""
        ...

    async def search_joint(
        self, member: str | None, limit: int, offset: int
    ) -> Page[JointInspection]:
        """By task number, then target; ``member``: only those with that inspector of ours."""
        ...

    # -- workload (this district's inspectors, its own inspections and its neighbours')

    async def teams_due_in(self, year: int) -> list[tuple[list[TeamMember], InspectionStatus]]:
        """The team and status of each inspection whose task is due in ``year``."""
        ...

    async def joint_due_in(self, year: int) -> list[JointInspection]:
        """The neighbours' inspections kept here whose task is due in ``year``."""
        ...


def _joint(row: Any) -> JointInspection:
    return JointInspection(
        inspection_id=row.inspection_id,
        drawing_district=row.drawing_district,
        state=JointInspectionState.model_validate(row.state),
        received_at=aware(row.received_at),
        acted_here=dict(row.acted_here),
    )


def _dt(value: str) -> datetime:
    return aware(datetime.fromisoformat(value))


def _values(i: Inspection) -> dict[str, Any]:
    return {
        "inspection_id": i.inspection_id,
        "task_id": i.task_id,
        "task_no": i.task_no,
        "task_title": i.task_title,
        "draw_id": i.draw_id,
        "uscc": i.uscc,
        "entity_name": i.entity_name,
        "risk_class": i.risk_class,
        "inspecting_authority": i.inspecting_authority,
        "check_items": [c.model_dump(mode="json") for c in i.check_items],
        "deadline": i.deadline,
        "check_type": i.check_type,
        "team": [m.model_dump(mode="json") for m in i.team],
        "status": str(i.status),
        "results": [r.model_dump(mode="json") for r in i.results],
        "signatures": {k: v.isoformat() for k, v in i.signatures.items()},
        "recorded_by": i.recorded_by,
        "recorded_at": i.recorded_at,
        "submitted_by": i.submitted_by,
        "submitted_at": i.submitted_at,
        "completed_on": i.completed_on,
        "created_at": i.created_at,
        "updated_at": i.updated_at or i.created_at,
        "version": i.version,
        "plan_no": i.plan_no,
        "plan_name": i.plan_name,
        "visit_id": i.visit_id,
        "visit_leader_id": i.visit_leader_id,
        "not_inspected_reason": str(i.not_inspected_reason or ""),
        "not_inspected_on": i.not_inspected_on,
        "withhold_reason": i.withhold_reason,
        "area": i.area,
        "details": i.details,
        "samples": [s.model_dump(mode="json") for s in i.samples],
    }


def _inspection(row: Any) -> Inspection:
    return Inspection(
        inspection_id=row.inspection_id,
        task_id=row.task_id,
        task_no=row.task_no,
        task_title=row.task_title,
        draw_id=row.draw_id,
        uscc=row.uscc,
        entity_name=row.entity_name,
        risk_class=row.risk_class,
        inspecting_authority=row.inspecting_authority,
        check_items=[CheckItemRef.model_validate(c) for c in row.check_items],
        deadline=row.deadline,
        check_type=row.check_type,
        team=[TeamMember.model_validate(m) for m in row.team],
        status=InspectionStatus(row.status),
        results=[ItemResult.model_validate(r) for r in row.results],
        signatures={k: _dt(v) for k, v in row.signatures.items()},
        recorded_by=row.recorded_by,
        recorded_at=aware_or_none(row.recorded_at),
        submitted_by=row.submitted_by,
        submitted_at=aware_or_none(row.submitted_at),
        completed_on=row.completed_on,
        created_at=aware(row.created_at),
        updated_at=aware_or_none(row.updated_at),
        version=row.version,
        plan_no=row.plan_no,
        plan_name=row.plan_name,
        visit_id=row.visit_id,
        visit_leader_id=row.visit_leader_id,
        not_inspected_reason=(
            NotInspectedReason(row.not_inspected_reason) if row.not_inspected_reason else None
        ),
        not_inspected_on=row.not_inspected_on,
        withhold_reason=row.withhold_reason,
        area=row.area,
        details=dict(row.details),
        samples=[Sample.model_validate(s) for s in row.samples],
    )


def _visit_values(v: Visit) -> dict[str, Any]:
    return {
        "visit_id": v.visit_id,
        "uscc": v.uscc,
        "entity_name": v.entity_name,
        "leader": v.leader.model_dump(mode="json"),
        "lead_inspection_id": v.lead_inspection_id,
        "lead_task_id": v.lead_task_id,
        "inspections": v.inspections,
        "members": v.members,
        "created_at": v.created_at,
        "updated_at": v.updated_at or v.created_at,
        "version": v.version,
    }


def _log_json(v: Visit) -> list[dict[str, Any]]:
    return [
        {"action": e.action, "actor": e.actor, "at": e.at.isoformat(), "detail": e.detail}
        for e in v.new_log
    ]


def _visit(row: Any) -> Visit:
    return Visit(
        visit_id=row.visit_id,
        uscc=row.uscc,
        entity_name=row.entity_name,
        leader=TeamMember.model_validate(row.leader),
        lead_inspection_id=row.lead_inspection_id,
        lead_task_id=row.lead_task_id,
        inspections=list(row.inspections),
        members=list(row.members),
        created_at=aware(row.created_at),
        updated_at=aware_or_none(row.updated_at),
        version=row.version,
    )


def _follow_up_values(f: FollowUp) -> dict[str, Any]:
    return {
        "follow_up_id": f.follow_up_id,
        "inspection_id": f.inspection_id,
        "task_id": f.task_id,
        "task_no": f.task_no,
        "uscc": f.uscc,
        "entity_name": f.entity_name,
        "kind": str(f.kind),
        "lead_department": f.lead_department,
        "reason": f.reason,
        "status": str(f.status),
        "case_no": f.case_no,
        "opened_on": f.opened_on,
        "opened_at": f.opened_at,
        "suspected_crime_on": f.suspected_crime_on,
        "transfer_due_on": f.transfer_due_on,
        "transfer_due_calendar": f.transfer_due_calendar,
        "transfer_due_pending": f.transfer_due_pending,
        "transferred_on": f.transferred_on,
        "rectified_on": f.rectified_on,
        "closed_on": f.closed_on,
        "outcomes": f.outcomes,
        "updated_at": f.updated_at or f.opened_at,
        "version": f.version,
    }


def _follow_up(row: Any) -> FollowUp:
    return FollowUp(
        follow_up_id=row.follow_up_id,
        inspection_id=row.inspection_id,
        task_id=row.task_id,
        task_no=row.task_no,
        uscc=row.uscc,
        entity_name=row.entity_name,
        kind=FollowUpKind(row.kind),
        lead_department=row.lead_department,
        reason=row.reason,
        status=FollowUpStatus(row.status),
        case_no=row.case_no,
        opened_on=row.opened_on,
        opened_at=aware(row.opened_at),
        suspected_crime_on=row.suspected_crime_on,
        transfer_due_on=row.transfer_due_on,
        transfer_due_calendar=row.transfer_due_calendar,
        transfer_due_pending=row.transfer_due_pending,
        transferred_on=row.transferred_on,
        rectified_on=row.rectified_on,
        closed_on=row.closed_on,
        outcomes=list(row.outcomes),
        updated_at=aware_or_none(row.updated_at),
        version=row.version,
    )


def _attachment(row: Any) -> Attachment:
    return Attachment(
        attachment_id=row.attachment_id,
        inspection_id=row.inspection_id,
        task_id=row.task_id,
        uscc=row.uscc,
        kind=AttachmentKind(row.kind),
        filename=row.filename,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        added_by=row.added_by,
        added_at=aware(row.added_at),
    )


class SqlInspectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_task(self, task_id: str) -> TaskInfo | None:
        t = orm.tasks
        row = (await self.session.execute(sa.select(t).where(t.c.task_id == task_id))).first()
        if row is None:
            return None
        return TaskInfo(
            task_id=row.task_id,
            task_no=row.task_no,
            title=row.title,
            lead_department=row.lead_department,
            check_items=[CheckItemRef.model_validate(c) for c in row.check_items],
            deadline=row.deadline,
            check_type=row.check_type,
            plan_id=row.plan_id,
            plan_no=row.plan_no,
            plan_name=row.plan_name,
        )

    async def put_task(self, task: TaskInfo, now: datetime) -> None:
        t = orm.tasks
        values = {
            "task_no": task.task_no,
            "title": task.title,
            "lead_department": task.lead_department,
            "check_items": [c.model_dump(mode="json") for c in task.check_items],
            "deadline": task.deadline,
            "check_type": task.check_type,
            "plan_id": task.plan_id,
            "plan_no": task.plan_no,
            "plan_name": task.plan_name,
            "updated_at": now,
        }
        updated = await self.session.execute(
            sa.update(t).where(t.c.task_id == task.task_id).values(**values)
        )
        if not updated.rowcount:  # type: ignore[attr-defined]
            await self.session.execute(sa.insert(t).values(task_id=task.task_id, **values))

    async def existing(self, task_id: str, usccs: Sequence[str]) -> set[str]:
        """Which of ``usccs`` already have an inspection in the task."""
        t = orm.inspections
        query = sa.select(t.c.uscc).where(t.c.task_id == task_id, self._among(t.c.uscc, usccs))
        return set((await self.session.scalars(query)).all())

    def _among(self, column: sa.ColumnElement[str], values: Sequence[str]) -> Any:
        """``column`` is one of ``values``. On PostgreSQL one array parameter, unnested: one
        prepared statement whatever the count (an IN list of a thousand is a new statement
        each time), and a hash join (``= ANY`` would compare every row with every value)."""
        if self.session.get_bind().dialect.name == "postgresql":
            array = sa.bindparam(None, list(values), type_=ARRAY(sa.Text))
            return column.in_(sa.select(sa.func.unnest(array)))
        return column.in_(list(values))

    async def _append_log(self, *inspections: Inspection) -> None:
        rows = [
            {
                "inspection_id": i.inspection_id,
                "action": e.action,
                "actor": e.actor,
                "at": e.at,
                "detail": e.detail,
            }
            for i in inspections
            for e in i.new_log
        ]
        await insert_rows(self.session, orm.inspection_log, rows)
        for i in inspections:
            i.new_log = []

    async def add(self, inspection: Inspection) -> None:
        await self.add_many([inspection])

    async def add_many(self, inspections: Sequence[Inspection]) -> None:
        """New inspections, their members and their logs: three statements however many (a
        draw's part opens a thousand at once)."""
        await insert_rows(self.session, orm.inspections, [_values(i) for i in inspections])
        members = [
            {"inspection_id": i.inspection_id, "member_id": who}
            for i in inspections
            for who in sorted(i.members)
        ]
        await insert_rows(self.session, orm.inspection_members, members)
        await self._append_log(*inspections)

    async def _keep_members(self, inspection: Inspection) -> None:
        m = orm.inspection_members
        key = inspection.inspection_id
        await self.session.execute(sa.delete(m).where(m.c.inspection_id == key))
        rows = [{"inspection_id": key, "member_id": who} for who in sorted(inspection.members)]
        if rows:
            await self.session.execute(sa.insert(m), rows)

    async def get(self, inspection_id: str) -> Inspection | None:
        t = orm.inspections
        row = (
            await self.session.execute(sa.select(t).where(t.c.inspection_id == inspection_id))
        ).first()
        return _inspection(row) if row else None

    async def save(self, inspection: Inspection) -> None:
        t = orm.inspections
        key = t.c.inspection_id == inspection.inspection_id
        if not await update_versioned(
            self.session, t, key, inspection.version, _values(inspection)
        ):
            raise StaleWrite(STALE_INSPECTION, id=inspection.inspection_id)
        inspection.version += 1
        await self._keep_members(inspection)
        await self._append_log(inspection)

    async def find(self, task_id: str, uscc: str) -> Inspection | None:
        t = orm.inspections
        query = sa.select(t).where(t.c.task_id == task_id, t.c.uscc == uscc)
        row = (await self.session.execute(query)).first()
        return _inspection(row) if row else None

    async def lock_targets(self, usccs: Sequence[str]) -> None:
        """Serialise visit grouping per target until the transaction ends: two draws of the
        same target handled at once by two replicas would otherwise miss each other. Locks
        are taken in one order (sorted), so two such transactions cannot deadlock. SQLite
        serialises writers already."""
        if usccs and self.session.get_bind().dialect.name == "postgresql":
            keys = sa.bindparam(
                "keys", [f"visit:{u}" for u in sorted(set(usccs))], type_=ARRAY(sa.Text)
            )
            await self.session.execute(
                sa.text(
                    "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM unnest(:keys) AS k"
                ).bindparams(keys)
            )

    async def open_for_usccs(self, usccs: Sequence[str]) -> dict[str, list[Inspection]]:
        """The open inspections of each of ``usccs`` (only those that have some), oldest
        first."""
        t = orm.inspections
        query = (
            sa.select(t)
            .where(self._among(t.c.uscc, usccs), t.c.status != str(InspectionStatus.SUBMITTED))
            .order_by(t.c.created_at, t.c.inspection_id)
        )
        found: dict[str, list[Inspection]] = {}
        for row in await self.session.execute(query):
            found.setdefault(row.uscc, []).append(_inspection(row))
        return found

    async def of_visit(self, visit_id: str) -> list[Inspection]:
        t = orm.inspections
        query = sa.select(t).where(t.c.visit_id == visit_id).order_by(t.c.created_at, t.c.task_no)
        return [_inspection(r) for r in await self.session.execute(query)]

    async def get_visit(self, visit_id: str) -> Visit | None:
        t = orm.visits
        row = (await self.session.execute(sa.select(t).where(t.c.visit_id == visit_id))).first()
        return _visit(row) if row else None

    async def visit_history(self, visit_id: str) -> list[dict[str, Any]]:
        t = orm.visits
        query = sa.select(t.c.history).where(t.c.visit_id == visit_id)
        return list((await self.session.execute(query)).scalar_one_or_none() or [])

    async def add_visit(self, visit: Visit) -> None:
        values = _visit_values(visit)
        values["history"] = _log_json(visit)
        await self.session.execute(sa.insert(orm.visits).values(**values))
        visit.new_log = []

    async def save_visit(self, visit: Visit) -> None:
        t = orm.visits
        values = _visit_values(visit)
        values["history"] = await self.visit_history(visit.visit_id) + _log_json(visit)
        if not await update_versioned(
            self.session, t, t.c.visit_id == visit.visit_id, visit.version, values
        ):
            raise StaleWrite(STALE_VISIT, id=visit.visit_id)
        visit.version += 1
        visit.new_log = []

    async def search_visits(self, uscc: str | None, limit: int, offset: int) -> Page[Visit]:
        t = orm.visits
        query = sa.select(t).order_by(t.c.created_at.desc(), t.c.visit_id)
        if uscc:
            query = query.where(t.c.uscc == uscc)
        return await paginate(self.session, query, limit, offset, _visit)

    # -- follow-ups -----------------------------------------------------------------------

    async def get_follow_up(self, follow_up_id: str) -> FollowUp | None:
        t = orm.follow_ups
        query = sa.select(t).where(t.c.follow_up_id == follow_up_id)
        row = (await self.session.execute(query)).first()
        return _follow_up(row) if row else None

    async def follow_up_of(self, inspection_id: str) -> FollowUp | None:
        t = orm.follow_ups
        query = sa.select(t).where(t.c.inspection_id == inspection_id)
        row = (await self.session.execute(query)).first()
        return _follow_up(row) if row else None

    async def add_follow_up(self, follow_up: FollowUp) -> None:
        await self.session.execute(sa.insert(orm.follow_ups).values(**_follow_up_values(follow_up)))

    async def save_follow_up(self, follow_up: FollowUp) -> None:
        t = orm.follow_ups
        key = t.c.follow_up_id == follow_up.follow_up_id
        if not await update_versioned(
            self.session, t, key, follow_up.version, _follow_up_values(follow_up)
        ):
            raise StaleWrite(STALE_FOLLOW_UP, id=follow_up.follow_up_id)
        follow_up.version += 1

    async def calendar(self) -> WorkCalendar:
        return await CalendarStore(self.session).load()

    async def suspected_since(self, day: date) -> list[FollowUp]:
        """Follow-ups that became a suspected crime on or after ``day``."""
        t = orm.follow_ups
        rows = await self.session.execute(
            sa.select(t)
            .where(t.c.suspected_crime_on >= day)
            .order_by(t.c.suspected_crime_on, t.c.follow_up_id)
        )
        return [_follow_up(r) for r in rows]

    async def pending_transfer_deadlines(self) -> int:
        t = orm.follow_ups
        query = sa.select(sa.func.count()).where(t.c.transfer_due_pending.is_not(None))
        return int((await self.session.execute(query)).scalar_one())

    async def search_follow_ups(
        self,
        status: FollowUpStatus | None,
        department: str | None,
        task_id: str | None,
        uscc: str | None = None,
    ) -> list[FollowUp]:
        t = orm.follow_ups
        where: list[Any] = []
        if status:
            where.append(t.c.status == str(status))
        if department:
            where.append(t.c.lead_department == department)
        if task_id:
            where.append(t.c.task_id == task_id)
        if uscc:
            where.append(t.c.uscc == uscc)
        rows = await self.session.execute(
            sa.select(t).where(*where).order_by(t.c.opened_at, t.c.follow_up_id)
        )
        return [_follow_up(r) for r in rows]

    # -- attachments ----------------------------------------------------------------------

    async def add_attachment(self, attachment: Attachment, content: bytes) -> None:
        a = attachment
        await self.session.execute(
            sa.insert(orm.attachments).values(
                attachment_id=a.attachment_id,
                inspection_id=a.inspection_id,
                task_id=a.task_id,
                uscc=a.uscc,
                kind=str(a.kind),
                filename=a.filename,
                media_type=a.media_type,
                size=a.size,
                sha256=a.sha256,
                content=content,
                added_by=a.added_by,
                added_at=a.added_at,
            )
        )

    async def attachments_of(self, inspection_id: str) -> list[Attachment]:
        t = orm.attachments
        columns = [c for c in t.c if c.name != "content"]
        rows = await self.session.execute(
            sa.select(*columns)
            .where(t.c.inspection_id == inspection_id)
            .order_by(t.c.added_at, t.c.attachment_id)
        )
        return [_attachment(r) for r in rows]

    async def get_attachment(self, attachment_id: str) -> tuple[Attachment, bytes] | None:
        t = orm.attachments
        row = (
            await self.session.execute(sa.select(t).where(t.c.attachment_id == attachment_id))
        ).first()
        return (_attachment(row), bytes(row.content)) if row else None

    async def get_joint(self, inspection_id: str) -> JointInspection | None:
        t = orm.joint_inspections
        query = sa.select(t).where(t.c.inspection_id == inspection_id)
        row = (await self.session.execute(query)).first()
        return _joint(row) if row else None

    async def put_joint(self, joint: JointInspection, members: list[str]) -> None:
        t, m = orm.joint_inspections, orm.joint_inspection_members
        key = joint.inspection_id
        values = {
            "drawing_district": joint.drawing_district,
            "revision": joint.revision,
            "state": joint.state.model_dump(mode="json"),
            "acted_here": joint.acted_here,
            "received_at": joint.received_at,
        }
        updated = await self.session.execute(
            sa.update(t).where(t.c.inspection_id == key).values(**values)
        )
        if not updated.rowcount:  # type: ignore[attr-defined]
            await self.session.execute(sa.insert(t).values(inspection_id=key, **values))
        await self.session.execute(sa.delete(m).where(m.c.inspection_id == key))
        if members:
            rows = [{"inspection_id": key, "member_id": who} for who in sorted(set(members))]
            await self.session.execute(sa.insert(m), rows)

    async def search_joint(
        self, member: str | None, limit: int, offset: int
    ) -> Page[JointInspection]:
        t = orm.joint_inspections
        query = sa.select(t)
        if member is not None:
            m = orm.joint_inspection_members
            mine = sa.select(m.c.inspection_id).where(m.c.member_id == member)
            query = query.where(t.c.inspection_id.in_(mine))
        query = query.order_by(t.c.received_at.desc(), t.c.inspection_id)
        return await paginate(self.session, query, limit, offset, _joint)

    async def teams_due_in(self, year: int) -> list[tuple[list[TeamMember], InspectionStatus]]:
        t = orm.inspections
        due = t.c.deadline.between(date(year, 1, 1), date(year, 12, 31))
        rows = await self.session.execute(sa.select(t.c.team, t.c.status).where(due))
        return [
            ([TeamMember.model_validate(m) for m in r.team], InspectionStatus(r.status))
            for r in rows
        ]

    async def joint_due_in(self, year: int) -> list[JointInspection]:
        # The deadline lives in the state's JSON; a district keeps few of its neighbours'.
        rows = await self.session.execute(sa.select(orm.joint_inspections))
        kept = [_joint(r) for r in rows]
        return [j for j in kept if j.state.deadline.year == year]

    async def search(
        self,
        task_id: str | None,
        uscc: str | None,
        status: InspectionStatus | None,
        limit: int,
        offset: int,
        visit_id: str | None = None,
        not_inspected: bool | None = None,
        member: str | None = None,
    ) -> Page[Inspection]:
        t = orm.inspections
        where: list[Any] = []
        if member is not None:
            m = orm.inspection_members
            mine = sa.select(m.c.inspection_id).where(m.c.member_id == member)
            where.append(t.c.inspection_id.in_(mine))
        if task_id:
            where.append(t.c.task_id == task_id)
        if uscc:
            where.append(t.c.uscc == uscc)
        if status:
            where.append(t.c.status == str(status))
        if visit_id:
            where.append(t.c.visit_id == visit_id)
        if not_inspected is not None:
            where.append(
                t.c.not_inspected_reason != "" if not_inspected else t.c.not_inspected_reason == ""
            )
        query = sa.select(t).where(*where).order_by(t.c.task_no, t.c.uscc)
        return await paginate(self.session, query, limit, offset, _inspection)

    async def history(self, inspection_id: str) -> list[dict[str, Any]]:
        t = orm.inspection_log
        rows = await self.session.execute(
            sa.select(t).where(t.c.inspection_id == inspection_id).order_by(t.c.id)
        )
        return [
            {
                "action": r.action,
                "actor": r.actor,
                "at": aware(r.at).isoformat(),
                "detail": r.detail,
            }
            for r in rows
        ]
