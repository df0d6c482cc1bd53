"""Experts (spec §8.4, ``spotcheck-draw/2``) and declared inspector pair conflicts: property
tests of the expert constraints against the spec read literally, the verifier on expert
bundles, and the service layer from the registry's events to DrawCompleted."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from draws import verify_draw
from draws.domain import protocol as p
from draws.entrypoints.schemas import DrawOut
from draws.service_layer import services, views
from spotcheck_common.errors import Invalid
from spotcheck_common.events.registry import (
    ConflictDeclared,
    ExpertsImported,
    ExpertSnapshot,
    InspectorPairConflictDeclared,
)
from spotcheck_common.events.types import TeamRole
from spotcheck_common.uscc import synthetic

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import Parties, published, replaced

CODES = synthetic(40, seed=21)
VECTOR = Path(__file__).resolve().parents[4] / "docs" / "draw-vectors" / "experts"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


# ---------------------------------------------------------------------- the spec, literally


def reference_experts(
    key: bytes,
    pool: list[p.Candidate],
    team_size: int,
    experts: list[str],
    per_target: int,
    targets: list[str],
    recused: set[tuple[str, str]],
    erecused: set[tuple[str, str]],
) -> dict[str, Any]:
    """§8.3 then §8.4 for each target, each step the minimum key over all candidates; a
    target without its experts is unstaffed and no load changes."""
    cap = -(-team_size * len(targets) // len(pool)) + 1 if pool else 0
    ecap = -(-per_target * len(targets) // len(experts)) + 1 if experts else 0
    loads = {c.inspector_id: 0 for c in pool}
    eloads = dict.fromkeys(experts, 0)
    teams: dict[str, list[tuple[str, str]]] = {}
    chosen_experts: dict[str, list[str]] = {}
    unstaffed: list[str] = []
    for u in targets:
        team: list[str] = []
        for step in range(team_size):
            cands = [
                c
                for c in pool
                if c.inspector_id not in team
                and loads[c.inspector_id] < cap
                and (step > 0 or c.leader_qualified)
                and (c.inspector_id, u) not in recused
            ]

            def k(c: p.Candidate, step: int = step) -> tuple[Any, ...]:
                t = p.inspector_ticket(key, c.inspector_id, loads[c.inspector_id])
                lq = () if step == 0 else (int(c.leader_qualified),)
                return (c.tier, loads[c.inspector_id], *lq, t, c.inspector_id.encode())

            if not cands:
                break
            team.append(min(cands, key=k).inspector_id)
        if len(team) < team_size:
            unstaffed.append(u)
            continue
        ex: list[str] = []
        for _ in range(per_target):
            ecands = [
                e for e in experts if e not in ex and eloads[e] < ecap and (e, u) not in erecused
            ]
            if not ecands:
                break
            ex.append(min(ecands, key=lambda e: (eloads[e], p.expert_ticket(key, e, eloads[e]), e)))
        if len(ex) < per_target:
            unstaffed.append(u)
            continue
        for i in team:
            loads[i] += 1
        for e in ex:
            eloads[e] += 1
        teams[u] = [(i, "leader" if n == 0 else "member") for n, i in enumerate(team)]
        chosen_experts[u] = ex
    return {"teams": teams, "experts": chosen_experts, "unstaffed": unstaffed, "ecap": ecap}


@st.composite
def expert_case(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(2, 8))
    pool = [p.Candidate(f"I{i:02d}", 0, draw(st.booleans())) for i in range(n)]
    experts = [f"E{i:02d}" for i in range(draw(st.integers(0, 6)))]
    targets = draw(st.lists(st.sampled_from(CODES), max_size=20, unique=True))
    ids = [c.inspector_id for c in pool]
    recused = set(
        draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(CODES)), max_size=15))
    )
    erecused = (
        set(
            draw(st.lists(st.tuples(st.sampled_from(experts), st.sampled_from(CODES)), max_size=40))
        )
        if experts
        else set()
    )
    return {
        "pool": pool,
        "experts": experts,
        "targets": targets,
        "recused": recused,
        "erecused": erecused,
        "team": draw(st.integers(2, 3)),
        "per": draw(st.integers(1, 3)),
        "key": draw(st.binary(min_size=32, max_size=32)),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expert_case())
def test_expert_matching_meets_every_constraint_and_equals_the_spec(case: dict[str, Any]) -> None:
    pool, targets, per = case["pool"], case["targets"], case["per"]
    recused, erecused, experts = case["recused"], case["erecused"], case["experts"]
    matcher = p.Matcher(
        case["key"], pool, case["team"], len(targets), lambda i, u: (i, u) in recused
    )
    em = p.ExpertMatcher(case["key"], experts, per, len(targets), lambda e, u: (e, u) in erecused)
    got = matcher.run(targets, em)
    ecap = -(-per * len(targets) // len(experts)) + 1 if experts else 0
    assert em.cap == ecap
    # never half-staffed: a target has its inspectors and all its experts, or is unstaffed
    assert set(got.teams) | set(got.unstaffed) == set(targets)
    assert set(em.teams) == set(got.teams)
    eloads: dict[str, int] = {}
    for u, ex in em.teams.items():
        assert len(ex) == per and len(set(ex)) == per  # never the same expert twice
        assert all(e in experts for e in ex)  # from the qualified pool only
        assert all((e, u) not in erecused for e in ex)  # nobody recused from the target
        for e in ex:
            eloads[e] = eloads.get(e, 0) + 1
    assert all(v <= ecap for v in eloads.values())  # load-balanced like inspectors
    assert {e: v for e, v in em.loads.items() if v} == eloads
    # inspector loads count only staffed targets (an expert shortfall gives its loads back)
    iloads: dict[str, int] = {}
    for team in got.teams.values():
        for i, _ in team:
            iloads[i] = iloads.get(i, 0) + 1
    assert {i: v for i, v in got.loads.items() if v} == iloads
    # the disclosures name real recusals of that target
    assert all((e, u) in erecused for u, e in em.disclosed)
    want = reference_experts(
        case["key"], pool, case["team"], experts, per, targets, recused, erecused
    )
    assert got.teams == want["teams"]
    assert em.teams == want["experts"]
    assert got.unstaffed == want["unstaffed"]


@settings(max_examples=100, deadline=None)
@given(expert_case())
def test_no_experts_requested_is_the_plain_matching(case: dict[str, Any]) -> None:
    """Experts that are never short change nothing of the inspectors' teams."""
    pool, targets = case["pool"], case["targets"]
    plain = p.Matcher(case["key"], pool, case["team"], len(targets), lambda i, u: False)
    alone = plain.run(targets)
    big = [f"E{i:03d}" for i in range(max(1, len(targets)) * 2)]
    with_experts = p.Matcher(case["key"], pool, case["team"], len(targets), lambda i, u: False)
    em = p.ExpertMatcher(case["key"], big, 1, len(targets), lambda e, u: False)
    got = with_experts.run(targets, em)
    assert got.teams == alone.teams and got.unstaffed == alone.unstaffed


@st.composite
def expert_entry(draw: Any) -> p.ExpertEntry:
    return p.ExpertEntry(
        expert_id="ZJ" + str(draw(st.integers(0, 99))),
        name="专家",
        field=draw(st.sampled_from(["食品安全", "特种设备", "计量"])),
        organization="市特检院",
        active=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(expert_entry(), max_size=15, unique_by=lambda e: e.expert_id),
    st.lists(st.sampled_from(["食品安全", "特种设备", "计量"]), unique=True),
)
def test_expert_pool_holds_only_active_experts_of_the_fields(
    roster: list[p.ExpertEntry], fields: list[str]
) -> None:
    manifest = {"experts": {"per_target": 1, "fields": sorted(fields)}}
    pool = p.expert_pool(roster, manifest)
    assert pool == sorted(pool, key=lambda x: x.encode())
    for e in roster:
        ok = e.active and (not fields or e.field in fields)
        assert (e.expert_id in pool) == ok


# --------------------------------------------------------------------------- the verifier


def _bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTOR / "bundle.json").read_bytes())
    return data


def _resealed(body: dict[str, Any]) -> dict[str, Any]:
    return {"body": body, "body_sha256": p.json_sha256(body)}


def test_expert_vector_is_spotcheck_draw_2_and_has_unstaffed_for_want_of_experts() -> None:
    body = _bundle()["body"]
    assert body["manifest"]["algorithm"] == p.ALGORITHM_EXPERTS
    assert verify_draw.verify(_bundle(), workers=1).ok
    staffed = [t for t in body["result"]["targets"] if t["team"]]
    assert staffed and all(len(t["experts"]) == 2 for t in staffed)
    assert all(t["experts"] == [] for t in body["result"]["targets"] if not t["team"])
    # some targets are unstaffed only because their experts are recused
    opened = {(d["uscc"], d["expert_id"]) for d in body["result"]["experts"]["recusal_disclosures"]}
    pool = p.expert_pool(
        [p.ExpertEntry.from_json(e) for e in body["expert_roster"]], body["manifest"]
    )
    short = [
        u for u in body["result"]["unstaffed"] if len([e for e in pool if (u, e) not in opened]) < 2
    ]
    assert short


def test_verifier_catches_a_changed_expert_even_when_resealed() -> None:
    body = _bundle()["body"]
    t = next(t for t in body["result"]["targets"] if t["experts"])
    pool = p.expert_pool(
        [p.ExpertEntry.from_json(e) for e in body["expert_roster"]], body["manifest"]
    )
    t["experts"][1] = next(e for e in pool if e not in t["experts"])
    body["result_sha256"] = p.json_sha256(body["result"])
    body["countersign"]["result_sha256"] = body["result_sha256"]
    report = verify_draw.verify(_resealed(body), workers=1)
    assert not report.ok and "experts of" in (report.difference or "")


def test_verifier_catches_a_hidden_expert_recusal_disclosure() -> None:
    body = _bundle()["body"]
    body["result"]["experts"]["recusal_disclosures"].pop(0)
    body["result_sha256"] = p.json_sha256(body["result"])
    body["countersign"]["result_sha256"] = body["result_sha256"]
    report = verify_draw.verify(_resealed(body), workers=1)
    assert not report.ok


def test_verifier_catches_a_changed_expert_roster() -> None:
    body = _bundle()["body"]
    body["expert_roster"][0]["field"] = "计量"
    report = verify_draw.verify(_resealed(body), workers=1)
    assert not report.ok and "expert roster Merkle root" in (report.difference or "")


def test_a_version_1_bundle_may_not_carry_experts() -> None:
    body = _bundle()["body"]
    body["manifest"]["algorithm"] = p.ALGORITHM
    body["manifest_sha256"] = p.json_sha256(body["manifest"])
    report = verify_draw.verify(_resealed(body), workers=1)
    assert not report.ok and "present in a spotcheck-draw/1 bundle" in (report.difference or "")


def test_unknown_algorithm_is_refused() -> None:
    body = _bundle()["body"]
    body["manifest"]["algorithm"] = "spotcheck-draw/9"
    body["manifest_sha256"] = p.json_sha256(body["manifest"])
    report = verify_draw.verify(_resealed(body), workers=1)
    assert not report.ok and "not implemented" in (report.difference or "")


def test_verifier_catches_a_team_holding_a_declared_pair() -> None:
    """A bundle whose manifest declares a pair that a published team holds is refused."""
    body = _bundle()["body"]
    team = next(t["team"] for t in body["result"]["targets"] if t["team"])
    pair = sorted([team[0][0], team[1][0]])
    body["manifest"]["pair_conflicts"] = sorted([*body["manifest"]["pair_conflicts"], pair])
    body["manifest_sha256"] = p.json_sha256(body["manifest"])
    assert not verify_draw.verify(_resealed(body), workers=1).ok


# ------------------------------------------------------------------------- service layer


def share(party: str) -> bytes:
    return hashlib.sha256(party.encode()).digest()


async def _loaded(per_target: int, fields: list[str]) -> tuple[FakeDrawsRepository, list[Any]]:
    repo = FakeDrawsRepository()
    ents, insp, conflict, task = factories.events(300, 24)
    await services.entities_imported(FakeDrawsUnitOfWork(repo), ents)
    await services.inspectors_imported(FakeDrawsUnitOfWork(repo), insp, "lingang")
    await services.conflict_declared(FakeDrawsUnitOfWork(repo), conflict)
    experts = [
        ExpertSnapshot(
            expert_id=f"ZJ{k:03d}",
            name=f"专家{k}",
            field=["食品安全", "特种设备"][k % 2],
            organization="市特检院",
            active=k != 5,
        )
        for k in range(12)
    ]
    await services.experts_imported(
        FakeDrawsUnitOfWork(repo), ExpertsImported(batch_id="e1", experts=experts), "lingang"
    )
    uscc0 = ents.entities[1].uscc
    await services.conflict_declared(
        FakeDrawsUnitOfWork(repo),
        ConflictDeclared(inspector_id="ZJ000", uscc=uscc0, reason="曾任顾问"),
    )
    payload = task.model_copy(update={"experts_per_target": per_target, "expert_fields": fields})
    await services.task_approved(FakeDrawsUnitOfWork(repo), payload)
    return repo, experts


async def _run(repo: FakeDrawsRepository) -> tuple[str, FakeDrawsUnitOfWork]:
    uow = FakeDrawsUnitOfWork(repo)
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    await Parties(uow).run(draw.draw_id, {q: share(q) for q in draw.parties})
    return draw.draw_id, uow


async def test_draw_with_experts_end_to_end_on_fakes() -> None:
    repo, experts = await _loaded(2, ["食品安全"])
    draw_id, uow = await _run(repo)
    draw = repo.draws[draw_id]
    m = draw.manifest
    assert m["algorithm"] == p.ALGORITHM_SIGNED
    assert m["experts"]["per_target"] == 2 and m["experts"]["fields"] == ["食品安全"]
    assert m["experts"]["roster"]["size"] == len(experts)
    frozen = uow.events[0]
    assert frozen.algorithm == p.ALGORITHM_SIGNED
    # the expert's declared conflict is committed salted in the expert roster
    zj0 = next(e for e in draw.expert_roster or [] if e["expert_id"] == "ZJ000")
    assert len(zj0["recusals"]) == 1
    bundle = await published(repo, draw_id)
    report = verify_draw.verify(bundle, workers=1)
    assert report.ok, report.difference
    completed = uow.events[-1]
    assert completed.name == "draw-completed" and completed.algorithm == p.ALGORITHM_SIGNED
    food = {e.expert_id for e in experts if e.field == "食品安全" and e.active}
    assert completed.targets
    for t in completed.targets:
        roles = [m.role for m in t.team]
        assert roles.count(TeamRole.LEADER) == 1 and roles.count(TeamRole.EXPERT) == 2
        ex = [m.inspector_id for m in t.team if m.role is TeamRole.EXPERT]
        assert set(ex) <= food and len(set(ex)) == 2
        assert all(m.department == "市特检院" for m in t.team if m.role is TeamRole.EXPERT)
    # the staff view shows experts as team members too
    uow = FakeDrawsUnitOfWork(repo)
    view = DrawOut.of(draw, await views.names(uow, draw)).model_dump(
        mode="json", exclude_unset=True
    )
    assert view["experts"]["per_target"] == 2
    assert all(
        sum(1 for m in t["team"] if m["role"] == "expert") == 2
        for t in view["targets"]
        if t["team"]
    )


async def test_no_experts_requested_means_no_expert_keys() -> None:
    repo, _ = await _loaded(0, [])
    draw_id, uow = await _run(repo)
    draw = repo.draws[draw_id]
    assert draw.manifest["algorithm"] == p.ALGORITHM_SIGNED and "experts" not in draw.manifest
    assert draw.expert_roster is None
    body = (await published(repo, draw_id))["body"]
    assert "expert_roster" not in body and "experts" not in body["result"]
    assert all("experts" not in t for t in body["result"]["targets"])
    assert all(m.role is not TeamRole.EXPERT for t in uow.events[-1].targets for m in t.team)


async def test_experts_short_means_unstaffed_never_half_staffed() -> None:
    # one qualified active expert, two per target: nothing can be staffed
    repo, _ = await _loaded(2, ["计量"])
    await services.experts_imported(
        FakeDrawsUnitOfWork(repo),
        ExpertsImported(
            batch_id="e2",
            experts=[ExpertSnapshot(expert_id="ZJ900", name="甲", field="计量")],
        ),
        "lingang",
    )
    draw_id, uow = await _run(repo)
    draw = repo.draws[draw_id]
    assert draw.result is not None
    assert draw.result["targets"] and not any(t["team"] for t in draw.result["targets"])
    assert draw.result["unstaffed"] == [t["uscc"] for t in draw.result["targets"]]
    assert uow.events[-1].targets == []
    assert verify_draw.verify(await published(repo, draw_id), workers=1).ok


async def test_declared_pair_conflict_reaches_the_manifest_and_no_team_holds_both() -> None:
    repo, _ = await _loaded(0, [])
    # a tiny pool so the pair would surely meet: three qualified inspectors of one department
    pool = ["LG0001", "LG0002", "LG0003"]
    for i, row in list(repo.inspectors.items()):
        if i not in pool:
            row["active"] = False
        else:
            row.update(
                qualifications=["企业公示信息", "SD-QY-02"],
                leader_qualified=True,
                certificate_expires_on=datetime(2030, 1, 1).date(),
                active=True,
            )
    event = InspectorPairConflictDeclared(inspector_ids=["LG0002", "LG0001"], reason="夫妻")
    await services.pair_conflict_declared(FakeDrawsUnitOfWork(repo), event)
    await services.pair_conflict_declared(
        FakeDrawsUnitOfWork(repo), event
    )  # redelivery changes nothing
    # a pair with someone outside the roster is not published
    await services.pair_conflict_declared(
        FakeDrawsUnitOfWork(repo),
        InspectorPairConflictDeclared(inspector_ids=["LG0001", "XX9999"], reason="亲属"),
    )
    draw_id, _ = await _run(repo)
    draw = repo.draws[draw_id]
    assert draw.manifest["pair_conflicts"] == [["LG0001", "LG0002"]]
    assert draw.result is not None
    staffed = [t for t in draw.result["targets"] if t["team"]]
    assert staffed
    for t in staffed:
        ids = {i for i, _ in t["team"]}
        assert not {"LG0001", "LG0002"} <= ids
    assert verify_draw.verify(await published(repo, draw_id), workers=1).ok


async def test_replacing_an_inspector_keeps_the_experts() -> None:
    repo, _ = await _loaded(1, [])
    draw_id, _ = await _run(repo)
    draw = repo.draws[draw_id]
    assert draw.result is not None
    t = next(t for t in draw.result["targets"] if t["team"])
    uow = FakeDrawsUnitOfWork(repo)
    approval = await services.approve_replacement(
        uow, draw_id, uscc=t["uscc"], inspector_id=t["team"][1][0], reason="病假", by_name="王"
    )
    await services.replace_inspector(
        uow,
        draw_id,
        uscc=t["uscc"],
        inspector_id=t["team"][1][0],
        reason="病假",
        approval_id=approval["approval_id"],
    )
    await replaced(Parties(uow), draw_id, approval["approval_id"])  # the office countersigns
    event = uow.events[-1]
    assert [m.inspector_id for m in event.team if m.role is TeamRole.EXPERT] == t["experts"]
    # an expert is not an inspector of the team: replacing one is refused
    with pytest.raises(Invalid, match="不在"):
        await services.approve_replacement(
            FakeDrawsUnitOfWork(repo),
            draw_id,
            uscc=t["uscc"],
            inspector_id=t["experts"][0],
            reason="病假",
            by_name="王",
        )
    assert verify_draw.verify(await published(repo, draw_id), workers=1).ok


def test_expert_entry_json_round_trip_and_record() -> None:
    e = p.ExpertEntry("ZJ1", "甲", "计量", "", True, ("ab" * 32,))
    assert p.ExpertEntry.from_json(copy.deepcopy(e.to_json())) == e
    assert e.record() == (
        p.lps("ZJ1")
        + p.lps("甲")
        + p.lps("计量")
        + p.lps("")
        + b"\x01"
        + b"\x00\x01"
        + b"\xab" * 32
    )
