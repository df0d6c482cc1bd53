"""The annual plans' pages: a plan with what the person may do with it, the year's plans with
their coverage of the item list (第五条), and each step of the chain (第四条)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal.adapters.api import Api, ApiError, FieldError


def remapped(exc: ApiError, form_field: Callable[[str], str]) -> ApiError:
    """The refusal with each field renamed as the form's input that holds it, so the reason
    shows beside that input."""
    return ApiError(
        exc.status, exc.reason, [FieldError(form_field(e.field), e.reason) for e in exc.errors]
    )


async def current_items(api: Api) -> list[dict[str, Any]]:
    """The items of the list in force ([] before the first list)."""
    try:
        found = await api.get("/api/registry/check-items")
    except ApiError as exc:
        if exc.status == 404:
            return []
        raise
    return list(found["items"])


async def plans(api: Api, year: int | None, status: str = "") -> list[dict[str, Any]]:
    return list((await api.get("/api/planning/plans", year=year, status=status))["items"])


async def coverage(api: Api, year: int) -> dict[str, Any]:
    found: dict[str, Any] = await api.get("/api/planning/plans/coverage", year=year)
    return found


async def plan(api: Api, plan_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api.get(f"/api/planning/plans/{plan_id}")
    return found


async def draft(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = await api.post("/api/planning/plans", body)
    return created


async def edit(api: Api, plan_id: str, body: dict[str, Any]) -> dict[str, Any]:
    edited: dict[str, Any] = await api.put(f"/api/planning/plans/{plan_id}", body)
    return edited


async def step(api: Api, plan_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    """One step of the chain on the plan: submit, sign, approve, file, publish, reject,
    adjust."""
    return await api.post(f"/api/planning/plans/{plan_id}/{action}", body)


async def consolidate(api: Api, year: int) -> list[dict[str, Any]]:
    done = await api.post("/api/planning/plans/consolidate", {"year": year})
    return list(done["consolidated"])
