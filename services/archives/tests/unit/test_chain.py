"""The hash chain: its encoding, and that verification finds any change."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from archives.domain import chain
from archives.domain.chain import (
    GENESIS_HASH,
    ChainLink,
    EntryKind,
    canonical_json,
    compute_entry_hash,
    link,
    verify_links,
)


def build(n: int, task_id: str = "T1") -> list[ChainLink]:
    links, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        doc = {
            "event_id": f"e{seq}",
            "event_type": "inspections.inspection-submitted",
            "payload": {"task_id": task_id, "remark": f"第{seq}条", "n": seq},
        }
        item = link(seq, prev, EntryKind.EVENT, doc)
        links.append(item)
        prev = item.entry_hash
    return links


def test_canonical_json_sorts_keys_has_no_whitespace_and_keeps_chinese_as_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": "检查"}}) == (
        '{"a":{"c":"检查","d":[1,2]},"b":1}'.encode()
    )


def test_entry_hash_follows_the_documented_encoding() -> None:
    doc = {"payload": {"task_id": "T1"}, "event_id": "e1"}
    c = canonical_json(doc)
    expected = hashlib.sha256(
        b"spotcheck-archives/chain/v1\x00"
        + struct.pack(">Q", 1)
        + bytes(32)
        + struct.pack(">I", 5)
        + b"event"
        + struct.pack(">Q", len(c))
        + c
    ).hexdigest()
    assert link(1, GENESIS_HASH, EntryKind.EVENT, doc).entry_hash == expected
    # A fixed vector: changing the rule by accident breaks every archived dossier.
    assert expected == "b2ed9b288e76a48beece6fe30f6e3c4335869aefab249bbb3ee05c65e40e2c50"


def test_hash_depends_on_seq_prev_and_kind() -> None:
    c = canonical_json({"a": 1})
    base = compute_entry_hash(1, GENESIS_HASH, "event", c)
    assert compute_entry_hash(2, GENESIS_HASH, "event", c) != base
    assert compute_entry_hash(1, "11" * 32, "event", c) != base
    assert compute_entry_hash(1, GENESIS_HASH, "attachment", c) != base


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    links = build(5)
    result = verify_links(links, task_id="T1", expected_count=5, expected_head=links[-1].entry_hash)
    assert result.ok and result.checked == 5 and result.head_hash == links[-1].entry_hash
    assert links[0].prev_hash == GENESIS_HASH
    assert [x.prev_hash for x in links[1:]] == [x.entry_hash for x in links[:-1]]


def test_empty_chain_is_intact_with_genesis_head() -> None:
    result = verify_links([], expected_count=0, expected_head=GENESIS_HASH)
    assert result.ok and result.head_hash == GENESIS_HASH


def test_one_changed_byte_in_a_document_is_found_at_its_seq() -> None:
    links = build(5)
    doc = json.loads(json.dumps(links[2].document))
    doc["payload"]["remark"] = "第4条"  # one character of entry 3
    links[2] = dataclasses.replace(links[2], document=doc)
    result = verify_links(links)
    assert not result.ok and result.first_bad_seq == 3 and "内容被修改" in (result.reason or "")


def test_a_changed_stored_hash_is_found() -> None:
    links = build(4)
    links[1] = dataclasses.replace(links[1], entry_hash="0" + links[1].entry_hash[1:])
    result = verify_links(links)
    assert not result.ok and result.first_bad_seq == 2


def test_reordered_entries_are_found() -> None:
    links = build(4)
    links[1], links[2] = links[2], links[1]
    assert verify_links(links).first_bad_seq == 2
    # Renumbered to hide the swap: the links no longer fit.
    swapped = [
        dataclasses.replace(links[1], seq=2),
        dataclasses.replace(links[2], seq=3),
    ]
    result = verify_links([links[0], *swapped, links[3]])
    assert not result.ok and result.first_bad_seq == 2


def test_a_deleted_entry_is_found() -> None:
    links = build(5)
    del links[2]
    result = verify_links(links)
    assert not result.ok and result.first_bad_seq == 3
    # Renumbered to hide the gap: entry 3 no longer links to entry 2.
    renumbered = links[:2] + [dataclasses.replace(x, seq=x.seq - 1) for x in links[2:]]
    assert verify_links(renumbered).first_bad_seq == 3


def test_entries_cut_off_the_end_are_found_against_the_recorded_head() -> None:
    links = build(5)
    head = links[-1].entry_hash
    assert verify_links(links[:4]).ok  # the chain alone cannot know
    result = verify_links(links[:4], expected_count=5, expected_head=head)
    assert not result.ok and result.first_bad_seq == 5
    result = verify_links(links[:4], expected_count=4, expected_head=head)
    assert not result.ok and result.first_bad_seq == 4


def test_an_event_of_another_task_is_found() -> None:
    links = build(2, task_id="T2")
    result = verify_links(links, task_id="T1")
    assert not result.ok and result.first_bad_seq == 1


def test_chain_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(chain.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def _export(links: list[ChainLink], task_id: str = "T1") -> dict[str, object]:
    return {
        "format": chain.EXPORT_FORMAT,
        "manifest": {
            "task_id": task_id,
            "entry_count": len(links),
            "head_hash": links[-1].entry_hash if links else GENESIS_HASH,
            "chain_rule": {"id": chain.CHAIN_RULE},
        },
        "entries": [
            {
                "seq": x.seq,
                "kind": x.kind,
                "prev_hash": x.prev_hash,
                "entry_hash": x.entry_hash,
                "document": x.document,
            }
            for x in links
        ],
    }


def test_verify_export_checks_manifest_and_entries() -> None:
    links = build(3)
    assert chain.verify_export(_export(links)).ok
    cut = _export(links)
    cut["entries"] = cut["entries"][:2]  # type: ignore[index]
    assert chain.verify_export(cut).first_bad_seq == 3
    assert not chain.verify_export({"format": "other"}).ok


@pytest.mark.parametrize("tamper", [False, True])
def test_stand_alone_verifier_runs_without_site_packages(tmp_path: Path, tamper: bool) -> None:
    document = _export(build(3))
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if tamper:
        text = text.replace("第2条", "第9条")
    path = tmp_path / "dossier-T1.json"
    path.write_text(text, encoding="utf-8")
    # -S: no site-packages, -I: isolated; only the standard library is importable.
    run = subprocess.run(
        [sys.executable, "-S", "-I", chain.__file__, "verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if tamper:
        assert run.returncode == 1 and "第 2 条" in run.stderr
    else:
        assert run.returncode == 0, run.stderr
        assert "3 条" in run.stdout
