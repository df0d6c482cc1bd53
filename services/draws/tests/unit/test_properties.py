"""Property tests (hypothesis) of the matching constraints and of selection invariances, and a
deterministic chi-square test of selection frequencies."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from draws.domain import engine
from draws.domain import protocol as p
from spotcheck_common import uscc

CODES = uscc.synthetic(60, seed=12)


def reference_match(
    key: bytes,
    pool: list[p.Candidate],
    team_size: int,
    targets: list[str],
    recused: set[tuple[str, str]],
    conflicts: set[frozenset[str]],
) -> dict[str, Any]:
    """The spec (§8) read literally: at each step the minimum key over all candidates."""
    cap = -(-team_size * len(targets) // len(pool)) + 1 if pool else 0
    loads = {c.inspector_id: 0 for c in pool}
    teams, unstaffed, disclosed = {}, [], set()
    for u in targets:
        team: list[str] = []
        for step in range(team_size):
            cands = [
                c
                for c in pool
                if c.inspector_id not in team
                and loads[c.inspector_id] < cap
                and not any(frozenset((c.inspector_id, m)) in conflicts for m in team)
                and (step > 0 or c.leader_qualified)
            ]

            def k(c: p.Candidate, step: int = step) -> tuple[Any, ...]:
                t = p.inspector_ticket(key, c.inspector_id, loads[c.inspector_id])
                lq = () if step == 0 else (int(c.leader_qualified),)
                return (c.tier, loads[c.inspector_id], *lq, t, c.inspector_id.encode())

            chosen = None
            for c in sorted(cands, key=k):
                if (c.inspector_id, u) in recused:
                    disclosed.add((u, c.inspector_id))
                    continue
                chosen = c.inspector_id
                break
            if chosen is None:
                break
            team.append(chosen)
        if len(team) == team_size:
            for i in team:
                loads[i] += 1
            teams[u] = [(i, "leader" if n == 0 else "member") for n, i in enumerate(team)]
        else:
            unstaffed.append(u)
    return {
        "cap": cap,
        "teams": teams,
        "unstaffed": unstaffed,
        "loads": loads,
        "disclosed": disclosed,
    }


@st.composite
def matching_case(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 12))
    pool = [
        p.Candidate(f"I{i:02d}", draw(st.sampled_from([0, 0, 0, 1])), draw(st.booleans()))
        for i in range(n)
    ]
    targets = draw(st.lists(st.sampled_from(CODES), min_size=0, max_size=25, unique=True))
    ids = [c.inspector_id for c in pool]
    recused = set(
        draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(CODES)), max_size=40))
    )
    conflicts = (
        set(draw(st.lists(st.frozensets(st.sampled_from(ids), min_size=2, max_size=2), max_size=6)))
        if n > 1
        else set()
    )
    return {
        "pool": pool,
        "targets": targets,
        "recused": recused,
        "conflicts": conflicts,
        "team": draw(st.integers(2, 3)),
        "key": draw(st.binary(min_size=32, max_size=32)),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matching_case())
def test_matching_meets_every_constraint_and_equals_the_spec(case: dict[str, Any]) -> None:
    pool, targets, team_size = case["pool"], case["targets"], case["team"]
    recused, conflicts = case["recused"], case["conflicts"]
    matcher = p.Matcher(
        case["key"],
        pool,
        team_size,
        len(targets),
        lambda i, u: (i, u) in recused,
        [tuple(sorted(c)) for c in conflicts],
    )
    got = matcher.run(targets)
    by_id = {c.inspector_id: c for c in pool}
    cap = got.load_cap
    assert cap == -(-team_size * len(targets) // len(pool)) + 1
    loads: dict[str, int] = {}
    # every target is either fully staffed or reported unstaffed, never half-staffed
    assert set(got.teams) | set(got.unstaffed) == set(targets)
    assert not set(got.teams) & set(got.unstaffed)
    for u, team in got.teams.items():
        ids = [i for i, _ in team]
        assert len(ids) == team_size and len(set(ids)) == team_size  # team size, distinct
        assert [r for _, r in team] == ["leader"] + ["member"] * (team_size - 1)  # one leader
        assert by_id[ids[0]].leader_qualified  # the leader is leader-qualified
        assert all((i, u) not in recused for i in ids)  # nobody recused from the target
        assert all(frozenset((a, b)) not in conflicts for a in ids for b in ids if a != b)
        for i in ids:
            loads[i] = loads.get(i, 0) + 1
    assert all(v <= cap for v in loads.values())  # load cap
    assert {i: v for i, v in got.loads.items() if v} == loads
    # neighbours only when the own tier has no candidate: the literal spec agrees step by step
    want = reference_match(case["key"], pool, team_size, targets, recused, conflicts)
    assert got.teams == want["teams"]
    assert got.unstaffed == want["unstaffed"]
    assert set(got.disclosures) <= want["disclosed"]
    # every disclosure was needed: it names a recused inspector of that target
    assert all((i, u) in recused for u, i in got.disclosures)


@settings(max_examples=100, deadline=None)
@given(matching_case())
def test_tier_one_only_when_the_own_pool_cannot_fill(case: dict[str, Any]) -> None:
    pool, targets, team_size = case["pool"], case["targets"], case["team"]
    own = [c for c in pool if c.tier == 0]
    matcher = p.Matcher(case["key"], pool, team_size, len(targets), lambda i, u: False)
    got = matcher.run(targets)
    lone = p.Matcher(case["key"], own, team_size, len(targets), lambda i, u: False) if own else None
    if (
        lone is not None
        and all(c.leader_qualified for c in own)
        and len(own) >= team_size * max(1, len(targets))
    ):
        # a big enough own pool staffs everything alone: no neighbour is ever used
        assert not any(
            by.tier for t in got.teams.values() for i, _ in t for by in pool if by.inspector_id == i
        )


@st.composite
def roster_entry(draw: Any) -> p.RosterEntry:
    return p.RosterEntry(
        inspector_id=draw(st.sampled_from(["A1", "A2", "B1", "B2", "C1"]))
        + str(draw(st.integers(0, 99))),
        name="x",
        department=draw(st.sampled_from(["科A", "科B", "科C"])),
        district=draw(st.sampled_from(["lingang", "rongcheng", "other"])),
        leader_qualified=draw(st.booleans()),
        certificate_expires_on=draw(st.sampled_from(["2026-11-25", "2026-11-26", "2027-01-01"])),
        active=draw(st.booleans()),
        qualifications=tuple(
            draw(
                st.lists(
                    st.sampled_from(["SD-1", "企业公示信息", "登记事项", p.QUALIFY_ALL]), max_size=3
                )
            )
        ),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(roster_entry(), max_size=20, unique_by=lambda r: r.inspector_id),
    st.sampled_from(["none", "fill-when-short"]),
)
def test_pool_holds_only_eligible_inspectors(roster: list[p.RosterEntry], rule: str) -> None:
    manifest = {
        "pools": [
            {"district": "lingang", "departments": ["科A", "科B"], "tier": 0},
            {"district": "rongcheng", "departments": ["科A"], "tier": 1},
        ],
        "neighbour_rule": rule,
        "draw_date": "2026-11-26",
        "check_items": [
            {"code": "SD-1", "name": "企业公示信息"},
            {"code": "SD-2", "name": "登记事项"},
        ],
    }
    pool = {c.inspector_id: c for c in p.build_pool(roster, manifest)}
    for r in roster:
        eligible = (
            r.active
            and r.certificate_expires_on >= "2026-11-26"
            and (
                p.QUALIFY_ALL in r.qualifications
                or (
                    ("SD-1" in r.qualifications or "企业公示信息" in r.qualifications)
                    and "登记事项" in r.qualifications
                )
            )
            and (
                (r.district == "lingang" and r.department in ("科A", "科B"))
                or (
                    rule == "fill-when-short"
                    and r.district == "rongcheng"
                    and r.department == "科A"
                )
            )
        )
        assert (r.inspector_id in pool) == eligible
        if eligible:
            assert pool[r.inspector_id].tier == (0 if r.district == "lingang" else 1)


def _pop(codes: list[str], strata: list[dict[str, Any]]) -> p.Population:
    return engine.build_population(
        [engine.PopulationRow(c, "A", "active") for c in codes], strata, {}
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(CODES), min_size=1, max_size=60, unique=True),
    st.binary(min_size=32, max_size=32),
)
def test_ticket_order_of_a_subset_is_the_restriction_of_the_full_order(
    subset: list[str], key: bytes
) -> None:
    full = sorted(CODES, key=lambda c: (p.entity_ticket(key, c.encode()), c))
    part = sorted(subset, key=lambda c: (p.entity_ticket(key, c.encode()), c))
    assert part == [c for c in full if c in set(subset)]


def _wilson_hilferty(df: int, z: float) -> float:
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_selection_frequencies_match_quota_shares_chi_square() -> None:
    """Over 3000 fixed seeds, every eligible entity of a stratum is selected about
    quota / eligible of the time (Pearson chi-square, α = 0.001, deterministic)."""
    codes = uscc.synthetic(300, seed=31)
    rows = [engine.PopulationRow(c, "A" if i % 3 else "E", "active") for i, c in enumerate(codes)]
    rows[7] = engine.PopulationRow(codes[7], rows[7].risk_class, "revoked")
    strata = [{"key": "A", "ratio_bp": 1000, "cap": 2}, {"key": "E", "ratio_bp": 3000, "cap": 2}]
    pop = engine.build_population(rows, strata, {})
    manifest = {"strata": strata, "selection": {"reserve_bp": 0, "reserve_min": 0}}
    runs = 3000
    counts: dict[str, int] = dict.fromkeys(codes, 0)
    quota: dict[str, int] = {}
    for r in range(runs):
        seed = hashlib.sha256(f"chi-square/{r}".encode()).digest()
        for s in p.select(pop, manifest, p.draw_key(seed, "chi")):
            quota[s.key] = s.quota
            for u, outcome in s.walk:
                if outcome == "selected":
                    counts[u] += 1
    assert counts[codes[7]] == 0  # revoked: never selected
    by_stratum = {
        k: [c for i, c in enumerate(codes) if ("A" if i % 3 else "E") == k and i != 7] for k in "AE"
    }
    for k, members in by_stratum.items():
        expected = runs * quota[k] / len(members)
        chi2 = sum((counts[c] - expected) ** 2 / expected for c in members)
        df = len(members) - 1
        assert chi2 < _wilson_hilferty(df, 3.0902), (k, chi2, df)
        assert sum(counts[c] for c in members) == runs * quota[k]  # quota met exactly
    # the test has power: a sampler that favours small USCCs fails it
    biased = {
        c: (runs * quota["A"] * 2 // len(by_stratum["A"]) if i < len(by_stratum["A"]) // 2 else 0)
        for i, c in enumerate(by_stratum["A"])
    }
    expected = runs * quota["A"] / len(by_stratum["A"])
    assert sum((v - expected) ** 2 / expected for v in biased.values()) > _wilson_hilferty(
        len(biased) - 1, 3.0902
    )
