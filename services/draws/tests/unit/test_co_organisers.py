"""Co-organising agencies in a draw (联合检查, 第三条; draw-spec §16) on fakes: the external roster
kept apart, the refusal of a promised agency without inspectors, each team's agency quota by the
agencies' rule, the agency's party acting only through its liaison, the agency members in
DrawCompleted — and the verifier refusing what breaks the rule."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from draws import verify_draw
from draws.domain import engine
from draws.domain import protocol as p
from draws.service_layer import services
from spotcheck_common.errors import Conflict, Forbidden, Invalid
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.registry import (
    ExternalInspectorsImported,
    ExternalInspectorSnapshot,
)

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import Parties, published
from .test_service_layer import NOW, loaded, share

VECTOR = Path(__file__).resolve().parents[4] / "docs" / "draw-vectors" / "co-organisers"
TAX = {
    "agency": "tax",
    "name": "国家税务总局威海市临港区税务局",
    "check_items": [{"code": "SW-01", "name": "发票使用情况", "agency": "tax"}],
    "inspectors_per_team": 2,
}
ECO = {
    "agency": "eco",
    "name": "威海市生态环境局临港分局",
    "check_items": [{"code": "HB-01", "name": "排污许可执行情况", "agency": "eco"}],
    "inspectors_per_team": 1,
}


def external(agency: str, count: int, quals: tuple[str, ...]) -> ExternalInspectorsImported:
    return ExternalInspectorsImported(
        batch_id=f"ext-{agency}",
        inspectors=[
            ExternalInspectorSnapshot(
                inspector_id=f"{agency}:{agency.upper()}{k + 1:03d}",
                name=f"{agency}检查员{k + 1}",
                department=TAX["name"] if agency == "tax" else ECO["name"],
                qualifications=list(quals),
                leader_qualified=False,
                certificate_expires_on=date(2030, 12, 31),
                agency=agency,
                agency_inspector_id=f"{agency.upper()}{k + 1:03d}",
            )
            for k in range(count)
        ],
    )


async def joint_task(repo: FakeDrawsRepository, *co: dict[str, Any]) -> None:
    """T-1 with the co-organisers ``co`` (as planning's TaskApproved carries them)."""
    task = factories.task()
    approved = type(task).model_validate(task.model_dump() | {"co_organisers": list(co)})
    await services.task_approved(FakeDrawsUnitOfWork(repo), approved)


async def with_agencies(tax: int = 5, eco: int = 3) -> FakeDrawsRepository:
    repo = await loaded()
    await joint_task(repo, TAX, ECO)
    uow = FakeDrawsUnitOfWork(repo)
    await services.external_inspectors_imported(uow, external("tax", tax, ("SW-01",)))
    await services.external_inspectors_imported(uow, external("eco", eco, ("排污许可执行情况",)))
    return repo


async def frozen(repo: FakeDrawsRepository) -> tuple[Parties, Any]:
    uow = FakeDrawsUnitOfWork(repo, actor="creator")
    draw = await services.create_draw(uow, district="lingang", task_id="T-1", now=NOW)
    return Parties(uow), draw


# ------------------------------------------------------------------ read model and freeze


async def test_the_external_roster_is_kept_apart_and_never_leads() -> None:
    repo = await with_agencies()
    row = repo.inspectors["tax:TAX001"]
    assert (row["district"], row["department"], row["leader_qualified"]) == (
        "tax",
        TAX["name"],
        False,
    )
    # the bureau's own roster of its departments does not hold them
    own = await repo.roster_rows("lingang", factories.DEPARTMENTS)
    assert own and not any(":" in r.inspector_id for r in own)
    assert {r.inspector_id for r in await repo.agency_rows("eco")} == {
        "eco:ECO001",
        "eco:ECO002",
        "eco:ECO003",
    }


async def test_the_manifest_names_each_agencys_pool_and_party_before_any_randomness() -> None:
    repo = await with_agencies()
    _, draw = await frozen(repo)
    m = draw.manifest
    assert [co["agency"] for co in m["co_organisers"]] == ["eco", "tax"]  # by code
    assert m["co_organisers"][1] == {
        "agency": "tax",
        "name": TAX["name"],
        "check_items": [{"code": "SW-01", "name": "发票使用情况"}],
        "per_team": 2,
    }
    assert m["parties"][-2:] == ["eco:联合检查单位", "tax:联合检查单位"]
    assert {r["inspector_id"] for r in draw.roster if r["district"] == "tax"} == {
        f"tax:TAX00{k}" for k in range(1, 6)
    }
    assert draw.seed_hex is None and not draw.reveals


@pytest.mark.parametrize(
    ("tax", "eco", "who"),
    [(0, 3, "tax"), (1, 3, "tax"), (5, 0, "eco")],  # none, or fewer than per team
)
async def test_a_promised_agency_without_its_roster_is_refused_not_dropped(
    tax: int, eco: int, who: str
) -> None:
    repo = await with_agencies(tax, eco)
    with pytest.raises(Conflict, match=f"（{who}）可参加匹配的执法人员只有"):
        await frozen(repo)
    assert not repo.draws


async def test_an_inactive_or_unqualified_roster_counts_as_missing() -> None:
    repo = await loaded()
    await joint_task(repo, ECO)
    uow = FakeDrawsUnitOfWork(repo)
    await services.external_inspectors_imported(uow, external("eco", 2, ("别的事项",)))
    with pytest.raises(Conflict, match="只有 0 名"):
        await frozen(repo)


async def test_co_organisers_are_matched_at_random_not_assigned() -> None:
    repo = await with_agencies()
    deputy = FakeDrawsUnitOfWork(repo, actor="deputy")
    approval = await services.approve_direct_assignment(
        deputy, "T-1", reason="人员不足", by_name="王副局长"
    )
    with pytest.raises(Invalid, match="随机匹配"):
        await services.create_draw(
            FakeDrawsUnitOfWork(repo, actor="creator"),
            district="lingang",
            task_id="T-1",
            now=NOW,
            direct_approval=approval["approval_id"],
        )


# ------------------------------------------------------------------------ the agency's party


async def test_the_bureaus_staff_cannot_act_for_the_agencys_party() -> None:
    repo = await with_agencies()
    parties, draw = await frozen(repo)
    uow = parties.uow.as_("zhang.credit")
    for agency in (None, "eco"):  # the bureau's staff, the other agency's liaison
        with pytest.raises(Forbidden, match="联络人"):
            await services.commit_share(
                uow, draw.draw_id, "tax:联合检查单位", "00" * 32, agency=agency
            )
        with pytest.raises(Forbidden, match="联络人"):
            await services.reveal_share(
                uow, draw.draw_id, "tax:联合检查单位", "00" * 32, agency=agency
            )
    with pytest.raises(Forbidden, match="只能代表本单位"):  # a liaison for the bureau's party
        await services.commit_share(uow, draw.draw_id, "信用监管科", "00" * 32, agency="tax")
    with pytest.raises(Forbidden, match="联络人"):  # nor register a key for it
        await services.register_key(
            uow,
            district="lingang",
            party="tax:联合检查单位",
            public_key="00" * 32,
            valid_from=date(2026, 11, 1),
            valid_until=date(2027, 11, 1),
            signature="00" * 64,
        )
    assert not repo.draws[draw.draw_id].commitments


async def test_the_liaison_commits_and_reveals_and_every_team_has_the_agencies_quota() -> None:
    repo = await with_agencies()
    parties, draw = await frozen(repo)
    draw = await parties.run(draw.draw_id, {q: share(q) for q in draw.parties})
    keys = {k.party: k.holder for k in repo.ledger.party_keys.values()}
    assert keys["tax:联合检查单位"] == "tax:联合检查单位"  # the liaison's own key
    result = draw.result
    assert result is not None
    staffed = [t for t in result["targets"] if t["team"]]
    assert staffed
    for t in staffed:
        assert [i.split(":")[0] for i in t["agency_members"]] == ["eco", "tax", "tax"]
    event = next(e for e in parties.uow.events if isinstance(e, DrawCompleted))
    team = event.targets[0].team
    agency_members = [m for m in team if ":" in m.inspector_id]
    assert [(m.role, m.department) for m in agency_members] == [
        ("member", ECO["name"]),
        ("member", TAX["name"]),
        ("member", TAX["name"]),
    ]
    assert team[0].role == "leader" and ":" not in team[0].inspector_id
    bundle = p.canonical_json(await published(repo, draw.draw_id))
    assert verify_draw.verify_bytes(bundle).ok


async def test_an_agency_member_is_not_replaced_by_the_draw() -> None:
    repo = await with_agencies()
    parties, draw = await frozen(repo)
    draw = await parties.run(draw.draw_id, {q: share(q) for q in draw.parties})
    assert draw.result is not None
    target = next(t for t in draw.result["targets"] if t["team"])
    with pytest.raises(Invalid, match="联合检查单位派出的人员"):
        draw.team_with(target["uscc"], target["agency_members"][0])


# ------------------------------------------------------------------- the engine's rule (§16)


def _matched(per_team: int, pool: int, targets: int, seed: bytes) -> dict[str, Any]:
    """The co-organisers vector's draw with a tax pool of ``pool`` and ``per_team`` each team,
    no recusal and no pair conflict, matched from ``seed``."""
    cfg = copy.deepcopy(factories.VECTORS["co-organisers"])
    cfg.update(agency_recusals=[], pair_conflicts=[], population={"C": [["active", 0, targets]]})
    cfg["agencies"] = [cfg["agencies"][0] | {"inspectors_per_team": per_team}]
    cfg["agencies"][0]["roster"] = ["SW-01"] * pool
    cfg["agency_overrides"] = {}
    cfg["parties"] = ["信用监管科", "办公室", "tax:联合检查单位"]
    cfg["inspectors"], cfg["replacements"] = 12, 0
    draw, pop, salts = factories._vector("co-organisers", cfg)
    return engine.compute_result(
        manifest=draw.manifest,
        seed=seed,
        pop=pop,
        roster=[p.RosterEntry.from_json(r) for r in draw.roster],
        salts=salts,
        selector=p.select,
    )


@pytest.mark.parametrize(("per_team", "pool", "targets"), [(1, 3, 10), (2, 5, 9), (3, 4, 7)])
@pytest.mark.parametrize("n", range(3))
def test_every_team_has_the_quota_and_the_agencys_load_is_balanced(
    per_team: int, pool: int, targets: int, n: int
) -> None:
    result = _matched(per_team, pool, targets, p.sha256(f"seed/{n}".encode()))
    staffed = [t for t in result["targets"] if t["team"]]
    assert len(staffed) == targets  # no recusal, no conflict: nobody is left unstaffed
    loads: Counter[str] = Counter()
    for t in staffed:
        members = t["agency_members"]
        assert len(members) == len(set(members)) == per_team
        assert all(i.startswith("tax:") for i in members)
        loads.update(members)
    # the key starts with the load: a round-robin by ticket, so loads differ by at most one
    assert max(loads.values()) - min(loads.get(f"tax:TX{k + 1:04d}", 0) for k in range(pool)) <= 1
    assert result["co_organisers"]["pools"] == [
        {"agency": "tax", "pool_size": pool, "load_cap": -(-per_team * targets // pool) + 1}
    ]


def test_the_agencies_rule_uses_its_own_ticket() -> None:
    key = p.sha256(b"k")
    assert p.agency_ticket(key, "tax:TX0001", 0) != p.inspector_ticket(key, "tax:TX0001", 0)
    assert p.agency_ticket(key, "tax:TX0001", 0) == p.sha256(
        b"\x04" + key + p.lps("tax:TX0001") + (0).to_bytes(4, "big")
    )


def test_a_replacement_never_brings_a_pair_conflict_with_the_agencys_members() -> None:
    draw, _, _ = factories._vector("co-organisers", factories.VECTORS["co-organisers"])
    assert draw.result is not None
    t = next(t for t in draw.result["targets"] if t["team"] and "tax:TX0002" in t["agency_members"])
    member = t["team"][1][0]
    alternates = ["LG0001", "LG0006"]  # LG0001 has a declared conflict with tax:TX0002
    assert draw.next_alternate(t["uscc"], member, alternates) != "LG0001"


# ------------------------------------------------------------------- the verifier refuses


def _body() -> dict[str, Any]:
    return dict(json.loads((VECTOR / "bundle.json").read_bytes())["body"])


def _forged(change: Any, manifest: bool = False) -> bytes:
    body = _body()
    change(body)
    if manifest:
        body["manifest_sha256"] = p.json_sha256(body["manifest"])
    body["result_sha256"] = p.json_sha256(body["result"])
    return p.canonical_json({"body": body, "body_sha256": p.json_sha256(body)})


def _staffed(b: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in b["result"]["targets"] if t["team"]]


def _other_tax(b: dict[str, Any]) -> None:
    t = _staffed(b)[0]
    t["agency_members"][1] = next(
        i for i in ("tax:TX0001", "tax:TX0002", "tax:TX0003") if i not in t["agency_members"]
    )


def _lingang_agency(b: dict[str, Any]) -> None:
    b["manifest"]["co_organisers"][0]["agency"] = "lingang"
    b["manifest"]["co_organisers"].sort(key=lambda co: co["agency"])
    b["manifest"]["parties"].append("lingang:联合检查单位")


@pytest.mark.parametrize(
    ("change", "manifest", "words"),
    [
        (_other_tax, False, "agencies' inspectors of"),
        (lambda b: _staffed(b)[0]["agency_members"].pop(), False, "agencies' inspectors of"),
        (
            lambda b: _staffed(b)[0]["agency_members"].__setitem__(1, "tax:TX0004"),
            False,
            "agencies' inspectors of",
        ),
        (
            lambda b: b["result"]["co_organisers"]["recusal_disclosures"].pop(0),
            False,
            "agencies' inspectors of",
        ),
        (
            lambda b: b["result"]["unstaffed_reasons"].__setitem__(0, "member"),
            False,
            "unstaffed reasons",
        ),
        (
            lambda b: b["result"]["co_organisers"]["pools"][0].__setitem__("pool_size", 2),
            False,
            "co-organisers' pools",
        ),
        (
            lambda b: b["manifest"]["parties"].remove("tax:联合检查单位"),
            True,
            "tax:联合检查单位",
        ),
        (lambda b: b["manifest"].pop("co_organisers"), True, "unknown key 'co_organisers'"),
        (lambda b: b["manifest"]["co_organisers"].reverse(), True, "not sorted by agency"),
        (_lingang_agency, True, "also a pool's district"),
        (
            lambda b: b["manifest"].__setitem__("matching", {}),
            True,
            "with direct assignment",
        ),
    ],
)
def test_the_verifier_refuses_a_forged_joint_check(change: Any, manifest: bool, words: str) -> None:
    report = verify_draw.verify_bytes(_forged(change, manifest))
    assert not report.ok and report.difference is not None
    assert words in report.difference, report.difference


def test_an_older_bundle_with_agency_keys_is_refused() -> None:
    body = json.loads((VECTOR.parent / "experts" / "bundle.json").read_bytes())["body"]
    body["result"]["targets"][0]["agency_members"] = []
    body["result_sha256"] = p.json_sha256(body["result"])
    raw = p.canonical_json({"body": body, "body_sha256": p.json_sha256(body)})
    report = verify_draw.verify_bytes(raw)
    assert report.difference is not None and "co-organisers (§16)" in report.difference
