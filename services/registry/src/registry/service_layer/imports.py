"""Imports as jobs (导入任务): every row valid or nothing written, at any size.

The file is read and validated in a worker thread (``files.iterate_in_thread``) while the event
loop loads the good rows into a temporary staging table of the import's one transaction; the
merge into the register, the counts (new / updated per field / unchanged) and the events are
set-based SQL at the end. Progress goes to the job's row in short transactions of its own.
A file with any error, or a process that dies, leaves the registers as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from registry.adapters import files
from registry.domain import check_items, imports
from registry.domain.check_items import ListVersion
from registry.domain.imports import ErrorLog, ImportRejected, MergeCounts, RowError
from spotcheck_common.clock import Clock
from spotcheck_common.events.envelope import Event, new_id
from spotcheck_common.events.registry import (
    CheckItem,
    CheckItemListPublished,
    EntitiesImported,
    EntitySnapshot,
    ExpertsImported,
    ExpertSnapshot,
    InspectorsImported,
    InspectorSnapshot,
)
from spotcheck_common.events.types import EntityStatus, RiskClass
from spotcheck_common.http import DomainError

log = logging.getLogger(__name__)

REJECTED = "导入被拒绝，文件中的任何一行都未导入"
INTERRUPTED = "导入中断，未导入任何数据"
FAILED = "导入失败（系统错误），未导入任何数据；请联系运维人员"

# Events carry at most this many rows and (estimated) bytes: Kafka's default message limit
# is 1 MiB, and a consumer handles one event in one transaction.
EVENT_MAX_ROWS = 1000
EVENT_MAX_BYTES = 512 * 1024
CHUNK_ROWS = 5000  # rows handed from the reading thread to the writer at a time


class UnitOfWork(Protocol):
    district: str
    clock: Clock

    async def emit(self, event: Event, district: str | None = None) -> Any: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    @property
    def context(self) -> Any: ...


class ImportJobs(Protocol):
    async def start(self, import_id: str, now: datetime) -> None: ...

    async def opened(self, import_id: str, **values: Any) -> None: ...

    async def progress(
        self,
        import_id: str,
        rows_read: int,
        rows_total: int | None,
        errors_total: int,
        now: datetime,
    ) -> None: ...

    async def finish(self, import_id: str, now: datetime, **values: Any) -> None: ...


class Staging(Protocol):
    """Where the good rows wait for the merge (``repository.StagedImport``)."""

    postgres: bool

    async def lock(self, kind: str) -> None: ...

    async def create(self) -> None: ...

    async def load(self, rows: Sequence[tuple[int, Sequence[Any]]]) -> None: ...

    async def merge(self, batch_id: str, now: datetime) -> MergeCounts: ...

    def changed(self, size: int = ...) -> AsyncIterator[list[dict[str, Any]]]: ...

    async def drop(self) -> None: ...


class Registers(Protocol):
    """What an import reads besides its own rows (``SqlRegistryRepository``)."""

    async def record_batch(self, **values: Any) -> None: ...

    async def inspector_ids(self) -> set[str]: ...

    async def expert_ids(self) -> set[str]: ...

    async def list_versions(self) -> list[ListVersion]: ...

    async def check_items(self, version: int) -> list[CheckItem]: ...

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None: ...


@dataclass(frozen=True)
class ImportParams:
    encoding: str | None = None
    sheet: str | None = None
    # The item list: why this version, and from when (default: today).
    reason: str = ""
    effective_from: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "sheet": self.sheet,
            "reason": self.reason or None,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
        }


@dataclass(frozen=True)
class ImportJob:
    import_id: str
    kind: str
    filename: str
    sha256: str
    params: ImportParams = ImportParams()


@dataclass
class Progress:
    """Shared by the reading thread (writes) and the reporter (reads); plain ints."""

    rows_read: int = 0
    rows_total: int | None = None
    errors_total: int = 0
    reading: bool = True


def new_job(
    kind: str,
    filename: str,
    sha256: str,
    size: int,
    params: ImportParams,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """The row of a job just received (state queued)."""
    return {
        "import_id": new_id(),
        "kind": kind,
        "state": "queued",
        "filename": filename,
        "size_bytes": size,
        "sha256": sha256,
        "params": params.as_json(),
        "rows_read": 0,
        "errors_total": 0,
        "errors": [],
        "created_by": actor,
        "created_at": now,
    }


# ---------------------------------------------------------------------------------- reading


@dataclass
class _Opened:
    format: str
    encoding: str | None
    sheet: str | None
    rows_total: int | None


def _read(
    open_table: Callable[[], files.Table],
    kind: imports.Kind,
    errors: ErrorLog,
    progress: Progress,
    divisions: frozenset[str] | None,
    taken: tuple[frozenset[str], str] | None,
    chunk_rows: int,
) -> Iterator[_Opened | list[tuple[int, tuple[Any, ...]]]]:
    """Runs in the worker thread: the file's description, then chunks of good rows. After the
    first error no more rows are handed over (nothing will be written), but reading goes on
    to count and list the file's errors."""
    try:
        table = open_table()
    except ImportRejected as exc:
        for error in exc.errors:
            errors.add(error)
        return
    try:
        progress.rows_total = table.rows_total
        yield _Opened(table.format, table.encoding, table.sheet, table.rows_total)
        found = imports.split_header(kind, table.rows)
        if found is None:
            errors.add(RowError(1, "(表头)", "文件为空"))
            return
        header, rows = found
        validator = imports.RowValidator(kind, header, errors, divisions, taken, table.exact_width)
        if not validator.header_ok:
            return
        chunk: list[tuple[int, tuple[Any, ...]]] = []
        for line, cells in rows:
            values = validator.row(line, cells)
            if values is not None and not errors:
                chunk.append((line, values))
                if len(chunk) >= chunk_rows:
                    progress.rows_read, progress.errors_total = validator.rows, errors.total
                    yield chunk
                    chunk = []
            elif validator.rows % 1000 == 0:
                progress.rows_read, progress.errors_total = validator.rows, errors.total
        progress.rows_read, progress.errors_total = validator.rows, errors.total
        progress.rows_total = validator.rows
        if chunk and not errors:
            yield chunk
        if not errors and validator.rows == 0:
            errors.add(RowError(2, "(数据)", "没有数据行"))
    except ImportRejected as exc:  # the file stopped making sense (encoding, CSV quoting)
        for error in exc.errors:
            errors.add(error)
    finally:
        table.close()


async def _report_progress(
    jobs: ImportJobs,
    import_id: str,
    progress: Progress,
    clock: Clock,
    every_s: float,
    stop: asyncio.Event,
    while_writing: bool,
) -> None:
    """Write the progress every ``every_s`` until stopped. On SQLite not once the import
    writes to the database: a write committed by another connection after the import's
    transaction first read the file would make that transaction's own write fail."""
    last: tuple[int, int | None, int] | None = None
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
        if stop.is_set() or (not progress.reading and not while_writing):
            if stop.is_set():
                return
            continue
        now = (progress.rows_read, progress.rows_total, progress.errors_total)
        try:
            await jobs.progress(import_id, *now, now=clock.now())
            last = now
        except Exception:  # progress is advisory: the import goes on
            log.warning("import progress not written", exc_info=True)
    del last


# ---------------------------------------------------------------------------------- the job


async def run_import(
    uow: UnitOfWork,
    repo: Registers,
    jobs: ImportJobs,
    job: ImportJob,
    open_table: Callable[[], files.Table],
    staging: Staging | None,
    divisions: frozenset[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress_every_s: float = 0.5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run one import job to its end: the report (state succeeded, committed), or
    ImportRejected / DomainError (state failed, nothing written). ``staging`` is the kind's
    staging table (None for the item list, which is small and kept whole)."""
    progress = progress or Progress()
    await jobs.start(job.import_id, uow.clock.now())
    stop = asyncio.Event()
    reporter = asyncio.create_task(
        _report_progress(
            jobs,
            job.import_id,
            progress,
            uow.clock,
            progress_every_s,
            stop,
            while_writing=bool(staging and staging.postgres),
        )
    )
    try:
        report = await _run(
            uow, repo, jobs, job, open_table, staging, divisions, chunk_rows, progress
        )
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await uow.rollback()
        stop.set()
        await reporter
        await _failed(jobs, job, uow.clock, progress, exc)
        raise
    stop.set()
    await reporter
    await jobs.finish(
        job.import_id,
        uow.clock.now(),
        state="succeeded",
        rows_read=progress.rows_read,
        rows_total=progress.rows_read,
        errors_total=0,
        report=report,
        batch_id=report["batch_id"],
    )
    return report


async def _failed(
    jobs: ImportJobs, job: ImportJob, clock: Clock, progress: Progress, exc: BaseException
) -> None:
    values: dict[str, Any] = {
        "state": "failed",
        "rows_read": progress.rows_read,
        "rows_total": progress.rows_total,
    }
    if isinstance(exc, ImportRejected):
        values.update(
            failure=REJECTED,
            errors=[e.as_dict() for e in exc.errors],
            errors_total=exc.total,
        )
    elif isinstance(exc, DomainError):
        error = RowError(0, str(exc.details.get("field", "(参数)")), exc.reason)
        values.update(failure=exc.reason, errors=[error.as_dict()], errors_total=1)
    elif isinstance(exc, asyncio.CancelledError):
        values.update(failure=INTERRUPTED)
    else:
        log.error("import failed", exc_info=exc, extra={"fields": {"import_id": job.import_id}})
        values.update(failure=FAILED)
    try:
        await asyncio.shield(jobs.finish(job.import_id, clock.now(), **values))
    except Exception:
        log.exception("import job state not written", extra={"fields": {"id": job.import_id}})


async def _run(
    uow: UnitOfWork,
    repo: Registers,
    jobs: ImportJobs,
    job: ImportJob,
    open_table: Callable[[], files.Table],
    staging: Staging | None,
    divisions: frozenset[str] | None,
    chunk_rows: int,
    progress: Progress,
) -> dict[str, Any]:
    kind = imports.KINDS[job.kind]
    taken: tuple[frozenset[str], str] | None = None
    if job.kind == "inspectors":
        taken = (frozenset(await repo.expert_ids()), imports.TAKEN_BY_EXPERTS)
    elif job.kind == "experts":
        taken = (frozenset(await repo.inspector_ids()), imports.TAKEN_BY_INSPECTORS)
    if job.kind != "entities":
        divisions = None
    errors = ErrorLog()
    kept: list[tuple[int, tuple[Any, ...]]] = []  # the item list only
    if staging is not None:
        await staging.lock(job.kind)
        await staging.create()
    reader = files.iterate_in_thread(
        lambda: _read(open_table, kind, errors, progress, divisions, taken, chunk_rows)
    )
    async with contextlib.aclosing(reader) as items:
        async for item in items:
            if isinstance(item, _Opened):
                await jobs.opened(
                    job.import_id,
                    format=item.format,
                    encoding=item.encoding,
                    sheet=item.sheet,
                    rows_total=item.rows_total,
                )
            elif errors:
                continue
            elif staging is not None:
                await staging.load(item)
            else:
                kept.extend(item)
    progress.reading = False
    if errors:
        raise errors.rejected()
    now = uow.clock.now()
    batch_id = new_id()
    if staging is None:
        report = await _publish_check_items(uow, repo, job, [v for _, v in kept], now, batch_id)
    else:
        counts = await staging.merge(batch_id, now)
        await _emit_changes(uow, job.kind, batch_id, staging)
        await staging.drop()
        report = _report(job, counts, batch_id)
    await repo.record_batch(
        batch_id=batch_id,
        kind=job.kind,
        filename=job.filename,
        rows=report["rows_read"],
        sha256=job.sha256,
        imported_by=uow.context.actor,
        imported_at=now,
    )
    await uow.commit()
    return report


def _report(job: ImportJob, counts: MergeCounts, batch_id: str) -> dict[str, Any]:
    rows = counts.new + counts.updated + counts.unchanged
    return {
        "import_id": job.import_id,
        "state": "succeeded",
        "kind": job.kind,
        "batch_id": batch_id,
        "rows_total": rows,
        "rows_read": rows,
        "imported": rows,
        "new": counts.new,
        "updated": counts.updated,
        "updated_fields": counts.updated_fields,
        "unchanged": counts.unchanged,
        "errors_total": 0,
        "errors": [],
    }


# ----------------------------------------------------------------------------------- events


def _estimate(row: dict[str, Any]) -> int:
    """An upper bound of the row's JSON size: at most 3 bytes a character (BMP), plus keys."""
    return sum(len(k) + 6 + 3 * len(str(v)) for k, v in row.items())


def _snapshot(kind: str, row: dict[str, Any]) -> Any:
    if kind == "entities":
        # Validated by the domain already: build without validating again (1M rows).
        return EntitySnapshot.model_construct(
            **{
                **row,
                "risk_class": RiskClass(row["risk_class"]),
                "status": EntityStatus(row["status"]),
            }
        )
    if kind == "inspectors":
        return InspectorSnapshot.model_validate(row)
    return ExpertSnapshot.model_validate(row)


def _event(kind: str, batch_id: str, rows: list[Any]) -> Event:
    if kind == "entities":
        return EntitiesImported(batch_id=batch_id, entities=rows)
    if kind == "inspectors":
        return InspectorsImported(batch_id=batch_id, inspectors=rows)
    return ExpertsImported(batch_id=batch_id, experts=rows)


async def _emit_changes(uow: UnitOfWork, kind: str, batch_id: str, staging: Staging) -> None:
    """One event per chunk of new and updated rows (unchanged rows travel nowhere)."""
    chunk: list[Any] = []
    size = 0
    number = 0

    async def flush() -> None:
        nonlocal chunk, size, number
        # Entities always travel in numbered chunks; a roster (usually one event) keeps the
        # batch's own id for its first.
        key = batch_id if number == 0 and kind != "entities" else f"{batch_id}:{number}"
        await uow.emit(_event(kind, key, chunk))
        number += 1
        chunk, size = [], 0

    async for rows in staging.changed(EVENT_MAX_ROWS):
        for row in rows:
            estimate = _estimate(row)
            if chunk and (len(chunk) >= EVENT_MAX_ROWS or size + estimate > EVENT_MAX_BYTES):
                await flush()
            chunk.append(_snapshot(kind, row))
            size += estimate
    if chunk:
        await flush()


# --------------------------------------------------------------------------- the item list


def list_id(district: str) -> str:
    """One item list per district; its versions share this id (the events' partition key)."""
    return f"{district}:check-items"


async def _publish_check_items(
    uow: UnitOfWork,
    repo: Registers,
    job: ImportJob,
    rows: list[tuple[Any, ...]],
    now: datetime,
    batch_id: str,
) -> dict[str, Any]:
    """A new version of the item list (第四条); older versions are kept. The report compares
    it with the latest version: new, updated (per field), unchanged and removed items."""
    kind = imports.CHECK_ITEMS
    items = [CheckItem(**imports.as_record(kind, values)) for values in rows]
    effective_from = job.params.effective_from or uow.clock.today()
    versions = await repo.list_versions()
    number = check_items.check_new_version(versions, effective_from, job.params.reason)
    latest = max(versions, key=lambda v: v.version) if versions else None
    before = {i.code: i for i in await repo.check_items(latest.version)} if latest else {}
    new = updated = unchanged = 0
    fields: dict[str, int] = {}
    for item in items:
        old = before.get(item.code)
        if old is None:
            new += 1
            continue
        changed = [f for f in kind.fields if getattr(old, f) != getattr(item, f)]
        for name in changed:
            fields[name] = fields.get(name, 0) + 1
        if changed:
            updated += 1
        else:
            unchanged += 1
    version = check_items.ListVersion(
        version=number,
        list_id=list_id(uow.district),
        effective_from=effective_from,
        reason=job.params.reason.strip(),
        items=len(items),
        filename=job.filename,
        sha256=job.sha256,
        imported_by=uow.context.actor,
        imported_at=now,
    )
    await repo.add_list_version(version, items)
    await uow.emit(
        CheckItemListPublished(
            list_id=version.list_id,
            list_version=number,
            effective_from=effective_from,
            items=items,
            reason=version.reason,
        )
    )
    codes = {i.code for i in items}
    return {
        **_report(job, MergeCounts(new, updated, unchanged, fields), batch_id),
        "removed": sum(1 for code in before if code not in codes),
        "list_id": version.list_id,
        "version": number,
        "effective_from": effective_from.isoformat(),
        "reason": version.reason,
    }


@dataclass
class LiveJobs:
    """The jobs this process is running (their tasks), so a shutdown can wait for them."""

    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, kind: str) -> asyncio.Lock:
        return self.locks.setdefault(kind, asyncio.Lock())
