"""Planning use cases. Plain functions; the unit of work and the repository are injected."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from planning.adapters.repository import DuplicateTaskNo, StaleTask, TaskRepository
from planning.domain.model import Task, TaskSpec
from spotcheck_common.events.envelope import Event, new_id, utcnow
from spotcheck_common.http import Conflict, DomainError, NotFound

ANONYMOUS = {"", "anonymous"}


class UnitOfWork(Protocol):
    district: str

    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    @property
    def context(self) -> Any: ...


class ApproverUnknown(DomainError):
    status_code = 403


async def create_task(
    uow: UnitOfWork, repo: TaskRepository, spec: TaskSpec, now: datetime | None = None
) -> Task:
    """Save a draft and record TaskDrafted; refuses a duplicate number (409), bad content (422)."""
    now = now or utcnow()
    task = Task.draft(spec, task_id=new_id(), district=uow.district, by=uow.context.actor, at=now)
    if await repo.get_by_no(task.task_no) is not None:
        raise Conflict(f"任务编号 {task.task_no} 已存在", task_no=task.task_no)
    try:
        await repo.add(task)
    except DuplicateTaskNo:
        raise Conflict(f"任务编号 {task.task_no} 已存在", task_no=task.task_no) from None
    await uow.emit(task.drafted_event())
    await uow.commit()
    return task


async def approve_task(
    uow: UnitOfWork, repo: TaskRepository, task_id: str, now: datetime | None = None
) -> Task:
    """The deputy director approves a draft (第六条); TaskApproved goes out with the change."""
    approver = uow.context.actor
    if approver in ANONYMOUS:
        raise ApproverUnknown("审批须记录审批人：请以分管局长身份登录后审批")
    task = await repo.get(task_id)
    if task is None:
        raise NotFound(f"抽查任务 {task_id} 不存在")
    task.approve(approver, now or utcnow())
    try:
        await repo.save(task)
    except StaleTask:
        raise Conflict(f"任务 {task.task_no} 已被他人同时修改，请刷新后重试") from None
    await uow.emit(task.approved_event())
    await uow.commit()
    return task
