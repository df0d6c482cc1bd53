"""The item list in force is public (``GET /public/check-items``, no token): its items and
version, never who imported it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from spotcheck_common.clock import FixedClock
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, ServiceHarness, auth_headers, running

from .test_check_items import GOOD

CREDIT = auth_headers("zhang.credit", "credit_dept")


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/registry.db", auth_secret=TEST_SECRET
    )
    async with running("registry", settings, clock=FixedClock("2026-03-02T10:00:00+08:00")) as h:
        yield h


async def test_the_list_in_force_is_public_without_who_imported_it(
    registry: ServiceHarness,
) -> None:
    none_yet = await registry.client.get("/public/check-items")
    assert none_yet.status_code == 404

    imported = await registry.client.post(
        "/api/registry/check-items/import",
        params={"reason": "首次发布"},
        content=GOOD,
        headers={**CREDIT, "content-type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text

    public = await registry.client.get("/public/check-items")
    assert public.status_code == 200, public.text
    body = public.json()
    assert body["version"] == 1 and body["status"] == "current" and body["total"] == 2
    assert [i["code"] for i in body["items"]] == ["GS-01", "SP-01"]
    assert body["items"][1]["item_class_label"] == "重点"
    assert "imported_by" not in body
    # the staff read is unchanged, and still needs a token
    assert (await registry.client.get("/api/registry/check-items")).status_code == 401
    staff = await registry.client.get("/api/registry/check-items", headers=CREDIT)
    assert staff.json()["imported_by"] == "zhang.credit"
