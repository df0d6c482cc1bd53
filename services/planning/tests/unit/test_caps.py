"""The yearly cap (第五条): an entity is drawn at most 2 times a year by default, per risk
class configurable; checked before a task is approved."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planning.domain.caps import Drawing, YearlyCapExceeded, excesses, overlaps, parse_caps
from planning.domain.model import TaskStatus
from planning.service_layer import services
from planning.settings import PlanningSettings
from spotcheck_common.events.planning import TargetFilter, TaskApproved
from spotcheck_common.events.types import RiskClass
from spotcheck_common.http import status_of
from spotcheck_common.testing import FakeUnitOfWork

from .factories import NOW, draft
from .fakes import FakeTaskRepository, carrying

CAPS = dict.fromkeys(RiskClass, 2)


def scope(**dims: list[str]) -> TargetFilter:
    return TargetFilter.model_validate(dims)


def test_scopes_overlap_unless_one_dimension_is_disjoint() -> None:
    everything = scope()
    food = scope(industries=["餐饮"])
    assert overlaps(everything, food) and overlaps(food, everything)
    assert overlaps(food, scope(industries=["餐饮", "零售"], areas=["汪疃镇"]))
    assert not overlaps(food, scope(industries=["零售"]))
    assert not overlaps(scope(risk_classes=["E"]), scope(risk_classes=["A", "B"]))
    assert overlaps(scope(areas=["汪疃镇"]), scope(industries=["零售"]))  # different dimensions


def test_the_sum_may_reach_the_cap_but_not_pass_it() -> None:
    a = Drawing("a", "T-1", scope(), {RiskClass.E: 10_000})
    b = Drawing("b", "T-2", scope(industries=["餐饮"]), {RiskClass.E: 5_000})
    exactly = Drawing("c", "T-3", scope(), {RiskClass.E: 5_000})
    assert excesses(exactly, [a, b], CAPS) == []
    over = Drawing("c", "T-3", scope(), {RiskClass.E: 5_001, RiskClass.A: 100})
    (excess,) = excesses(over, [a, b], CAPS)
    assert (excess.risk_class, excess.approved_bp, excess.total_bp, excess.limit_bp) == (
        RiskClass.E,
        15_000,
        20_001,
        20_000,
    )
    assert excess.approved == [("T-1", 10_000), ("T-2", 5_000)]
    assert "风险等级 E" in str(excess) and "T-1（10000）" in str(excess)


def test_disjoint_scopes_and_other_classes_do_not_count() -> None:
    retail = Drawing("a", "T-1", scope(industries=["零售"]), {RiskClass.E: 15_000})
    food = Drawing("b", "T-2", scope(industries=["餐饮"]), {RiskClass.E: 15_000})
    assert excesses(food, [retail], CAPS) == []
    low = Drawing("c", "T-3", scope(), {RiskClass.A: 15_000})
    assert excesses(low, [retail, food], CAPS) == []
    # The task itself is not counted twice (re-checking an approved one).
    assert excesses(retail, [retail], CAPS) == []


def test_caps_are_configured_per_class() -> None:
    assert parse_caps("") == CAPS
    caps = parse_caps("D=3, e=4", default=2)
    assert caps[RiskClass.D] == 3 and caps[RiskClass.E] == 4 and caps[RiskClass.A] == 2
    for bad in ("F=2", "E=x", "E=0", "E"):
        with pytest.raises(ValueError, match="上限配置有误"):
            parse_caps(bad)
    heavy = Drawing("a", "T-1", scope(), {RiskClass.E: 30_000})
    assert excesses(heavy, [], caps) == [] and excesses(heavy, [], CAPS) != []


def test_caps_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTCHECK_PLANNING_YEARLY_CAP", "E=5")
    monkeypatch.setenv("SPOTCHECK_PLANNING_DEFAULT_YEARLY_CAP", "1")
    caps = PlanningSettings().caps()
    assert caps[RiskClass.E] == 5 and caps[RiskClass.A] == 1


async def test_approval_over_the_cap_is_refused_naming_class_tasks_and_totals() -> None:
    first = replace(draft(task_no="T-1", ratio_bp={"E": 9_000}), task_id="t-1")
    second = replace(draft(task_no="T-2", ratio_bp={"E": 9_000}), task_id="t-2")
    third = replace(draft(task_no="T-3", ratio_bp={"E": 3_000, "A": 100}), task_id="t-3")
    repo = FakeTaskRepository(first, second, third)
    for task_id in ("t-1", "t-2"):
        await services.approve_task(
            carrying(FakeUnitOfWork(actor="fuju"), tasks=repo), task_id, now=NOW
        )
    uow = FakeUnitOfWork(actor="fuju")
    with pytest.raises(YearlyCapExceeded) as exc:
        await services.approve_task(carrying(uow, tasks=repo), "t-3", now=NOW, yearly_caps=CAPS)
    assert status_of(exc.value) == 422
    assert "风险等级 E" in exc.value.reason and "T-1（9000）、T-2（9000）" in exc.value.reason
    assert "共 21000" in exc.value.reason and "上限 2 次（20000）" in exc.value.reason
    (exceeded,) = exc.value.details["exceeded"]
    assert exceeded["tasks"] == [
        {"task_no": "T-1", "ratio_bp": 9000},
        {"task_no": "T-2", "ratio_bp": 9000},
    ]
    assert repo.tasks["t-3"].status is TaskStatus.DRAFT and uow.events == []
    # With E raised to 3 a year, it passes.
    uow = FakeUnitOfWork(actor="fuju")
    caps = {**CAPS, RiskClass.E: 3}
    await services.approve_task(carrying(uow, tasks=repo), "t-3", now=NOW, yearly_caps=caps)
    assert isinstance(uow.events[0], TaskApproved)


async def test_tasks_of_another_year_do_not_count() -> None:
    old = []
    for n in (1, 2):
        task = replace(
            draft(task_no=f"T-{n}", ratio_bp={"E": 10_000}),
            task_id=f"t-{n}",
            status=TaskStatus.APPROVED,
        )
        task.deadline = task.deadline.replace(year=2025)
        old.append(task)
    this_year = replace(draft(task_no="T-3", ratio_bp={"E": 10_000}), task_id="t-3")
    repo = FakeTaskRepository(*old, this_year)
    await services.approve_task(carrying(FakeUnitOfWork(actor="fuju"), tasks=repo), "t-3", now=NOW)
    assert repo.tasks["t-3"].status is TaskStatus.APPROVED
