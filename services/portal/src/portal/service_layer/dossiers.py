"""Task dossiers (档案, 第十二条) as the console shows them: the contents by category, each entry
labelled, and the hash chain verified on demand."""

from __future__ import annotations

from typing import Any

from portal.adapters.api import Api
from portal.domain import dossiers as words

PAGE = 50


def _base(task_id: str) -> str:
    return f"/api/archives/dossiers/{task_id}"


async def listing(api: Api, offset: int = 0) -> dict[str, Any]:
    page = await api.get("/api/archives/dossiers", limit=PAGE, offset=offset)
    return {"total": page["total"], "items": page["items"], "limit": PAGE}


async def contents(api: Api, task_id: str) -> dict[str, Any]:
    """The dossier's contents, every entry with its label."""
    found: dict[str, Any] = await api.get(f"{_base(task_id)}/contents")
    for category in found["categories"]:
        for entry in category["entries"]:
            entry["label"] = words.entry_label(entry)
    return found


async def verify(api: Api, task_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await api.get(f"{_base(task_id)}/verify")
    ok, text = words.verification_text(result)
    return result | {"text": text, "ok": ok}


async def check_attachment(
    api: Api, task_id: str, attachment_id: str, content: bytes
) -> dict[str, Any]:
    result: dict[str, Any] = await api.post(
        f"{_base(task_id)}/attachments/{attachment_id}/check",
        content=content,
        headers={"content-type": "application/octet-stream"},
    )
    matches, text = words.check_text(result)
    return result | {"text": text, "matches": matches}
