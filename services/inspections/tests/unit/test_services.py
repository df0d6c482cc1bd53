"""Inspections use cases on fakes: consuming tasks and draws, and the commands' effects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inspections.domain.model import InspectionStatus, NotAllowed, ResultsInvalid, StateRefused
from inspections.service_layer import services
from spotcheck_common.errors import Conflict, NotFound, StaleWrite
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.inspections import InspectionSubmitted

from .factories import (
    AREA,
    LEADER,
    MEMBER,
    NOW,
    USCC_1,
    USCC_2,
    all_clear,
    draw_completed,
    entry,
    inspection,
    target,
    task_approved,
)
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork


async def test_a_draw_before_its_task_is_refused_so_it_comes_again() -> None:
    repo = FakeInspectionRepository()
    with pytest.raises(services.TaskNotKnownYet):
        await services.draw_completed(FakeInspectionsUnitOfWork(repo), draw_completed(), NOW)
    assert repo.inspections == {}
    # Once the task is known, the same event opens the inspections.
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    opened = await services.draw_completed(FakeInspectionsUnitOfWork(repo), draw_completed(), NOW)
    assert sorted(i.uscc for i in opened) == [USCC_1, USCC_2]


async def test_one_inspection_per_drawn_target_with_its_team_and_stable_ids() -> None:
    repo = FakeInspectionRepository()
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    opened = await services.draw_completed(FakeInspectionsUnitOfWork(repo), draw_completed(), NOW)
    assert len(repo.inspections) == 2
    first = repo.inspections[services.inspection_id_for("draw-1", USCC_1)]
    assert first.task_no == "LG-2026-001" and first.inspecting_authority == "信用监管科"
    assert [m.inspector_id for m in first.team] == [LEADER, MEMBER]
    assert first.status is InspectionStatus.PENDING
    assert first.area == AREA  # the target's area (区域), as the draw carried it
    assert [i.inspection_id for i in opened] == [
        services.inspection_id_for("draw-1", USCC_1),
        services.inspection_id_for("draw-1", USCC_2),
    ]
    assert "opened" in {action for _, action, _ in repo.log}
    # A target that already has an inspection in this task is not opened twice.
    again = await services.draw_completed(
        FakeInspectionsUnitOfWork(repo), draw_completed("task-1", target(USCC_1)), NOW
    )
    assert again == [] and len(repo.inspections) == 2


async def test_a_draw_in_parts_opens_one_inspection_per_target_part_by_part() -> None:
    """ADR 0012: each part is handled alone (its own transaction in the consumer); a part
    delivered again opens nothing twice."""
    repo = FakeInspectionRepository()
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    usccs = [f"91371000MA3C{i:05d}Y" for i in range(9)]
    parts = draw_completed("task-1", *(target(u) for u in usccs)).split(budget_bytes=1500)
    assert len(parts) >= 3
    opened = []
    for part in [*parts, parts[1]]:
        opened += await services.draw_completed(FakeInspectionsUnitOfWork(repo), part, NOW)
    assert [i.uscc for i in opened] == usccs
    assert len(repo.inspections) == 9


async def test_task_approved_again_updates_the_known_task() -> None:
    repo = FakeInspectionRepository()
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    changed = task_approved().model_copy(update={"title": "新标题"})
    await services.task_approved(FakeInspectionsUnitOfWork(repo), changed, NOW)
    assert repo.tasks["task-1"].title == "新标题"


async def _recorded_and_signed(repo: FakeInspectionRepository) -> None:
    await services.record_results(
        FakeInspectionsUnitOfWork(repo, actor=LEADER), "i-1", LEADER, all_clear(), NOW
    )
    await services.sign(FakeInspectionsUnitOfWork(repo, actor=LEADER), "i-1", LEADER, NOW)
    await services.sign(FakeInspectionsUnitOfWork(repo, actor=MEMBER), "i-1", MEMBER, NOW)


async def test_the_whole_form_then_submit_emits_inspection_submitted() -> None:
    repo = FakeInspectionRepository(inspection())
    await _recorded_and_signed(repo)
    assert repo.inspections["i-1"].status is InspectionStatus.SIGNED
    uow = FakeInspectionsUnitOfWork(repo, actor=LEADER)
    await services.submit(uow, "i-1", LEADER, now=NOW + timedelta(hours=2))
    assert uow.committed
    (event,) = uow.events
    assert isinstance(event, InspectionSubmitted)
    assert event.inspection_id == "i-1" and event.submitted_by == LEADER
    assert [r.check_item_code for r in event.results] == ["SD-01", "SD-02"]
    assert event.area == AREA  # passed on to publication, whose search filters by it
    stored = repo.inspections["i-1"]
    assert stored.status is InspectionStatus.SUBMITTED and stored.version == 4
    assert [a for _, a, _ in repo.log] == [
        "opened",
        "results_recorded",
        "signed",
        "signed",
        "submitted",
    ]


async def test_refused_commands_write_and_emit_nothing() -> None:
    repo = FakeInspectionRepository(inspection())
    refusals = [
        (services.record_results, MEMBER, (all_clear(),), NotAllowed),
        (services.record_results, LEADER, ([entry("SD-01")],), ResultsInvalid),
        (services.sign, MEMBER, (), StateRefused),
        (services.submit, LEADER, (), StateRefused),
    ]
    for command, actor, args, error in refusals:
        uow = FakeInspectionsUnitOfWork(repo, actor=actor)
        with pytest.raises(error):
            await command(uow, "i-1", actor, *args)  # type: ignore[operator]
        assert uow.events == [] and not uow.committed
    assert repo.inspections["i-1"].version == 0 and repo.log == []


async def test_submitted_inspections_refuse_every_change() -> None:
    repo = FakeInspectionRepository(inspection())
    await _recorded_and_signed(repo)
    await services.submit(FakeInspectionsUnitOfWork(repo, actor=LEADER), "i-1", LEADER, now=NOW)
    for command, actor, args in [
        (services.record_results, LEADER, (all_clear(),)),
        (services.sign, MEMBER, ()),
        (services.submit, LEADER, ()),
    ]:
        uow = FakeInspectionsUnitOfWork(repo, actor=actor)
        with pytest.raises(Conflict):
            await command(uow, "i-1", actor, *args)  # type: ignore[operator]
        assert uow.events == []


async def test_signing_twice_does_not_write() -> None:
    repo = FakeInspectionRepository(inspection())
    await services.record_results(
        FakeInspectionsUnitOfWork(repo, actor=LEADER), "i-1", LEADER, all_clear(), NOW
    )
    await services.sign(FakeInspectionsUnitOfWork(repo, actor=MEMBER), "i-1", MEMBER, NOW)
    version = repo.inspections["i-1"].version
    uow = FakeInspectionsUnitOfWork(repo, actor=MEMBER)
    await services.sign(uow, "i-1", MEMBER, NOW)
    assert repo.inspections["i-1"].version == version and not uow.committed


async def test_unknown_inspection_and_concurrent_change() -> None:
    repo = FakeInspectionRepository(inspection())
    with pytest.raises(NotFound):
        await services.sign(FakeInspectionsUnitOfWork(repo, actor=LEADER), "nope", LEADER, NOW)
    repo.inspections["i-1"].version = 3
    real_get = repo.get

    async def stale(inspection_id: str):  # type: ignore[no-untyped-def]
        found = await real_get(inspection_id)
        assert found is not None
        found.version = 2
        return found

    repo.get = stale  # type: ignore[method-assign]
    with pytest.raises(StaleWrite, match="同时修改"):
        await services.record_results(
            FakeInspectionsUnitOfWork(repo, actor=LEADER), "i-1", LEADER, all_clear(), NOW
        )


async def test_a_principal_without_an_inspector_id_is_refused() -> None:
    repo = FakeInspectionRepository(inspection())
    for command, args in [
        (services.record_results, (all_clear(),)),
        (services.sign, ()),
        (services.submit, ()),
    ]:
        uow = FakeInspectionsUnitOfWork(repo, actor="wang")
        with pytest.raises(NotAllowed, match="inspector_id"):
            await command(uow, "i-1", " ", *args)  # type: ignore[operator]
        assert uow.events == [] and not uow.committed
    assert repo.inspections["i-1"].version == 0 and repo.log == []


async def test_the_user_and_the_inspector_id_are_kept_apart() -> None:
    """The team is matched by inspector id; the record names the inspector, not the login."""
    repo = FakeInspectionRepository(inspection())
    await services.record_results(
        FakeInspectionsUnitOfWork(repo, actor="wang-login"), "i-1", LEADER, all_clear(), NOW
    )
    stored = repo.inspections["i-1"]
    assert stored.recorded_by == LEADER
    with pytest.raises(NotAllowed, match="只有检查组长"):
        await services.record_results(
            FakeInspectionsUnitOfWork(repo, actor=LEADER), "i-1", MEMBER, all_clear(), NOW
        )


async def test_a_draw_from_before_areas_opens_inspections_without_one() -> None:
    """DrawCompleted payloads written before DrawnTarget.area still open inspections, with no
    area ("")."""
    repo = FakeInspectionRepository()
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    payload = draw_completed().model_dump(mode="json")
    for t in payload["targets"]:
        del t["area"]
    older = DrawCompleted.model_validate(payload)
    await services.draw_completed(FakeInspectionsUnitOfWork(repo), older, NOW)
    opened = repo.inspections[services.inspection_id_for("draw-1", USCC_1)]
    assert opened.area == ""
