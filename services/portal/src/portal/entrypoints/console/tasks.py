"""Console pages: tasks (抽查任务) and their implementation plans (实施方案, 第六条、第七条),
with the other agencies checking with the bureau (联合检查单位, 第三条).

A supervising department (or the credit department) drafts a task from the item list; the
credit department receives a task sent down by the city or the province; the deputy director
approves; the department, the credit department or the office publishes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError, FieldError
from portal.domain import tasks as rules
from portal.domain.plans import RISK_CLASSES
from portal.entrypoints.web import CheckedForm, Session, SignedIn, render, see_other
from portal.service_layer import plans, tasks
from spotcheck_common.objects import LABELS

router = APIRouter(prefix="/console/tasks", include_in_schema=False)

PAGE = 50
MULTI = (
    "check_items",
    "co_lead_departments",
    "assisting_departments",
    "inspector_departments",
    "methods",
    "risk_classes",
)
DONE = {"approve": "已批准", "publish": "已公示"}


@router.get("", response_class=HTMLResponse)
async def index(
    request: Request, session: SignedIn, status: str = "", source: str = "", offset: int = 0
) -> HTMLResponse:
    offset = max(offset, 0)
    page = await tasks.tasks(session.api, status, source, offset, PAGE)
    roles = session.me.roles
    return render(
        request,
        "console/tasks/index.html",
        session=session,
        page=page,
        status=status,
        source=source,
        offset=offset,
        limit=PAGE,
        sources=rules.SOURCES,
        may_draft=bool(roles & {"supervising_dept", "credit_dept"}),
        may_receive="credit_dept" in roles,
    )


async def _form_context(session: Session, received: bool, form: dict[str, Any]) -> dict[str, Any]:
    return {
        "session": session,
        "received": received,
        "choices": await tasks.choices(session.api, session.me.department),
        "methods": rules.METHODS,
        "risk_classes": RISK_CLASSES,
        "object_kinds": LABELS,
        "co_slots": range(rules.CO_SLOTS),
        "form": form,
    }


def _defaults(session: Session) -> dict[str, Any]:
    own = [session.me.department] if session.me.department else []
    return {
        "lead_department": session.me.department,
        "inspector_departments": own,
        "team_size": "2",
        "experts_per_target": "0",
        "methods": ["现场检查"],
        "source": "city",
    }


@router.get("/new", response_class=HTMLResponse)
async def new_task(request: Request, session: SignedIn) -> HTMLResponse:
    context = await _form_context(session, False, _defaults(session))
    return render(request, "console/tasks/form.html", **context)


@router.get("/receive", response_class=HTMLResponse)
async def receive_page(request: Request, session: SignedIn) -> HTMLResponse:
    context = await _form_context(session, True, _defaults(session))
    return render(request, "console/tasks/form.html", **context)


@router.post("/new", dependencies=[CheckedForm])
async def create(request: Request, session: SignedIn) -> Response:
    return await _create(request, session, received=False)


@router.post("/receive", dependencies=[CheckedForm])
async def receive(request: Request, session: SignedIn) -> Response:
    return await _create(request, session, received=True)


async def _create(request: Request, session: Session, received: bool) -> Response:
    posted = await request.form()
    fields = rules.compact_co_organisers({k: v for k, v in posted.items() if isinstance(v, str)})
    lists = {k: [v for v in posted.getlist(k) if isinstance(v, str)] for k in MULTI}
    context = await _form_context(session, received, {**fields, **lists})
    body, own = rules.body_of(fields, lists, context["choices"].item_names(), received)
    try:
        if own:
            raise ApiError(422, "请更正标出的内容", [FieldError(k, v) for k, v in own.items()])
        task = await tasks.create(session.api, body, received)
    except ApiError as exc:
        renamed = plans.remapped(exc, rules.form_field)
        status = renamed.status if 400 <= renamed.status < 500 else 502
        return render(
            request,
            "console/tasks/form.html",
            status_code=status,
            error=renamed.reason,
            errors=renamed.field_reasons(),
            **context,
        )
    notice = "已接收下派任务，待分管局长审批" if received else "已保存实施方案草稿，待分管局长审批"
    return see_other(f"/console/tasks/{task['task_id']}", notice)


async def _detail(session: Session, task_id: str) -> dict[str, Any]:
    task = await tasks.task(session.api, task_id)
    me = session.me
    return {
        "session": session,
        "task": task,
        "ratios": rules.ratio_text(task),
        "object_kind": rules.object_kind_label(task),
        "sources": rules.SOURCES,
        "may_approve": rules.may_approve(task, me.roles),
        "may_publish": rules.may_publish(task, me.roles, me.department),
    }


@router.get("/{task_id}", response_class=HTMLResponse)
async def detail(request: Request, session: SignedIn, task_id: str) -> HTMLResponse:
    return render(request, "console/tasks/detail.html", **await _detail(session, task_id))


@router.post("/{task_id}/{action}", dependencies=[CheckedForm])
async def step(request: Request, session: SignedIn, task_id: str, action: str) -> Response:
    if action not in DONE:
        raise HTTPException(404, "没有这个办理环节")
    try:
        await tasks.step(session.api, task_id, action)
    except ApiError as exc:
        # The reason beside the button; a field it names (e.g. the plan) is listed with it.
        reasons = [e.reason for e in exc.errors] or [exc.reason]
        status = exc.status if 400 <= exc.status < 500 else 502
        return render(
            request,
            "console/tasks/detail.html",
            status_code=status,
            error=exc.reason,
            errors={action: "；".join(reasons)},
            **await _detail(session, task_id),
        )
    return see_other(f"/console/tasks/{task_id}", DONE[action])
