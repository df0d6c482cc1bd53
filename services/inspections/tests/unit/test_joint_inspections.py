"""Joint inspections (issue 10) on fakes: the drawing district (lingang) publishes the state of
each inspection with a neighbour's inspectors; the neighbour (huancui) keeps it for its own
inspectors, who act there (the leader records and submits, members sign); lingang's record
takes each act by its own rules, a signature only for the form signed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inspections.domain import joint as domain
from inspections.domain.joint import RecordForm
from inspections.domain.model import InspectionStatus, NotAllowed, ResultsInvalid, StateRefused
from inspections.service_layer import joint, services, views
from spotcheck_common.clock import FixedClock
from spotcheck_common.errors import NotFound
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.inspections import (
    InspectionSubmitted,
    JointInspectionRecorded,
    JointInspectionSigned,
    JointInspectionState,
)
from spotcheck_common.events.types import TeamRole

from .factories import (
    LEADER,
    NOW,
    USCC_1,
    all_clear,
    draw_completed,
    inspection,
    member,
    target,
    task_approved,
)
from .fakes import FakeInspectionRepository, FakeInspectionsUnitOfWork

NEIGHBOUR_ID = "HC0001"
LATER = NOW + timedelta(days=1)
NAMESPACED = f"huancui:{NEIGHBOUR_ID}"


def joint_team() -> list[TeamMember]:
    return [member(LEADER, TeamRole.LEADER, "王组长"), member(NAMESPACED, TeamRole.MEMBER, "环翠")]


async def lingang_opens(repo: FakeInspectionRepository) -> list[JointInspectionState]:
    await services.task_approved(FakeInspectionsUnitOfWork(repo), task_approved(), NOW)
    uow = FakeInspectionsUnitOfWork(repo)
    event = draw_completed("task-1", target(USCC_1, joint_team()), target("91371000MA3C000025"))
    await services.draw_completed(uow, event, NOW)
    return [e for e in uow.uncommitted if isinstance(e, JointInspectionState)]


def inspection_id() -> str:
    return services.inspection_id_for("draw-1", USCC_1)


async def lingang_records(repo: FakeInspectionRepository) -> JointInspectionState:
    uow = FakeInspectionsUnitOfWork(repo)
    await services.record_results(uow, inspection_id(), LEADER, all_clear(), NOW)
    states = [e for e in uow.events if isinstance(e, JointInspectionState)]
    assert len(states) == 1
    return states[0]


async def huancui_receives(repo: FakeInspectionRepository, state: JointInspectionState) -> None:
    await joint.neighbour_state(
        FakeInspectionsUnitOfWork(repo, district="huancui"), state, "lingang"
    )


async def test_only_inspections_with_a_neighbours_inspector_are_published_to_it() -> None:
    states = await lingang_opens(FakeInspectionRepository())
    assert [s.inspection_id for s in states] == [inspection_id()]
    assert states[0].status == "pending" and states[0].revision == 0
    assert [m.inspector_id for m in states[0].team] == [LEADER, NAMESPACED]


async def test_a_neighbours_inspector_signs_at_their_bureau_and_lingang_records_it() -> None:
    lingang, huancui = FakeInspectionRepository(), FakeInspectionRepository()
    await lingang_opens(lingang)
    recorded = await lingang_records(lingang)
    await huancui_receives(huancui, recorded)

    # Huancui's inspector sees it in their own list, by their own id, and signs there.
    page = await joint.search(
        FakeInspectionsUnitOfWork(huancui, district="huancui"), NEIGHBOUR_ID, 10, 0
    )
    assert [j.inspection_id for j in page.items] == [inspection_id()]
    uow = FakeInspectionsUnitOfWork(huancui, district="huancui")
    await joint.sign(uow, inspection_id(), NEIGHBOUR_ID)
    [signed] = uow.events
    assert isinstance(signed, JointInspectionSigned)
    assert signed.drawing_district == "lingang" and signed.inspector_id == NEIGHBOUR_ID
    assert signed.form_sha256 == recorded.form_sha256
    # Signing the same form twice at huancui is refused before anything leaves.
    with pytest.raises(StateRefused):
        await joint.sign(
            FakeInspectionsUnitOfWork(huancui, district="huancui"), inspection_id(), NEIGHBOUR_ID
        )

    # Lingang records the signature under the namespaced id and tells huancui.
    uow = FakeInspectionsUnitOfWork(lingang)
    await joint.neighbour_acted(uow, signed, "huancui")
    record = lingang.inspections[inspection_id()]
    assert record.signatures[NAMESPACED] == signed.signed_at
    assert record.unsigned == [LEADER]
    [state] = uow.uncommitted
    assert isinstance(state, JointInspectionState) and NAMESPACED in state.signatures


async def test_a_signature_for_a_form_recorded_again_since_does_not_stand() -> None:
    lingang, huancui = FakeInspectionRepository(), FakeInspectionRepository()
    await lingang_opens(lingang)
    await huancui_receives(huancui, await lingang_records(lingang))
    uow = FakeInspectionsUnitOfWork(huancui, district="huancui")
    await joint.sign(uow, inspection_id(), NEIGHBOUR_ID)
    [signed] = uow.events
    # The leader changes the form before the signature arrives.
    later = FakeInspectionsUnitOfWork(lingang)
    await services.record_results(
        later, inspection_id(), LEADER, all_clear(), NOW + timedelta(hours=1)
    )
    await joint.neighbour_acted(FakeInspectionsUnitOfWork(lingang), signed, "huancui")
    assert NAMESPACED not in lingang.inspections[inspection_id()].signatures


async def test_a_signature_from_another_district_or_for_another_member_is_refused() -> None:
    lingang = FakeInspectionRepository()
    await lingang_opens(lingang)
    state = await lingang_records(lingang)
    signed = JointInspectionSigned(
        inspection_id=inspection_id(),
        task_id="task-1",
        drawing_district="lingang",
        inspector_id=NEIGHBOUR_ID,
        form_sha256=state.form_sha256,
        signed_at=NOW,
    )
    # wendeng's topic cannot sign for huancui's inspector: the id is read in the source's name.
    await joint.neighbour_acted(FakeInspectionsUnitOfWork(lingang), signed, "wendeng")
    assert lingang.inspections[inspection_id()].signatures == {}
    # Nor can a neighbour sign for one of lingang's own inspectors.
    own = signed.model_copy(update={"inspector_id": LEADER})
    await joint.neighbour_acted(FakeInspectionsUnitOfWork(lingang), own, "huancui")
    assert lingang.inspections[inspection_id()].signatures == {}
    # A signature addressed to another drawing district is not lingang's business.
    other = signed.model_copy(update={"drawing_district": "wendeng"})
    await joint.neighbour_acted(FakeInspectionsUnitOfWork(lingang), other, "huancui")
    assert lingang.inspections[inspection_id()].signatures == {}


async def test_the_neighbour_keeps_only_its_own_inspectors_inspections_and_the_newest_state() -> (
    None
):
    huancui, wendeng = FakeInspectionRepository(), FakeInspectionRepository()
    lingang = FakeInspectionRepository()
    [opened] = await lingang_opens(lingang)
    recorded = await lingang_records(lingang)
    await joint.neighbour_state(
        FakeInspectionsUnitOfWork(wendeng, district="wendeng"), opened, "lingang"
    )
    assert wendeng.joint == {}
    await huancui_receives(huancui, recorded)
    await huancui_receives(huancui, opened)  # delivered late: older than what is kept
    kept = await joint.get(
        FakeInspectionsUnitOfWork(huancui, district="huancui"), inspection_id(), None
    )
    assert kept.revision == recorded.revision and kept.state.status == "recorded"
    # Another of huancui's inspectors, not on the team, neither sees nor signs it.
    with pytest.raises(NotFound):
        await joint.get(
            FakeInspectionsUnitOfWork(huancui, district="huancui"), inspection_id(), "HC0002"
        )
    with pytest.raises(NotAllowed):
        await joint.sign(
            FakeInspectionsUnitOfWork(huancui, district="huancui"), inspection_id(), "HC0002"
        )


async def test_nothing_to_sign_before_the_leader_records_and_after_submission() -> None:
    lingang, huancui = FakeInspectionRepository(), FakeInspectionRepository()
    [opened] = await lingang_opens(lingang)
    await huancui_receives(huancui, opened)
    with pytest.raises(StateRefused):
        await joint.sign(
            FakeInspectionsUnitOfWork(huancui, district="huancui"), inspection_id(), NEIGHBOUR_ID
        )
    submitted = opened.model_copy(update={"status": str(InspectionStatus.SUBMITTED), "revision": 9})
    await huancui_receives(huancui, submitted)
    with pytest.raises(StateRefused):
        await joint.sign(
            FakeInspectionsUnitOfWork(huancui, district="huancui"), inspection_id(), NEIGHBOUR_ID
        )


def test_the_form_hash_changes_with_what_was_recorded() -> None:
    first = inspection()
    first.record_results(LEADER, all_clear(), NOW)
    again = inspection()
    again.record_results(LEADER, all_clear(), NOW + timedelta(minutes=1))
    assert domain.form_sha256(first) != domain.form_sha256(again)
    assert domain.form_sha256(first) == domain.form_sha256(first)


def leader_team() -> list[TeamMember]:
    """Lingang's leaders ran out: huancui's inspector leads the team."""
    return [member(NAMESPACED, TeamRole.LEADER, "环翠组长"), member(LEADER, TeamRole.MEMBER, "王")]


async def test_a_neighbours_leader_records_and_submits_at_their_bureau() -> None:
    lingang, huancui = FakeInspectionRepository(), FakeInspectionRepository()
    await services.task_approved(FakeInspectionsUnitOfWork(lingang), task_approved(), NOW)
    uow = FakeInspectionsUnitOfWork(lingang)
    await services.draw_completed(uow, draw_completed("task-1", target(USCC_1, leader_team())), NOW)
    [opened] = [e for e in uow.uncommitted if isinstance(e, JointInspectionState)]
    assert [c.code for c in opened.check_items] == ["SD-01", "SD-02"]  # the form to fill in
    await huancui_receives(huancui, opened)
    hc = FakeInspectionsUnitOfWork(huancui, district="huancui")

    # A form that misses an item is refused at huancui, before anything leaves.
    with pytest.raises(ResultsInvalid):
        await joint.record(hc, inspection_id(), NEIGHBOUR_ID, RecordForm(all_clear()[:1]))
    assert hc.events == []
    await joint.record(hc, inspection_id(), NEIGHBOUR_ID, RecordForm(all_clear()))
    [recorded] = hc.events
    assert isinstance(recorded, JointInspectionRecorded)

    # Lingang records the form under huancui's leader, then its member signs at lingang.
    applied = FakeInspectionsUnitOfWork(lingang)
    await joint.neighbour_acted(applied, recorded, "huancui")
    record = lingang.inspections[inspection_id()]
    assert record.recorded_by == NAMESPACED and record.status is InspectionStatus.RECORDED
    [state] = applied.uncommitted
    await services.sign(FakeInspectionsUnitOfWork(lingang), inspection_id(), LEADER)
    signed_state = domain.state_of(lingang.inspections[inspection_id()])
    await huancui_receives(huancui, state)
    # huancui's leader cannot submit before every member has signed (on the state it holds).
    with pytest.raises(StateRefused):
        await joint.submit(
            FakeInspectionsUnitOfWork(huancui, district="huancui"),
            inspection_id(),
            NEIGHBOUR_ID,
            None,
        )
    await huancui_receives(huancui, signed_state)
    hc = FakeInspectionsUnitOfWork(huancui, district="huancui")
    await joint.sign(hc, inspection_id(), NEIGHBOUR_ID)
    [signed] = hc.events
    await joint.neighbour_acted(FakeInspectionsUnitOfWork(lingang), signed, "huancui")
    await huancui_receives(huancui, domain.state_of(lingang.inspections[inspection_id()]))
    # (the services' day: after the draw)
    hc = FakeInspectionsUnitOfWork(huancui, district="huancui", clock=FixedClock(LATER))
    await joint.submit(hc, inspection_id(), NEIGHBOUR_ID, None)
    [submitted] = hc.events

    done = FakeInspectionsUnitOfWork(lingang)
    await joint.neighbour_acted(done, submitted, "huancui")
    record = lingang.inspections[inspection_id()]
    assert record.status is InspectionStatus.SUBMITTED and record.submitted_by == NAMESPACED
    published = [e for e in done.uncommitted if isinstance(e, InspectionSubmitted)]
    assert len(published) == 1 and published[0].submitted_by == NAMESPACED


async def test_only_the_leader_records_and_a_form_lingang_refuses_changes_nothing() -> None:
    lingang, huancui = FakeInspectionRepository(), FakeInspectionRepository()
    [opened] = await lingang_opens(lingang)  # lingang's own leader; huancui's inspector a member
    await huancui_receives(huancui, opened)
    with pytest.raises(NotAllowed):
        await joint.record(
            FakeInspectionsUnitOfWork(huancui, district="huancui"),
            inspection_id(),
            NEIGHBOUR_ID,
            RecordForm(all_clear()),
        )
    # Written by hand (not through huancui's checks): lingang's rules refuse it all the same.
    forged = JointInspectionRecorded(
        inspection_id=inspection_id(),
        task_id="task-1",
        drawing_district="lingang",
        inspector_id=NEIGHBOUR_ID,
        results=[{"check_item_code": "SD-01", "category": "未发现问题"}],
        recorded_at=NOW,
    )
    await joint.neighbour_acted(FakeInspectionsUnitOfWork(lingang), forged, "huancui")
    assert lingang.inspections[inspection_id()].status is InspectionStatus.PENDING


async def test_a_shared_inspectors_load_is_counted_at_their_own_bureau_across_districts() -> None:
    lingang, huancui = FakeInspectionRepository(), FakeInspectionRepository()
    [opened] = await lingang_opens(lingang)
    await huancui_receives(huancui, opened)
    year = opened.deadline.year
    # Huancui's own inspection of the same inspector, due the same year.
    own = inspection()
    own.team = [member(NEIGHBOUR_ID, TeamRole.LEADER, "环翠"), member("HC0002", TeamRole.MEMBER)]
    await huancui.add(own)

    [hc] = [
        w
        for w in await views.workload(FakeInspectionsUnitOfWork(huancui, district="huancui"), year)
        if w.inspector_id == NEIGHBOUR_ID
    ]
    assert hc.own == {"open": 1} and hc.neighbours == {"lingang": {"open": 1}} and hc.total == 2
    # Lingang counts its own inspectors only (huancui's inspector is huancui's to count).
    at_lingang = await views.workload(FakeInspectionsUnitOfWork(lingang), year)
    assert {w.inspector_id for w in at_lingang} == {LEADER, "LG-002"}
    assert next(w for w in at_lingang if w.inspector_id == LEADER).own == {"open": 2}
    assert (
        await views.workload(FakeInspectionsUnitOfWork(huancui, district="huancui"), year + 1) == []
    )
