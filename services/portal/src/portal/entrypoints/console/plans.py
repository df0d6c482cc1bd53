"""Console pages: annual plans (年度抽查工作计划, 第四条、第五条) through their approval chain.

A supervising department drafts and submits its plan; the deputy director signs or returns it;
the credit department consolidates the year (the whole item list covered) and files it with
the city bureau; the director's meeting approves; the credit department or the office
publishes; a published plan is adjusted as a new version. Each page shows only the step the
person signed in may take; the planning service decides, and its refusals show beside the
field or button they concern.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError, FieldError
from portal.domain import plans as rules
from portal.entrypoints.web import CheckedForm, Session, SignedIn, render, see_other
from portal.service_layer import plans

router = APIRouter(prefix="/console/plans", include_in_schema=False)

Text = Annotated[str, Form(max_length=2000)]
SIMPLE_STEPS = ("submit", "sign", "approve", "publish")
DONE = {
    "submit": "已报分管局长审批签字",
    "sign": "已签字",
    "approve": "已批准",
    "publish": "已公示",
    "file": "已记录报市局备案",
    "reject": "已退回",
}


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


# ------------------------------------------------------------------------------ the year


@router.get("", response_class=HTMLResponse)
async def index(request: Request, session: SignedIn, year: str = "") -> HTMLResponse:
    return render(request, "console/plans/index.html", **await _index(session, _int(year)))


async def _index(session: Session, year: int | None) -> dict[str, Any]:
    listed = await plans.plans(session.api, year)
    shown_year = year or max((p["year"] for p in listed), default=None)
    return {
        "session": session,
        "plans": listed,
        "year": year,
        "coverage": await plans.coverage(session.api, shown_year) if shown_year else None,
        "coverage_year": shown_year,
        "may_draft": "supervising_dept" in session.me.roles,
        "may_consolidate": "credit_dept" in session.me.roles,
    }


@router.post("/consolidate", dependencies=[CheckedForm])
async def consolidate(request: Request, session: SignedIn, year: Text = "") -> Response:
    wanted = _int(year)
    try:
        if wanted is None:
            raise ApiError(422, "请填写年度", [FieldError("year", "应为四位年份")])
        done = await plans.consolidate(session.api, wanted)
    except ApiError as exc:
        if not exc.errors:  # e.g. items uncovered: the reason names them, beside the year
            exc = ApiError(exc.status, exc.reason, [FieldError("year", exc.reason)])
        context = await _index(session, wanted)
        return _refused(request, "console/plans/index.html", exc, context)
    return see_other(
        f"/console/plans?year={wanted}", f"已汇总 {len(done)} 个计划，待局长办公会批准"
    )


def _refused(
    request: Request, template: str, exc: ApiError, context: dict[str, Any]
) -> HTMLResponse:
    status = exc.status if 400 <= exc.status < 500 else 502
    return render(
        request,
        template,
        status_code=status,
        error=exc.reason,
        errors=exc.field_reasons(),
        **context,
    )


# -------------------------------------------------------------------------- the plan form


async def _posted(request: Request, rows: list[rules.Row]) -> dict[str, str]:
    """The posted fields, the item rows read from them."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    chosen = [v for v in form.getlist("code") if isinstance(v, str)]
    rules.read_rows(rows, fields, chosen)
    return fields


def _form_refused(
    request: Request, exc: ApiError, rows: list[rules.Row], context: dict[str, Any]
) -> HTMLResponse:
    renamed = plans.remapped(exc, lambda f: rules.form_field(f, rows))
    return _refused(request, "console/plans/form.html", renamed, {"rows": rows, **context})


def _own_refusal(errors: dict[str, str]) -> ApiError:
    return ApiError(422, "请更正标出的内容", [FieldError(k, v) for k, v in errors.items()])


@router.get("/new", response_class=HTMLResponse)
async def new_plan(request: Request, session: SignedIn) -> HTMLResponse:
    rows = rules.rows_of(await plans.current_items(session.api))
    form = {"department": session.me.department}
    return render(
        request, "console/plans/form.html", session=session, mode="new", rows=rows, form=form
    )


@router.post("/new", dependencies=[CheckedForm])
async def create_plan(request: Request, session: SignedIn) -> Response:
    rows = rules.rows_of(await plans.current_items(session.api))
    form = await _posted(request, rows)
    form["department"] = session.me.department
    year = _int(form.get("year"))
    items, own = rules.items_of(rows, year)
    context = {"session": session, "mode": "new", "form": form}
    body = {
        "plan_no": form.get("plan_no", "").strip(),
        "plan_name": form.get("plan_name", "").strip(),
        "department": session.me.department,
        "year": year if year is not None else form.get("year", ""),
        "items": items,
    }
    try:
        if own:
            raise _own_refusal(own)
        created = await plans.draft(session.api, body)
    except ApiError as exc:
        return _form_refused(request, exc, rows, context)
    return see_other(f"/console/plans/{created['plan_id']}", "已保存计划草稿")


async def _editable(session: Session, plan_id: str) -> tuple[dict[str, Any], list[rules.Row]]:
    plan = await plans.plan(session.api, plan_id)
    return plan, rules.rows_of(await plans.current_items(session.api), plan["items"])


@router.get("/{plan_id}/edit", response_class=HTMLResponse)
async def edit_page(request: Request, session: SignedIn, plan_id: str) -> HTMLResponse:
    return await _form_page(request, session, plan_id, "edit")


@router.get("/{plan_id}/adjust", response_class=HTMLResponse)
async def adjust_page(request: Request, session: SignedIn, plan_id: str) -> HTMLResponse:
    return await _form_page(request, session, plan_id, "adjust")


async def _form_page(request: Request, session: Session, plan_id: str, mode: str) -> HTMLResponse:
    plan, rows = await _editable(session, plan_id)
    return render(
        request,
        "console/plans/form.html",
        session=session,
        mode=mode,
        plan=plan,
        rows=rows,
        form={"plan_name": plan["plan_name"], "department": plan["department"]},
    )


@router.post("/{plan_id}/edit", dependencies=[CheckedForm])
async def edit_plan(request: Request, session: SignedIn, plan_id: str) -> Response:
    return await _change(request, session, plan_id, "edit")


@router.post("/{plan_id}/adjust", dependencies=[CheckedForm])
async def adjust_plan(request: Request, session: SignedIn, plan_id: str) -> Response:
    return await _change(request, session, plan_id, "adjust")


async def _change(request: Request, session: Session, plan_id: str, mode: str) -> Response:
    """Save a draft's changes, or open an adjustment (a new version, with its reason)."""
    plan, rows = await _editable(session, plan_id)
    form = await _posted(request, rows)
    form["department"] = plan["department"]
    items, own = rules.items_of(rows, plan["year"])
    body: dict[str, Any] = {"plan_name": form.get("plan_name", "").strip() or None, "items": items}
    context = {"session": session, "mode": mode, "plan": plan, "form": form}
    try:
        if own:
            raise _own_refusal(own)
        if mode == "adjust":
            await plans.step(
                session.api, plan_id, "adjust", {**body, "reason": form.get("reason", "").strip()}
            )
        else:
            await plans.edit(session.api, plan_id, body)
    except ApiError as exc:
        return _form_refused(request, exc, rows, context)
    notice = "已新建调整版本（草稿），请修改后报审" if mode == "adjust" else "已保存"
    return see_other(f"/console/plans/{plan_id}", notice)


# -------------------------------------------------------------------------- one plan


async def _detail(session: Session, plan_id: str) -> dict[str, Any]:
    plan = await plans.plan(session.api, plan_id)
    roles, department = session.me.roles, session.me.department
    return {
        "session": session,
        "plan": plan,
        "step": rules.next_step(plan, roles, department),
        "may_reject": rules.may_reject(plan, roles),
        "may_edit": rules.may_edit(plan, roles, department),
    }


@router.get("/{plan_id}", response_class=HTMLResponse)
async def detail(request: Request, session: SignedIn, plan_id: str) -> HTMLResponse:
    return render(request, "console/plans/detail.html", **await _detail(session, plan_id))


async def _step(
    request: Request, session: Session, plan_id: str, action: str, body: dict[str, Any] | None
) -> Response:
    try:
        await plans.step(session.api, plan_id, action, body)
    except ApiError as exc:
        if not exc.errors:  # a step refused as a whole: the reason beside its button
            exc = ApiError(exc.status, exc.reason, [FieldError(action, exc.reason)])
        context = {**await _detail(session, plan_id), "form": body or {}}
        return _refused(request, "console/plans/detail.html", exc, context)
    return see_other(f"/console/plans/{plan_id}", DONE[action])


@router.post("/{plan_id}/reject", dependencies=[CheckedForm])
async def reject(request: Request, session: SignedIn, plan_id: str, reason: Text = "") -> Response:
    return await _step(request, session, plan_id, "reject", {"reason": reason.strip()})


@router.post("/{plan_id}/file", dependencies=[CheckedForm])
async def file(
    request: Request,
    session: SignedIn,
    plan_id: str,
    filed_on: Annotated[str, Form(max_length=10)] = "",
    filing_ref: Text = "",
) -> Response:
    body = {"filed_on": filed_on.strip(), "filing_ref": filing_ref.strip()}
    return await _step(request, session, plan_id, "file", body)


@router.post("/{plan_id}/{action}", dependencies=[CheckedForm])
async def simple_step(request: Request, session: SignedIn, plan_id: str, action: str) -> Response:
    if action not in SIMPLE_STEPS:
        raise HTTPException(404, "没有这个办理环节")
    return await _step(request, session, plan_id, action, None)
