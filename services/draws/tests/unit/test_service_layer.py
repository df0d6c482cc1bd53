"""The draw use cases on fakes: every step, every refusal, the events, the yearly cap."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from draws.domain import engine
from draws.domain import protocol as p
from draws.service_layer import services
from spotcheck_common.errors import Conflict, Forbidden, Invalid, NotFound

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import Parties, replaced

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def loaded(n_entities: int = 300, n_inspectors: int = 24) -> FakeDrawsRepository:
    repo = FakeDrawsRepository()
    ents, insp, conflict, task = factories.events(n_entities, n_inspectors)
    await services.entities_imported(FakeDrawsUnitOfWork(repo), ents)
    await services.inspectors_imported(FakeDrawsUnitOfWork(repo), insp, "lingang")
    await services.conflict_declared(FakeDrawsUnitOfWork(repo), conflict)
    await services.task_approved(FakeDrawsUnitOfWork(repo), task)
    return repo


def share(party: str, salt: str = "") -> bytes:
    return hashlib.sha256((party + salt).encode()).digest()


async def run_draw(
    repo: FakeDrawsRepository, task_id: str = "T-1", salt: str = ""
) -> tuple[str, FakeDrawsUnitOfWork]:
    uow = FakeDrawsUnitOfWork(repo)
    draw = await services.create_draw(uow, district="lingang", task_id=task_id, now=NOW)
    await Parties(uow).run(draw.draw_id, {q: share(q, salt) for q in draw.parties})
    return draw.draw_id, uow


async def test_whole_draw_emits_every_step_and_completes() -> None:
    repo = await loaded()
    draw_id, uow = await run_draw(repo)
    names = [e.name for e in uow.events]
    assert names == [
        "draw-manifest-frozen",
        "draw-share-committed",
        "draw-share-committed",
        "draw-share-revealed",
        "draw-share-revealed",
        "draw-seed-revealed",
        "draw-countersigned",
        "draw-completed",
    ]
    assert all(e.aggregate_id() == "T-1" for e in uow.events)
    completed = uow.events[-1]
    draw = repo.draws[draw_id]
    assert completed.seed_hex == draw.seed_hex == draw.seed().hex()
    assert completed.manifest_sha256 == p.json_sha256(draw.manifest)
    assert completed.result_sha256 == p.json_sha256(draw.result)
    # quotas: per stratum exactly the quota is selected (enough eligible entities here)
    assert draw.result is not None
    for s in draw.result["strata"]:
        assert sum(1 for _, o in s["walk"] if o == "selected") == s["quota"]
    assert len(completed.targets) + len(completed.unstaffed) == sum(
        s["quota"] for s in draw.result["strata"]
    )
    # each target carries its area (区域) as the registry's read model records it
    areas = {t.area for t in completed.targets}
    assert areas <= {"草庙子镇", "汪疃镇"} and len(areas) == 2
    assert all(t.area == repo.entities[t.uscc]["area"] for t in completed.targets)


async def test_refusals() -> None:
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo)
    with pytest.raises(NotFound):
        await services.create_draw(uow, district="lingang", task_id="nope")
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    with pytest.raises(Conflict):
        await services.create_draw(uow, district="lingang", task_id="T-1")
    parties = Parties(uow)
    with pytest.raises(Invalid):  # not a party
        await services.commit_share(uow.as_("某人"), draw.draw_id, "某人", "00" * 32)
    with pytest.raises(Conflict):  # reveal before commitments
        await parties.reveal(draw.draw_id, "办公室", share("办公室"))
    with pytest.raises(Invalid, match="签名"):  # /3: an unsigned commitment
        await services.commit_share(uow.as_("办公室"), draw.draw_id, "办公室", "00" * 32)
    await parties.commit(draw.draw_id, "办公室", share("办公室"))
    with pytest.raises(Conflict):  # a commitment cannot be changed
        await parties.commit(draw.draw_id, "办公室", share("other"))
    await parties.commit(draw.draw_id, "信用监管科", share("信用监管科"))
    with pytest.raises(Invalid, match="不符"):
        await parties.reveal(draw.draw_id, "办公室", share("x"))
    await parties.reveal(draw.draw_id, "办公室", share("办公室"))
    with pytest.raises(Conflict):  # after a reveal, no cancelling (no re-draw)
        await parties.cancel(draw.draw_id, "重抽")
    with pytest.raises(Conflict):  # countersign before the result
        await parties.countersign(draw.draw_id)


async def test_cancel_before_reveal_allows_a_new_draw() -> None:
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo)
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    await Parties(uow).cancel(draw.draw_id, "任务范围有误")
    assert repo.draws[draw.draw_id].status == "cancelled"
    again = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    assert again.draw_id != draw.draw_id


async def test_yearly_cap_counts_own_draws_and_skips_with_reason() -> None:
    repo = await loaded(60, 24)
    # every entity at 100%: each draw takes every eligible entity
    for n in (1, 2, 3):
        await services.task_approved(
            FakeDrawsUnitOfWork(repo), factories.task(f"T-{n}", {k: 10000 for k in "ABCDE"})
        )
    first, _ = await run_draw(repo, "T-1", "a")
    await run_draw(repo, "T-2", "b")
    third, _ = await run_draw(repo, "T-3", "c")
    r1 = repo.draws[first].result
    r3 = repo.draws[third].result
    assert r1 is not None and r3 is not None
    assert r1["targets"] and not r3["targets"]
    reasons = {o for s in r3["strata"] for _, o in s["walk"]}
    assert reasons <= {"deregistered", "revoked", "moved_out", "cancelled", p.SKIP_YEARLY_CAP}
    assert sum(s["eligible"] for s in r3["strata"]) == 0
    assert repo.draws[third].manifest["population"]["size"] == 60


async def test_replacement_needs_approval_and_is_drawn_by_the_rule() -> None:
    repo = await loaded()
    draw_id, uow = await run_draw(repo)
    draw = repo.draws[draw_id]
    assert draw.result is not None
    target = next(t for t in draw.result["targets"] if t["team"])
    leader = target["team"][0][0]
    with pytest.raises(Invalid, match="须先经分管局长批准"):  # a text field is no approval
        await services.replace_inspector(
            uow, draw_id, uscc=target["uscc"], inspector_id=leader, reason="病", approval_id="王"
        )
    approval = await services.approve_replacement(
        uow.as_("deputy-wang"),
        draw_id,
        uscc=target["uscc"],
        inspector_id=leader,
        reason="病假，医院证明",
        by_name="王副局长",
    )
    assert (approval["by"], approval["by_name"], approval["used"]) == (
        "deputy-wang",
        "王副局长",
        False,
    )
    assert approval["at"] == uow.clock.now().isoformat()
    others = [m for m, _ in target["team"] if m != leader]
    with pytest.raises(Invalid, match="批准的是调换"):  # an approval names one inspector
        await services.replace_inspector(
            uow.as_("credit-zhang"),
            draw_id,
            uscc=target["uscc"],
            inspector_id=others[0],
            reason="病",
            approval_id=approval["approval_id"],
        )
    record = await services.replace_inspector(
        uow.as_("credit-zhang"),
        draw_id,
        uscc=target["uscc"],
        inspector_id=leader,
        reason="病",
        approval_id=approval["approval_id"],
    )
    assert (record["approved_by"], record["approval_ref"], record["requested_by"]) == (
        "王副局长",
        approval["approval_id"],
        "credit-zhang",
    )
    # /3: it takes effect once the general office countersigns it, not the requester
    assert repo.draws[draw_id].team_of(target["uscc"])[0] == (leader, "leader")
    assert uow.events[-1].name != "draw-inspector-replaced"
    parties = Parties(uow)
    with pytest.raises(Forbidden, match="申请了这次调换"):
        await replaced(parties, draw_id, approval["approval_id"], "credit-zhang")
    done = await replaced(parties, draw_id, approval["approval_id"])
    assert done["countersign"]["by"] == "office-countersigner" and done["seq"] == 1
    with pytest.raises(Conflict, match="已用于一次调换"):  # one replacement per approval
        await services.replace_inspector(
            uow,
            draw_id,
            uscc=target["uscc"],
            inspector_id=record["replacement"],
            reason="病",
            approval_id=approval["approval_id"],
        )
    new = record["replacement"]
    roster = {r["inspector_id"]: r for r in draw.roster}
    assert new != leader and roster[new]["leader_qualified"]
    team = repo.draws[draw_id].team_of(target["uscc"])
    assert team[0] == (new, "leader") and len(team) == len(target["team"])
    assert uow.events[-1].name == "draw-inspector-replaced"


def attribute_values(pop: p.Population) -> list[tuple[str, ...]]:
    """Each row's (entity type, industry, area), decoded through the population's vocabulary."""
    n = pop.size
    return [
        tuple(
            pop.vocabulary[k][int.from_bytes(pop.attributes[2 * (k * n + i) : 2 * (k * n + i) + 2])]
            for k in range(3)
        )
        for i in range(n)
    ]


async def test_snapshot_population_equals_table_population(tmp_path) -> None:
    from draws.adapters.snapshot import SnapshotStore
    from spotcheck_common.events.registry import EntityUpdated
    from spotcheck_common.events.types import EntityStatus, RiskClass

    repo = await loaded(500, 24)
    store = SnapshotStore(tmp_path / "snap")
    strata = [{"key": k, "ratio_bp": 100, "cap": 2} for k in "ABDE"]
    filters = [
        {},
        {"industries": ["制造业"]},
        {"areas": ["汪疃镇"], "entity_types": ["有限责任公司"]},
    ]

    async def check() -> None:
        snap = await store.refresh(repo, 2026)
        assert snap.rev == repo.rev
        checks = await repo.checks_this_year(2026)
        for f in filters:
            rows = await repo.population_rows(f)
            want = engine.build_population(rows, strata, checks)
            assert snap.population(f, strata) == want
            # /3 (§14.13): each row's attribute values, the same both ways (the vocabularies
            # may differ: the snapshot's holds its whole dictionary)
            want = engine.build_population(rows, strata, checks, attributes=True)
            got = snap.population(f, strata, attributes=True)
            assert got.attributes and attribute_values(got) == attribute_values(want)

    codes = list(repo.entities)
    await repo.record_checks("d0", 2026, codes[:7])
    await repo.record_checks("d0", 2025, codes[7:9])

    await check()
    # later events: a status change, a risk change, new entities — applied as a delta
    first = next(iter(repo.entities.values()))
    ent = factories.entities(1, 99)[0]
    await services.entity_updated(FakeDrawsUnitOfWork(repo), EntityUpdated(entity=ent))
    changed = ent.model_copy(update={"status": EntityStatus.REVOKED, "risk_class": RiskClass.E})
    await services.entity_updated(FakeDrawsUnitOfWork(repo), EntityUpdated(entity=changed))
    snapshot_first = first["uscc"]
    await services.entities_imported(FakeDrawsUnitOfWork(repo), factories.events(700, 2, seed=8)[0])
    await repo.record_checks("d1", 2026, codes[3:12])
    await check()
    # a fresh process reads the files and applies only what is newer
    again = SnapshotStore(tmp_path / "snap")
    snap = await again.refresh(repo, 2026)
    assert snap.rev == repo.rev and snapshot_first.encode() in set(snap.uscc.tolist())


def test_bench_registry_has_valid_check_digits() -> None:
    import importlib.util
    from pathlib import Path

    from spotcheck_common import uscc as codes

    # The benchmark is a script of the repository (benchmarks/), not part of the package.
    script = Path(__file__).resolve().parents[4] / "benchmarks" / "draws_bench.py"
    spec = importlib.util.spec_from_file_location("draws_bench", script)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    sample = bench.synthetic_codes(5000, seed=1)
    assert len(set(sample.tolist())) == 5000 and list(sample) == sorted(sample)
    assert all(codes.validate(c.decode()) is None for c in sample[::50])


async def test_one_person_cannot_run_a_whole_draw() -> None:
    """Issue 12: a user holding credit_dept and general_office created the draw, committed and
    revealed both shares and countersigned. The parties are distinct people now."""
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo, actor="zhang")
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    assert draw.created_by == "zhang"
    parties = Parties(uow)
    await parties.commit(draw.draw_id, "信用监管科", share("信用监管科"), "zhang")
    with pytest.raises(Forbidden, match="不同的人"):  # roles combined do not combine duties
        await parties.commit(draw.draw_id, "办公室", share("办公室"), "zhang")
    await parties.commit(draw.draw_id, "办公室", share("办公室"), "li")
    with pytest.raises(Forbidden, match="只有其本人可以揭示"):
        await parties.reveal(draw.draw_id, "信用监管科", share("信用监管科"), "li")
    for party, holder in (("信用监管科", "zhang"), ("办公室", "li")):
        await parties.reveal(draw.draw_id, party, share(party), holder)
    for someone, why in (("li", "持有本次抽取的种子份额"), ("zhang", "持有")):
        with pytest.raises(Forbidden, match=why):
            await parties.countersign(draw.draw_id, someone)
    assert repo.draws[draw.draw_id].status == "drawn"
    await parties.countersign(draw.draw_id, "wang")
    assert repo.draws[draw.draw_id].holders == {"信用监管科": "zhang", "办公室": "li"}


async def test_the_creator_may_hold_one_share_but_never_countersign() -> None:
    repo = await loaded()
    uow = FakeDrawsUnitOfWork(repo, actor="creator")
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    parties = Parties(uow)
    for party, holder in (("信用监管科", "a"), ("办公室", "b")):
        await parties.commit(draw.draw_id, party, share(party), holder)
    for party, holder in (("信用监管科", "a"), ("办公室", "b")):
        await parties.reveal(draw.draw_id, party, share(party), holder)
    with pytest.raises(Forbidden, match="创建了本次抽取"):
        await parties.countersign(draw.draw_id, "creator")


async def test_a_proof_is_the_same_from_the_stored_tree_or_rebuilt() -> None:
    """A draw frozen before trees were stored rebuilds its tree: the same proof either way."""
    from draws.service_layer import views

    repo = await loaded()
    draw_id, uow = await run_draw(repo)
    code = repo.populations[draw_id].code(150).decode()
    stored = await views.proof(uow, draw_id, code)
    absent = await views.proof(uow, draw_id, "91000000000000000X")  # a non-inclusion proof
    assert stored[2]["included"] is True and absent[2]["included"] is False
    del repo.trees[draw_id]
    assert await views.proof(uow, draw_id, code) == stored
    assert await views.proof(uow, draw_id, "91000000000000000X") == absent
    with pytest.raises(NotFound):
        await views.proof(uow, "no-such-draw", code)
