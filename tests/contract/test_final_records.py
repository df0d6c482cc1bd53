"""What the rules make final, the database itself keeps final — on SQLite (embedded mode) and
on PostgreSQL alike: each case inserts a record in its final state, then tries what must be
refused (and what must still be allowed) with plain SQL, as a bug or a person at a SQL prompt
would."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from spotcheck_common import migrations
from spotcheck_common.db import Database
from spotcheck_common.runner import load

Statement = Callable[[sa.Table], Any]


@dataclass
class Case:
    service: str
    table: str
    row: dict[str, Any]
    refused: dict[str, Statement]
    allowed: dict[str, Statement] = field(default_factory=dict)


def update(**values: Any) -> Statement:
    return lambda t: sa.update(t).values(**values)


def delete() -> Statement:
    return lambda t: sa.delete(t)


NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
CASES = {
    "draw frozen: manifest and roster": Case(
        "draws",
        "draws",
        {"status": "frozen", "result_sha256": None},
        refused={
            "manifest": update(manifest={"algorithm": "forged"}),
            "roster": update(roster=[{"inspector_id": "X"}]),
            "delete": delete(),
        },
        allowed={"commit": update(status="committed", commitments=[{"party": "办公室"}])},
    ),
    "draw drawn: its result": Case(
        "draws",
        "draws",
        {"status": "drawn", "result_sha256": "ab" * 32},
        refused={
            "result": update(result={"targets": []}),
            "reveals": update(reveals=[]),
            "seed": update(seed_hex="00" * 32),
        },
        allowed={"countersign": update(status="completed", countersign={"by": "office"})},
    ),
    "draw completed: its state": Case(
        "draws",
        "draws",
        {"status": "completed", "result_sha256": "ab" * 32},
        refused={
            "cancel": update(status="cancelled", cancel_reason="x"),
            "countersign": update(countersign={"by": "someone else"}),
        },
        allowed={"replacement": update(replacements=[{"seq": 1}], version=2)},
    ),
    "draw population": Case(
        "draws",
        "draw_populations",
        {},
        refused={"uscc": update(uscc=b"forged"), "delete": delete()},
    ),
    "recusal salts": Case(
        "draws",
        "draw_recusals",
        {},
        refused={"salt": update(salt_hex="00" * 16), "delete": delete()},
    ),
    "draw aborted: its state": Case(
        "draws",
        "draws",
        {"status": "aborted", "result_sha256": None},
        refused={
            "revive": update(status="committed"),
            "reason": update(cancel_reason="另一个理由"),
            "delete": delete(),
        },
    ),
    "draw log": Case(
        "draws",
        "draw_log",
        {},
        refused={"record": update(record={"kind": "forged"}), "delete": delete()},
    ),
    "party key": Case(
        "draws",
        "draw_keys",
        {},
        refused={"public_key": update(public_key="00" * 32), "delete": delete()},
    ),
    "key revocation": Case(
        "draws",
        "draw_key_revocations",
        {},
        refused={"undo": delete(), "reason": update(reason="x")},
    ),
    "paper objection scan": Case(
        "objections",
        "objection_scans",
        {},
        refused={"content": update(content=b"forged"), "delete": delete()},
    ),
    "inspection submitted": Case(
        "inspections",
        "inspections",
        {"status": "submitted"},
        refused={
            "results": update(results=[{"item": "x", "outcome": "forged"}]),
            "reopen": update(status="signed"),
            "completed_on": update(completed_on=dt.date(2020, 1, 1)),
            "delete": delete(),
        },
        allowed={"touch": update(updated_at=NOW + dt.timedelta(days=1), version=2)},
    ),
    "inspection not yet submitted": Case(
        "inspections",
        "inspections",
        {"status": "signed"},
        refused={},
        allowed={"record": update(results=[{"item": "x"}]), "delete": delete()},
    ),
    "withheld result": Case(
        "publication",
        "withheld_results",
        {},
        refused={"reason": update(reason="另一个理由"), "delete": delete()},
    ),
    "published annual plan version": Case(
        "publication",
        "published_plans",
        {},
        refused={"items": update(items=[]), "delete": delete()},
    ),
    "published implementation plan": Case(
        "publication",
        "published_tasks",
        {},
        refused={"delete": delete()},
        allowed={"republication": update(title="更正后的标题")},
    ),
    "task approved": Case(
        "planning",
        "tasks",
        {"status": "approved"},
        refused={
            "title": update(title="改过的方案"),
            "ratio": update(ratio_bp={"A": 10000}),
            "delete": delete(),
        },
        allowed={"publish": update(status="published", published_by="office", published_at=NOW)},
    ),
    "task published": Case(
        "planning",
        "tasks",
        {"status": "published", "published_at": NOW},
        refused={
            "back": update(status="approved"),
            "when": update(published_at=NOW + dt.timedelta(days=1)),
        },
        allowed={"close": update(status="closed")},
    ),
    "task closed": Case(
        "planning",
        "tasks",
        {"status": "closed"},
        refused={"reopen": update(status="published")},
    ),
    "task draft": Case(
        "planning",
        "tasks",
        {"status": "draft"},
        refused={},
        allowed={"edit": update(title="草稿可改"), "delete": delete()},
    ),
    "annual plan published": Case(
        "planning",
        "annual_plans",
        {"status": "published"},
        refused={"items": update(items=[]), "back": update(status="draft"), "delete": delete()},
        allowed={"supersede": update(status="superseded", steps=[{"action": "supersede"}])},
    ),
    "plan steps": Case(
        "planning",
        "plan_transitions",
        {},
        refused={"reason": update(reason="改写"), "delete": delete()},
    ),
}


def _value(column: sa.Column[Any]) -> Any:
    """A value of the column's type that fits its constraints."""
    kind = column.type
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return NOW.date()
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.LargeBinary):
        return b"\x00"
    return "x"


def _row(table: sa.Table, overrides: dict[str, Any]) -> dict[str, Any]:
    row = {
        c.name: _value(c)
        for c in table.columns
        if not (c.primary_key and c.autoincrement is True and isinstance(c.type, sa.Integer))
    }
    return {**row, **overrides}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def database_for(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[str], Any]]:
    """A function migrating a service on an empty database of the parametrised engine (on
    PostgreSQL: a schema of its own, dropped afterwards)."""
    opened: list[Database] = []
    pg = os.environ.get("SPOTCHECK_TEST_DATABASE_URL", "") if request.param == "postgresql" else ""
    if request.param == "postgresql" and not pg:
        pytest.fail("SPOTCHECK_TEST_DATABASE_URL is not set: run through `make integration`")
    prefix = f"g{uuid.uuid4().hex[:8]}"

    async def migrated(service: str) -> Database:
        where = pg or f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
        db = Database(where, f"{prefix}_{service}" if pg else service)
        opened.append(db)
        await migrations.upgrade(db, load(service).migrations)
        return db

    yield migrated
    for db in opened:
        if pg:
            async with db.engine.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA "{db.schema}" CASCADE'))
        await db.dispose()


@pytest.mark.parametrize("name", list(CASES))
async def test_what_the_rules_make_final_the_database_keeps_final(
    database_for: Callable[[str], Any], name: str
) -> None:
    case = CASES[name]
    db: Database = await database_for(case.service)
    table = load(case.service).metadata.tables[case.table]
    async with db.engine.begin() as conn:
        await conn.execute(sa.insert(table).values(**_row(table, case.row)))
    for what, statement in case.refused.items():
        with pytest.raises(sa.exc.DBAPIError) as refused:
            async with db.engine.begin() as conn:
                await conn.execute(statement(table))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value)), (what, refused.value)
    for what, statement in case.allowed.items():
        async with db.engine.begin() as conn:
            result = await conn.execute(statement(table))
        assert result.rowcount == 1, what


async def test_a_dossier_entry_must_follow_its_head(database_for: Callable[[str], Any]) -> None:
    db: Database = await database_for("archives")
    tables = load("archives").metadata.tables
    dossiers, entries = tables["dossiers"], tables["dossier_entries"]
    head = {"task_id": "T1", "entry_count": 0, "head_hash": "0" * 64}
    entry = {"task_id": "T1", "seq": 1, "prev_hash": "0" * 64, "entry_hash": "1" * 64}
    async with db.engine.begin() as conn:
        await conn.execute(sa.insert(dossiers).values(**_row(dossiers, head)))
        await conn.execute(sa.insert(entries).values(**_row(entries, entry)))
        await conn.execute(sa.update(dossiers).values(entry_count=1, head_hash="1" * 64))
    for forged in (
        {"seq": 2, "prev_hash": "f" * 64},  # a previous hash that is not the head's
        {"seq": 5, "prev_hash": "1" * 64},  # a gap in the sequence
    ):
        with pytest.raises(sa.exc.DBAPIError, match="链头"):
            async with db.engine.begin() as conn:
                row = _row(entries, {**entry, **forged, "entry_hash": "2" * 64})
                await conn.execute(sa.insert(entries).values(**row))
    with pytest.raises(sa.exc.DBAPIError, match="链头"):  # a head moved without its entry
        async with db.engine.begin() as conn:
            await conn.execute(sa.update(dossiers).values(entry_count=2, head_hash="9" * 64))
