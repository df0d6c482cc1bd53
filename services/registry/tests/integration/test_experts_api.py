"""The expert pool (专家库) and inspector pair conflicts over HTTP on real PostgreSQL: who may
import and declare, a bad row writes nothing, the events carry what draws needs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from registry.adapters import demo, orm
from spotcheck_common.bus import InProcessBus
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers
from spotcheck_common.uow import OUTBOX

pytestmark = pytest.mark.integration

CSV = {"Content-Type": "text/csv"}
EXPERTS = (
    "专家编号,姓名,专业领域,工作单位,在库\n"
    "ZJ0001,张工,特种设备,市特检院,是\n"
    "ZJ0002,李工,食品安全,,否\n"
)


class Harness:
    def __init__(self, client: httpx.AsyncClient, rt: ServiceRuntime) -> None:
        self.client = client
        self.rt = rt

    def as_(self, user: str, *roles: str, **claims: str) -> dict[str, str]:
        return auth_headers(user, *roles, district=self.rt.district, **claims)

    async def rows(self, table: sa.Table) -> list[Any]:
        async with self.rt.db.sessions() as session:
            return list(
                (await session.execute(sa.select(table).order_by(*table.primary_key))).all()
            )

    async def envelopes(self) -> list[dict[str, Any]]:
        return [json.loads(r.envelope) for r in await self.rows(OUTBOX)]

    async def snapshot(self) -> list[list[Any]]:
        return [
            await self.rows(t)
            for t in (
                orm.experts,
                orm.inspector_pair_conflicts,
                orm.conflicts,
                orm.import_batches,
                OUTBOX,
            )
        ]


@pytest.fixture
async def registry(pg_url: str, unique_district: str) -> AsyncIterator[Harness]:
    settings = Settings(database_url=pg_url, district=unique_district, auth_secret=TEST_SECRET)
    (rt,) = build_runtimes([load("registry")], settings, bus=InProcessBus())
    app = build_app([rt], title="registry-test")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        yield Harness(client, rt)


async def _import(h: Harness, kind: str, data: bytes | str) -> httpx.Response:
    credit = h.as_("xinyong-li", "credit_dept")
    body = data.encode() if isinstance(data, str) else data
    return await h.client.post(
        f"/api/registry/{kind}/import", content=body, headers={**CSV, **credit}
    )


async def test_experts_are_imported_listed_and_published(registry: Harness) -> None:
    answer = await _import(registry, "experts", EXPERTS)
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] == 2
    listed = await registry.client.get(
        "/api/registry/experts", headers=registry.as_("keyuan", "supervising_dept")
    )
    assert listed.status_code == 200
    assert listed.json()["items"] == [
        {
            "expert_id": "ZJ0001",
            "name": "张工",
            "field": "特种设备",
            "organization": "市特检院",
            "active": True,
        },
        {
            "expert_id": "ZJ0002",
            "name": "李工",
            "field": "食品安全",
            "organization": "",
            "active": False,
        },
    ]
    only = await registry.client.get(
        "/api/registry/experts",
        params={"field": "食品安全"},
        headers=registry.as_("keyuan", "supervising_dept"),
    )
    assert [e["expert_id"] for e in only.json()["items"]] == ["ZJ0002"]
    (event,) = [
        e for e in await registry.envelopes() if e["event_type"] == "registry.experts-imported"
    ]
    assert event["payload"]["batch_id"] == answer.json()["batch_id"]
    assert [e["expert_id"] for e in event["payload"]["experts"]] == ["ZJ0001", "ZJ0002"]
    assert event["actor"] == "xinyong-li"
    (batch,) = await registry.rows(orm.import_batches)
    assert batch.kind == "experts" and batch.rows == 2


async def test_a_bad_row_or_a_wrong_role_writes_nothing(registry: Harness) -> None:
    before = await registry.snapshot()
    bad = EXPERTS + "ZJ0003,王工,,市质检院,是\nZJ0001,赵工,计量,市质检院,也许\n"
    answer = await _import(registry, "experts", bad)
    assert answer.status_code == 422
    errors = [{k: e[k] for k in ("line", "field", "reason")} for e in answer.json()["errors"]]
    assert {"line": 4, "field": "专业领域", "reason": "不能为空"} in errors
    assert {"line": 5, "field": "在库", "reason": "应为 是 或 否"} in errors
    assert any(e["line"] == 5 and e["field"] == "专家编号" for e in errors)  # duplicate id
    station = await registry.client.post(
        "/api/registry/experts/import",
        content=EXPERTS.encode(),
        headers={**CSV, **registry.as_("keyuan", "supervising_dept")},
    )
    assert station.status_code == 403 and "credit_dept" in station.json()["detail"]
    assert (await registry.client.get("/api/registry/experts")).status_code == 401
    assert await registry.snapshot() == before


async def test_expert_and_inspector_ids_never_collide(registry: Harness) -> None:
    assert (await _import(registry, "inspectors", demo.demo_inspectors(count=3))).status_code == 200
    clash = await _import(registry, "experts", EXPERTS + "LG0002,钱工,计量,,是\n")
    assert clash.status_code == 422
    assert clash.json()["errors"] == [
        {
            "line": 4,
            "column": 1,
            "column_letter": "A",
            "field": "专家编号",
            "reason": "已是执法检查人员的编号（执法人员与专家编号不得相同）",
        }
    ]
    assert await registry.rows(orm.experts) == []
    assert (await _import(registry, "experts", EXPERTS)).status_code == 200
    inspectors = "执法人员编号,姓名,科室,检查资格,可任组长,执法证有效期至,在岗\n"
    inspectors += "ZJ0001,孙某,信用监管科,企业公示信息,是,2030-12-31,是\n"
    again = await _import(registry, "inspectors", inspectors)
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "执法人员编号"


async def test_a_conflict_of_interest_may_name_an_expert(registry: Harness) -> None:
    entities = demo.demo_entities(count=2)
    assert (await _import(registry, "entities", entities)).status_code == 200
    assert (await _import(registry, "experts", EXPERTS)).status_code == 200
    uscc = entities.decode("utf-8-sig").splitlines()[1].split(",")[0]
    credit = registry.as_("xinyong-li", "credit_dept")
    answer = await registry.client.post(
        "/api/registry/conflicts",
        json={"inspector_id": "ZJ0001", "uscc": uscc, "reason": "曾任该企业技术顾问"},
        headers=credit,
    )
    assert answer.status_code == 201, answer.text
    unknown = await registry.client.post(
        "/api/registry/conflicts",
        json={"inspector_id": "ZJ9999", "uscc": uscc, "reason": "x"},
        headers=credit,
    )
    assert unknown.status_code == 404 and "专家" in unknown.json()["detail"]
    event = (await registry.envelopes())[-1]
    assert event["event_type"] == "registry.conflict-declared"
    assert event["payload"]["inspector_id"] == "ZJ0001"


async def test_inspector_pair_conflicts(registry: Harness) -> None:
    assert (await _import(registry, "inspectors", demo.demo_inspectors(count=3))).status_code == 200
    credit = registry.as_("xinyong-li", "credit_dept")
    url = "/api/registry/inspector-conflicts"
    body = {"inspector_ids": ["LG0002", "LG0001"], "reason": "夫妻关系"}
    before = await registry.snapshot()
    assert (await registry.client.post(url, json=body)).status_code == 401
    inspector = registry.as_("li", "inspector", inspector_id="LG0001")
    assert (await registry.client.post(url, json=body, headers=inspector)).status_code == 403
    same = await registry.client.post(
        url, json={"inspector_ids": ["LG0001", "LG0001"], "reason": "x"}, headers=credit
    )
    assert same.status_code == 422
    unknown = await registry.client.post(
        url, json={"inspector_ids": ["LG0001", "LG9999"], "reason": "x"}, headers=credit
    )
    assert unknown.status_code == 404
    assert await registry.snapshot() == before

    declared = await registry.client.post(url, json=body, headers=credit)
    assert declared.status_code == 201, declared.text
    assert declared.json() == {"created": True, "inspector_ids": ["LG0001", "LG0002"]}
    reversed_ = await registry.client.post(
        url, json={"inspector_ids": ["LG0001", "LG0002"], "reason": "再次"}, headers=credit
    )
    assert reversed_.json()["created"] is False
    (row,) = await registry.rows(orm.inspector_pair_conflicts)
    assert (row.inspector_a, row.inspector_b, row.reason, row.declared_by) == (
        "LG0001",
        "LG0002",
        "夫妻关系",
        "xinyong-li",
    )
    events = [
        e
        for e in await registry.envelopes()
        if e["event_type"] == "registry.inspector-pair-conflict-declared"
    ]
    assert len(events) == 1
    assert events[0]["payload"]["inspector_ids"] == ["LG0001", "LG0002"]
    assert events[0]["aggregate_id"] == "LG0001"
