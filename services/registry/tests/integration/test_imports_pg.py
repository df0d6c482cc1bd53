"""Import jobs on real PostgreSQL: COPY into the staging table and the set-based merge, the
report, JSON fields compared by value, one import of a kind at a time, abandoned jobs."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from registry.adapters import demo, orm
from spotcheck_common import uscc
from spotcheck_common.clock import parse_instant
from spotcheck_common.events.registry import EntitiesImported
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_NOW, TEST_SECRET, auth_headers, running

pytestmark = pytest.mark.integration

HEADER = "统一社会信用代码,名称,主体类型,行业,区域,风险等级,状态,住所"
CODES = uscc.synthetic(300, seed=21, area_code="371071")
HUANCUI = uscc.synthetic(1, seed=2, area_code="371002")[0]


def rows_csv(codes: list[str], risk: str = "B") -> str:
    lines = [HEADER] + [
        f"{c},临港{i}号商贸有限公司,有限责任公司,批发和零售业,草庙子镇,{risk},存续,临港区{i}号"
        for i, c in enumerate(codes)
    ]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def settings(pg_url: str, unique_district: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=pg_url,
        district=unique_district,
        data_dir=tmp_path,
        auth_secret=TEST_SECRET,
        import_wait_s=60,
    )


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Any]:
    async with running("registry", settings) as harness:
        yield harness


def credit(h: Any) -> dict[str, str]:
    return auth_headers("xinyong-li", "credit_dept", district=h.district)


async def post(h: Any, kind: str, data: bytes, **params: Any) -> Any:
    headers = {**credit(h), **params.pop("headers", {})}
    return await h.client.post(
        f"/api/registry/{kind}/import", content=data, headers=headers, params=params
    )


async def test_entities_merge_with_copy_and_count_what_changed(registry: Any) -> None:
    first = await post(registry, "entities", rows_csv(CODES[:200]).encode("gb18030"))
    assert first.status_code == 200, first.text
    assert first.json()["new"] == 200
    text = rows_csv(CODES[:250]).replace(f"{CODES[7]},临港7号商贸有限公司", f"{CODES[7]},改名公司")
    text = text.replace(f"临港区9号\r\n{CODES[10]}", f"临港区9号新址\r\n{CODES[10]}")
    second = (await post(registry, "entities", text.encode())).json()
    assert (second["new"], second["updated"], second["unchanged"]) == (50, 2, 198)
    assert second["updated_fields"] == {"name": 1, "address": 1}
    events = await registry.outbox("registry.entities-imported")
    assert sum(len(e["payload"]["entities"]) for e in events) == 200 + 52
    assert await registry.scalar("SELECT name FROM entities WHERE uscc = :c", c=CODES[7]) == (
        "改名公司"
    )


async def test_a_bad_row_at_the_end_writes_nothing(registry: Any) -> None:
    await post(registry, "entities", rows_csv(CODES[:20]).encode())
    text = rows_csv(CODES[:100], risk="D").replace(f"{CODES[99]},", f"{CODES[99].lower()}X,")
    answer = await post(registry, "entities", text.encode())
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["line"], error["field"]) == (101, "统一社会信用代码")
    assert await registry.scalar("SELECT COUNT(*) FROM entities") == 20
    assert await registry.scalar("SELECT COUNT(*) FROM entities WHERE risk_class = 'D'") == 0
    assert len(await registry.outbox("registry.entities-imported")) == 1


async def test_inspectors_from_xlsx_compare_their_lists_by_value(registry: Any) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "inspector_id",
            "name",
            "department",
            "qualifications",
            "leader_qualified",
            "certificate_expires_on",
            "active",
        ]
    )
    sheet.append(
        ["LG9001", "王伟", "信用监管科", "企业公示信息;登记事项", True, "2028-12-31", "是"]
    )
    out = io.BytesIO()
    book.save(out)
    first = await post(registry, "inspectors", out.getvalue(), filename="人员.xlsx")
    assert first.status_code == 200, first.text
    again = (await post(registry, "inspectors", out.getvalue(), filename="人员.xlsx")).json()
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 1)
    csv_text = "执法人员编号,姓名,科室,检查资格,可任组长,执法证有效期至,在岗\n"
    csv_text += "LG9001,王伟,信用监管科,企业公示信息；登记事项；产品质量,是,2028/12/31,是\n"
    third = (await post(registry, "inspectors", csv_text.encode("gbk"))).json()
    assert third["updated_fields"] == {"qualifications": 1}
    listed = await registry.client.get("/api/registry/inspectors", headers=credit(registry))
    assert listed.json()["items"][0]["qualifications"] == ["企业公示信息", "登记事项", "产品质量"]


async def test_imports_of_one_kind_run_one_at_a_time(registry: Any) -> None:
    """Two overlapping files at once: each sees the other's rows whole or not at all, so
    the rows counted new add up to the rows there are."""
    a = rows_csv(CODES[:200]).encode()
    b = rows_csv(CODES[100:300], risk="C").encode()
    async_ = {"Prefer": "respond-async"}
    answers = await asyncio.gather(
        post(registry, "entities", a, headers=async_), post(registry, "entities", b, headers=async_)
    )
    reports = []
    for answer in answers:
        for _ in range(600):
            job = (
                await registry.client.get(answer.headers["location"], headers=credit(registry))
            ).json()
            if job["state"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
        assert job["state"] == "succeeded", job
        reports.append(job["report"])
    assert sum(r["new"] for r in reports) == 300
    assert sorted(r["updated"] for r in reports) == [0, 100]
    assert await registry.scalar("SELECT COUNT(*) FROM entities") == 300


async def test_only_jobs_whose_heartbeat_stopped_are_failed_at_start(settings: Settings) -> None:
    now = parse_instant(TEST_NOW)
    async with running("registry", settings) as h, h.rt.db.sessions() as session:
        for import_id, beat in (("dead", now - timedelta(minutes=5)), ("alive", now)):
            await session.execute(
                sa.insert(orm.import_jobs).values(
                    import_id=import_id,
                    kind="entities",
                    state="running",
                    filename="x.csv",
                    size_bytes=1,
                    sha256="0" * 64,
                    params={},
                    errors=[],
                    created_by="li",
                    created_at=beat,
                    heartbeat_at=beat,
                )
            )
        await session.commit()
    async with running("registry", settings) as h:
        states = {
            r.import_id: (r.state, r.failure)
            for r in (
                await (await h.rt.db.engine.connect()).execute(
                    sa.select(
                        orm.import_jobs.c.import_id,
                        orm.import_jobs.c.state,
                        orm.import_jobs.c.failure,
                    )
                )
            )
        }
    assert states == {"dead": ("failed", "导入中断，未导入任何数据"), "alive": ("running", None)}


async def test_the_demo_district_loads_through_import_jobs(settings: Settings) -> None:
    settings.demo = True
    async with running("registry", settings) as h:
        # The entities, then a few institutions and social organisations, and products.
        objects = len(demo.DEMO_ORGANISATIONS) + len(demo.DEMO_PRODUCTS)
        assert await h.scalar("SELECT COUNT(*) FROM entities") == 20_000 + objects
        assert await h.scalar("SELECT COUNT(*) FROM entities WHERE uscc LIKE 'ZP%'") == len(
            demo.DEMO_PRODUCTS
        )
        # entities, organisations, products, inspectors, experts, item list, the tax office's
        # external roster (第三条)
        assert await h.scalar("SELECT COUNT(*) FROM import_jobs WHERE state = 'succeeded'") == 7
        assert await h.scalar("SELECT COUNT(*) FROM external_inspectors") == len(
            demo.DEMO_AGENCY_INSPECTORS
        )
        assert (
            await h.scalar("SELECT COUNT(*) FROM experts")
            == len(demo.demo_experts().splitlines()) - 1
        )


async def test_chunks_merged_as_they_come_are_one_transaction(registry: Any) -> None:
    """Chunks of 16 rows COPYed and merged while the file is read: new, updated and unchanged
    rows across chunks add up, the events carry the changed rows in file order, and a bad
    row after a dozen merged chunks leaves the register, the outbox and the batches as they
    were."""
    registry.deps.importer.chunk_rows = 16
    first = (await post(registry, "entities", rows_csv(CODES[:100]).encode())).json()
    assert (first["new"], first["updated"], first["unchanged"]) == (100, 0, 0)
    text = rows_csv(CODES[:200])
    for n in (5, 50, 99):
        text = text.replace(f"{CODES[n]},临港{n}号商贸有限公司", f"{CODES[n]},新名{n}")
    second = (await post(registry, "entities", text.encode("gb18030"))).json()
    assert (second["new"], second["updated"], second["unchanged"]) == (100, 3, 97)
    assert second["updated_fields"] == {"name": 3}
    events = await registry.outbox("registry.entities-imported")
    sent = [e["uscc"] for event in events[1:] for e in event["payload"]["entities"]]
    assert sent == [CODES[5], CODES[50], CODES[99], *CODES[100:200]]
    assert await registry.scalar("SELECT name FROM entities WHERE uscc = :c", c=CODES[50]) == (
        "新名50"
    )
    batches = await registry.scalar("SELECT COUNT(*) FROM import_batches")
    bad = rows_csv(CODES[:300], risk="E").replace(f"{CODES[290]},", f"{HUANCUI},")
    answer = await post(registry, "entities", bad.encode())
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["line"] == 292
    assert await registry.scalar("SELECT COUNT(*) FROM entities") == 200
    assert await registry.scalar("SELECT COUNT(*) FROM entities WHERE risk_class = 'E'") == 0
    assert len(await registry.outbox("registry.entities-imported")) == len(events)
    assert await registry.scalar("SELECT COUNT(*) FROM import_batches") == batches


async def test_every_document_is_the_bytes_pydantic_writes(registry: Any) -> None:
    """Names with quotes, backslashes, tabs and characters outside the BMP travel through
    COPY and the documents unchanged."""
    names = ['引号"名', "反斜杠\\名", "制表\t符", "𠀾记", "普通"]
    lines = [HEADER] + [
        f'{c},"{n.replace(chr(34), chr(34) * 2)}",有限责任公司,批发和零售业,草庙子镇,B,存续,'
        for c, n in zip(CODES[:5], names, strict=True)
    ]
    answer = await post(registry, "entities", ("\r\n".join(lines) + "\r\n").encode())
    assert answer.status_code == 200, answer.text
    (event,) = await registry.outbox("registry.entities-imported")
    assert [e["name"] for e in event["payload"]["entities"]] == names
    stored = await registry.scalar(
        "SELECT envelope FROM outbox WHERE event_type = 'registry.entities-imported'"
    )
    # An organisation's row leaves out its details: empty, the field's default (ADR 0011).
    expected = EntitiesImported.model_validate(event["payload"]).model_dump_json(
        exclude={"entities": {"__all__": {"details"}}}
    )
    assert stored.endswith(',"payload":' + expected + "}")
    got = [
        await registry.scalar("SELECT name FROM entities WHERE uscc = :c", c=c) for c in CODES[:5]
    ]
    assert got == names
