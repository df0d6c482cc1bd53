"""The registry pages of the console and objects beyond market entities (第一条), on a fake of
the services' APIs: the import page offers the product, project and conduct lists (template
downloads and upload), an upload goes to the list chosen, and the objects page filters by kind
and shows each object's kind and fields."""

from __future__ import annotations

from typing import Any

import httpx

from portal.adapters.api import ApiError
from portal.entrypoints.console import registry
from portal.entrypoints.web import csrf_of

from .fakes import FakeApi, console_site

TOKEN = "token-of-xinyong"
CSRF = csrf_of(TOKEN)
NEW = ("products", "projects", "conducts")
PRODUCT = {
    "uscc": "ZPWPXRY8GPYLEBJLGT",
    "name": "临港泉 饮用天然泉水 550mL/瓶（20261008）",
    "entity_type": "产品",
    "industry": "食品制造业",
    "area": "草庙子镇",
    "risk_class": "C",
    "status": "active",
    "address": "草庙子镇1号超市",
    "details": {"product_name": "饮用天然泉水", "brand": "临港泉", "batch": "20261008"},
    "object_kind": "product",
    "object_kind_label": "产品",
}


WHO = {
    "user": "xinyong",
    "district": "lingang",
    "roles": ["credit_dept"],
    "department": "信用监管科",
}


EMPTY: dict[str, Any] = {"total": 0, "items": []}


class SignedInApi(FakeApi):
    """The credit department's view of the registry."""

    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__({"/auth/whoami": WHO, **answers})

    def signed_in(self, token: str) -> SignedInApi:
        assert token == TOKEN
        return self


def site(api: FakeApi) -> httpx.AsyncClient:
    return console_site(api, TOKEN, registry.router)


def template_answer(request_kind: str) -> httpx.Response:
    return httpx.Response(
        200,
        content=b"\xef\xbb\xbf" + request_kind.encode(),
        headers={"content-disposition": f'attachment; filename="{request_kind}-template.csv"'},
    )


async def test_the_import_page_offers_the_lists_of_products_projects_and_conducts() -> None:
    api = SignedInApi({"/api/registry/imports": {"items": []}})
    async with site(api) as client:
        page = await client.get("/console/registry")
    assert page.status_code == 200, page.text
    for kind, label in zip(NEW, ("产品", "项目", "行为"), strict=True):
        assert f'<option value="{kind}">{label}</option>' in page.text
        for fmt in ("xlsx", "csv"):
            assert f'href="/console/registry/templates/{kind}.{fmt}"' in page.text


async def test_a_template_of_a_new_list_is_fetched_from_the_registry() -> None:
    api = SignedInApi(
        {f"/api/registry/templates/{k}.csv": template_answer(k) for k in NEW}
        | {"/api/registry/templates/products.xlsx": template_answer("products")}
    )
    async with site(api) as client:
        for kind in NEW:
            answer = await client.get(f"/console/registry/templates/{kind}.csv")
            assert answer.status_code == 200 and answer.content.endswith(kind.encode())
            assert f"{kind}-template.csv" in answer.headers["content-disposition"]
        unknown = await client.get("/console/registry/templates/vehicles.csv")
    assert unknown.status_code == 404
    fetched = [c[1] for c in api.calls if c[1].startswith("/api/")]
    assert fetched == [f"/api/registry/templates/{k}.csv" for k in NEW]


async def test_a_product_list_is_uploaded_to_the_products_import() -> None:
    api = SignedInApi({"/api/registry/products/import": {"import_id": "p1", "state": "queued"}})
    async with site(api) as client:
        answer = await client.post(
            "/console/registry/imports",
            data={"csrf": CSRF, "kind": "products"},
            files={"file": ("产品.csv", "生产者统一社会信用代码\n".encode(), "text/csv")},
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/registry/imports/p1"
    ((method, path, sent),) = [c for c in api.calls if c[1].startswith("/api/")]
    assert (method, path) == ("POST", "/api/registry/products/import")
    assert sent["params"] == {"filename": "产品.csv"}


async def test_a_refused_product_list_is_shown_beside_the_file_with_the_list_kept() -> None:
    refusal = ApiError(422, "导入被拒绝，文件中的任何一行都未导入")
    api = SignedInApi(
        {"/api/registry/conducts/import": refusal, "/api/registry/imports": {"items": []}}
    )
    async with site(api) as client:
        answer = await client.post(
            "/console/registry/imports",
            data={"csrf": CSRF, "kind": "conducts"},
            files={"file": ("行为.csv", b"x", "text/csv")},
        )
    assert answer.status_code == 422
    assert '<option value="conducts" selected>行为</option>' in answer.text
    assert "导入被拒绝" in answer.text


async def test_the_objects_page_filters_by_kind_and_shows_the_fields() -> None:
    def entities(query: dict[str, Any]) -> dict[str, Any]:
        return {"total": 1, "items": [PRODUCT]} if query["kind"] == "product" else EMPTY

    api = SignedInApi({"/api/registry/entities": entities})
    async with site(api) as client:
        page = await client.get("/console/registry/entities", params={"kind": "product"})
        unknown = await client.get("/console/registry/entities", params={"kind": "vehicle"})
    assert page.status_code == 200, page.text
    assert '<option value="product" selected>产品</option>' in page.text
    assert "<td>产品</td>" in page.text and "商标：临港泉" in page.text
    assert "生产日期或批号：20261008" in page.text
    # A kind the registry does not know is not sent: the page lists every kind.
    assert unknown.status_code == 200 and api.calls[-1][2]["kind"] is None
    assert "没有符合条件的检查对象" in unknown.text
