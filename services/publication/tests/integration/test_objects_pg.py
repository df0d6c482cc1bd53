"""Objects beyond market entities on real PostgreSQL (第一条, ADR 0011): a product's fields
persist on its record, are sent in ResultPublished and ResultCorrected, are served in clear
fields by the public API, and a search by its producer's code finds it through the index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, running

from .test_publication_pg import CREDIT, DISTRICT, USCC, Env, grant, submitted

pytestmark = pytest.mark.integration

PRODUCER = "91371000MA3C00002X"
PRODUCT = {
    "producer_uscc": PRODUCER,
    "product_name": "速冻水饺",
    "brand": "海之味",
    "specification": "500克/袋",
    "batch": "20260301",
    "producer_name": "威海某某食品有限公司",
    "sold_at": "临港区某超市",
}
PRODUCT_ID = "ZPL2M39K9UF25A3RR0"  # objects.assigned_id(PRODUCT, the fields above)


@pytest.fixture
async def env(pg_url: str) -> AsyncIterator[Env]:
    async with running(
        "publication",
        Settings(database_url=pg_url, district=DISTRICT, auth_secret=TEST_SECRET),
        Env,
    ) as harness:
        yield harness


async def publish_product(env: Env) -> str:
    event = submitted("insp-p", uscc=PRODUCT_ID).model_copy(
        update={"entity_name": "海之味 速冻水饺（20260301）", "details": PRODUCT}
    )
    await env.deliver(event)
    sent = await env.outbox("publication.result-published")
    (payload,) = [e["payload"] for e in sent if e["payload"]["uscc"] == PRODUCT_ID]
    assert payload["details"] == PRODUCT
    return str(payload["record_id"])


async def test_a_products_fields_persist_and_are_published_and_sent_on(env: Env) -> None:
    record_id = await publish_product(env)
    kept = await env.scalar(
        "SELECT details ->> 'product_name' FROM result_records WHERE record_id = :r", r=record_id
    )
    assert kept == "速冻水饺"

    body = (await env.client.get(f"/public/results/{record_id}")).json()
    assert body["uscc"] == PRODUCT_ID and body["labels"]["uscc"] == "对象编码"
    assert body["object_kind"] == "product" and body["object_kind_label"] == "产品"
    fields = {f["label"]: f["value"] for f in body["object_fields"]}
    assert fields["商标"] == "海之味" and fields["生产者统一社会信用代码"] == PRODUCER

    await env.deliver(grant(record_id, objection_id=None))
    (corrected,) = await env.outbox("publication.result-corrected")
    assert corrected["payload"]["details"] == PRODUCT


async def test_the_search_finds_a_product_by_its_id_and_by_its_producer(env: Env) -> None:
    await env.deliver(submitted("insp-own", uscc=PRODUCER))  # the producer's own inspection
    await env.deliver(submitted("insp-other", uscc=USCC))
    await publish_product(env)

    async def kinds(code: str) -> list[str]:
        found = (await env.client.get("/public/results", params={"uscc": code})).json()
        return sorted(item["object_kind"] for item in found["items"])

    assert await kinds(PRODUCT_ID) == ["product"]
    assert await kinds(PRODUCER) == ["market_entity", "product"]
    assert await kinds(USCC) == ["market_entity"]

    async with env.rt.db.engine.connect() as conn:
        await conn.exec_driver_sql("SET enable_seqscan = off")
        plan = await conn.exec_driver_sql(
            "EXPLAIN SELECT record_id FROM result_records "
            f"WHERE details ->> 'producer_uscc' = '{PRODUCER}'"
        )
        assert "ix_result_records_producer_uscc" in "\n".join(r[0] for r in plan)


async def test_the_export_takes_organisations_and_products_apart(env: Env) -> None:
    await env.deliver(submitted("insp-own", uscc=PRODUCER))
    await publish_product(env)

    async def export(**params: str) -> dict[str, Any]:
        response = await env.client.get(
            "/api/publication/export", params={"format": "json", **params}, headers=CREDIT
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    organisations = await export()
    assert organisations["columns"][-1] == "统一社会信用代码"
    assert {row["统一社会信用代码"] for row in organisations["rows"]} == {PRODUCER}
    products = await export(object_kind="product")
    assert "统一社会信用代码" not in products["columns"]
    assert {row["对象编码"] for row in products["rows"]} == {PRODUCT_ID}
    assert {row["产品名称"] for row in products["rows"]} == {"速冻水饺"}
