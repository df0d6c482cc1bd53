"""Attachments of an inspection (现场笔录、照片、责令整改通知书、送达回证、检查记录表; a product's
抽样单 and 检验报告, which its submission needs). Pure rules.

Storage: the content lives in the service's own ``attachments`` table (``LargeBinary``: bytea on
PostgreSQL, BLOB on SQLite) next to its SHA-256, written in the same transaction as the
``AttachmentAdded`` outbox row; it is never updated or deleted (档案长期保存). On every read the
hash is computed again and compared; a mismatch is refused, never served.

Who and until when: a member of the inspection's team (or the visit's leader), while the
inspection is open; after submission only while its follow-up is open, because rectification
notices and service receipts come after the visit. Once there is nothing left to follow up
(no follow-up, or it is closed), the inspection's file is complete.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from inspections.domain.model import (
    SAMPLING_ATTACHMENTS,
    FieldError,
    Inspection,
    NotAllowed,
    ResultsInvalid,
    StateRefused,
)
from spotcheck_common.errors import Corrupted
from spotcheck_common.events.inspections import AttachmentAdded, AttachmentKind
from spotcheck_common.text import check_file_name

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_FILENAME = 200
# Served with their own type (inert, and shown by every browser as what they are); anything
# else is served as application/octet-stream, so an uploaded page or script never runs.
SERVED_AS_IS = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "text/plain"}
)

KIND_LABELS = {
    AttachmentKind.ONSITE_NOTE: "现场笔录",
    AttachmentKind.PHOTO: "现场照片",
    AttachmentKind.RECTIFICATION_NOTICE: "责令整改通知书",
    AttachmentKind.SERVICE_RECEIPT: "送达回证",
    AttachmentKind.RECORD_FORM: "检查记录表",
    **SAMPLING_ATTACHMENTS,
    AttachmentKind.OTHER: "其他",
}


class AttachmentTampered(Corrupted):
    """The stored content no longer matches its SHA-256 (500: never served)."""


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    inspection_id: str
    task_id: str
    uscc: str
    kind: AttachmentKind
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime

    def added_event(self) -> AttachmentAdded:
        return AttachmentAdded(
            attachment_id=self.attachment_id,
            inspection_id=self.inspection_id,
            task_id=self.task_id,
            uscc=self.uscc,
            kind=self.kind,
            filename=self.filename,
            media_type=self.media_type,
            size=self.size,
            sha256=self.sha256,
            added_by=self.added_by,
        )


def check_filename(filename: str) -> str:
    """A plain file name: no path, no control or bidirectional characters, not a name Windows
    reserves (``CON``, ``..``…)."""
    name = filename.strip()
    try:
        if not name or len(name) > MAX_FILENAME:
            raise ValueError("长度不符")
        check_file_name(name)
    except ValueError as refused:
        raise ResultsInvalid(
            [
                FieldError(
                    "filename",
                    f"文件名须为 1–{MAX_FILENAME} 个字符，且不含路径或控制字符（{refused}）",
                )
            ]
        ) from None
    return name


def served_type(media_type: str) -> str:
    """The type an attachment is served with: its own if inert, else a download of bytes."""
    kind = media_type.split(";")[0].strip().lower()
    return kind if kind in SERVED_AS_IS else "application/octet-stream"


def may_attach(inspection: Inspection, actor: str, follow_up_open: bool) -> None:
    """Refuses (403 / 409) unless ``actor`` may attach a file to ``inspection`` now."""
    if not actor or not inspection.is_team_member(actor):
        raise NotAllowed(f"{actor or '（无执法人员编号）'} 不是该检查对象的检查组成员")
    if not inspection.is_open and not follow_up_open:
        raise StateRefused(
            "检查记录已提交，且没有未办结的后续处理，不能再添加附件",
            status=str(inspection.status),
        )


def new_attachment(
    inspection: Inspection,
    kind: AttachmentKind,
    filename: str,
    media_type: str,
    content: bytes,
    added_by: str,
    at: datetime,
) -> Attachment:
    if not content:
        raise ResultsInvalid([FieldError("content", "附件内容为空")])
    return Attachment(
        attachment_id=str(uuid.uuid4()),
        inspection_id=inspection.inspection_id,
        task_id=inspection.task_id,
        uscc=inspection.uscc,
        kind=kind,
        filename=check_filename(filename),
        media_type=(media_type or "application/octet-stream").split(";")[0].strip()[:100],
        size=len(content),
        sha256=sha256_hex(content),
        added_by=added_by,
        added_at=at,
    )


def verified(attachment: Attachment, content: bytes) -> bytes:
    if len(content) != attachment.size or sha256_hex(content) != attachment.sha256:
        raise AttachmentTampered(
            f"附件 {attachment.attachment_id} 的内容与登记的 SHA-256 不符，已拒绝读取",
            sha256=attachment.sha256,
        )
    return content
