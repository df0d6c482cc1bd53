"""Draws persistence behind a small interface, so the service layer runs on fakes too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from draws.adapters import orm
from draws.domain import fast
from draws.domain import protocol as p
from draws.domain.engine import ExpertRow, InspectorRow, PopulationRow
from draws.domain.joint import JointDraw
from draws.domain.model import VOID, Draw
from spotcheck_common.db import aware_or_none, insert_for, update_versioned
from spotcheck_common.errors import StaleWrite
from spotcheck_common.objects import NAMESPACE, ObjectKind, kind_of

CHUNK = 1000
POPULATION_REV = "population_rev"


class DrawsRepository(Protocol):
    # read model
    async def next_population_rev(self) -> int: ...
    async def population_rev(self) -> int: ...
    async def upsert_entities(
        self, rows: Sequence[dict[str, Any]], rev: int, now: datetime
    ) -> None: ...
    async def upsert_inspectors(self, rows: Sequence[dict[str, Any]], now: datetime) -> None: ...
    async def add_conflict(
        self, inspector_id: str, uscc: str, reason: str, now: datetime
    ) -> None: ...
    async def upsert_task(self, payload: dict[str, Any], now: datetime) -> None: ...
    async def get_task(self, task_id: str) -> dict[str, Any] | None: ...
    async def population_rows(self, task_filter: dict[str, Any]) -> list[PopulationRow]: ...
    async def entities_between(
        self, after: int, upto: int
    ) -> list[tuple[str, str, str, str, str, str]]: ...

    async def checks_this_year(self, year: int) -> dict[str, int]: ...
    async def roster_rows(
        self, district: str, departments: Sequence[str]
    ) -> list[InspectorRow]: ...
    async def agency_rows(self, agency: str) -> list[InspectorRow]: ...
    async def conflicts_of(self, inspector_ids: Sequence[str]) -> list[tuple[str, str]]: ...
    async def entity_info(self, usccs: Sequence[str]) -> dict[str, tuple[str, str, str]]: ...
    async def entity_details(self, usccs: Sequence[str]) -> dict[str, dict[str, str]]: ...
    async def upsert_experts(self, rows: Sequence[dict[str, Any]], now: datetime) -> None: ...
    async def expert_rows(self, district: str) -> list[ExpertRow]: ...
    async def add_pair_conflict(self, a: str, b: str, reason: str, now: datetime) -> None: ...
    async def pair_conflicts_of(self, inspector_ids: Sequence[str]) -> list[tuple[str, str]]: ...
    # draws
    async def add_draw(
        self, draw: Draw, pop: p.Population, salts: Sequence[tuple[str, str, str]]
    ) -> None: ...
    async def get_draw(self, draw_id: str, lock: bool = False) -> Draw | None: ...
    async def save_draw(self, draw: Draw) -> None: ...
    async def open_draw_of_task(self, task_id: str) -> Draw | None: ...
    async def list_draws(self, task_id: str | None) -> list[Draw]: ...
    async def get_population(self, draw_id: str) -> p.Population: ...
    async def get_tree(self, draw_id: str) -> p.StoredTree | None: ...
    async def get_manifest(self, draw_id: str) -> tuple[dict[str, Any], str] | None: ...
    async def get_population_rows(self, draw_id: str, start: int, end: int) -> p.Population: ...
    async def get_salts(self, draw_id: str) -> list[tuple[str, str, str]]: ...
    async def record_checks(self, draw_id: str, year: int, usccs: Sequence[str]) -> None: ...
    async def checks_after(self, year: int, after_id: int) -> tuple[int, list[str]]: ...
    async def checked_draws(self, year: int) -> list[tuple[str, str, int]]: ...
    # direct assignment (§15)
    async def add_direct_approval(self, approval: dict[str, Any]) -> None: ...
    async def get_direct_approval(self, approval_id: str) -> dict[str, Any] | None: ...
    async def direct_approvals_of(self, task_id: str) -> list[dict[str, Any]]: ...
    async def add_team_counts(
        self, draw_id: str, department: str, teams: int, assigned: int, at: datetime
    ) -> None: ...
    async def team_counts(self) -> list[tuple[str, int, int]]: ...
    # joint draws (issue 10)
    async def inspector_entry(self, inspector_id: str) -> dict[str, Any] | None: ...
    async def replace_neighbour_inspector(
        self, row: dict[str, Any], recusals: Sequence[str], pairs: Sequence[str], now: datetime
    ) -> None: ...
    async def add_joint_draw(self, jd: JointDraw) -> None: ...
    async def get_joint_draw(self, draw_id: str, lock: bool = False) -> JointDraw | None: ...
    async def save_joint_draw(self, jd: JointDraw) -> None: ...
    async def list_joint_draws(self) -> list[JointDraw]: ...


def _draw(row: Any) -> Draw:
    return Draw(
        draw_id=row.draw_id,
        task_id=row.task_id,
        status=row.status,
        manifest=row.manifest,
        manifest_sha256=row.manifest_sha256,
        roster=list(row.roster),
        commitments=list(row.commitments),
        reveals=list(row.reveals),
        beacon_value=row.beacon_value,
        seed_hex=row.seed_hex,
        result=row.result,
        result_sha256=row.result_sha256,
        replacements=list(row.replacements),
        countersign=row.countersign,
        cancel_reason=row.cancel_reason,
        created_by=row.created_by,
        created_at=aware_or_none(row.created_at),  # SQLite hands back naive instants
        version=row.version,
        expert_roster=list(row.expert_roster) if row.expert_roster is not None else None,
        holders=dict(row.holders),
        approvals=list(row.replacement_approvals),
        assignment=row.assignment,
        assigned_by=row.assigned_by or "",
    )


def _draw_values(d: Draw) -> dict[str, Any]:
    return {
        "task_id": d.task_id,
        "status": d.status,
        "manifest": d.manifest,
        "manifest_sha256": d.manifest_sha256,
        "roster": d.roster,
        "expert_roster": d.expert_roster,
        "commitments": d.commitments,
        "reveals": d.reveals,
        "beacon_value": d.beacon_value,
        "seed_hex": d.seed_hex,
        "result": d.result,
        "result_sha256": d.result_sha256,
        "replacements": d.replacements,
        "countersign": d.countersign,
        "cancel_reason": d.cancel_reason,
        "holders": d.holders,
        "replacement_approvals": d.approvals,
        "assignment": d.assignment,
        "assigned_by": d.assigned_by or None,
    }


def _direct_approval(row: Any) -> dict[str, Any]:
    at = aware_or_none(row.approved_at)  # SQLite hands back naive instants
    assert at is not None
    return {
        "approval_id": row.approval_id,
        "task_id": row.task_id,
        "reason": row.reason,
        "by": row.approved_by,
        "by_name": row.approved_by_name,
        "at": at.isoformat(),
    }


class SqlDrawsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._insert = insert_for(session)

    # -- read model ----------------------------------------------------------------------

    async def next_population_rev(self) -> int:
        """Bump the population revision. The row lock serialises writers until commit, so
        revisions commit in order and a snapshot at rev r has every change ≤ r."""
        stmt = (
            self._insert(orm.counters)
            .values(name=POPULATION_REV, value=1)
            .on_conflict_do_update(
                index_elements=["name"], set_={"value": orm.counters.c.value + 1}
            )
            .returning(orm.counters.c.value)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def population_rev(self) -> int:
        t = orm.counters
        value = (
            await self.session.execute(sa.select(t.c.value).where(t.c.name == POPULATION_REV))
        ).scalar()
        return int(value or 0)

    async def _upsert(self, table: sa.Table, keys: list[str], values: list[dict[str, Any]]) -> None:
        for start in range(0, len(values), CHUNK):
            stmt = self._insert(table).values(values[start : start + CHUNK])
            update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
            await self.session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update))

    async def upsert_entities(
        self, rows: Sequence[dict[str, Any]], rev: int, now: datetime
    ) -> None:
        values = [
            {
                "uscc": r["uscc"],
                "name": r["name"],
                "entity_type": r["entity_type"],
                "industry": r["industry"],
                "area": r["area"],
                "risk_class": r["risk_class"],
                "status": r["status"],
                "details": r.get("details") or None,
                "rev": rev,
                "updated_at": now,
            }
            for r in rows
        ]
        await self._upsert(orm.entities, ["uscc"], values)

    async def upsert_inspectors(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        await self._upsert(
            orm.inspectors, ["inspector_id"], [{**r, "updated_at": now} for r in rows]
        )

    async def add_conflict(self, inspector_id: str, uscc: str, reason: str, now: datetime) -> None:
        stmt = (
            self._insert(orm.conflicts)
            .values(inspector_id=inspector_id, uscc=uscc, reason=reason, declared_at=now)
            .on_conflict_do_nothing(index_elements=["inspector_id", "uscc"])
        )
        await self.session.execute(stmt)

    async def upsert_task(self, payload: dict[str, Any], now: datetime) -> None:
        await self._upsert(
            orm.tasks,
            ["task_id"],
            [
                {
                    "task_id": payload["task_id"],
                    "task_no": payload["task_no"],
                    "title": payload["title"],
                    "payload": payload,
                    "approved_at": now,
                }
            ],
        )

    async def get_task(self, task_id: str) -> dict[str, Any] | None:
        t = orm.tasks
        row = (
            await self.session.execute(sa.select(t.c.payload).where(t.c.task_id == task_id))
        ).first()
        return dict(row.payload) if row else None

    async def population_rows(self, task_filter: dict[str, Any]) -> list[PopulationRow]:
        t = orm.entities
        where = []
        for key, col in (
            ("entity_types", t.c.entity_type),
            ("industries", t.c.industry),
            ("areas", t.c.area),
            ("risk_classes", t.c.risk_class),
        ):
            if task_filter.get(key):
                where.append(col.in_([str(v) for v in task_filter[key]]))
        columns = (t.c.uscc, t.c.risk_class, t.c.status, t.c.entity_type, t.c.industry, t.c.area)
        rows = await self.session.execute(sa.select(*columns).where(*where).order_by(t.c.uscc))
        kind = ObjectKind(task_filter.get("object_kind") or ObjectKind.MARKET_ENTITY)
        return [PopulationRow(*r) for r in rows if kind_of(r[0]) is kind]

    async def entities_between(
        self, after: int, upto: int
    ) -> list[tuple[str, str, str, str, str, str]]:
        """Entities changed in population revisions (after, upto]: the snapshot's delta."""
        t = orm.entities
        rows = await self.session.execute(
            sa.select(
                t.c.uscc, t.c.entity_type, t.c.industry, t.c.area, t.c.risk_class, t.c.status
            ).where(t.c.rev > after, t.c.rev <= upto)
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def checked_draws(self, year: int) -> list[tuple[str, str, int]]:
        """The draws whose targets this year's checks count (§14.12): id, result digest and
        number of targets, by id."""
        c, d = orm.entity_checks, orm.draws
        rows = await self.session.execute(
            sa.select(c.c.draw_id, d.c.result_sha256, sa.func.count())
            .join(d, d.c.draw_id == c.c.draw_id)
            .where(c.c.year == year)
            .group_by(c.c.draw_id, d.c.result_sha256)
            .order_by(c.c.draw_id)
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    # -- direct assignment (§15) -----------------------------------------------------------

    async def add_direct_approval(self, approval: dict[str, Any]) -> None:
        await self.session.execute(
            sa.insert(orm.direct_assignment_approvals).values(
                approval_id=approval["approval_id"],
                task_id=approval["task_id"],
                reason=approval["reason"],
                approved_by=approval["by"],
                approved_by_name=approval["by_name"],
                approved_at=datetime.fromisoformat(approval["at"]),
            )
        )

    async def get_direct_approval(self, approval_id: str) -> dict[str, Any] | None:
        t = orm.direct_assignment_approvals
        row = (
            await self.session.execute(sa.select(t).where(t.c.approval_id == approval_id))
        ).first()
        return _direct_approval(row) if row else None

    async def direct_approvals_of(self, task_id: str) -> list[dict[str, Any]]:
        t = orm.direct_assignment_approvals
        rows = await self.session.execute(
            sa.select(t).where(t.c.task_id == task_id).order_by(t.c.approved_at, t.c.approval_id)
        )
        return [_direct_approval(r) for r in rows]

    async def add_team_counts(
        self, draw_id: str, department: str, teams: int, assigned: int, at: datetime
    ) -> None:
        await self.session.execute(
            sa.insert(orm.draw_team_counts).values(
                draw_id=draw_id,
                department=department,
                teams=teams,
                assigned=assigned,
                completed_at=at,
            )
        )

    async def team_counts(self) -> list[tuple[str, int, int]]:
        """Per department: teams of countersigned draws, and those assigned directly."""
        t = orm.draw_team_counts
        rows = await self.session.execute(
            sa.select(t.c.department, sa.func.sum(t.c.teams), sa.func.sum(t.c.assigned))
            .group_by(t.c.department)
            .order_by(t.c.department)
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def checks_this_year(self, year: int) -> dict[str, int]:
        t = orm.entity_checks
        rows = await self.session.execute(
            sa.select(t.c.uscc, sa.func.count()).where(t.c.year == year).group_by(t.c.uscc)
        )
        return {r[0]: int(r[1]) for r in rows}

    async def roster_rows(self, district: str, departments: Sequence[str]) -> list[InspectorRow]:
        t = orm.inspectors
        rows = await self.session.execute(
            sa.select(t).where(t.c.district == district, t.c.department.in_(list(departments)))
        )
        return self._inspector_rows(rows)

    async def agency_rows(self, agency: str) -> list[InspectorRow]:
        """A co-organising agency's external roster (§16): every inspector kept under its code."""
        t = orm.inspectors
        return self._inspector_rows(
            await self.session.execute(sa.select(t).where(t.c.district == agency))
        )

    @staticmethod
    def _inspector_rows(rows: Any) -> list[InspectorRow]:
        return [
            InspectorRow(
                inspector_id=r.inspector_id,
                name=r.name,
                department=r.department,
                district=r.district,
                qualifications=tuple(r.qualifications),
                leader_qualified=r.leader_qualified,
                certificate_expires_on=r.certificate_expires_on
                if isinstance(r.certificate_expires_on, date)
                else date.fromisoformat(str(r.certificate_expires_on)),
                active=r.active,
            )
            for r in rows
        ]

    async def conflicts_of(self, inspector_ids: Sequence[str]) -> list[tuple[str, str]]:
        t = orm.conflicts
        out: list[tuple[str, str]] = []
        ids = list(inspector_ids)
        for start in range(0, len(ids), CHUNK):
            rows = await self.session.execute(
                sa.select(t.c.inspector_id, t.c.uscc).where(
                    t.c.inspector_id.in_(ids[start : start + CHUNK])
                )
            )
            out.extend((r[0], r[1]) for r in rows)
        return out

    async def entity_info(self, usccs: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """Name, risk class and area (区域) of each known entity (the drawn targets only)."""
        t = orm.entities
        out: dict[str, tuple[str, str, str]] = {}
        codes = list(usccs)
        for start in range(0, len(codes), CHUNK):
            rows = await self.session.execute(
                sa.select(t.c.uscc, t.c.name, t.c.risk_class, t.c.area).where(
                    t.c.uscc.in_(codes[start : start + CHUNK])
                )
            )
            out.update({r[0]: (r[1], r[2], r[3]) for r in rows})
        return out

    async def entity_details(self, usccs: Sequence[str]) -> dict[str, dict[str, str]]:
        """The fields of each product, project or conduct among ``usccs`` (ADR 0011)."""
        t = orm.entities
        out: dict[str, dict[str, str]] = {}
        codes = [c for c in usccs if c.startswith(NAMESPACE)]
        for start in range(0, len(codes), CHUNK):
            rows = await self.session.execute(
                sa.select(t.c.uscc, t.c.details).where(t.c.uscc.in_(codes[start : start + CHUNK]))
            )
            out.update({r[0]: dict(r[1]) for r in rows if r[1]})
        return out

    async def upsert_experts(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        await self._upsert(orm.experts, ["expert_id"], [{**r, "updated_at": now} for r in rows])

    async def expert_rows(self, district: str) -> list[ExpertRow]:
        t = orm.experts
        rows = await self.session.execute(sa.select(t).where(t.c.district == district))
        return [ExpertRow(r.expert_id, r.name, r.field, r.organization, r.active) for r in rows]

    async def add_pair_conflict(self, a: str, b: str, reason: str, now: datetime) -> None:
        a, b = sorted((a, b))
        stmt = (
            self._insert(orm.pair_conflicts)
            .values(inspector_a=a, inspector_b=b, reason=reason, declared_at=now)
            .on_conflict_do_nothing(index_elements=["inspector_a", "inspector_b"])
        )
        await self.session.execute(stmt)

    async def pair_conflicts_of(self, inspector_ids: Sequence[str]) -> list[tuple[str, str]]:
        """Declared pairs with both inspectors among ``inspector_ids`` (sorted pairs)."""
        t = orm.pair_conflicts
        ids = set(inspector_ids)
        rows = await self.session.execute(sa.select(t.c.inspector_a, t.c.inspector_b))
        return sorted((r[0], r[1]) for r in rows if r[0] in ids and r[1] in ids)

    # -- draws ---------------------------------------------------------------------------

    async def add_draw(
        self, draw: Draw, pop: p.Population, salts: Sequence[tuple[str, str, str]]
    ) -> None:
        now = draw.created_at
        await self.session.execute(
            sa.insert(orm.draws).values(
                draw_id=draw.draw_id,
                **_draw_values(draw),
                created_by=draw.created_by,
                created_at=now,
                updated_at=now,
                version=0,
            )
        )
        await self.session.execute(
            sa.insert(orm.draw_populations).values(
                draw_id=draw.draw_id,
                size=pop.size,
                uscc=bytes(pop.uscc),
                stratum=pop.stratum,
                status=pop.status,
                checks=pop.checks,
                attributes=pop.attributes or None,
            )
        )
        chunk = int(draw.manifest["population"]["chunk_size"])
        tree = p.StoredTree.of(pop, fast.population_leaves(pop, chunk), chunk)
        await self.session.execute(
            sa.insert(orm.draw_trees).values(draw_id=draw.draw_id, **tree.__dict__)
        )
        if salts:
            await self.session.execute(
                sa.insert(orm.draw_recusals),
                [
                    {"draw_id": draw.draw_id, "inspector_id": i, "uscc": u, "salt_hex": s}
                    for i, u, s in salts
                ],
            )

    async def get_draw(self, draw_id: str, lock: bool = False) -> Draw | None:
        query = sa.select(orm.draws).where(orm.draws.c.draw_id == draw_id)
        if lock:  # serialises the steps of one draw (PostgreSQL; SQLite has one writer)
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _draw(row) if row else None

    async def save_draw(self, draw: Draw) -> None:
        from spotcheck_common.events.envelope import utcnow

        t = orm.draws
        values = {**_draw_values(draw), "updated_at": utcnow()}
        if not await update_versioned(
            self.session, t, t.c.draw_id == draw.draw_id, draw.version, values
        ):
            raise StaleWrite("抽取同时被他人修改，请重试")
        draw.version += 1

    async def open_draw_of_task(self, task_id: str) -> Draw | None:
        t = orm.draws
        row = (
            await self.session.execute(
                sa.select(t).where(t.c.task_id == task_id, t.c.status.not_in(VOID)).limit(1)
            )
        ).first()
        return _draw(row) if row else None

    async def list_draws(self, task_id: str | None) -> list[Draw]:
        t = orm.draws
        query = sa.select(t).order_by(t.c.created_at)
        if task_id:
            query = query.where(t.c.task_id == task_id)
        return [_draw(r) for r in await self.session.execute(query)]

    async def checks_after(self, year: int, after_id: int) -> tuple[int, list[str]]:
        t = orm.entity_checks
        rows = (
            await self.session.execute(
                sa.select(t.c.id, t.c.uscc)
                .where(t.c.year == year, t.c.id > after_id)
                .order_by(t.c.id)
            )
        ).all()
        return (int(rows[-1][0]) if rows else after_id), [r[1] for r in rows]

    async def get_population(self, draw_id: str) -> p.Population:
        t = orm.draw_populations
        row = (await self.session.execute(sa.select(t).where(t.c.draw_id == draw_id))).one()
        return p.Population(
            bytes(row.uscc),
            bytes(row.stratum),
            bytes(row.status),
            bytes(row.checks),
            bytes(row.attributes or b""),
        )

    async def get_manifest(self, draw_id: str) -> tuple[dict[str, Any], str] | None:
        """The manifest and its digest alone (not the result or the roster)."""
        t = orm.draws
        query = sa.select(t.c.manifest, t.c.manifest_sha256).where(t.c.draw_id == draw_id)
        row = (await self.session.execute(query)).first()
        return (row.manifest, row.manifest_sha256) if row else None

    async def get_tree(self, draw_id: str) -> p.StoredTree | None:
        t = orm.draw_trees
        row = (await self.session.execute(sa.select(t).where(t.c.draw_id == draw_id))).first()
        if row is None:
            return None
        return p.StoredTree(row.chunk_size, row.size, bytes(row.levels), bytes(row.firsts))

    async def get_population_rows(self, draw_id: str, start: int, end: int) -> p.Population:
        """Rows ``start``..``end`` of the population, read from the database without the rest."""
        t, n = orm.draw_populations, end - start
        usccs = sa.func.substr(t.c.uscc, p.USCC_LEN * start + 1, p.USCC_LEN * n)
        columns = [sa.func.substr(c, start + 1, n) for c in (t.c.stratum, t.c.status, t.c.checks)]
        # /3: the rows of each of the three attribute blocks (2 bytes a row, §14.13)
        blocks = [
            sa.func.substr(
                t.c.attributes, sa.cast(2 * (k * t.c.size + start) + 1, sa.Integer), 2 * n
            )
            for k in range(3)
        ]
        query = sa.select(usccs, *columns, *blocks).where(t.c.draw_id == draw_id)
        row = (await self.session.execute(query)).one()
        uscc, stratum, status, checks = (bytes(v) for v in row[:4])
        attributes = b"".join(bytes(v or b"") for v in row[4:])
        return p.Population(uscc, stratum, status, checks, attributes)

    async def get_salts(self, draw_id: str) -> list[tuple[str, str, str]]:
        t = orm.draw_recusals
        rows = await self.session.execute(
            sa.select(t.c.inspector_id, t.c.uscc, t.c.salt_hex).where(t.c.draw_id == draw_id)
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def record_checks(self, draw_id: str, year: int, usccs: Sequence[str]) -> None:
        """One row per target. The counter's row lock is taken first and held to commit, so
        rows' ids grow in commit order and the snapshot can apply them as a delta by id."""
        if usccs:
            stmt = (
                self._insert(orm.counters)
                .values(name="entity_checks", value=1)
                .on_conflict_do_update(
                    index_elements=["name"], set_={"value": orm.counters.c.value + 1}
                )
            )
            await self.session.execute(stmt)
            await self.session.execute(
                sa.insert(orm.entity_checks),
                [{"uscc": u, "year": year, "draw_id": draw_id} for u in usccs],
            )

    # -- joint draws (issue 10) ----------------------------------------------------------

    async def inspector_entry(self, inspector_id: str) -> dict[str, Any] | None:
        """An inspector of this district as neighbours see it: the row, its recusals and the
        inspectors it may not share a team with."""
        t = orm.inspectors
        row = (
            await self.session.execute(sa.select(t).where(t.c.inspector_id == inspector_id))
        ).first()
        if row is None:
            return None
        c, pc = orm.conflicts, orm.pair_conflicts
        recusals = await self.session.execute(
            sa.select(c.c.uscc).where(c.c.inspector_id == inspector_id).order_by(c.c.uscc)
        )
        pairs = await self.session.execute(
            sa.select(pc.c.inspector_a, pc.c.inspector_b).where(
                sa.or_(pc.c.inspector_a == inspector_id, pc.c.inspector_b == inspector_id)
            )
        )
        return {
            **row._mapping,
            "recusals": list(recusals.scalars()),
            "pair_conflicts": sorted({a if b == inspector_id else b for a, b in pairs}),
        }

    async def replace_neighbour_inspector(
        self, row: dict[str, Any], recusals: Sequence[str], pairs: Sequence[str], now: datetime
    ) -> None:
        """A neighbour's inspector as its latest roster state says: the declarations are
        replaced, not merged (the state is the whole truth)."""
        inspector_id = row["inspector_id"]
        await self.upsert_inspectors([row], now)
        c, pc = orm.conflicts, orm.pair_conflicts
        await self.session.execute(sa.delete(c).where(c.c.inspector_id == inspector_id))
        await self.session.execute(
            sa.delete(pc).where(
                sa.or_(pc.c.inspector_a == inspector_id, pc.c.inspector_b == inspector_id)
            )
        )
        for uscc in sorted(set(recusals)):
            await self.add_conflict(inspector_id, uscc, "相邻区名录", now)
        for other in sorted(set(pairs)):
            await self.add_pair_conflict(inspector_id, other, "相邻区名录", now)

    async def add_joint_draw(self, jd: JointDraw) -> None:
        stmt = (
            self._insert(orm.joint_draws)
            .values(**_joint_values(jd), created_at=jd.created_at, version=0)
            .on_conflict_do_nothing(index_elements=["draw_id"])
        )
        await self.session.execute(stmt)

    async def get_joint_draw(self, draw_id: str, lock: bool = False) -> JointDraw | None:
        t = orm.joint_draws
        stmt = sa.select(t).where(t.c.draw_id == draw_id)
        row = (await self.session.execute(stmt.with_for_update() if lock else stmt)).first()
        return _joint(row) if row else None

    async def save_joint_draw(self, jd: JointDraw) -> None:
        t = orm.joint_draws
        if not await update_versioned(
            self.session, t, t.c.draw_id == jd.draw_id, jd.version, _joint_values(jd)
        ):
            raise StaleWrite("联合抽取同时被他人修改，请重试")
        jd.version += 1

    async def list_joint_draws(self) -> list[JointDraw]:
        t = orm.joint_draws
        rows = await self.session.execute(sa.select(t).order_by(t.c.created_at.desc()))
        return [_joint(r) for r in rows]


def _joint(row: Any) -> JointDraw:
    return JointDraw(
        draw_id=row.draw_id,
        drawing_district=row.drawing_district,
        party=row.party,
        task_no=row.task_no,
        manifest=row.manifest,
        manifest_sha256=row.manifest_sha256,
        committed=list(row.committed),
        commitment=row.commitment,
        key=row.key,
        share_revealed=row.share_revealed,
        status=row.status,
        created_at=aware_or_none(row.created_at),
        committed_at=aware_or_none(row.committed_at),
        revealed_at=aware_or_none(row.revealed_at),
        result_sha256=row.result_sha256,
        bundle_url=row.bundle_url,
        version=row.version,
    )


def _joint_values(jd: JointDraw) -> dict[str, Any]:
    from spotcheck_common.events.envelope import utcnow

    return {
        "draw_id": jd.draw_id,
        "drawing_district": jd.drawing_district,
        "party": jd.party,
        "task_no": jd.task_no,
        "manifest": jd.manifest,
        "manifest_sha256": jd.manifest_sha256,
        "committed": jd.committed,
        "commitment": jd.commitment,
        "key": jd.key,
        "share_revealed": jd.share_revealed,
        "status": jd.status,
        "committed_at": jd.committed_at,
        "revealed_at": jd.revealed_at,
        "result_sha256": jd.result_sha256,
        "bundle_url": jd.bundle_url,
        "updated_at": utcnow(),
    }
