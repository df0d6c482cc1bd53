"""Draws use cases. Plain async functions taking the unit of work (its repository:
``uow.draws``).

Read model: registry and planning events are written into the draws service's own tables.
Draw steps: create (freeze the manifest) → commit shares → reveal shares (→ seed, result) →
countersign (→ DrawCompleted) ; replacements; cancellation before any reveal.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from draws.adapters.repository import DrawsRepository
from draws.adapters.snapshot import SnapshotStore
from draws.domain import agencies, engine, fast, joint
from draws.domain import assignment as da
from draws.domain import protocol as p
from draws.domain.ledger import PartyKey
from draws.domain.model import (
    DEFAULT_PARTIES,
    Draw,
    Signer,
)
from draws.service_layer.unit_of_work import DrawsUnitOfWork
from spotcheck_common.clock import CHINA_TZ
from spotcheck_common.errors import Conflict, Forbidden, Invalid, NotFound
from spotcheck_common.events.draws import (
    DrawCancelled,
    DrawCompleted,
    DrawCountersigned,
    DrawInspectorReplaced,
    DrawManifestFrozen,
    DrawnTarget,
    DrawSeedRevealed,
    DrawShareCommitted,
    DrawShareRevealed,
    InspectorRosterEntry,
    ReserveEntry,
    TeamMember,
)
from spotcheck_common.events.envelope import new_id
from spotcheck_common.events.planning import TaskApproved
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntitiesImported,
    EntityUpdated,
    ExpertsImported,
    ExternalInspectorsImported,
    InspectorPairConflictDeclared,
    InspectorsImported,
)
from spotcheck_common.events.types import TeamRole

# numpy + C (same results as the reference protocol.select; tests compare them).
SELECTOR: engine.Selector = fast.select
# How long the parties have, from the freeze, to reveal (§14.1); then the draw may be aborted.
REVEAL_HOURS = 72


# ------------------------------------------------------------------------ read model


async def entities_imported(uow: DrawsUnitOfWork, event: EntitiesImported) -> None:
    repo, now = uow.draws, uow.clock.now()
    rev = await repo.next_population_rev()
    await repo.upsert_entities([e.model_dump(mode="json") for e in event.entities], rev, now)


async def entity_updated(uow: DrawsUnitOfWork, event: EntityUpdated) -> None:
    repo, now = uow.draws, uow.clock.now()
    rev = await repo.next_population_rev()
    await repo.upsert_entities([event.entity.model_dump(mode="json")], rev, now)


async def inspectors_imported(
    uow: DrawsUnitOfWork, event: InspectorsImported, district: str
) -> None:
    repo, now = uow.draws, uow.clock.now()
    rows = [
        {
            "inspector_id": i.inspector_id,
            "name": i.name,
            "department": i.department,
            "district": district,
            "qualifications": list(i.qualifications),
            "leader_qualified": i.leader_qualified,
            "certificate_expires_on": i.certificate_expires_on,
            "active": i.active,
        }
        for i in event.inspectors
    ]
    await repo.upsert_inspectors(rows, now)
    await publish_roster(uow, [i.inspector_id for i in event.inspectors])


async def external_inspectors_imported(
    uow: DrawsUnitOfWork, event: ExternalInspectorsImported
) -> None:
    """Co-organising agencies' inspectors (§16): kept apart from the bureau's roster — their
    ``district`` is the agency's code, so no pool of the bureau's takes them — and never
    leaders (a team of the bureau is led by its own staff). Not published to the neighbours."""
    rows = [
        {
            "inspector_id": i.inspector_id,
            "name": i.name,
            "department": i.department,
            "district": i.agency,
            "qualifications": list(i.qualifications),
            "leader_qualified": False,
            "certificate_expires_on": i.certificate_expires_on,
            "active": i.active,
        }
        for i in event.inspectors
    ]
    await uow.draws.upsert_inspectors(rows, uow.clock.now())


async def conflict_declared(uow: DrawsUnitOfWork, event: ConflictDeclared) -> None:
    repo, now = uow.draws, uow.clock.now()
    await repo.add_conflict(event.inspector_id, event.uscc, event.reason, now)
    await publish_roster(uow, [event.inspector_id])


async def experts_imported(uow: DrawsUnitOfWork, event: ExpertsImported, district: str) -> None:
    repo, now = uow.draws, uow.clock.now()
    rows = [{**e.model_dump(), "district": district} for e in event.experts]
    await repo.upsert_experts(rows, now)


async def pair_conflict_declared(
    uow: DrawsUnitOfWork, event: InspectorPairConflictDeclared
) -> None:
    repo, now = uow.draws, uow.clock.now()
    a, b = sorted(event.inspector_ids)
    await repo.add_pair_conflict(a, b, event.reason, now)
    await publish_roster(uow, [a, b])


async def publish_roster(uow: DrawsUnitOfWork, inspector_ids: list[str]) -> None:
    """Each changed inspector of this district, as its neighbours' joint draws see it (one
    event per inspector, keyed by it: the topic is compacted to the roster's state). Experts
    and neighbours' inspectors are not this district's roster."""
    for inspector_id in inspector_ids:
        entry = await uow.draws.inspector_entry(inspector_id)
        if entry is None or entry["district"] != uow.district:
            continue
        expires = entry["certificate_expires_on"]
        await uow.emit(
            InspectorRosterEntry(
                inspector_id=inspector_id,
                inspector_name=entry["name"],
                department=entry["department"],
                qualifications=list(entry["qualifications"]),
                leader_qualified=bool(entry["leader_qualified"]),
                certificate_expires_on=str(expires)[:10],
                active=bool(entry["active"]),
                recusals=entry["recusals"],
                pair_conflicts=entry["pair_conflicts"],
            )
        )


async def task_approved(uow: DrawsUnitOfWork, event: TaskApproved) -> None:
    repo, now = uow.draws, uow.clock.now()
    await repo.upsert_task(event.model_dump(mode="json"), now)


# ---------------------------------------------------------------------------- draws


async def create_draw(
    uow: DrawsUnitOfWork,
    *,
    district: str,
    task_id: str,
    parties: list[str] | None = None,
    caps: dict[str, int] | None = None,
    beacon_source: str | None = None,
    beacon_encoding: str | None = None,
    beacon_available_at: datetime | None = None,
    neighbour_rule: str = "none",
    now: datetime | None = None,
    snapshots: SnapshotStore | None = None,
    neighbours: list[str] | None = None,
    reveal_hours: int = REVEAL_HOURS,
    joint_with: list[str] | None = None,
    direct_approval: str | None = None,
) -> Draw:
    """Freeze and publish the manifest (``spotcheck-draw/3``), and log it. Nothing random
    exists yet. ``direct_approval``: the deputy director's approval of direct assignment for
    the task (§15): the manifest then says the teams will be assigned, why, and by whose
    approval."""
    repo = uow.draws
    now = now or uow.clock.now()
    task = await repo.get_task(task_id)
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在或尚未批准")
    if await repo.open_draw_of_task(task_id) is not None:
        raise Conflict("该任务已有抽取（每个任务只抽取一次；未揭示前可作废后重建）")
    parties = list(parties or DEFAULT_PARTIES)
    if len(set(parties)) != len(parties) or "办公室" not in parties or not parties:
        raise Invalid("参与方不得重复，且必须包括办公室（监督方）")
    for party in parties:
        _own_party(party)  # a neighbour's party comes only with its pool
    if neighbour_rule not in p.NEIGHBOUR_RULES:
        raise Invalid(f"相邻区域规则只能是 {', '.join(p.NEIGHBOUR_RULES)}")
    for k, v in (caps or {}).items():
        if k not in "ABCDE" or not 1 <= int(v) <= 255:
            raise Invalid("年度抽查上限按风险等级 A–E 设置，取值 1–255")
    matching = await _matching(repo, task_id, direct_approval)
    draw_date = now.astimezone(CHINA_TZ).date()  # the date in Beijing
    reveal_deadline = now + timedelta(hours=reveal_hours)
    strata = engine.strata_of(task, caps)
    if not strata:
        raise Invalid("任务未设置任何风险等级的抽查比例")
    if snapshots is not None:  # the columnar snapshot, brought up to date from the events
        snapshot = await snapshots.refresh(repo, draw_date.year)
        rev = snapshot.rev
        pop = snapshot.population(task["target_filter"], strata, attributes=True)
    else:
        rev = await repo.population_rev()
        rows = await repo.population_rows(task["target_filter"])
        checks = await repo.checks_this_year(draw_date.year)
        pop = engine.build_population(rows, strata, checks, attributes=True)
    departments = sorted(task["inspector_departments"])
    pools, inspectors = await _pools(
        repo, district, departments, neighbour_rule, _joint_with(joint_with, neighbours or [])
    )
    parties += [joint.neighbour_party(pool["district"]) for pool in pools[1:]]
    # §16: each co-organising agency's external roster and party (第三条)
    co_organisers = list(task.get("co_organisers") or [])
    external = {co["agency"]: await repo.agency_rows(co["agency"]) for co in co_organisers}
    districts = [district, *(neighbours or [])]
    agencies.check_rosters(co_organisers, external, draw_date, districts, matching is not None)
    parties += agencies.parties(co_organisers)
    inspectors += [r for rows in external.values() for r in rows]
    ids = [i.inspector_id for i in inspectors]
    conflicts = await repo.conflicts_of(ids)
    roster, salts = engine.build_roster(inspectors, conflicts)
    pair_conflicts = await repo.pair_conflicts_of(ids)
    experts = None
    expert_roster: list[p.ExpertEntry] = []
    if int(task.get("experts_per_target") or 0) > 0:
        # 第六条: experts of the district's expert pool, drawn by §8.4 of the spec.
        expert_rows = await repo.expert_rows(district)
        expert_conflicts = await repo.conflicts_of([e.expert_id for e in expert_rows])
        expert_roster, expert_salts = engine.build_expert_roster(expert_rows, expert_conflicts)
        salts += expert_salts
        experts = engine.experts_section(task, expert_roster)
    draw_id = new_id()
    manifest = engine.build_manifest(
        draw_id=draw_id,
        district=district,
        task=task,
        strata=strata,
        pop=pop,
        roster=roster,
        pools=pools,
        neighbour_rule=neighbour_rule,
        parties=parties,
        beacon=_beacon(beacon_source, beacon_encoding, beacon_available_at, reveal_deadline),
        draw_date=draw_date,
        frozen_at=now,
        snapshot_rev=rev,
        pair_conflicts=pair_conflicts,
        experts=experts,
        reveal_deadline=reveal_deadline,
        checked=await repo.checked_draws(draw_date.year),
        matching=matching,
        co_organisers=co_organisers,
    )
    draw = Draw(
        draw_id=draw_id,
        task_id=task_id,
        status="frozen",
        manifest=manifest,
        manifest_sha256=p.json_sha256(manifest),
        roster=[r.to_json() for r in roster],
        created_by=uow.context.actor,
        created_at=now,
        expert_roster=[e.to_json() for e in expert_roster] if experts else None,
    )
    await repo.add_draw(draw, pop, salts)
    await _log(
        uow,
        draw,
        now,
        "frozen",
        task_id=task_id,
        manifest_sha256=draw.manifest_sha256,
        reveal_deadline=manifest["reveal_deadline"],
    )
    await uow.emit(
        DrawManifestFrozen(
            draw_id=draw_id,
            task_id=task_id,
            task_no=task["task_no"],
            algorithm=manifest["algorithm"],
            manifest_sha256=draw.manifest_sha256,
            population_size=pop.size,
            population_root=manifest["population"]["merkle_root"],
            roster_size=len(roster),
            roster_root=manifest["roster"]["merkle_root"],
            parties=parties,
            beacon_source=beacon_source,
            manifest=manifest,
        )
    )
    await uow.commit()
    return draw


async def _matching(
    repo: DrawsRepository, task_id: str, approval_id: str | None
) -> dict[str, Any] | None:
    """The manifest's ``matching`` (§15) from the deputy director's approval for this task."""
    if approval_id is None:
        return None
    approval = await repo.get_direct_approval(approval_id)
    if approval is None or approval["task_id"] != task_id:
        raise Invalid(
            f"没有分管局长对任务 {task_id} 直接委派的批准 {approval_id}：直接委派须先经分管局长批准"
        )
    return da.matching_section(approval["reason"], approval)


async def approve_direct_assignment(
    uow: DrawsUnitOfWork, task_id: str, *, reason: str, by_name: str
) -> dict[str, Any]:
    """第六条: the deputy director (分管局长), signed in, approves direct assignment for a task
    whose inspectors cannot meet the conditions of random matching — before its draw is
    frozen, so the manifest can name the approval before any randomness exists."""
    repo = uow.draws
    if await repo.get_task(task_id) is None:
        raise NotFound(f"任务 {task_id} 不存在或尚未批准")
    if not reason.strip():
        raise Invalid("批准直接委派须说明理由（如本区执法检查人员不足以随机匹配）")
    if await repo.open_draw_of_task(task_id) is not None:
        raise Conflict("该任务已有抽取：直接委派须在冻结抽取清单之前批准")
    approval = {
        "approval_id": new_id(),
        "task_id": task_id,
        "reason": reason.strip(),
        "by": uow.context.actor,
        "by_name": by_name,
        "at": uow.clock.now().isoformat(),
    }
    await repo.add_direct_approval(approval)
    await uow.commit()
    return approval


async def _pools(
    repo: DrawsRepository, district: str, departments: list[str], rule: str, joint_with: list[str]
) -> tuple[list[dict[str, Any]], list[engine.InspectorRow]]:
    """The manifest's pools and their inspectors: this district's (tier 0), then — joint
    matching (第六条) — each neighbour's of the same departments (tier 1), whose credit
    department becomes a party making its share at its own bureau."""
    pools: list[dict[str, Any]] = [{"district": district, "departments": departments, "tier": 0}]
    inspectors = await repo.roster_rows(district, departments)
    if rule != "fill-when-short":
        return pools, inspectors
    if not joint_with:
        raise Invalid("本局未配置相邻区（或未指定联合的相邻区），不能采用 fill-when-short 联合抽取")
    for other in joint_with:
        theirs = await repo.roster_rows(other, departments)
        if not any(i.active for i in theirs):
            raise Conflict(
                f"相邻区「{other}」没有可用的执法检查人员名录（{'、'.join(departments)}）："
                "其名录尚未同步到本局，或该区没有这些科室的在岗人员。联合抽取不能悄然缩小为"
                "本区抽取：请等待名录同步，或不与该区联合"
            )
        pools.append({"district": other, "departments": departments, "tier": 1})
        inspectors += theirs
    return pools, inspectors


def _joint_with(named: list[str] | None, neighbours: list[str]) -> list[str]:
    """The neighbours a joint draw fills from: those named, or every configured neighbour."""
    if named is None:
        return list(neighbours)
    unknown = [d for d in named if d not in neighbours]
    if unknown:
        raise Invalid(
            f"{'、'.join(unknown)} 不是本局的相邻区"
            f"（可联合抽取的：{'、'.join(neighbours) or '无'}）"
        )
    if len(set(named)) != len(named):
        raise Invalid("联合抽取的相邻区不得重复")
    return list(named)


def _beacon(
    source: str | None, encoding: str | None, available_at: datetime | None, deadline: datetime
) -> dict[str, Any] | None:
    """§14.8: a future public beacon, named with its exact byte encoding, public only after
    the reveal deadline (so even the last revealer cannot compute the result)."""
    if not source:
        return None
    if not encoding or available_at is None:
        raise Invalid("指定外部信标须同时给出其字节编码规则和公布时间")
    if available_at.utcoffset() is None:
        raise Invalid("信标公布时间须带时区")
    if available_at < deadline:
        raise Invalid(
            f"信标须在揭示截止时间 {deadline.isoformat()} 之后公布，否则最后揭示者可预知结果"
        )
    return {"source": source, "encoding": encoding, "available_at": available_at.isoformat()}


async def _load(repo: DrawsRepository, draw_id: str) -> Draw:
    draw = await repo.get_draw(draw_id, lock=True)
    if draw is None:
        raise NotFound(f"抽取 {draw_id} 不存在")
    return draw


async def _log(uow: DrawsUnitOfWork, draw: Draw, at: datetime, kind: str, **fields: Any) -> None:
    """A step of a /3 draw, chained into the district's draw log (§14.6)."""
    if draw.signed:
        await uow.ledger.append(
            draw.manifest["district"], at, kind, {"draw_id": draw.draw_id, **fields}
        )


async def _signer(uow: DrawsUnitOfWork, key_id: str | None, signature: str | None) -> Signer | None:
    """The party key an act claims (checked by the draw); None when the act is unsigned."""
    if key_id is None and signature is None:
        return None
    if not key_id or not signature:
        raise Invalid("签名须同时给出 key_id 和 signature")
    key = await uow.ledger.get_key(key_id)
    if key is None:
        raise Invalid(f"密钥 {key_id} 未登记：须先登记参与方密钥（POST /api/draws/keys）")
    return Signer(key, signature)


def _signed_fields(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("key_id", "signature") if k in entry}


async def commit_share(
    uow: DrawsUnitOfWork,
    draw_id: str,
    party: str,
    commitment: str,
    key_id: str | None = None,
    signature: str | None = None,
    agency: str | None = None,
) -> Draw:
    """A party of this bureau commits (a neighbour's party commits at its own bureau; a
    co-organising agency's, here, only by its liaison: ``agency``, §16)."""
    _own_party(party, agency)
    draw = await _load(uow.draws, draw_id)
    signer = await _signer(uow, key_id, signature)
    await record_commit(uow, draw, party, commitment, uow.context.actor, signer)
    await uow.commit()
    return draw


async def record_commit(
    uow: DrawsUnitOfWork,
    draw: Draw,
    party: str,
    commitment: str,
    by: str,
    signer: Signer | None,
) -> None:
    now = uow.clock.now()
    draw.commit(party, commitment, now, by, signer)
    entry = next(c for c in draw.commitments if c["party"] == party)
    await _log(
        uow,
        draw,
        now,
        "committed",
        party=party,
        commitment=entry["commitment"],
        **_signed_fields(entry),
    )
    await uow.draws.save_draw(draw)
    await uow.emit(
        DrawShareCommitted(
            draw_id=draw.draw_id, task_id=draw.task_id, party=party, commitment=commitment.lower()
        )
    )


async def reveal_share(
    uow: DrawsUnitOfWork,
    draw_id: str,
    party: str,
    share: str,
    key_id: str | None = None,
    signature: str | None = None,
    agency: str | None = None,
) -> Draw:
    _own_party(party, agency)
    draw = await _load(uow.draws, draw_id)
    signer = await _signer(uow, key_id, signature)
    await record_reveal(uow, draw, party, share, uow.context.actor, signer)
    await uow.commit()
    return draw


async def record_reveal(
    uow: DrawsUnitOfWork, draw: Draw, party: str, share: str, by: str, signer: Signer | None
) -> None:
    now = uow.clock.now()
    draw.reveal(party, share, now, by, signer)
    entry = next(r for r in draw.reveals if r["party"] == party)
    await _log(
        uow, draw, now, "revealed", party=party, share=entry["share"], **_signed_fields(entry)
    )
    await uow.emit(
        DrawShareRevealed(
            draw_id=draw.draw_id, task_id=draw.task_id, party=party, share_hex=share.lower()
        )
    )
    await _maybe_draw(uow, draw)
    await uow.draws.save_draw(draw)


def _own_party(party: str, agency: str | None = None) -> None:
    """Who may act for ``party`` here: an agency's party only its liaison (§16), a
    neighbour's nobody (it acts at its own bureau)."""
    agencies.check_actor(party, agency)
    if p.agency_of_party(party) is not None:
        return
    neighbour = joint.district_of_party(party)
    if neighbour is not None:
        raise Forbidden(
            f"「{party}」是相邻区的参与方：须由该区信用监管科在其本局系统中提交承诺和揭示，"
            "本局人员不得代为操作"
        )


async def set_beacon(uow: DrawsUnitOfWork, draw_id: str, value: str) -> Draw:
    repo = uow.draws
    draw = await _load(repo, draw_id)
    now = uow.clock.now()
    draw.set_beacon(value, now)
    await _log(uow, draw, now, "beacon", value=draw.beacon_value)
    await _maybe_draw(uow, draw)
    await repo.save_draw(draw)
    await uow.commit()
    return draw


async def _maybe_draw(uow: DrawsUnitOfWork, draw: Draw) -> None:
    repo = uow.draws
    if not draw.ready_to_draw():
        return
    seed = draw.seed()
    pop = await repo.get_population(draw.draw_id)
    salts = await repo.get_salts(draw.draw_id)
    roster = [p.RosterEntry.from_json(r) for r in draw.roster]
    result = engine.compute_result(
        manifest=draw.manifest,
        seed=seed,
        pop=pop,
        roster=roster,
        salts=salts,
        selector=SELECTOR,
        expert_roster=[p.ExpertEntry.from_json(e) for e in draw.expert_roster or []],
    )
    if draw.direct:  # §15.2: the targets are known; the teams wait for the assignment
        draw.record_selection(seed, result)
        return
    draw.record_result(seed, result)
    await _drawn(uow, draw)


async def _drawn(uow: DrawsUnitOfWork, draw: Draw) -> None:
    """The result is complete: logged, its targets counted for the yearly cap, announced."""
    repo, result, seed = uow.draws, draw.require_result("记录结果"), draw.seed()
    await _log(
        uow, draw, uow.clock.now(), "drawn", seed=seed.hex(), result_sha256=draw.result_sha256
    )
    year = int(draw.manifest["draw_date"][:4])
    await repo.record_checks(draw.draw_id, year, [t["uscc"] for t in result["targets"]])
    await uow.emit(
        DrawSeedRevealed(
            draw_id=draw.draw_id,
            task_id=draw.task_id,
            seed_hex=seed.hex(),
            beacon_value=draw.beacon_value,
            result_sha256=draw.result_sha256 or "",
            targets=len(result["targets"]),
            unstaffed=len(result["unstaffed"]),
        )
    )


async def assign_teams(
    uow: DrawsUnitOfWork,
    draw_id: str,
    assignment: list[dict[str, Any]],
    by: str,
    key_id: str | None = None,
    signature: str | None = None,
) -> Draw:
    """§15.3: once the targets are drawn, the credit department assigns each one's team (and
    experts), signed like the ceremony's other acts; the teams must meet the hard rules."""
    repo = uow.draws
    draw = await _load(repo, draw_id)
    targets = [t["uscc"] for t in draw.require_selection()["targets"]]
    salts = {(i, u) for i, u, _ in await repo.get_salts(draw_id)}
    experts = [p.ExpertEntry.from_json(e) for e in draw.expert_roster or []]
    found = da.problem(
        draw.manifest,
        [p.RosterEntry.from_json(r) for r in draw.roster],
        p.expert_pool(experts, draw.manifest) if experts else [],
        targets,
        assignment,
        lambda who, u: (who, u) in salts,
    )
    if found:
        raise Invalid(f"直接委派不符合硬性规则：{found}")
    result = engine.compute_result(
        manifest=draw.manifest,
        seed=draw.seed(),
        pop=await repo.get_population(draw_id),
        roster=[p.RosterEntry.from_json(r) for r in draw.roster],
        salts=await repo.get_salts(draw_id),
        selector=SELECTOR,
        expert_roster=experts,
        assignment=assignment,
    )
    now = uow.clock.now()
    draw.assign(result, now, by, uow.context.actor, await _signer(uow, key_id, signature))
    assert draw.assignment is not None
    await _log(
        uow,
        draw,
        now,
        "assigned",
        assignment_sha256=p.json_sha256(da.assignment_of(result, "experts" in draw.manifest)),
        **_signed_fields(draw.assignment),
    )
    await _drawn(uow, draw)
    await repo.save_draw(draw)
    await uow.commit()
    return draw


async def countersign(
    uow: DrawsUnitOfWork,
    draw_id: str,
    by: str,
    opinion: str,
    bundle_url: str,
    *,
    key_id: str | None = None,
    signature: str | None = None,
    acknowledge_unstaffed: bool = False,
) -> Draw:
    repo = uow.draws
    draw = await _load(repo, draw_id)
    now = uow.clock.now()
    signer = await _signer(uow, key_id, signature)
    draw.sign(by, opinion, now, uow.context.actor, signer, acknowledge_unstaffed)
    assert draw.countersign is not None
    audited = await _audit(uow, draw) if draw.signed else {}
    await _log(
        uow,
        draw,
        now,
        "countersigned",
        result_sha256=draw.result_sha256,
        **_signed_fields(draw.countersign),
        audit=audited,
    )
    await repo.save_draw(draw)
    await _count_teams(uow, draw, now)
    await uow.emit(
        DrawCountersigned(
            draw_id=draw_id,
            task_id=draw.task_id,
            by=by,
            opinion=opinion,
            result_sha256=draw.result_sha256 or "",
        )
    )
    for part in (await completed_event(repo, draw, bundle_url)).split():
        await uow.emit(part)  # parts far below the broker's message limit (ADR 0012)
    await uow.commit()
    return draw


async def _count_teams(uow: DrawsUnitOfWork, draw: Draw, at: datetime) -> None:
    """The draw's teams for the share of direct assignment per lead department (第六条)."""
    result = draw.require_result("统计检查组")
    teams = sum(1 for t in result["targets"] if t["team"])
    department = str(draw.manifest["task"]["lead_department"])
    await uow.draws.add_team_counts(
        draw.draw_id, department, teams, teams if draw.direct else 0, at
    )


async def direct_assignment_shares(uow: DrawsUnitOfWork) -> list[dict[str, Any]]:
    """Per lead department: the teams of countersigned draws, those assigned directly, and
    their share in basis points (so the general office sees direct assignment used too often)."""
    return [
        {
            "department": department,
            "teams": teams,
            "assigned": assigned,
            "share_bp": assigned * 10000 // teams if teams else 0,
        }
        for department, teams, assigned in await uow.draws.team_counts()
    ]


async def _audit(uow: DrawsUnitOfWork, draw: Draw) -> dict[str, Any]:
    """§14.9: the disclosures against the sealed declarations, before the countersignature
    (refused, nothing recorded, if the audit fails)."""
    assert draw.result is not None and draw.seed_hex is not None
    outcome = engine.audit(
        manifest=draw.manifest,
        seed=bytes.fromhex(draw.seed_hex),
        pop=await uow.draws.get_population(draw.draw_id),
        roster=[p.RosterEntry.from_json(r) for r in draw.roster],
        salts=await uow.draws.get_salts(draw.draw_id),
        expert_roster=[p.ExpertEntry.from_json(e) for e in draw.expert_roster or []],
        result=draw.result,
        selector=SELECTOR,
    )
    if isinstance(outcome, str):
        raise Conflict(f"会签前复核未通过：{outcome}。请通知运维核查，不得会签")
    return outcome


def _member(roster: dict[str, dict[str, Any]], inspector_id: str, role: str) -> TeamMember:
    r = roster[inspector_id]
    return TeamMember(
        inspector_id=inspector_id, name=r["name"], department=r["department"], role=TeamRole(role)
    )


def _expert(experts: dict[str, dict[str, Any]], expert_id: str) -> TeamMember:
    e = experts[expert_id]
    return TeamMember(
        inspector_id=expert_id,
        name=e["name"],
        department=e["organization"] or e["field"],
        role=TeamRole.EXPERT,
    )


def team_of(draw: Draw, roster: dict[str, dict[str, Any]], uscc: str) -> list[TeamMember]:
    """Inspectors (leader first), the co-organising agencies' (members, their department the
    agency's name, §16), then the target's experts (role ``expert``)."""
    experts = {e["expert_id"]: e for e in draw.expert_roster or []}
    names = {co["agency"]: co["name"] for co in draw.manifest.get("co_organisers", [])}
    return (
        [_member(roster, i, role) for i, role in draw.team_of(uscc)]
        + [_agency_member(roster, names, i) for i in draw.agency_members_of(uscc)]
        + [_expert(experts, e) for e in draw.experts_of(uscc)]
    )


def _agency_member(
    roster: dict[str, dict[str, Any]], names: dict[str, str], inspector_id: str
) -> TeamMember:
    r = roster[inspector_id]
    return TeamMember(
        inspector_id=inspector_id,
        name=r["name"],
        department=names.get(r["district"], r["department"]),
        role=TeamRole.MEMBER,
    )


async def completed_event(repo: DrawsRepository, draw: Draw, bundle_url: str) -> DrawCompleted:
    assert draw.result is not None
    roster = {r["inspector_id"]: r for r in draw.roster}
    info = await repo.entity_info([t["uscc"] for t in draw.result["targets"]])
    details = await repo.entity_details([t["uscc"] for t in draw.result["targets"]])
    staffed = [t for t in draw.result["targets"] if t["team"]]
    return DrawCompleted(
        draw_id=draw.draw_id,
        task_id=draw.task_id,
        task_no=draw.task_no,
        algorithm=draw.manifest["algorithm"],
        seed_hex=draw.seed_hex or "",
        population_size=int(draw.manifest["population"]["size"]),
        targets=[
            DrawnTarget(
                uscc=t["uscc"],
                entity_name=info.get(t["uscc"], (t["uscc"], "", ""))[0],
                risk_class=t["stratum"],
                team=team_of(draw, roster, t["uscc"]),
                area=info.get(t["uscc"], ("", "", ""))[2],
                assigned=draw.direct,
                details=details.get(t["uscc"], {}),
            )
            for t in staffed
        ],
        unstaffed=list(draw.result["unstaffed"]),
        manifest_sha256=draw.manifest_sha256,
        result_sha256=draw.result_sha256 or "",
        bundle_url=bundle_url,
        countersigned_by=(draw.countersign or {}).get("by", ""),
        reserve=[
            ReserveEntry(uscc=u, stratum=s["key"])
            for s in draw.result["strata"]
            for u, outcome in s["walk"]
            if outcome == "reserve"
        ],
        assignment_reason=draw.manifest["matching"]["reason"] if draw.direct else "",
    )


async def approve_replacement(
    uow: DrawsUnitOfWork, draw_id: str, *, uscc: str, inspector_id: str, reason: str, by_name: str
) -> dict[str, Any]:
    """The deputy director (分管局长), signed in, approves one replacement: who and when are
    recorded before anyone may draw the replacement."""
    repo = uow.draws
    draw = await _load(repo, draw_id)
    approval = draw.approve_replacement(
        uscc, inspector_id, reason, uow.context.actor, by_name, uow.clock.now()
    )
    await repo.save_draw(draw)
    await uow.commit()
    return approval


def _replacement(
    draw: Draw,
    result: dict[str, Any],
    salts: list[tuple[str, str, str]],
    uscc: str,
    team: list[tuple[str, str]],
    out: str,
) -> tuple[str, list[tuple[str, str]]]:
    """Who replaces ``out`` on ``uscc``, and the recusals met finding them: in /3 the
    position's next alternate, fixed by the draw (§14.11); before, drawn now by §9."""
    roster = [p.RosterEntry.from_json(r) for r in draw.roster]
    seed = bytes.fromhex(draw.seed_hex or "")
    if draw.signed:
        position = [i for i, _ in team].index(out)
        alternates, met = engine.alternates_of(
            manifest=draw.manifest,
            seed=seed,
            roster=roster,
            salts=salts,
            expert_roster=[p.ExpertEntry.from_json(e) for e in draw.expert_roster or []],
            result=result,
            uscc=uscc,
        )[position]
        chosen = draw.next_alternate(uscc, out, alternates)
        if chosen is None:
            raise Invalid("该岗位由抽取确定的备选人员均不可用（已在组内、已调出、回避或达到上限）")
        return chosen, [(uscc, i) for i in met]
    matcher = engine.replay_matcher(
        manifest=draw.manifest,
        seed=seed,
        roster=roster,
        result=result,
        replacements=draw.replacements,
        salts=salts,
    )
    excluded = {r["replaced"] for r in draw.replacements if r["uscc"] == uscc}
    found = matcher.replace(uscc, team, out, excluded)
    if found is None:
        raise Invalid("没有符合条件的其他执法检查人员可替换")
    return found, list(matcher.disclosed)


async def replace_inspector(
    uow: DrawsUnitOfWork,
    draw_id: str,
    *,
    uscc: str,
    inspector_id: str,
    reason: str,
    approval_id: str,
) -> dict[str, Any]:
    """Replace a drawn inspector under the deputy director's approval: in /3 by the
    position's alternate fixed by the draw, before by the same rule drawn now."""
    repo = uow.draws
    draw = await _load(repo, draw_id)
    result = draw.require_result("调换人员")
    team = draw.team_with(uscc, inspector_id)
    approval = draw.use_approval(approval_id, uscc, inspector_id)
    approved_by = approval["by_name"] or approval["by"]
    salts = await repo.get_salts(draw_id)
    chosen, met = _replacement(draw, result, salts, uscc, team, inspector_id)
    salt_of = {(i, u): s for i, u, s in salts}
    role = dict(team)[inspector_id]
    now = uow.clock.now()
    record = {
        "seq": len(draw.replacements) + 1,
        "uscc": uscc,
        "replaced": inspector_id,
        "replacement": chosen,
        "role": role,
        "reason": reason,
        "approved_by": approved_by,
        "approval_ref": approval_id,
        "requested_by": uow.context.actor,
        "at": now.isoformat(),
        "recusal_disclosures": [
            {"uscc": u, "inspector_id": i, "salt": salt_of[(i, u)]} for u, i in met
        ],
    }
    if draw.signed:  # /3: it waits for the general office's countersignature (§14.11)
        draw.hold_replacement(approval, record)
        await repo.save_draw(draw)
        await uow.commit()
        return record
    draw.replacements.append(record)
    await _replaced(uow, draw, record, now)
    return record


async def countersign_replacement(
    uow: DrawsUnitOfWork,
    draw_id: str,
    approval_id: str,
    by: str,
    key_id: str | None = None,
    signature: str | None = None,
) -> dict[str, Any]:
    """/3 (§14.11): the general office countersigns a replacement, which then takes effect."""
    draw = await _load(uow.draws, draw_id)
    now = uow.clock.now()
    signer = await _signer(uow, key_id, signature)
    record = draw.countersign_replacement(approval_id, by, now, uow.context.actor, signer)
    await _replaced(uow, draw, record, now)
    return record


async def _replaced(
    uow: DrawsUnitOfWork, draw: Draw, record: dict[str, Any], now: datetime
) -> None:
    """A replacement takes effect: chained into the draw log, saved, announced."""
    await _log(
        uow,
        draw,
        now,
        "replaced",
        replacement_seq=record["seq"],
        replacement_sha256=p.json_sha256(record),
    )
    await uow.draws.save_draw(draw)
    roster = {r["inspector_id"]: r for r in draw.roster}
    uscc = record["uscc"]
    await uow.emit(
        DrawInspectorReplaced(
            draw_id=draw.draw_id,
            task_id=draw.task_id,
            task_no=draw.task_no,
            uscc=uscc,
            replaced_inspector_id=record["replaced"],
            replacement=_member(roster, record["replacement"], record["role"]),
            team=team_of(draw, roster, uscc),
            reason=record["reason"],
            approved_by=record["approved_by"],
            approval_ref=record["approval_ref"],
        )
    )
    await uow.commit()


async def cancel_draw(
    uow: DrawsUnitOfWork,
    draw_id: str,
    reason: str,
    key_id: str | None = None,
    signature: str | None = None,
) -> Draw:
    """Cancel before any reveal; in /3 a signed reason, kept in the draw log for good."""
    repo = uow.draws
    draw = await _load(repo, draw_id)
    now = uow.clock.now()
    signer = await _signer(uow, key_id, signature)
    signed = draw.cancel(reason, uow.context.actor, now, signer)
    await _log(uow, draw, now, "cancelled", reason=reason, **signed)
    await repo.save_draw(draw)
    await uow.emit(DrawCancelled(draw_id=draw_id, task_id=draw.task_id, reason=reason))
    await uow.commit()
    return draw


async def abort_draw(uow: DrawsUnitOfWork, draw_id: str) -> Draw:
    """/3: the reveal deadline passed without every share: the draw is void, in the log, and
    the task may be drawn again only under a new manifest."""
    repo = uow.draws
    draw = await _load(repo, draw_id)
    now = uow.clock.now()
    missing = draw.abort(now)
    reason = draw.cancel_reason or ""
    await _log(uow, draw, now, "aborted", missing=missing, reason=reason)
    await repo.save_draw(draw)
    await uow.emit(DrawCancelled(draw_id=draw_id, task_id=draw.task_id, reason=reason))
    await uow.commit()
    return draw


# ------------------------------------------------------------------------ party keys


async def register_key(
    uow: DrawsUnitOfWork,
    *,
    district: str,
    party: str,
    public_key: str,
    valid_from: date,
    valid_until: date,
    signature: str,
    agency: str | None = None,
) -> PartyKey:
    """The signed-in person registers the public half of a key made on their own device; a
    co-organising agency's liaison (``agency``) only for its agency's party (§16)."""
    agencies.check_actor(party, agency)
    now = uow.clock.now()
    key = PartyKey.register(
        district=district,
        party=party,
        holder=uow.context.actor,
        public_key=public_key,
        valid_from=valid_from,
        valid_until=valid_until,
        signature=signature,
        today=now.astimezone(CHINA_TZ).date(),
    )
    if await uow.ledger.get_key(key.key_id) is not None:
        raise Conflict(f"密钥 {key.key_id} 已登记")
    record = await uow.ledger.append(district, now, "key-registered", {"key": key.record()})
    key.registered_seq = int(record["seq"])
    await uow.ledger.add_key(key)
    await uow.commit()
    return key


async def revoke_key(
    uow: DrawsUnitOfWork, key_id: str, reason: str, may_revoke_any: bool
) -> PartyKey:
    """Its holder (or the general office, ``may_revoke_any``) revokes a key: from then on its
    signatures count for nothing."""
    key = await uow.ledger.get_key(key_id)
    if key is None:
        raise NotFound(f"密钥 {key_id} 未登记")
    if key.holder != uow.context.actor and not may_revoke_any:
        raise Forbidden("只有密钥持有人本人或办公室可以吊销密钥")
    if key.revoked_seq is not None:
        raise Conflict(f"密钥 {key_id} 已被吊销")
    if not reason.strip():
        raise Invalid("吊销密钥须说明理由")
    now = uow.clock.now()
    record = await uow.ledger.append(
        key.district,
        now,
        "key-revoked",
        {"key_id": key_id, "reason": reason, "by": uow.context.actor},
    )
    await uow.ledger.revoke_key(key_id, int(record["seq"]), uow.context.actor, reason, now)
    key.revoked_seq = int(record["seq"])
    await uow.commit()
    return key
