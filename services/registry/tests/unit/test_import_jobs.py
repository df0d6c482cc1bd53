"""Import jobs over HTTP on the embedded database (SQLite, the service in-process on a fixed
clock): all or nothing, the report, events only for what changed, 413, 202 and progress, the
error report, templates, abandoned jobs."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from registry.adapters import demo, orm, reader
from registry.domain import imports
from spotcheck_common import uscc
from spotcheck_common.clock import parse_instant
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers, running

from .test_import_files import HEADER, HUANCUI, rows_csv, workbook

CREDIT = auth_headers("xinyong-li", "credit_dept")
CODES = uscc.synthetic(30, seed=11, area_code="371071")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, auth_secret=TEST_SECRET, import_wait_s=30)


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Any]:
    async with running("registry", settings) as harness:
        yield harness


async def post(h: Any, kind: str, data: bytes, **params: Any) -> Any:
    headers = {**CREDIT, **params.pop("headers", {})}
    return await h.client.post(
        f"/api/registry/{kind}/import", content=data, headers=headers, params=params
    )


async def count(h: Any, table: sa.Table) -> int:
    return int(await h.scalar(f"SELECT COUNT(*) FROM {table.name}"))


async def test_gb18030_and_xlsx_files_import_with_chinese_names_intact(registry: Any) -> None:
    answer = await post(registry, "entities", rows_csv(CODES[:3]).encode("gb18030"))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["new"], report["updated"], report["unchanged"]) == (3, 0, 0)
    sheet = [
        HEADER.split(","),
        [
            CODES[3].lower(),
            "临港𠀾记餐饮店",
            "个体工商户",
            "住宿和餐饮业",
            "汪疃镇",
            "e",
            "在业",
            None,
        ],
    ]
    answer = await post(registry, "entities", workbook({"Sheet1": sheet}), filename="主体.xlsx")
    assert answer.status_code == 200, answer.text
    one = await registry.client.get(f"/api/registry/entities/{CODES[3]}", headers=CREDIT)
    assert one.json()["name"] == "临港𠀾记餐饮店" and one.json()["risk_class"] == "E"
    two = await registry.client.get(f"/api/registry/entities/{CODES[1]}", headers=CREDIT)
    assert two.json()["name"] == "威海华海1号商贸有限公司"
    job = (
        await registry.client.get(f"/api/registry/imports/{report['import_id']}", headers=CREDIT)
    ).json()
    assert (job["state"], job["format"], job["encoding"]) == ("succeeded", "csv", "gb18030")
    assert job["created_at"] == parse_instant(TEST_NOW).isoformat()  # the domain clock


async def test_the_report_says_new_updated_per_field_and_unchanged_and_only_changes_travel(
    registry: Any,
) -> None:
    first = await post(registry, "entities", rows_csv(CODES[:10]).encode())
    assert first.json()["new"] == 10
    text = rows_csv(CODES[:12])
    text = text.replace(f"{CODES[0]},威海华海0号商贸有限公司", f"{CODES[0]},威海新名字有限公司")
    text = text.replace(
        f"{CODES[1]},威海华海1号商贸有限公司,有限责任公司,批发和零售业,草庙子镇,B",
        f"{CODES[1]},威海华海1号商贸有限公司,有限责任公司,批发和零售业,草庙子镇,E",
    )
    text = text.replace(
        f"{CODES[2]},威海华海2号商贸有限公司,有限责任公司,批发和零售业,草庙子镇,B,存续",
        f"{CODES[2]},威海华海2号商贸有限公司,有限责任公司,批发和零售业,草庙子镇,D,注销",
    )
    second = (await post(registry, "entities", text.encode())).json()
    assert (second["new"], second["updated"], second["unchanged"]) == (2, 3, 7)
    assert second["updated_fields"] == {"name": 1, "risk_class": 2, "status": 1}
    events = await registry.outbox("registry.entities-imported")
    assert len(events) == 2
    sent = [e["uscc"] for e in events[1]["payload"]["entities"]]
    assert sent == [CODES[0], CODES[1], CODES[2], CODES[10], CODES[11]]  # file order
    changed = (
        await registry.client.get(f"/api/registry/entities/{CODES[2]}", headers=CREDIT)
    ).json()
    assert (changed["risk_class"], changed["status"]) == ("D", "deregistered")
    batch = await registry.scalar("SELECT batch_id FROM entities WHERE uscc = :c", c=CODES[5])
    assert batch == first.json()["batch_id"]  # an unchanged row is not rewritten


@pytest.mark.parametrize("bad", ["bad-row", "other-district"])
async def test_one_bad_row_or_one_other_districts_entity_imports_nothing(
    registry: Any, bad: str
) -> None:
    await post(registry, "entities", rows_csv(CODES[:5]).encode())
    before = [await count(registry, t) for t in (orm.entities, orm.import_batches)]
    outbox = len(await registry.outbox("registry.entities-imported"))
    codes = CODES[:20]
    text = rows_csv(codes).replace(",B,存续,", ",C,存续,")  # would update five, add fifteen
    if bad == "bad-row":
        text = text.replace(f"{codes[17]},威海华海17号商贸有限公司,", f"{codes[17]},,")
        want = (19, 2, "名称", "不能为空")
    else:
        text = text.replace(codes[17], HUANCUI)
        want = (19, 1, "统一社会信用代码", "登记机关行政区划代码 371002 不属于本区（371071）")
    answer = await post(registry, "entities", text.encode("gb18030"))
    assert answer.status_code == 422
    refused = answer.json()
    assert refused["detail"] == "导入被拒绝，文件中的任何一行都未导入"
    assert [(e["line"], e["column"], e["field"], e["reason"]) for e in refused["errors"]] == [want]
    assert [await count(registry, t) for t in (orm.entities, orm.import_batches)] == before
    assert len(await registry.outbox("registry.entities-imported")) == outbox
    risk = await registry.scalar("SELECT risk_class FROM entities WHERE uscc = :c", c=codes[0])
    assert risk == "B"
    job = (
        await registry.client.get(f"/api/registry/imports/{refused['import_id']}", headers=CREDIT)
    ).json()
    assert job["state"] == "failed" and job["errors_total"] == 1


async def test_the_error_report_lists_a_thousand_and_counts_all(registry: Any) -> None:
    codes = uscc.synthetic(1200, seed=12, area_code="371071")
    answer = await post(registry, "entities", rows_csv(codes).replace(",B,", ",X,").encode())
    refused = answer.json()
    assert refused["errors_total"] == 1200 and len(refused["errors"]) == 1000
    report = await registry.client.get(refused["errors_csv"], headers=CREDIT)
    assert report.content.startswith("\ufeff".encode())  # Excel opens UTF-8 with a BOM
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "列", "字段", "原因"]
    assert rows[1] == ["2", "F", "风险等级", "应为 A、B、C、D、E 之一"]
    assert len(rows) == 1 + 1000 + 1 and "共 1200 处错误" in rows[-1][3]
    assert await count(registry, orm.entities) == 0


async def test_a_file_past_the_size_limit_is_refused_with_413(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, auth_secret=TEST_SECRET, import_max_bytes=2000)
    async with running("registry", settings) as h:
        data = rows_csv(CODES).encode()
        assert len(data) > 2000
        answer = await post(h, "entities", data)
        assert answer.status_code == 413 and "导入大小上限" in answer.json()["detail"]

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for start in range(0, len(data), 500):
                yield data[start : start + 500]

        streamed = await h.client.post(
            "/api/registry/entities/import", content=chunked(), headers=CREDIT
        )
        assert streamed.status_code == 413
        assert await count(h, orm.import_jobs) == 0
        assert not any((tmp_path / "spool").rglob("*.upload"))


async def test_a_job_shows_its_progress_while_it_runs(
    registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reading process is held back half-way (the import stops taking its chunks, so it
    stops reading a few chunks later): the job's row says running, with the rows read so far
    of the total, before the import ends."""
    halfway = asyncio.Event()
    go_on = asyncio.Event()
    real = reader.read

    async def held(spec: reader.ReadSpec) -> AsyncGenerator[reader.Message, None]:
        async with contextlib.aclosing(real(spec)) as messages:
            async for message in messages:
                yield message
                if isinstance(message, reader.Chunk) and message.last >= 12_001:
                    halfway.set()
                    await go_on.wait()

    monkeypatch.setattr(reader, "read", held)
    registry.deps.importer.chunk_rows = 1000
    codes = uscc.synthetic(20_000, seed=13, area_code="371071")
    answer = await post(
        registry, "entities", rows_csv(codes).encode(), headers={"Prefer": "respond-async"}
    )
    assert answer.status_code == 202 and answer.headers["preference-applied"] == "respond-async"
    location = answer.headers["location"]
    assert location == f"/api/registry/imports/{answer.json()['import_id']}"
    await asyncio.wait_for(halfway.wait(), 30)
    for _ in range(100):
        job = (await registry.client.get(location, headers=CREDIT)).json()
        if job["rows_read"] >= 12_000:
            break
        await asyncio.sleep(0.05)
    assert job["state"] == "running" and job["rows_total"] == 20_000
    # At most the chunks the reader may run ahead (four of 1,000 rows) past the pause.
    assert 12_000 <= job["rows_read"] <= 12_000 + 5 * 1000
    assert await count(registry, orm.entities) == 0  # nothing visible before the end
    go_on.set()
    for _ in range(400):
        job = (await registry.client.get(location, headers=CREDIT)).json()
        if job["state"] != "running":
            break
        await asyncio.sleep(0.05)
    assert job["state"] == "succeeded" and job["report"]["new"] == 20_000
    assert job["rows_read"] == job["rows_total"] == 20_000
    assert await count(registry, orm.entities) == 20_000
    events = await registry.outbox("registry.entities-imported")
    assert sum(len(e["payload"]["entities"]) for e in events) == 20_000
    assert max(len(e.__str__()) for e in events) < 1024 * 1024


async def test_a_small_file_answers_at_once_a_slow_one_with_202(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, auth_secret=TEST_SECRET, import_wait_s=0)
    async with running("registry", settings) as h:
        answer = await post(h, "inspectors", demo.demo_inspectors(count=5))
        assert answer.status_code == 202
        for _ in range(200):
            job = (await h.client.get(answer.headers["location"], headers=CREDIT)).json()
            if job["state"] == "succeeded":
                break
            await asyncio.sleep(0.02)
        assert job["report"]["new"] == 5 and job["format"] == "csv"


async def test_reimporting_inspectors_changes_nothing_and_emits_nothing(registry: Any) -> None:
    data = demo.demo_inspectors(count=8)
    assert (await post(registry, "inspectors", data)).json()["new"] == 8
    again = (await post(registry, "inspectors", data)).json()
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 8)
    changed = data.decode().replace("2027-12-31", "2031-12-31", 1).encode()
    third = (await post(registry, "inspectors", changed)).json()
    assert third["updated_fields"] == {"certificate_expires_on": 1}
    events = await registry.outbox("registry.inspectors-imported")
    assert [len(e["payload"]["inspectors"]) for e in events] == [8, 1]


async def test_templates_are_the_import_format(registry: Any) -> None:
    for kind, spec in imports.KINDS.items():
        text = await registry.client.get(f"/api/registry/templates/{kind}.csv")
        assert text.status_code == 200
        assert text.content.decode("utf-8-sig").strip() == ",".join(c.label for c in spec.columns)
        book = await registry.client.get(f"/api/registry/templates/{kind}.xlsx")
        sheets = load_workbook(io.BytesIO(book.content))
        assert sheets.sheetnames == [spec.title, "填写说明"]
        assert [c.value for c in sheets.worksheets[0][1]] == [c.label for c in spec.columns]
    # The workbook template, filled in, imports.
    book = load_workbook(
        io.BytesIO((await registry.client.get("/api/registry/templates/entities.xlsx")).content)
    )
    book.worksheets[0].append([CODES[0], "甲", "个体工商户", "餐饮", "镇", "A", "存续", ""])
    out = io.BytesIO()
    book.save(out)
    answer = await post(registry, "entities", out.getvalue(), filename="template.xlsx")
    assert answer.status_code == 200 and answer.json()["new"] == 1


async def test_a_job_left_running_by_a_dead_process_is_failed_at_start(
    settings: Settings,
) -> None:
    async with running("registry", settings) as h:
        row = {
            "import_id": "dead-1",
            "kind": "entities",
            "state": "running",
            "filename": "x.csv",
            "size_bytes": 1,
            "sha256": "0" * 64,
            "params": {},
            "errors": [],
            "created_by": "li",
            "created_at": parse_instant(TEST_NOW),
        }
        async with h.rt.db.sessions() as session:
            await session.execute(sa.insert(orm.import_jobs).values(**row))
            await session.commit()
    async with running("registry", settings) as h:
        job = (await h.client.get("/api/registry/imports/dead-1", headers=CREDIT)).json()
        assert job["state"] == "failed" and job["failure"] == "导入中断，未导入任何数据"
        listed = (await h.client.get("/api/registry/imports", headers=CREDIT)).json()
        assert [j["import_id"] for j in listed["items"]] == ["dead-1"]


async def test_many_chunks_merge_as_one_import_and_an_error_in_the_last_writes_nothing(
    registry: Any,
) -> None:
    """Chunks of seven rows: the report adds them up, the events carry the changed rows in
    file order, and an error after several chunks leaves everything as it was."""
    registry.deps.importer.chunk_rows = 7
    codes = uscc.synthetic(40, seed=14, area_code="371071")
    first = (await post(registry, "entities", rows_csv(codes[:25]).encode())).json()
    assert (first["new"], first["updated"], first["unchanged"]) == (25, 0, 0)
    text = rows_csv(codes)
    changes = {3: (",B,存续,", ",D,存续,"), 16: ("有限公司,有限", "有限公司,个体")}
    for n, (old, new) in changes.items():
        line = text.split("\r\n")[n + 1]
        text = text.replace(line, line.replace(old, new))
    second = (await post(registry, "entities", text.encode())).json()
    assert (second["new"], second["updated"], second["unchanged"]) == (15, 2, 23)
    assert second["updated_fields"] == {"entity_type": 1, "risk_class": 1}
    events = await registry.outbox("registry.entities-imported")
    sent = [e["uscc"] for event in events[1:] for e in event["payload"]["entities"]]
    assert sent == [codes[3], codes[16], *codes[25:]]  # file order, across chunks
    assert [e["aggregate_id"] for e in events[1:]] == [f"{second['batch_id']}:0"]
    before = [await count(registry, t) for t in (orm.entities, orm.import_batches)]
    bad = rows_csv(codes).replace(",B,存续,", ",C,存续,").replace(codes[39], codes[39] + "X")
    answer = await post(registry, "entities", bad.encode())
    assert answer.status_code == 422
    assert [(e["line"], e["field"]) for e in answer.json()["errors"]] == [(41, "统一社会信用代码")]
    assert [await count(registry, t) for t in (orm.entities, orm.import_batches)] == before
    assert len(await registry.outbox("registry.entities-imported")) == len(events)
    risk = await registry.scalar("SELECT risk_class FROM entities WHERE uscc = :c", c=codes[5])
    assert risk == "B"


async def test_a_list_stored_the_old_way_compares_by_value(registry: Any) -> None:
    """Qualifications stored before (ASCII-escaped JSON, "a", "b") equal the same list
    staged now (compact, characters as they are)."""
    data = demo.demo_inspectors(count=3)
    assert (await post(registry, "inspectors", data)).json()["new"] == 3
    async with registry.rt.db.sessions() as session:
        for inspector_id, stored in (
            await session.execute(sa.text("SELECT inspector_id, qualifications FROM inspectors"))
        ).all():
            old = json.dumps(json.loads(stored))  # the old form: \\uXXXX and ", "
            await session.execute(
                sa.text("UPDATE inspectors SET qualifications = :q WHERE inspector_id = :i"),
                {"q": old, "i": inspector_id},
            )
        await session.commit()
    again = (await post(registry, "inspectors", data)).json()
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 3)


@pytest.mark.parametrize("quoted", [True, False])
async def test_a_cell_over_128_kib_is_refused_naming_its_line_not_a_500(
    registry: Any, quoted: bool
) -> None:
    """Issue 12: a CSV cell over 128 KiB was a 500 (the csv module's field limit)."""
    huge = "名" * (150 * 1024)
    cell = f'"{huge}"' if quoted else huge
    row = f"{CODES[1]},{cell},有限责任公司,批发和零售业,草庙子镇,B,存续,临港区"
    data = (rows_csv(CODES[:1]) + row + "\r\n").encode()
    answer = await post(registry, "entities", data)
    assert answer.status_code == 422, answer.text[:300]
    assert answer.json()["errors"][0]["line"] == 3 or "第 3 行" in answer.text[:2000]
    assert await count(registry, orm.entities) == 0
