"""The fake repository the unit tests use behaves as the SQL one (on SQLite, the embedded
database; the integration suite runs the SQL one on PostgreSQL): same answers to the same
calls, so a use case tested on the fake holds on the real thing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from draws.adapters.repository import DrawsRepository, SqlDrawsRepository
from draws.domain import protocol as p
from draws.domain.engine import ExpertRow, InspectorRow, PopulationRow
from draws.domain.model import Draw
from draws.entrypoints.service import definition
from spotcheck_common.errors import StaleWrite
from spotcheck_common.testing import migrated_session

from .fakes import FakeDrawsRepository

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)
A, B, C = "91371000MA3C000011", "91371000MA3C00002X", "91371000MA3C000038"


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakeDrawsRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlDrawsRepository(session)


def entity(uscc: str, **changes: Any) -> dict[str, Any]:
    base = {
        "uscc": uscc,
        "name": f"公司{uscc[-3:]}",
        "entity_type": "有限责任公司",
        "industry": "制造业",
        "area": "草庙子镇",
        "risk_class": "A",
        "status": "active",
    }
    return {**base, **changes}


def inspector(inspector_id: str, **changes: Any) -> dict[str, Any]:
    base = {
        "inspector_id": inspector_id,
        "name": f"检查员{inspector_id}",
        "department": "信用监管科",
        "district": "lingang",
        "qualifications": ["企业公示信息"],
        "leader_qualified": True,
        "certificate_expires_on": date(2028, 1, 1),
        "active": True,
    }
    return {**base, **changes}


async def test_the_population_and_its_revisions(repo: DrawsRepository) -> None:
    assert await repo.population_rev() == 0
    rev = await repo.next_population_rev()
    assert rev == 1 and await repo.population_rev() == 1
    await repo.upsert_entities([entity(B, risk_class="E"), entity(A)], rev, T0)
    rev = await repo.next_population_rev()
    await repo.upsert_entities([entity(C, area="汪疃镇"), entity(A, status="revoked")], rev, T0)
    scope = ("有限责任公司", "制造业")  # each row with its attributes (§14.13)
    assert await repo.population_rows({}) == [
        PopulationRow(A, "A", "revoked", *scope, "草庙子镇"),
        PopulationRow(B, "E", "active", *scope, "草庙子镇"),
        PopulationRow(C, "A", "active", *scope, "汪疃镇"),
    ]
    assert [r.uscc for r in await repo.population_rows({"areas": ["汪疃镇"]})] == [C]
    assert [r.uscc for r in await repo.population_rows({"risk_classes": ["E"]})] == [B]
    changed = sorted(await repo.entities_between(1, 2))
    assert [c[0] for c in changed] == [A, C] and changed[0][5] == "revoked"
    assert await repo.entity_info([A, "nope"]) == {A: ("公司011", "A", "草庙子镇")}


async def test_roster_conflicts_and_experts(repo: DrawsRepository) -> None:
    await repo.upsert_inspectors(
        [inspector("LG1"), inspector("LG2", department="市场规范管理科"), inspector("RC1")], T0
    )
    await repo.upsert_inspectors([inspector("RC1", district="rongcheng", active=False)], T0)
    rows = await repo.roster_rows("lingang", ["信用监管科", "市场规范管理科"])
    assert sorted(r.inspector_id for r in rows) == ["LG1", "LG2"]
    assert next(r for r in rows if r.inspector_id == "LG1") == InspectorRow(
        "LG1", "检查员LG1", "信用监管科", "lingang", ("企业公示信息",), True, date(2028, 1, 1), True
    )
    (rc,) = await repo.roster_rows("rongcheng", ["信用监管科"])
    assert rc.active is False
    # a co-organising agency's external roster (§16): every inspector under its code
    tax = [inspector("tax:T1", district="tax", department="某税务局", leader_qualified=False)]
    await repo.upsert_inspectors(tax, T0)
    assert [r.inspector_id for r in await repo.agency_rows("tax")] == ["tax:T1"]
    assert "tax:T1" not in {r.inspector_id for r in await repo.roster_rows("lingang", ["某税务局"])}
    await repo.add_conflict("LG1", A, "亲属", T0)
    await repo.add_conflict("LG1", A, "again", T0)  # a redelivery changes nothing
    await repo.add_conflict("LG2", B, "顾问", T0)
    assert sorted(await repo.conflicts_of(["LG1", "LG2", "LG9"])) == [("LG1", A), ("LG2", B)]
    await repo.add_pair_conflict("LG2", "LG1", "夫妻", T0)
    await repo.add_pair_conflict("LG1", "LG2", "again", T0)
    await repo.add_pair_conflict("LG1", "XX9", "亲属", T0)
    assert await repo.pair_conflicts_of(["LG1", "LG2"]) == [("LG1", "LG2")]
    assert await repo.pair_conflicts_of(["LG1"]) == []
    expert = {"name": "专家", "field": "特种设备", "organization": "特检院", "active": True}
    await repo.upsert_experts([{"expert_id": "ZJ1", "district": "lingang", **expert}], T0)
    await repo.upsert_experts([{"expert_id": "ZJ2", "district": "rongcheng", **expert}], T0)
    assert await repo.expert_rows("lingang") == [
        ExpertRow("ZJ1", "专家", "特种设备", "特检院", True)
    ]


async def test_approved_tasks(repo: DrawsRepository) -> None:
    payload = {"task_id": "T-1", "task_no": "LG-1", "title": "任务", "ratio_bp": {"A": 300}}
    await repo.upsert_task(payload, T0)
    await repo.upsert_task({**payload, "title": "任务（调整）"}, T0)
    assert await repo.get_task("T-1") == {**payload, "title": "任务（调整）"}
    assert await repo.get_task("nope") is None


def draw(draw_id: str, task_id: str = "T-1", minutes: int = 0, **changes: Any) -> Draw:
    base = Draw(
        draw_id=draw_id,
        task_id=task_id,
        status="frozen",
        manifest={
            "task": {"task_no": "LG-1"},
            "parties": ["信用监管科", "办公室"],
            "population": {"chunk_size": 1},
        },
        manifest_sha256="ab" * 32,
        roster=[{"inspector_id": "LG1"}],
        created_by="credit",
        created_at=T0 + timedelta(minutes=minutes),
    )
    return dataclasses.replace(base, **changes)


POPULATION = p.Population((A + B).encode("ascii"), b"\x00\x01", b"\x00\x00", b"\x00\x02")


async def test_draws_saved_with_an_optimistic_lock(repo: DrawsRepository) -> None:
    await repo.add_draw(draw("d1"), POPULATION, [("LG1", A, "00" * 16)])
    stored = await repo.get_draw("d1", lock=True)
    assert stored == draw("d1")  # the instant comes back aware, on SQLite too
    assert await repo.get_draw("nope") is None
    assert await repo.get_population("d1") == POPULATION
    tree = await repo.get_tree("d1")  # stored with the draw: proofs read log n nodes
    assert tree is not None and (tree.chunks, tree.size) == (2, 2)
    assert tree.path(0) == p.population_leaves(POPULATION, 1)[1:]
    assert await repo.get_tree("nope") is None
    second = p.Population(B.encode("ascii"), b"\x01", b"\x00", b"\x02")
    assert await repo.get_population_rows("d1", 1, 2) == second
    assert await repo.get_salts("d1") == [("LG1", A, "00" * 16)]
    assert stored is not None
    stale = dataclasses.replace(stored, commitments=[])
    stored.commitments.append({"party": "办公室", "commitment": "cd" * 32, "at": "x"})
    stored.status = "committed"
    await repo.save_draw(stored)
    assert stored.version == 1
    with pytest.raises(StaleWrite):
        await repo.save_draw(stale)  # read before the save above
    again = await repo.get_draw("d1")
    assert again is not None and again.status == "committed" and again.version == 1
    assert again.commitments == stored.commitments


async def test_a_v3_population_keeps_its_attributes(repo: DrawsRepository) -> None:
    """§14.13: the rows' attribute blocks are stored, and a chunk of rows reads its slice."""
    attributes = bytes(range(12))  # 2 rows × 3 blocks × 2 bytes
    pop = dataclasses.replace(POPULATION, attributes=attributes)
    await repo.add_draw(draw("d9"), pop, [])
    assert (await repo.get_population("d9")).attributes == attributes
    second = await repo.get_population_rows("d9", 1, 2)
    assert second.attributes == bytes([2, 3, 6, 7, 10, 11])
    assert second == p.population_rows(pop, 1, 2)


async def test_draws_of_a_task(repo: DrawsRepository) -> None:
    await repo.add_draw(draw("d2", minutes=2, status="cancelled"), POPULATION, [])
    await repo.add_draw(draw("d1", minutes=1, status="cancelled"), POPULATION, [])
    await repo.add_draw(draw("d3", "T-2", minutes=3), POPULATION, [])
    assert await repo.open_draw_of_task("T-1") is None  # both cancelled
    await repo.add_draw(draw("d4", minutes=4), POPULATION, [])
    found = await repo.open_draw_of_task("T-1")
    assert found is not None and found.draw_id == "d4"
    assert [d.draw_id for d in await repo.list_draws(None)] == ["d1", "d2", "d3", "d4"]
    assert [d.draw_id for d in await repo.list_draws("T-1")] == ["d1", "d2", "d4"]


async def test_checks_of_the_year(repo: DrawsRepository) -> None:
    await repo.record_checks("d1", 2026, [A, B])
    await repo.record_checks("d2", 2026, [A])
    await repo.record_checks("d3", 2025, [C])
    await repo.record_checks("d4", 2026, [])
    assert await repo.checks_this_year(2026) == {A: 2, B: 1}
    last, drawn = await repo.checks_after(2026, 0)
    assert sorted(drawn) == [A, A, B]
    assert await repo.checks_after(2026, last) == (last, [])
    _, first_two = await repo.checks_after(2025, 0)
    assert first_two == [C]


async def test_the_draws_the_checks_count(repo: DrawsRepository) -> None:
    """§14.12: the draws this year's checks come from, with their result digests."""
    for name, year, usccs in (("d2", 2026, [A, B]), ("d1", 2026, [A]), ("d3", 2025, [C])):
        await repo.add_draw(draw(name, result_sha256=name * 32), POPULATION, [])
        await repo.record_checks(name, year, usccs)
    assert await repo.checked_draws(2026) == [("d1", "d1" * 32, 1), ("d2", "d2" * 32, 2)]
    assert await repo.checked_draws(2024) == []


@pytest.fixture(params=["fake", "sql"])
async def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    from draws.adapters.ledger import SqlLedgerRepository

    from .fakes import FakeLedgerRepository

    if request.param == "fake":
        yield FakeLedgerRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlLedgerRepository(session)


async def test_the_draw_log_is_one_chain_per_district(ledger: Any) -> None:
    from draws.domain.ledger import PartyKey

    assert await ledger.head("lingang") == (0, p.LOG_GENESIS)
    key = PartyKey(
        "ab" * 16, "lingang", "办公室", "li", "cd" * 32, "2026-01-01", "2026-12-31", "ef" * 64
    )
    first = await ledger.append("lingang", T0, "key-registered", {"key": {"key_id": key.key_id}})
    key.registered_seq = first["seq"]
    await ledger.add_key(key)
    frozen = await ledger.append("lingang", T0, "frozen", {"draw_id": "d1"})
    other = await ledger.append("rongcheng", T0, "frozen", {"draw_id": "d2"})
    committed = await ledger.append(
        "lingang", T0, "committed", {"draw_id": "d1", "key_id": key.key_id}
    )
    assert [first["seq"], frozen["seq"], committed["seq"], other["seq"]] == [1, 2, 3, 1]
    assert frozen["prev"] == p.log_hash(first) and committed["prev"] == p.log_hash(frozen)
    assert other["prev"] == p.LOG_GENESIS
    assert await ledger.head("lingang") == (3, p.log_hash(committed))
    assert await ledger.records("lingang", 1, 1) == [frozen]
    assert await ledger.extract_of("d1", [key.key_id]) == [first, frozen, committed]
    assert await ledger.extract_of("d1", []) == [frozen, committed]
    await ledger.revoke_key(key.key_id, 4, "li", "遗失", T0)
    found = await ledger.get_key(key.key_id)
    assert found is not None and (found.registered_seq, found.revoked_seq) == (1, 4)
    assert [k.key_id for k in await ledger.keys("lingang")] == [key.key_id]
    assert await ledger.keys("rongcheng") == [] and await ledger.get_key("00" * 16) is None


async def test_a_joint_draw_keeps_what_this_bureau_did_and_the_drawing_districts_result(
    repo: Any,
) -> None:
    from draws.domain.joint import JointDraw

    manifest = {"parties": ["信用监管科", "办公室", "huancui:信用监管科"], "district": "lingang"}
    jd = JointDraw("d1", "lingang", "huancui:信用监管科", "T-1", manifest, "ab" * 32, created_at=T0)
    await repo.add_joint_draw(jd)
    await repo.add_joint_draw(dataclasses.replace(jd, task_no="other"))  # known: nothing changes
    found = await repo.get_joint_draw("d1", lock=True)
    assert found == jd
    found.commitment, found.status = "cd" * 32, "committed"
    found.committed_at, found.revealed_at = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    await repo.save_joint_draw(found)
    found.complete("ef" * 32, "/public/draws/d1/bundle")
    await repo.save_joint_draw(found)
    (listed,) = await repo.list_joint_draws()
    assert listed == found and listed.version == 2
    assert (listed.result_sha256, listed.bundle_url) == ("ef" * 32, "/public/draws/d1/bundle")
    assert listed.committed_at == T0 + timedelta(hours=1)  # an instant, whatever the database
    stale = dataclasses.replace(listed, version=0)
    with pytest.raises(StaleWrite):
        await repo.save_joint_draw(stale)


async def test_direct_assignment_approvals_and_team_counts(repo: DrawsRepository) -> None:
    """§15: the deputy director's approvals by task, in order, as recorded; the share of
    assigned teams summed per department."""
    first = {
        "approval_id": "a2",
        "task_id": "T-1",
        "reason": "人员不足",
        "by": "deputy",
        "by_name": "王副局长",
        "at": T0.isoformat(),
    }
    later = {**first, "approval_id": "a1", "at": (T0 + timedelta(hours=1)).isoformat()}
    await repo.add_direct_approval(later)
    await repo.add_direct_approval(first)
    await repo.add_direct_approval({**first, "approval_id": "b", "task_id": "T-2"})
    assert await repo.get_direct_approval("a1") == later
    assert await repo.get_direct_approval("zz") is None
    assert await repo.direct_approvals_of("T-1") == [first, later]
    await repo.add_team_counts("d1", "信用监管科", 5, 5, T0)
    await repo.add_team_counts("d2", "信用监管科", 7, 0, T0)
    await repo.add_team_counts("d3", "食品安全科", 3, 0, T0)
    assert await repo.team_counts() == [("信用监管科", 12, 5), ("食品安全科", 3, 0)]
