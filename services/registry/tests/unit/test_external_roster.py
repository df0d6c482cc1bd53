"""The external roster (联合检查, 第三条): co-organising agencies' inspectors imported by the
credit department over HTTP on the embedded database — all or nothing, errors naming line and
field, ids unique per agency, sent as ExternalInspectorsImported with ``<agency>:<id>``, never
team leaders; a template made from the same columns."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registry.adapters import orm
from spotcheck_common.events.registry import ExternalInspectorsImported
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, running

CREDIT = auth_headers("xinyong-li", "credit_dept")
HEADER = "单位代码,单位名称,执法人员编号,姓名,检查资格,执法证有效期至,在岗"
ROWS = [
    "tax,临港区税务局,0001,赵敏,税务稽查;发票管理,2028-12-31,是",
    "TAX,临港区税务局,0002,钱坤,,2027/6/30,是",
    "eco,威海市生态环境局临港分局,0001,孙莉,排污许可,2028-01-31,是",
]
EVENT = "registry.external-inspectors-imported"


def roster(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Any]:
    settings = Settings(
        data_dir=tmp_path, auth_secret=TEST_SECRET, import_wait_s=30, neighbours="huancui"
    )
    async with running("registry", settings) as harness:
        yield harness


async def post(h: Any, data: bytes) -> Any:
    return await h.client.post(
        "/api/registry/external-inspectors/import", content=data, headers=CREDIT
    )


async def count(h: Any, table: sa.Table) -> int:
    return int(await h.scalar(f"SELECT COUNT(*) FROM {table.name}"))


async def test_agencies_inspectors_are_imported_and_sent_namespaced(registry: Any) -> None:
    answer = await post(registry, roster(*ROWS))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["new"], answer.json()["updated"]) == (3, 0)

    (envelope,) = await registry.outbox(EVENT)
    sent = ExternalInspectorsImported.model_validate(envelope["payload"])
    assert [(i.inspector_id, i.agency, i.agency_inspector_id) for i in sent.inspectors] == [
        ("tax:0001", "tax", "0001"),
        ("tax:0002", "tax", "0002"),  # the code is read in lower case
        ("eco:0001", "eco", "0001"),  # the same id at another agency is another person
    ]
    first = sent.inspectors[0]
    assert (first.department, first.qualifications) == ("临港区税务局", ["税务稽查", "发票管理"])
    assert not any(i.leader_qualified for i in sent.inspectors)
    assert str(sent.inspectors[1].certificate_expires_on) == "2027-06-30"

    listed = await registry.client.get(
        "/api/registry/external-inspectors", params={"agency": "tax"}, headers=CREDIT
    )
    assert [i["inspector_id"] for i in listed.json()["items"]] == ["tax:0001", "tax:0002"]


async def test_a_second_import_sends_only_what_changed(registry: Any) -> None:
    await post(registry, roster(*ROWS))
    changed = ROWS[1].replace(",是", ",否")
    answer = await post(registry, roster(ROWS[0], changed, ROWS[2]))
    report = answer.json()
    assert (report["new"], report["updated"], report["unchanged"]) == (0, 1, 2)
    assert report["updated_fields"] == {"active": 1}
    second = (await registry.outbox(EVENT))[1]["payload"]["inspectors"]
    assert [(i["inspector_id"], i["active"]) for i in second] == [("tax:0002", False)]


@pytest.mark.parametrize(
    ("rows", "want"),
    [
        (
            [*ROWS, "tax,临港区税务局,0001,赵敏,,2028-12-31,是"],
            (5, "执法人员编号", "与第2行重复"),
        ),
        (
            [*ROWS, "税务,临港区税务局,0009,李四,,2028-12-31,是"],
            (5, "单位代码", "应为 2–31 位小写字母、数字或连字符，以字母开头，如 tax、eco"),
        ),
        ([*ROWS, "tax,,0009,李四,,2028-12-31,是"], (5, "单位名称", "不能为空")),
        (
            [*ROWS, "huancui,环翠区某局,0009,李四,,2028-12-31,是"],
            (5, "单位代码", "单位代码「huancui」是本区或相邻区的名称，不能使用"),
        ),
        (
            [*ROWS, "lingang,临港区某局,0009,李四,,2028-12-31,是"],
            (5, "单位代码", "单位代码「lingang」是本区或相邻区的名称，不能使用"),
        ),
    ],
)
async def test_one_bad_row_imports_nothing_and_is_named(
    registry: Any, rows: list[str], want: tuple[int, str, str]
) -> None:
    answer = await post(registry, roster(*rows))
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [(e["line"], e["field"], e["reason"]) for e in errors] == [want]
    assert await count(registry, orm.external_inspectors) == 0
    assert await registry.outbox(EVENT) == []


async def test_the_template_has_the_columns_the_import_reads(registry: Any) -> None:
    answer = await registry.client.get("/api/registry/templates/external-inspectors.csv")
    assert answer.status_code == 200
    (header,) = csv.reader(io.StringIO(answer.content.decode("utf-8-sig")))
    assert ",".join(header) == HEADER
    assert "可任组长" not in header  # an agency's inspector never leads a team of the bureau
