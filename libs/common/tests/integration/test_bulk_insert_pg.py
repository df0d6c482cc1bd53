"""Many rows in one COPY on real PostgreSQL, inside the session's transaction."""

from __future__ import annotations

import pytest

from spotcheck_common.db import Database

from ..helpers import check_bulk_insert, create_schema

pytestmark = pytest.mark.integration


async def test_rows_are_copied_in_the_transaction(pg_url: str) -> None:
    db = Database(pg_url, "bulk")
    try:
        await create_schema(db)
        await check_bulk_insert(db)
    finally:
        await db.dispose()
