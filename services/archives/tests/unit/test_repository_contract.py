"""The fake repository the unit tests use behaves as the SQL one (on SQLite, the embedded
database; the integration suite runs the SQL one on PostgreSQL): same answers to the same
calls, so a use case tested on the fake holds on the real thing."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from archives.adapters.repository import ArchiveRepository, SqlArchiveRepository
from archives.domain.accountability import FOLLOW_UP, RESULT, TASK, Fact
from archives.domain.chain import EntryKind
from archives.domain.exemptions import (
    Circumstance,
    Evidence,
    EvidenceSource,
    Exemption,
    Proposal,
    Status,
    decide,
)
from archives.domain.joint import JointDraw
from archives.domain.model import DossierHead, PlanVersion, append
from archives.entrypoints.service import definition
from spotcheck_common.testing import migrated_session

from .fakes import FakeArchiveRepository

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakeArchiveRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlArchiveRepository(session)


def document(task_id: str, n: int) -> dict[str, Any]:
    return {
        "event_id": f"{task_id}-e{n}",
        "event_type": "planning.task-approved",
        "payload": {"task_id": task_id, "task_no": f"LG-{task_id}", "title": "任务"},
    }


async def file(repo: Any, task_id: str, n: int, now: datetime) -> DossierHead:
    head = await repo.lock_dossier(task_id, now)
    new_head, entry = append(head, EntryKind.EVENT, document(task_id, n), now)
    await repo.append(new_head, entry)
    return new_head


async def test_dossiers_append_read_and_list(repo: Any) -> None:
    assert await repo.get_dossier("T1") is None
    assert (await repo.list_dossiers(10, 0)).total == 0
    await file(repo, "T1", 1, T0)
    await file(repo, "T2", 1, T0 + timedelta(minutes=1))
    head = await file(repo, "T1", 2, T0 + timedelta(minutes=2))
    assert await repo.has_event("T1-e2") and not await repo.has_event("T1-e3")
    assert await repo.get_dossier("T1") == head
    entries = await repo.entries("T1")
    assert [(e.seq, e.event_id, e.recorded_at) for e in entries] == [
        (1, "T1-e1", T0),
        (2, "T1-e2", T0 + timedelta(minutes=2)),
    ]
    assert entries[1].link.prev_hash == entries[0].link.entry_hash
    page = await repo.list_dossiers(10, 0)
    assert page.total == 2 and [h.task_id for h in page.items] == ["T1", "T2"]  # latest first
    second = await repo.list_dossiers(1, 1)
    assert second.total == 2 and [h.task_id for h in second.items] == ["T2"]


async def test_a_neighbours_task_keeps_its_drawing_district_and_joint_draws(repo: Any) -> None:
    assert await repo.find_dossier("T1") is None
    empty = await repo.lock_dossier("T1", T0)
    assert empty.drawing_district is None and await repo.find_dossier("T1") == empty
    foreign = replace(empty, drawing_district="lingang")
    head, entry = append(foreign, EntryKind.EVENT, document("T1", 1), T0)
    await repo.append(head, entry)
    assert head.drawing_district == "lingang"
    assert await repo.find_dossier("T1") == head == await repo.get_dossier("T1")
    assert (await repo.list_dossiers(10, 0)).items == [head]
    joint = JointDraw("lingang", "D1", "T1", "LG-1", "m-e1", T0)
    assert await repo.joint_draw("lingang", "D1") is None
    assert await repo.add_joint_draw(joint)
    assert not await repo.add_joint_draw(replace(joint, task_id="T2"))  # marked once
    assert await repo.joint_draw("lingang", "D1") == joint
    assert await repo.joint_draw("wendeng", "D1") is None  # the drawing district is the key


async def test_plans_their_versions_and_links(repo: Any) -> None:
    v1 = PlanVersion("P1", 1, "p-e1", {"event_id": "p-e1", "payload": {"plan_id": "P1"}})
    v2 = PlanVersion("P1", 2, "p-e2", {"event_id": "p-e2", "payload": {"plan_id": "P1"}})
    await repo.lock_plan("P1", T0)
    assert await repo.add_plan_version(v2, T0)
    assert await repo.add_plan_version(v1, T0)
    assert not await repo.add_plan_version(v1, T0)  # the same event: filed once
    assert [v.plan_version for v in await repo.plan_versions("P1")] == [1, 2]
    assert await repo.plan_versions("P2") == []
    await repo.set_task_plan("T2", "P1")
    await repo.set_task_plan("T1", "P1")
    assert await repo.tasks_of_plan("P1") == ["T1", "T2"]
    await file(repo, "T1", 1, T0)
    await repo.add_plan_link("T1", v1, 2)
    assert await repo.linked_plan_events("T1") == {"p-e1"}
    assert await repo.linked_plan_events("T2") == set()


async def test_facts_are_put_got_and_loaded_by_year_and_department(repo: Any) -> None:
    task = Fact(TASK, "T1", "T1", {"task_id": "T1", "approved": True}, 2026, "食品科")
    other = Fact(TASK, "T2", "T2", {"task_id": "T2"}, 2027, "信用监管科")
    result = Fact(RESULT, "insp-1", "T1", {"task_id": "T1", "submitted": True})
    await repo.put_facts([task, other, result], T0)
    got = await repo.get_facts([(TASK, "T1"), (RESULT, "insp-1"), (FOLLOW_UP, "nope")])
    assert got == {(TASK, "T1"): task, (RESULT, "insp-1"): result}
    assert await repo.get_facts([]) == {}
    changed = Fact(TASK, "T1", "T1", {"task_id": "T1", "approved": False}, 2026, "食品科")
    await repo.put_facts([changed], T0)
    assert (await repo.get_facts([(TASK, "T1")]))[(TASK, "T1")] == changed
    assert await repo.load_facts(2026, None) == [result, changed]  # by kind, then key
    assert await repo.load_facts(None, "信用监管科") == [other]
    assert await repo.load_facts(2025, None) == []


async def test_a_savepoint_undoes_only_what_was_written_inside(repo: Any) -> None:
    kept = Fact(TASK, "T1", "T1", {"task_id": "T1"}, 2026, "食品科")
    await repo.put_facts([kept], T0)
    with pytest.raises(RuntimeError):
        async with repo.savepoint():
            await repo.put_facts([Fact(TASK, "T9", "T9", {"task_id": "T9"}, 2026, "x")], T0)
            raise RuntimeError("the fold failed")
    assert await repo.load_facts(None, None) == [kept]
    async with repo.savepoint():
        await repo.put_facts([Fact(TASK, "T8", "T8", {"task_id": "T8"}, 2026, "x")], T0)
    assert [f.key for f in await repo.load_facts(None, None)] == ["T1", "T8"]


async def test_folds_are_parked_counted_per_attempt_listed_and_unparked(repo: Any) -> None:
    envelope = {"event_id": "e1", "event_type": "planning.task-approved", "payload": {"a": 1}}
    assert await repo.parked("e1") is None
    first = await repo.park("e1", "planning.task-approved", envelope, "KeyError: 'a'", T0)
    assert (first.attempts, first.parked_at, first.last_tried_at) == (1, T0, T0)
    later = T0 + timedelta(hours=1)
    again = await repo.park("e1", "planning.task-approved", envelope, "ValueError: b", later)
    assert again == await repo.parked("e1")
    assert (again.attempts, again.error, again.parked_at, again.last_tried_at) == (
        2,
        "ValueError: b",
        T0,
        later,
    )
    assert dict(again.envelope) == envelope
    await repo.park("e0", "draws.draw-completed", {"event_id": "e0"}, "x", later)
    page = await repo.parked_folds(10, 0)
    assert page.total == 2 and [p.event_id for p in page.items] == ["e1", "e0"]  # oldest first
    assert [p.event_id for p in (await repo.parked_folds(1, 1)).items] == ["e0"]
    await repo.unpark("e1")
    await repo.unpark("nope")
    assert await repo.parked("e1") is None
    assert [p.event_id for p in (await repo.parked_folds(10, 0)).items] == ["e0"]


async def test_facts_of_one_task(repo: Any) -> None:
    task = Fact(TASK, "T1", "T1", {"task_id": "T1", "approved": True}, 2026, "食品科")
    result = Fact(RESULT, "insp-1", "T1", {"task_id": "T1"})
    other = Fact(TASK, "T2", "T2", {"task_id": "T2"}, 2027, "信用监管科")
    await repo.put_facts([task, result, other], T0)
    assert await repo.task_facts("T1") == [result, task]  # by kind, then key
    assert await repo.task_facts("T9") == []


def _evidence(evidence_id: str, content: bytes) -> Evidence:
    return Evidence(
        evidence_id=evidence_id,
        source=EvidenceSource.UPLOADED,
        task_id="T1",
        filename="说明.pdf",
        media_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_by="shipin-01",
        added_at=T0,
    )


def _proposal(exemption_id: str, item_id: str, at: datetime, evidence: Evidence) -> Proposal:
    return Proposal(
        exemption_id=exemption_id,
        item={
            "item_id": item_id,
            "task_id": "T1",
            "kind": "objection_review",
            "department": "食品科",
        },
        circumstances=(Circumstance.TECHNICAL_LIMITS,),
        statement="现有技术手段无法检出",
        evidence=(evidence,),
        proposed_by="shipin-01",
        proposing_department="食品科",
        proposed_at=at,
    )


async def test_exemptions_evidence_proposals_and_one_decision_each(repo: Any) -> None:
    evidence = _evidence("ev-1", b"%PDF")
    await repo.add_evidence(evidence, b"%PDF")
    assert await repo.evidence("ev-1") == (evidence, b"%PDF")
    assert await repo.evidence("nope") is None
    head = await file(repo, "T1", 1, T0)
    later = T0 + timedelta(days=1)
    first = Exemption(_proposal("E2", "objection_review:T1:o1", later, evidence), 2, "aa" * 32)
    second = Exemption(_proposal("E1", "objection_review:T1:o2", T0, evidence), 3, "bb" * 32)
    await repo.add_exemption(first)
    await repo.add_exemption(second)
    assert head.entry_count == 1
    got = await repo.exemption("E2")
    assert got is not None and got.proposal.document() == first.proposal.document()
    assert (got.seq, got.entry_hash, got.decision, got.decision_seq) == (2, "aa" * 32, None, None)
    decision = decide(got, False, "不予免责", later.date(), "2026-1", "juzhang-01", later)
    await repo.add_decision(decision, 4)
    decided = await repo.exemption("E2")
    assert decided is not None and decided.decision == decision and decided.decision_seq == 4
    assert decided.status is Status.REFUSED
    assert [e.exemption_id for e in await repo.exemptions()] == ["E1", "E2"]  # oldest first
    assert [e.exemption_id for e in await repo.exemptions(task_id="T1")] == ["E1", "E2"]
    assert await repo.exemptions(task_id="T2") == []
    assert [e.exemption_id for e in await repo.exemptions(item_id="objection_review:T1:o1")] == [
        "E2"
    ]
    assert await repo.exemption("nope") is None
    with pytest.raises((AssertionError, IntegrityError)):  # one decision per proposal
        await repo.add_decision(decision, 5)


def _methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_the_protocol_the_sql_repository_and_the_fake_have_the_same_methods() -> None:
    """A method added to the SQL repository is added to the protocol (so ``_conforms()`` makes
    mypy demand it of the fake) and to the fake."""
    assert (
        _methods(SqlArchiveRepository)
        == _methods(ArchiveRepository)
        == _methods(FakeArchiveRepository)
    )
