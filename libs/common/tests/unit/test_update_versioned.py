"""The optimistic lock every repository uses: a stale version writes nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from spotcheck_common.db import Database, update_versioned

rows = sa.Table(
    "rows",
    sa.MetaData(),
    sa.Column("id", sa.String(10), primary_key=True),
    sa.Column("note", sa.String(20)),
    sa.Column("version", sa.Integer, nullable=False),
)


async def test_only_the_holder_of_the_current_version_writes(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}", "v")
    async with db.engine.begin() as conn:
        await conn.run_sync(rows.metadata.create_all)
        await conn.execute(sa.insert(rows).values(id="a", note="first", version=1))
    async with db.sessions() as session:
        key = rows.c.id == "a"
        assert await update_versioned(session, rows, key, 1, {"note": "second", "version": 1})
        # A second writer who read version 1 too is refused and changes nothing.
        assert not await update_versioned(session, rows, key, 1, {"note": "lost"})
        await session.commit()
        note, version = (await session.execute(sa.select(rows.c.note, rows.c.version))).one()
    assert (note, version) == ("second", 2)
    await db.dispose()
