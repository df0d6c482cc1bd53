"""The reading process: the same rows and the same errors (line, column, reason) as reading row
by row, whether a CSV block is checked a column at a time or not; documents that are
pydantic's bytes; CSV blocks split as csv splits them; workbooks read as openpyxl reads them;
a reader that crashes or dies fails the import."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from registry.adapters import files, reader
from registry.domain import imports
from spotcheck_common import uscc
from spotcheck_common.events.registry import EntitySnapshot, ExpertSnapshot, InspectorSnapshot

from .test_import_files import HEADER, HUANCUI

DISTRICT = frozenset({"371071"})
CODES = uscc.synthetic(400, seed=31, area_code="371071")


def row(code: str, i: int, risk: str = "B", status: str = "存续", name: str = "") -> str:
    name = name or f"临港{i}号商贸有限公司"
    return f"{code},{name},有限责任公司,批发和零售业,草庙子镇,{risk},{status},临港区{i}号"


def messy_csv() -> str:
    """Good rows with every kind of trouble among them, some quoted, one across lines."""
    lines = [HEADER]
    for i, code in enumerate(CODES):
        if i == 17:
            lines.append(row(code.lower(), i))  # fine: upper-cased
        elif i == 40:
            lines.append("")  # a blank line
        elif i == 55:
            lines.append(row(f" {code} ", i, risk=" e "))  # fine: trimmed
        elif i == 90:
            lines.append(row(code, i, risk="F"))  # bad risk class
        elif i == 120:
            lines.append(row(HUANCUI, i))  # another district
        elif i == 150:
            lines.append(row(CODES[3], i))  # a duplicate
        elif i == 200:
            lines.append(row(code, i, name='"临港\n多行,名称"'))  # quoted, across two lines
        elif i == 260:
            lines.append(row(code, i) + ",多一列")  # a stray comma
        elif i == 300:
            lines.append(row(code[:-1] + ("0" if code[-1] != "0" else "1"), i))  # check digit
        elif i == 330:
            lines.append(row(code, i, status="在业", name="名\x00称"))  # a NUL
        else:
            lines.append(row(code, i))
    return "\r\n".join(lines) + "\r\n"


def errors_of(e: Any) -> list[tuple[int, int | None, str, str]]:
    return [(x.line, x.column, x.field, x.reason) for x in e]


def produced(data: bytes, tmp_path: Path, output: str = "rows") -> list[reader.Message]:
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    spec = reader.ReadSpec(
        kind="entities",
        path=str(path),
        output=output,
        divisions=DISTRICT,
        stage=str(tmp_path / "stage.db"),
        chunk_rows=50,
    )
    return list(reader.produce(spec))


@pytest.mark.parametrize("block", [files.BLOCK, 700])
def test_blocks_give_the_rows_and_errors_of_reading_row_by_row(
    block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small read blocks put a quoted record across two of them and make most blocks
    plainly good (checked a column at a time) and some not (read row by row)."""
    monkeypatch.setattr(files, "BLOCK", block)
    data = messy_csv().encode()
    with pytest.raises(imports.ImportRejected) as reference:
        files.validate_file("entities", data, divisions=DISTRICT)
    *_, done = produced(data, tmp_path)
    assert isinstance(done, reader.Done)
    assert done.errors_total == reference.value.total == 6
    assert errors_of(done.errors) == errors_of(reference.value.errors)
    assert [e.line for e in done.errors] == [92, 122, 152, 263, 303, 333]
    # Without the bad rows every row is kept, with the values reading row by row gives.
    good = "\r\n".join(
        x
        for n, x in enumerate(messy_csv().split("\r\n"))
        if n - 1 not in (90, 120, 150, 260, 300, 330)
    ).encode()
    _, expected = files.validate_file("entities", good, divisions=DISTRICT)
    messages = produced(good, tmp_path)
    chunks = [m for m in messages if isinstance(m, reader.Chunk)]
    got = [values for c in chunks for _, values in c.data]
    assert got == expected and len(got) == 400 - 1 - 6  # a blank line, six bad rows
    assert sum(c.rows for c in chunks) == len(got)


def test_the_copy_chunks_carry_every_rows_document_in_file_order(tmp_path: Path) -> None:
    data = "\r\n".join([HEADER, *(row(c, i) for i, c in enumerate(CODES[:120]))]).encode()
    chunks = [m for m in produced(data, tmp_path, "copy") if isinstance(m, reader.Chunk)]
    lines = [line for c in chunks for line in c.lines or []]
    assert lines == list(range(2, 122))
    docs = [doc for c in chunks for doc in c.docs or []]
    _, rows = files.validate_file("entities", data)
    # An organisation's row leaves out its details: empty, the field's default (ADR 0011).
    assert docs == [
        EntitySnapshot(**imports.as_record(imports.ENTITIES, r)).model_dump_json(
            exclude={"details"}
        )
        for r in rows
    ]
    copied = b"".join(c.data for c in chunks).decode().splitlines()
    assert len(copied) == 120 and copied[0].split("\t")[1] < copied[1].split("\t")[1]


@pytest.mark.parametrize(
    "name",
    ["名𠀾记", 'a"b', "a\\b", "a\tb", "a\nb", "a\x01b", "a\x7fb\u2028c", "全角，标点"],
)
def test_documents_are_what_pydantic_writes(name: str) -> None:
    values = [CODES[0], name, "有限责任公司", "批发和零售业", "草庙子镇", "B", "active", ""]
    columns = [[v, v] for v in values]
    copy = [(str(n), *values) for n in (2, 3)]
    data, text = reader.copy_text(copy)
    entity = EntitySnapshot(**imports.as_record(imports.ENTITIES, values))
    expected = entity.model_dump_json(exclude={"details"})  # an organisation's: empty
    assert reader.documents(imports.ENTITIES, columns, text) == [expected, expected]
    assert reader.documents(imports.ENTITIES, columns) == [expected, expected]
    # A product's details are JSON the way pydantic writes them too.
    product = entity.model_copy(update={"details": {"product_name": name, "brand": ""}})
    stored = [*values, product.details]
    assert reader.documents(imports.PRODUCTS, [[v] for v in stored]) == [product.model_dump_json()]
    # The COPY text says the same to PostgreSQL (its escapes undone).
    first = data.decode().split("\n")[0].split("\t")
    unescaped = [
        f.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")
        for f in first
    ]
    assert unescaped == ["2", *values]


def test_documents_of_rosters_are_what_pydantic_writes() -> None:
    inspector = ("LG1", "王伟", "科", ["企业公示", 'a"b'], True, date(2028, 12, 31), False)
    columns = [[v] for v in inspector]
    (doc,) = reader.documents(imports.INSPECTORS, columns)
    expected = InspectorSnapshot(**imports.as_record(imports.INSPECTORS, inspector))
    assert doc == expected.model_dump_json()
    expert = ("ZJ1", "李芳", "食品安全", "", True)
    (doc,) = reader.documents(imports.EXPERTS, [[v] for v in expert])
    assert doc == ExpertSnapshot(**imports.as_record(imports.EXPERTS, expert)).model_dump_json()


@pytest.mark.parametrize(
    "text",
    [
        "a,b\r\nc,d\r\n",
        "a,b\n\n\nc,d",  # blank lines, no line break at the end
        "a,b\n" + 'x,"1\n2",y\n' * 3 + "c,d\n" * 50,  # quoted cells spanning lines
        "a,b\n" + "c,d\n" * 80 + '"q,1",2\n' + "e,f\n" * 80,  # quotes only half-way
        ",,\n , \n",
    ],
)
def test_csv_blocks_are_what_csv_reads(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "BLOCK", 64)
    reference = csv.reader(io.StringIO(text, newline=""), strict=True)
    expected = []
    previous = 0
    for record in reference:
        expected.append((previous + 1, record))
        previous = reference.line_num
    got = list(files._flatten(files._csv_blocks(io.BytesIO(text.encode()), "utf-8", False)))
    assert got == expected


def odd_workbook(write_only: bool = False) -> bytes:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("名单") if write_only else book.active
    assert sheet is not None
    rows: list[list[Any]] = [
        ["标题"],
        [],
        ["a", 1, 2.5, True, False, datetime(2028, 12, 31), date(2027, 6, 30), None, "x"],
        [None, None, "只有第三格"],
        [9.13710712345678e17, 1002, "=1+1", "  空格  ", "多\n行"],
    ]
    for values in rows:
        sheet.append(values)
    if not write_only:
        sheet.cell(row=7, column=2, value=45000).number_format = "yyyy-mm-dd"
        sheet.cell(row=7, column=3, value=0.5).number_format = "h:mm"
        sheet.cell(row=7, column=4, value=1.5).number_format = "[h]:mm:ss"
        sheet.cell(row=9, column=12, value="远处")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("write_only", [False, True], ids=["shared-strings", "inline-strings"])
def test_workbooks_read_as_openpyxl_reads_them(write_only: bool) -> None:
    data = odd_workbook(write_only)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    sheet.reset_dimensions()
    expected = []
    for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            expected.append((n, cells))
    table = files.open_table(data, "x.xlsx")
    got = []
    for n, cells in table.rows:
        cells = list(cells)
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            got.append((n, cells))
    assert got == expected
    assert table.sheet == sheet.title


async def test_a_reader_that_crashes_or_dies_fails_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = reader.ReadSpec(kind="entities", path=str(tmp_path / "gone.csv"), output="rows")
    with pytest.raises(reader.ReaderFailed, match="FileNotFoundError"):
        async for _ in reader.read(missing):
            pass

    started: list[subprocess.Popen[bytes]] = []
    real = reader._start

    def keep() -> tuple[subprocess.Popen[bytes], int, int]:
        process, down, up = real()
        started.append(process)
        return process, down, up

    monkeypatch.setattr(reader, "_start", keep)
    big = tmp_path / "big.csv"  # more blocks of 1 MiB (a chunk each) than may go unanswered
    codes = uscc.synthetic(8000, seed=32, area_code="371071")
    lines = [row(c, i) + "号" * 280 for i, c in enumerate(codes)]  # within the address width
    big.write_text("\r\n".join([HEADER, *lines]) + "\r\n")
    spec = reader.ReadSpec(kind="entities", path=str(big), output="copy", chunk_rows=10)
    with pytest.raises(reader.ReaderFailed, match="意外退出"):
        async with contextlib.aclosing(reader.read(spec)) as messages:
            async for message in messages:
                if isinstance(message, reader.Chunk):
                    started[0].kill()  # the next message never comes
                    await asyncio.to_thread(started[0].wait)
    assert started[0].poll() is not None
