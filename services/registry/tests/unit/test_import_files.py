"""Reading import files: encodings (UTF-8 with or without BOM, GB18030, neither), .xlsx as
Excel stores it, header aliases, the district check, the error cap."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from registry.adapters import files
from registry.domain import imports
from registry.domain.imports import ImportRejected
from spotcheck_common import uscc

HEADER = "统一社会信用代码,名称,主体类型,行业,区域,风险等级,状态,住所"
LINGANG = uscc.synthetic(3, seed=1, area_code="371071")
HUANCUI = uscc.synthetic(1, seed=2, area_code="371002")[0]
DISTRICT = frozenset({"371071"})


def rows_csv(codes: list[str], header: str = HEADER) -> str:
    lines = [header]
    lines += [
        f"{c},威海华海{i}号商贸有限公司,有限责任公司,批发和零售业,草庙子镇,B,存续,临港区{i}号"
        for i, c in enumerate(codes)
    ]
    return "\r\n".join(lines) + "\r\n"


def entities(data: bytes, **kw: Any) -> tuple[files.Table, list[dict[str, Any]]]:
    table, rows = files.validate_file("entities", data, **kw)
    return table, [imports.as_record(imports.ENTITIES, r) for r in rows]


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        (rows_csv(LINGANG).encode("utf-8"), "utf-8"),
        (("\ufeff" + rows_csv(LINGANG)).encode("utf-8"), "utf-8"),
        (rows_csv(LINGANG).encode("gb18030"), "gb18030"),
        (rows_csv(LINGANG).encode("gbk"), "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk"],
)
def test_utf8_and_gb18030_are_detected_and_chinese_names_stay_intact(
    data: bytes, codec: str
) -> None:
    table, rows = entities(data)
    assert table.encoding == codec and table.rows_total == 3
    assert [r["name"] for r in rows] == [f"威海华海{i}号商贸有限公司" for i in range(3)]
    assert rows[0]["uscc"] == LINGANG[0] and rows[0]["address"] == "临港区0号"


def test_a_gb18030_character_outside_gbk_reads_too() -> None:
    name = "𠀾记餐饮店"  # a four-byte GB18030 character (CJK extension B)
    data = rows_csv(LINGANG[:1]).replace("威海华海0号商贸有限公司", name).encode("gb18030")
    _, rows = entities(data)
    assert rows[0]["name"] == name


def test_a_file_that_is_neither_names_line_and_byte() -> None:
    good = rows_csv(LINGANG[:2]).encode("gb18030")
    bad = good + b"\xff\xfe\xfd,x\r\n"  # no encoding reads 0xFF as a lead byte
    with pytest.raises(ImportRejected) as exc:
        entities(bad)
    (error,) = exc.value.errors
    assert error.line == 4 and error.field == "(文件)"
    assert "既不是 UTF-8 也不是 GB18030" in error.reason and f"第{len(good)}字节" in error.reason


def test_a_declared_encoding_overrides_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    gbk = rows_csv(LINGANG).encode("gbk")
    with pytest.raises(ImportRejected) as exc:
        entities(gbk, encoding="utf-8")
    assert "按指定的 UTF-8 编码无法读取：第1行（第4字节）" in exc.value.errors[0].reason
    table, rows = entities(gbk, encoding="gbk")
    assert table.encoding == "gb18030" and rows[2]["name"] == "威海华海2号商贸有限公司"


def test_the_place_of_a_bad_byte_is_exact_across_read_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(files, "BLOCK", 64)  # many blocks, lines cut across them
    codes = uscc.synthetic(40, seed=3, area_code="371071")
    text = rows_csv(codes).encode("utf-8")
    cut = text.index(codes[30].encode())
    data = text[:cut] + b"\x81" + text[cut:]  # not UTF-8; 0x81 0x39 … is not GB18030 either
    with pytest.raises(ImportRejected) as exc:
        entities(data, encoding="utf-8")
    assert f"第32行（第{cut}字节）" in exc.value.errors[0].reason


def test_excel_formats_it_cannot_read_are_named() -> None:
    with pytest.raises(ImportRejected, match=r"\.xls（Excel 97-2003）"):
        entities(files.OLE_MAGIC + b"\0" * 100)
    with pytest.raises(ImportRejected, match="UTF-16"):
        entities("\ufeff统一社会信用代码\t名称\n".encode("utf-16-le"))
    with pytest.raises(ImportRejected, match=r"不是有效的 \.xlsx"):
        entities(files.ZIP_MAGIC + b"broken")


def test_a_quoted_cell_with_a_line_break_keeps_line_numbers_right() -> None:
    text = (
        rows_csv(LINGANG)
        .replace("临港区0号", '"临港区\n0号"')
        .replace(",B,存续,临港区2号", ",Z,存续,x")
    )
    with pytest.raises(ImportRejected) as exc:
        entities(text.encode())
    # The record of line 2 spans lines 2–3, so the third record starts on line 5.
    assert [(e.line, e.field) for e in exc.value.errors] == [(5, "风险等级")]


# -------------------------------------------------------------------------------- headers


def test_english_names_are_aliases_and_other_columns_are_ignored() -> None:
    header = "USCC,name,entity_type,industry,area,risk_class,status,address,备注"
    text = rows_csv(LINGANG[:1], header).replace("临港区0号", "临港区0号,随便写")
    _, rows = entities(text.encode())
    assert rows[0]["uscc"] == LINGANG[0] and rows[0]["risk_class"] == "B"


def test_a_header_naming_one_column_twice_or_missing_one_is_refused() -> None:
    with pytest.raises(ImportRejected) as exc:
        entities(rows_csv(LINGANG[:1], HEADER.replace("名称", "name,名称")).encode())
    assert [(e.line, e.field) for e in exc.value.errors] == [(1, "名称")]
    assert "表头重复" in exc.value.errors[0].reason
    with pytest.raises(ImportRejected) as missing:
        entities(rows_csv([], HEADER.replace(",风险等级", "")).encode())
    assert [(e.line, e.field, e.reason) for e in missing.value.errors] == [
        (1, "风险等级", "表头缺少该列")
    ]


# ------------------------------------------------------------------------------- the USCC


def test_lower_case_is_upper_cased_full_width_and_invisible_characters_are_refused() -> None:
    code = next(c for c in uscc.synthetic(50, seed=4, area_code="371071") if c[-1].isalpha())
    full_width = code[:-1] + chr(ord(code[-1]) - 0x21 + 0xFF01)
    text = rows_csv([code.lower(), full_width, code[:5] + "\u200b" + code[5:]])
    with pytest.raises(ImportRejected) as exc:
        entities(text.encode(), divisions=DISTRICT)
    reasons = {e.line: e.reason for e in exc.value.errors}
    assert 2 not in reasons  # the lower-case code is the same code
    assert reasons[3].startswith("含全角字符") and reasons[4] == "含不可见字符（U+200B）"
    _, rows = entities(rows_csv([code.lower()]).encode())
    assert rows[0]["uscc"] == code


def test_an_entity_of_another_district_is_refused_with_line_column_and_reason() -> None:
    text = rows_csv([LINGANG[0], HUANCUI, LINGANG[1]])
    with pytest.raises(ImportRejected) as exc:
        entities(text.encode(), divisions=DISTRICT)
    (error,) = exc.value.errors
    assert (error.line, error.column, error.field) == (3, 1, "统一社会信用代码")
    assert error.reason == "登记机关行政区划代码 371002 不属于本区（371071）"
    # A district registering in two divisions takes both.
    _, rows = entities(text.encode(), divisions=frozenset({"371071", "371002"}))
    assert len(rows) == 3


def test_errors_past_a_thousand_are_counted_not_listed() -> None:
    codes = uscc.synthetic(1500, seed=5, area_code="371071")
    text = rows_csv(codes).replace(",B,存续,", ",F,存续,")
    with pytest.raises(ImportRejected) as exc:
        entities(text.encode())
    assert exc.value.total == 1500 and len(exc.value.errors) == imports.MAX_ERRORS
    assert exc.value.errors[0].line == 2 and exc.value.errors[-1].line == 1001


# ---------------------------------------------------------------------------------- .xlsx


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    first = True
    for title, rows in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


INSPECTOR_HEADER = [
    "执法人员编号",
    "姓名",
    "科室",
    "检查资格",
    "可任组长",
    "执法证有效期至",
    "在岗",
]


def test_an_xlsx_sheet_reads_cells_as_excel_stores_them() -> None:
    data = workbook(
        {
            "名单": [
                ["临港区执法检查人员名录"],  # a title row above the header
                INSPECTOR_HEADER,
                [
                    "LG0001",
                    "王伟",
                    "市场规范管理科",
                    "企业公示信息；登记事项",
                    "是",
                    datetime(2028, 12, 31),
                    True,
                ],
                [1002, "李娜", "食品安全监督管理科", None, False, "2027/6/30", "否"],
                [],
                ["LG0003", "赵敏", "信用监管科", "", "否", "2029-01-01"],  # short row: padded
            ]
        }
    )
    table, rows = files.validate_file("inspectors", data, filename="人员.xlsx")
    assert (table.format, table.sheet, table.encoding) == ("xlsx", "名单", None)
    records = [imports.as_record(imports.INSPECTORS, r) for r in rows]
    assert records[0]["qualifications"] == ["企业公示信息", "登记事项"]
    assert records[0]["certificate_expires_on"].isoformat() == "2028-12-31"
    assert records[0]["active"] is True and records[0]["leader_qualified"] is True
    assert records[1]["inspector_id"] == "1002" and records[1]["leader_qualified"] is False
    assert records[1]["certificate_expires_on"].isoformat() == "2027-06-30"
    assert records[2]["active"] is False  # the missing 在岗 cell is empty: 否


def test_an_xlsx_names_the_row_and_a_named_sheet_is_read() -> None:
    sheets = {
        "说明": [["这一页不是名单"]],
        "市场主体": [
            HEADER.split(","),
            [LINGANG[0], "甲", "个体工商户", "餐饮", "镇", "A", "存续"],
            [9.13710712345678e17, "乙", "个体工商户", "餐饮", "镇", "A", "存续"],
        ],
    }
    with pytest.raises(ImportRejected) as exc:
        files.validate_file("entities", workbook(sheets), sheet="市场主体")
    (error,) = exc.value.errors
    assert (error.line, error.column, error.field) == (3, 1, "统一社会信用代码")
    assert "数字格式" in error.reason
    with pytest.raises(ImportRejected, match="没有名为「名单」的工作表（有：说明、市场主体）"):
        files.validate_file("entities", workbook(sheets), sheet="名单")
    with pytest.raises(ImportRejected) as first:  # default: the first sheet, which is no list
        files.validate_file("entities", workbook(sheets))
    assert {e.reason for e in first.value.errors} == {"表头缺少该列"}


# ------------------------------------------------------------------------------- spooling


async def test_spooling_refuses_past_the_limit_and_leaves_no_file(tmp_path: Path) -> None:
    async def body() -> Any:
        for _ in range(10):
            yield b"x" * 1000

    spooled = await files.spool(body(), tmp_path, 10_000)
    assert spooled.size == 10_000
    assert await asyncio.to_thread(spooled.path.read_bytes) == b"x" * 10_000
    spooled.remove()
    with pytest.raises(files.TooLarge):
        await files.spool(body(), tmp_path, 9_999)
    assert await asyncio.to_thread(lambda: list(tmp_path.iterdir())) == []


def test_every_imported_text_fits_its_registers_column() -> None:
    """The widths an import enforces are the tables' (a longer text was a database error on
    PostgreSQL): a column added or widened in one place and not the other fails here."""
    from registry.adapters import orm

    tables = {
        "entities": orm.entities,
        "inspectors": orm.inspectors,
        "experts": orm.experts,
        "check-items": orm.check_items,
        "external-inspectors": orm.external_inspectors,
        # Objects without a USCC: their details are JSON; 行业 and 区域 are the entities'.
        "products": orm.entities,
        "projects": orm.entities,
        "conducts": orm.entities,
    }
    for kind in imports.KINDS.values():
        table = tables[kind.name]
        for column in kind.columns:
            free_text = column.parse in (imports._text, imports._optional_text)
            if not free_text or column.field not in table.c:
                continue  # codes, classes and statuses have their own parsers
            width = getattr(table.c[column.field].type, "length", None)
            assert column.max_length == width, (kind.name, column.field, column.max_length, width)
