"""Inspections persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inspections.adapters import orm
from inspections.domain.model import Inspection, InspectionStatus, TaskInfo
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import ItemResult
from spotcheck_common.events.planning import CheckItemRef


class StaleInspection(Exception):
    """The inspection changed since it was read (another request got there first)."""


class InspectionRepository(Protocol):
    async def get_task(self, task_id: str) -> TaskInfo | None: ...

    async def put_task(self, task: TaskInfo, now: datetime) -> None: ...

    async def exists(self, task_id: str, uscc: str) -> bool: ...

    async def add(self, inspection: Inspection) -> None: ...

    async def get(self, inspection_id: str) -> Inspection | None: ...

    async def save(self, inspection: Inspection) -> None: ...


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp here is stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _dt(value: str) -> datetime:
    parsed = _aware(datetime.fromisoformat(value))
    assert parsed is not None
    return parsed


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
        recorded_at=_aware(row.recorded_at),
        submitted_by=row.submitted_by,
        submitted_at=_aware(row.submitted_at),
        completed_on=row.completed_on,
        created_at=_aware(row.created_at) or row.created_at,
        updated_at=_aware(row.updated_at),
        version=row.version,
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
            "updated_at": now,
        }
        updated = await self.session.execute(
            sa.update(t).where(t.c.task_id == task.task_id).values(**values)
        )
        if not updated.rowcount:  # type: ignore[attr-defined]
            await self.session.execute(sa.insert(t).values(task_id=task.task_id, **values))

    async def exists(self, task_id: str, uscc: str) -> bool:
        t = orm.inspections
        query = sa.select(t.c.inspection_id).where(t.c.task_id == task_id, t.c.uscc == uscc)
        return (await self.session.execute(query)).first() is not None

    async def _append_log(self, inspection: Inspection) -> None:
        if inspection.new_log:
            await self.session.execute(
                sa.insert(orm.inspection_log),
                [
                    {
                        "inspection_id": inspection.inspection_id,
                        "action": e.action,
                        "actor": e.actor,
                        "at": e.at,
                        "detail": e.detail,
                    }
                    for e in inspection.new_log
                ],
            )
            inspection.new_log = []

    async def add(self, inspection: Inspection) -> None:
        await self.session.execute(sa.insert(orm.inspections).values(**_values(inspection)))
        await self._append_log(inspection)

    async def get(self, inspection_id: str) -> Inspection | None:
        t = orm.inspections
        row = (
            await self.session.execute(sa.select(t).where(t.c.inspection_id == inspection_id))
        ).first()
        return _inspection(row) if row else None

    async def save(self, inspection: Inspection) -> None:
        t = orm.inspections
        values = _values(inspection)
        values["version"] = inspection.version + 1
        result = await self.session.execute(
            sa.update(t)
            .where(t.c.inspection_id == inspection.inspection_id, t.c.version == inspection.version)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleInspection(inspection.inspection_id)
        inspection.version += 1
        await self._append_log(inspection)

    async def search(
        self,
        task_id: str | None,
        uscc: str | None,
        status: InspectionStatus | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[Inspection]]:
        t = orm.inspections
        where: list[Any] = []
        if task_id:
            where.append(t.c.task_id == task_id)
        if uscc:
            where.append(t.c.uscc == uscc)
        if status:
            where.append(t.c.status == str(status))
        total = (
            await self.session.execute(sa.select(sa.func.count()).select_from(t).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            sa.select(t).where(*where).order_by(t.c.task_no, t.c.uscc).limit(limit).offset(offset)
        )
        return total, [_inspection(r) for r in rows]

    async def history(self, inspection_id: str) -> list[dict[str, Any]]:
        t = orm.inspection_log
        rows = await self.session.execute(
            sa.select(t).where(t.c.inspection_id == inspection_id).order_by(t.c.id)
        )
        return [
            {
                "action": r.action,
                "actor": r.actor,
                "at": (_aware(r.at) or r.at).isoformat(),
                "detail": r.detail,
            }
            for r in rows
        ]
