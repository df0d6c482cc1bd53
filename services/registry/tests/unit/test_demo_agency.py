"""The demo district's co-organising agency (联合检查, 第三条): with SPOTCHECK_DEMO=true the
registry imports the tax office's external roster at start — also into a demo district loaded
before joint checks existed — once, through the same import job as an upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from registry.adapters import demo, files
from registry.entrypoints.startup import load_demo
from spotcheck_common.events.registry import ExternalInspectorsImported
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, running

CREDIT = auth_headers("xinyong-li", "credit_dept")
EVENT = "registry.external-inspectors-imported"


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Any]:
    settings = Settings(data_dir=tmp_path, auth_secret=TEST_SECRET, import_wait_s=30)
    async with running("registry", settings) as harness:
        yield harness


def test_the_demo_roster_is_a_valid_import_of_the_tax_office() -> None:
    _, rows = files.validate_file("external-inspectors", demo.demo_external_inspectors())
    assert len(rows) == len(demo.DEMO_AGENCY_INSPECTORS)


async def test_a_demo_district_gets_the_tax_offices_roster_once(registry: Any) -> None:
    # a demo district whose registers were loaded before joint checks came
    entities = demo.demo_entities(count=5)
    answer = await registry.client.post(
        "/api/registry/entities/import", content=entities, headers=CREDIT
    )
    assert answer.status_code == 200, answer.text
    registry.rt.settings = registry.rt.settings.model_copy(update={"demo": True})

    await load_demo(registry.rt)
    await load_demo(registry.rt)  # a restart imports nothing again

    (envelope,) = await registry.outbox(EVENT)
    sent = ExternalInspectorsImported.model_validate(envelope["payload"])
    assert [i.inspector_id for i in sent.inspectors] == [
        f"tax:{i}" for i, _, _ in demo.DEMO_AGENCY_INSPECTORS
    ]
    items = [code for code, _ in demo.DEMO_AGENCY_ITEMS]
    assert all(i.qualifications == items for i in sent.inspectors)  # a pool for both items
    assert {i.department for i in sent.inspectors} == {demo.DEMO_AGENCY_NAME}
    assert [i.inspector_id for i in sent.inspectors if not i.active] == ["tax:SW0006"]
    assert not any(i.leader_qualified for i in sent.inspectors)

    listed = await registry.client.get(
        "/api/registry/external-inspectors", params={"agency": "tax"}, headers=CREDIT
    )
    assert listed.json()["total"] == len(demo.DEMO_AGENCY_INSPECTORS)
    counted = await registry.client.get("/api/registry/entities", headers=CREDIT)
    assert counted.json()["total"] == 5  # the entities were not loaded a second time
