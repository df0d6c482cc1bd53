"""Inspections, visits and follow-ups as the console's pages show them: each page is made of
the inspections service's answers (with the person's own token, so the service decides what
they see), the services' today, and for the filters the tasks the person may read."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain import inspections as form

PAGE = 50
STATUSES = ("pending", "recorded", "signed", "submitted")


async def today_of(api: Api) -> date:
    """The services' today (Beijing time), as the public calendar states it; deadlines are
    counted from it, never from the machine's clock."""
    return date.fromisoformat((await api.get("/public/calendar"))["today"])


async def _tasks(api: Api) -> list[dict[str, Any]]:
    """The tasks the person may read, for the filter (none for field staff, who may not)."""
    try:
        page = await api.get("/api/planning/tasks", limit=200)
    except ApiError as exc:
        if exc.status in (401, 403):
            return []
        raise
    return list(page.get("items", []))


def _with_deadline(items: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return [
        i | {"deadline_note": form.deadline_note(i.get("deadline"), today, bool(i.get("done")))}
        for i in items
    ]


async def listing(api: Api, filters: Mapping[str, Any], offset: int = 0) -> dict[str, Any]:
    """One page of the inspections the person may see (an inspector: the teams they are on),
    filtered, each with its deadline note."""
    page, today, tasks = await asyncio.gather(
        api.get(
            "/api/inspections/inspections",
            task_id=filters.get("task_id"),
            uscc=filters.get("uscc"),
            status=filters.get("status"),
            not_inspected="true" if filters.get("not_inspected") else None,
            limit=PAGE,
            offset=offset,
        ),
        today_of(api),
        _tasks(api),
    )
    return {
        "items": _with_deadline(page["items"], today),
        "total": page["total"],
        "limit": PAGE,
        "offset": offset,
        "tasks": tasks,
        "today": today.isoformat(),
    }


async def record(api: Api, inspection_id: str, inspector_id: str) -> dict[str, Any]:
    """The record form's page: the inspection and the object inspected, its attachments, a
    product's samples and what its submission still lacks, the team's signatures, what the
    person may do, and the deadline."""
    base = f"/api/inspections/inspections/{inspection_id}"
    inspection, attachments, today = await asyncio.gather(
        api.get(base), api.get(f"{base}/attachments"), today_of(api)
    )
    rows = form.rows_of(inspection["check_items"])
    inspected = form.inspected_object(inspection)
    return {
        "inspection": inspection,
        "inspected": inspected,
        "sample_rows": form.sample_rows(inspection.get("samples") or []),
        "sampling_missing": (
            form.sampling_missing(inspection, attachments["items"]) if inspected.is_product else []
        ),
        "rows": rows,
        "values": form.form_values(rows, inspection.get("results", [])),
        "attachments": attachments["items"],
        "signers": form.signers(inspection),
        "standing": form.standing(inspection, inspector_id),
        "deadline_note": form.deadline_note(inspection["deadline"], today, inspection["done"]),
    }


async def visit(api: Api, visit_id: str, inspector_id: str) -> dict[str, Any]:
    """One visit (进一次门、查多项事): every task's items on one form for its leader."""
    found = await api.get(f"/api/inspections/visits/{visit_id}")
    rows = form.rows_of(found["check_items"])
    results = [
        r | {"task_id": i["task_id"]} for i in found["inspections"] for r in i.get("results", [])
    ]
    return {
        "visit": found,
        "rows": rows,
        "values": form.form_values(rows, results),
        "is_leader": bool(inspector_id) and found["leader"]["inspector_id"] == inspector_id,
    }


async def follow_ups(api: Api, filters: Mapping[str, Any]) -> dict[str, Any]:
    register, tasks = await asyncio.gather(
        api.get(
            "/api/inspections/follow-ups",
            status=filters.get("status"),
            task_id=filters.get("task_id"),
            uscc=filters.get("uscc"),
            overdue="true" if filters.get("overdue") else None,
        ),
        _tasks(api),
    )
    return register | {"tasks": tasks}


async def follow_up(api: Api, follow_up_id: str) -> dict[str, Any]:
    return {"follow_up": await api.get(f"/api/inspections/follow-ups/{follow_up_id}")}
