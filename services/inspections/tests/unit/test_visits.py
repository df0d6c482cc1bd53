"""One visit, many checks (进一次门、查多项事, 第八条) on fakes: grouping, the visit's leader,
results for the whole visit, per-task sign-off and submission, approved replacements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inspections.domain.model import (
    InspectionStatus,
    NotAllowed,
    NotInspected,
    NotInspectedReason,
    ResultsInvalid,
    StateRefused,
)
from inspections.domain.visits import visit_id_for
from inspections.service_layer import services
from spotcheck_common.events.draws import DrawInspectorReplaced
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.events.planning import CheckItemRef
from spotcheck_common.events.types import TeamRole

from .factories import (
    LEADER,
    MEMBER,
    NOW,
    USCC_1,
    USCC_2,
    draw_completed,
    entry,
    member,
    target,
    task_approved,
)
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork

# The second task's team: other inspectors.
LEADER_B, MEMBER_B = "LG-011", "LG-012"


def team_b() -> list:  # type: ignore[type-arg]
    return [member(LEADER_B, TeamRole.LEADER, "陈组长"), member(MEMBER_B, TeamRole.MEMBER, "周五")]


async def _task(
    repo: FakeInspectionRepository, task_id: str, task_no: str, items: list[str], deadline: date
) -> None:
    event = task_approved(task_id).model_copy(
        update={
            "task_no": task_no,
            "deadline": deadline,
            "check_items": [CheckItemRef(code=c, name=f"事项{c}") for c in items],
            "plan_no": "LG-PLAN-2026",
            "plan_name": "2026年度抽查计划",
        }
    )
    await services.task_approved(FakeInspectionsUnitOfWork(repo), event, NOW)


async def _draw(repo: FakeInspectionRepository, task_id: str, draw_id: str, *targets, at=NOW):  # type: ignore[no-untyped-def]
    event = draw_completed(task_id, *targets).model_copy(update={"draw_id": draw_id})
    return await services.draw_completed(FakeInspectionsUnitOfWork(repo), event, at)


async def two_tasks(repo: FakeInspectionRepository) -> tuple[str, str, str]:
    """Task A (drawn first) and task B both drew USCC_1; task B also drew USCC_2."""
    await _task(repo, "task-a", "LG-2026-001", ["SD-01", "SD-02"], date(2026, 6, 30))
    await _task(repo, "task-b", "LG-2026-002", ["SP-01"], date(2026, 5, 31))
    (a,) = await _draw(repo, "task-a", "draw-a", target(USCC_1))
    b1, b2 = await _draw(
        repo,
        "task-b",
        "draw-b",
        target(USCC_1, team_b()),
        target(USCC_2, team_b()),
        at=NOW + timedelta(days=1),
    )
    return a.inspection_id, b1.inspection_id, b2.inspection_id


async def test_a_target_in_two_overlapping_tasks_gets_one_visit_led_by_the_earliest_leader() -> (
    None
):
    repo = FakeInspectionRepository()
    a, b1, b2 = await two_tasks(repo)
    visit_id = visit_id_for(a)
    assert repo.inspections[a].visit_id == repo.inspections[b1].visit_id == visit_id
    assert repo.inspections[b2].visit_id == ""  # drawn in one task only
    visit = repo.visits[visit_id]
    assert visit.leader.inspector_id == LEADER and visit.lead_task_id == "task-a"
    assert visit.inspection_ids == [a, b1]
    assert {m["inspector_id"]: [t["task_id"] for t in m["tasks"]] for m in visit.members} == {
        LEADER: ["task-a"],
        MEMBER: ["task-a"],
        LEADER_B: ["task-b"],
        MEMBER_B: ["task-b"],
    }
    assert repo.inspections[b1].visit_leader_id == LEADER
    assert (visit_id, "visit_formed") in repo.visit_log
    assert (a, "visit_joined", "system") in repo.log and (b1, "visit_joined", "system") in repo.log


async def test_a_third_task_joins_the_existing_visit() -> None:
    repo = FakeInspectionRepository()
    a, b1, _ = await two_tasks(repo)
    await _task(repo, "task-c", "LG-2026-003", ["XF-01"], date(2026, 7, 31))
    (c,) = await _draw(repo, "task-c", "draw-c", target(USCC_1), at=NOW + timedelta(days=2))
    visit = repo.visits[visit_id_for(a)]
    assert visit.inspection_ids == [a, b1, c.inspection_id]
    assert repo.inspections[c.inspection_id].visit_id == visit.visit_id
    assert visit.leader.inspector_id == LEADER and len(repo.visits) == 1


async def test_no_visit_when_windows_do_not_overlap_or_the_other_is_submitted() -> None:
    repo = FakeInspectionRepository()
    await _task(repo, "task-a", "LG-2026-001", ["SD-01"], date(2026, 4, 10))
    await _task(repo, "task-b", "LG-2026-002", ["SP-01"], date(2026, 6, 30))
    await _draw(repo, "task-a", "draw-a", target(USCC_1))
    # Task B is drawn after task A's deadline passed: no overlap, separate visits.
    await _draw(repo, "task-b", "draw-b", target(USCC_1, team_b()), at=NOW + timedelta(days=20))
    assert repo.visits == {} and all(i.visit_id == "" for i in repo.inspections.values())

    repo = FakeInspectionRepository()
    await _task(repo, "task-a", "LG-2026-001", ["SD-01"], date(2026, 6, 30))
    await _task(repo, "task-b", "LG-2026-002", ["SP-01"], date(2026, 6, 30))
    (a,) = await _draw(repo, "task-a", "draw-a", target(USCC_1))
    repo.inspections[a.inspection_id].status = InspectionStatus.SUBMITTED
    await _draw(repo, "task-b", "draw-b", target(USCC_1, team_b()))
    assert repo.visits == {}


async def test_the_visit_leader_records_every_tasks_items_in_one_request_all_or_nothing() -> None:
    repo = FakeInspectionRepository()
    a, b1, _ = await two_tasks(repo)
    visit_id = visit_id_for(a)
    results = [
        ("task-a", entry("SD-01")),
        (
            "task-a",
            entry("SD-02", "发现问题待后续处理", pending_reason="未按规定公示应当公示的信息"),
        ),
        ("task-b", entry("SP-01")),
    ]
    # Refusals write nothing.
    for who, entries, error in [
        (LEADER_B, results, NotAllowed),  # task B's leader does not lead the visit
        (LEADER, results[:2], ResultsInvalid),  # task B missing
        (LEADER, [*results[:2], ("task-b", entry("SD-01"))], ResultsInvalid),  # wrong task's item
        (LEADER, [*results, ("task-x", entry("SP-01"))], ResultsInvalid),  # not in the visit
    ]:
        uow = FakeInspectionsUnitOfWork(repo, actor=who)
        with pytest.raises(error):
            await services.record_visit_results(uow, visit_id, who, entries, NOW)
        assert not uow.committed
        assert all(
            i.status is InspectionStatus.PENDING and i.version <= 1
            for i in repo.inspections.values()
        )

    uow = FakeInspectionsUnitOfWork(repo, actor=LEADER)
    await services.record_visit_results(uow, visit_id, LEADER, results, NOW)
    assert uow.committed and uow.events == []
    assert [r.category for r in repo.inspections[b1].results] == ["未发现问题"]
    assert repo.inspections[b1].recorded_by == LEADER  # recorded by the visit's leader

    # Each task's own team signs its own form; the visit leader is not on task B's form.
    with pytest.raises(NotAllowed):
        await services.sign(FakeInspectionsUnitOfWork(repo), b1, LEADER, NOW)
    for inspection_id, people in [(a, [LEADER, MEMBER]), (b1, [LEADER_B, MEMBER_B])]:
        for who in people:
            await services.sign(FakeInspectionsUnitOfWork(repo, actor=who), inspection_id, who, NOW)
    # The visit's leader submits both; task B's own leader could too.
    events = []
    for inspection_id in (a, b1):
        uow = FakeInspectionsUnitOfWork(repo, actor=LEADER)
        await services.submit(uow, inspection_id, LEADER, now=NOW + timedelta(days=1))
        events += uow.events
    submitted = [e for e in events if isinstance(e, InspectionSubmitted)]
    assert [e.task_id for e in submitted] == ["task-a", "task-b"]
    assert {e.visit_id for e in submitted} == {visit_id}
    assert submitted[0].plan_no == "LG-PLAN-2026" and submitted[0].plan_name == "2026年度抽查计划"
    # Once everything is submitted, the visit takes no more results.
    with pytest.raises(StateRefused):
        await services.record_visit_results(
            FakeInspectionsUnitOfWork(repo), visit_id, LEADER, results, NOW
        )


async def test_an_unreachable_target_is_recorded_once_for_the_whole_visit() -> None:
    repo = FakeInspectionRepository()
    a, b1, _ = await two_tasks(repo)
    await services.record_visit_results(
        FakeInspectionsUnitOfWork(repo),
        visit_id_for(a),
        LEADER,
        [],
        NOW,
        NotInspected(reason=NotInspectedReason.UNREACHABLE, remark="登记住所无此企业"),
    )
    for inspection_id, n in [(a, 2), (b1, 1)]:
        i = repo.inspections[inspection_id]
        assert i.not_inspected_reason is NotInspectedReason.UNREACHABLE
        assert [r.pending_reason for r in i.results] == ["通过登记的住所（经营场所）无法联系"] * n


def replaced(task_id: str, uscc: str, old: str, team: list) -> DrawInspectorReplaced:  # type: ignore[type-arg]
    new = next(m for m in team if m.inspector_id not in {LEADER, MEMBER, LEADER_B, MEMBER_B})
    return DrawInspectorReplaced(
        draw_id="draw-a",
        task_id=task_id,
        task_no="LG-2026-001",
        uscc=uscc,
        replaced_inspector_id=old,
        replacement=new,
        team=team,
        reason="回避：与检查对象负责人系近亲属",
        approved_by="fuju-wang",
        approval_ref="临市监审〔2026〕12号",
    )


async def test_an_approved_replacement_changes_the_team_drops_the_signature_and_is_kept() -> None:
    repo = FakeInspectionRepository()
    await _task(repo, "task-a", "LG-2026-001", ["SD-01"], date(2026, 6, 30))
    (a,) = await _draw(repo, "task-a", "draw-a", target(USCC_1))
    await services.record_results(
        FakeInspectionsUnitOfWork(repo), a.inspection_id, LEADER, [entry("SD-01")], NOW
    )
    await services.sign(FakeInspectionsUnitOfWork(repo), a.inspection_id, LEADER, NOW)
    await services.sign(FakeInspectionsUnitOfWork(repo), a.inspection_id, MEMBER, NOW)
    assert repo.inspections[a.inspection_id].status is InspectionStatus.SIGNED
    new_team = [member(LEADER, TeamRole.LEADER), member("LG-077", TeamRole.MEMBER, "吴六")]
    event = replaced("task-a", USCC_1, MEMBER, new_team)
    await services.inspector_replaced(FakeInspectionsUnitOfWork(repo), event, NOW)
    i = repo.inspections[a.inspection_id]
    assert [m.inspector_id for m in i.team] == [LEADER, "LG-077"]
    assert set(i.signatures) == {LEADER} and i.status is InspectionStatus.RECORDED
    assert i.unsigned == ["LG-077"]
    assert (a.inspection_id, "inspector_replaced", "system") in repo.log
    # The same replacement again changes nothing.
    version = i.version
    await services.inspector_replaced(FakeInspectionsUnitOfWork(repo), event, NOW)
    assert repo.inspections[a.inspection_id].version == version
    # A replacement for an inspection not opened yet is retried later.
    with pytest.raises(services.InspectionNotKnownYet):
        await services.inspector_replaced(
            FakeInspectionsUnitOfWork(repo), replaced("task-a", USCC_2, MEMBER, new_team), NOW
        )


async def test_replacing_the_earliest_leader_moves_the_visit_lead() -> None:
    repo = FakeInspectionRepository()
    a, b1, _ = await two_tasks(repo)
    new_team = [member("LG-088", TeamRole.LEADER, "郑组长"), member(MEMBER, TeamRole.MEMBER)]
    await services.inspector_replaced(
        FakeInspectionsUnitOfWork(repo), replaced("task-a", USCC_1, LEADER, new_team), NOW
    )
    visit = repo.visits[visit_id_for(a)]
    assert visit.leader.inspector_id == "LG-088"
    assert repo.inspections[b1].visit_leader_id == "LG-088"
    assert LEADER not in {m["inspector_id"] for m in visit.members}
    # The old leader no longer leads anything in the visit.
    with pytest.raises(NotAllowed):
        await services.record_results(
            FakeInspectionsUnitOfWork(repo), b1, LEADER, [entry("SP-01")], NOW
        )


async def test_a_replacement_after_submission_is_noted_not_applied() -> None:
    repo = FakeInspectionRepository()
    await _task(repo, "task-a", "LG-2026-001", ["SD-01"], date(2026, 6, 30))
    (a,) = await _draw(repo, "task-a", "draw-a", target(USCC_1))
    await services.record_results(
        FakeInspectionsUnitOfWork(repo), a.inspection_id, LEADER, [entry("SD-01")], NOW
    )
    for who in (LEADER, MEMBER):
        await services.sign(FakeInspectionsUnitOfWork(repo), a.inspection_id, who, NOW)
    await services.submit(FakeInspectionsUnitOfWork(repo), a.inspection_id, LEADER, now=NOW)
    new_team = [member(LEADER, TeamRole.LEADER), member("LG-077", TeamRole.MEMBER, "吴六")]
    await services.inspector_replaced(
        FakeInspectionsUnitOfWork(repo), replaced("task-a", USCC_1, MEMBER, new_team), NOW
    )
    i = repo.inspections[a.inspection_id]
    assert [m.inspector_id for m in i.team] == [LEADER, MEMBER]
    assert repo.log[-1] == (a.inspection_id, "inspector_replacement_after_submission", "system")


async def test_a_replacement_that_breaks_the_team_rules_is_noted_not_applied() -> None:
    repo = FakeInspectionRepository()
    await _task(repo, "task-a", "LG-2026-001", ["SD-01"], date(2026, 6, 30))
    (a,) = await _draw(repo, "task-a", "draw-a", target(USCC_1))
    lone = [member(LEADER, TeamRole.LEADER), member("LG-077", TeamRole.EXPERT, "吴六")]
    await services.inspector_replaced(
        FakeInspectionsUnitOfWork(repo), replaced("task-a", USCC_1, MEMBER, lone), NOW
    )
    i = repo.inspections[a.inspection_id]
    assert [m.inspector_id for m in i.team] == [LEADER, MEMBER]
    assert repo.log[-1] == (a.inspection_id, "inspector_replacement_refused", "system")
