"""The public site for objects of every kind (第一条, ADR 0011): a product's result shows
检查对象类型 and its own fields, its ``Z…`` id called 对象编码 and never 统一社会信用代码;
organisations' pages are as before; the search and the object's page take either code."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any, cast

from starlette.requests import Request

from portal.adapters.api import Api
from portal.domain.public import ResultFilters, csv_bytes, is_object_code
from portal.entrypoints.public.entities import _object_link
from portal.entrypoints.web import templates
from portal.service_layer import public

from .fakes import FakeApi
from .test_public import RESULT, USCC

PRODUCER = "91371000MA3C00002X"
PRODUCT_ID = "ZPL2M39K9UF25A3RR0"
FIELDS = [
    {"label": "生产者统一社会信用代码", "value": PRODUCER},
    {"label": "产品名称", "value": "速冻水饺"},
    {"label": "商标", "value": "海之味"},
    {"label": "规格型号", "value": "500克/袋"},
    {"label": "生产日期或批号", "value": "20260301"},
    {"label": "生产者名称", "value": "威海某某食品有限公司"},
    {"label": "销售场所", "value": ""},
]
PRODUCT = {
    **RESULT,
    "record_id": "r2",
    "uscc": PRODUCT_ID,
    "entity_name": "海之味 速冻水饺 500克/袋（20260301）",
    "object_kind": "product",
    "object_kind_label": "产品",
    "has_uscc": False,
    "details": {},
    "object_fields": FIELDS,
}
ORGANISATION = {
    **RESULT,
    "object_kind": "market_entity",
    "object_kind_label": "市场主体",
    "has_uscc": True,
    "details": {},
    "object_fields": [],
}
DETAIL = {"versions": [], "first_published_at": "2026-11-16T01:00:00+00:00"}


def render(template: str, **context: Any) -> str:
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                       "headers": []})  # fmt: skip
    page = templates.env.get_template(template).render(
        request=request, session=SimpleNamespace(me=None, csrf="x"), **context
    )
    return str(page)


def results_page(*items: dict[str, Any]) -> str:
    page = {"total": len(items), "items": list(items)}
    return render(
        "public/results.html",
        page=page,
        withheld=None,
        filters=ResultFilters(),
        categories=[],
        offset=0,
        limit=20,
    )


def test_the_search_and_the_objects_page_take_an_object_id() -> None:
    assert is_object_code(PRODUCT_ID) and is_object_code(PRODUCT_ID.lower())
    assert not is_object_code("ZP" + "0" * 16)  # its check character is wrong
    assert ResultFilters.of({"q": PRODUCT_ID.lower()}).entity == PRODUCT_ID
    assert ResultFilters.of({"uscc": PRODUCT_ID}).entity == PRODUCT_ID


def test_a_product_in_the_result_list_shows_its_kind_and_fields_not_a_credit_code() -> None:
    page = results_page(PRODUCT)
    assert "产品，无统一社会信用代码" in page
    assert "商标：海之味" in page and "规格型号：500克/袋" in page
    assert "销售场所：" not in page  # an empty field is left out
    organisations = results_page(ORGANISATION)
    assert f'<a href="/entities/{USCC}" class="mono">{USCC}</a>' in organisations
    assert "无统一社会信用代码" not in organisations


def test_a_product_result_page_lists_its_fields_and_calls_its_id_object_code() -> None:
    page = render("public/result.html", record={**PRODUCT, **DETAIL})
    assert "<dt>检查对象类型</dt><dd>产品</dd>" in page
    assert "<dt>产品名称</dt><dd>速冻水饺</dd>" in page
    assert f'<a class="mono" href="/entities/{PRODUCER}">{PRODUCER}</a>' in page
    assert "<dt>对象编码</dt>" in page
    assert "<dt>统一社会信用代码</dt>" not in page
    assert "产品的生产者可以本单位名义在网上提出异议" in page
    organisation = render("public/result.html", record={**ORGANISATION, **DETAIL})
    assert f'<dt>统一社会信用代码</dt><dd><a class="mono" href="/entities/{USCC}">' in organisation
    assert "被检查的市场主体可在网上提出异议" in organisation
    assert "检查对象类型" not in organisation
    # A record from a publication before object kinds is an organisation's.
    older = render("public/result.html", record={**RESULT, **DETAIL})
    assert "<dt>统一社会信用代码</dt>" in older and "被检查的市场主体" in older


async def test_a_producers_page_lists_its_products_and_a_products_page_describes_it() -> None:
    api = FakeApi(
        {
            "/public/results": {"total": 2, "items": [ORGANISATION, PRODUCT]},
            "/public/draws": {"total": 0, "items": []},
        }
    )
    producer = await public.entity(cast(Api, api), USCC)
    assert producer["name"] == "临港某公司" and producer["has_uscc"]  # its own name only
    page = render("public/entity.html", object_link=_object_link, **producer)
    assert "速冻水饺" in page and page.count("提出异议</a>") == 2

    product = await public.entity(cast(Api, api), PRODUCT_ID)
    assert product["object"] == PRODUCT and not product["has_uscc"]
    page = render("public/entity.html", object_link=_object_link, **product)
    assert "<dt>检查对象类型</dt><dd>产品</dd>" in page and "由生产者以本单位身份登录" in page
    assert f'<small class="mono">{PRODUCT_ID}</small>' not in page  # not shown as a credit code


def test_a_project_result_is_objected_to_on_paper() -> None:
    project = {**PRODUCT, "object_kind": "project", "object_kind_label": "项目"}
    page = render("public/result.html", record={**project, **DETAIL})
    assert "对项目的检查结果有异议的，请向本局信用监管科提交书面申请" in page


def test_the_csv_puts_a_products_code_under_object_code_not_credit_code() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_bytes([ORGANISATION, PRODUCT]).decode("utf-8-sig"))))
    entity_row, product_row = rows[0], rows[-1]
    assert entity_row["统一社会信用代码"] == USCC and entity_row["对象编码"] == ""
    assert product_row["统一社会信用代码"] == "" and product_row["对象编码"] == PRODUCT_ID
    assert product_row["检查对象类型"] == "产品"
    assert "商标：海之味" in product_row["检查对象信息"]
    assert "销售场所" not in product_row["检查对象信息"]
