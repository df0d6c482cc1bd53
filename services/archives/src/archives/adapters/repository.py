"""Archives persistence behind a small interface, so the service layer runs on fakes too.

There is deliberately no method that changes or removes an entry.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from archives.adapters import orm
from archives.domain.accountability import TASK, Fact, Key
from archives.domain.chain import ChainLink, canonical_json
from archives.domain.exemptions import Decision, Evidence, EvidenceSource, Exemption, Proposal
from archives.domain.joint import JointDraw
from archives.domain.model import DossierHead, Entry, ParkedFold, PlanVersion
from spotcheck_common.calendar_store import CalendarStore
from spotcheck_common.db import Page, aware, insert_for, paginate
from spotcheck_common.workdays import WorkCalendar


class ArchiveRepository(Protocol):
    async def lock_dossier(self, task_id: str, now: datetime) -> DossierHead:
        """The dossier's head, created empty if new, locked until the transaction ends."""
        ...

    async def has_event(self, event_id: str) -> bool: ...

    async def append(self, head: DossierHead, entry: Entry) -> None:
        """Insert ``entry`` and move the dossier's head to ``head``."""
        ...

    async def get_dossier(self, task_id: str) -> DossierHead | None:
        """A consistent read: no append to this dossier lands between it and ``entries``."""
        ...

    async def find_dossier(self, task_id: str) -> DossierHead | None:
        """The dossier's head as it stands, without a lock (whose task it is, whether it is)."""
        ...

    async def entries(self, task_id: str) -> list[Entry]: ...

    async def list_dossiers(self, limit: int, offset: int) -> Page[DossierHead]:
        """Most recently active first."""
        ...

    # -- joint draws of a neighbour this district is a party of

    async def add_joint_draw(self, joint: JointDraw) -> bool:
        """Mark a neighbour's draw as joint for this district; False if it already is."""
        ...

    async def joint_draw(self, drawing_district: str, draw_id: str) -> JointDraw | None: ...

    # -- annual plans and their links into dossiers

    async def lock_plan(self, plan_id: str, now: datetime) -> None:
        """Create the plan's row if new and lock it until the transaction ends."""
        ...

    async def add_plan_version(self, plan: PlanVersion, now: datetime) -> bool:
        """File a plan version; False if this event is already filed."""
        ...

    async def plan_versions(self, plan_id: str) -> list[PlanVersion]:
        """Every filed version of a plan, oldest first."""
        ...

    async def set_task_plan(self, task_id: str, plan_id: str) -> None: ...

    async def tasks_of_plan(self, plan_id: str) -> list[str]: ...

    async def linked_plan_events(self, task_id: str) -> set[str]: ...

    async def add_plan_link(self, task_id: str, plan: PlanVersion, seq: int) -> None: ...

    # -- accountability read model

    async def get_facts(self, keys: list[Key]) -> dict[Key, Fact]: ...

    async def put_facts(self, facts: list[Fact], now: datetime) -> None: ...

    async def load_facts(self, year: int | None, department: str | None) -> list[Fact]:
        """The facts of the approved tasks of ``year`` / ``department`` (None: all)."""
        ...

    async def task_facts(self, task_id: str) -> list[Fact]:
        """Every fact of one task (whatever its year or department)."""
        ...

    async def calendar(self) -> WorkCalendar: ...

    # -- exemptions (第十三条): insert-only

    async def add_evidence(self, evidence: Evidence, content: bytes) -> None: ...

    async def evidence(self, evidence_id: str) -> tuple[Evidence, bytes] | None:
        """An uploaded evidence file and its content as stored (the caller checks the hash)."""
        ...

    async def add_exemption(self, exemption: Exemption) -> None:
        """Record a proposal (undecided) filed at ``exemption.seq``."""
        ...

    async def add_decision(self, decision: Decision, seq: int) -> None:
        """Record the decision filed at ``seq``; refused if the proposal has one already."""
        ...

    async def exemption(self, exemption_id: str) -> Exemption | None: ...

    async def exemptions(
        self, task_id: str | None = None, item_id: str | None = None
    ) -> list[Exemption]:
        """Proposals with their decisions, oldest first; all, or of a task, or of an item."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[object]:
        """What is written inside is undone alone if the block raises (the rest stays)."""
        ...

    # -- folds that failed, parked until a fold that works takes them

    async def park(
        self, event_id: str, event_type: str, envelope: Mapping[str, Any], error: str, now: datetime
    ) -> ParkedFold:
        """Park the event's fold (again: one more attempt, the latest error)."""
        ...

    async def parked(self, event_id: str) -> ParkedFold | None: ...

    async def parked_folds(self, limit: int, offset: int) -> Page[ParkedFold]:
        """Oldest first."""
        ...

    async def unpark(self, event_id: str) -> None: ...


def _head(row: Any) -> DossierHead:
    return DossierHead(
        task_id=row.task_id,
        entry_count=row.entry_count,
        head_hash=row.head_hash,
        opened_at=aware(row.opened_at),
        last_activity_at=aware(row.last_activity_at),
        task_no=row.task_no,
        title=row.title,
        last_event_type=row.last_event_type,
        drawing_district=row.drawing_district,
    )


def _entry(row: Any) -> Entry:
    return Entry(
        task_id=row.task_id,
        link=ChainLink(
            seq=row.seq,
            kind=row.kind,
            document=json.loads(row.document),
            prev_hash=row.prev_hash,
            entry_hash=row.entry_hash,
        ),
        recorded_at=aware(row.recorded_at),
    )


class SqlArchiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._insert = insert_for(session)

    async def calendar(self) -> WorkCalendar:
        return await CalendarStore(self.session).load()

    async def lock_dossier(self, task_id: str, now: datetime) -> DossierHead:
        t = orm.dossiers
        empty = DossierHead.new(task_id, now)
        await self.session.execute(
            self._insert(t)
            .values(
                task_id=task_id,
                entry_count=0,
                head_hash=empty.head_hash,
                opened_at=now,
                last_activity_at=now,
            )
            .on_conflict_do_nothing(index_elements=["task_id"])
        )
        row = (
            await self.session.execute(sa.select(t).where(t.c.task_id == task_id).with_for_update())
        ).one()
        return _head(row)

    async def has_event(self, event_id: str) -> bool:
        t = orm.dossier_entries
        found = await self.session.execute(sa.select(t.c.id).where(t.c.event_id == event_id))
        return found.first() is not None

    async def append(self, head: DossierHead, entry: Entry) -> None:
        await self.session.execute(
            sa.insert(orm.dossier_entries).values(
                task_id=entry.task_id,
                seq=entry.seq,
                kind=entry.kind,
                document=canonical_json(entry.document).decode("utf-8"),
                prev_hash=entry.link.prev_hash,
                entry_hash=entry.link.entry_hash,
                recorded_at=entry.recorded_at,
                event_id=entry.event_id,
                event_type=entry.event_type,
            )
        )
        t = orm.dossiers
        await self.session.execute(
            sa.update(t)
            .where(t.c.task_id == head.task_id)
            .values(
                entry_count=head.entry_count,
                head_hash=head.head_hash,
                last_activity_at=head.last_activity_at,
                task_no=head.task_no,
                title=head.title,
                last_event_type=head.last_event_type,
                drawing_district=head.drawing_district,
            )
        )

    async def get_dossier(self, task_id: str) -> DossierHead | None:
        t = orm.dossiers
        # FOR SHARE (PostgreSQL; SQLite has no row locks and renders none) waits for an append
        # in flight and holds off the next one until this read's transaction ends, so the head
        # and the entries read after it agree.
        query = sa.select(t).where(t.c.task_id == task_id).with_for_update(read=True)
        row = (await self.session.execute(query)).first()
        return _head(row) if row else None

    async def find_dossier(self, task_id: str) -> DossierHead | None:
        t = orm.dossiers
        row = (await self.session.execute(sa.select(t).where(t.c.task_id == task_id))).first()
        return _head(row) if row else None

    async def entries(self, task_id: str) -> list[Entry]:
        t = orm.dossier_entries
        rows = await self.session.execute(
            sa.select(t).where(t.c.task_id == task_id).order_by(t.c.seq)
        )
        return [_entry(r) for r in rows]

    async def list_dossiers(self, limit: int, offset: int) -> Page[DossierHead]:
        t = orm.dossiers
        query = sa.select(t).order_by(t.c.last_activity_at.desc(), t.c.task_id)
        return await paginate(self.session, query, limit, offset, _head)

    # -- joint draws

    async def add_joint_draw(self, joint: JointDraw) -> bool:
        inserted = await self.session.execute(
            self._insert(orm.joint_draws)
            .values(**dataclasses.asdict(joint))
            .on_conflict_do_nothing(index_elements=["drawing_district", "draw_id"])
        )
        return bool(inserted.rowcount)  # type: ignore[attr-defined]

    async def joint_draw(self, drawing_district: str, draw_id: str) -> JointDraw | None:
        t = orm.joint_draws
        row = (
            await self.session.execute(
                sa.select(t).where(t.c.drawing_district == drawing_district, t.c.draw_id == draw_id)
            )
        ).first()
        if row is None:
            return None
        return JointDraw(
            drawing_district=row.drawing_district,
            draw_id=row.draw_id,
            task_id=row.task_id,
            task_no=row.task_no,
            manifest_event_id=row.manifest_event_id,
            recorded_at=aware(row.recorded_at),
        )

    # -- annual plans

    async def lock_plan(self, plan_id: str, now: datetime) -> None:
        t = orm.plans
        await self.session.execute(
            self._insert(t)
            .values(plan_id=plan_id, version_count=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["plan_id"])
        )
        await self.session.execute(
            sa.select(t.c.plan_id).where(t.c.plan_id == plan_id).with_for_update()
        )

    async def add_plan_version(self, plan: PlanVersion, now: datetime) -> bool:
        v = orm.plan_versions
        inserted = await self.session.execute(
            self._insert(v)
            .values(
                plan_id=plan.plan_id,
                plan_version=plan.plan_version,
                event_id=plan.event_id,
                envelope=canonical_json(plan.envelope).decode("utf-8"),
                recorded_at=now,
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            return False
        p = plan.payload
        t = orm.plans
        await self.session.execute(
            sa.update(t)
            .where(t.c.plan_id == plan.plan_id)
            .values(
                plan_no=p.get("plan_no"),
                plan_name=p.get("plan_name"),
                department=p.get("department"),
                year=p.get("year"),
                version_count=t.c.version_count + 1,
                updated_at=now,
            )
        )
        return True

    async def plan_versions(self, plan_id: str) -> list[PlanVersion]:
        v = orm.plan_versions
        rows = await self.session.execute(
            sa.select(v).where(v.c.plan_id == plan_id).order_by(v.c.plan_version, v.c.id)
        )
        return [
            PlanVersion(r.plan_id, r.plan_version, r.event_id, json.loads(r.envelope)) for r in rows
        ]

    async def set_task_plan(self, task_id: str, plan_id: str) -> None:
        t = orm.task_plans
        await self.session.execute(
            self._insert(t)
            .values(task_id=task_id, plan_id=plan_id)
            .on_conflict_do_update(index_elements=["task_id"], set_={"plan_id": plan_id})
        )

    async def tasks_of_plan(self, plan_id: str) -> list[str]:
        t = orm.task_plans
        rows = await self.session.execute(
            sa.select(t.c.task_id).where(t.c.plan_id == plan_id).order_by(t.c.task_id)
        )
        return [r.task_id for r in rows]

    async def linked_plan_events(self, task_id: str) -> set[str]:
        t = orm.dossier_plan_links
        rows = await self.session.execute(
            sa.select(t.c.plan_event_id).where(t.c.task_id == task_id)
        )
        return {r.plan_event_id for r in rows}

    async def add_plan_link(self, task_id: str, plan: PlanVersion, seq: int) -> None:
        await self.session.execute(
            sa.insert(orm.dossier_plan_links).values(
                task_id=task_id,
                plan_event_id=plan.event_id,
                plan_id=plan.plan_id,
                plan_version=plan.plan_version,
                seq=seq,
            )
        )

    # -- accountability read model

    async def get_facts(self, keys: list[Key]) -> dict[Key, Fact]:
        if not keys:
            return {}
        t = orm.task_facts
        rows = await self.session.execute(
            sa.select(t).where(sa.or_(*((t.c.kind == k) & (t.c.key == v) for k, v in keys)))
        )
        return {(r.kind, r.key): _fact(r) for r in rows}

    async def put_facts(self, facts: list[Fact], now: datetime) -> None:
        t = orm.task_facts
        for f in facts:
            values = {
                "task_id": f.task_id,
                "year": f.year,
                "department": f.department,
                "data": f.data,
                "updated_at": now,
            }
            await self.session.execute(
                self._insert(t)
                .values(kind=f.kind, key=f.key, **values)
                .on_conflict_do_update(index_elements=["kind", "key"], set_=values)
            )

    async def load_facts(self, year: int | None, department: str | None) -> list[Fact]:
        t = orm.task_facts
        tasks = sa.select(t.c.task_id).where(t.c.kind == TASK)
        if year is not None:
            tasks = tasks.where(t.c.year == year)
        if department is not None:
            tasks = tasks.where(t.c.department == department)
        rows = await self.session.execute(
            sa.select(t).where(t.c.task_id.in_(tasks)).order_by(t.c.kind, t.c.key)
        )
        return [_fact(r) for r in rows]

    async def task_facts(self, task_id: str) -> list[Fact]:
        t = orm.task_facts
        rows = await self.session.execute(
            sa.select(t).where(t.c.task_id == task_id).order_by(t.c.kind, t.c.key)
        )
        return [_fact(r) for r in rows]

    def savepoint(self) -> AbstractAsyncContextManager[object]:
        return self.session.begin_nested()

    # -- exemptions

    async def add_evidence(self, evidence: Evidence, content: bytes) -> None:
        await self.session.execute(
            sa.insert(orm.exemption_evidence).values(
                evidence_id=evidence.evidence_id,
                task_id=evidence.task_id,
                filename=evidence.filename,
                media_type=evidence.media_type,
                size=evidence.size,
                sha256=evidence.sha256,
                content=content,
                added_by=evidence.added_by,
                added_at=evidence.added_at,
            )
        )

    async def evidence(self, evidence_id: str) -> tuple[Evidence, bytes] | None:
        t = orm.exemption_evidence
        row = (
            await self.session.execute(sa.select(t).where(t.c.evidence_id == evidence_id))
        ).first()
        if row is None:
            return None
        found = Evidence(
            evidence_id=row.evidence_id,
            source=EvidenceSource.UPLOADED,
            task_id=row.task_id,
            filename=row.filename,
            media_type=row.media_type,
            size=row.size,
            sha256=row.sha256,
            added_by=row.added_by,
            added_at=aware(row.added_at),
        )
        return found, bytes(row.content)

    async def add_exemption(self, exemption: Exemption) -> None:
        p = exemption.proposal
        await self.session.execute(
            sa.insert(orm.exemption_proposals).values(
                exemption_id=p.exemption_id,
                item_id=p.item_id,
                task_id=p.task_id,
                department=p.department,
                seq=exemption.seq,
                entry_hash=exemption.entry_hash,
                document=canonical_json(p.document()).decode("utf-8"),
                proposed_at=p.proposed_at,
            )
        )

    async def add_decision(self, decision: Decision, seq: int) -> None:
        await self.session.execute(
            sa.insert(orm.exemption_decisions).values(
                exemption_id=decision.exemption_id,
                seq=seq,
                document=canonical_json(decision.document()).decode("utf-8"),
                decided_at=decision.decided_at,
            )
        )

    async def exemption(self, exemption_id: str) -> Exemption | None:
        found = await self._exemptions(orm.exemption_proposals.c.exemption_id == exemption_id)
        return found[0] if found else None

    async def exemptions(
        self, task_id: str | None = None, item_id: str | None = None
    ) -> list[Exemption]:
        p = orm.exemption_proposals
        where: list[sa.ColumnElement[bool]] = [sa.true()]
        if task_id is not None:
            where.append(p.c.task_id == task_id)
        if item_id is not None:
            where.append(p.c.item_id == item_id)
        return await self._exemptions(*where)

    async def _exemptions(self, *where: Any) -> list[Exemption]:
        p, d = orm.exemption_proposals, orm.exemption_decisions
        query = (
            sa.select(
                p.c.seq,
                p.c.entry_hash,
                p.c.document,
                d.c.document.label("decision"),
                d.c.seq.label("decision_seq"),
            )
            .select_from(p.outerjoin(d, d.c.exemption_id == p.c.exemption_id))
            .where(*where)
            .order_by(p.c.proposed_at, p.c.exemption_id)
        )
        return [
            Exemption(
                Proposal.of(json.loads(r.document)),
                r.seq,
                r.entry_hash,
                Decision.of(json.loads(r.decision)) if r.decision else None,
                r.decision_seq,
            )
            for r in await self.session.execute(query)
        ]

    # -- parked folds

    async def park(
        self, event_id: str, event_type: str, envelope: Mapping[str, Any], error: str, now: datetime
    ) -> ParkedFold:
        t = orm.parked_folds
        await self.session.execute(
            self._insert(t)
            .values(
                event_id=event_id,
                event_type=event_type,
                envelope=dict(envelope),
                error=error,
                attempts=1,
                parked_at=now,
                last_tried_at=now,
            )
            .on_conflict_do_update(
                index_elements=["event_id"],
                set_={"error": error, "attempts": t.c.attempts + 1, "last_tried_at": now},
            )
        )
        parked = await self.parked(event_id)
        assert parked is not None
        return parked

    async def parked(self, event_id: str) -> ParkedFold | None:
        t = orm.parked_folds
        row = (await self.session.execute(sa.select(t).where(t.c.event_id == event_id))).first()
        return _parked(row) if row else None

    async def parked_folds(self, limit: int, offset: int) -> Page[ParkedFold]:
        t = orm.parked_folds
        query = sa.select(t).order_by(t.c.parked_at, t.c.event_id)
        return await paginate(self.session, query, limit, offset, _parked)

    async def unpark(self, event_id: str) -> None:
        t = orm.parked_folds
        await self.session.execute(sa.delete(t).where(t.c.event_id == event_id))


def _parked(row: Any) -> ParkedFold:
    envelope = row.envelope if isinstance(row.envelope, dict) else json.loads(row.envelope)
    return ParkedFold(
        event_id=row.event_id,
        event_type=row.event_type,
        envelope=envelope,
        error=row.error,
        attempts=row.attempts,
        parked_at=aware(row.parked_at),
        last_tried_at=aware(row.last_tried_at),
    )


def _fact(row: Any) -> Fact:
    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    return Fact(row.kind, row.key, row.task_id, data, row.year, row.department)
