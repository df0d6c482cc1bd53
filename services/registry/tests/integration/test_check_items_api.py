"""The item list over HTTP on real PostgreSQL: versions, the current list, who may import, and
that a refused import writes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from registry.adapters import orm
from spotcheck_common.bus import InProcessBus
from spotcheck_common.http import build_app
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers
from spotcheck_common.uow import OUTBOX

pytestmark = pytest.mark.integration

HEADER = "事项编号,抽查类别,抽查事项,检查对象,事项类别(一般/重点),检查方式,检查主体,检查依据"
V1 = (
    HEADER + "\n"
    "GS-01,企业公示信息,企业公示信息抽查,企业,一般,书面检查,临港区局,《企业信息公示暂行条例》\n"
    "DJ-01,登记事项,登记事项检查,各类市场主体,一般,实地核查,临港区局,《市场主体登记管理条例》\n"
).encode()
V2 = (
    V1 + "SP-01,食品经营,食品经营者检查,食品经营者,重点,现场检查,临港区局,《食品安全法》\n".encode()
)
CSV = {"Content-Type": "text/csv"}
URL = "/api/registry/check-items/import"


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

    async def snapshot(self) -> list[list[Any]]:
        outbox = [(r.id, r.event_id) for r in await self.rows(OUTBOX)]
        return [await self.rows(orm.check_item_lists), await self.rows(orm.check_items), outbox]


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


async def test_imports_are_versions_and_the_old_ones_stay_readable(registry: Harness) -> None:
    credit = registry.as_("xinyong-li", "credit_dept")
    staff = registry.as_("suo-zhang", "station")
    none_yet = await registry.client.get("/api/registry/check-items", headers=staff)
    assert none_yet.status_code == 404

    first = await registry.client.post(
        URL,
        content=V1,
        params={"reason": "2026年度抽查事项清单", "effective_from": "2026-01-01"},
        headers={**CSV, **credit},
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["imported"] == 2
    second = await registry.client.post(
        URL,
        content=V2,
        params={"reason": "增加食品经营检查", "effective_from": "2026-02-01"},
        headers={**CSV, **credit},
    )
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2

    current = (await registry.client.get("/api/registry/check-items", headers=staff)).json()
    assert current["version"] == 2 and current["status"] == "current"
    assert [i["code"] for i in current["items"]] == ["GS-01", "DJ-01", "SP-01"]
    sp = current["items"][2]
    assert (sp["item_class"], sp["item_class_label"], sp["legal_basis"]) == (
        "key",
        "重点",
        "《食品安全法》",
    )
    old = (
        await registry.client.get("/api/registry/check-items", params={"version": 1}, headers=staff)
    ).json()
    assert old["status"] == "superseded" and old["total"] == 2
    assert old["reason"] == "2026年度抽查事项清单" and old["imported_by"] == "xinyong-li"
    versions = (await registry.client.get("/api/registry/check-item-lists", headers=staff)).json()
    assert [(v["version"], v["status"]) for v in versions["items"]] == [
        (2, "current"),
        (1, "superseded"),
    ]
    missing = await registry.client.get(
        "/api/registry/check-items", params={"version": 9}, headers=staff
    )
    assert missing.status_code == 404

    envelopes = [json.loads(r.envelope) for r in await registry.rows(OUTBOX)]
    assert [e["event_type"] for e in envelopes] == ["registry.check-item-list-published"] * 2
    assert [e["payload"]["version"] for e in envelopes] == [1, 2]
    assert {e["schema_version"] for e in envelopes} == {1}  # the list's version is not the schema's
    assert [len(e["payload"]["items"]) for e in envelopes] == [2, 3]
    assert {e["actor"] for e in envelopes} == {"xinyong-li"}


async def test_refused_imports_write_nothing(registry: Harness) -> None:
    credit = registry.as_("xinyong-li", "credit_dept")
    ok = await registry.client.post(
        URL,
        content=V1,
        params={"reason": "首版", "effective_from": "2026-01-01"},
        headers={**CSV, **credit},
    )
    assert ok.status_code == 200
    before = await registry.snapshot()

    bad = V1 + "DJ-01,登记事项,重复,企业,普通,书面检查,区局,条例\n".encode()
    answer = await registry.client.post(
        URL, content=bad, params={"reason": "调整"}, headers={**CSV, **credit}
    )
    assert answer.status_code == 422
    errors = {(e["line"], e["field"]) for e in answer.json()["errors"]}
    assert errors == {(4, "事项编号"), (4, "事项类别")}

    earlier = await registry.client.post(
        URL,
        content=V2,
        params={"reason": "调整", "effective_from": "2025-12-01"},
        headers={**CSV, **credit},
    )
    assert earlier.status_code == 422 and "早于第 1 版" in earlier.json()["detail"]
    no_reason = await registry.client.post(URL, content=V2, headers={**CSV, **credit})
    assert no_reason.status_code == 422

    for who in (
        registry.as_("keyuan", "supervising_dept", department="食品安全监督管理科"),
        registry.as_("fuju", "deputy_director"),
        registry.as_("bangong", "general_office"),
    ):
        refused = await registry.client.post(
            URL, content=V2, params={"reason": "调整"}, headers={**CSV, **who}
        )
        assert refused.status_code == 403 and "信用监管科(credit_dept)" in refused.json()["detail"]
    nobody = await registry.client.post(URL, content=V2, params={"reason": "x"}, headers=CSV)
    assert nobody.status_code == 401
    assert await registry.snapshot() == before

    entity = registry.as_("qiye", "entity", uscc="91371000MA3C000017")
    for url in ("/api/registry/check-items", "/api/registry/check-item-lists"):
        assert (await registry.client.get(url, headers=entity)).status_code == 403
        assert (await registry.client.get(url)).status_code == 401
