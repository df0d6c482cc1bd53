"""An object's own page (an entity's, or a product's, project's or conduct's by its registry
id): its published results, where to object, and for the latest draws the proof that it was in
their population or not (checked in the browser)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.domain.public import is_object_code
from portal.entrypoints.web import api_of, render
from portal.service_layer import public

router = APIRouter(include_in_schema=False)


@router.get("/entities/{uscc}", response_class=HTMLResponse)
async def entity(request: Request, uscc: str) -> HTMLResponse:
    if not is_object_code(uscc):
        return render(
            request,
            "public/missing.html",
            status_code=404,
            error=(
                "不是统一社会信用代码（18 位，数字及大写字母，不含 I、O、S、V、Z），"
                "也不是产品、项目、行为的对象编码（Z 开头）"
            ),
        )
    page = await public.entity(api_of(request), uscc.upper())
    return render(request, "public/entity.html", object_link=_object_link, **page)


def _object_link(record_id: str) -> str:
    """Sign in as the entity, then the objection form for this result."""
    target = "/console/objections/new?" + urlencode({"record_id": record_id})
    return "/console/login?" + urlencode({"next": target})
