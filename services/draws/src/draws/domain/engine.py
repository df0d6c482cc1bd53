"""Building a manifest, computing a result, drawing a replacement (pure functions)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from draws.domain import assignment as da
from draws.domain import fast
from draws.domain import protocol as p
from spotcheck_common.objects import ObjectKind

# The selection step; ``draws.domain.fast`` swaps in the numpy / C implementation.
Selector = Callable[[p.Population, dict[str, Any], bytes], list[p.StratumResult]]


@dataclass(frozen=True)
class PopulationRow:
    uscc: str
    risk_class: str
    status: str
    # the scope attributes a /3 population row carries (§14.13)
    entity_type: str = ""
    industry: str = ""
    area: str = ""


@dataclass(frozen=True)
class InspectorRow:
    inspector_id: str
    name: str
    department: str
    district: str
    qualifications: tuple[str, ...]
    leader_qualified: bool
    certificate_expires_on: date
    active: bool


@dataclass(frozen=True)
class ExpertRow:
    expert_id: str
    name: str
    field: str
    organization: str
    active: bool


def target_filter(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's scope (§4.1): its lists sorted; ``object_kind`` only for a task that
    targets objects other than market entities, so such a manifest is byte for byte as before."""
    out: dict[str, Any] = {
        k: sorted(str(v) for v in scope.get(k, []))
        for k in ("entity_types", "industries", "areas", "risk_classes")
    }
    kind = ObjectKind(scope.get("object_kind") or ObjectKind.MARKET_ENTITY)
    if kind is not ObjectKind.MARKET_ENTITY:
        out["object_kind"] = kind.value
    return out


def strata_of(task: Mapping[str, Any], caps: Mapping[str, int] | None) -> list[dict[str, Any]]:
    """Strata = risk classes with a ratio (restricted to the filter's classes, if any)."""
    ratio = {str(k): int(v) for k, v in task["ratio_bp"].items()}
    allowed = set(task["target_filter"].get("risk_classes") or ratio)
    caps = caps or {}
    return [
        {"key": k, "ratio_bp": ratio[k], "cap": int(caps.get(k, 2))}
        for k in sorted(ratio)
        if k in allowed
    ]


def build_population(
    rows: Sequence[PopulationRow],
    strata: Sequence[dict[str, Any]],
    checks: Mapping[str, int],
    attributes: bool = False,
) -> p.Population:
    """The canonical population; with ``attributes`` (/3) each row's scope attributes too."""
    index = {s["key"]: i for i, s in enumerate(strata)}
    chosen = sorted((r for r in rows if r.risk_class in index), key=lambda r: r.uscc)
    pop = p.Population(
        uscc=b"".join(r.uscc.encode("ascii") for r in chosen),
        stratum=bytes(index[r.risk_class] for r in chosen),
        status=bytes(p.STATUS_CODE[r.status] for r in chosen),
        checks=bytes(min(255, checks.get(r.uscc, 0)) for r in chosen),
    )
    if not attributes:
        return pop
    values = [
        [r.entity_type for r in chosen],
        [r.industry for r in chosen],
        [r.area for r in chosen],
    ]
    return with_attributes(pop, values)


def with_attributes(pop: p.Population, values: Sequence[Sequence[str]]) -> p.Population:
    """§14.13: ``values`` (per attribute, per row) as indices into their sorted vocabulary
    (here the values the rows have; the snapshot uses its whole dictionary — any sorted list
    of distinct values holding the rows' values is a valid vocabulary)."""
    import dataclasses

    vocabulary = tuple(tuple(sorted(set(column))) for column in values)
    if any(len(v) > 65536 for v in vocabulary):
        raise ValueError("more than 65536 distinct values of a scope attribute")
    blocks = []
    for column, vocab in zip(values, vocabulary, strict=True):
        at = {v: i for i, v in enumerate(vocab)}
        blocks.append(b"".join(at[v].to_bytes(2, "big") for v in column))
    return dataclasses.replace(pop, attributes=b"".join(blocks), vocabulary=vocabulary)


def build_roster(
    inspectors: Sequence[InspectorRow], conflicts: Sequence[tuple[str, str]]
) -> tuple[list[p.RosterEntry], list[tuple[str, str, str]]]:
    """Roster entries with salted recusal commitments; also the private (id, uscc, salt)."""
    salts: list[tuple[str, str, str]] = []
    by_inspector: dict[str, list[str]] = {}
    ids = {i.inspector_id for i in inspectors}
    for inspector_id, uscc in sorted(set(conflicts)):
        if inspector_id not in ids:
            continue
        salt = os.urandom(16)
        salts.append((inspector_id, uscc, salt.hex()))
        commitment = p.recusal_commitment(salt, inspector_id, uscc).hex()
        by_inspector.setdefault(inspector_id, []).append(commitment)
    roster = [
        p.RosterEntry(
            inspector_id=i.inspector_id,
            name=i.name,
            department=i.department,
            district=i.district,
            leader_qualified=i.leader_qualified,
            certificate_expires_on=i.certificate_expires_on.isoformat(),
            active=i.active,
            qualifications=tuple(sorted(set(i.qualifications))),
            recusals=tuple(sorted(by_inspector.get(i.inspector_id, []))),
        )
        for i in sorted(inspectors, key=lambda i: i.inspector_id.encode("utf-8"))
    ]
    return roster, salts


def build_expert_roster(
    experts: Sequence[ExpertRow], conflicts: Sequence[tuple[str, str]]
) -> tuple[list[p.ExpertEntry], list[tuple[str, str, str]]]:
    """Expert roster entries with salted recusal commitments (expert tag, §8.4), and the
    private (expert_id, uscc, salt)."""
    salts: list[tuple[str, str, str]] = []
    by_expert: dict[str, list[str]] = {}
    ids = {e.expert_id for e in experts}
    for expert_id, uscc in sorted(set(conflicts)):
        if expert_id not in ids:
            continue
        salt = os.urandom(16)
        salts.append((expert_id, uscc, salt.hex()))
        by_expert.setdefault(expert_id, []).append(
            p.expert_recusal_commitment(salt, expert_id, uscc).hex()
        )
    roster = [
        p.ExpertEntry(
            expert_id=e.expert_id,
            name=e.name,
            field=e.field,
            organization=e.organization,
            active=e.active,
            recusals=tuple(sorted(by_expert.get(e.expert_id, []))),
        )
        for e in sorted(experts, key=lambda e: e.expert_id.encode("utf-8"))
    ]
    return roster, salts


def experts_section(task: Mapping[str, Any], roster: Sequence[p.ExpertEntry]) -> dict[str, Any]:
    """The manifest's ``experts`` object (spotcheck-draw/2)."""
    return {
        "per_target": int(task["experts_per_target"]),
        "fields": sorted({str(f) for f in task.get("expert_fields") or []}),
        "roster": {"size": len(roster), "merkle_root": p.expert_roster_root(roster).hex()},
    }


def build_manifest(
    *,
    draw_id: str,
    district: str,
    task: Mapping[str, Any],
    strata: list[dict[str, Any]],
    pop: p.Population,
    roster: Sequence[p.RosterEntry],
    pools: list[dict[str, Any]],
    neighbour_rule: str,
    parties: Sequence[str],
    beacon: dict[str, Any] | None,
    draw_date: date,
    frozen_at: datetime,
    snapshot_rev: int,
    pair_conflicts: Sequence[tuple[str, str]] = (),
    reserve_bp: int = 1000,
    reserve_min: int = 3,
    experts: dict[str, Any] | None = None,
    reveal_deadline: datetime | None = None,
    checked: Sequence[tuple[str, str, int]] = (),
    matching: dict[str, Any] | None = None,
    co_organisers: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """``experts`` (from ``experts_section``) only when the task asks for experts. With a
    ``reveal_deadline`` the manifest is ``spotcheck-draw/3`` (§14, what the service freezes;
    ``checked``: the draws whose targets the population's ``checks`` count, §14.12);
    without one, exactly the ``/2`` manifest with experts or the ``/1`` manifest without (the
    golden vectors of those versions). ``matching`` (/3 only, §15): the teams are assigned
    directly, for the reason and under the approval it states. ``co_organisers`` (/3 only,
    §16): the task's other agencies, each with its items and inspectors per team."""
    if reveal_deadline is not None and reveal_deadline <= frozen_at:
        raise ValueError("the reveal deadline must follow the freeze")
    algorithm = p.ALGORITHM if not experts else p.ALGORITHM_EXPERTS
    manifest: dict[str, Any] = {
        "algorithm": p.ALGORITHM_SIGNED if reveal_deadline is not None else algorithm,
        "draw_id": draw_id,
        "district": district,
        "task": {
            "task_id": task["task_id"],
            "task_no": task["task_no"],
            "title": task["title"],
            "lead_department": task["lead_department"],
        },
        "check_items": [{"code": i["code"], "name": i["name"]} for i in task["check_items"]],
        "target_filter": target_filter(task["target_filter"]),
        "draw_date": draw_date.isoformat(),
        "strata": strata,
        "selection": {
            "reserve_bp": reserve_bp,
            "reserve_min": reserve_min,
            "excluded_statuses": list(p.STATUSES[1:]),
        },
        "population": {
            "size": pop.size,
            "chunk_size": p.CHUNK_SIZE,
            "merkle_root": fast.population_root(pop).hex(),
            "snapshot_rev": snapshot_rev,
        },
        "roster": {"size": len(roster), "merkle_root": p.roster_root(roster).hex()},
        "pools": pools,
        "neighbour_rule": neighbour_rule,
        "team": {"size": int(task["team_size"])},
        "pair_conflicts": sorted([sorted(pair) for pair in pair_conflicts]),
        "parties": list(parties),
        "beacon": beacon,
        "frozen_at": frozen_at.isoformat(),
    }
    if experts:
        manifest["experts"] = experts
    if reveal_deadline is not None:
        manifest["reveal_deadline"] = reveal_deadline.isoformat()
        manifest["team"] = {"size": int(task["team_size"]), "alternates": p.ALTERNATES}
        if not pop.attributes and pop.size:
            raise ValueError("a spotcheck-draw/3 population carries its rows' attributes")
        vocabulary = pop.vocabulary or ((), (), ())
        manifest["population"]["vocabulary"] = {
            key: list(values) for key, values in zip(p.ATTRIBUTES, vocabulary, strict=True)
        }
        # §14.12: the draws this year's checks count, so the column can be recomputed
        manifest["checks"] = {
            "year": draw_date.year,
            "draws": [
                {"draw_id": d, "result_sha256": r, "targets": n} for d, r, n in sorted(checked)
            ],
        }
        if matching:
            manifest["matching"] = matching
        if co_organisers:
            manifest["co_organisers"] = co_organisers_section(co_organisers)
    elif matching or co_organisers:
        raise ValueError("direct assignment and co-organisers are spotcheck-draw/3 only")
    if matching and co_organisers:
        raise ValueError("a draw with co-organisers is matched at random, not assigned (§16)")
    return manifest


def compute_result(**kwargs: Any) -> dict[str, Any]:
    """The draw's result (§7, §8 of the spec). The cyclic garbage collector is paused while
    the result's many small, acyclic objects are built (it would rescan them repeatedly)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _compute_result(**kwargs)
    finally:
        if enabled:
            gc.enable()


def _compute_result(
    *,
    manifest: dict[str, Any],
    seed: bytes,
    pop: p.Population,
    roster: Sequence[p.RosterEntry],
    salts: Sequence[tuple[str, str, str]],
    selector: Selector = fast.select,
    expert_roster: Sequence[p.ExpertEntry] = (),
    assignment: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    key = p.draw_key(seed, manifest["draw_id"])
    strata = selector(pop, manifest, key)
    order = p.targets_in_order(strata, key)  # hashes only the selected rows
    stratum_of = {u: r.key for r in strata for u, o in r.walk if o == "selected"}
    salt_of = {(i, u): s for i, u, s in salts}
    matcher = _matcher(manifest, key, roster, len(order), salt_of)
    experts = _expert_matcher(manifest, key, expert_roster, len(order), salt_of)
    if da.direct(manifest):
        return _assigned_result(seed, strata, order, stratum_of, matcher, experts, assignment)
    agencies = _agency_matcher(manifest, key, roster, len(order), salt_of)
    match = matcher.run([u for _, u in order], experts, agencies)
    result: dict[str, Any] = {
        "seed": seed.hex(),
        "strata": [r.to_json() for r in strata],
        "targets": [
            {
                "uscc": u,
                "stratum": stratum_of[u],
                "ticket": t.hex(),
                "team": [[i, role] for i, role in match.teams.get(u, [])],
            }
            for t, u in order
        ],
        "unstaffed": match.unstaffed,
        "load_cap": match.load_cap,
        "pool_size": match.pool_size,
        "recusal_disclosures": [
            {"uscc": u, "inspector_id": i, "salt": salt_of[(i, u)]} for u, i in match.disclosures
        ],
    }
    if p.signed(manifest["algorithm"]):  # §14.5
        result["leader_load_cap"] = match.leader_load_cap
        result["unstaffed_reasons"] = [match.short[u] for u in match.unstaffed]
    if experts is not None:
        for t in result["targets"]:
            t["experts"] = list(experts.teams.get(t["uscc"], [])) if t["team"] else []
        result["experts"] = {
            "load_cap": experts.cap,
            "pool_size": len(experts.pool),
            "recusal_disclosures": [
                {"uscc": u, "expert_id": e, "salt": salt_of[(e, u)]} for u, e in experts.disclosed
            ],
        }
    if agencies is not None:  # §16
        for t in result["targets"]:
            t["agency_members"] = list(agencies.members.get(t["uscc"], [])) if t["team"] else []
        result["co_organisers"] = agencies.result() | {
            "recusal_disclosures": [
                {"uscc": u, "inspector_id": i, "salt": salt_of[(i, u)]}
                for u, i in agencies.disclosed
            ]
        }
    return result


def _assigned_result(
    seed: bytes,
    strata: Sequence[p.StratumResult],
    order: Sequence[tuple[bytes, str]],
    stratum_of: Mapping[str, str],
    matcher: p.Matcher,
    experts: p.ExpertMatcher | None,
    assignment: Sequence[dict[str, Any]] | None,
) -> dict[str, Any]:
    """§15.2: the selection as drawn, the teams as assigned (``[]`` until they are: the
    targets are known before anyone assigns). Nothing is searched, so nothing is unstaffed
    and no recusal is met; pool sizes and caps are those random matching would have used
    (informative: direct assignment is for a pool too small for them)."""
    given = {a["uscc"]: a for a in assignment or []}
    result: dict[str, Any] = {
        "seed": seed.hex(),
        "strata": [r.to_json() for r in strata],
        "targets": [
            {
                "uscc": u,
                "stratum": stratum_of[u],
                "ticket": t.hex(),
                "team": [list(m) for m in given.get(u, {}).get("team", [])],
            }
            for t, u in order
        ],
        "unstaffed": [],
        "load_cap": matcher.cap,
        "pool_size": len(matcher.pool),
        "recusal_disclosures": [],
        "leader_load_cap": matcher.leader_cap,
        "unstaffed_reasons": [],
    }
    if experts is not None:
        for t in result["targets"]:
            t["experts"] = list(given.get(t["uscc"], {}).get("experts", []))
        result["experts"] = {
            "load_cap": experts.cap,
            "pool_size": len(experts.pool),
            "recusal_disclosures": [],
        }
    return result


def replay_matcher(
    *,
    manifest: dict[str, Any],
    seed: bytes,
    roster: Sequence[p.RosterEntry],
    result: dict[str, Any],
    replacements: Sequence[dict[str, Any]],
    salts: Sequence[tuple[str, str, str]],
) -> p.Matcher:
    """A matcher in the state after the result and the recorded replacements."""
    key = p.draw_key(seed, manifest["draw_id"])
    salt_of = {(i, u): s for i, u, s in salts}
    matcher = _matcher(manifest, key, roster, len(result["targets"]), salt_of)
    for t in result["targets"]:
        for i, _role in t["team"]:
            matcher.loads[i] += 1
    for r in replacements:
        matcher.loads[r["replaced"]] -= 1
        matcher.loads[r["replacement"]] += 1
    return matcher


def _matcher(
    manifest: dict[str, Any],
    key: bytes,
    roster: Sequence[p.RosterEntry],
    targets: int,
    salt_of: Mapping[tuple[str, str], str],
) -> p.Matcher:
    """The inspector matcher of the manifest's algorithm (per-role caps from /3, §14.5)."""
    return p.Matcher(
        key,
        p.build_pool(roster, manifest),
        int(manifest["team"]["size"]),
        targets,
        lambda i, u: (i, u) in salt_of,
        [(x[0], x[1]) for x in manifest["pair_conflicts"]],
        per_role=p.signed(manifest["algorithm"]),
    )


def audit(
    *,
    manifest: dict[str, Any],
    seed: bytes,
    pop: p.Population,
    roster: Sequence[p.RosterEntry],
    salts: Sequence[tuple[str, str, str]],
    expert_roster: Sequence[p.ExpertEntry],
    result: dict[str, Any],
    selector: Selector = fast.select,
) -> dict[str, Any] | str:
    """Before countersigning (§14.9): the disclosures against the sealed declarations. The
    result is recomputed from them (so its disclosures are exactly the recusals met, in
    order), every disclosure opens a sealed declaration, and no declared conflict sits on a
    team. Returns the audit's record, or what failed (in Chinese)."""
    sealed = {(i, u): s for i, u, s in salts}
    disclosed = (
        [(d["inspector_id"], d["uscc"], d["salt"]) for d in result["recusal_disclosures"]]
        + [
            (d["expert_id"], d["uscc"], d["salt"])
            for d in result.get("experts", {}).get("recusal_disclosures", [])
        ]
        + [
            (d["inspector_id"], d["uscc"], d["salt"])
            for d in result.get("co_organisers", {}).get("recusal_disclosures", [])
        ]
    )
    for i, u, salt in disclosed:
        if sealed.get((i, u)) != salt:
            return f"披露的回避 {i}/{u} 与封存的回避声明不符"
    for t in result["targets"]:
        members = [m[0] for m in t["team"]] + list(t.get("experts", []))
        members += t.get("agency_members", [])
        for who in members:
            if (who, t["uscc"]) in sealed:
                return f"{who} 已声明与 {t['uscc']} 存在利害关系，却在其检查组中"
    again = compute_result(
        manifest=manifest,
        seed=seed,
        pop=pop,
        roster=roster,
        salts=salts,
        selector=selector,
        expert_roster=expert_roster,
        assignment=da.assignment_of(result, "experts" in manifest) if da.direct(manifest) else None,
    )
    if again != result:
        return "按封存的回避声明重新计算的结果与已公布的结果不一致"
    return {"sealed": len(sealed), "disclosed": len(disclosed), "recomputed": True}


def alternates_of(
    *,
    manifest: dict[str, Any],
    seed: bytes,
    roster: Sequence[p.RosterEntry],
    salts: Sequence[tuple[str, str, str]],
    expert_roster: Sequence[p.ExpertEntry],
    result: dict[str, Any],
    uscc: str,
) -> list[tuple[list[str], list[str]]]:
    """/3 (§14.11): per position of ``uscc``'s team, its alternates and the recusals met
    finding them — fixed by the draw: the matching replayed, looked at as that team was found."""
    key = p.draw_key(seed, manifest["draw_id"])
    salt_of = {(i, u): s for i, u, s in salts}
    targets = [t["uscc"] for t in result["targets"]]
    matcher = _matcher(manifest, key, roster, len(targets), salt_of)
    matcher.peek, matcher.peek_count = {uscc}, int(manifest["team"]["alternates"])
    matcher.run(
        targets,
        _expert_matcher(manifest, key, expert_roster, len(targets), salt_of),
        _agency_matcher(manifest, key, roster, len(targets), salt_of),
    )
    return matcher.alternates[uscc]


def _expert_matcher(
    manifest: dict[str, Any],
    key: bytes,
    expert_roster: Sequence[p.ExpertEntry],
    targets: int,
    salt_of: Mapping[tuple[str, str], str],
) -> p.ExpertMatcher | None:
    """The expert matcher (§8.4) when the task asks for experts."""
    if not manifest.get("experts"):
        return None
    return p.ExpertMatcher(
        key,
        p.expert_pool(expert_roster, manifest),
        int(manifest["experts"]["per_target"]),
        targets,
        lambda e, u: (e, u) in salt_of,
    )


def co_organisers_section(co_organisers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """§16: the manifest's ``co_organisers`` from the task's (``CoOrganiser``), by agency code."""
    return [
        {
            "agency": str(co["agency"]),
            "name": str(co["name"]),
            "check_items": [{"code": i["code"], "name": i["name"]} for i in co["check_items"]],
            "per_team": int(co.get("inspectors_per_team", 1)),
        }
        for co in sorted(co_organisers, key=lambda co: str(co["agency"]).encode("utf-8"))
    ]


def _agency_matcher(
    manifest: dict[str, Any],
    key: bytes,
    roster: Sequence[p.RosterEntry],
    targets: int,
    salt_of: Mapping[tuple[str, str], str],
) -> p.AgencyMatcher | None:
    """The co-organisers' matcher (§16) when the manifest names any."""
    if not manifest.get("co_organisers"):
        return None
    return p.AgencyMatcher(
        key,
        [
            (co["agency"], int(co["per_team"]), p.agency_pool(roster, manifest, co))
            for co in manifest["co_organisers"]
        ],
        targets,
        lambda i, u: (i, u) in salt_of,
        [(x[0], x[1]) for x in manifest["pair_conflicts"]],
    )
