"""Filing events into dossiers, on a fake repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from archives.domain.chain import GENESIS_HASH, verify_export
from archives.domain.model import DossierHead, Entry
from archives.service_layer import services
from spotcheck_common.events import Envelope, Event

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class FakeArchiveRepository:
    """In memory, append-only like the real one."""

    def __init__(self) -> None:
        self.heads: dict[str, DossierHead] = {}
        self.rows: dict[str, list[Entry]] = {}

    async def lock_dossier(self, task_id: str, now: datetime) -> DossierHead:
        return self.heads.setdefault(task_id, DossierHead.new(task_id, now))

    async def has_event(self, event_id: str) -> bool:
        return any(e.event_id == event_id for rows in self.rows.values() for e in rows)

    async def append(self, head: DossierHead, entry: Entry) -> None:
        rows = self.rows.setdefault(entry.task_id, [])
        # The real tables refuse what these refuse (unique (task_id, seq), the link trigger).
        assert entry.seq == len(rows) + 1
        assert entry.link.prev_hash == self.heads[entry.task_id].head_hash
        rows.append(entry)
        self.heads[head.task_id] = head

    async def get_dossier(self, task_id: str) -> DossierHead | None:
        return self.heads.get(task_id)

    async def entries(self, task_id: str) -> list[Entry]:
        return list(self.rows.get(task_id, []))

    async def list_dossiers(self, limit: int, offset: int) -> tuple[int, list[DossierHead]]:
        heads = sorted(self.heads.values(), key=lambda h: h.last_activity_at, reverse=True)
        return len(heads), heads[offset : offset + limit]


async def _file_all(
    repo: FakeArchiveRepository, envelopes: list[Envelope[Any]]
) -> list[Entry | None]:
    return [
        await services.file_event(repo, e.model_dump(mode="json"), NOW + timedelta(minutes=i))
        for i, e in enumerate(envelopes)
    ]


async def test_every_event_of_a_task_goes_into_its_dossier_in_order(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    envelopes = [envelope(e) for e in task_cycle("T1")]
    await _file_all(repo, envelopes)
    view = await services.read_dossier(repo, "T1")
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
    total, heads = await repo.list_dossiers(10, 0)
    assert total == 2 and {h.task_id: h.entry_count for h in heads} == {"T1": 3, "T2": 2}
    t2 = await services.read_dossier(repo, "T2")
    assert t2.entries[0].link.prev_hash == GENESIS_HASH  # each dossier has its own genesis


async def test_an_envelope_without_a_task_is_not_filed() -> None:
    repo = FakeArchiveRepository()
    doc = {"event_id": "e1", "event_type": "x.y", "payload": {"task_id": None}}
    assert await services.file_event(repo, doc, NOW) is None
    assert repo.heads == {}


async def test_an_unknown_dossier_is_not_found() -> None:
    with pytest.raises(services.NotFound):
        await services.read_dossier(FakeArchiveRepository(), "nope")


async def test_a_changed_entry_shows_in_the_read_verification(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in task_cycle("T1")])
    entry = repo.rows["T1"][3]
    doc = dict(entry.document)
    doc["actor"] = "someone-else"
    repo.rows["T1"][3] = replace(entry, link=replace(entry.link, document=doc))
    view = await services.read_dossier(repo, "T1")
    assert not view.verification.ok and view.verification.first_bad_seq == 4


async def test_export_holds_manifest_and_every_entry_and_verifies_offline(
    task_cycle: Callable[[str], list[Event]], envelope: Callable[..., Envelope[Any]]
) -> None:
    repo = FakeArchiveRepository()
    await _file_all(repo, [envelope(e) for e in task_cycle("T1")])
    view = await services.read_dossier(repo, "T1")
    exported = services.export_document(view, "lingang", NOW, "档案员")
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
