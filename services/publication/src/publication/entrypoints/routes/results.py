"""Published results: the public search and detail (no token). 第九条: a published result is
never corrected here; a correction is published on the city bureau's grant of the credit
department's request (objections: ``/api/objections/corrections``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from publication.bootstrap import PUBLIC, Deps, Publication
from publication.domain.model import ResultQuery
from publication.entrypoints.schemas import (
    ResultDetailOut,
    ResultOut,
    ResultPage,
    WithheldCount,
)
from publication.service_layer import views
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.http import Offset, refusals

public = APIRouter(prefix="/public/results", tags=["public"])
PATH = public.prefix  # the search


@public.get(
    "",
    summary="检查结果公示查询",
    response_model=ResultPage,
    responses=refusals(422),
)
async def search_results(
    deps: Deps,
    request: Request,
    uscc: Annotated[
        str | None,
        Query(
            max_length=18,
            description="统一社会信用代码或对象编码；生产者的统一社会信用代码也查得其产品的结果",
        ),
    ] = None,
    task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
    q: Annotated[str | None, Query(max_length=100, description="主体名称、任务名称或代码")] = None,
    category: Annotated[
        ResultCategory | None, Query(description="检查结果（现行版本中任一事项为此结果）")
    ] = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="完成检查日期起（含）")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="完成检查日期止（含）")] = None,
    area: Annotated[
        str | None, Query(max_length=100, description="区域（登记的所在区域，完全一致）")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Response:
    query = ResultQuery(uscc, task_no, q, category, date_from, date_to, area)

    async def search() -> bytes:
        async with deps.uow(PUBLIC) as uow:
            page = await views.search_results(uow, query, limit, offset)
        items = [ResultOut.of(r, v) for r, v in page.items]
        return ResultPage(total=page.total, items=items).model_dump_json().encode()

    # Most visitors ask what others just asked: kept while the published data is unchanged;
    # the same query string next time is answered at the door (KeptAnswersFirst).
    door = request.scope["query_string"]
    body = await deps.answers.answer(public.prefix, (query, limit, offset), search, door)
    return Response(body, media_type="application/json")


class KeptAnswersFirst:
    """A search whose exact query string was answered before, while the data's version needs
    no reading, is sent its kept answer here: before FastAPI's routing, validation and
    dependencies, which cost more than the answer (ADR 0013). Everything else, and every
    first asking, goes through the route above. Inside the kernel's middleware and FastAPI's
    server span, so these answers are counted, traced and carry the security headers like
    any other."""

    def __init__(self, app: ASGIApp, deps: Publication) -> None:
        self.app = app
        self.answers = deps.answers
        self.route = next(r for r in public.routes if isinstance(r, Route) and r.path == PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and _route_path(scope) == PATH:
            body = self.answers.at_door(PATH, scope["query_string"])
            if body is not None:
                scope["route"] = self.route  # the metrics' route label, as routing sets it
                await Response(body, media_type="application/json")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


@public.get(
    "/withheld-count",
    summary="依法不予公示的检查结果数（仅数量，不含任何内容）",
    responses=refusals(422),
)
async def withheld_count(
    deps: Deps,
    task_no: Annotated[str | None, Query(max_length=100, description="任务编号")] = None,
) -> WithheldCount:
    async with deps.uow(PUBLIC) as uow:
        total = await views.withheld_count(uow, task_no)
    return WithheldCount(total=total)


@public.get("/{record_id}", summary="检查结果公示详情（含全部版本）", responses=refusals(404))
async def get_result(record_id: str, deps: Deps) -> ResultDetailOut:
    async with deps.uow(PUBLIC) as uow:
        record, versions = await views.result(uow, record_id)
    return ResultDetailOut.of(record, versions)
