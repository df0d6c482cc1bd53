"""The fake repository and calendar the unit tests use behave as the SQL ones (on SQLite, the
embedded database; the integration suite runs the SQL ones on PostgreSQL): same answers to the
same calls, so a use case tested on the fakes holds on the real thing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from registry.adapters.unit_of_work import SqlRegistryUnitOfWork
from registry.domain.check_items import ListVersion
from registry.entrypoints.service import definition
from spotcheck_common import migrations, objects, uscc
from spotcheck_common.db import Database, aware
from spotcheck_common.events.registry import (
    CheckItem,
    EntitySnapshot,
    ExpertSnapshot,
    ExternalInspectorSnapshot,
    InspectorSnapshot,
)
from spotcheck_common.events.types import EntityStatus, RiskClass
from spotcheck_common.objects import ObjectKind
from spotcheck_common.testing import calendar_event
from spotcheck_common.uow import Context

from .fakes import FakeRegistryUnitOfWork

NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)
CODES = sorted(uscc.synthetic(4, seed=5, area_code="371071"))


@pytest.fixture(params=["fake", "sql"])
async def uow(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A unit of work carrying the fakes, or the SQL repository and calendar on a fresh
    database."""
    if request.param == "fake":
        yield FakeRegistryUnitOfWork()
        return
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/registry.db", "registry")
    await migrations.upgrade(db, definition.migrations)
    async with SqlRegistryUnitOfWork(db, "lingang", Context(actor="tester")) as sql:
        yield sql
    await db.dispose()


def entity(n: int, **changes: Any) -> EntitySnapshot:
    values: dict[str, Any] = {
        "uscc": CODES[n],
        "name": f"临港第{n}号商贸有限公司",
        "entity_type": "企业",
        "industry": "批发和零售业",
        "area": "临港",
        "risk_class": RiskClass.B,
        "status": EntityStatus.ACTIVE,
        **changes,
    }
    return EntitySnapshot(**values)


def inspector(n: int, department: str = "信用监管科") -> InspectorSnapshot:
    return InspectorSnapshot(
        inspector_id=f"I-{n}",
        name=f"检查员{n}",
        department=department,
        qualifications=["食品"],
        certificate_expires_on=date(2028, 1, 1),
    )


def item(code: str) -> CheckItem:
    return CheckItem(
        code=code,
        category="类别",
        name=f"事项{code}",
        target_type="企业",
        item_class="general",
        method="书面检查",
        inspecting_body="临港区市场监管局",
        legal_basis="依据",
    )


def version(number: int, items: int) -> ListVersion:
    return ListVersion(
        version=number,
        list_id="lingang:check-items",
        effective_from=date(2026, number, 1),
        reason=f"第{number}版",
        items=items,
        filename="list.csv",
        sha256="0" * 64,
        imported_by="xinyong",
        imported_at=NOW,
    )


async def test_entities_are_found_by_name_or_code_prefix_filtered_and_paged(uow: Any) -> None:
    repo = uow.registry
    await repo.upsert_entities([entity(2), entity(0), entity(1, risk_class=RiskClass.D)], "b", NOW)
    await repo.upsert_entities([entity(3, name="威海某食品厂")], "b2", NOW)
    assert await repo.count_entities() == 4
    page = await repo.search_entities(None, None, None, 2, 1)
    assert page.total == 4 and [e.uscc for e in page.items] == CODES[1:3]
    assert [e.uscc for e in (await repo.search_entities("食品", None, None, 50, 0)).items] == [
        CODES[3]
    ]
    by_code = await repo.search_entities(CODES[2][:14].lower(), None, None, 50, 0)
    assert CODES[2] in [e.uscc for e in by_code.items]
    risky = await repo.search_entities(None, "D", None, 50, 0)
    assert risky.total == 1 and risky.items == [entity(1, risk_class=RiskClass.D)]
    assert (await repo.search_entities(None, None, "revoked", 50, 0)).total == 0


async def test_entities_are_filtered_by_the_kind_their_code_says(uow: Any) -> None:
    repo = uow.registry
    details = {"product_name": "饮用天然泉水", "batch": "20261008"}
    product = entity(0, uscc=objects.assigned_id(ObjectKind.PRODUCT, details), details=details)
    institution = entity(1, uscc="12371071MB28541933")
    other = entity(2, uscc="31371071MD0000001X")
    await repo.upsert_entities([product, institution, other, entity(3)], "b", NOW)
    found = {
        kind: (await repo.search_entities(None, None, None, 50, 0, kind)).items
        for kind in ObjectKind
    }
    assert found[ObjectKind.PRODUCT] == [product]  # its details read back as written
    assert found[ObjectKind.INSTITUTION] == [institution]
    assert found[ObjectKind.OTHER_ORGANISATION] == [other]
    assert found[ObjectKind.MARKET_ENTITY] == [entity(3)]
    assert found[ObjectKind.SOCIAL_ORGANISATION] == found[ObjectKind.PROJECT] == []
    assert await repo.get_entity(product.uscc) == product


async def test_an_entity_is_updated_in_place(uow: Any) -> None:
    repo = uow.registry
    await repo.upsert_entities([entity(0)], "b", NOW)
    assert await repo.get_entity(CODES[0]) == entity(0)
    await repo.update_entity(entity(0, risk_class=RiskClass.E), NOW)
    assert await repo.get_entity(CODES[0]) == entity(0, risk_class=RiskClass.E)
    await repo.upsert_entities([entity(0, name="改名后的公司")], "b2", NOW)  # a re-import
    found = await repo.get_entity(CODES[0])
    assert found is not None and found.name == "改名后的公司"
    assert await repo.get_entity(CODES[1]) is None


async def test_inspectors_and_experts_are_listed_by_id_and_filtered(uow: Any) -> None:
    repo = uow.registry
    await repo.upsert_inspectors([inspector(2, "食品科"), inspector(1)], "b", NOW)
    experts = [
        ExpertSnapshot(expert_id="E-2", name="专家二", field="食品"),
        ExpertSnapshot(expert_id="E-1", name="专家一", field="特种设备"),
    ]
    await repo.upsert_experts(experts, "b", NOW)
    assert [i.inspector_id for i in await repo.list_inspectors(None)] == ["I-1", "I-2"]
    assert await repo.list_inspectors("食品科") == [inspector(2, "食品科")]
    assert await repo.get_inspector("I-1") == inspector(1)
    assert await repo.get_inspector("I-9") is None
    assert [e.expert_id for e in await repo.list_experts()] == ["E-1", "E-2"]
    assert await repo.list_experts("食品") == [experts[0]]
    assert await repo.get_expert("E-2") == experts[0] and await repo.get_expert("E-9") is None
    assert await repo.inspector_ids() == {"I-1", "I-2"}
    assert await repo.expert_ids() == {"E-1", "E-2"}


async def test_a_conflict_is_declared_once(uow: Any) -> None:
    repo = uow.registry
    await repo.upsert_inspectors([inspector(1), inspector(2)], "b", NOW)
    await repo.upsert_entities([entity(0)], "b", NOW)
    assert await repo.add_conflict("I-1", CODES[0], "亲属任职", "xinyong", NOW) is True
    assert await repo.add_conflict("I-1", CODES[0], "再次申报", "xinyong", NOW) is False
    assert await repo.add_pair_conflict("I-2", "I-1", "近亲属", "xinyong", NOW) is True
    assert await repo.add_pair_conflict("I-1", "I-2", "近亲属", "xinyong", NOW) is False


async def test_item_list_versions_keep_their_items_in_file_order(uow: Any) -> None:
    repo = uow.registry
    assert await repo.list_versions() == []
    await repo.add_list_version(version(1, 2), [item("SP-01"), item("GS-01")])
    await repo.add_list_version(version(2, 1), [item("GS-01")])
    versions = await repo.list_versions()
    assert [v.version for v in versions] == [1, 2]
    first = versions[0]
    assert (first.reason, first.items, first.effective_from) == ("第1版", 2, date(2026, 1, 1))
    assert aware(first.imported_at) == NOW
    assert await repo.check_items(1) == [item("SP-01"), item("GS-01")]
    assert await repo.check_items(2) == [item("GS-01")]
    assert await repo.check_items(3) == []


async def test_the_calendar_keeps_newer_versions_only(uow: Any) -> None:
    calendar = uow.calendar
    assert await calendar.latest_version(2027) == 0 and await calendar.versions() == []
    assert await calendar.add(calendar_event(2027, 1)) is True
    assert await calendar.add(calendar_event(2027, 1)) is False  # a version already held
    assert await calendar.add(calendar_event(2027, 2, reason="更正")) is True
    assert await calendar.latest_version(2027) == 2
    assert [v.schedule_version for v in await calendar.versions(2027)] == [1, 2]
    assert await calendar.versions(2026) == []
    assert (await calendar.versions())[1].reason == "更正"


def external(agency: str, n: int, **changes: Any) -> ExternalInspectorSnapshot:
    values: dict[str, Any] = {
        "inspector_id": f"{agency}:{n:04d}",
        "agency": agency,
        "agency_inspector_id": f"{n:04d}",
        "name": f"{agency}检查员{n}",
        "department": f"{agency}局",
        "certificate_expires_on": date(2028, 1, 1),
        **changes,
    }
    return ExternalInspectorSnapshot(**values)


async def test_the_external_roster_keeps_each_agencys_ids_apart(uow: Any) -> None:
    repo = uow.registry
    await repo.upsert_external_inspectors([external("tax", 1), external("eco", 1)], "b1", NOW)
    await repo.upsert_external_inspectors([external("tax", 1, active=False)], "b2", NOW)
    assert [(r.inspector_id, r.active) for r in await repo.external_inspectors()] == [
        ("eco:0001", True),
        ("tax:0001", False),
    ]
    (eco,) = await repo.external_inspectors("eco")
    assert eco == external("eco", 1) and not eco.leader_qualified
