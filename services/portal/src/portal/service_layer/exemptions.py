"""Exemptions from accountability (第十三条) as the console shows and makes them: the failure
as the accountability report lists it, the task dossier's attachments offered as evidence,
the evidence uploaded before the proposal, the list and one proposal with its decision."""

from __future__ import annotations

from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain import exemptions as rules

BASE = "/api/archives/exemptions"
ACCOUNTABILITY = "/api/archives/accountability"


async def item(api: Api, item_id: str) -> dict[str, Any]:
    """The failure as the report lists it today (every year); 404 if it is not listed."""
    report = await api.get(ACCOUNTABILITY)
    for found in report["items"]:
        if found["item_id"] == item_id:
            return dict(found)
    raise ApiError(404, "该事项截至今天不在责任追究报告中")


async def attachments(api: Api, task_id: str) -> tuple[list[dict[str, Any]], str]:
    """The attachments filed in the task's dossier, and why none could be read (the form
    still takes uploads when the dossier cannot be read)."""
    try:
        contents = await api.get(f"/api/archives/dossiers/{task_id}/contents")
    except ApiError as exc:
        return [], exc.reason
    return rules.dossier_attachments(contents), ""


async def upload(
    api: Api, task_id: str, filename: str, content: bytes, media_type: str
) -> dict[str, Any]:
    """One piece of evidence: its raw bytes to the archives service, kept with its SHA-256."""
    evidence: dict[str, Any] = await api.post(
        f"{BASE}/evidence",
        params={"task_id": task_id, "filename": filename},
        content=content,
        headers={"Content-Type": media_type or "application/octet-stream"},
    )
    return evidence


async def listing(api: Api, status: str) -> dict[str, Any]:
    page: dict[str, Any] = await api.get(BASE, status=status)
    return page


async def exemption(api: Api, exemption_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api.get(f"{BASE}/{exemption_id}")
    return found
