"""Reading a paper objection's form: multipart/form-data, the scan within its size limit.

The body is read up to the limit (413 as soon as it passes it, by Content-Length or as it
grows), then parsed; the form's fields are validated as ``PaperObjectionIn`` (a 422 naming the
field, like any request body). The scan's declared Content-Type is ignored: the domain
recognises the content itself (``domain.scans``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from objections.domain import scans
from objections.entrypoints.schemas import PaperObjectionIn
from spotcheck_common.errors import Invalid, TooLarge

# multipart framing and the form's text fields are allowed a little room over the limit
FRAMING = 64 * 1024


def too_large(limit: int) -> TooLarge:
    return TooLarge(
        f"扫描件超过大小上限 {limit} 字节（{limit / (1024 * 1024):g} MiB）", limit=limit
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` (and framing)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FRAMING:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + FRAMING:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request, body: bytes) -> dict[str, Any]:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(request.headers, stream(), max_files=1).parse()
    except MultiPartException as unreadable:
        raise Invalid(f"multipart 表单无法解析：{unreadable.message}") from None
    return dict(form.items())


async def paper_form(request: Request, limit: int) -> tuple[PaperObjectionIn, scans.Upload | None]:
    """The form's fields and its scan (None when the form has no file ``file``), refused (413,
    422) before anything is written."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid(scans.MISSING, field="file")
    form = await _form(request, await read_limited(request, limit))
    upload = form.pop("file", None)
    fields = {k: v for k, v in form.items() if not (k == "received_on" and v == "")}
    try:
        body = PaperObjectionIn.model_validate(fields)
    except ValidationError as invalid:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in invalid.errors()]
        ) from None
    if not isinstance(upload, UploadFile):
        return body, None
    content = await upload.read()
    if len(content) > limit:
        raise too_large(limit)
    return body, scans.Upload(filename=upload.filename or "", content=content)


def _paper_form_schema() -> dict[str, Any]:
    """``PaperObjectionIn`` as form fields (a date is a field left out, not null) and ``file``."""
    schema = PaperObjectionIn.model_json_schema()
    fields = schema["properties"]
    received = fields["received_on"]
    fields["received_on"] = {"type": "string", "format": "date", **_described(received)}
    for field in fields.values():
        field.pop("title", None)
    fields["file"] = {
        "type": "string",
        "format": "binary",
        "description": f"申请书扫描件：{scans.ACCEPTED}（按内容识别），"
        f"上限 {scans.MAX_BYTES // (1024 * 1024)} MiB",
    }
    schema.pop("title", None)
    schema["required"] = [*schema["required"], "file"]
    return schema


def _described(field: dict[str, Any]) -> dict[str, Any]:
    return {"description": field["description"]} if "description" in field else {}


PAPER_BODY = {
    "requestBody": {
        "required": True,
        "description": "multipart/form-data：申请书扫描件（file）与申请内容",
        "content": {"multipart/form-data": {"schema": _paper_form_schema()}},
    }
}
