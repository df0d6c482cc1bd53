"""Tasks under an annual plan or ad hoc (第五条), tasks sent down (第七条), publication (第六条)."""

from __future__ import annotations

import pytest

from planning.domain.model import ReceivedTaskSpec, TaskInvalid, TaskStatus, TransitionRefused
from planning.domain.plans import PlanStatus
from planning.service_layer import services
from spotcheck_common.errors import NotFound
from spotcheck_common.events.planning import TaskApproved, TaskDrafted, TaskPublished
from spotcheck_common.roles import Role
from spotcheck_common.testing import FakeUnitOfWork

from .factories import LIST, NOW, plan_item, plan_spec, spec, spec_body
from .fakes import FakeItemListRepository, FakePlanRepository, FakeTaskRepository, carrying

ITEMS = [{"code": "GS-01", "name": "企业公示信息抽查"}]


async def _plan(repo: FakePlanRepository, publish: bool = True) -> str:
    lists = FakeItemListRepository(LIST)
    plan = await services.draft_plan(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists),
        plan_spec(items=[plan_item(c) for c, _ in LIST]),
        now=NOW,
    )
    if not publish:
        return plan.plan_id
    steps = [
        ("submit", {Role.SUPERVISING_DEPT}),
        ("sign", {Role.DEPUTY_DIRECTOR}),
    ]
    for action, roles in steps:
        await services.advance_plan(
            carrying(FakeUnitOfWork(), plans=repo), plan.plan_id, action, roles, now=NOW
        )
    await services.consolidate_year(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, {Role.CREDIT_DEPT}, now=NOW
    )
    await services.advance_plan(
        carrying(FakeUnitOfWork(), plans=repo),
        plan.plan_id,
        "approve",
        {Role.DIRECTOR_MEETING},
        now=NOW,
    )
    await services.file_plan(
        carrying(FakeUnitOfWork(), plans=repo),
        plan.plan_id,
        {Role.CREDIT_DEPT},
        NOW.date(),
        "备-1",
        now=NOW,
    )
    await services.publish_plan(
        carrying(FakeUnitOfWork(), plans=repo), plan.plan_id, {Role.CREDIT_DEPT}, now=NOW
    )
    assert repo.latest(plan.plan_id).status is PlanStatus.PUBLISHED
    return plan.plan_id


async def test_a_task_under_a_published_plan_carries_its_number_and_name() -> None:
    plans, tasks = FakePlanRepository(), FakeTaskRepository()
    plan_id = await _plan(plans)
    uow = FakeUnitOfWork(actor="keyuan")
    task = await services.create_task(
        carrying(uow, tasks=tasks, plans=plans), spec(plan_id=plan_id, check_items=ITEMS), now=NOW
    )
    (drafted,) = uow.events
    assert isinstance(drafted, TaskDrafted) and drafted.plan_id == plan_id
    uow = FakeUnitOfWork(actor="fuju")
    await services.approve_task(carrying(uow, tasks=tasks, plans=plans), task.task_id, now=NOW)
    (approved,) = uow.events
    assert isinstance(approved, TaskApproved)
    assert (approved.plan_id, approved.plan_no, approved.plan_name) == (
        plan_id,
        "LG-JH-2026-01",
        "市场规范管理科2026年度双随机抽查工作计划",
    )


async def test_an_ad_hoc_task_needs_no_plan() -> None:
    tasks = FakeTaskRepository()
    task = await services.create_task(carrying(FakeUnitOfWork(), tasks=tasks), spec(), now=NOW)
    uow = FakeUnitOfWork(actor="fuju")
    await services.approve_task(
        carrying(uow, tasks=tasks, plans=FakePlanRepository()), task.task_id, now=NOW
    )
    (approved,) = uow.events
    assert isinstance(approved, TaskApproved) and approved.plan_no == ""


async def test_an_unknown_plan_is_refused_at_drafting() -> None:
    tasks = FakeTaskRepository()
    with pytest.raises(TaskInvalid) as exc:
        await services.create_task(
            carrying(FakeUnitOfWork(), tasks=tasks, plans=FakePlanRepository()),
            spec(plan_id="nope"),
            now=NOW,
        )
    assert "plan_id" in {e.field for e in exc.value.errors}
    assert tasks.tasks == {}


async def test_approval_waits_for_the_plan_and_keeps_to_its_items() -> None:
    plans, tasks = FakePlanRepository(), FakeTaskRepository()
    plan_id = await _plan(plans, publish=False)
    task = await services.create_task(
        carrying(FakeUnitOfWork(), tasks=tasks, plans=plans),
        spec(plan_id=plan_id, check_items=ITEMS),
        now=NOW,
    )
    uow = FakeUnitOfWork(actor="fuju")
    with pytest.raises(TaskInvalid) as exc:
        await services.approve_task(carrying(uow, tasks=tasks, plans=plans), task.task_id, now=NOW)
    assert "尚未公示" in exc.value.reason
    assert tasks.tasks[task.task_id].status is TaskStatus.DRAFT and uow.events == []

    plans2, tasks2 = FakePlanRepository(), FakeTaskRepository()
    plan_id = await _plan(plans2)
    outside = [*ITEMS, {"code": "GG-09", "name": "不在计划中的事项"}]
    task = await services.create_task(
        carrying(FakeUnitOfWork(), tasks=tasks2, plans=plans2),
        spec(plan_id=plan_id, check_items=outside),
        now=NOW,
    )
    with pytest.raises(TaskInvalid) as exc:
        await services.approve_task(
            carrying(FakeUnitOfWork(actor="f"), tasks=tasks2, plans=plans2), task.task_id, now=NOW
        )
    assert "GG-09" in exc.value.reason and "不在年度抽查计划" in exc.value.reason


async def test_a_task_sent_down_is_received_with_authority_and_document_number() -> None:
    body = spec_body(
        source="city",
        issuing_authority="威海市市场监督管理局",
        document_no="威市监信〔2026〕12号",
        lead_department="市场规范管理科",
        co_lead_departments=[],
    )
    uow, tasks = FakeUnitOfWork(actor="xinyong"), FakeTaskRepository()
    task = await services.receive_task(
        carrying(uow, tasks=tasks), ReceivedTaskSpec.model_validate(body), now=NOW
    )
    stored = tasks.tasks[task.task_id]
    assert (stored.received_by, stored.received_at) == ("xinyong", NOW)
    assert (
        stored.lead_department == "市场规范管理科"
    )  # 业务对口: the department that carries it out
    (drafted,) = uow.events
    assert isinstance(drafted, TaskDrafted)
    assert (drafted.source, drafted.issuing_authority, drafted.document_no) == (
        "city",
        "威海市市场监督管理局",
        "威市监信〔2026〕12号",
    )
    uow = FakeUnitOfWork(actor="fuju")
    await services.approve_task(
        carrying(uow, tasks=tasks), task.task_id, now=NOW
    )  # approved as usual
    (approved,) = uow.events
    assert isinstance(approved, TaskApproved) and approved.document_no == "威市监信〔2026〕12号"


def test_a_received_task_must_come_from_above_and_name_its_document() -> None:
    from pydantic import ValidationError

    from planning.domain.model import Task

    with pytest.raises(ValidationError):
        ReceivedTaskSpec.model_validate(spec_body(source="city"))  # no authority, no number
    local = ReceivedTaskSpec.model_validate(
        spec_body(source="local", issuing_authority="x", document_no="y")
    )
    with pytest.raises(TaskInvalid) as exc:
        Task.draft(local, task_id="t", district="lingang", by="x", at=NOW)
    assert "source" in {e.field for e in exc.value.errors}


async def test_publish_after_approval_emits_task_published() -> None:
    tasks = FakeTaskRepository()
    task = await services.create_task(carrying(FakeUnitOfWork(), tasks=tasks), spec(), now=NOW)
    with pytest.raises(TransitionRefused):
        await services.publish_task(carrying(FakeUnitOfWork(), tasks=tasks), task.task_id, now=NOW)
    await services.approve_task(
        carrying(FakeUnitOfWork(actor="fuju"), tasks=tasks), task.task_id, now=NOW
    )
    uow = FakeUnitOfWork(actor="keyuan")
    published = await services.publish_task(carrying(uow, tasks=tasks), task.task_id, now=NOW)
    assert published.status is TaskStatus.PUBLISHED
    assert (published.published_by, published.published_at) == ("keyuan", NOW)
    (event,) = uow.events
    assert isinstance(event, TaskPublished)
    assert event.task_id == task.task_id and event.published_at == NOW
    assert event.published_by == "keyuan" and event.check_type == "定向抽查"
    with pytest.raises(TransitionRefused):  # once
        await services.publish_task(carrying(FakeUnitOfWork(), tasks=tasks), task.task_id, now=NOW)
    with pytest.raises(NotFound):
        await services.publish_task(carrying(FakeUnitOfWork(), tasks=tasks), "nope", now=NOW)
