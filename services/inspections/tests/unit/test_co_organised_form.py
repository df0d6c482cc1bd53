"""Joint checks with other agencies (第三条): the record form of a task with co-organisers holds
the agencies' items too, each saying whose it is; the result categories are the same; an
agency's inspector (``<agency>:<id>``) signs here like any member; the published result carries
every item with its agency; an agency's inspector is not a neighbour's (no joint state)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inspections.domain.model import (
    InspectionStatus,
    NotAllowed,
    ResultEntry,
    ResultsInvalid,
    TaskInfo,
)
from inspections.service_layer import services
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import InspectionSubmitted, JointInspectionState
from spotcheck_common.events.planning import CheckItemRef, CoOrganiser
from spotcheck_common.events.types import TeamRole

from .factories import (
    LEADER,
    NOW,
    USCC_1,
    draw_completed,
    entry,
    member,
    target,
    task_approved,
    team,
)
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork

TAX_INSPECTOR = "tax:0001"
TAX = CoOrganiser(
    agency="tax",
    name="临港区税务局",
    check_items=[CheckItemRef(code="SW-01", name="发票使用情况检查", agency="tax")],
)


def co_organised() -> list[TeamMember]:
    return [*team(), member(TAX_INSPECTOR, TeamRole.MEMBER, "赵敏")]


def entries(**tax_result: str) -> list[ResultEntry]:
    return [entry("SD-01"), entry("SD-02"), entry("SW-01", **tax_result)]


def test_the_form_holds_the_tasks_items_then_each_agencys() -> None:
    info = TaskInfo.from_event(task_approved().model_copy(update={"co_organisers": [TAX]}))
    assert [(i.code, i.agency) for i in info.check_items] == [
        ("SD-01", ""),
        ("SD-02", ""),
        ("SW-01", "tax"),
    ]


async def _opened(repo: FakeInspectionRepository) -> str:
    approved = task_approved().model_copy(update={"co_organisers": [TAX]})
    await services.task_approved(FakeInspectionsUnitOfWork(repo), approved, NOW)
    drawn = draw_completed("task-1", target(USCC_1, people=co_organised()))
    await services.draw_completed(FakeInspectionsUnitOfWork(repo), drawn, NOW)
    return services.inspection_id_for("draw-1", USCC_1)


async def test_an_agency_inspector_signs_and_the_result_carries_the_agency() -> None:
    repo = FakeInspectionRepository()
    inspection_id = await _opened(repo)

    # The agency's item is on the form: leaving it out is an incomplete form.
    with pytest.raises(ResultsInvalid, match="SW-01"):
        await services.record_results(
            FakeInspectionsUnitOfWork(repo, actor=LEADER),
            inspection_id,
            LEADER,
            [entry("SD-01"), entry("SD-02")],
            NOW,
        )
    # The same national categories and their rules apply to the agency's items.
    with pytest.raises(ResultsInvalid, match="pending_reason"):
        await services.record_results(
            FakeInspectionsUnitOfWork(repo, actor=LEADER),
            inspection_id,
            LEADER,
            entries(category="发现问题待后续处理"),
            NOW,
        )
    recording = FakeInspectionsUnitOfWork(repo, actor=LEADER)
    await services.record_results(
        recording, inspection_id, LEADER, entries(category="发现问题经责令已改正"), NOW
    )
    assert not any(isinstance(e, JointInspectionState) for e in recording.events)

    for signer in (LEADER, "LG-002", TAX_INSPECTOR):
        await services.sign(
            FakeInspectionsUnitOfWork(repo, actor=signer), inspection_id, signer, NOW
        )
    assert repo.inspections[inspection_id].status is InspectionStatus.SIGNED

    submitting = FakeInspectionsUnitOfWork(repo, actor=LEADER)
    await services.submit(submitting, inspection_id, LEADER, now=NOW + timedelta(hours=1))
    (event,) = [e for e in submitting.events if isinstance(e, InspectionSubmitted)]
    assert [(r.check_item_code, r.agency, r.category) for r in event.results] == [
        ("SD-01", "", "未发现问题"),
        ("SD-02", "", "未发现问题"),
        ("SW-01", "tax", "发现问题经责令已改正"),
    ]
    assert TAX_INSPECTOR in {m.inspector_id for m in event.team}


async def test_an_agency_inspector_cannot_record_the_form() -> None:
    """The bureau's leader enters the form (谁检查、谁录入); an agency's inspector is a member."""
    repo = FakeInspectionRepository()
    inspection_id = await _opened(repo)
    with pytest.raises(NotAllowed, match="只有检查组长"):
        await services.record_results(
            FakeInspectionsUnitOfWork(repo, actor=TAX_INSPECTOR),
            inspection_id,
            TAX_INSPECTOR,
            entries(),
            NOW,
        )
