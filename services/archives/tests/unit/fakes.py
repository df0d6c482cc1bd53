"""In-memory doubles of the archives repository and unit of work, held to the same contract as
the SQL ones (``test_repository_contract.py``) and type-checked (``make lint``)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from archives.adapters.repository import ArchiveRepository
from archives.domain.accountability import TASK, Fact, Key
from archives.domain.exemptions import Decision, Evidence, Exemption
from archives.domain.joint import JointDraw
from archives.domain.model import DossierHead, Entry, ParkedFold, PlanVersion
from archives.service_layer.unit_of_work import ArchivesUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.testing import FakeUnitOfWork
from spotcheck_common.workdays import WorkCalendar


class FakeArchiveRepository:
    """In memory, append-only like the real one."""

    def __init__(self, work_calendar: WorkCalendar | None = None) -> None:
        self.heads: dict[str, DossierHead] = {}
        self.rows: dict[str, list[Entry]] = {}
        self.plans: dict[str, list[PlanVersion]] = {}
        self.task_plan: dict[str, str] = {}
        self.links: set[tuple[str, str]] = set()
        self.locked_plans: list[str] = []
        self.store: dict[Key, Fact] = {}
        self.parked_rows: dict[str, ParkedFold] = {}
        self.joints: dict[tuple[str, str], JointDraw] = {}
        self.work_calendar = work_calendar or WorkCalendar()
        self.evidence_files: dict[str, tuple[Evidence, bytes]] = {}
        self.proposals: dict[str, Exemption] = {}
        self.decisions: dict[str, tuple[Decision, int]] = {}

    async def calendar(self) -> WorkCalendar:
        return self.work_calendar

    # -- dossiers

    async def lock_dossier(self, task_id: str, now: datetime) -> DossierHead:
        return self.heads.setdefault(task_id, DossierHead.new(task_id, now))

    async def has_event(self, event_id: str) -> bool:
        return any(e.event_id == event_id for rows in self.rows.values() for e in rows)

    async def append(self, head: DossierHead, entry: Entry) -> None:
        rows = self.rows.setdefault(entry.task_id, [])
        # The real tables refuse what these refuse (unique (task_id, seq), the link trigger).
        assert entry.seq == len(rows) + 1
        assert entry.link.prev_hash == self.heads[entry.task_id].head_hash
        rows.append(entry)
        self.heads[head.task_id] = head

    async def get_dossier(self, task_id: str) -> DossierHead | None:
        return self.heads.get(task_id)

    async def find_dossier(self, task_id: str) -> DossierHead | None:
        return self.heads.get(task_id)

    async def entries(self, task_id: str) -> list[Entry]:
        return list(self.rows.get(task_id, []))

    async def list_dossiers(self, limit: int, offset: int) -> Page[DossierHead]:
        heads = sorted(self.heads.values(), key=lambda h: h.task_id)
        heads.sort(key=lambda h: h.last_activity_at, reverse=True)
        return Page(len(heads), heads[offset : offset + limit])

    # -- joint draws: insert-only, keyed by (drawing district, draw id)

    async def add_joint_draw(self, joint: JointDraw) -> bool:
        key = (joint.drawing_district, joint.draw_id)
        if key in self.joints:
            return False
        self.joints[key] = joint
        return True

    async def joint_draw(self, drawing_district: str, draw_id: str) -> JointDraw | None:
        return self.joints.get((drawing_district, draw_id))

    # -- plans: the same uniqueness the tables enforce

    async def lock_plan(self, plan_id: str, now: datetime) -> None:
        self.locked_plans.append(plan_id)

    async def add_plan_version(self, plan: PlanVersion, now: datetime) -> bool:
        versions = self.plans.setdefault(plan.plan_id, [])
        if any(v.event_id == plan.event_id for vs in self.plans.values() for v in vs):
            return False
        versions.append(plan)
        return True

    async def plan_versions(self, plan_id: str) -> list[PlanVersion]:
        return sorted(self.plans.get(plan_id, []), key=lambda v: v.plan_version)

    async def set_task_plan(self, task_id: str, plan_id: str) -> None:
        self.task_plan[task_id] = plan_id

    async def tasks_of_plan(self, plan_id: str) -> list[str]:
        return sorted(t for t, p in self.task_plan.items() if p == plan_id)

    async def linked_plan_events(self, task_id: str) -> set[str]:
        return {e for t, e in self.links if t == task_id}

    async def add_plan_link(self, task_id: str, plan: PlanVersion, seq: int) -> None:
        assert (task_id, plan.event_id) not in self.links  # the primary key
        self.links.add((task_id, plan.event_id))

    # -- accountability read model

    async def get_facts(self, keys: list[Key]) -> dict[Key, Fact]:
        return {k: copy.deepcopy(self.store[k]) for k in keys if k in self.store}

    async def put_facts(self, facts: list[Fact], now: datetime) -> None:
        for f in facts:
            self.store[(f.kind, f.key)] = copy.deepcopy(f)

    async def load_facts(self, year: int | None, department: str | None) -> list[Fact]:
        tasks = {
            f.task_id
            for f in self.store.values()
            if f.kind == TASK
            and (year is None or f.year == year)
            and (department is None or f.department == department)
        }
        found = [copy.deepcopy(f) for f in self.store.values() if f.task_id in tasks]
        return sorted(found, key=lambda f: (f.kind, f.key))

    async def task_facts(self, task_id: str) -> list[Fact]:
        found = [copy.deepcopy(f) for f in self.store.values() if f.task_id == task_id]
        return sorted(found, key=lambda f: (f.kind, f.key))

    # -- exemptions: insert-only, one decision per proposal (the primary keys)

    async def add_evidence(self, evidence: Evidence, content: bytes) -> None:
        assert evidence.evidence_id not in self.evidence_files
        self.evidence_files[evidence.evidence_id] = (evidence, content)

    async def evidence(self, evidence_id: str) -> tuple[Evidence, bytes] | None:
        return self.evidence_files.get(evidence_id)

    async def add_exemption(self, exemption: Exemption) -> None:
        assert exemption.exemption_id not in self.proposals
        assert exemption.proposal.task_id in self.heads  # the foreign key
        self.proposals[exemption.exemption_id] = replace(
            exemption, decision=None, decision_seq=None
        )

    async def add_decision(self, decision: Decision, seq: int) -> None:
        assert decision.exemption_id in self.proposals
        assert decision.exemption_id not in self.decisions
        self.decisions[decision.exemption_id] = (decision, seq)

    def _decided(self, exemption: Exemption) -> Exemption:
        decision, seq = self.decisions.get(exemption.exemption_id, (None, None))
        return replace(exemption, decision=decision, decision_seq=seq)

    async def exemption(self, exemption_id: str) -> Exemption | None:
        found = self.proposals.get(exemption_id)
        return self._decided(found) if found else None

    async def exemptions(
        self, task_id: str | None = None, item_id: str | None = None
    ) -> list[Exemption]:
        found = [
            self._decided(e)
            for e in self.proposals.values()
            if task_id in (None, e.proposal.task_id) and item_id in (None, e.proposal.item_id)
        ]
        return sorted(found, key=lambda e: (e.proposal.proposed_at, e.exemption_id))

    def savepoint(self) -> AbstractAsyncContextManager[object]:
        return self._savepoint()

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[object]:
        """Facts and parked folds as they were, if the block raises."""
        store, parked = copy.deepcopy(self.store), dict(self.parked_rows)
        try:
            yield self
        except BaseException:
            self.store, self.parked_rows = store, parked
            raise

    # -- parked folds

    async def park(
        self, event_id: str, event_type: str, envelope: Mapping[str, Any], error: str, now: datetime
    ) -> ParkedFold:
        old = self.parked_rows.get(event_id)
        self.parked_rows[event_id] = ParkedFold(
            event_id=event_id,
            event_type=old.event_type if old else event_type,
            envelope=old.envelope if old else copy.deepcopy(dict(envelope)),
            error=error,
            attempts=old.attempts + 1 if old else 1,
            parked_at=old.parked_at if old else now,
            last_tried_at=now,
        )
        return self.parked_rows[event_id]

    async def parked(self, event_id: str) -> ParkedFold | None:
        return self.parked_rows.get(event_id)

    async def parked_folds(self, limit: int, offset: int) -> Page[ParkedFold]:
        found = sorted(self.parked_rows.values(), key=lambda p: (p.parked_at, p.event_id))
        return Page(len(found), found[offset : offset + limit])

    async def unpark(self, event_id: str) -> None:
        self.parked_rows.pop(event_id, None)


class FakeArchivesUnitOfWork(FakeUnitOfWork):
    """The kernel's fake unit of work, carrying the fake repository."""

    def __init__(
        self,
        archives: FakeArchiveRepository | None = None,
        actor: str = "tester",
        district: str = "lingang",
    ) -> None:
        super().__init__(district=district, actor=actor)
        self.archives = archives or FakeArchiveRepository()


def _conforms() -> None:
    """Never called: mypy (``make lint``) checks the fakes against the protocols they stand in
    for, so a method added to one and not the other fails the lint."""
    repo: ArchiveRepository = FakeArchiveRepository()
    uow: ArchivesUnitOfWork = FakeArchivesUnitOfWork()
    del repo, uow
