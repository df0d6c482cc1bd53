"""The registry pages' calls: imports (upload, job, error report, templates), the registers
read a page at a time, the item list and its versions, and conflicts of interest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx

from portal.adapters.api import Api, ApiError
from portal.domain.registry import PAGE, Page, content_type, page_of

CHUNK = 64 * 1024


class Upload(Protocol):
    """A file of a form (Starlette's ``UploadFile``)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


async def _chunks(upload: Upload) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


async def upload(
    api: Api, kind: str, file: Upload, params: dict[str, str] | None = None
) -> dict[str, Any]:
    """Stream the file to the registry's import and answer the job it started. Asked to answer
    at once (``respond-async``): the job page follows the progress."""
    filename = file.filename or "upload.csv"
    job: dict[str, Any] = await api.post(
        f"/api/registry/{kind}/import",
        content=_chunks(file),
        params={"filename": filename, **(params or {})},
        headers={"content-type": content_type(filename), "prefer": "respond-async"},
    )
    return job


async def job(api: Api, import_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api.get(f"/api/registry/imports/{import_id}")
    return found


async def recent_imports(api: Api, limit: int = 10) -> list[dict[str, Any]]:
    return list((await api.get("/api/registry/imports", limit=limit))["items"])


async def errors_csv(api: Api, import_id: str) -> httpx.Response:
    return await api.request("GET", f"/api/registry/imports/{import_id}/errors.csv")


async def template(api: Api, kind: str, fmt: str) -> httpx.Response:
    return await api.request("GET", f"/api/registry/templates/{kind}.{fmt}")


async def entities(
    api: Api, q: str, risk_class: str, status: str, offset: int, kind: str = ""
) -> Page[dict[str, Any]]:
    """A page of the inspection objects, of one kind (``objects.ObjectKind``) or all."""
    found = await api.get(
        "/api/registry/entities",
        q=q,
        risk_class=risk_class,
        status=status,
        kind=kind or None,
        limit=PAGE,
        offset=offset,
    )
    return Page(found["items"], found["total"], offset)


async def inspectors(api: Api, department: str, offset: int) -> Page[dict[str, Any]]:
    found = await api.get("/api/registry/inspectors", department=department)
    return page_of(found["items"], offset)


async def departments(api: Api) -> list[str]:
    """The departments inspectors belong to, in the order the registry lists them."""
    try:
        found = await api.get("/api/registry/inspectors")
    except ApiError:
        return []
    return list(dict.fromkeys(i["department"] for i in found["items"]))


async def experts(api: Api, field: str, offset: int) -> Page[dict[str, Any]]:
    found = await api.get("/api/registry/experts", field=field)
    return page_of(found["items"], offset)


async def item_list(api: Api, version: int | None) -> dict[str, Any] | None:
    """A version of the item list (the current one by default); None before the first."""
    try:
        found: dict[str, Any] = await api.get("/api/registry/check-items", version=version)
    except ApiError as exc:
        if exc.status == 404 and version is None:
            return None
        raise
    return found


async def item_list_versions(api: Api) -> list[dict[str, Any]]:
    return list((await api.get("/api/registry/check-item-lists"))["items"])


async def declare_conflict(api: Api, inspector_id: str, uscc: str, reason: str) -> bool:
    body = {"inspector_id": inspector_id, "uscc": uscc.upper(), "reason": reason}
    return bool((await api.post("/api/registry/conflicts", body))["created"])


async def declare_pair_conflict(api: Api, first: str, second: str, reason: str) -> bool:
    body = {"inspector_ids": [first, second], "reason": reason}
    return bool((await api.post("/api/registry/inspector-conflicts", body))["created"])
