"""Products (第一条, ADR 0011) imported on real PostgreSQL: COPY and the set-based merge into the
entities register, their details a JSONB object read back as written, the same product keeping
its id, a changed detail counted and sent, and the outbox event carrying the details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from registry.adapters import demo
from spotcheck_common import objects
from spotcheck_common.objects import ObjectKind
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, running

pytestmark = pytest.mark.integration

PRODUCTS = demo.demo_products()


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


async def post(h: Any, kind: str, data: bytes) -> Any:
    headers = auth_headers("xinyong-li", "credit_dept", district=h.district)
    return await h.client.post(f"/api/registry/{kind}/import", content=data, headers=headers)


async def test_products_merge_into_the_register_with_their_details(registry: Any) -> None:
    h = registry
    first = await post(h, "products", PRODUCTS)
    assert first.status_code == 200, first.text
    assert first.json()["new"] == len(demo.DEMO_PRODUCTS)
    text = PRODUCTS.decode()
    code = await h.scalar(
        "SELECT uscc FROM entities WHERE details->>'batch' = '20261015' AND uscc LIKE 'ZP%'"
    )
    assert objects.kind_of(code) is ObjectKind.PRODUCT
    assert await h.scalar("SELECT jsonb_typeof(details) FROM entities WHERE uscc = :c", c=code) == (
        "object"
    )

    # The same file again: nothing new; a product sold elsewhere: the same object, updated.
    moved = text.replace("草庙子镇2号超市", "草庙子镇20号超市")
    second = (await post(h, "products", moved.encode())).json()
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 1, 5)
    assert second["updated_fields"] == {"address": 1, "details": 1}
    assert await h.scalar("SELECT COUNT(*) FROM entities") == len(demo.DEMO_PRODUCTS)
    assert await h.scalar("SELECT details->>'sold_at' FROM entities WHERE uscc = :c", c=code) == (
        "山东省威海市临港区草庙子镇20号超市"
    )

    headers = auth_headers("xinyong-li", "credit_dept", district=h.district)
    shown = (await h.client.get(f"/api/registry/entities/{code}", headers=headers)).json()
    assert shown["object_kind"] == "product" and shown["entity_type"] == "产品"
    assert shown["details"]["batch"] == "20261015"

    events = await h.outbox("registry.entities-imported")
    sent = [row for e in events for row in e["payload"]["entities"]]
    assert len(sent) == len(demo.DEMO_PRODUCTS) + 1
    assert sent[-1]["uscc"] == code and sent[-1]["details"] == shown["details"]
    assert {e["payload"]["batch_id"].rsplit(":", 1)[1] for e in events} == {"0"}


async def test_a_bad_product_writes_nothing_and_organisations_keep_details_empty(
    registry: Any,
) -> None:
    h = registry
    organisations = await post(h, "entities", demo.demo_organisations())
    assert organisations.status_code == 200, organisations.text
    lines = demo.demo_products().decode().splitlines()
    lines[-1] = lines[-1].replace(lines[-1].split(",")[0], "91371071MA3C00001X")
    answer = await post(h, "products", "\n".join(lines).encode())
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (error["line"], error["column"], error["field"]) == (7, 1, "生产者统一社会信用代码")
    assert await h.scalar("SELECT COUNT(*) FROM entities WHERE uscc LIKE 'Z%'") == 0
    assert await h.scalar("SELECT COUNT(*) FROM entities WHERE details = '{}'::jsonb") == len(
        demo.DEMO_ORGANISATIONS
    )
