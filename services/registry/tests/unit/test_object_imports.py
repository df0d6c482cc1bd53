"""Inspection objects beyond market entities (第一条, ADR 0011) in the registry: organisations of
any registration authority through the entities list, and products, projects and conducts
through lists of their own — each row an entity under the id the registry assigns, stable
import after import, every refusal naming line and column."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from registry.adapters import demo, files, reader, templates
from registry.domain import imports
from registry.domain.imports import ImportRejected
from registry.entrypoints.cli import _summary, main
from spotcheck_common import objects, uscc
from spotcheck_common.events.registry import EntitySnapshot
from spotcheck_common.objects import ObjectKind
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, running

PRODUCER = uscc.synthetic(1, seed=7, area_code="371071")[0]
ELSEWHERE = uscc.synthetic(1, seed=8, area_code="370100")[0]  # a producer outside the district
PRODUCT_HEADER = (
    "生产者统一社会信用代码,产品名称,商标,规格型号,生产日期或批号,生产者名称,销售场所,"
    "行业,区域,风险等级"
)
WATER = (
    f"{PRODUCER},饮用天然泉水,临港泉,550mL/瓶,20261008,威海华海食品有限公司,华海超市,"
    "食品制造业,草庙子镇,C"
)
INSTITUTION = "12371071MB28541933"  # 事业单位 (机构编制 12)
ASSOCIATION = "51371071MJ0000001N"  # 社会团体 (民政 51)
WRONG_CHECK = PRODUCER[:-1] + ("1" if PRODUCER[-1] != "1" else "2")


def csv_of(header: str, *rows: str) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def rows_of(kind: str, data: bytes, **kw: Any) -> list[dict[str, Any]]:
    _, rows = files.validate_file(kind, data, **kw)
    return [imports.as_record(imports.KINDS[kind], r) for r in rows]


def refused(kind: str, data: bytes, filename: str = "") -> list[tuple[int, str, int | None, str]]:
    with pytest.raises(ImportRejected) as exc:
        files.validate_file(kind, data, filename)
    return [(e.line, e.field, e.column, e.reason) for e in exc.value.errors]


# ----------------------------------------------------------------------------- products


def test_a_product_becomes_an_entity_row_under_its_assigned_id() -> None:
    (row,) = rows_of("products", csv_of(PRODUCT_HEADER, WATER))
    details = {
        "producer_uscc": PRODUCER,
        "product_name": "饮用天然泉水",
        "brand": "临港泉",
        "specification": "550mL/瓶",
        "batch": "20261008",
        "producer_name": "威海华海食品有限公司",
        "sold_at": "华海超市",
    }
    assert row == {
        "uscc": objects.assigned_id(ObjectKind.PRODUCT, details),
        "name": "临港泉 饮用天然泉水 550mL/瓶（20261008）",
        "entity_type": "产品",
        "industry": "食品制造业",
        "area": "草庙子镇",
        "risk_class": "C",
        "status": "active",
        "address": "华海超市",
        "details": details,
    }
    assert objects.kind_of(row["uscc"]) is ObjectKind.PRODUCT
    assert objects.validate(row["uscc"]) is None


def test_the_same_product_keeps_its_id_and_another_batch_is_another_object() -> None:
    (first,) = rows_of("products", csv_of(PRODUCT_HEADER, WATER))
    # Not identifying: the producer's name and where it is sold; case of the code neither.
    renamed = WATER.replace("威海华海食品有限公司", "华海食品").replace("华海超市", "别处")
    renamed = renamed.replace(PRODUCER, PRODUCER.lower())
    (again,) = rows_of("products", csv_of(PRODUCT_HEADER, renamed))
    assert again["uscc"] == first["uscc"] and again["details"]["sold_at"] == "别处"
    other = rows_of("products", csv_of(PRODUCT_HEADER, WATER.replace("20261008", "20261015")))
    assert other[0]["uscc"] != first["uscc"]


def test_a_producer_outside_the_district_is_accepted() -> None:
    (row,) = rows_of(
        "products",
        csv_of(PRODUCT_HEADER, WATER.replace(PRODUCER, ELSEWHERE)),
        divisions=frozenset({"371071"}),
    )
    assert row["details"]["producer_uscc"] == ELSEWHERE


def test_the_same_product_twice_in_a_file_names_both_lines() -> None:
    errors = refused("products", csv_of(PRODUCT_HEADER, WATER, WATER.replace("华海超市", "别处")))
    assert errors == [
        (
            3,
            "生产者统一社会信用代码",
            1,
            "与第2行是同一产品（生产者统一社会信用代码、产品名称、商标、规格型号、"
            "生产日期或批号相同）",
        )
    ]


@pytest.mark.parametrize(
    ("bad", "field", "column", "reason"),
    [
        (WATER.replace(PRODUCER, WRONG_CHECK), "生产者统一社会信用代码", 1, "校验码"),
        (WATER.replace(PRODUCER, "Z" + PRODUCER[1:]), "生产者统一社会信用代码", 1, "非法字符"),
        (WATER.replace("饮用天然泉水", " "), "产品名称", 2, "不能为空"),
        (WATER.replace("临港泉", "商" * 41), "商标", 3, "长度不能超过 40"),
        (WATER.replace(",C", ",F"), "风险等级", 10, "A、B、C、D、E"),
        (WATER.replace("草庙子镇", ""), "区域", 9, "不能为空"),
    ],
    ids=["check-char", "z-namespace", "empty-name", "too-long", "risk", "empty-area"],
)
def test_each_bad_cell_is_named_by_line_and_column(
    bad: str, field: str, column: int, reason: str
) -> None:
    ((line, named, at, why),) = refused("products", csv_of(PRODUCT_HEADER, WATER, bad))
    assert (line, named, at) == (3, field, column) and reason in why


def test_a_missing_column_and_a_short_row_are_refused() -> None:
    header = PRODUCT_HEADER.replace(",风险等级", "")
    assert refused("products", csv_of(header, WATER[: WATER.rindex(",")])) == [
        (1, "风险等级", None, "表头缺少该列")
    ]
    assert refused("products", csv_of(PRODUCT_HEADER, "a,b")) == [
        (2, "(整行)", None, "应有10列，实为2列".replace("实为", "实有"))
    ]


def test_a_workbook_of_products_reads_like_the_csv() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(PRODUCT_HEADER.split(","))
    # Excel keeps a batch typed as a number as a number, and a date as a date.
    cells: list[Any] = WATER.split(",")
    cells[4] = 20261008
    sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    (from_book,) = rows_of("products", out.getvalue(), filename="产品.xlsx")
    (from_csv,) = rows_of("products", csv_of(PRODUCT_HEADER, WATER))
    assert from_book == from_csv


@pytest.mark.parametrize("kind", ["products", "projects", "conducts"])
def test_the_longest_cells_make_a_name_and_address_the_register_holds(kind: str) -> None:
    from registry.adapters import orm

    k = imports.KINDS[kind]
    assert k.derive is not None
    widest = [
        PRODUCER
        if c.field == "producer_uscc"
        else "C"
        if c.field == "risk_class"
        else "字" * (c.max_length or 1)
        for c in k.columns
    ]
    row = dict(zip(k.stored, k.derive(tuple(widest)), strict=True))
    for field in ("name", "address"):
        assert len(row[field]) <= orm.entities.c[field].type.length, field  # type: ignore[attr-defined]


def test_the_reader_hands_over_products_as_copy_rows_and_event_documents(
    tmp_path: Path,
) -> None:
    """What the import writes and sends: COPY text with the details as JSON, and each row's
    document byte for byte what pydantic writes for its EntitySnapshot, details included."""
    path = tmp_path / "products.csv"
    path.write_bytes(demo.demo_products())
    spec = reader.ReadSpec(kind="products", path=str(path), output="copy", chunk_rows=4)
    chunks = [m for m in reader.produce(spec) if isinstance(m, reader.Chunk)]
    assert [c.rows for c in chunks] == [4, 2]
    _, rows = files.validate_file("products", demo.demo_products())
    expected = [
        EntitySnapshot(**dict(zip(imports.PRODUCTS.stored, r, strict=True))).model_dump_json()
        for r in rows
    ]
    assert [d for c in chunks for d in c.docs or []] == expected
    copied = [line.split("\t") for c in chunks for line in c.data.decode().splitlines()]
    assert {json.loads(line[-1])["batch"] for line in copied} == {
        batch for *_, batch, _, _ in demo.DEMO_PRODUCTS
    }


def test_the_cli_checks_a_product_list_and_names_what_an_import_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "products.csv"
    path.write_bytes(demo.demo_products())
    assert main(["check", "products", str(path)]) == 0
    assert f"{len(demo.DEMO_PRODUCTS)} 行，全部有效" in capsys.readouterr().out
    report = {"kind": "products", "imported": 6, "new": 0, "updated": 1, "unchanged": 5}
    summary = _summary({**report, "updated_fields": {"address": 1, "details": 1}})
    assert "更新 1（住所 1、对象信息 1）" in summary


# ----------------------------------------------------------------------- projects, conducts


def test_projects_are_keyed_by_their_code() -> None:
    header = "项目编号,项目名称,建设或实施单位,项目地点,行业,区域,风险等级"
    line = "LG-JS-2026-001,农贸市场改造工程,威海华海建设有限公司,草庙子镇大街,建筑业,草庙子镇,B"
    (row,) = rows_of("projects", csv_of(header, line))
    assert objects.kind_of(row["uscc"]) is ObjectKind.PROJECT
    assert (row["name"], row["entity_type"], row["address"]) == (
        "农贸市场改造工程",
        "项目",
        "草庙子镇大街",
    )
    (renamed,) = rows_of("projects", csv_of(header, line.replace("农贸市场", "集贸市场")))
    assert renamed["uscc"] == row["uscc"]
    errors = refused("projects", csv_of(header, line, line.replace("改造", "扩建")))
    assert errors == [(3, "项目编号", 1, "与第2行是同一项目（项目编号相同）")]


def test_conducts_are_keyed_by_activity_place_and_period() -> None:
    header = "行为类别,地点,期间,行为人,行业,区域,风险等级"
    line = "户外广告发布,草庙子镇中心大街,2026年第三季度,,租赁和商务服务业,草庙子镇,B"
    (row,) = rows_of("conducts", csv_of(header, line))
    assert objects.kind_of(row["uscc"]) is ObjectKind.CONDUCT
    assert row["name"] == "户外广告发布，草庙子镇中心大街" and row["details"]["actor"] == ""
    later = rows_of("conducts", csv_of(header, line.replace("第三", "第四")))
    assert later[0]["uscc"] != row["uscc"]
    assert refused("conducts", csv_of(header, line.replace("草庙子镇中心大街", ""))) == [
        (2, "地点", 2, "不能为空")
    ]


def test_each_list_has_its_template_with_the_columns_it_reads() -> None:
    for kind, head in (("products", PRODUCT_HEADER), ("projects", "项目编号,项目名称")):
        text = templates.template_csv(imports.KINDS[kind]).decode("utf-8-sig")
        assert text.startswith(head)
    book = templates.template_xlsx(imports.PRODUCTS)
    assert book[:2] == b"PK"


# -------------------------------------------------------------------------- organisations


def test_organisations_of_other_authorities_import_as_entities() -> None:
    header = "统一社会信用代码,名称,主体类型,行业,区域,风险等级,状态,住所"
    rows = rows_of(
        "entities",
        csv_of(
            header,
            f"{INSTITUTION},临港区草庙子镇中心卫生院,事业单位,卫生和社会工作,草庙子镇,B,存续,",
            f"{ASSOCIATION},临港区个体劳动者协会,社会团体,社会组织,草庙子镇,B,存续,",
        ),
        divisions=frozenset({"371071"}),
    )
    kinds = [objects.kind_of(r["uscc"]) for r in rows]
    assert kinds == [ObjectKind.INSTITUTION, ObjectKind.SOCIAL_ORGANISATION]


def test_no_object_id_falls_in_two_kinds_prefix_ranges() -> None:
    """The register filters a kind by the prefix of the code; ``kind_of`` reads the same."""
    samples = [
        "913710713AGYGLUY31",
        "92371071MA3C000016",
        INSTITUTION,
        "11371071MB0000001X",
        ASSOCIATION,
        "53371071MJ0000003X",
        "31371071MD0000001X",
        "Y1371071MD0000001X",
        objects.assigned_id(ObjectKind.PRODUCT, {"product_name": "水"}),
        objects.assigned_id(ObjectKind.PROJECT, {"project_code": "1"}),
        objects.assigned_id(ObjectKind.CONDUCT, {"activity": "广告"}),
    ]
    for code in samples:
        kind = objects.kind_of(code)
        matching = [k for k, ps in objects.PREFIXES.items() if code.startswith(ps)]  # one at most
        assert matching == ([] if kind is ObjectKind.OTHER_ORGANISATION else [kind]), code


# ------------------------------------------------------------------ the service (SQLite)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, auth_secret=TEST_SECRET, import_wait_s=60, division_codes="371071"
    )


async def test_objects_of_every_kind_are_listed_and_filtered_by_kind(settings: Settings) -> None:
    async with running("registry", settings) as h:
        headers = auth_headers("xinyong-li", "credit_dept", district=h.district)
        post = h.client.post
        organisations = demo.demo_organisations()
        answer = await post("/api/registry/entities/import", content=organisations, headers=headers)
        assert answer.status_code == 200, answer.text
        answer = await post(
            "/api/registry/products/import", content=demo.demo_products(), headers=headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["new"] == len(demo.DEMO_PRODUCTS)
        again = await post(
            "/api/registry/products/import", content=demo.demo_products(), headers=headers
        )
        assert (again.json()["new"], again.json()["unchanged"]) == (0, len(demo.DEMO_PRODUCTS))
        moved = demo.demo_products().replace("1号超市".encode(), "10号超市".encode())
        moved_answer = await post("/api/registry/products/import", content=moved, headers=headers)
        report = moved_answer.json()
        assert (report["new"], report["updated"]) == (0, 1)
        assert report["updated_fields"] == {"address": 1, "details": 1}

        found = await h.client.get("/api/registry/entities?kind=institution", headers=headers)
        items = found.json()["items"]
        assert {i["uscc"] for i in items} == {c for c, *_ in demo.DEMO_ORGANISATIONS[:2]}
        assert {(i["object_kind"], i["object_kind_label"]) for i in items} == {
            ("institution", "事业单位")
        }
        products = await h.client.get("/api/registry/entities?kind=product", headers=headers)
        assert products.json()["total"] == len(demo.DEMO_PRODUCTS)
        one = products.json()["items"][0]
        assert one["details"]["product_name"] and one["object_kind_label"] == "产品"
        assert (
            await h.client.get(f"/api/registry/entities/{one['uscc']}", headers=headers)
        ).json()["details"] == one["details"]
        first, moved_event = [
            e["payload"]["entities"]
            for e in await h.outbox("registry.entities-imported")
            if e["payload"]["entities"][0]["uscc"].startswith("ZP")
        ]
        assert len(first) == len(demo.DEMO_PRODUCTS) and len(moved_event) == 1  # what changed
        sent = {e["uscc"]: e["details"] for e in first + moved_event}  # the latest of each
        assert sent[one["uscc"]] == one["details"]
