"""Console pages: exemptions from accountability (第十三条) — the proposal for a failure of the
accountability report (circumstances, statement, evidence: attachments already filed in the
task's dossier, and files uploaded first, then the proposal citing both), the director's
meeting's queue and decision, a proposal with its evidence (SHA-256, download or the dossier
entry). The failures themselves, 问责 and 免责 apart, are on the statistics page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError
from portal.domain import exemptions as rules
from portal.entrypoints.web import (
    CheckedForm,
    Session,
    SignedIn,
    download,
    refused,
    render,
    see_other,
)
from portal.service_layer import exemptions as service

router = APIRouter(prefix="/console/exemptions", include_in_schema=False)

LIST, NEW, DETAIL = (
    "console/exemptions.html",
    "console/exemption_new.html",
    "console/exemption.html",
)


@router.get("", response_class=HTMLResponse)
async def exemptions(request: Request, session: SignedIn, status: str = "") -> HTMLResponse:
    status = status if status in rules.STATUSES else ""
    context: dict[str, Any] = {"session": session, "status": status, "statuses": rules.STATUSES}
    try:
        page = await service.listing(session.api, status)
    except ApiError as exc:
        return refused(request, LIST, exc, page=None, **context)
    return render(request, LIST, page=page, **context)


EMPTY_FORM: dict[str, Any] = {
    "circumstances": [],
    "statement": "",
    "carried": [],
    "attachment_ids": [],
}


async def _new_page(
    request: Request,
    session: Session,
    item: dict[str, Any],
    error: ApiError | None = None,
    sent: dict[str, Any] | None = None,
) -> HTMLResponse:
    sent = sent or EMPTY_FORM
    may_propose = rules.may_propose(session.me.roles, session.me.department, item)
    attachments, unreadable = (
        await service.attachments(session.api, str(item["task_id"])) if may_propose else ([], "")
    )
    context: dict[str, Any] = {
        "session": session,
        "item": item,
        "may_propose": may_propose,
        "circumstances": rules.CIRCUMSTANCES,
        "statuses": rules.STATUSES,
        "sent": sent,
        "attachments": attachments,
        "attachments_unreadable": unreadable,
    }
    if error is None:
        return render(request, NEW, attachment_error=None, **context)
    chosen = sent["attachment_ids"]
    beside = rules.attachment_refusal(error.reason, error.field_reasons(), chosen)
    return refused(request, NEW, error, attachment_error=beside, **context)


@router.get("/new", response_class=HTMLResponse)
async def new(request: Request, session: SignedIn, item_id: str) -> HTMLResponse:
    return await _new_page(request, session, await service.item(session.api, item_id))


async def _uploaded(session: Session, task_id: str, files: list[UploadFile | str]) -> list[str]:
    """The chosen files uploaded as evidence, each as ``id:filename`` (a file input left empty
    arrives as an empty string)."""
    done = []
    for f in files:
        if isinstance(f, str):
            continue
        content = await f.read()
        if f.filename and content:
            evidence = await service.upload(
                session.api, task_id, f.filename, content, f.content_type or ""
            )
            done.append(evidence)
    return rules.carried_of(done)


@router.post("", dependencies=[CheckedForm], response_model=None)
async def propose(
    request: Request,
    session: SignedIn,
    item_id: Annotated[str, Form(max_length=300)],
    circumstances: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    statement: Annotated[str, Form(max_length=4000)] = "",
    carried: Annotated[list[str], Form()] = [],  # noqa: B006
    attachment_ids: Annotated[list[str], Form()] = [],  # noqa: B006
    files: Annotated[list[UploadFile | str], File()] = [],  # noqa: B006
) -> Response:
    """Evidence first (each file to the evidence endpoint), then the proposal citing it and
    the dossier attachments chosen. A refusal keeps what was uploaded and what was chosen, so
    the form is sent again without choosing the files."""
    found = await service.item(session.api, item_id)
    sent: dict[str, Any] = {
        "circumstances": circumstances,
        "statement": statement,
        "carried": list(carried),
        "attachment_ids": attachment_ids,
    }
    try:
        sent["carried"] += await _uploaded(session, str(found["task_id"]), files)
        evidence = rules.evidence_ids(sent["carried"])
        body = rules.proposal_body(item_id, circumstances, statement, evidence, attachment_ids)
        done = await session.api.post(service.BASE, body)
    except ApiError as exc:
        return await _new_page(request, session, found, exc, sent)
    return see_other(f"/console/exemptions/{done['exemption_id']}", "已申请免责，待局长办公会决定")


@router.get("/evidence/{evidence_id}", response_model=None)
async def evidence(session: SignedIn, evidence_id: str) -> Response:
    """The evidence as uploaded, with its SHA-256 (the service checks it as it reads it)."""
    return download(await session.api.request("GET", f"{service.BASE}/evidence/{evidence_id}"))


async def _detail_page(
    request: Request,
    session: Session,
    exemption_id: str,
    error: ApiError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    found = await service.exemption(session.api, exemption_id)
    context: dict[str, Any] = {
        "session": session,
        "x": found,
        "form": form or {},
        "decisions": rules.DECISIONS,
        "statuses": rules.STATUSES,
    }
    if error is not None:
        return refused(request, DETAIL, error, **context)
    return render(request, DETAIL, **context)


@router.get("/{exemption_id}", response_class=HTMLResponse)
async def exemption(request: Request, session: SignedIn, exemption_id: str) -> HTMLResponse:
    return await _detail_page(request, session, exemption_id)


@router.post("/{exemption_id}/decision", dependencies=[CheckedForm], response_model=None)
async def decide(
    request: Request,
    session: SignedIn,
    exemption_id: str,
    granted: Annotated[str, Form(max_length=5)] = "",
    reasons: Annotated[str, Form(max_length=4000)] = "",
    meeting_date: Annotated[str, Form(max_length=10)] = "",
    minute_no: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    sent = {
        "granted": granted,
        "reasons": reasons,
        "meeting_date": meeting_date,
        "minute_no": minute_no,
    }
    try:
        await session.api.post(f"{service.BASE}/{exemption_id}/decision", rules.decision_body(sent))
    except ApiError as exc:
        return await _detail_page(request, session, exemption_id, exc, sent)
    notice = f"已登记局长办公会决定：{rules.DECISIONS.get(granted, '')}"
    return see_other(f"/console/exemptions/{exemption_id}", notice)
