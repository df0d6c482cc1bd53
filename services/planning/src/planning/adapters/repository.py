"""Task persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from planning.adapters import orm
from planning.domain.model import DuplicateTaskNo, StaleTask, Task, TaskStatus
from planning.domain.plans import AnnualPlan, PlanStatus, StalePlan, Transition
from spotcheck_common.db import Page, aware, aware_or_none, insert_for, paginate, update_versioned
from spotcheck_common.events.planning import CheckItemRef, CoOrganiser, PlanItem, TargetFilter


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
    ) -> Page[Task]: ...

    async def approved_in_year(self, year: int) -> list[Task]: ...


APPROVED_OR_LATER = (TaskStatus.APPROVED, TaskStatus.PUBLISHED, TaskStatus.CLOSED)


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
        "plan_id": task.plan_id,
        "plan_no": task.plan_no,
        "plan_name": task.plan_name,
        "issuing_authority": task.issuing_authority,
        "document_no": task.document_no,
        "received_by": task.received_by,
        "received_at": task.received_at,
        "published_by": task.published_by,
        "published_at": task.published_at,
        "experts_per_target": task.experts_per_target,
        "expert_fields": list(task.expert_fields),
        "co_organisers": [c.model_dump(mode="json") for c in task.co_organisers],
    }


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
        created_at=aware(row.created_at),
        approved_by=row.approved_by,
        approved_at=aware_or_none(row.approved_at),
        updated_at=aware_or_none(row.updated_at),
        version=row.version,
        plan_id=row.plan_id,
        plan_no=row.plan_no,
        plan_name=row.plan_name,
        issuing_authority=row.issuing_authority,
        document_no=row.document_no,
        received_by=row.received_by,
        received_at=aware_or_none(row.received_at),
        published_by=row.published_by,
        published_at=aware_or_none(row.published_at),
        experts_per_target=row.experts_per_target,
        expert_fields=list(row.expert_fields),
        co_organisers=[CoOrganiser.model_validate(c) for c in row.co_organisers],
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
        if not await update_versioned(
            self.session, t, t.c.task_id == task.task_id, task.version, _values(task)
        ):
            raise StaleTask(task.task_no)
        task.version += 1

    async def search(
        self,
        status: TaskStatus | None = None,
        source: str | None = None,
        lead_department: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Task]:
        t = orm.tasks
        where: list[Any] = [t.c.district == self.district]
        if status is not None:
            where.append(t.c.status == str(status))
        if source is not None:
            where.append(t.c.source == source)
        if lead_department is not None:
            where.append(t.c.lead_department == lead_department)
        query = sa.select(t).where(*where).order_by(t.c.created_at.desc(), t.c.task_no)
        return await paginate(self.session, query, limit, offset, _task)

    async def approved_in_year(self, year: int) -> list[Task]:
        """Tasks approved (or further) whose deadline falls in ``year``: the yearly cap's base."""
        t = orm.tasks
        rows = await self.session.execute(
            sa.select(t)
            .where(
                t.c.district == self.district,
                t.c.status.in_([str(s) for s in APPROVED_OR_LATER]),
                t.c.deadline >= date(year, 1, 1),
                t.c.deadline <= date(year, 12, 31),
            )
            .order_by(t.c.task_no)
        )
        return [_task(r) for r in rows]


class PlanRepository(Protocol):
    async def add(self, plan: AnnualPlan) -> None: ...

    async def save(self, plan: AnnualPlan) -> None: ...

    async def versions(self, plan_id: str) -> list[AnnualPlan]: ...

    async def of_year(self, year: int) -> list[AnnualPlan]: ...

    async def find(
        self, plan_no: str | None = None, department: str | None = None, year: int | None = None
    ) -> list[AnnualPlan]: ...

    async def history(self, plan_id: str) -> list[Transition]: ...


def _plan_values(plan: AnnualPlan) -> dict[str, Any]:
    return {
        "plan_id": plan.plan_id,
        "plan_version": plan.plan_version,
        "district": plan.district,
        "plan_no": plan.plan_no,
        "plan_name": plan.plan_name,
        "department": plan.department,
        "year": plan.year,
        "status": str(plan.status),
        "items": [i.model_dump(mode="json") for i in plan.items],
        "supersedes_version": plan.supersedes_version,
        "adjustment_reason": plan.adjustment_reason,
        "steps": plan.steps,
        "filed_on": plan.filed_on,
        "filing_ref": plan.filing_ref,
        "rejection_reason": plan.rejection_reason,
        "created_by": plan.created_by,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at or plan.created_at,
        "row_version": plan.row_version,
    }


def _plan(row: Any) -> AnnualPlan:
    return AnnualPlan(
        plan_id=row.plan_id,
        district=row.district,
        plan_no=row.plan_no,
        plan_name=row.plan_name,
        department=row.department,
        year=row.year,
        plan_version=row.plan_version,
        items=[PlanItem.model_validate(i) for i in row.items],
        created_by=row.created_by,
        created_at=aware(row.created_at),
        status=PlanStatus(row.status),
        supersedes_version=row.supersedes_version,
        adjustment_reason=row.adjustment_reason,
        steps=dict(row.steps),
        filed_on=row.filed_on,
        filing_ref=row.filing_ref,
        rejection_reason=row.rejection_reason,
        updated_at=aware_or_none(row.updated_at),
        row_version=row.row_version,
    )


def _transition(row: Any) -> Transition:
    return Transition(
        plan_id=row.plan_id,
        plan_version=row.plan_version,
        action=row.action,
        from_status=row.from_status,
        to_status=row.to_status,
        actor=row.actor,
        at=aware(row.at),
        reason=row.reason,
        details=dict(row.details),
    )


class SqlPlanRepository:
    """Annual plans of one district, every version kept, every transition recorded."""

    def __init__(self, session: AsyncSession, district: str) -> None:
        self.session = session
        self.district = district

    async def _flush_transitions(self, plan: AnnualPlan) -> None:
        if plan.new_transitions:
            await self.session.execute(
                sa.insert(orm.plan_transitions),
                [
                    {
                        "plan_id": t.plan_id,
                        "plan_version": t.plan_version,
                        "action": t.action,
                        "from_status": t.from_status,
                        "to_status": t.to_status,
                        "actor": t.actor,
                        "at": t.at,
                        "reason": t.reason,
                        "details": t.details,
                    }
                    for t in plan.new_transitions
                ],
            )
            plan.new_transitions = []

    async def add(self, plan: AnnualPlan) -> None:
        await self.session.execute(sa.insert(orm.annual_plans).values(**_plan_values(plan)))
        await self._flush_transitions(plan)

    async def save(self, plan: AnnualPlan) -> None:
        t = orm.annual_plans
        values = _plan_values(plan)
        values["row_version"] = plan.row_version + 1
        result = await self.session.execute(
            sa.update(t)
            .where(
                t.c.plan_id == plan.plan_id,
                t.c.plan_version == plan.plan_version,
                t.c.row_version == plan.row_version,
            )
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StalePlan()
        plan.row_version += 1
        await self._flush_transitions(plan)

    async def _select(self, *where: Any) -> list[AnnualPlan]:
        t = orm.annual_plans
        rows = await self.session.execute(
            sa.select(t)
            .where(t.c.district == self.district, *where)
            .order_by(t.c.year, t.c.department, t.c.plan_no, t.c.plan_version)
        )
        return [_plan(r) for r in rows]

    async def versions(self, plan_id: str) -> list[AnnualPlan]:
        return await self._select(orm.annual_plans.c.plan_id == plan_id)

    async def of_year(self, year: int) -> list[AnnualPlan]:
        return await self._select(orm.annual_plans.c.year == year)

    async def find(
        self, plan_no: str | None = None, department: str | None = None, year: int | None = None
    ) -> list[AnnualPlan]:
        t = orm.annual_plans
        where: list[Any] = []
        if plan_no is not None:
            where.append(t.c.plan_no == plan_no)
        if department is not None:
            where.append(t.c.department == department)
        if year is not None:
            where.append(t.c.year == year)
        return await self._select(*where)

    async def history(self, plan_id: str) -> list[Transition]:
        t = orm.plan_transitions
        rows = await self.session.execute(
            sa.select(t).where(t.c.plan_id == plan_id).order_by(t.c.id)
        )
        return [_transition(r) for r in rows]


class ItemListRepository(Protocol):
    async def add_version(
        self, version: int, list_id: str, effective_from: date, reason: str, items: list[Any]
    ) -> None: ...

    async def current(self, today: date) -> tuple[int, list[tuple[str, str]]] | None: ...


class SqlItemListRepository:
    """Planning's copy of the item list (from CheckItemListPublished), per district."""

    def __init__(self, session: AsyncSession, district: str) -> None:
        self.session = session
        self.district = district

    async def add_version(
        self, version: int, list_id: str, effective_from: date, reason: str, items: list[Any]
    ) -> None:
        await self.session.execute(
            insert_for(self.session)(orm.check_item_lists)
            .values(
                district=self.district,
                version=version,
                list_id=list_id,
                effective_from=effective_from,
                reason=reason,
                items=items,
            )
            .on_conflict_do_nothing(index_elements=["district", "version"])
        )

    async def current(self, today: date) -> tuple[int, list[tuple[str, str]]] | None:
        """The newest version in effect on ``today``: (version, [(code, name)] in list order)."""
        t = orm.check_item_lists
        row = (
            await self.session.execute(
                sa.select(t)
                .where(t.c.district == self.district, t.c.effective_from <= today)
                .order_by(t.c.version.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return row.version, [(i["code"], i["name"]) for i in row.items]


def plans_by_id(plans: Sequence[AnnualPlan]) -> dict[str, list[AnnualPlan]]:
    out: dict[str, list[AnnualPlan]] = {}
    for plan in plans:
        out.setdefault(plan.plan_id, []).append(plan)
    return out
