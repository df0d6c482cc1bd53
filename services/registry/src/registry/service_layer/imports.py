"""Imports as jobs (导入任务): every row valid or nothing written, at any size.

The file is read and validated in a child process (``adapters.reader``) that hands over the
good rows in chunks, in the form the database takes them; the import's one transaction
stages and merges them into the register with set-based SQL (new / updated per field /
unchanged) and writes the events of the new and updated rows to the outbox, chunk by chunk
on PostgreSQL while the reader goes on, at the end on SQLite. The event payloads are the JSON
the database made of the rows: no model per row. Progress goes to the job's row in short
transactions of its own. A file with any error, or a process that dies, leaves the
registers, the outbox and the batches as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from registry.adapters import reader
from registry.domain import check_items, imports
from registry.domain.check_items import ListVersion
from registry.domain.imports import (
    FAILED,
    INTERRUPTED,
    REJECTED,
    ImportRejected,
    MergeCounts,
    RowError,
)
from registry.service_layer.unit_of_work import RegistryUnitOfWork
from spotcheck_common.clock import Clock
from spotcheck_common.errors import DomainError
from spotcheck_common.events.envelope import Event, new_id
from spotcheck_common.events.registry import (
    CheckItem,
    CheckItemListPublished,
    EntitiesImported,
    ExpertsImported,
    ExternalInspectorsImported,
    ExternalInspectorSnapshot,
    InspectorsImported,
)
from spotcheck_common.loops import pause

log = logging.getLogger(__name__)

# Events carry at most this many rows and (estimated) bytes: Kafka's default message limit
# is 1 MiB, and a consumer handles one event in one transaction.
EVENT_MAX_ROWS = 1000
EVENT_MAX_BYTES = (
    512 * 1024
)  # of rows' JSON, counted 3 bytes a character (the envelope adds <1 KiB)
CHUNK_ROWS = 25_000  # rows handed from the reading process to the writer at a time


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


class Merged(Protocol):
    """What one merge step wrote (read-only)."""

    @property
    def new(self) -> int: ...

    @property
    def updated(self) -> int: ...

    @property
    def updated_fields(self) -> dict[str, int]: ...

    @property
    def changed(self) -> list[int] | None:
        """Lines of the new and updated rows; None: every row was new."""

    @property
    def docs(self) -> list[str] | None:
        """The JSON documents of those rows, if the stage holds them."""


class Staging(Protocol):
    """Where the good rows wait for the merge (``repository.StagedImport``)."""

    postgres: bool
    streaming: bool  # chunks are merged as they come (else: from stage_file, at the end)
    stage_file: Path | None  # where the reader writes the rows when not streaming

    async def lock(self) -> None:
        """One import into the register at a time (across replicas)."""

    async def begin(self) -> None: ...

    async def create(self) -> None: ...

    async def load(self, data: bytes) -> None: ...

    async def attach(self) -> None: ...

    async def merge(
        self, batch_id: str, now: datetime, rows: int, lines: tuple[int, int] | None = None
    ) -> Merged: ...

    async def close(self) -> None: ...


class Registers(Protocol):
    """What an import reads besides its own rows (``SqlRegistryRepository``)."""

    async def record_batch(self, **values: Any) -> None: ...

    async def inspector_ids(self) -> set[str]: ...

    async def expert_ids(self) -> set[str]: ...

    async def list_versions(self) -> list[ListVersion]: ...

    async def check_items(self, version: int) -> list[CheckItem]: ...

    async def add_list_version(self, version: ListVersion, items: Sequence[CheckItem]) -> None: ...

    async def external_inspectors(
        self, agency: str | None = None
    ) -> list[ExternalInspectorSnapshot]: ...

    async def upsert_external_inspectors(
        self, rows: Sequence[ExternalInspectorSnapshot], batch_id: str, now: datetime
    ) -> None: ...


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
    """What the reader said last (rows read, errors), for the reporter."""

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

Read = Callable[[reader.ReadSpec], AsyncGenerator[reader.Message, None]]


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
    while not await pause(stop, every_s):
        if not progress.reading and not while_writing:
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
    uow: RegistryUnitOfWork,
    jobs: ImportJobs,
    job: ImportJob,
    path: Path,
    staging: Staging | None,
    divisions: frozenset[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress_every_s: float = 0.5,
    progress: Progress | None = None,
    read: Read | None = None,
    neighbours: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Run one import job of the file at ``path`` into ``uow.registry`` to its end: the report
    (state succeeded, committed), or ImportRejected / DomainError (state failed, nothing
    written).
    ``staging`` is the kind's staging table (None for the item list and the external roster,
    which are small and kept whole); ``read`` runs the reader (default: in a child process);
    ``neighbours``: districts no agency of the external roster may be named after."""
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
        try:
            report = await _run(
                uow,
                uow.registry,
                jobs,
                job,
                path,
                staging,
                divisions,
                chunk_rows,
                progress,
                read or reader.read,
                neighbours | {uow.district},
            )
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await uow.rollback()
            stop.set()
            await reporter
            await _failed(jobs, job, uow.clock, progress, exc)
            raise
    finally:
        if staging is not None:
            try:
                await staging.close()
            except Exception:
                log.warning("import staging not cleaned up", exc_info=True)
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


@dataclass
class _Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    updated_fields: dict[str, int] = field(default_factory=dict)

    def add(self, merged: Merged, rows: int) -> None:
        self.new += merged.new
        self.updated += merged.updated
        self.unchanged += rows - merged.new - merged.updated
        for name, n in merged.updated_fields.items():
            self.updated_fields[name] = self.updated_fields.get(name, 0) + n

    def final(self) -> MergeCounts:
        fields = dict(sorted(self.updated_fields.items()))
        return MergeCounts(self.new, self.updated, self.unchanged, fields)


async def _taken(kind: str, repo: Registers) -> tuple[frozenset[str], str] | None:
    """The ids another roster holds (inspectors and experts may not share one)."""
    if kind == "inspectors":
        return frozenset(await repo.expert_ids()), imports.TAKEN_BY_EXPERTS
    if kind == "experts":
        return frozenset(await repo.inspector_ids()), imports.TAKEN_BY_INSPECTORS
    return None


async def _prepare(staging: Staging | None) -> str:
    """Lock and create the stage; what the reader hands over: rows (the item list), COPY
    data (PostgreSQL) or a stage file of its own (SQLite)."""
    if staging is None:
        return "rows"
    await staging.lock()
    await staging.begin()
    await staging.create()
    return "copy" if staging.streaming else "sqlite"


@dataclass
class _Intake:
    """What the reader hands over, taken as it comes: progress, the file's shape, chunks of
    good rows (merged at once when streaming, else kept for the end), the end."""

    staging: Staging | None
    jobs: ImportJobs
    import_id: str
    progress: Progress
    events: _Events
    batch_id: str
    now: datetime
    counts: _Counts = field(default_factory=lambda: _Counts())
    # The small lists (item list, external roster): each good row's line and values.
    kept: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    later: list[reader.Chunk] = field(default_factory=list)  # SQLite: merged at the end
    done: reader.Done | None = None

    async def take(self, message: reader.Message) -> None:
        if isinstance(message, reader.Chunk):
            self.progress.rows_read = message.rows_read
            self.progress.errors_total = message.errors_total
            await self._chunk(message)
        elif isinstance(message, reader.Progress):
            self.progress.rows_read = message.rows_read
            self.progress.errors_total = message.errors_total
        elif isinstance(message, reader.Opened):
            self.progress.rows_total = message.rows_total
            await self.jobs.opened(
                self.import_id,
                format=message.format,
                encoding=message.encoding,
                sheet=message.sheet,
                rows_total=message.rows_total,
            )
        elif isinstance(message, reader.Done):
            self.done = message

    async def _chunk(self, chunk: reader.Chunk) -> None:
        if self.staging is None:
            self.kept.extend(chunk.data)
        elif self.staging.streaming:
            await self.staging.load(chunk.data)
            merged = await self.staging.merge(self.batch_id, self.now, chunk.rows)
            self.counts.add(merged, chunk.rows)
            await self.events.add(_chunk_docs(chunk, merged.changed))
        else:
            self.later.append(chunk)

    async def merge_later(self, staging: Staging) -> None:
        """SQLite: the staged rows, merged once the whole file is read."""
        if self.later:
            await staging.attach()
        for chunk in self.later:
            merged = await staging.merge(
                self.batch_id, self.now, chunk.rows, (chunk.first, chunk.last)
            )
            self.counts.add(merged, chunk.rows)
            await self.events.add(merged.docs or [])
        await self.events.add([], final=True)


async def _run(
    uow: RegistryUnitOfWork,
    repo: Registers,
    jobs: ImportJobs,
    job: ImportJob,
    path: Path,
    staging: Staging | None,
    divisions: frozenset[str] | None,
    chunk_rows: int,
    progress: Progress,
    read: Read,
    reserved: frozenset[str],
) -> dict[str, Any]:
    started = time.perf_counter()
    spec = reader.ReadSpec(
        kind=job.kind,
        path=str(path),
        output=await _prepare(staging),
        filename=job.filename,
        encoding=job.params.encoding,
        sheet=job.params.sheet,
        divisions=divisions if job.kind == "entities" else None,
        taken=await _taken(job.kind, repo),
        stage=str(staging.stage_file) if staging and staging.stage_file else None,
        chunk_rows=chunk_rows,
    )
    batch_id = new_id()
    intake = _Intake(
        staging,
        jobs,
        job.import_id,
        progress,
        _Events(uow, job.kind, batch_id),
        batch_id,
        uow.clock.now(),
    )
    async with contextlib.aclosing(read(spec)) as messages:
        async for message in messages:
            await intake.take(message)
    done = intake.done
    assert done is not None
    progress.reading = False
    progress.rows_read = progress.rows_total = done.rows_read
    progress.errors_total = done.errors_total
    read_s = time.perf_counter() - started
    if done.errors_total:
        raise ImportRejected(done.errors, done.errors_total)
    if job.kind == imports.EXTERNAL_INSPECTORS.name:
        report = await _import_external_inspectors(
            uow, repo, job, intake.kept, intake.now, batch_id, reserved
        )
    elif staging is None:
        values = [v for _, v in intake.kept]
        report = await _publish_check_items(uow, repo, job, values, intake.now, batch_id)
    else:
        await intake.merge_later(staging)
        report = _report(job, intake.counts.final(), batch_id)
    await repo.record_batch(
        batch_id=batch_id,
        kind=job.kind,
        filename=job.filename,
        rows=report["rows_read"],
        sha256=job.sha256,
        imported_by=uow.context.actor,
        imported_at=intake.now,
    )
    merged_s = time.perf_counter() - started
    await uow.commit()
    log.info(
        "import committed",
        extra={
            "fields": {
                "import_id": job.import_id,
                "kind": job.kind,
                "rows": done.rows_read,
                "events": intake.events.number,
                "read_s": round(read_s, 2),
                "merged_s": round(merged_s, 2),
                "committed_s": round(time.perf_counter() - started, 2),
                "reader_peak_mb": done.peak_kb // 1024,
                "reader_cpu_s": done.cpu_s,
            }
        },
    )
    return report


def _chunk_docs(chunk: reader.Chunk, changed: list[int] | None) -> list[str]:
    """The documents of a chunk's new and updated rows (all of them, or those of
    ``changed``), in file order."""
    assert chunk.docs is not None and chunk.lines is not None
    if changed is None:
        return chunk.docs
    at = {line: n for n, line in enumerate(chunk.lines)}
    return [chunk.docs[at[line]] for line in changed]


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

_EVENTS: dict[str, tuple[type[Event], str]] = {
    "entities": (EntitiesImported, "entities"),
    "inspectors": (InspectorsImported, "inspectors"),
    "experts": (ExpertsImported, "experts"),
}


class _Events:
    """Packs the new and updated rows (JSON documents, file order) into events of at most
    EVENT_MAX_ROWS rows and EVENT_MAX_BYTES, written to the outbox as they fill up. The
    payload is what the event class serialises to: ``{"batch_id": …, "<rows>": [rows]}``."""

    def __init__(self, uow: RegistryUnitOfWork, kind: str, batch_id: str) -> None:
        self.uow = uow
        self.kind = kind
        self.batch_id = batch_id
        self.event, self.field = _EVENTS.get(kind, (EntitiesImported, "entities"))
        self.rows: list[str] = []
        self.size = 0
        self.number = 0
        self.full: list[tuple[str, str]] = []

    def _cut(self) -> None:
        # Entities (and objects without a USCC) always travel in numbered chunks; a roster
        # (usually one event) keeps the batch's own id for its first.
        number = self.number
        key = (
            self.batch_id
            if number == 0 and self.event is not EntitiesImported
            else f"{self.batch_id}:{number}"
        )
        payload = f'{{"batch_id":{json.dumps(key)},"{self.field}":[' + ",".join(self.rows) + "]}"
        self.full.append((key, payload))
        self.number += 1
        self.rows, self.size = [], 0

    async def add(self, docs: Sequence[str], final: bool = False) -> None:
        for doc in docs:
            # At most three bytes a character in UTF-8 (four for the rare character outside
            # the BMP, which Python counts as one): an event stays well under 1 MiB.
            size = 3 * len(doc) + 1
            if self.rows and (
                len(self.rows) >= EVENT_MAX_ROWS or self.size + size > EVENT_MAX_BYTES
            ):
                self._cut()
            self.rows.append(doc)
            self.size += size
        if final and self.rows:
            self._cut()
        if self.full:
            await self.uow.emit_json(self.event, self.full)
            self.full = []


# --------------------------------------------------------------------------- the item list


def list_id(district: str) -> str:
    """One item list per district; its versions share this id (the events' partition key)."""
    return f"{district}:check-items"


async def _publish_check_items(
    uow: RegistryUnitOfWork,
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


# ------------------------------------------------------------------------ the external roster


def _external_snapshot(record: dict[str, Any]) -> ExternalInspectorSnapshot:
    """A row of the external roster as it leaves the registry: ``<agency>:<id>``, the agency's
    name as the department, never a leader (the bureau leads its own teams)."""
    return ExternalInspectorSnapshot(
        inspector_id=f"{record['agency']}:{record['inspector_id']}",
        agency=record["agency"],
        agency_inspector_id=record["inspector_id"],
        name=record["name"],
        department=record["agency_name"],
        qualifications=record["qualifications"],
        leader_qualified=False,
        certificate_expires_on=record["certificate_expires_on"],
        active=record["active"],
    )


def external_record(snapshot: ExternalInspectorSnapshot) -> dict[str, Any]:
    """The snapshot in the import's fields (the inverse of ``_external_snapshot``)."""
    return {
        "agency": snapshot.agency,
        "agency_name": snapshot.department,
        "inspector_id": snapshot.agency_inspector_id,
        "name": snapshot.name,
        "qualifications": list(snapshot.qualifications),
        "certificate_expires_on": snapshot.certificate_expires_on,
        "active": snapshot.active,
    }


def _reserved_agencies(
    rows: list[tuple[int, tuple[Any, ...]]], reserved: frozenset[str]
) -> list[RowError]:
    """An agency named like this district or a neighbour: its ``<agency>:<id>`` would be taken
    for a neighbour's inspector in a joint draw."""
    kind = imports.EXTERNAL_INSPECTORS
    at = kind.fields.index("agency")
    return [
        RowError(
            line,
            kind.column("agency").label,
            f"单位代码「{values[at]}」是本区或相邻区的名称，不能使用",
        )
        for line, values in rows
        if values[at] in reserved
    ]


async def _import_external_inspectors(
    uow: RegistryUnitOfWork,
    repo: Registers,
    job: ImportJob,
    rows: list[tuple[int, tuple[Any, ...]]],
    now: datetime,
    batch_id: str,
    reserved: frozenset[str],
) -> dict[str, Any]:
    """The co-organising agencies' inspectors (第三条), merged like the bureau's own roster:
    new, updated (per field) and unchanged; only new and updated rows are written and sent
    (ExternalInspectorsImported). Ids are unique per agency."""
    errors = _reserved_agencies(rows, reserved)
    if errors:
        raise ImportRejected(errors)
    kind = imports.EXTERNAL_INSPECTORS
    stored = {(s.agency, s.agency_inspector_id): s for s in await repo.external_inspectors()}
    counts = _Counts()
    changed: list[ExternalInspectorSnapshot] = []
    for _, values in rows:
        record = imports.as_record(kind, values)
        old = stored.get((record["agency"], record["inspector_id"]))
        if old is None:
            counts.new += 1
        else:
            before = external_record(old)
            fields = [f for f in kind.fields if before[f] != record[f]]
            if not fields:
                counts.unchanged += 1
                continue
            counts.updated += 1
            for name in fields:
                counts.updated_fields[name] = counts.updated_fields.get(name, 0) + 1
        changed.append(_external_snapshot(record))
    await repo.upsert_external_inspectors(changed, batch_id, now)
    for n, start in enumerate(range(0, len(changed), EVENT_MAX_ROWS)):
        await uow.emit(
            ExternalInspectorsImported(
                batch_id=batch_id if n == 0 else f"{batch_id}:{n}",
                inspectors=changed[start : start + EVENT_MAX_ROWS],
            )
        )
    return _report(job, counts.final(), batch_id)


@dataclass
class LiveJobs:
    """The jobs this process is running (their tasks), so a shutdown can wait for them."""

    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, name: str) -> asyncio.Lock:
        """The lock of a register (its table's name), or of a list kept whole."""
        return self.locks.setdefault(name, asyncio.Lock())
