"""Many rows in one statement on SQLite (the embedded mode), inside the transaction."""

from __future__ import annotations

from pathlib import Path

from spotcheck_common.db import Database

from ..helpers import check_bulk_insert, create_schema


async def test_rows_are_inserted_in_the_transaction(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bulk.db'}", "bulk")
    try:
        await create_schema(db)
        await check_bulk_insert(db)
    finally:
        await db.dispose()
