"""A neighbour's joint inspections and the inspectors' yearly load, as the console's pages show
them: the inspections service's answers with the person's own token (it keeps the state the
drawing district last sent and decides who may see and do what), and the services' today."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from portal.adapters.api import Api
from portal.domain import inspections as form
from portal.domain import joint_inspections as joint
from portal.service_layer.inspections import today_of

BASE = "/api/inspections/joint-inspections"
PAGE = 50


def url(inspection_id: str) -> str:
    return f"{BASE}/{inspection_id}"


async def listing(api: Api, district: str, inspector_id: str, offset: int = 0) -> dict[str, Any]:
    """One page of the joint inspections the person may see (an inspector: those they are on),
    each with its deadline note and what awaits the person."""
    page, today = await asyncio.gather(api.get(BASE, limit=PAGE, offset=offset), today_of(api))
    items = [
        j
        | {
            "deadline_note": form.deadline_note(j["deadline"], today, j["status"] == "submitted"),
            "awaits": joint.AWAITS.get(joint.awaits(j, district, inspector_id), ""),
            "acts_here": joint.pending(j, district),
        }
        for j in page["items"]
    ]
    return {
        "items": items,
        "total": page["total"],
        "limit": PAGE,
        "offset": offset,
        "today": today.isoformat(),
    }


async def detail(api: Api, inspection_id: str, district: str, inspector_id: str) -> dict[str, Any]:
    """The detail page: the state as last received, its form's rows, the team (this bureau's
    by their own ids), what the person may do and the acts here not yet recorded."""
    j, today = await asyncio.gather(api.get(url(inspection_id)), today_of(api))
    rows = form.rows_of(j["check_items"])
    signers = [
        replace(s, inspector_id=joint.shown_id(s.inspector_id, district)[0])
        for s in form.signers(j)
    ]
    return {
        "j": j,
        "rows": rows,
        "values": form.form_values(rows, j["results"]),
        "team": joint.team(j, district),
        "recorded_by": joint.shown_id(j["recorded_by"], district)[0],
        "signers": signers,
        "standing": joint.standing(j, district, inspector_id),
        "acts_here": joint.pending(j, district),
        "deadline_note": form.deadline_note(j["deadline"], today, j["status"] == "submitted"),
        "not_inspected_label": form.NOT_INSPECTED.get(j["not_inspected_reason"], ""),
    }


async def workload(api: Api, year: int | None) -> dict[str, Any]:
    """Each inspector's inspections due in ``year`` (default: the services' this year), own
    and each neighbour's, as a table."""
    if year is None:
        year = (await today_of(api)).year
    found = await api.get("/api/inspections/workload", year=year)
    districts, rows = joint.workload_table(found["items"])
    return {"year": found["year"], "districts": districts, "rows": rows}
