"""registry over HTTP on real PostgreSQL: who may import, change, declare and read, and that a
refused request writes nothing."""

from __future__ import annotations

import csv
import io
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

ENTITIES = demo.demo_entities(count=5)
INSPECTORS = demo.demo_inspectors(count=3)
USCC = next(csv.DictReader(io.StringIO(ENTITIES.decode("utf-8-sig"))))["统一社会信用代码"]
CSV = {"Content-Type": "text/csv"}


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
        return [
            await self.rows(t)
            for t in (orm.entities, orm.inspectors, orm.conflicts, orm.import_batches, OUTBOX)
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


async def _imported(registry: Harness) -> dict[str, str]:
    credit = registry.as_("xinyong-li", "credit_dept")
    for kind, data in (("entities", ENTITIES), ("inspectors", INSPECTORS)):
        answer = await registry.client.post(
            f"/api/registry/{kind}/import", content=data, headers={**CSV, **credit}
        )
        assert answer.status_code == 200, answer.text
    return credit


async def test_the_credit_department_imports_and_changes_and_is_recorded(
    registry: Harness,
) -> None:
    credit = await _imported(registry)
    batches = await registry.rows(orm.import_batches)
    assert {b.imported_by for b in batches} == {"xinyong-li"}
    assert len(await registry.rows(orm.entities)) == 5

    changed = await registry.client.patch(
        f"/api/registry/entities/{USCC}", json={"risk_class": "E"}, headers=credit
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["risk_class"] == "E"
    envelopes = [json.loads(r.envelope) for r in await registry.rows(OUTBOX)]
    assert envelopes[-1]["event_type"] == "registry.entity-updated"
    assert {e["actor"] for e in envelopes} == {"xinyong-li"}


async def test_departments_read_and_field_roles_an_entity_or_nobody_do_not(
    registry: Harness,
) -> None:
    """Issue 12: station, inspector and expert tokens read the whole registry; the registers
    are the departments' and leadership's, field roles read through their assignments."""
    await _imported(registry)
    supervising = registry.as_("keyuan", "supervising_dept", department="食品安全监督管理科")
    for url in ("/api/registry/entities", "/api/registry/inspectors"):
        answer = await registry.client.get(url, headers=supervising)
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] in (5, 3)
    one = await registry.client.get(f"/api/registry/entities/{USCC}", headers=supervising)
    assert one.status_code == 200 and one.json()["uscc"] == USCC
    for field_role in ("station", "inspector", "expert"):
        for url in ("/api/registry/entities", "/api/registry/inspectors", "/api/registry/experts"):
            refused = await registry.client.get(url, headers=registry.as_("x", field_role))
            assert refused.status_code == 403, (field_role, url)

    for url in (
        "/api/registry/entities",
        "/api/registry/inspectors",
        f"/api/registry/entities/{USCC}",
    ):
        nobody = await registry.client.get(url)
        assert nobody.status_code == 401 and "Bearer" in nobody.headers["www-authenticate"]
        entity = await registry.client.get(url, headers=registry.as_("qiye", "entity", uscc=USCC))
        assert entity.status_code == 403 and "缺少角色" in entity.json()["detail"]


async def test_without_the_credit_role_nothing_is_imported_or_changed(registry: Harness) -> None:
    await _imported(registry)
    before = await registry.snapshot()
    supervising = registry.as_("keyuan", "supervising_dept", department="食品安全监督管理科")
    for kind, data in (("entities", ENTITIES), ("inspectors", INSPECTORS)):
        url = f"/api/registry/{kind}/import"
        nobody = await registry.client.post(url, content=data, headers=CSV)
        assert nobody.status_code == 401
        wrong = await registry.client.post(url, content=data, headers={**CSV, **supervising})
        assert wrong.status_code == 403, wrong.text
        assert "信用监管科(credit_dept)" in wrong.json()["detail"]
    patch = await registry.client.patch(
        f"/api/registry/entities/{USCC}", json={"status": "deregistered"}, headers=supervising
    )
    assert patch.status_code == 403 and "credit_dept" in patch.json()["detail"]
    assert await registry.snapshot() == before


async def test_an_inspector_declares_only_their_own_conflicts(registry: Harness) -> None:
    await _imported(registry)
    body = {"inspector_id": "LG0001", "uscc": USCC, "reason": "近亲属任该公司股东"}
    before = await registry.snapshot()

    nobody = await registry.client.post("/api/registry/conflicts", json=body)
    assert nobody.status_code == 401
    station = await registry.client.post(
        "/api/registry/conflicts", json=body, headers=registry.as_("suo-zhang", "station")
    )
    assert station.status_code == 403
    assert "执法检查人员(inspector)" in station.json()["detail"]
    assert "信用监管科(credit_dept)" in station.json()["detail"]
    other = registry.as_("wang", "inspector", inspector_id="LG0002")
    for_someone_else = await registry.client.post(
        "/api/registry/conflicts", json=body, headers=other
    )
    assert for_someone_else.status_code == 403
    assert "只能为本人申报" in for_someone_else.json()["detail"]
    no_id = await registry.client.post(
        "/api/registry/conflicts", json=body, headers=registry.as_("wang", "inspector")
    )
    assert no_id.status_code == 403
    assert await registry.snapshot() == before

    own = registry.as_("li", "inspector", inspector_id="LG0001")
    declared = await registry.client.post("/api/registry/conflicts", json=body, headers=own)
    assert declared.status_code == 201 and declared.json() == {"created": True}
    (conflict,) = await registry.rows(orm.conflicts)
    assert (conflict.inspector_id, conflict.declared_by) == ("LG0001", "li")

    # The credit department registers a declaration on an inspector's behalf.
    behalf = dict(body, inspector_id="LG0002")
    credit = registry.as_("xinyong-li", "credit_dept")
    registered = await registry.client.post("/api/registry/conflicts", json=behalf, headers=credit)
    assert registered.status_code == 201
    assert [(c.inspector_id, c.declared_by) for c in await registry.rows(orm.conflicts)] == [
        ("LG0001", "li"),
        ("LG0002", "xinyong-li"),
    ]


async def test_health_and_openapi_stay_open_and_document_the_bearer_scheme(
    registry: Harness,
) -> None:
    assert (await registry.client.get("/healthz")).status_code == 200
    spec = (await registry.client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/registry/entities/import"]["post"]["security"] == [
        {"HTTPBearer": []}
    ]
