"""The end checks: what the services stored, counted in PostgreSQL, per cycle and per schema.

Per cycle, exactly once: one inspection and one published result per drawn target (version 1
each), one objection and one correction (a second version) in the task, one dossier whose
entries hold each of the cycle's events once (``flow.dossier_events``), numbered 1..n, its
hash chain verified by the archives service, and the draw's bundle verified by the citizen's
verifiers. Below one is *lost*, above one *duplicated*. Across every service's schema: no
outbox row unpublished (a parked row included), no event failing or dead in a consumer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from ..e2e.flow import CREDIT, Cycle, Platform, dossier_events, verify_bundle
from ..e2e.stack import SERVICES


@dataclass
class Tally:
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    def count(self, what: str, found: int, expected: int = 1) -> None:
        """``found`` stored where ``expected`` must be."""
        if found < expected:
            self.lost += expected - found
            self.problems.append(f"lost: {what}: {found} stored, {expected} expected")
        elif found > expected:
            self.duplicated += found - expected
            self.problems.append(f"duplicated: {what}: {found} stored, {expected} expected")

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.problems.append(what)

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class Stored:
    """One task's rows, as the services wrote them."""

    inspections: Counter[str]  # per target's USCC
    records: Counter[str]
    first_versions: Counter[str]
    corrections: int  # versions after the first, in the whole task
    objections: int
    dossiers: int
    entries: list[tuple[str, str, int]]  # (event_type, event_id, seq) in seq order


def tally_cycle(tally: Tally, cycle: Cycle, stored: Stored, whole: bool) -> None:
    """Count one cycle's rows; ``whole``: the cycle ran to its end (else only what it reached
    is there, and only duplicates are counted)."""
    name = cycle.task_no
    targets = [t["uscc"] for t in cycle.targets]
    for kind, counter in (
        ("inspection", stored.inspections),
        ("published result", stored.records),
        ("result's first version", stored.first_versions),
    ):
        for uscc in sorted(set(counter) | set(targets)):
            what = f"{name} {kind} of {uscc}"
            if whole:
                tally.count(what, counter[uscc], 1 if uscc in targets else 0)
            elif counter[uscc] > 1:
                tally.count(what, counter[uscc])
    if not whole:
        return
    tally.count(f"{name} objection", stored.objections)
    tally.count(f"{name} correction", stored.corrections)
    tally.count(f"{name} dossier", stored.dossiers)
    types = Counter(event_type for event_type, _, _ in stored.entries)
    for event_type, n in dossier_events(cycle).items():
        tally.count(f"{name} dossier entries {event_type}", types[event_type], n)
    ids = Counter(event_id for _, event_id, _ in stored.entries)
    for event_id, n in ids.items():
        tally.count(f"{name} dossier entries of event {event_id}", n)
    seqs = [seq for _, _, seq in stored.entries]
    tally.check(seqs == list(range(1, len(seqs) + 1)), f"{name} dossier numbering {seqs}")


def tally_schema(tally: Tally, schema: str, unpublished: int, failing: int, dead: int) -> None:
    tally.check(unpublished == 0, f"{schema}: {unpublished} outbox rows not published (or parked)")
    tally.check(failing == 0, f"{schema}: {failing} events still failing in a consumer")
    tally.check(dead == 0, f"{schema}: {dead} dead letters")


async def _rows(conn: AsyncConnection, sql: str, **params: Any) -> list[Any]:
    return list(await conn.execute(sa.text(sql), params))


async def stored(conn: AsyncConnection, task_id: str) -> Stored:
    def per_uscc(rows: list[Any]) -> Counter[str]:
        return Counter({uscc: n for uscc, n in rows})

    versions = await _rows(
        conn,
        "SELECT r.uscc, v.version FROM publication.result_versions v "
        "JOIN publication.result_records r USING (record_id) WHERE r.task_id = :t",
        t=task_id,
    )
    return Stored(
        inspections=per_uscc(
            await _rows(
                conn,
                "SELECT uscc, count(*) FROM inspections.inspections WHERE task_id = :t "
                "GROUP BY uscc",
                t=task_id,
            )
        ),
        records=per_uscc(
            await _rows(
                conn,
                "SELECT uscc, count(*) FROM publication.result_records WHERE task_id = :t "
                "GROUP BY uscc",
                t=task_id,
            )
        ),
        first_versions=Counter(uscc for uscc, version in versions if version == 1),
        corrections=sum(1 for _, version in versions if version > 1),
        objections=(
            await _rows(
                conn, "SELECT count(*) FROM objections.objections WHERE task_id = :t", t=task_id
            )
        )[0][0],
        dossiers=(
            await _rows(
                conn, "SELECT count(*) FROM archives.dossiers WHERE task_id = :t", t=task_id
            )
        )[0][0],
        entries=[
            tuple(row)
            for row in await _rows(
                conn,
                "SELECT event_type, event_id, seq FROM archives.dossier_entries "
                "WHERE task_id = :t AND event_id IS NOT NULL ORDER BY seq",
                t=task_id,
            )
        ],
    )


async def task_ids(conn: AsyncConnection, cycle: Cycle) -> list[str]:
    """The cycle's task; found by its number when the cycle failed before it knew its id
    (one task a number: planning refuses a second)."""
    if cycle.task_id:
        return [cycle.task_id]
    sql = "SELECT task_id FROM planning.tasks WHERE task_no = :n"
    return [task_id for (task_id,) in await _rows(conn, sql, n=cycle.task_no)]


async def schema_state(conn: AsyncConnection, schema: str) -> tuple[int, int, int]:
    """(outbox rows unpublished, failing events, dead letters) of one service's schema."""
    tables = {
        name
        for (name,) in await _rows(
            conn,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s",
            s=schema,
        )
    }
    unpublished = failing = dead = 0
    if "outbox" in tables:
        sql = f'SELECT count(*) FROM "{schema}".outbox WHERE published_at IS NULL'
        unpublished = (await _rows(conn, sql))[0][0]
    if "failed_events" in tables:
        sql = (
            f"SELECT count(*) FILTER (WHERE dead_at IS NULL), count(*) FILTER (WHERE dead_at IS "
            f'NOT NULL) FROM "{schema}".failed_events'
        )
        failing, dead = (await _rows(conn, sql))[0]
    return unpublished, failing, dead


async def count_all(database_url: str, cycles: Sequence[tuple[Cycle, bool]]) -> Tally:
    """The counts of every cycle (``(cycle, whole)``) and schema, from the database."""
    tally = Tally()
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            for cycle, whole in cycles:
                for task_id in await task_ids(conn, cycle):
                    tally_cycle(tally, cycle, await stored(conn, task_id), whole)
            for schema in SERVICES:
                tally_schema(tally, schema, *(await schema_state(conn, schema)))
    finally:
        await engine.dispose()
    return tally


def verify(p: Platform, tally: Tally, cycle: Cycle) -> None:
    """What the people outside check: the dossier's chain (archives), the draw's bundle."""
    path = f"/api/archives/dossiers/{cycle.task_id}/verify"
    verified = p.call("archives", "GET", path, CREDIT)
    tally.check(verified.get("ok") is True, f"{cycle.task_no} dossier chain: {verified}")
    result = verify_bundle(cycle.bundle, cycle.log)
    tally.check(result.returncode == 0, f"{cycle.task_no} draw bundle: {result.stdout[-300:]}")


def count(database_url: str, cycles: Sequence[tuple[Cycle, bool]]) -> Tally:
    return asyncio.run(count_all(database_url, cycles))
