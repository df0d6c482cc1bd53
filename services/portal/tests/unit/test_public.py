"""The public site's pages from the services' public answers (a fake API): the search's
filters and the CSV, where a draw stands in the log, an entity's proofs."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

from portal.adapters.api import Api, ApiError
from portal.domain.public import ResultFilters, csv_bytes, is_object_code, log_places
from portal.service_layer import public

from .fakes import FakeApi

USCC = "91371071MA3C000011"
RESULT = {
    "record_id": "r1",
    "uscc": USCC,
    "entity_name": "临港某公司",
    "area": "草庙子镇",
    "plan_no": "JH-1",
    "plan_name": "计划",
    "task_no": "LG-T-1",
    "task_name": "公示信息抽查",
    "check_type": "",
    "inspecting_authority": "临港区市场监管局",
    "completed_on": "2026-11-10",
    "current_version": 2,
    "corrected": True,
    "remark": "",
    "results": [
        {"check_item_code": "A", "check_item_name": "年报", "category": "未发现问题"},
        {
            "check_item_code": "B",
            "check_item_name": "登记",
            "category": "发现问题待后续处理",
            "pending_reason": "未按规定公示应当公示的信息",
        },
    ],
}
LOG = {
    "district": "lingang",
    "records": [
        {"hash": "h1", "record": {"seq": 1, "kind": "frozen", "draw_id": "d1", "at": "t"}},
        {"hash": "h2", "record": {"seq": 2, "kind": "frozen", "draw_id": "d2", "at": "t"}},
        {
            "hash": "h3",
            "record": {"seq": 3, "kind": "committed", "draw_id": "d1", "party": "办公室"},
        },
    ],
    "head": {"seq": 3, "hash": "h3"},
}


def test_filters_keep_what_was_searched_and_drop_what_cannot_be() -> None:
    f = ResultFilters.of({"q": " 某公司 ", "category": "注销", "from": "2026-01-01", "to": "x"})
    assert f.query() == {"q": "某公司", "category": "注销", "from": "2026-01-01"}
    assert (
        f.link("/results")
        == "/results?q=%E6%9F%90%E5%85%AC%E5%8F%B8&category=%E6%B3%A8%E9%94%80&from=2026-01-01&"
    )
    assert ResultFilters.of({"category": "不是结果"}).query() == {}
    assert ResultFilters().link("/results") == "/results?"


def test_filters_keep_the_area_as_typed_for_an_exact_search() -> None:
    f = ResultFilters.of({"area": " 草庙子镇 ", "task_no": "LG-T-1"})
    assert f.area == "草庙子镇"
    assert f.query() == {"task_no": "LG-T-1", "area": "草庙子镇"}
    assert (
        f.link("/results.csv")
        == "/results.csv?task_no=LG-T-1&area=%E8%8D%89%E5%BA%99%E5%AD%90%E9%95%87&"
    )
    assert len(ResultFilters.of({"area": "镇" * 300}).area) == 100  # the API's limit
    # a USCC with an area is a search, not the entity's page
    assert ResultFilters.of({"uscc": USCC, "area": "草庙子镇"}).entity == ""


def test_a_search_by_one_uscc_names_the_entity() -> None:
    assert ResultFilters.of({"q": USCC.lower()}).entity == USCC
    assert ResultFilters.of({"uscc": USCC}).entity == USCC
    assert ResultFilters.of({"uscc": USCC, "category": "注销"}).entity == ""
    assert ResultFilters.of({"q": "某公司"}).entity == ""
    assert is_object_code(USCC) and not is_object_code(USCC[:-1] + "I")


def test_the_csv_has_a_bom_and_one_row_per_check_item() -> None:
    data = csv_bytes([RESULT])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["公示记录编号", "统一社会信用代码", "主体名称", "区域"]
    assert len(rows) == 3
    assert rows[1][3] == rows[2][3] == "草庙子镇"
    assert rows[2][12:14] == ["发现问题待后续处理", "未按规定公示应当公示的信息"]
    assert rows[1][rows[0].index("是否经更正")] == "是"


def test_a_draws_places_in_the_log_are_its_own_in_chain_order() -> None:
    places = log_places(LOG, "d1")
    assert [(p.seq, p.kind_label, p.party) for p in places] == [
        (1, "清单冻结", ""),
        (3, "提交种子承诺", "办公室"),
    ]


async def test_all_results_for_the_csv_are_read_page_by_page() -> None:
    def page(query: dict[str, Any]) -> dict[str, Any]:
        items = [{**RESULT, "record_id": f"r{i}"} for i in range(450)]
        return {"total": 450, "items": items[query["offset"] : query["offset"] + query["limit"]]}

    api = FakeApi({"/public/results": page})
    found = await public.all_results(cast(Api, api), ResultFilters.of({"task_no": "LG-T-1"}))
    assert len(found) == 450
    assert [c[2]["offset"] for c in api.calls] == [0, 200, 400]
    assert all(c[2]["task_no"] == "LG-T-1" for c in api.calls)
    api = FakeApi({"/public/results": page})
    await public.all_results(cast(Api, api), ResultFilters.of({"area": "草庙子镇"}))
    assert all(c[2]["area"] == "草庙子镇" for c in api.calls)  # the CSV keeps the filter


async def test_a_task_page_lists_its_draws_with_their_log_records() -> None:
    api = FakeApi(
        {
            "/public/tasks/t1": {"task_id": "t1", "task_no": "LG-T-1", "title": "任务"},
            "/public/draws": {"total": 1, "items": [{"draw_id": "d1", "status": "completed"}]},
            "/public/draws/log": LOG,
            "/public/draws/log/head": LOG["head"],
            "/public/results": {"total": 1, "items": [RESULT]},
            "/public/results/withheld-count": {"total": 2},
        }
    )
    page = await public.task(cast(Api, api), "t1")
    (row,) = page["draws"]
    assert [p.seq for p in row.places] == [1, 3]
    assert page["withheld"] == 2
    assert ("GET", "/public/draws", {"task_id": "t1"}) in api.calls


async def test_an_unfinished_draw_shows_its_manifest_without_a_bundle() -> None:
    api = FakeApi(
        {
            "/public/draws/d1/manifest": {"manifest": {}, "status": "frozen", "commitments": []},
            "/public/draws/d1/bundle": ApiError(409, "抽取尚未完成，暂无可验证的数据包"),
            "/public/draws/log": LOG,
        }
    )
    page = await public.draw(cast(Api, api), "d1")
    assert page["body"] is None and page["summary"] is None
    assert [p.seq for p in page["places"]] == [1, 3]


async def test_an_entitys_page_has_a_proof_per_recent_draw_not_cancelled() -> None:
    draws = [
        {"draw_id": "d1", "status": "completed", "task_no": "T1"},
        {"draw_id": "d2", "status": "cancelled", "task_no": "T2"},
        {"draw_id": "d3", "status": "frozen", "task_no": "T3"},
    ]
    api = FakeApi(
        {
            "/public/results": {"total": 1, "items": [RESULT]},
            "/public/draws": {"total": 3, "items": draws},
            f"/public/draws/d1/proof/{USCC}": {"included": True},
            f"/public/draws/d3/proof/{USCC}": {"included": False},
        }
    )
    page = await public.entity(cast(Api, api), USCC)
    assert page["name"] == "临港某公司"
    assert [(r.draw["draw_id"], r.proof) for r in page["draws"]] == [
        ("d3", {"included": False}),
        ("d1", {"included": True}),
    ]
