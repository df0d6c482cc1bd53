"""Objections to a product's result on real PostgreSQL (第一条, ADR 0011): the read model keeps
the fields ResultPublished carries, and the producer objects under the product's object id."""

from __future__ import annotations

import pytest

from .test_objections_pg import Env, entity, env, published

pytestmark = pytest.mark.integration

__all__ = ["env"]  # the fixture, on PostgreSQL

PRODUCER = "91371000MA3C00002X"
OTHER = "91371000MA3C000011"
PRODUCT_ID = "ZPL2M39K9UF25A3RR0"  # objects.assigned_id(PRODUCT, the producer's product)
PRODUCT = {"producer_uscc": PRODUCER, "product_name": "速冻水饺", "brand": "海之味"}


async def test_the_producer_objects_to_its_products_result(env: Env) -> None:
    product = published("rec-p").model_copy(update={"uscc": PRODUCT_ID, "details": PRODUCT})
    await env.deliver(product)
    kept = await env.scalar(
        "SELECT details ->> 'producer_uscc' FROM published_records WHERE record_id = 'rec-p'"
    )
    assert kept == PRODUCER
    body = {"record_id": "rec-p", "uscc": PRODUCT_ID, "reason": "批号记录有误"}
    url = "/api/objections/objections"
    before = await env.snapshot()
    refused = await env.client.post(url, json=body, headers=entity(OTHER))
    assert refused.status_code == 403 and "生产者" in refused.json()["detail"]
    assert await env.snapshot() == before
    filed = await env.client.post(url, json=body, headers=entity(PRODUCER))
    assert filed.status_code == 201, filed.text
    assert await env.scalar("SELECT uscc FROM objections") == PRODUCT_ID
    (sent,) = await env.outbox("objections.objection-filed")
    assert sent["payload"]["uscc"] == PRODUCT_ID
