"""Planning use cases on fakes: what is written and emitted, and what is refused."""

from __future__ import annotations

import pytest

from planning.domain.model import TaskInvalid, TaskStatus
from planning.service_layer import services
from spotcheck_common.errors import Conflict, DomainError, NotFound
from spotcheck_common.events.planning import TaskApproved, TaskDrafted
from spotcheck_common.http import status_of
from spotcheck_common.testing import FakeUnitOfWork

from .factories import NOW, draft, spec
from .fakes import FakeTaskRepository, carrying


async def test_create_saves_a_draft_and_emits_task_drafted() -> None:
    uow, repo = FakeUnitOfWork(actor="keyuan"), FakeTaskRepository()
    task = await services.create_task(carrying(uow, tasks=repo), spec(), now=NOW)
    assert uow.committed
    assert repo.tasks[task.task_id].status is TaskStatus.DRAFT
    assert repo.tasks[task.task_id].district == "lingang"
    (event,) = uow.events
    assert isinstance(event, TaskDrafted)
    assert event.task_id == task.task_id and event.created_by == "keyuan"


async def test_duplicate_task_no_is_refused_and_nothing_is_written() -> None:
    existing = draft()
    uow, repo = FakeUnitOfWork(), FakeTaskRepository(existing)
    with pytest.raises(Conflict) as exc:
        await services.create_task(carrying(uow, tasks=repo), spec(), now=NOW)
    assert "已存在" in exc.value.reason
    assert list(repo.tasks) == [existing.task_id]
    assert uow.events == [] and not uow.committed


async def test_invalid_content_writes_nothing() -> None:
    uow, repo = FakeUnitOfWork(), FakeTaskRepository()
    with pytest.raises(TaskInvalid):
        await services.create_task(
            carrying(uow, tasks=repo), spec(team_size=2, deadline="2020-01-01"), now=NOW
        )
    assert repo.tasks == {} and uow.events == [] and not uow.committed


async def test_approve_emits_task_approved_with_the_approver() -> None:
    task = draft()
    uow, repo = FakeUnitOfWork(actor="fuju-zhang"), FakeTaskRepository(task)
    await services.approve_task(carrying(uow, tasks=repo), task.task_id, now=NOW)
    stored = repo.tasks[task.task_id]
    assert stored.status is TaskStatus.APPROVED
    assert (stored.approved_by, stored.approved_at) == ("fuju-zhang", NOW)
    assert stored.version == 1
    (event,) = uow.events
    assert isinstance(event, TaskApproved)
    assert event.approved_by == "fuju-zhang"
    assert event.aggregate_id() == task.task_id


async def test_approving_twice_is_a_conflict_and_emits_once() -> None:
    task = draft()
    repo = FakeTaskRepository(task)
    await services.approve_task(
        carrying(FakeUnitOfWork(actor="fuju-zhang"), tasks=repo), task.task_id, now=NOW
    )
    second = FakeUnitOfWork(actor="fuju-li")
    with pytest.raises(Conflict):
        await services.approve_task(carrying(second, tasks=repo), task.task_id, now=NOW)
    assert second.events == [] and not second.committed
    assert repo.tasks[task.task_id].approved_by == "fuju-zhang"


async def test_anonymous_approval_is_refused() -> None:
    task = draft()
    uow, repo = FakeUnitOfWork(actor="anonymous"), FakeTaskRepository(task)
    with pytest.raises(DomainError) as exc:
        await services.approve_task(carrying(uow, tasks=repo), task.task_id, now=NOW)
    assert status_of(exc.value) == 403
    assert repo.tasks[task.task_id].status is TaskStatus.DRAFT and uow.events == []


async def test_approving_an_unknown_task_is_not_found() -> None:
    with pytest.raises(NotFound):
        await services.approve_task(
            carrying(FakeUnitOfWork(actor="fuju-zhang"), tasks=FakeTaskRepository()),
            "nope",
            now=NOW,
        )


async def test_a_concurrent_change_is_a_conflict() -> None:
    task = draft()
    repo = FakeTaskRepository(task)
    repo.tasks[task.task_id].version = 7  # someone saved in between
    real_get = repo.get

    async def stale_get(task_id: str):  # type: ignore[no-untyped-def]
        loaded = await real_get(task_id)
        assert loaded is not None
        loaded.version = 6
        return loaded

    repo.get = stale_get  # type: ignore[method-assign]
    uow = FakeUnitOfWork(actor="fuju-zhang")
    with pytest.raises(Conflict) as exc:
        await services.approve_task(carrying(uow, tasks=repo), task.task_id, now=NOW)
    assert "同时修改" in exc.value.reason
    assert uow.events == []
