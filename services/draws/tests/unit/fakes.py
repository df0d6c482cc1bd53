"""In-memory doubles of the draws service's repository and unit of work, held to the same
contract as the SQL ones (``test_repository_contract.py``) and type-checked (``make lint``)."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from draws.adapters.ledger import LedgerRepository
from draws.adapters.repository import DrawsRepository
from draws.domain import ledger
from draws.domain import protocol as p
from draws.domain.engine import ExpertRow, InspectorRow, PopulationRow
from draws.domain.joint import JointDraw
from draws.domain.ledger import PartyKey
from draws.domain.model import VOID, Draw
from draws.service_layer.unit_of_work import DrawsUnitOfWork
from spotcheck_common.clock import Clock
from spotcheck_common.errors import StaleWrite
from spotcheck_common.objects import kind_of
from spotcheck_common.testing import FakeUnitOfWork
from spotcheck_common.uow import Context


class FakeLedgerRepository:
    def __init__(self) -> None:
        self.log: dict[str, list[dict[str, Any]]] = {}
        self.party_keys: dict[str, PartyKey] = {}

    async def append(
        self, district: str, at: datetime, kind: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        seq, prev = await self.head(district)
        record = ledger.log_record(
            seq=seq + 1, prev=prev, at=at, kind=kind, district=district, fields=fields
        )
        self.log.setdefault(district, []).append(copy.deepcopy(record))
        return record

    async def records(self, district: str, after: int, limit: int) -> list[dict[str, Any]]:
        return copy.deepcopy([r for r in self.log.get(district, []) if r["seq"] > after][:limit])

    async def head(self, district: str) -> tuple[int, str]:
        records = self.log.get(district)
        return (records[-1]["seq"], p.log_hash(records[-1])) if records else (0, p.LOG_GENESIS)

    async def extract_of(self, draw_id: str, key_ids: Sequence[str]) -> list[dict[str, Any]]:
        found = [
            r
            for records in self.log.values()
            for r in records
            if r.get("draw_id") == draw_id
            or (r["kind"] == "key-registered" and r["key"]["key_id"] in key_ids)
        ]
        return copy.deepcopy(sorted(found, key=lambda r: r["seq"]))

    async def add_key(self, key: PartyKey) -> None:
        self.party_keys[key.key_id] = copy.copy(key)

    async def get_key(self, key_id: str) -> PartyKey | None:
        key = self.party_keys.get(key_id)
        return copy.copy(key) if key else None

    async def keys(self, district: str) -> list[PartyKey]:
        found = [copy.copy(k) for k in self.party_keys.values() if k.district == district]
        return sorted(found, key=lambda k: k.registered_seq)

    async def revoke_key(self, key_id: str, seq: int, by: str, reason: str, at: datetime) -> None:
        self.party_keys[key_id].revoked_seq = seq


class FakeDrawsRepository:
    def __init__(self) -> None:
        # the ledger's rows live beside the draws' (one database), handed to each unit of work
        self.ledger = FakeLedgerRepository()
        self.rev = 0
        self.entities: dict[str, dict[str, Any]] = {}
        self.inspectors: dict[str, dict[str, Any]] = {}
        self.conflicts: dict[tuple[str, str], str] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.draws: dict[str, Draw] = {}
        self.direct_approvals: dict[str, dict[str, Any]] = {}
        self.team_rows: dict[str, tuple[str, int, int]] = {}  # draw → department, teams, assigned
        self.populations: dict[str, p.Population] = {}
        self.salts: dict[str, list[tuple[str, str, str]]] = {}
        self.trees: dict[str, p.StoredTree] = {}
        self.checks: list[tuple[str, int, str]] = []
        self.experts: dict[str, dict[str, Any]] = {}
        self.pair_conflicts: dict[tuple[str, str], str] = {}
        self.joint: dict[str, JointDraw] = {}

    async def next_population_rev(self) -> int:
        self.rev += 1
        return self.rev

    async def population_rev(self) -> int:
        return self.rev

    async def upsert_entities(
        self, rows: Sequence[dict[str, Any]], rev: int, now: datetime
    ) -> None:
        for r in rows:
            self.entities[r["uscc"]] = {**r, "rev": rev}

    async def upsert_inspectors(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        for r in rows:
            self.inspectors[r["inspector_id"]] = dict(r)

    async def add_conflict(self, inspector_id: str, uscc: str, reason: str, now: datetime) -> None:
        self.conflicts.setdefault((inspector_id, uscc), reason)

    async def upsert_task(self, payload: dict[str, Any], now: datetime) -> None:
        self.tasks[payload["task_id"]] = payload

    async def get_task(self, task_id: str) -> dict[str, Any] | None:
        return self.tasks.get(task_id)

    async def population_rows(self, task_filter: dict[str, Any]) -> list[PopulationRow]:
        def keep(e: dict[str, Any]) -> bool:
            for key, col in (
                ("entity_types", "entity_type"),
                ("industries", "industry"),
                ("areas", "area"),
                ("risk_classes", "risk_class"),
            ):
                if task_filter.get(key) and e[col] not in task_filter[key]:
                    return False
            return kind_of(e["uscc"]) == (task_filter.get("object_kind") or "market_entity")

        return [
            PopulationRow(
                e["uscc"], e["risk_class"], e["status"], e["entity_type"], e["industry"], e["area"]
            )
            for e in sorted(self.entities.values(), key=lambda e: e["uscc"])
            if keep(e)
        ]

    async def entities_between(
        self, after: int, upto: int
    ) -> list[tuple[str, str, str, str, str, str]]:
        return [
            (e["uscc"], e["entity_type"], e["industry"], e["area"], e["risk_class"], e["status"])
            for e in self.entities.values()
            if after < e["rev"] <= upto
        ]

    async def checks_this_year(self, year: int) -> dict[str, int]:
        return dict(Counter(u for u, y, _ in self.checks if y == year))

    async def roster_rows(self, district: str, departments: Sequence[str]) -> list[InspectorRow]:
        rows = await self.agency_rows(district)
        return [r for r in rows if r.department in departments]

    async def agency_rows(self, agency: str) -> list[InspectorRow]:
        return [
            InspectorRow(
                inspector_id=i["inspector_id"],
                name=i["name"],
                department=i["department"],
                district=i["district"],
                qualifications=tuple(i["qualifications"]),
                leader_qualified=i["leader_qualified"],
                certificate_expires_on=i["certificate_expires_on"],
                active=i["active"],
            )
            for i in self.inspectors.values()
            if i["district"] == agency
        ]

    async def conflicts_of(self, inspector_ids: Sequence[str]) -> list[tuple[str, str]]:
        ids = set(inspector_ids)
        return [k for k in self.conflicts if k[0] in ids]

    async def entity_info(self, usccs: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        return {
            u: (self.entities[u]["name"], self.entities[u]["risk_class"], self.entities[u]["area"])
            for u in usccs
            if u in self.entities
        }

    async def entity_details(self, usccs: Sequence[str]) -> dict[str, dict[str, str]]:
        found = {u: self.entities[u].get("details") for u in usccs if u in self.entities}
        return {u: dict(d) for u, d in found.items() if d}

    async def upsert_experts(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        for r in rows:
            self.experts[r["expert_id"]] = dict(r)

    async def expert_rows(self, district: str) -> list[ExpertRow]:
        return [
            ExpertRow(e["expert_id"], e["name"], e["field"], e["organization"], e["active"])
            for e in self.experts.values()
            if e["district"] == district
        ]

    async def add_pair_conflict(self, a: str, b: str, reason: str, now: datetime) -> None:
        first, second = sorted((a, b))
        self.pair_conflicts.setdefault((first, second), reason)

    async def pair_conflicts_of(self, inspector_ids: Sequence[str]) -> list[tuple[str, str]]:
        ids = set(inspector_ids)
        return sorted(k for k in self.pair_conflicts if k[0] in ids and k[1] in ids)

    async def add_draw(
        self, draw: Draw, pop: p.Population, salts: Sequence[tuple[str, str, str]]
    ) -> None:
        self.draws[draw.draw_id] = copy.deepcopy(draw)
        self.populations[draw.draw_id] = p.Population(
            bytes(pop.uscc), pop.stratum, pop.status, pop.checks, pop.attributes
        )
        self.salts[draw.draw_id] = list(salts)
        chunk = int(draw.manifest["population"]["chunk_size"])
        self.trees[draw.draw_id] = p.StoredTree.of(pop, p.population_leaves(pop, chunk), chunk)

    async def get_draw(self, draw_id: str, lock: bool = False) -> Draw | None:
        d = self.draws.get(draw_id)
        return copy.deepcopy(d) if d else None

    async def save_draw(self, draw: Draw) -> None:
        if self.draws[draw.draw_id].version != draw.version:
            raise StaleWrite("抽取同时被他人修改，请重试")
        draw.version += 1
        self.draws[draw.draw_id] = copy.deepcopy(draw)

    async def open_draw_of_task(self, task_id: str) -> Draw | None:
        for d in self.draws.values():
            if d.task_id == task_id and d.status not in VOID:
                return copy.deepcopy(d)
        return None

    async def list_draws(self, task_id: str | None) -> list[Draw]:
        found = [
            copy.deepcopy(d) for d in self.draws.values() if not task_id or d.task_id == task_id
        ]
        return sorted(found, key=lambda d: d.created_at.timestamp() if d.created_at else 0.0)

    async def get_population(self, draw_id: str) -> p.Population:
        return self.populations[draw_id]

    async def get_manifest(self, draw_id: str) -> tuple[dict[str, Any], str] | None:
        d = self.draws.get(draw_id)
        return (copy.deepcopy(d.manifest), d.manifest_sha256) if d else None

    async def get_tree(self, draw_id: str) -> p.StoredTree | None:
        return self.trees.get(draw_id)

    async def get_population_rows(self, draw_id: str, start: int, end: int) -> p.Population:
        return p.population_rows(self.populations[draw_id], start, end)

    async def get_salts(self, draw_id: str) -> list[tuple[str, str, str]]:
        return self.salts[draw_id]

    async def record_checks(self, draw_id: str, year: int, usccs: Sequence[str]) -> None:
        self.checks.extend((u, year, draw_id) for u in usccs)

    async def checked_draws(self, year: int) -> list[tuple[str, str, int]]:
        counts = Counter(d for _, y, d in self.checks if y == year)
        return [(d, self.draws[d].result_sha256 or "", n) for d, n in sorted(counts.items())]

    async def add_direct_approval(self, approval: dict[str, Any]) -> None:
        assert approval["approval_id"] not in self.direct_approvals
        self.direct_approvals[approval["approval_id"]] = copy.deepcopy(approval)

    async def get_direct_approval(self, approval_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.direct_approvals.get(approval_id))

    async def direct_approvals_of(self, task_id: str) -> list[dict[str, Any]]:
        found = [a for a in self.direct_approvals.values() if a["task_id"] == task_id]
        return copy.deepcopy(sorted(found, key=lambda a: (a["at"], a["approval_id"])))

    async def add_team_counts(
        self, draw_id: str, department: str, teams: int, assigned: int, at: datetime
    ) -> None:
        assert draw_id not in self.team_rows  # written once, at the countersignature
        self.team_rows[draw_id] = (department, teams, assigned)

    async def team_counts(self) -> list[tuple[str, int, int]]:
        sums: dict[str, tuple[int, int]] = {}
        for department, teams, assigned in self.team_rows.values():
            t, a = sums.get(department, (0, 0))
            sums[department] = (t + teams, a + assigned)
        return [(d, t, a) for d, (t, a) in sorted(sums.items())]

    async def checks_after(self, year: int, after_id: int) -> tuple[int, list[str]]:
        rows = [
            (i + 1, u) for i, (u, y, _) in enumerate(self.checks) if y == year and i + 1 > after_id
        ]
        return (rows[-1][0] if rows else after_id), [u for _, u in rows]

    async def inspector_entry(self, inspector_id: str) -> dict[str, Any] | None:
        row = self.inspectors.get(inspector_id)
        if row is None:
            return None
        pairs = {
            a if b == inspector_id else b for a, b in self.pair_conflicts if inspector_id in (a, b)
        }
        return {
            **row,
            "recusals": sorted(u for i, u in self.conflicts if i == inspector_id),
            "pair_conflicts": sorted(pairs),
        }

    async def replace_neighbour_inspector(
        self, row: dict[str, Any], recusals: Sequence[str], pairs: Sequence[str], now: datetime
    ) -> None:
        inspector_id = row["inspector_id"]
        self.inspectors[inspector_id] = dict(row)
        self.conflicts = {k: v for k, v in self.conflicts.items() if k[0] != inspector_id}
        self.pair_conflicts = {
            k: v for k, v in self.pair_conflicts.items() if inspector_id not in k
        }
        for uscc in recusals:
            await self.add_conflict(inspector_id, uscc, "相邻区名录", now)
        for other in pairs:
            await self.add_pair_conflict(inspector_id, other, "相邻区名录", now)

    async def add_joint_draw(self, jd: JointDraw) -> None:
        self.joint.setdefault(jd.draw_id, copy.deepcopy(jd))

    async def get_joint_draw(self, draw_id: str, lock: bool = False) -> JointDraw | None:
        jd = self.joint.get(draw_id)
        return copy.deepcopy(jd) if jd else None

    async def save_joint_draw(self, jd: JointDraw) -> None:
        if self.joint[jd.draw_id].version != jd.version:
            raise StaleWrite("联合抽取同时被他人修改，请重试")
        jd.version += 1
        self.joint[jd.draw_id] = copy.deepcopy(jd)

    async def list_joint_draws(self) -> list[JointDraw]:
        return [copy.deepcopy(j) for j in self.joint.values()]


class FakeDrawsUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repository."""

    def __init__(
        self,
        draws: FakeDrawsRepository | None = None,
        actor: str = "tester",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(actor=actor, clock=clock)
        self.draws = draws or FakeDrawsRepository()
        self.ledger = self.draws.ledger

    def as_(self, actor: str) -> FakeDrawsUnitOfWork:
        """The same unit of work, acting as ``actor`` from now on (a draw's parties are
        different people)."""
        self.context = Context(actor=actor)
        return self


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    repo: DrawsRepository = FakeDrawsRepository()
    log: LedgerRepository = FakeLedgerRepository()
    uow: DrawsUnitOfWork = FakeDrawsUnitOfWork()
    del repo, log, uow
