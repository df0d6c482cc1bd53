"""What the kernel answers for every route is documented for every route, and answered in the
one refusal shape: 401/403 where a token is needed, 404 where the path names something, 422
(incl. a body that cannot be parsed) as ``{"detail": reason, "errors": [...]}``."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, UploadFile
from pydantic import BaseModel

from spotcheck_common.auth import Principal, require
from spotcheck_common.db import MAX_OFFSET, Database, paginate
from spotcheck_common.errors import Invalid
from spotcheck_common.http import Offset
from spotcheck_common.roles import Role
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers

from ..helpers import kernel_app

router = APIRouter()


class Note(BaseModel):
    text: str


@router.post("/api/t/things/{thing_id}/notes")
async def add_note(
    thing_id: str, note: Note, who: Annotated[Principal, require(Role.CREDIT_DEPT)]
) -> Note:
    return note


@router.post("/api/t/things/{thing_id}/files")
async def add_file(
    thing_id: str, file: UploadFile, who: Annotated[Principal, require(Role.CREDIT_DEPT)]
) -> Note:
    return Note(text=file.filename or "")


@router.get("/public/t/things")
async def public_things(offset: Offset = 0) -> list[int]:
    return [offset]


def app() -> FastAPI:
    return kernel_app(Settings(district="lingang", auth_secret=TEST_SECRET), [router])


def test_every_kernel_answer_is_documented_as_a_refusal() -> None:
    schema = app().openapi()
    answers = schema["paths"]["/api/t/things/{thing_id}/notes"]["post"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(answers)
    for status in ("401", "403", "404", "422"):
        ref = answers[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Refusal", status
    assert answers["422"]["description"] != "Validation Error"
    public = schema["paths"]["/public/t/things"]["get"]["responses"]
    assert set(public) == {"200", "422"}  # no token, no path parameter: only a bad offset
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components
    assert components["Refusal"]["properties"]["detail"]["type"] == "string"


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("notes", "application/json", b"\xb0\x9c{not json"),
        ("files", "multipart/form-data", b"--x\r\n"),  # multipart without a boundary
        ("files", "multipart/form-data; boundary=x", b"--x\r\nbroken"),
    ],
)
async def test_a_body_that_cannot_be_parsed_is_a_422_in_chinese(
    path: str, content_type: str, body: bytes
) -> None:
    headers: dict[str, Any] = {**auth_headers("u", "credit_dept"), "Content-Type": content_type}
    transport = httpx.ASGITransport(app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(f"/api/t/things/1/{path}", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str) and "请求" in response.json()["detail"]


@pytest.mark.parametrize("offset", ["9223372036854775808", str(MAX_OFFSET + 1), "-1"])
async def test_an_offset_out_of_bounds_is_a_422_not_a_500(offset: str) -> None:
    transport = httpx.ASGITransport(app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/public/t/things", params={"offset": offset})
        assert response.status_code == 422 and "offset" in response.json()["detail"]
        assert (await client.get("/public/t/things", params={"offset": MAX_OFFSET})).json() == [
            MAX_OFFSET
        ]


async def test_paginate_refuses_an_offset_out_of_bounds_whoever_calls_it() -> None:
    db = Database("sqlite+aiosqlite://", "t")
    async with db.sessions() as session:
        with pytest.raises(Invalid, match="offset"):
            await paginate(session, sa.select(sa.literal(1)), 10, 2**63, lambda r: r)
        page = await paginate(session, sa.select(sa.literal(1)), 10, 0, lambda r: r[0])
    assert (page.total, page.items) == (1, [1])
    await db.engine.dispose()


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_json_body_beyond_the_limit_is_a_413_before_it_is_parsed(chunked: bool) -> None:
    limit = Settings().body_max_bytes
    big = b'{"text": "' + b"x" * limit + b'"}'
    headers = {**auth_headers("u", "credit_dept"), "Content-Type": "application/json"}

    async def chunks() -> Any:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    transport = httpx.ASGITransport(app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = chunks() if chunked else big
        response = await client.post("/api/t/things/1/notes", content=body, headers=headers)
        assert response.status_code == 413, response.text
        assert "上限 1024 KiB" in response.json()["detail"]
        small = await client.post(
            "/api/t/things/1/notes", json={"text": "x" * 1000}, headers=headers
        )
        assert small.status_code == 200


async def test_a_file_may_be_larger_than_a_json_body() -> None:
    headers = auth_headers("u", "credit_dept")
    files = {"file": ("a.csv", b"x" * (2 * 1024 * 1024), "text/csv")}
    transport = httpx.ASGITransport(app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/api/t/things/1/files", files=files, headers=headers)
    assert response.status_code == 200 and response.json() == {"text": "a.csv"}


async def test_no_answer_lets_a_browser_guess_its_type() -> None:
    transport = httpx.ASGITransport(app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/public/t/things", "/healthz", "/nowhere"):
            assert (await client.get(path)).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("limit", "offset", "items", "total"),
    [
        (10, 0, list(range(7)), 7),  # a short first page: the total without a count
        (3, 0, [0, 1, 2], 7),  # a full page: counted
        (3, 6, [6], 7),  # the last, short page
        (3, 9, [], 7),  # past the end: counted (an empty page tells nothing)
        (7, 0, list(range(7)), 7),  # exactly full: counted
    ],
)
async def test_paginate_totals_are_the_querys_rows_on_every_page(
    limit: int, offset: int, items: list[int], total: int
) -> None:
    db = Database("sqlite+aiosqlite://", "t")
    numbers = sa.union_all(*(sa.select(sa.literal(i).label("n")) for i in range(7))).subquery()
    query = sa.select(numbers.c.n).order_by(numbers.c.n)
    async with db.sessions() as session:
        page = await paginate(session, query, limit, offset, lambda r: r[0])
    assert (page.items, page.total) == (items, total)
    await db.engine.dispose()
