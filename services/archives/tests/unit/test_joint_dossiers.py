"""A joint draw is filed in both dossiers (ADR 0010): Lingang draws, naming Huancui's credit
department as a party; Huancui's archive keeps a dossier of Lingang's task — the draw's events
from Lingang's shared topics and Huancui's own acts in it — not folded into Huancui's
accountability. Wendeng, not a party, files nothing. Handlers run as the consumer runs them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from archives.domain.chain import EntryKind, verify_export
from archives.entrypoints import consumers
from archives.entrypoints.schemas import DossierOut
from archives.service_layer import accountability, views
from archives.service_layer.joint import NotKnownYet
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.draws import (
    DrawCancelled,
    DrawCompleted,
    DrawManifestFrozen,
    DrawnTarget,
    DrawShareCommitted,
    JointShareCommitted,
    JointShareRevealed,
    PartyKeyRecord,
    TeamMember,
)
from spotcheck_common.events.inspections import JointInspectionSigned, JointInspectionState
from spotcheck_common.events.types import TeamRole
from spotcheck_common.testing import envelope_of

from .fakes import FakeArchiveRepository, FakeArchivesUnitOfWork

TASK = "0b6c1d4e-task-lingang"
DRAW = "draw-lg-1"
USCC = "91371000MA3C00001Y"
PARTIES = ["信用监管科", "办公室", "huancui:信用监管科"]
TEAM = [
    TeamMember(inspector_id="L01", name="王强", department="信用监管科", role=TeamRole.LEADER),
    TeamMember(
        inspector_id="huancui:H07", name="陈静", department="信用监管科", role=TeamRole.MEMBER
    ),
]


def manifest(parties: list[str] = PARTIES, draw_id: str = DRAW, task_id: str = TASK) -> Event:
    return DrawManifestFrozen(
        draw_id=draw_id,
        task_id=task_id,
        task_no="LG-2026-201",
        algorithm="spotcheck-draw/3",
        manifest_sha256="11" * 32,
        population_size=120,
        population_root="22" * 32,
        roster_size=3,
        roster_root="33" * 32,
        parties=parties,
        manifest={"district": "lingang", "draw_id": draw_id},
    )


def committed(party: str = "信用监管科") -> Event:
    return DrawShareCommitted(draw_id=DRAW, task_id=TASK, party=party, commitment="44" * 32)


def completed(team: list[TeamMember] = TEAM, draw_id: str = DRAW) -> Event:
    return DrawCompleted(
        draw_id=draw_id,
        task_id=TASK,
        task_no="LG-2026-201",
        algorithm="spotcheck-draw/3",
        seed_hex="ab" * 32,
        population_size=120,
        targets=[
            DrawnTarget(uscc=USCC, entity_name="威海某商贸有限公司", risk_class="C", team=team)
        ],
        unstaffed=[],
    )


def state() -> Event:
    return JointInspectionState(
        inspection_id="insp-lg-1",
        task_id=TASK,
        task_no="LG-2026-201",
        task_title="2026年临港区企业公示信息抽查",
        draw_id=DRAW,
        uscc=USCC,
        entity_name="威海某商贸有限公司",
        deadline=date(2026, 12, 31),
        opened_at=datetime(2026, 11, 18, 2, tzinfo=UTC),
        team=TEAM,
        status="submitted",
        form_sha256="55" * 32,
        revision=1,
    )


def signed(drawing_district: str = "lingang", task_id: str = TASK) -> Event:
    return JointInspectionSigned(
        inspection_id="insp-lg-1",
        task_id=task_id,
        drawing_district=drawing_district,
        inspector_id="H07",
        form_sha256="55" * 32,
        signed_at=datetime(2026, 11, 20, 2, tzinfo=UTC),
    )


def joint_committed() -> Event:
    key = PartyKeyRecord(
        key_id="k1",
        party="huancui:信用监管科",
        holder="huancui:credit1",
        public_key="66" * 32,
        valid_from="2026-01-01",
        valid_until="2026-12-31",
        signature="77" * 64,
    )
    return JointShareCommitted(
        draw_id=DRAW,
        drawing_district="lingang",
        party="huancui:信用监管科",
        commitment="88" * 32,
        key=key,
        signature="99" * 64,
    )


def joint_revealed() -> Event:
    return JointShareRevealed(
        draw_id=DRAW,
        drawing_district="lingang",
        party="huancui:信用监管科",
        share_hex="aa" * 32,
        key_id="k1",
        signature="bb" * 64,
    )


class Archive:
    """One district's archive: its fake repository, and the consumer's handlers on it."""

    def __init__(self, district: str) -> None:
        self.district = district
        self.repo = FakeArchiveRepository()

    def uow(self) -> FakeArchivesUnitOfWork:
        return FakeArchivesUnitOfWork(self.repo, district=self.district)

    async def from_neighbour(self, event: Event, source: str = "lingang") -> Envelope[Any]:
        env: Envelope[Any] = envelope_of(event, source)
        await consumers.file_neighbour_event(event, env, self.uow())
        return env

    async def own(self, event: Event) -> Envelope[Any]:
        env: Envelope[Any] = envelope_of(event, self.district)
        handler = consumers.file_joint_act if type(event) in consumers.JOINT_ACTS else None
        await (handler or consumers.file_event)(event, env, self.uow())
        return env

    async def view(self, task_id: str = TASK) -> views.DossierView:
        return await views.read_dossier(self.uow(), task_id)


async def test_the_partys_dossier_holds_the_joint_draw_and_verifies() -> None:
    huancui = Archive("huancui")
    sent = [
        await huancui.from_neighbour(manifest()),
        await huancui.from_neighbour(committed()),
        await huancui.own(joint_committed()),
        await huancui.own(joint_revealed()),
        await huancui.from_neighbour(completed()),
        await huancui.from_neighbour(state()),
        await huancui.own(signed()),
    ]
    view = await huancui.view()
    assert [e.event_id for e in view.entries] == [e.event_id for e in sent]
    assert [e.kind for e in view.entries][2:4] == [EntryKind.JOINT_ACT, EntryKind.JOINT_ACT]
    act = view.entries[2].document
    assert (
        act["task_id"] == TASK and act["draw_id"] == DRAW and act["drawing_district"] == "lingang"
    )
    assert act["envelope"] == sent[2].model_dump(mode="json")  # the whole envelope
    # Whose task it is, where the dossier is listed and shown.
    head = view.head
    assert (head.drawing_district, head.task_no) == ("lingang", "LG-2026-201")
    assert head.title == "2026年临港区企业公示信息抽查"  # from the inspection's state
    out = DossierOut.of(view)
    assert out.dossier.drawing_district == "lingang"
    assert [e.event_type for e in out.entries][2] == "draws.joint-share-committed"
    assert view.verification.ok and view.verification.checked == 7
    draw_record = next(c for c in out.contents.categories if c.code == "draw_record")
    assert draw_record.count == 5  # manifest, Lingang's commit, both acts, completed
    # The export checks offline like any dossier's, and says whose task it is.
    exported = views.export_document(view, "huancui", datetime(2026, 12, 1, tzinfo=UTC), "u")
    assert exported["manifest"]["drawing_district"] == "lingang"
    assert verify_export(json.loads(json.dumps(exported))).ok
    assert (await huancui.repo.joint_draw("lingang", DRAW)) is not None


async def test_a_changed_joint_act_breaks_the_chain() -> None:
    huancui = Archive("huancui")
    await huancui.from_neighbour(manifest())
    await huancui.own(joint_committed())
    exported = views.export_document(
        await huancui.view(), "huancui", datetime(2026, 12, 1, tzinfo=UTC), "u"
    )
    exported["entries"][1]["document"]["envelope"]["payload"]["commitment"] = "00" * 32
    result = verify_export(exported)
    assert not result.ok and result.first_bad_seq == 2
    exported = views.export_document(
        await huancui.view(), "huancui", datetime(2026, 12, 1, tzinfo=UTC), "u"
    )
    exported["entries"][1]["document"]["task_id"] = "another-task"  # moved to another dossier
    assert not verify_export(exported).ok


async def test_a_district_that_is_no_party_files_nothing() -> None:
    wendeng = Archive("wendeng")
    for event in (manifest(), committed(), completed(), state(), signed("huancui")):
        await wendeng.from_neighbour(event)
    assert wendeng.repo.heads == {} and wendeng.repo.joints == {}


async def test_draws_of_the_neighbour_that_are_not_joint_for_us_are_left_alone() -> None:
    huancui = Archive("huancui")
    await huancui.from_neighbour(manifest(parties=["信用监管科", "办公室"], draw_id="other"))
    await huancui.from_neighbour(completed(team=TEAM[:1], draw_id="other"))
    await huancui.from_neighbour(DrawCancelled(draw_id="other", task_id=TASK, reason="x"))
    assert huancui.repo.heads == {} and huancui.repo.joints == {}


async def test_an_event_naming_us_before_its_manifest_waits_then_is_filed() -> None:
    huancui = Archive("huancui")
    early = completed()
    env: Envelope[Any] = envelope_of(early, "lingang")
    with pytest.raises(NotKnownYet):
        await consumers.file_neighbour_event(early, env, huancui.uow())
    with pytest.raises(NotKnownYet):  # Lingang's state of the inspection with our inspector
        await huancui.from_neighbour(state())
    assert huancui.repo.heads == {}
    # Of a draw not known and naming none of ours: not ours, ignored (not retried forever).
    await huancui.from_neighbour(completed(team=TEAM[:1], draw_id="unknown"))
    assert huancui.repo.heads == {}

    manifest_env = await huancui.from_neighbour(manifest())
    await consumers.file_neighbour_event(early, env, huancui.uow())  # delivered again
    view = await huancui.view()
    assert [e.event_id for e in view.entries] == [manifest_env.event_id, env.event_id]


async def test_our_own_acts_wait_for_the_manifest() -> None:
    huancui = Archive("huancui")
    with pytest.raises(NotKnownYet):
        await huancui.own(joint_committed())
    assert huancui.repo.heads == {}


async def test_the_neighbours_task_is_not_folded_into_our_accountability() -> None:
    huancui = Archive("huancui")
    await huancui.from_neighbour(manifest())
    await huancui.from_neighbour(completed())
    await huancui.own(signed())
    assert (await huancui.view()).head.entry_count == 3
    assert huancui.repo.store == {}  # no fact of Lingang's task (a fold would have made one)
    uow = huancui.uow()
    report = await accountability.accountability(uow, date(2027, 6, 1), None, None)
    assert report["items"] == [] and report["summary"]["overdue"] == 0


async def test_a_neighbour_cannot_make_a_task_of_ours_foreign(scenario: Any) -> None:
    huancui = Archive("huancui")
    approved = scenario.task(TASK, "HC-2026-001", scenario.CREDIT, date(2026, 12, 31))
    await huancui.own(approved)
    await huancui.from_neighbour(manifest())
    view = await huancui.view()
    assert view.head.drawing_district is None and view.head.entry_count == 1
    assert huancui.repo.joints == {}


async def test_the_neighbours_signature_goes_into_the_drawing_districts_own_dossier(
    scenario: Any,
) -> None:
    lingang = Archive("lingang")
    with pytest.raises(NotKnownYet):  # the task not filed here yet: wait for it
        await lingang.from_neighbour(signed(), source="huancui")
    approved = scenario.task(TASK, "LG-2026-201", scenario.CREDIT, date(2026, 12, 31))
    await lingang.own(approved)
    env = await lingang.from_neighbour(signed(), source="huancui")
    view = await lingang.view()
    assert [e.event_id for e in view.entries][1] == env.event_id
    assert view.entries[1].document["district"] == "huancui"
    assert view.head.drawing_district is None and view.verification.ok
    assert lingang.repo.store  # its own task: folded as ever
    # A signature for a task of a third district is not ours.
    await lingang.from_neighbour(signed("wendeng", task_id="t-wd"), source="huancui")
    assert set(lingang.repo.heads) == {TASK}


async def test_a_redelivered_neighbour_event_is_filed_once() -> None:
    huancui = Archive("huancui")
    event = manifest()
    env: Envelope[Any] = envelope_of(event, "lingang")
    for _ in range(2):
        await consumers.file_neighbour_event(event, env, huancui.uow())
    assert (await huancui.view()).head.entry_count == 1
    assert len(huancui.repo.joints) == 1
