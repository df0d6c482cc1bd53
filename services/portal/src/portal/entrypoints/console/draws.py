"""The draw ceremony in the browser (``docs/draw-spec.md`` §14, ADR 0008): draws by task,
freezing a draw, the person's party keys, and the live ceremony page. Direct assignment
(第六条, spec §15): the deputy director's approval for a task, a draw naming it, the credit
department's signed assignment of the drawn targets' teams, and the share per department.

Keys and shares are made in the person's own browser (``static/js/ceremony``): a private key
is a non-extractable WebCrypto key kept in IndexedDB, a share is kept there until its reveal.
The browser signs each act and fills the form's hidden fields; these handlers forward the form
to the draws API with the person's token (which the page's script never sees).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from portal.adapters.api import ApiError
from portal.domain import draws as d
from portal.entrypoints.web import (
    CheckedForm,
    Session,
    SignedIn,
    refused,
    render,
    see_other,
    templates,
)
from portal.service_layer import draws as svc
from spotcheck_common.clock import Clock, clock_from_setting
from spotcheck_common.settings import get_settings

router = APIRouter(prefix="/console/draws", include_in_schema=False)

CEREMONY = "console/draws/ceremony.html"
INDEX = "console/draws/index.html"
KEYS = "console/draws/keys.html"
NEW = "console/draws/new.html"
Text = Annotated[str, Form(max_length=5000)]
# The ceremony's times are read against its deadlines: in Beijing time, whatever the offset
# the service wrote them with.
templates.env.filters.setdefault("team_role", d.team_role)
templates.env.filters.setdefault("draw_status", d.status_label)
templates.env.filters.setdefault("share_percent", d.share_percent)


@lru_cache
def services_clock() -> Clock:
    """The services' clock (``SPOTCHECK_CLOCK``): a key's validity starts on their today."""
    return clock_from_setting(get_settings().clock)


def _draw_url(draw_id: str) -> str:
    return f"/console/draws/{draw_id}"


# ---------------------------------------------------------------------------- draws by task


@router.get("", response_class=HTMLResponse)
async def index(request: Request, session: SignedIn, task_id: str = "") -> HTMLResponse:
    found = await svc.index(session.api, task_id)
    return render(request, INDEX, session=session, index=found)


@router.post("/tasks/{task_id}/direct-approvals", dependencies=[CheckedForm])
async def approve_direct(
    request: Request, session: SignedIn, task_id: str, reason: Text = ""
) -> Response:
    """第六条: the deputy director approves direct assignment for the task, before its draw."""
    path = f"/api/draws/tasks/{task_id}/direct-assignment-approvals"
    try:
        approval = await session.api.post(path, {"reason": reason})
    except ApiError as exc:
        found = await svc.index(session.api, task_id)
        context = {"session": session, "index": found, "form": {"reason": reason}}
        return refused(request, INDEX, exc, **context)
    done = f"已批准直接委派（批准编号 {approval['approval_id']}）：信用监管科创建抽取时可引用"
    return see_other(f"/console/draws?task_id={task_id}", done)


@router.get("/direct-assignment", response_class=HTMLResponse)
async def direct_shares(request: Request, session: SignedIn) -> HTMLResponse:
    """The share of directly assigned teams per department: the general office watches it."""
    shares = await svc.direct_shares(session.api)
    return render(request, "console/draws/direct_assignment.html", session=session, shares=shares)


async def _new_context(session: Session, task_id: str, form: dict[str, str]) -> dict[str, Any]:
    return {
        "session": session,
        "task": await svc.task(session.api, task_id),
        "approvals": await svc.direct_approvals(session.api, task_id),
        "form": form,
    }


@router.get("/new", response_class=HTMLResponse)
async def new_form(request: Request, session: SignedIn, task_id: str = "") -> Response:
    if not task_id:
        return see_other("/console/draws", "请先选择要抽取的任务")
    return render(request, NEW, **await _new_context(session, task_id, {}))


@router.post("/new", dependencies=[CheckedForm])
async def create(request: Request, session: SignedIn) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
    task_id = form.get("task_id", "")
    try:
        draw = await session.api.post("/api/draws/draws", d.draw_body(task_id, form))
    except ApiError as exc:
        return refused(request, NEW, exc, **await _new_context(session, task_id, form))
    return see_other(_draw_url(draw["draw_id"]), "抽取清单已冻结并公示：请各参与方提交种子承诺")


# -------------------------------------------------------------------------------- party keys


async def _keys_context(session: Session, **context: Any) -> dict[str, Any]:
    start, end = d.key_validity(services_clock().today())
    context.setdefault("form", {"valid_from": start, "valid_until": end})
    return {
        "session": session,
        "keys": (await session.api.get("/api/draws/keys"))["items"],
        "parties": d.key_parties(session.me.roles, session.me.agency),
        **context,
    }


@router.get("/keys", response_class=HTMLResponse)
async def keys_page(request: Request, session: SignedIn) -> HTMLResponse:
    return render(request, KEYS, **await _keys_context(session))


@router.post("/keys", dependencies=[CheckedForm])
async def register_key(
    request: Request,
    session: SignedIn,
    party: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
    public_key: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    form = {"party": party, "valid_from": valid_from, "valid_until": valid_until}
    if not public_key:  # the key is made by the page's script: nothing was made
        error = ApiError(422, "未能在本浏览器生成密钥：须启用 JavaScript，且浏览器支持 Ed25519")
        return refused(request, KEYS, error, **await _keys_context(session, form=form))
    body = {**form, "public_key": public_key, "signature": signature}
    try:
        key = await session.api.post("/api/draws/keys", body)
    except ApiError as exc:
        return refused(request, KEYS, exc, **await _keys_context(session, form=form))
    return see_other("/console/draws/keys", f"密钥已登记：{key['key_id']}（{key['party']}）")


@router.post("/keys/{key_id}/revoke", dependencies=[CheckedForm])
async def revoke_key(
    request: Request, session: SignedIn, key_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    try:
        await session.api.post(f"/api/draws/keys/{key_id}/revocation", {"reason": reason})
    except ApiError as exc:
        context = await _keys_context(session, failed_key=key_id, reason=reason)
        return refused(request, KEYS, exc, **context)
    return see_other("/console/draws/keys", f"密钥 {key_id} 已吊销")


# ------------------------------------------------------------------------------ the ceremony


async def _ceremony_context(session: Session, draw_id: str, **context: Any) -> dict[str, Any]:
    found = await svc.ceremony(
        session.api, draw_id, session.me.user, session.me.roles, session.me.agency
    )
    return {"session": session, "c": found, **context}


@router.get("/{draw_id}", response_class=HTMLResponse)
async def ceremony_page(request: Request, session: SignedIn, draw_id: str) -> HTMLResponse:
    return render(request, CEREMONY, **await _ceremony_context(session, draw_id))


@router.get("/{draw_id}/state.json")
async def state(request: Request, session: SignedIn, draw_id: str, result: int = 0) -> Response:
    try:
        answer = await svc.state(session.api, draw_id, session.me.user, bool(result))
    except ApiError as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.get("/{draw_id}/version.json")
async def version(session: SignedIn, draw_id: str) -> Response:
    draw = await session.api.get(f"/api/draws/draws/{draw_id}")
    return JSONResponse({"version": d.version_of(draw)}, headers={"Cache-Control": "no-store"})


async def _act(
    request: Request,
    session: Session,
    draw_id: str,
    act: str,
    path: str,
    body: dict[str, Any] | None,
    done: str,
) -> Response:
    """Forward one act to the draws API; a refusal is shown beside the act's form."""
    try:
        await session.api.post(f"/api/draws/draws/{draw_id}{path}", body)
    except ApiError as exc:
        form = {k: v for k, v in (body or {}).items() if k not in ("signature", "share")}
        context = await _ceremony_context(session, draw_id, act=act, form=form)
        return refused(request, CEREMONY, exc, **context)
    return see_other(_draw_url(draw_id), done)


def _signed(key_id: str, signature: str) -> dict[str, str | None]:
    return {"key_id": key_id or None, "signature": signature or None}


@router.post("/{draw_id}/commit", dependencies=[CheckedForm])
async def commit(
    request: Request,
    session: SignedIn,
    draw_id: str,
    party: Annotated[str, Form()],
    commitment: Annotated[str, Form()] = "",
    key_id: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    body = {"party": party, "commitment": commitment, **_signed(key_id, signature)}
    done = f"「{party}」的种子承诺已提交：份额保存在本浏览器，各方承诺齐后请在此揭示"
    return await _act(request, session, draw_id, f"commit:{party}", "/commitments", body, done)


@router.post("/{draw_id}/reveal", dependencies=[CheckedForm])
async def reveal(
    request: Request,
    session: SignedIn,
    draw_id: str,
    party: Annotated[str, Form()],
    share: Annotated[str, Form()] = "",
    key_id: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    body = {"party": party, "share": share, **_signed(key_id, signature)}
    done = f"「{party}」的种子份额已揭示"
    return await _act(request, session, draw_id, f"reveal:{party}", "/reveals", body, done)


@router.post("/{draw_id}/beacon", dependencies=[CheckedForm])
async def beacon(
    request: Request, session: SignedIn, draw_id: str, value: Annotated[str, Form()] = ""
) -> Response:
    body = {"value": value.strip().lower()}
    return await _act(request, session, draw_id, "beacon", "/beacon", body, "信标值已录入")


@router.post("/{draw_id}/countersign", dependencies=[CheckedForm])
async def countersign(
    request: Request,
    session: SignedIn,
    draw_id: str,
    opinion: Text = "",
    acknowledge_unstaffed: Annotated[str, Form()] = "",
    key_id: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    body = {
        "opinion": opinion,
        "acknowledge_unstaffed": bool(acknowledge_unstaffed),
        **_signed(key_id, signature),
    }
    done = "已监督会签，抽取完成"
    return await _act(request, session, draw_id, "countersign", "/countersign", body, done)


@router.post("/{draw_id}/assignment", dependencies=[CheckedForm])
async def assign(
    request: Request,
    session: SignedIn,
    draw_id: str,
    assignment: Annotated[str, Form(max_length=2_000_000)] = "",
    key_id: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    """第六条: the teams the browser signed, checked as far as the page can, then forwarded
    exactly as signed (the service checks the signature and every hard rule again)."""
    try:
        teams = d.read_assignment(assignment)
        found = await svc.ceremony(
            session.api, draw_id, session.me.user, session.me.roles, session.me.agency
        )
        problem = d.assignment_problem(teams, found.assigning.rules) if found.assigning else None
    except ValueError as exc:
        teams, problem = [], str(exc)
    chosen = {"chosen": d.chosen_of(teams)}
    if problem:
        context = await _ceremony_context(session, draw_id, act="assign", form=chosen)
        return refused(request, CEREMONY, ApiError(422, problem), **context)
    body = {"targets": teams, **_signed(key_id, signature)}
    try:
        await session.api.post(f"/api/draws/draws/{draw_id}/assignment", body)
    except ApiError as exc:
        context = await _ceremony_context(session, draw_id, act="assign", form=chosen)
        return refused(request, CEREMONY, exc, **context)
    return see_other(_draw_url(draw_id), "检查组已直接委派并签名：待办公室另一位人员监督会签")


@router.post("/{draw_id}/cancel", dependencies=[CheckedForm])
async def cancel(
    request: Request,
    session: SignedIn,
    draw_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
    key_id: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    body = {"reason": reason, **_signed(key_id, signature)}
    return await _act(request, session, draw_id, "cancel", "/cancel", body, "抽取已作废")


@router.post("/{draw_id}/abort", dependencies=[CheckedForm])
async def abort(request: Request, session: SignedIn, draw_id: str) -> Response:
    return await _act(request, session, draw_id, "abort", "/abort", None, "抽取已中止")


@router.post("/{draw_id}/approvals", dependencies=[CheckedForm])
async def approve(
    request: Request,
    session: SignedIn,
    draw_id: str,
    choice: Annotated[str, Form()] = "",
    reason: Text = "",
) -> Response:
    uscc, inspector_id = d.split_choice(choice)
    body = {"uscc": uscc, "inspector_id": inspector_id, "reason": reason}
    done = "已批准调换：请信用监管科据此申请调换"
    return await _act(request, session, draw_id, "approve", "/replacement-approvals", body, done)


@router.post("/{draw_id}/replacements", dependencies=[CheckedForm])
async def replace(
    request: Request,
    session: SignedIn,
    draw_id: str,
    approval_id: Annotated[str, Form()],
    uscc: Annotated[str, Form()],
    inspector_id: Annotated[str, Form()],
    reason: Text = "",
) -> Response:
    body = {
        "approval_id": approval_id,
        "uscc": uscc,
        "inspector_id": inspector_id,
        "reason": reason,
    }
    done = "已按抽取确定的备选人员申请调换，待办公室会签"
    act = f"replace:{approval_id}"
    return await _act(request, session, draw_id, act, "/replacements", body, done)


@router.post("/{draw_id}/replacements/{approval_id}/countersign", dependencies=[CheckedForm])
async def countersign_replacement(
    request: Request,
    session: SignedIn,
    draw_id: str,
    approval_id: str,
    key_id: Annotated[str, Form()] = "",
    signature: Annotated[str, Form()] = "",
) -> Response:
    path = f"/replacements/{approval_id}/countersign"
    act = f"countersign-replacement:{approval_id}"
    done = "已会签调换，调换生效"
    return await _act(request, session, draw_id, act, path, _signed(key_id, signature), done)
