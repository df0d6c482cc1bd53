"""The dossier's hash chain (档案哈希链). Standard library only, so an outsider can copy this one
file and check an exported dossier without installing spotcheck:

    python chain.py verify dossier-<task_id>.json

Chain rule, version 1 (``spotcheck-archives/chain/v1``)
---------------------------------------------------------
Each entry of a dossier has a sequence number ``seq`` (1, 2, 3, ... without gaps), a ``kind``
and a ``document``: for ``event`` the whole event envelope (event id, type, schema version,
district, occurred-at, actor, aggregate, correlation and causation ids, trace context, payload);
for ``attachment`` the whole ``inspections.attachment-added`` envelope (file name, media type,
size, SHA-256 of the content); for ``plan`` the task id, the plan id and version, and the whole
``planning.annual-plan-published`` envelope of that plan version; for ``joint_act`` the task
id, the draw id, the drawing district and the whole envelope of this district's own act in a
neighbour's joint draw (``draws.joint-share-committed`` / ``-revealed``, which name no task);
for ``exemption`` the task id and an act of 第十三条's exemptions: a proposal (the failure, the
circumstances, the statement, each evidence file's SHA-256) or the director's meeting's decision
(granted or not, reasons, meeting date, minute number, the proposal's entry hash); for
``report`` the task id and a "counted as done" report (第八条) that names the task: which report
and version, its period, department, files' SHA-256, the envelope's SHA-256, and the task's own
objects in it.

    canonical(document) = UTF-8 JSON, keys sorted, no whitespace, non-ASCII kept as UTF-8
                          (json.dumps(doc, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8"))
    entry_hash(seq)     = SHA-256( "spotcheck-archives/chain/v1" || 0x00
                                   || uint64_be(seq)
                                   || prev_hash                      (32 raw bytes)
                                   || uint32_be(len(kind)) || kind   (UTF-8)
                                   || uint64_be(len(canonical)) || canonical )
    prev_hash(1)        = 32 zero bytes; prev_hash(n) = entry_hash(n - 1)

Hashes are written as lower-case hex. The dossier's head hash is the last entry's hash; whoever
holds a head hash (an export's manifest, a printed receipt) can detect any later change, deletion,
insertion or reordering of the entries before it.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

CHAIN_RULE = "spotcheck-archives/chain/v1"
DOMAIN_TAG = CHAIN_RULE.encode("ascii") + b"\x00"
GENESIS_HASH = "00" * 32
EXPORT_FORMAT = "spotcheck-archives/dossier-export/v1"

CHAIN_RULE_TEXT = (
    "entry_hash = SHA-256('spotcheck-archives/chain/v1' || 0x00 || uint64_be(seq) || "
    "prev_hash (32 bytes) || uint32_be(len(kind)) || kind || uint64_be(len(c)) || c), "
    "c = the entry document (for kind 'event': the whole event envelope) as JSON with sorted "
    "keys, UTF-8, no whitespace, non-ASCII not escaped; seq starts at 1 without gaps; "
    "prev_hash of seq 1 = 32 zero bytes, otherwise the previous entry_hash; hashes in lower-case "
    "hex; head_hash = the last entry_hash"
)


class EntryKind(StrEnum):
    """What an entry files. The kind is hashed, so new kinds need no new chain rule."""

    EVENT = "event"  # 事件：一个任务的领域事件（完整信封）
    # 附件：现场笔录、照片、责令整改通知书、送达回证、检查记录表。The document is the whole
    # ``inspections.attachment-added`` envelope; its payload names the file, media type, size
    # and the SHA-256 of the file's content, so a later change of the file is detectable.
    ATTACHMENT = "attachment"
    # 抽查工作计划：a version of the annual plan the task was run under, linked into the task's
    # dossier. The document names the task and the plan version and holds the plan's whole
    # ``planning.annual-plan-published`` envelope (see ``plan_entry_document``).
    PLAN = "plan"
    # 联合抽取中本局的行为：this district's own act in a neighbour's joint draw, which names the
    # draw but not the task. The document names the task, the draw and the drawing district and
    # holds the whole envelope (see ``joint.joint_act_document``).
    JOINT_ACT = "joint_act"
    # 免责（第十三条）：an act archives records itself, not an event — a proposal to exempt a
    # failure from accountability, or the director's meeting's decision on it. The document
    # names the task (see ``exemptions.Proposal.document`` / ``Decision.document``).
    EXEMPTION = "exemption"
    # 视为完成抽查名单（第八条）：a department's (or the consolidated) report of objects not
    # inspected and counted as done. It spans tasks: each task it names files the report with
    # that task's own objects (see ``model.report_entry_document``).
    REPORT = "report"


# Kinds whose document is an event envelope of the task (``payload.task_id`` names it).
ENVELOPE_KINDS = frozenset({EntryKind.EVENT, EntryKind.ATTACHMENT})
# Kinds whose document names the task itself (``document.task_id``) around what it files.
NAMED_KINDS = frozenset(
    {EntryKind.PLAN, EntryKind.JOINT_ACT, EntryKind.EXEMPTION, EntryKind.REPORT}
)


def canonical_json(document: Any) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def compute_entry_hash(seq: int, prev_hash: str, kind: str, canonical: bytes) -> str:
    prev = bytes.fromhex(prev_hash)
    if len(prev) != 32:
        raise ValueError("prev_hash must be 32 bytes")
    if seq < 1:
        raise ValueError("seq starts at 1")
    kind_bytes = kind.encode("utf-8")
    h = hashlib.sha256()
    h.update(DOMAIN_TAG)
    h.update(struct.pack(">Q", seq))
    h.update(prev)
    h.update(struct.pack(">I", len(kind_bytes)))
    h.update(kind_bytes)
    h.update(struct.pack(">Q", len(canonical)))
    h.update(canonical)
    return h.hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """The chained part of one entry: what the hash covers, and the hashes."""

    seq: int
    kind: str
    document: Mapping[str, Any]
    prev_hash: str
    entry_hash: str


def link(seq: int, prev_hash: str, kind: str, document: Mapping[str, Any]) -> ChainLink:
    """The next entry after a head (``seq - 1``, ``prev_hash``)."""
    digest = compute_entry_hash(seq, prev_hash, kind, canonical_json(document))
    return ChainLink(seq, kind, document, prev_hash, digest)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "chain_rule": CHAIN_RULE,
        }


def verify_links(
    links: Iterable[ChainLink],
    task_id: str | None = None,
    expected_count: int | None = None,
    expected_head: str | None = None,
) -> Verification:
    """Recompute the chain from genesis; report the first entry that does not fit.

    ``links`` must come in stored order. With ``task_id``, every event must belong to that task.
    ``expected_count`` / ``expected_head`` (the dossier's recorded head, or an export manifest)
    catch entries cut off the end.
    """
    prev = GENESIS_HASH
    checked = 0
    for expected_seq, item in enumerate(links, start=1):
        bad = _check_one(item, expected_seq, prev, task_id)
        if bad is not None:
            return Verification(False, checked, prev, bad[0], bad[1])
        prev = item.entry_hash
        checked += 1
    if expected_count is not None and expected_count != checked:
        return Verification(
            False,
            checked,
            prev,
            min(checked, expected_count) + 1,
            f"档案记录条数为 {expected_count}，实际链上条目为 {checked}（条目缺失或多出）",
        )
    if expected_head is not None and expected_head != prev:
        return Verification(
            False, checked, prev, checked or 1, "链头哈希与档案记录的链头哈希不一致"
        )
    return Verification(True, checked, prev)


def _check_one(
    item: ChainLink, expected_seq: int, prev: str, task_id: str | None
) -> tuple[int, str] | None:
    if item.seq != expected_seq:
        return (
            expected_seq,
            f"序号应为 {expected_seq}，实际为 {item.seq}（条目缺失、多出或顺序被改）",
        )
    if item.prev_hash != prev:
        return item.seq, "前一条目哈希不符（条目被删除、插入或顺序被改）"
    try:
        recomputed = compute_entry_hash(item.seq, prev, item.kind, canonical_json(item.document))
    except (TypeError, ValueError) as exc:
        return item.seq, f"条目无法按规范编码：{exc}"
    if recomputed != item.entry_hash:
        return item.seq, "条目哈希不符（内容被修改）"
    if task_id is not None and item.kind in ENVELOPE_KINDS:
        payload = item.document.get("payload")
        if not isinstance(payload, Mapping) or payload.get("task_id") != task_id:
            return item.seq, f"事件不属于任务 {task_id}"
    if task_id is not None and item.kind in NAMED_KINDS and item.document.get("task_id") != task_id:
        return item.seq, f"条目不属于任务 {task_id}"
    return None


def verify_export(document: Mapping[str, Any]) -> Verification:
    """Check an exported dossier file: every entry's hash, the links, and the manifest."""
    if document.get("format") != EXPORT_FORMAT:
        return Verification(False, 0, GENESIS_HASH, None, f"不是 {EXPORT_FORMAT} 格式的文件")
    manifest = document.get("manifest")
    entries = document.get("entries")
    if not isinstance(manifest, Mapping) or not isinstance(entries, Sequence):
        return Verification(False, 0, GENESIS_HASH, None, "文件缺少 manifest 或 entries")
    rule = manifest.get("chain_rule")
    if not isinstance(rule, Mapping) or rule.get("id") != CHAIN_RULE:
        return Verification(False, 0, GENESIS_HASH, None, f"不支持的哈希链规则，应为 {CHAIN_RULE}")
    links: list[ChainLink] = []
    for position, raw in enumerate(entries, start=1):
        try:
            links.append(
                ChainLink(
                    seq=int(raw["seq"]),
                    kind=str(raw["kind"]),
                    document=raw["document"],
                    prev_hash=str(raw["prev_hash"]),
                    entry_hash=str(raw["entry_hash"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            return Verification(False, 0, GENESIS_HASH, position, f"第 {position} 个条目字段不全")
    return verify_links(
        links,
        task_id=manifest.get("task_id"),
        expected_count=manifest.get("entry_count"),
        expected_head=manifest.get("head_hash"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``verify FILE``: exit 0 when the exported dossier is intact, 1 when it is not."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="spotcheck-archives", description="离线校验导出的档案文件（哈希链）"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="校验导出的档案 JSON 文件")
    verify.add_argument("file")
    args = parser.parse_args(argv)
    try:
        with open(args.file, encoding="utf-8") as fh:
            document = json.load(fh)
    except (OSError, ValueError) as exc:
        print(f"{args.file}: 无法读取：{exc}", file=sys.stderr)
        return 2
    result = verify_export(document)
    manifest = document.get("manifest") if isinstance(document, dict) else None
    task = manifest.get("task_id") if isinstance(manifest, dict) else "?"
    if result.ok:
        print(f"{args.file}: 任务 {task} 的档案完整，{result.checked} 条，链头 {result.head_hash}")
        return 0
    where = f"第 {result.first_bad_seq} 条" if result.first_bad_seq is not None else "文件"
    print(f"{args.file}: 校验失败，{where}：{result.reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
