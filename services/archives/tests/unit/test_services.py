"""Filing events into dossiers, on a fake repository."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from archives.domain.chain import GENESIS_HASH, link, verify_export
from archives.domain.model import Entry
from archives.service_layer import services, views
from spotcheck_common.errors import NotFound
from spotcheck_common.events import Envelope, Event

from .fakes import FakeArchiveRepository
from .fakes import FakeArchivesUnitOfWork as Uow

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


async def _file_all(
    repo: FakeArchiveRepository, envelopes: list[Envelope[Any]]
) -> list[Entry | None]:
    return [
        await services.file_event(Uow(repo), e.model_dump(mode="json"), NOW + timedelta(minutes=i))
        for i, e in enumerate(envelopes)
    ]


async def test_every_event_of_a_task_goes_into_its_dossier_in_order(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    envelopes = [envelope(e) for e in task_cycle("T1")]
    await _file_all(repo, envelopes)
    view = await views.read_dossier(Uow(repo), "T1")
    assert [e.seq for e in view.entries] == list(range(1, 8))
    assert [e.event_id for e in view.entries] == [e.event_id for e in envelopes]
    assert view.entries[0].document == envelopes[0].model_dump(mode="json")  # the whole envelope
    assert view.verification.ok and view.verification.head_hash == view.head.head_hash
    assert view.head.task_no == "LG-2026-007"
    assert view.head.title == "2026年临港区企业公示信息抽查"
    assert view.head.last_event_type == "publication.result-corrected"
    assert view.head.last_activity_at == NOW + timedelta(minutes=6)


async def test_a_redelivered_event_is_filed_once(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    first = envelope(task_cycle("T1")[0])
    results = await _file_all(repo, [first, first])
    assert results[0] is not None and results[1] is None
    assert (await repo.get_dossier("T1")).entry_count == 1  # type: ignore[union-attr]


async def test_dossiers_are_kept_apart_per_task(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in task_cycle("T1")[:3]])
    await _file_all(repo, [envelope(e) for e in task_cycle("T2")[:2]])
    page = await repo.list_dossiers(10, 0)
    total, heads = page.total, page.items
    assert total == 2 and {h.task_id: h.entry_count for h in heads} == {"T1": 3, "T2": 2}
    t2 = await views.read_dossier(Uow(repo), "T2")
    assert t2.entries[0].link.prev_hash == GENESIS_HASH  # each dossier has its own genesis


async def test_an_envelope_without_a_task_is_not_filed() -> None:
    repo = FakeArchiveRepository()
    doc = {"event_id": "e1", "event_type": "x.y", "payload": {"task_id": None}}
    assert await services.file_event(Uow(repo), doc, NOW) is None
    assert repo.heads == {}


async def test_an_unknown_dossier_is_not_found() -> None:
    with pytest.raises(NotFound):
        await views.read_dossier(Uow(FakeArchiveRepository()), "nope")


async def test_a_changed_entry_shows_in_the_read_verification(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in task_cycle("T1")])
    entry = repo.rows["T1"][3]
    doc = dict(entry.document)
    doc["actor"] = "someone-else"
    repo.rows["T1"][3] = replace(entry, link=replace(entry.link, document=doc))
    view = await views.read_dossier(Uow(repo), "T1")
    assert not view.verification.ok and view.verification.first_bad_seq == 4


async def test_export_holds_manifest_and_every_entry_and_verifies_offline(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in task_cycle("T1")])
    view = await views.read_dossier(Uow(repo), "T1")
    exported = views.export_document(view, "lingang", NOW, "档案员")
    manifest = exported["manifest"]
    assert manifest["task_id"] == "T1" and manifest["entry_count"] == 7
    assert manifest["head_hash"] == view.head.head_hash
    assert manifest["exported_at"] == NOW.isoformat()
    assert manifest["chain_rule"]["id"] == "spotcheck-archives/chain/v1"
    assert len(exported["entries"]) == 7
    assert verify_export(exported).ok
    exported["entries"][6]["document"]["payload"]["reason"] = "改过"
    assert verify_export(exported).first_bad_seq == 7


async def test_typed_envelopes_from_kafka_file_the_same_bytes_as_raw_ones(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    """KafkaBus hands the handler ``Envelope[EventClass]``; in-process delivery a dict payload.
    Both must file the same document, or the same event would hash differently."""
    for event in task_cycle("T1"):
        raw = envelope(event)
        typed = Envelope[type(event)].model_validate_json(raw.to_bytes())
        untyped = Envelope.from_bytes(raw.to_bytes())
        assert typed.model_dump(mode="json") == untyped.model_dump(mode="json")
        assert typed.model_dump(mode="json") == raw.model_dump(mode="json")


# ---------------------------------------------------------------- 第十二条: what a dossier holds


def _doc(envelope: Envelope[Any]) -> dict[str, Any]:
    return envelope.model_dump(mode="json")


async def test_a_plan_filed_before_the_task_is_linked_when_the_task_arrives(
    scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    s = scenario
    repo = FakeArchiveRepository()
    v1, v2 = envelope(s.plan_version(1)), envelope(s.plan_version(2))
    assert await services.file_plan(Uow(repo), _doc(v1), NOW) == 0  # no task names it yet
    assert await services.file_plan(Uow(repo), _doc(v2), NOW) == 0
    approved = envelope(s.task("T-A", "LG-2026-101", s.CREDIT, date(2026, 9, 30), s.PLAN_ID))
    await services.file_event(Uow(repo), _doc(approved), NOW)
    view = await views.read_dossier(Uow(repo), "T-A")
    assert [(e.seq, e.kind) for e in view.entries] == [(1, "event"), (2, "plan"), (3, "plan")]
    first, second = view.entries[1].document, view.entries[2].document
    assert (first["plan_version"], second["plan_version"]) == (1, 2)
    assert first["task_id"] == "T-A" and first["plan_envelope"] == _doc(v1)  # the whole plan
    assert view.verification.ok and view.head.entry_count == 3
    assert repo.locked_plans == [s.PLAN_ID, s.PLAN_ID, s.PLAN_ID]  # the plan locked every time


async def test_a_plan_arriving_after_the_task_is_linked_then_and_only_once(
    scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    s = scenario
    repo = FakeArchiveRepository()
    for task_id in ("T-A", "T-A2"):
        approved = s.task(task_id, task_id, s.CREDIT, date(2026, 9, 30), s.PLAN_ID)
        await services.file_event(Uow(repo), _doc(envelope(approved)), NOW)
    other = s.task("T-B", "LG-B", s.FOOD, date(2026, 9, 30))  # no plan named
    await services.file_event(Uow(repo), _doc(envelope(other)), NOW)
    v1 = envelope(s.plan_version(1))
    assert await services.file_plan(Uow(repo), _doc(v1), NOW) == 2
    assert await services.file_plan(Uow(repo), _doc(v1), NOW) == -1  # redelivered: nothing twice
    v2 = envelope(s.plan_version(2))  # adjusted during the year: a new version, linked too
    assert await services.file_plan(Uow(repo), _doc(v2), NOW) == 2
    for task_id in ("T-A", "T-A2"):
        view = await views.read_dossier(Uow(repo), task_id)
        assert [e.kind for e in view.entries] == ["event", "plan", "plan"]
        assert [e.document.get("plan_version") for e in view.entries[1:]] == [1, 2]
        assert view.verification.ok
    assert [e.kind for e in (await views.read_dossier(Uow(repo), "T-B")).entries] == ["event"]
    # The same plan version hashes the same in both dossiers.
    a = (await views.read_dossier(Uow(repo), "T-A")).entries[1].document
    b = (await views.read_dossier(Uow(repo), "T-A2")).entries[1].document
    assert a["plan_envelope_sha256"] == b["plan_envelope_sha256"]
    # A task approved later under the plan gets both versions at once.
    late = s.task("T-A3", "T-A3", s.CREDIT, date(2026, 9, 30), s.PLAN_ID)
    await services.file_event(Uow(repo), _doc(envelope(late)), NOW)
    assert (await views.read_dossier(Uow(repo), "T-A3")).head.entry_count == 3


async def test_a_plan_entry_moved_to_another_dossier_fails_verification(
    scenario: Any, envelope: Callable[..., Envelope[Any]]
) -> None:
    s = scenario
    repo = FakeArchiveRepository()
    await services.file_plan(Uow(repo), _doc(envelope(s.plan_version(1))), NOW)
    approved = s.task("T-A", "LG-A", s.CREDIT, date(2026, 9, 30), s.PLAN_ID)
    await services.file_event(Uow(repo), _doc(envelope(approved)), NOW)
    view = await views.read_dossier(Uow(repo), "T-A")
    exported = views.export_document(view, "lingang", NOW, "档案员")
    assert verify_export(exported).ok
    exported["entries"][1]["document"]["plan_envelope"]["payload"]["items"] = []
    assert verify_export(exported).first_bad_seq == 2
    # A correctly hashed plan entry that names another task is refused too.
    from archives.domain.chain import verify_links

    doc = dict(view.entries[1].document, task_id="T-OTHER")
    forged = link(2, view.entries[0].link.entry_hash, "plan", doc)
    result = verify_links([view.entries[0].link, forged], task_id="T-A")
    assert not result.ok and result.first_bad_seq == 2


def _attachment(task_id: str, uscc: str, kind: str, content: bytes, n: int) -> Any:
    from spotcheck_common.events.inspections import AttachmentAdded, AttachmentKind

    return AttachmentAdded(
        attachment_id=f"att-{n}",
        inspection_id=f"insp-{task_id}",
        task_id=task_id,
        uscc=uscc,
        kind=AttachmentKind(kind),
        filename=f"{kind}-{n}.pdf",
        media_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_by="I001",
    )


async def test_an_attachment_is_an_entry_holding_the_file_hash(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in task_cycle("T1")[:3]])
    content = b"%PDF-1.7 on-site note"
    added = envelope(_attachment("T1", "91371000MA3C00001Y", "onsite_note", content, 1))
    entry = await services.file_event(Uow(repo), _doc(added), NOW)
    assert entry is not None and entry.kind == "attachment" and entry.seq == 4
    assert entry.event_id == added.event_id  # a redelivery is still caught by event id
    assert await services.file_event(Uow(repo), _doc(added), NOW) is None
    view = await views.read_dossier(Uow(repo), "T1")
    assert view.verification.ok
    ok = views.check_attachment(view, "att-1", content)
    assert ok.matches is True and ok.seq == 4 and ok.chain_ok is True
    changed = views.check_attachment(view, "att-1", content + b" (edited)")
    assert changed.matches is False
    assert changed.filed_sha256 == hashlib.sha256(content).hexdigest() != changed.sha256
    with pytest.raises(NotFound):
        views.check_attachment(view, "att-9", content)
    # Changing the filed hash itself breaks the chain.
    exported = views.export_document(view, "lingang", NOW, "档案员")
    exported["entries"][3]["document"]["payload"]["sha256"] = hashlib.sha256(b"x").hexdigest()
    assert verify_export(exported).first_bad_seq == 4


async def test_contents_follow_the_categories_of_article_12_and_go_into_the_export(
    task_cycle: Callable[[str], list[Event]],
    envelope: Callable[..., Envelope[Any]],
    scenario: Any,
) -> None:
    s = scenario
    repo = FakeArchiveRepository()
    await services.file_plan(Uow(repo), _doc(envelope(s.plan_version(1))), NOW)
    cycle = task_cycle("T1")
    approved = cycle[0].model_copy(update={"plan_id": s.PLAN_ID})
    await _file_all(repo, [envelope(e) for e in [approved, *cycle[1:]]])
    for n, kind in enumerate(
        [
            "onsite_note",
            "photo",
            "rectification_notice",
            "service_receipt",
            "record_form",
            "sampling_form",
            "lab_report",
        ]
    ):
        added = _attachment("T1", "91371000MA3C00001Y", kind, kind.encode(), n)
        await services.file_event(Uow(repo), _doc(envelope(added)), NOW)
    view = await views.read_dossier(Uow(repo), "T1")
    summary = views.dossier_contents(view)
    counts = {c["label"]: c["count"] for c in summary["categories"]}
    assert counts == {
        "抽查工作计划": 1,
        "抽查实施方案": 1,  # task-approved
        "抽取记录": 1,  # draw-completed
        "检查记录表": 2,  # inspection-submitted + the signed form's file
        "现场笔录（含现场照片）": 2,
        "责令整改通知书": 1,
        "送达回证": 1,
        "抽样单与检验报告（产品抽样检测）": 2,  # a product's sampling form and lab report
        "抽查结果": 1,  # result-published
        "异议与更正": 3,  # objection filed, decided, result corrected
        "后续处理": 0,
        "免责申请与决定（第十三条）": 0,
        "视为完成抽查名单（第八条）": 0,
        "其他": 0,
    }
    assert summary["missing"] == []
    assert sum(counts.values()) == view.head.entry_count  # every entry in exactly one
    receipt = next(c for c in summary["categories"] if c["code"] == "service_receipt")
    assert receipt["entries"][0]["sha256"] == hashlib.sha256(b"service_receipt").hexdigest()
    exported = views.export_document(view, "lingang", NOW, "档案员")
    assert exported["summary"] == summary
    assert "长期保存" in exported["manifest"]["retention"]
    assert verify_export(exported).ok  # the summary is beside the chain, not in it

    bare = FakeArchiveRepository()
    await _file_all(bare, [envelope(cycle[0])])
    missing = views.dossier_contents(await views.read_dossier(Uow(bare), "T1"))["missing"]
    assert missing == ["抽查工作计划", "抽取记录", "检查记录表", "抽查结果"]


async def test_a_counted_as_done_report_is_filed_in_each_task_it_names_once(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    """第八条: a department's report spans tasks; each dossier files it with its own objects,
    and the same envelope in every dossier (its hash) shows it is one report."""
    from spotcheck_common.events.inspections import NotInspectedReportSubmitted

    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in [*task_cycle("T1"), *task_cycle("T2")]])

    def item(task_id: str, uscc: str) -> dict[str, Any]:
        return {
            "inspection_id": f"i-{task_id}",
            "task_id": task_id,
            "task_no": task_id,
            "task_title": "抽查",
            "uscc": uscc,
            "entity_name": "某公司",
            "reason": "unreachable",
            "reason_label": "通过登记的住所或者经营场所无法联系",
            "completed_on": "2026-11-20",
            "submitted_on": "2026-11-21",
            "leader_id": "LG-001",
            "leader_name": "王",
            "department": "市场规范管理科",
        }

    report = NotInspectedReportSubmitted(
        report_id="r-1",
        department="市场规范管理科",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        report_version=1,
        items=[item("T1", "91371000MA3C000017"), item("T2", "91371000MA3C000025")],
        task_ids=["T2", "T1"],
        xlsx_sha256="a" * 64,
        csv_sha256="b" * 64,
        submitted_by="keyuan",
        submitted_at=NOW,
    )
    doc = _doc(envelope(report))
    filed = await services.file_report(Uow(repo), doc, NOW)
    assert [e.task_id for e in filed] == ["T1", "T2"]
    assert await services.file_report(Uow(repo), doc, NOW) == []  # delivered again: once
    for task_id, uscc in (("T1", "91371000MA3C000017"), ("T2", "91371000MA3C000025")):
        view = await views.read_dossier(Uow(repo), task_id)
        [entry] = [e for e in view.entries if e.kind == "report"]
        assert [i["uscc"] for i in entry.document["items"]] == [uscc]
        assert entry.document["report_event_id"] == doc["event_id"]
        counts = {c["code"]: c["count"] for c in views.dossier_contents(view)["categories"]}
        assert counts["not_inspected_report"] == 1
        assert verify_export(views.export_document(view, "lingang", NOW, "档案员")).ok
    hashes = {
        e.document["report_envelope_sha256"]
        for t in ("T1", "T2")
        for e in (await views.read_dossier(Uow(repo), t)).entries
        if e.kind == "report"
    }
    assert len(hashes) == 1
