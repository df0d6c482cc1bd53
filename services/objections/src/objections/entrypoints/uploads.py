"""Reading a form with a scan: multipart/form-data, the scan within its size limit (a paper
objection's, or the city bureau's reply to a correction request).

The body is read up to the limit (413 as soon as it passes it, by Content-Length or as it
grows), then parsed; the form's fields are validated as the request's model (a 422 naming the
field, like any request body; an optional field sent empty is left out). The scan's declared
Content-Type is ignored: the domain recognises the content itself (``domain.scans``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from objections.domain import scans
from objections.entrypoints.schemas import CityReplyIn, PaperObjectionIn
from spotcheck_common.errors import Invalid, TooLarge
from spotcheck_common.http import Refusal, refusals

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


M = TypeVar("M", bound=BaseModel)


def _validated(schema: type[M], fields: dict[str, Any]) -> M:
    try:
        return schema.model_validate(fields)
    except ValidationError as invalid:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in invalid.errors()]
        ) from None


async def form_with_file(
    request: Request, limit: int, schema: type[M]
) -> tuple[M, scans.Upload | None]:
    """The form's fields and its scan (None when the form has no file ``file``), refused (413,
    422) before anything is written."""
    form = await _form(request, await read_limited(request, limit))
    upload = form.pop("file", None)
    optional = {n for n, f in schema.model_fields.items() if f.default is None}
    fields = {k: v for k, v in form.items() if not (k in optional and v == "")}
    body = _validated(schema, fields)
    if upload is None:
        return body, None
    if not isinstance(upload, UploadFile):  # sent as a text field, or without a file name
        raise Invalid(f"字段 file 须为上传的文件（{scans.ACCEPTED}）", field="file")
    content = await upload.read()
    if len(content) > limit:
        raise too_large(limit)
    return body, scans.Upload(filename=upload.filename or "", content=content)


async def paper_form(request: Request, limit: int) -> tuple[PaperObjectionIn, scans.Upload | None]:
    """A paper objection: multipart/form-data only (its scan is required)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid(scans.MISSING, field="file")
    return await form_with_file(request, limit, PaperObjectionIn)


async def reply_form(request: Request, limit: int) -> tuple[CityReplyIn, scans.Upload | None]:
    """The city's reply: JSON without a scan, or multipart/form-data with the scan (``file``)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await form_with_file(request, limit, CityReplyIn)
    try:
        sent = await request.json()
    except ValueError:
        raise Invalid("请求体应为 JSON，或附扫描件的 multipart/form-data") from None
    return _validated(CityReplyIn, sent if isinstance(sent, dict) else {}), None


def _form_schema(schema: type[BaseModel], file: str, required: bool) -> dict[str, Any]:
    """``schema`` as form fields (a date is a field left out, not null) and the scan ``file``."""
    out = schema.model_json_schema()
    fields = out["properties"]
    for name, field in list(fields.items()):
        if "anyOf" in field:  # an optional date
            fields[name] = {"type": "string", "format": "date", **_described(field)}
        fields[name].pop("title", None)
    fields["file"] = {
        "type": "string",
        "format": "binary",
        "description": f"{file}：{scans.ACCEPTED}（按内容识别），"
        f"上限 {scans.MAX_BYTES // (1024 * 1024)} MiB",
    }
    out.pop("title", None)
    if required:
        out["required"] = [*out.get("required", []), "file"]
    return out


def _described(field: dict[str, Any]) -> dict[str, Any]:
    return {"description": field["description"]} if "description" in field else {}


PAPER_BODY = {
    "requestBody": {
        "required": True,
        "description": "multipart/form-data：申请书扫描件（file）与申请内容",
        "content": {
            "multipart/form-data": {
                "schema": _form_schema(PaperObjectionIn, "申请书扫描件", required=True)
            }
        },
    }
}

REPLY_BODY = {
    "requestBody": {
        "required": True,
        "description": "JSON；或 multipart/form-data，附市局批复的扫描件（file）",
        "content": {
            "application/json": {"schema": CityReplyIn.model_json_schema()},
            "multipart/form-data": {
                "schema": _form_schema(CityReplyIn, "市局批复扫描件（可选）", required=False)
            },
        },
    }
}


def scan_download_responses(s404: str, what: str = "扫描件") -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of a scan's download: the file (its type by content), 404, and 500
    when the stored bytes no longer match their SHA-256."""
    return {
        200: {
            "content": {scans.PDF: {}, scans.JPEG: {}, scans.PNG: {}},
            "description": f"{what}（作为附件下载，类型按内容识别）",
        },
        **refusals(401, 403, 404, s404=s404),
        500: {"model": Refusal, "description": "扫描件内容与 SHA-256 不符"},
    }


def scan_download(kept: scans.Scan, content: bytes, fallback_stem: str) -> Response:
    """A kept scan as an attachment: its recorded name (an ASCII fallback for old clients),
    its hash, never sniffed, never cached."""
    fallback = f"{fallback_stem}{scans.EXTENSIONS[kept.media_type][0]}"
    return Response(
        content,
        media_type=kept.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(kept.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": kept.sha256,
            "Cache-Control": "private, no-store",
        },
    )
