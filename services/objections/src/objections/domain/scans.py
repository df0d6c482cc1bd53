"""The scan of a paper objection (书面异议申请书扫描件), and of the city bureau's reply to a
correction request (市局批复, 第九条), kept the same way. Pure rules.

第十一条: an entity may object online (the system's day of receipt) or on paper; the credit
department registers a paper application with the day it was received, and the scan of the
paper is kept with it as the evidence of that date and of what the entity wrote. An online
objection has no scan; a paper one is never registered without it.

What is kept: PDF, JPEG or PNG only, recognised by the content's own signature (the client's
Content-Type and file name are not trusted), at most ``MAX_BYTES``; a plain file name whose
extension says what the content is; its SHA-256; who registered it and when (the server's
clock). Stored in the service's own table with the objection, never updated or deleted; on every
read the hash is computed again and a mismatch is refused, never served.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from spotcheck_common.errors import Corrupted, Invalid, TooLarge
from spotcheck_common.text import check_file_name

MAX_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 200

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
# Each accepted type: its signature (the first bytes of the content) and its extensions, the
# first one being what a name without a fitting extension is given.
SIGNATURES = {
    PDF: b"%PDF-",
    JPEG: b"\xff\xd8\xff",
    PNG: b"\x89PNG\r\n\x1a\n",
}
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
# The name of a scan sent without one.
DEFAULT_NAME = "书面异议申请书"
ACCEPTED = "、".join(LABELS.values())

# (The API's description says how: multipart/form-data, field ``file``.)
MISSING = f"须上传申请书的扫描件（{ACCEPTED}），与书面异议申请一并登记"


class ScanTampered(Corrupted):
    """The stored content no longer matches its SHA-256 (500: never served)."""


@dataclass(frozen=True)
class Upload:
    """What the credit department hands in: the file's name as sent, and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Scan:
    """A scan kept with what it belongs to (its content is stored beside it): a paper
    objection's (``owner_id`` the objection) or a city reply's (the correction request)."""

    owner_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    recorded_by: str
    recorded_at: datetime


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def detect(content: bytes) -> str:
    """The type the content's own signature says (422 unless PDF, JPEG or PNG)."""
    for media_type, signature in SIGNATURES.items():
        if content.startswith(signature):
            return media_type
    raise Invalid(
        f"扫描件须为 {ACCEPTED} 文件（按文件内容识别，不看扩展名或 Content-Type），"
        "所传文件不是其中之一",
        field="file",
    )


def _extension(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f".{suffix.lower()}" if dot and stem else ""


def stored_name(filename: str, media_type: str, default: str = DEFAULT_NAME) -> str:
    """A plain file name for the scan whose extension says what the content is: no path, no
    control or bidirectional characters, not a name Windows reserves; a name without a fitting
    extension gets one, a name claiming another accepted type is refused; none is
    ``default``."""
    name = filename.strip() or default
    try:
        check_file_name(name)
    except ValueError as refused:
        raise Invalid(f"扫描件的文件名不可用：{refused}", field="file") from None
    extension = _extension(name)
    if extension not in EXTENSIONS[media_type]:
        claimed = next((t for t, exts in EXTENSIONS.items() if extension in exts), None)
        if claimed is not None:
            raise Invalid(
                f"扫描件的文件名「{name}」表明是 {LABELS[claimed]}，"
                f"内容却是 {LABELS[media_type]}，请确认所传文件",
                field="file",
            )
        name += EXTENSIONS[media_type][0]
    if len(name) > MAX_FILENAME:
        raise Invalid(f"扫描件的文件名不能超过 {MAX_FILENAME} 个字符", field="file")
    return name


def new_scan(
    owner_id: str,
    upload: Upload,
    recorded_by: str,
    recorded_at: datetime,
    max_bytes: int = MAX_BYTES,
    default_name: str = DEFAULT_NAME,
) -> Scan:
    """The scan of ``owner_id``'s paper, refused (413, 422) before anything is written."""
    content = upload.content
    if not content:
        raise Invalid("扫描件内容为空", field="file")
    if len(content) > max_bytes:
        raise TooLarge(
            f"扫描件超过大小上限 {max_bytes} 字节（{max_bytes / (1024 * 1024):g} MiB）",
            limit=max_bytes,
        )
    media_type = detect(content)
    return Scan(
        owner_id=owner_id,
        filename=stored_name(upload.filename, media_type, default_name),
        media_type=media_type,
        size=len(content),
        sha256=sha256_hex(content),
        recorded_by=recorded_by,
        recorded_at=recorded_at,
    )


def verified(scan: Scan, content: bytes) -> bytes:
    """The stored content, if it still is what was registered (500 otherwise)."""
    if len(content) != scan.size or sha256_hex(content) != scan.sha256:
        raise ScanTampered(
            f"{scan.owner_id} 的扫描件内容与登记的 SHA-256 不符，已拒绝读取",
            sha256=scan.sha256,
        )
    return content
