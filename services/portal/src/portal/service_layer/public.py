"""The public site's pages made of the services' public answers (no token): what each page
shows, gathered from the publication, draws and registry services."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain.public import PAGE, LogPlace, ResultFilters, has_uscc, log_places

# Draws an entity's page checks its proof against (the latest first).
ENTITY_DRAWS = 20
CSV_PAGE = 200
CSV_MAX = 20_000


async def _optional(call: Any, *missing: int) -> Any:
    """The answer, or None where the service says it has none (e.g. 404, 409)."""
    try:
        return await call
    except ApiError as exc:
        if exc.status in missing:
            return None
        raise


async def withheld_count(api: Api, task_no: str = "") -> int:
    found = await api.get("/public/results/withheld-count", task_no=task_no)
    return int(found["total"])


async def home(api: Api) -> dict[str, Any]:
    tasks, results, withheld, head = await asyncio.gather(
        api.get("/public/tasks", limit=5),
        api.get("/public/results", limit=8),
        withheld_count(api),
        api.get("/public/draws/log/head"),
    )
    return {"tasks": tasks, "results": results, "withheld": withheld, "head": head}


async def check_items(api: Api) -> dict[str, Any] | None:
    """The item list in force (None before one is)."""
    try:
        found: dict[str, Any] = await api.get("/public/check-items")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return found


async def results(api: Api, filters: ResultFilters, offset: int) -> dict[str, Any]:
    page, withheld = await asyncio.gather(
        api.get("/public/results", **filters.query(), limit=PAGE, offset=offset),
        withheld_count(api, filters.task_no),
    )
    return {"page": page, "withheld": withheld}


async def all_results(api: Api, filters: ResultFilters) -> list[dict[str, Any]]:
    """Every result the search finds (for the CSV), page by page, at most ``CSV_MAX``."""
    found: list[dict[str, Any]] = []
    while len(found) < CSV_MAX:
        page = await api.get(
            "/public/results", **filters.query(), limit=CSV_PAGE, offset=len(found)
        )
        found.extend(page["items"])
        if not page["items"] or len(found) >= page["total"]:
            break
    return found


@dataclass
class DrawRow:
    """A draw as a task's or an entity's page lists it."""

    draw: dict[str, Any]
    places: list[LogPlace] = field(default_factory=list)
    proof: dict[str, Any] | None = None


async def _log(api: Api) -> dict[str, Any]:
    log: dict[str, Any] = await api.get("/public/draws/log")
    return log


async def task(api: Api, task_id: str) -> dict[str, Any]:
    found = await api.get(f"/public/tasks/{task_id}")
    draws, log, head = await asyncio.gather(
        api.get("/public/draws", task_id=task_id), _log(api), api.get("/public/draws/log/head")
    )
    results_page, withheld = await asyncio.gather(
        api.get("/public/results", task_no=found["task_no"], limit=10),
        withheld_count(api, found["task_no"]),
    )
    rows = [DrawRow(d, log_places(log, d["draw_id"])) for d in draws["items"]]
    return {
        "task": found,
        "draws": rows,
        "head": head,
        "results": results_page,
        "withheld": withheld,
    }


async def draw(api: Api, draw_id: str) -> dict[str, Any]:
    """The manifest (always), the bundle once the draw is complete, and its log records."""
    manifest, bundle, log = await asyncio.gather(
        api.get(f"/public/draws/{draw_id}/manifest"),
        _optional(api.get(f"/public/draws/{draw_id}/bundle"), 409),
        _log(api),
    )
    body = bundle["body"] if bundle else None
    return {
        "draw_id": draw_id,
        "manifest": manifest,
        "body": body,
        "summary": _summary(body) if body else None,
        "places": log_places(log, draw_id),
        "head": log.get("head", {}),
    }


async def joint_draws(api: Api) -> list[dict[str, Any]]:
    """The neighbours' joint draws this bureau took part in, with the digests it received."""
    found: list[dict[str, Any]] = (await api.get("/public/draws/joint"))["items"]
    return found


def _summary(body: dict[str, Any]) -> dict[str, Any]:
    """The result in a few numbers: per stratum, how many were eligible, drawn, in reserve."""
    result = body.get("result") or {}
    strata = [
        {
            "key": s["key"],
            "eligible": s["eligible"],
            "quota": s["quota"],
            "selected": sum(1 for _, outcome in s.get("walk", []) if outcome == "selected"),
            "reserve": sum(1 for _, outcome in s.get("walk", []) if outcome == "reserve"),
        }
        for s in result.get("strata", [])
    ]
    return {
        "strata": strata,
        "targets": len(result.get("targets", [])),
        "unstaffed": len(result.get("unstaffed", [])),
        "replacements": len(body.get("replacements", [])),
    }


async def entity(api: Api, uscc: str) -> dict[str, Any]:
    """An object's published results (a producer's: its products' too), and for the latest
    draws whether it was in their population (the proof the browser then checks). A product,
    project or conduct is described by its kind and fields, from its own results."""
    found, draws = await asyncio.gather(
        api.get("/public/results", uscc=uscc, limit=200), api.get("/public/draws")
    )
    latest = [d for d in reversed(draws["items"]) if d["status"] != "cancelled"][:ENTITY_DRAWS]
    proofs = await asyncio.gather(
        *(_optional(api.get(f"/public/draws/{d['draw_id']}/proof/{uscc}"), 404) for d in latest)
    )
    own = [r for r in found["items"] if r["uscc"] == uscc]
    names = {r["entity_name"] for r in own}
    return {
        "uscc": uscc,
        "name": next(iter(names)) if len(names) == 1 else "",
        "has_uscc": has_uscc(uscc),
        "object": own[0] if own else None,
        "results": found,
        "draws": [DrawRow(d, proof=p) for d, p in zip(latest, proofs, strict=True)],
    }
