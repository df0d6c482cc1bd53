"""Task persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from planning.adapters import orm
from planning.domain.model import Task, TaskStatus
from spotcheck_common.events.planning import CheckItemRef, TargetFilter


class DuplicateTaskNo(Exception):
    """Another task of the district already has this number."""


class StaleTask(Exception):
    """The task changed since it was read (another request got there first)."""


class TaskRepository(Protocol):
    async def add(self, task: Task) -> None: ...

    async def get(self, task_id: str) -> Task | None: ...

    async def get_by_no(self, task_no: str) -> Task | None: ...

    async def save(self, task: Task) -> None: ...

    async def search(
        self,
        status: TaskStatus | None = None,
        source: str | None = None,
        lead_department: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[Task]]: ...


def _values(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "district": task.district,
        "task_no": task.task_no,
        "title": task.title,
        "lead_department": task.lead_department,
        "co_lead_departments": list(task.co_lead_departments),
        "assisting_departments": list(task.assisting_departments),
        "check_items": [i.model_dump(mode="json") for i in task.check_items],
        "target_filter": task.target_filter.model_dump(mode="json"),
        "ratio_bp": {str(k): v for k, v in task.ratio_bp.items()},
        "inspector_departments": list(task.inspector_departments),
        "team_size": task.team_size,
        "methods": [str(m) for m in task.methods],
        "deadline": task.deadline,
        "source": str(task.source),
        "status": str(task.status),
        "created_by": task.created_by,
        "created_at": task.created_at,
        "approved_by": task.approved_by,
        "approved_at": task.approved_at,
        "updated_at": task.updated_at or task.created_at,
        "version": task.version,
    }


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every timestamp here is stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _task(row: Any) -> Task:
    return Task(
        task_id=row.task_id,
        district=row.district,
        task_no=row.task_no,
        title=row.title,
        lead_department=row.lead_department,
        co_lead_departments=list(row.co_lead_departments),
        assisting_departments=list(row.assisting_departments),
        check_items=[CheckItemRef.model_validate(i) for i in row.check_items],
        target_filter=TargetFilter.model_validate(row.target_filter),
        ratio_bp=dict(row.ratio_bp),
        inspector_departments=list(row.inspector_departments),
        team_size=row.team_size,
        methods=list(row.methods),
        deadline=row.deadline,
        source=row.source,
        status=TaskStatus(row.status),
        created_by=row.created_by,
        created_at=_aware(row.created_at) or row.created_at,
        approved_by=row.approved_by,
        approved_at=_aware(row.approved_at),
        updated_at=_aware(row.updated_at),
        version=row.version,
    )


class SqlTaskRepository:
    """Tasks of one district (``district`` scopes every query)."""

    def __init__(self, session: AsyncSession, district: str) -> None:
        self.session = session
        self.district = district

    async def add(self, task: Task) -> None:
        try:
            await self.session.execute(sa.insert(orm.tasks).values(**_values(task)))
        except IntegrityError:
            raise DuplicateTaskNo(task.task_no) from None

    async def _one(self, *where: Any) -> Task | None:
        t = orm.tasks
        row = (
            await self.session.execute(sa.select(t).where(t.c.district == self.district, *where))
        ).first()
        return _task(row) if row else None

    async def get(self, task_id: str) -> Task | None:
        return await self._one(orm.tasks.c.task_id == task_id)

    async def get_by_no(self, task_no: str) -> Task | None:
        return await self._one(orm.tasks.c.task_no == task_no)

    async def save(self, task: Task) -> None:
        t = orm.tasks
        values = _values(task)
        values["version"] = task.version + 1
        result = await self.session.execute(
            sa.update(t)
            .where(t.c.task_id == task.task_id, t.c.version == task.version)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleTask(task.task_id)
        task.version += 1

    async def search(
        self,
        status: TaskStatus | None = None,
        source: str | None = None,
        lead_department: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[Task]]:
        t = orm.tasks
        where: list[Any] = [t.c.district == self.district]
        if status is not None:
            where.append(t.c.status == str(status))
        if source is not None:
            where.append(t.c.source == source)
        if lead_department is not None:
            where.append(t.c.lead_department == lead_department)
        total = (
            await self.session.execute(sa.select(sa.func.count()).select_from(t).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            sa.select(t)
            .where(*where)
            .order_by(t.c.created_at.desc(), t.c.task_no)
            .limit(limit)
            .offset(offset)
        )
        return total, [_task(r) for r in rows]
