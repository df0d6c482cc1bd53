"""Published results: the search with its filters, paging and CSV, the count of results the law
keeps private, and one result with its superseded versions beside the current one (第九条)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.domain.public import CATEGORIES, PAGE, ResultFilters, csv_bytes
from portal.entrypoints.web import api_of, render
from portal.service_layer import public

router = APIRouter(include_in_schema=False)


@router.get("/results", response_class=HTMLResponse, response_model=None)
async def results(request: Request, offset: int = Query(0, ge=0)) -> Response:
    filters = ResultFilters.of(request.query_params)
    if filters.entity and offset == 0:  # a search by one USCC: that entity's own page
        return RedirectResponse(f"/entities/{filters.entity}", status_code=303)
    context: dict[str, Any] = {
        "filters": filters,
        "categories": CATEGORIES,
        "offset": offset,
        "limit": PAGE,
    }
    try:
        found = await public.results(api_of(request), filters, offset)
    except ApiError as exc:
        if exc.status != 422:
            raise
        return render(
            request,
            "public/results.html",
            status_code=422,
            error=exc.reason,
            page={"total": 0, "items": []},
            withheld=None,
            **context,
        )
    return render(request, "public/results.html", **found, **context)


@router.get("/results.csv")
async def results_csv(request: Request) -> Response:
    filters = ResultFilters.of(request.query_params)
    found = await public.all_results(api_of(request), filters)
    return Response(
        csv_bytes(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="spotcheck-results.csv"'},
    )


@router.get("/results/{record_id}", response_class=HTMLResponse)
async def result(request: Request, record_id: str) -> HTMLResponse:
    try:
        found = await api_of(request).get(f"/public/results/{record_id}")
    except ApiError as exc:
        if exc.status != 404:
            raise
        return render(request, "public/missing.html", status_code=404, error=exc.reason)
    return render(request, "public/result.html", record=found)
