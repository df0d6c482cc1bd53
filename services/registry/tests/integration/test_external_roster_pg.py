"""The external roster (联合检查, 第三条) on real PostgreSQL: an .xlsx of two agencies whose ids
overlap is merged by (agency, id), JSON qualifications compared by value, only changes sent;
a refused file leaves the roster, the batches and the outbox as they were."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from spotcheck_common.events.registry import ExternalInspectorsImported
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, running

pytestmark = pytest.mark.integration

HEADER = ["单位代码", "单位名称", "执法人员编号", "姓名", "检查资格", "执法证有效期至", "在岗"]
EVENT = "registry.external-inspectors-imported"


def sheet(*rows: list[Any]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["联合检查单位执法人员名单"])  # a title row above the header, as people make them
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TAX_1 = ["tax", "临港区税务局", "0001", "赵敏", "税务稽查；发票管理", date(2028, 12, 31), "是"]
ECO_1 = ["eco", "生态环境局临港分局", "0001", "孙莉", "排污许可", date(2028, 1, 31), True]


@pytest.fixture
async def registry(pg_url: str, unique_district: str, tmp_path: Path) -> AsyncIterator[Any]:
    settings = Settings(
        database_url=pg_url,
        district=unique_district,
        data_dir=tmp_path,
        auth_secret=TEST_SECRET,
        import_wait_s=60,
    )
    async with running("registry", settings) as harness:
        yield harness


async def post(h: Any, data: bytes) -> Any:
    return await h.client.post(
        "/api/registry/external-inspectors/import",
        content=data,
        headers=auth_headers("xinyong-li", "credit_dept", district=h.district),
        params={"filename": "联合检查人员.xlsx"},
    )


async def roster(h: Any) -> list[tuple[Any, ...]]:
    async with h.rt.db.engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT agency, inspector_id, qualifications::text, active "
                "FROM external_inspectors ORDER BY agency, inspector_id"
            )
        )
        return [tuple(r) for r in rows]


async def test_two_agencies_are_merged_by_agency_and_id(registry: Any) -> None:
    first = await post(registry, sheet(TAX_1, ECO_1))
    assert first.status_code == 200, first.text
    assert first.json()["new"] == 2
    assert [r[:2] for r in await roster(registry)] == [("eco", "0001"), ("tax", "0001")]

    # The same qualifications with the other separator are unchanged; eco's leaves service.
    second = await post(
        registry,
        sheet(
            [*TAX_1[:4], "税务稽查;发票管理", *TAX_1[5:]],
            [*ECO_1[:6], "否"],
            ["tax", "临港区税务局", "0002", "钱坤", None, date(2027, 6, 30), "是"],
        ),
    )
    report = second.json()
    assert (report["new"], report["updated"], report["unchanged"]) == (1, 1, 1), report
    assert report["updated_fields"] == {"active": 1}
    events = await registry.outbox(EVENT)
    assert len(events) == 2
    sent = ExternalInspectorsImported.model_validate(events[1]["payload"])
    assert [(i.inspector_id, i.active) for i in sent.inspectors] == [
        ("eco:0001", False),
        ("tax:0002", True),
    ]

    before = await roster(registry)
    refused = await post(registry, sheet(TAX_1, TAX_1))
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert (error["line"], error["field"], error["reason"]) == (4, "执法人员编号", "与第3行重复")
    assert await roster(registry) == before
    assert len(await registry.outbox(EVENT)) == 2
