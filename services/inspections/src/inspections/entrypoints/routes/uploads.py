"""Reading an attachment upload: a raw body or a multipart form, within the size limit."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from inspections.domain import attachments as att
from spotcheck_common.errors import Invalid, TooLarge
from spotcheck_common.events.inspections import AttachmentKind

# multipart framing is allowed a little room over the limit
FRAMING = 64 * 1024


def too_large(limit: int, message: str | None = None) -> TooLarge:
    return TooLarge(
        message or f"附件超过大小上限 {limit} 字节（{limit // (1024 * 1024)} MiB）", limit=limit
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + FRAMING:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + FRAMING:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_upload(
    request: Request, body: bytes, kind: str | None, filename: str | None
) -> tuple[str | None, str | None, str, bytes]:
    """(kind, filename, media type, content) from a multipart form or a raw body."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return kind, filename, content_type, body

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(request.headers, stream()).parse()
    except MultiPartException as unreadable:
        raise Invalid(f"multipart 表单无法解析：{unreadable.message}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("multipart 表单中缺少文件字段 file")
    content = await upload.read()
    form_kind = form.get("kind")
    return (
        kind or (form_kind if isinstance(form_kind, str) else None),
        filename or upload.filename,
        upload.content_type or "application/octet-stream",
        content,
    )


async def upload(
    request: Request, limit: int, kind: AttachmentKind | None, filename: str | None
) -> tuple[AttachmentKind, str, str, bytes]:
    """(kind, filename, media type, content) of an upload, refused (413, 422) before anything
    is written."""
    body = await read_limited(request, limit)
    kind_raw, name, media_type, content = await parse_upload(request, body, kind, filename)
    if len(content) > limit:
        raise too_large(limit, f"附件超过大小上限 {limit} 字节")
    try:
        the_kind = AttachmentKind(kind_raw) if kind_raw else None
    except ValueError:
        the_kind = None
    if the_kind is None or not name:
        raise Invalid(
            "须说明附件类型 kind（"
            + "、".join(f"{k}={v}" for k, v in att.KIND_LABELS.items())
            + "）和文件名 filename"
        )
    return the_kind, name, media_type, content


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "附件内容：原始字节（Content-Type 即文件类型），或 multipart/form-data "
        "（字段 file，可带 kind）",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "enum": [str(k) for k in AttachmentKind]},
                    },
                    "required": ["file"],
                }
            },
        },
    }
}
