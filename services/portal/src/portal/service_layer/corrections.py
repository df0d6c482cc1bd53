"""Corrections requested from the city bureau (第九条) as the console shows them: the list, and
one request with the published result it would correct."""

from __future__ import annotations

from typing import Any

from portal.adapters.api import Api
from portal.service_layer import objections

PAGE = 50
BASE = "/api/objections/corrections"


async def listing(api: Api, status: str = "", offset: int = 0) -> dict[str, Any]:
    page = await api.get(BASE, status=status, limit=PAGE, offset=offset)
    return {"total": page["total"], "items": page["items"], "limit": PAGE}


async def detail(api: Api, request_id: str) -> dict[str, Any]:
    """The request (with the city's reply, if recorded) and the published result (None when
    the public site does not show it)."""
    found = await api.get(f"{BASE}/{request_id}")
    record = await objections.record(api, found["record_id"])
    return {"correction": found, "record": record, "results": objections.current_results(record)}
