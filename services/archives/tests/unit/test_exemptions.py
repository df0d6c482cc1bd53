"""Exemptions from accountability (第十三条) on the 2026 scenario, on fakes: who may propose,
with what; the director's meeting's decision; 问责 and 免责 apart in the report, the statistics
and the gauge; both acts in the task's dossier, the chain still verifying."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from archives.domain.chain import verify_export
from archives.domain.exemptions import (
    Circumstance,
    Evidence,
    EvidenceSource,
    Exemption,
    Proposal,
    Status,
    classify,
    decide,
)
from archives.service_layer import accountability, services, views
from archives.service_layer import exemptions as service
from spotcheck_common.clock import FixedClock
from spotcheck_common.errors import Conflict, Corrupted, Forbidden, Invalid, NotFound
from spotcheck_common.events import Envelope, Event
from spotcheck_common.events.inspections import AttachmentAdded, AttachmentKind
from spotcheck_common.metrics import OVERDUE_ITEMS

from .fakes import FakeArchiveRepository
from .fakes import FakeArchivesUnitOfWork as Uow

FU_C1 = "case_not_transferred:T-C:fu-C1"  # opened 09-29, due 10-19, never transferred
OBJ_C2 = "objection_review:T-C:obj-C2"  # received 09-23, due 10-28, never decided
FOOD_HEAD = service.Proposer("shipin-01", "食品科", credit_dept=False)
CREDIT_HEAD = service.Proposer("xinyong-01", "信用监管科", credit_dept=True)
REPORT = b"%PDF-1.7 \xe6\xa3\x80\xe6\xb5\x8b\xe6\x8a\xa5\xe5\x91\x8a"  # the lab's report


def at(day: date, actor: str = "tester", repo: FakeArchiveRepository | None = None) -> Uow:
    """A unit of work whose clock reads 10:00 in Beijing on ``day``."""
    uow = Uow(repo, actor=actor)
    uow.clock = FixedClock(datetime(day.year, day.month, day.day, 2, tzinfo=UTC))
    return uow


def attachment(content: bytes) -> AttachmentAdded:
    return AttachmentAdded(
        attachment_id="att-C3",
        inspection_id="insp-C3",
        task_id="T-C",
        uscc="91371000MA3C00003R",
        kind=AttachmentKind.OTHER,
        filename="移送函回执.pdf",
        media_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_by="I005",
    )


@pytest.fixture
async def repo(
    year_events: Callable[[], list[tuple[Event, datetime]]],
    envelope: Callable[..., Envelope[Any]],
) -> FakeArchiveRepository:
    """The 2026 year filed and folded as the consumer does, and one attachment in T-C."""
    repo = FakeArchiveRepository()
    events = [*year_events(), (attachment(b"receipt"), datetime(2026, 10, 20, tzinfo=UTC))]
    for event, when in events:
        document = envelope(event, occurred_at=when).model_dump(mode="json")
        await services.file_event(Uow(repo), document, when)
        await accountability.record(Uow(repo), document, when)
    return repo


async def upload(repo: FakeArchiveRepository, day: date, content: bytes = REPORT) -> Evidence:
    return await service.upload_evidence(
        at(day, "shipin-01", repo), "T-C", "移送情况说明.pdf", "application/pdf", content
    )


async def propose(
    repo: FakeArchiveRepository,
    day: date,
    item_id: str,
    proposer: service.Proposer = FOOD_HEAD,
    evidence: list[str] | None = None,
    attachments: tuple[str, ...] = (),
) -> Exemption:
    if evidence is None:
        evidence = [(await upload(repo, day)).evidence_id]
    return await service.propose_exemption(
        at(day, proposer.user, repo),
        proposer,
        item_id,
        [Circumstance.DUTIES_DONE, Circumstance.NO_CAUSAL_LINK],
        "已按年度计划履职，案件线索已于10月15日函告公安机关，回执见附件",
        evidence,
        list(attachments),
    )


async def decision(
    repo: FakeArchiveRepository, day: date, exemption_id: str, granted: bool = True
) -> Exemption:
    return await service.decide_exemption(
        at(day, "juzhang-01", repo),
        exemption_id,
        granted,
        "证据充分，符合第十三条免责情形" if granted else "证明材料不足",
        day,
        "2026-12",
    )


def item(report: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for i in report["items"] if i["item_id"] == item_id)


def gauge(kind: str, department: str) -> float:
    return float(
        OVERDUE_ITEMS.labels(source="archives", kind=kind, department=department)._value.get()
    )


async def test_a_granted_exemption_is_listed_as_exempt_and_leaves_the_gauge(
    repo: FakeArchiveRepository, scenario: Any
) -> None:
    food = scenario.FOOD
    proposed = await propose(repo, date(2026, 10, 29), FU_C1, attachments=("att-C3",))
    assert proposed.status is Status.PROPOSED
    assert [e.source for e in proposed.proposal.evidence] == [
        EvidenceSource.UPLOADED,
        EvidenceSource.DOSSIER,
    ]
    assert proposed.proposal.evidence[1].sha256 == hashlib.sha256(b"receipt").hexdigest()
    # Waiting for the meeting: still answerable, still an open failure.
    report = await accountability.accountability(
        at(date(2026, 10, 29), repo=repo), date(2026, 10, 29), None, None
    )
    waiting = item(report, FU_C1)
    assert (
        waiting["accountability"] == "accountable" and waiting["exemption"]["status"] == "proposed"
    )
    assert report["summary"]["exemption_proposed"] == 1 and report["summary"]["exempt"] == 0
    await accountability.refresh_gauge(at(date(2026, 10, 29), repo=repo), date(2026, 10, 29), 3)
    assert gauge("case_not_transferred", food) == 1

    decided = await decision(repo, date(2026, 10, 30), proposed.exemption_id)
    assert decided.status is Status.GRANTED and decided.decision is not None
    assert decided.decision.decided_by == "juzhang-01"

    report = await accountability.accountability(
        at(date(2026, 10, 30), repo=repo), date(2026, 10, 30), None, None
    )
    exempt = item(report, FU_C1)
    assert exempt["status"] == "overdue"  # the failure itself is still listed, as it was
    assert exempt["accountability"] == "exempt" and exempt["accountability_label"] == "免责"
    assert exempt["exemption"]["decision"]["minute_no"] == "2026-12"
    assert "局长办公会 2026-10-30" in exempt["description"]
    assert report["summary"]["exempt"] == 1 and report["summary"]["exemption_proposed"] == 0
    # 问责: 3 overdue (T-A's target, T-B, obj-C2); 免责 apart.
    assert report["summary"]["overdue"] == 3
    food_counts = next(d for d in report["by_department"] if d["department"] == food)
    assert food_counts["exempt"] == {"case_not_transferred": 1}
    assert "case_not_transferred" not in food_counts["overdue"]
    assert food_counts["exempt_total"] == 1
    assert (
        food_counts["accountable_total"] == food_counts["overdue_total"] + food_counts["late_total"]
    )
    inspector = next(i for i in report["by_inspector"] if i["inspector_id"] == "I005")
    assert inspector["exempt"] == {"case_not_transferred": 1} and inspector["overdue_total"] == 0

    stats = await accountability.statistics_report(
        at(date(2026, 10, 30), repo=repo), date(2026, 10, 30), 2026, None
    )
    task_c = next(t for t in stats["tasks"] if t["task_id"] == "T-C")
    assert task_c["exempt"] == {"case_not_transferred": 1}
    assert task_c["overdue"] == {"objection_review": 1}

    await accountability.refresh_gauge(at(date(2026, 10, 30), repo=repo), date(2026, 10, 30), 3)
    assert gauge("case_not_transferred", food) == 0
    assert gauge("objection_review", food) == 1  # not exempted: still open

    # Replayed as of the day before the meeting, it was still answerable.
    before = await accountability.accountability(
        at(date(2026, 10, 30), repo=repo), date(2026, 10, 29), None, None
    )
    assert item(before, FU_C1)["accountability"] == "accountable"


async def test_both_acts_are_filed_in_the_dossier_and_the_chain_still_verifies(
    repo: FakeArchiveRepository,
) -> None:
    proposed = await propose(repo, date(2026, 10, 29), FU_C1)
    decided = await decision(repo, date(2026, 10, 30), proposed.exemption_id)
    view = await views.read_dossier(Uow(repo), "T-C")
    assert view.verification.ok
    *_, filed_proposal, filed_decision = view.entries
    assert (filed_proposal.kind, filed_decision.kind) == ("exemption", "exemption")
    assert filed_proposal.seq == proposed.seq and filed_decision.seq == decided.decision_seq
    assert filed_proposal.document == proposed.proposal.document()
    assert filed_proposal.document["evidence"][0]["sha256"] == hashlib.sha256(REPORT).hexdigest()
    assert filed_decision.document["granted"] is True
    # The decision is bound to the very proposal it decides.
    assert filed_decision.document["proposal_entry_hash"] == filed_proposal.link.entry_hash
    contents = views.dossier_contents(view)
    category = next(c for c in contents["categories"] if c["code"] == "exemption")
    assert [e["act"] for e in category["entries"]] == ["proposed", "decided"]

    exported = views.export_document(view, "lingang", datetime(2026, 11, 1, tzinfo=UTC), "档案员")
    assert verify_export(exported).ok
    exported["entries"][-1]["document"]["granted"] = False  # a refusal rewritten as a grant
    assert verify_export(exported).first_bad_seq == filed_decision.seq
    exported = views.export_document(view, "lingang", datetime(2026, 11, 1, tzinfo=UTC), "档案员")
    exported["entries"][-2]["document"]["task_id"] = "T-A"  # moved to another task's file
    assert verify_export(exported).first_bad_seq == filed_proposal.seq


async def test_who_may_propose_and_with_what(repo: FakeArchiveRepository) -> None:
    day = date(2026, 10, 29)
    credit_dept_supervising = service.Proposer("keshi-02", "信用监管科", credit_dept=False)
    with pytest.raises(Forbidden):  # another department's failure
        await propose(repo, day, FU_C1, credit_dept_supervising)
    with pytest.raises(Invalid):
        await propose(repo, day, FU_C1, evidence=[])
    with pytest.raises(NotFound):  # transferred in time: not a failure
        await propose(repo, day, "case_not_transferred:T-C:fu-C2")
    with pytest.raises(NotFound):  # not yet a failure on 10-28 (due that day)
        await propose(repo, date(2026, 10, 28), OBJ_C2)
    with pytest.raises(NotFound):
        await propose(repo, day, FU_C1, attachments=("att-missing",))
    with pytest.raises(Invalid):
        await service.propose_exemption(
            at(day, "shipin-01", repo),
            FOOD_HEAD,
            FU_C1,
            [],
            "理由",
            [(await upload(repo, day)).evidence_id],
            [],
        )
    evidence_of_a = await service.upload_evidence(
        at(day, "xinyong-01", repo), "T-A", "a.pdf", "application/pdf", b"a"
    )
    with pytest.raises(Invalid):  # another task's evidence
        await propose(repo, day, FU_C1, evidence=[evidence_of_a.evidence_id])
    assert repo.proposals == {}  # nothing refused was recorded
    assert [e.kind for e in repo.rows["T-C"]].count("exemption") == 0
    # The credit department proposes for any department.
    assert (
        await propose(repo, day, FU_C1, CREDIT_HEAD)
    ).proposal.proposing_department == "信用监管科"


async def test_one_waiting_proposal_a_refusal_may_be_followed_a_grant_is_final(
    repo: FakeArchiveRepository,
) -> None:
    first = await propose(repo, date(2026, 10, 29), OBJ_C2)
    with pytest.raises(Conflict):
        await propose(repo, date(2026, 10, 29), OBJ_C2)
    refused = await decision(repo, date(2026, 10, 30), first.exemption_id, granted=False)
    assert refused.status is Status.REFUSED
    with pytest.raises(Conflict):  # decided once
        await decision(repo, date(2026, 10, 30), first.exemption_id)
    report = await accountability.accountability(
        at(date(2026, 10, 30), repo=repo), date(2026, 10, 30), None, None
    )
    shown = item(report, OBJ_C2)
    assert shown["accountability"] == "accountable" and shown["exemption"]["status"] == "refused"

    second = await propose(repo, date(2026, 11, 2), OBJ_C2, CREDIT_HEAD)
    await decision(repo, date(2026, 11, 3), second.exemption_id)
    with pytest.raises(Conflict):
        await propose(repo, date(2026, 11, 4), OBJ_C2)
    report = await accountability.accountability(
        at(date(2026, 11, 4), repo=repo), date(2026, 11, 4), None, None
    )
    assert item(report, OBJ_C2)["exemption"]["exemption_id"] == second.exemption_id
    listed = await service.exemptions(Uow(repo), "T-C", Status.REFUSED, None)
    assert [e.exemption_id for e in listed] == [first.exemption_id]
    assert await service.exemptions(Uow(repo), None, None, "信用监管科") == []
    assert await views.read_dossier(Uow(repo), "T-C") is not None
    assert (await views.read_dossier(Uow(repo), "T-C")).verification.ok


async def test_the_meeting_date_lies_between_the_proposal_and_today(
    repo: FakeArchiveRepository,
) -> None:
    proposed = await propose(repo, date(2026, 10, 29), FU_C1)
    for meeting in (date(2026, 10, 28), date(2026, 10, 31)):  # before it, after "today"
        with pytest.raises(Invalid):
            await service.decide_exemption(
                at(date(2026, 10, 30), "juzhang-01", repo),
                proposed.exemption_id,
                True,
                "理由",
                meeting,
                "2026-12",
            )
    with pytest.raises(Invalid):
        await service.decide_exemption(
            at(date(2026, 10, 30), repo=repo),
            proposed.exemption_id,
            True,
            "理由",
            date(2026, 10, 30),
            " ",
        )
    with pytest.raises(NotFound):
        await decision(repo, date(2026, 10, 30), "nope")
    assert repo.decisions == {}


async def test_evidence_is_kept_with_its_hash_and_refused_when_changed(
    repo: FakeArchiveRepository,
) -> None:
    evidence = await upload(repo, date(2026, 10, 29))
    assert evidence.sha256 == hashlib.sha256(REPORT).hexdigest() and evidence.size == len(REPORT)
    assert evidence.added_by == "shipin-01"
    found, content = await service.evidence_file(Uow(repo), evidence.evidence_id)
    assert content == REPORT and found == evidence
    repo.evidence_files[evidence.evidence_id] = (evidence, REPORT + b"!")
    with pytest.raises(Corrupted):
        await service.evidence_file(Uow(repo), evidence.evidence_id)
    for name in ("../etc/passwd", "", "CON"):
        with pytest.raises(Invalid):
            await service.upload_evidence(at(date(2026, 10, 29), repo=repo), "T-C", name, "", b"x")
    with pytest.raises(Invalid):
        await service.upload_evidence(at(date(2026, 10, 29), repo=repo), "T-C", "a.pdf", "", b"")
    with pytest.raises(NotFound):
        await service.upload_evidence(at(date(2026, 10, 29), repo=repo), "T-X", "a.pdf", "", b"x")


def test_an_item_keeps_its_id_from_overdue_to_late(
    year_events: Callable[[], list[tuple[Event, datetime]]],
    envelope: Callable[..., Envelope[Any]],
    scenario: Any,
) -> None:
    """An exemption names the failure, so its id must not move when it is done late."""
    from .test_accountability import docs, fold

    s = scenario
    late = s.submitted("T-A", "insp-A2", s.U2, s.TEAM_U2, date(2026, 11, 2))
    facts = fold(docs([*year_events(), (late, s.at(date(2026, 11, 2)))], envelope))
    from archives.domain.accountability import overdue_items
    from spotcheck_common.workdays import WorkCalendar

    def ids(day: date) -> dict[str, str]:
        items, _ = overdue_items(facts, day, WorkCalendar())
        return {i["item_id"]: i["status"] for i in items if i["kind"] == "task_not_run"}

    target = f"task_not_run:T-A:{s.U2}"
    assert ids(date(2026, 10, 29))[target] == "overdue"
    assert ids(date(2026, 11, 5))[target] == "late"
    assert ids(date(2026, 11, 5))["task_not_run:T-B:not_drawn"] == "overdue"


def test_a_decision_counts_from_the_meeting_day() -> None:
    item = {"item_id": FU_C1, "task_id": "T-C", "department": "食品科", "description": "未移送"}
    proposal = Proposal(
        exemption_id="E1",
        item=item,
        circumstances=(Circumstance.FALSE_PROFESSIONAL_REPORT,),
        statement="检测机构出具虚假报告",
        evidence=(),
        proposed_by="shipin-01",
        proposing_department="食品科",
        proposed_at=datetime(2026, 10, 29, 2, tzinfo=UTC),
    )
    waiting = Exemption(proposal, 20, "ab" * 32)
    granted = replace(
        waiting,
        decision=decide(
            waiting,
            True,
            "属实",
            date(2026, 11, 3),
            "2026-13",
            "juzhang-01",
            datetime(2026, 11, 5, 2, tzinfo=UTC),
        ),
    )
    assert Proposal.of(proposal.document()).document() == proposal.document()  # read back

    def marked(day: date) -> tuple[str, str | None]:
        (out,) = classify([item], [granted], day)
        return out["accountability"], out["exemption"] and out["exemption"]["status"]

    assert marked(date(2026, 10, 28)) == ("accountable", None)  # not yet proposed
    assert marked(date(2026, 11, 2)) == ("accountable", "proposed")  # before the meeting
    assert marked(date(2026, 11, 3)) == ("exempt", "granted")
