"""This bureau's side of a neighbour's joint draw (issue 10, ADR 0010): the neighbours' draws
that name this bureau's credit department as a party, and its commitment and reveal.

As in the ceremony of the district's own draws (``draws.py``), the key and the share are made
in the person's browser (``static/js/ceremony/joint.js``): the key is registered for the
drawing district's log (its self-signature names that district; its holder is
``<this district>:<user>``), the share stays in the browser until its reveal. These handlers
forward the signed form to this bureau's draws API with the person's token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from portal.adapters.api import ApiError
from portal.domain import draws as d
from portal.entrypoints.console.draws import services_clock
from portal.entrypoints.web import CheckedForm, Session, SignedIn, refused, render, see_other
from portal.service_layer import draws as svc

router = APIRouter(prefix="/console/joint-draws", include_in_schema=False)

DETAIL = "console/draws/joint.html"
Field = Annotated[str, Form(max_length=200)]


def _url(draw_id: str) -> str:
    return f"/console/joint-draws/{draw_id}"


@router.get("", response_class=HTMLResponse)
async def index(request: Request, session: SignedIn) -> HTMLResponse:
    found = await svc.joint_draws(session.api)
    return render(request, "console/draws/joint_index.html", session=session, items=found)


async def _context(session: Session, draw_id: str, **context: Any) -> dict[str, Any]:
    found = await svc.joint(session.api, draw_id, session.me.roles)
    return {"session": session, "j": found, **context}


@router.get("/{draw_id}", response_class=HTMLResponse)
async def detail(request: Request, session: SignedIn, draw_id: str) -> HTMLResponse:
    return render(request, DETAIL, **await _context(session, draw_id))


@router.get("/{draw_id}/state.json")
async def state(session: SignedIn, draw_id: str) -> Response:
    """What the page's script signs from: the joint draw (with the manifest it checks) and the
    services' today (a new key's validity starts on it)."""
    try:
        jd = await session.api.get(f"/api/draws/joint-draws/{draw_id}")
    except ApiError as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    start, end = d.key_validity(services_clock().today())
    answer = {"joint": jd, "valid_from": start, "valid_until": end}
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.get("/{draw_id}/version.json")
async def version(session: SignedIn, draw_id: str) -> Response:
    jd = await session.api.get(f"/api/draws/joint-draws/{draw_id}")
    return JSONResponse({"version": d.joint_version(jd)}, headers={"Cache-Control": "no-store"})


async def _act(
    request: Request, session: Session, draw_id: str, act: str, body: dict[str, Any], done: str
) -> Response:
    """Forward one act to the draws API; a refusal is shown beside the act's form."""
    try:
        await session.api.post(f"/api/draws/joint-draws/{draw_id}/{act}", body)
    except ApiError as exc:
        return refused(request, DETAIL, exc, **await _context(session, draw_id, act=act))
    return see_other(_url(draw_id), done)


def _signed(form: dict[str, str]) -> dict[str, Any] | None:
    """The form's signed fields, or None where the page's script filled none (it failed or
    did not run): nothing is sent that the browser did not sign."""
    return form if all(form.values()) else None


NOT_SIGNED = ApiError(422, "未能在本浏览器签名：须启用 JavaScript，且浏览器支持 Ed25519")


@router.post("/{draw_id}/commitment", dependencies=[CheckedForm])
async def commit(
    request: Request,
    session: SignedIn,
    draw_id: str,
    commitment: Field = "",
    public_key: Field = "",
    valid_from: Field = "",
    valid_until: Field = "",
    key_signature: Field = "",
    signature: Field = "",
) -> Response:
    body = _signed(
        {
            "commitment": commitment,
            "public_key": public_key,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "key_signature": key_signature,
            "signature": signature,
        }
    )
    if body is None:
        context = await _context(session, draw_id, act="commitment")
        return refused(request, DETAIL, NOT_SIGNED, **context)
    done = "本局的种子承诺已提交：份额保存在本浏览器，各方承诺齐后请在此揭示"
    return await _act(request, session, draw_id, "commitment", body, done)


@router.post("/{draw_id}/reveal", dependencies=[CheckedForm])
async def reveal(
    request: Request, session: SignedIn, draw_id: str, share: Field = "", signature: Field = ""
) -> Response:
    body = _signed({"share": share, "signature": signature})
    if body is None:
        return refused(
            request, DETAIL, NOT_SIGNED, **await _context(session, draw_id, act="reveal")
        )
    return await _act(request, session, draw_id, "reveal", body, "本局的种子份额已揭示")
