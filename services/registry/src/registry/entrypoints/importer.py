"""Import jobs of one app: each runs in the background of this process (its state is in the
database), one kind at a time, and is answered by the upload when it ends soon enough."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from registry.adapters import files
from registry.adapters.repository import REGISTERS, SqlImportJobs, StagedImport
from registry.adapters.unit_of_work import SqlRegistryUnitOfWork
from registry.domain.imports import INTERRUPTED
from registry.service_layer import imports
from spotcheck_common.service import ServiceRuntime
from spotcheck_common.uow import Context

log = logging.getLogger(__name__)

# A job not heard of for this long was left by a process that died (PostgreSQL, replicas).
STALE_AFTER = timedelta(minutes=2)


class Importer:
    """Starts import jobs of one service runtime and keeps their tasks."""

    def __init__(self, rt: ServiceRuntime) -> None:
        self.rt = rt
        self.jobs = SqlImportJobs(rt.db.sessions)
        self.live = imports.LiveJobs()
        self.spool_dir = Path(rt.settings.data_dir) / "spool" / rt.district
        self.chunk_rows = imports.CHUNK_ROWS

    async def start(
        self,
        context: Context,
        kind: str,
        spooled: files.Spooled,
        filename: str,
        params: imports.ImportParams,
    ) -> asyncio.Task[dict[str, Any]]:
        """Record the job (queued) and run it in the background; the spool file is removed
        when it ends."""
        try:
            row = imports.new_job(
                kind,
                filename,
                spooled.sha256,
                spooled.size,
                params,
                context.actor,
                self.rt.clock.now(),
            )
            await self.jobs.create(**row)
        except BaseException:
            spooled.remove()
            raise
        job = imports.ImportJob(row["import_id"], kind, filename, spooled.sha256, params)
        task = asyncio.create_task(
            self._execute(context, job, spooled), name=f"import:{job.import_id}"
        )
        self.live.tasks[job.import_id] = task
        task.add_done_callback(lambda t: self._done(job.import_id, t))
        return task

    def _done(self, import_id: str, task: asyncio.Task[Any]) -> None:
        self.live.tasks.pop(import_id, None)
        if not task.cancelled():
            task.exception()  # retrieved: a refused file is an answer, not a crash

    async def _execute(
        self, context: Context, job: imports.ImportJob, spooled: files.Spooled
    ) -> dict[str, Any]:
        register = REGISTERS.get(job.kind)
        # Imports that write one table run one at a time (products go into the entities').
        lock = self.live.lock(register.table.name if register else job.kind)
        try:
            async with lock, self.rt.uow(context) as unit:
                uow = cast(SqlRegistryUnitOfWork, unit)
                staging = (
                    StagedImport(
                        uow.session,
                        register,
                        stage_file=self.spool_dir / f"{job.import_id}.stage.db",
                    )
                    if register
                    else None
                )
                return await imports.run_import(
                    uow,
                    self.jobs,
                    job,
                    spooled.path,
                    staging,
                    divisions=self.rt.settings.division_code_set,
                    chunk_rows=self.chunk_rows,
                    neighbours=frozenset(self.rt.settings.neighbour_districts),
                )
        finally:
            spooled.remove()

    async def fail_abandoned(self) -> int:
        """At start-up: jobs left queued or running by a process that died. Embedded
        (SQLite) runs one process, so every such job is abandoned; on PostgreSQL, only those
        whose heartbeat stopped (another replica may be running the rest)."""
        now = self.rt.clock.now()
        before = now - STALE_AFTER if self.rt.db.postgres else None
        return await self.jobs.fail_abandoned(now, before, INTERRUPTED)


async def fail_abandoned_imports(rt: ServiceRuntime) -> None:
    """Startup hook (before the app serves: no job of this process is running yet)."""
    count = await Importer(rt).fail_abandoned()
    if count:
        log.warning("abandoned imports marked failed", extra={"fields": {"count": count}})
