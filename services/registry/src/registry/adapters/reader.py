"""Import files read and validated in a process of their own.

Decoding, CSV parsing or the workbook, and the validation of every row is CPU work in Python.
In a thread it would hold the GIL against the event loop (``/healthz`` and every other request
of the process would wait); in a child process it runs on another core. The child reads the
spool file by its path and hands over chunks of good rows in the form the import writes
them, so the service process does no per-row work:

- ``copy`` (PostgreSQL): the rows as ``COPY ... FROM STDIN`` text, ready for the staging table;
- ``sqlite`` (embedded): the rows written by the child into a SQLite file of their own, which
  the import's connection attaches at the end;
- ``rows`` (the item list, small): the validated values themselves.

Every chunk waits for the parent's acknowledgement before the child runs more than ``ahead``
chunks ahead, so a slow database holds the reader back and memory stays bounded. Progress
goes up as messages; the errors (the first 1,000 and the total) come with the last message.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import json.encoder
import operator
import os
import pickle
import re
import resource
import signal
import sqlite3
import struct
import subprocess
import sys
import traceback
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from registry.adapters import files
from registry.domain import imports
from registry.domain.imports import ErrorLog, ImportRejected, RowError

STAGE_TABLE = "import_stage"
PROGRESS_EVERY = 5000  # rows between progress messages


@dataclass(frozen=True)
class ReadSpec:
    """What the child reads and how it hands the rows over (picklable)."""

    kind: str
    path: str
    output: str  # copy | sqlite | rows
    filename: str = ""
    encoding: str | None = None
    sheet: str | None = None
    divisions: frozenset[str] | None = None
    taken: tuple[frozenset[str], str] | None = None
    stage: str | None = None  # sqlite: the file the child writes the rows into
    chunk_rows: int = 25_000
    ahead: int = 4


# ------------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Opened:
    format: str
    encoding: str | None
    sheet: str | None
    rows_total: int | None


@dataclass(frozen=True)
class Chunk:
    """``rows`` good rows, lines ``first``..``last``. ``data``: the rows as COPY text (copy),
    the values (rows), or None (sqlite: they are in the stage file). ``copy`` also carries
    each row's line and its JSON document (what the events carry), in file order."""

    rows: int
    first: int
    last: int
    data: Any
    rows_read: int
    errors_total: int
    lines: list[int] | None = None
    docs: list[str] | None = None


@dataclass(frozen=True)
class Progress:
    rows_read: int
    errors_total: int


@dataclass(frozen=True)
class Done:
    rows_read: int
    errors_total: int
    errors: list[RowError]
    peak_kb: int  # the child's peak resident memory
    cpu_s: float = 0.0  # the child's CPU time


@dataclass(frozen=True)
class Crash:
    text: str


Message = Opened | Chunk | Progress | Done | Crash


# ------------------------------------------------------------------------------- encoders

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(fields: Sequence[str]) -> str:
    """One line of PostgreSQL's COPY text format (no line break)."""
    return "\t".join(f.translate(_COPY_ESCAPES) for f in fields)


def copy_text(rows: Sequence[Sequence[str]]) -> tuple[bytes, str | None]:
    """Rows of text (the line first) as COPY text, UTF-8; and that text when no value needed
    escaping (no tab, line break or backslash), else None. Joined in one go, then checked as a
    whole: only a chunk with such a value is escaped row by row."""
    text = "\n".join(map("\t".join, rows)) + "\n"
    width = len(rows[0]) - 1 if rows else 0
    if (
        text.count("\t") != len(rows) * width
        or text.count("\n") != len(rows)
        or "\\" in text
        or "\r" in text
    ):
        return "".join(copy_line(row) + "\n" for row in rows).encode("utf-8"), None
    return text.encode("utf-8"), text


def _same(value: Any) -> Any:
    return value


def _stage_converters(kind: imports.Kind, sqlite: bool) -> list[Callable[[Any], Any]]:
    """Per column, the value as the stage holds it (COPY text, or a SQLite value)."""
    booleans: Callable[[Any], Any] = int if sqlite else {True: "t", False: "f"}.__getitem__
    table: dict[str, Callable[[Any], Any]] = {
        "text": _same,
        "bool": booleans,
        "date": date.isoformat,
        "list": imports.json_list,
        "json": imports.json_object,
    }
    return [table[value] for value in kind.stored_values]


def _quoted_date(value: date) -> str:
    return f'"{value.isoformat()}"'


def _document_converters(kind: imports.Kind) -> list[Callable[[Any], str]]:
    """Per column, the value as JSON text, as pydantic writes it (compact, characters as they
    are): json's own string encoder, true/false, "YYYY-MM-DD", a compact list."""
    table: dict[str, Callable[[Any], str]] = {
        "text": json.encoder.encode_basestring,
        "bool": {True: "true", False: "false"}.__getitem__,
        "date": _quoted_date,
        "list": imports.json_list,
        "json": imports.json_object,
    }
    return [table[value] for value in kind.stored_values]


def _document_template(kind: imports.Kind) -> str:
    return "{" + ",".join(f'"{f}":%s' for f in kind.stored) + "}"


# What JSON escapes in a string but COPY text does not (tabs and line breaks are checked by
# copy_text): values free of these, and of tabs and line breaks, are their own JSON strings.
_JSON_SPECIAL = re.compile(r'["\\\x00-\x08\x0b-\x1f]')


def documents(
    kind: imports.Kind, columns: Sequence[Sequence[Any]], text: str | None = None
) -> list[str]:
    """Each row (given a column at a time) as the JSON object its snapshot serialises to:
    the event's bytes, byte for byte what pydantic writes. When every value is text and none
    holds a character JSON escapes, the values go between quotes as they are: checked on
    ``text``, the chunk's COPY text if it needed no escaping, else column by column."""
    if all(value == "text" for value in kind.stored_values):
        if text is not None:
            plain = not _JSON_SPECIAL.search(text)
        else:
            plain = not any(
                _JSON_SPECIAL.search(t) or "\t" in t or "\n" in t for t in map("".join, columns)
            )
        if plain:
            template = "{" + ",".join(f'"{f}":"%s"' for f in kind.stored) + "}"
            return list(map(template.__mod__, zip(*columns, strict=True)))
    quoted = [
        list(map(f, column)) for f, column in zip(_document_converters(kind), columns, strict=True)
    ]
    return list(map(_document_template(kind).__mod__, zip(*quoted, strict=True)))


class _Rows:
    """The good rows of a chunk so far: their lines, and their values a column at a time."""

    def __init__(self, width: int) -> None:
        self.lines: list[int] = []
        self.columns: list[list[Any]] = [[] for _ in range(width)]

    def __len__(self) -> int:
        return len(self.lines)

    def add_block(self, lines: Sequence[int], columns: Sequence[Sequence[Any]]) -> None:
        self.lines.extend(lines)
        for mine, theirs in zip(self.columns, columns, strict=True):
            mine.extend(theirs)

    def add_row(self, line: int, values: Sequence[Any]) -> None:
        self.lines.append(line)
        for mine, value in zip(self.columns, values, strict=True):
            mine.append(value)


class _Output:
    """Turns the good rows of one chunk into the chunk handed over."""

    def __init__(self, spec: ReadSpec, kind: imports.Kind) -> None:
        self.spec = spec
        self.kind = kind
        self.key_at = kind.stored.index(kind.key)
        self.stage = _stage_converters(kind, spec.output == "sqlite")
        self.db: sqlite3.Connection | None = None
        if spec.output == "sqlite":
            assert spec.stage is not None
            Path(spec.stage).unlink(missing_ok=True)
            self.db = sqlite3.connect(spec.stage, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            columns = ", ".join(kind.stored)
            self.db.execute(
                f"CREATE TABLE {STAGE_TABLE} (line INTEGER PRIMARY KEY, {columns}, doc TEXT)"
            )
            marks = ", ".join("?" * (len(kind.stored) + 2))
            self.insert = f"INSERT INTO {STAGE_TABLE} VALUES ({marks})"

    def _staged(self, columns: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        return [
            column if f is _same else list(map(f, column))
            for f, column in zip(self.stage, columns, strict=True)
        ]

    def chunk(self, rows: _Rows, rows_read: int, errors: int) -> Chunk:
        lines, columns = rows.lines, rows.columns
        n, first, last = len(lines), lines[0], lines[-1]
        output = self.spec.output
        if output == "rows":
            values = list(zip(lines, zip(*columns, strict=True), strict=True))
            return Chunk(n, first, last, values, rows_read, errors)
        staged = self._staged(columns)
        if output == "sqlite":
            docs = documents(self.kind, columns)
            assert self.db is not None
            self.db.execute("BEGIN")
            self.db.executemany(self.insert, zip(lines, *staged, docs, strict=True))
            self.db.execute("COMMIT")
            return Chunk(n, first, last, None, rows_read, errors)
        # In key order: the merge probes the register's primary key, and inserts, in order.
        rows_ = list(zip(map(str, lines), *staged, strict=True))
        rows_.sort(key=operator.itemgetter(self.key_at + 1))
        data, text = copy_text(rows_)
        docs = documents(self.kind, columns, text)
        return Chunk(n, first, last, data, rows_read, errors, lines, docs)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


# ------------------------------------------------------------------------------ the reading


BLOCK_ROWS = 5000  # rows checked a column at a time, at most


class _Regrouped:
    """The rows of blocks one at a time (for ``split_header``), then the rest as blocks."""

    def __init__(self, blocks: Iterator[tuple[list[int], list[Any]]]) -> None:
        self.blocks = blocks
        self.lines: list[int] = []
        self.rows: list[Any] = []
        self.at = 0

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        return self

    def __next__(self) -> tuple[int, Any]:
        while self.at >= len(self.rows):
            self.lines, self.rows = next(self.blocks)
            self.at = 0
        self.at += 1
        return self.lines[self.at - 1], self.rows[self.at - 1]

    def rest(self) -> Iterator[tuple[list[int], list[Any]]]:
        if self.at < len(self.rows):
            yield self.lines[self.at :], self.rows[self.at :]
        yield from self.blocks


def _in_blocks(
    rows: Iterator[tuple[int, Any]], size: int = 1000
) -> Iterator[tuple[list[int], list[Any]]]:
    while True:
        taken = list(itertools.islice(rows, size))
        if not taken:
            return
        yield [line for line, _ in taken], [row for _, row in taken]


def produce(spec: ReadSpec) -> Iterator[Message]:
    """Read and validate the file (in the child): Opened, then Chunks and Progress, then Done.
    After the first error no more chunks are handed over (nothing will be written), but the
    file is read to the end to count and list its errors."""
    kind = imports.KINDS[spec.kind]
    errors = ErrorLog()
    rows_read = 0
    try:
        table = files.open_table(Path(spec.path), spec.filename, spec.encoding, spec.sheet)
    except ImportRejected as exc:
        for error in exc.errors:
            errors.add(error)
        yield _done(0, errors)
        return
    output = _Output(spec, kind)
    try:
        yield Opened(table.format, table.encoding, table.sheet, table.rows_total)
        # CSV: blocks of text rows, checked a column at a time; a workbook: row by row.
        regrouped = _Regrouped(table.blocks or _in_blocks(table.rows))
        found = imports.find_header(kind, regrouped)
        if found is None:
            errors.add(RowError(1, "(表头)", "文件为空"))
        else:
            header, past = found
            validator = imports.RowValidator(
                kind, header, errors, spec.divisions, spec.taken, table.exact_width
            )
            if validator.header_ok:
                # The rows read past the header while looking for it, then the rest.
                blocks = itertools.chain(_in_blocks(iter(past)), regrouped.rest())
                columnar = table.blocks is not None
                yield from _chunks(spec, validator, blocks, errors, output, columnar)
                rows_read = validator.rows
                if not errors and rows_read == 0:
                    errors.add(RowError(2, "(数据)", "没有数据行"))
    except ImportRejected as exc:  # the file stopped making sense (encoding, CSV quoting)
        for error in exc.errors:
            errors.add(error)
    finally:
        table.close()
        output.close()
    yield _done(rows_read, errors)


def _chunks(
    spec: ReadSpec,
    validator: imports.RowValidator,
    blocks: Iterator[tuple[list[int], list[Any]]],
    errors: ErrorLog,
    output: _Output,
    columnar: bool,
) -> Iterator[Message]:
    """Good rows in chunks of about ``chunk_rows``: a block of text rows checked a column at
    a time when it is plainly good, else (and every row of a workbook) row by row."""
    width = len(validator.kind.stored)
    good = _Rows(width)
    step = max(1, min(spec.chunk_rows, BLOCK_ROWS))
    for whole_lines, whole_rows in blocks:
        for at in range(0, len(whole_rows), step):
            yield from _block(
                whole_lines[at : at + step],
                whole_rows[at : at + step],
                spec,
                validator,
                errors,
                output,
                columnar,
                good,
            )
            if len(good) >= spec.chunk_rows or errors:
                good = _Rows(width)
    if len(good) and not errors:
        yield output.chunk(good, validator.rows, errors.total)


def _block(
    lines: list[int],
    rows: list[Any],
    spec: ReadSpec,
    validator: imports.RowValidator,
    errors: ErrorLog,
    output: _Output,
    columnar: bool,
    good: _Rows,
) -> Iterator[Message]:
    """One block: its good rows added to ``good``, a chunk handed over when it is full."""
    columns = validator.block(lines, rows) if columnar else None
    if columns is not None:
        if not errors:
            good.add_block(lines, columns)
    else:
        for line, cells in zip(lines, rows, strict=True):
            values = validator.row(line, cells)
            if values is not None and not errors:
                good.add_row(line, values)
    if len(good) >= spec.chunk_rows and not errors:
        yield output.chunk(good, validator.rows, errors.total)
    else:  # after an error nothing will be written: the caller drops the rows
        yield Progress(validator.rows, errors.total)


def _done(rows_read: int, errors: ErrorLog) -> Done:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return Done(
        rows_read,
        errors.total,
        errors.kept,
        int(usage.ru_maxrss),
        round(usage.ru_utime + usage.ru_stime, 2),
    )


# ---------------------------------------------------------------------------- the process
#
# A fresh interpreter (``python -c``), not multiprocessing: its spawn and forkserver methods
# import the parent's main module again in every child (the service's: seconds of imports),
# and fork would copy a process with threads and open connections. Two pipes of its own carry
# length-prefixed pickles: the spec and the acknowledgements down, the messages up.

_FRAME = struct.Struct("!Q")


def _write(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_FRAME.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read(fd: int) -> Any:
    (size,) = _FRAME.unpack(_read_exactly(fd, _FRAME.size))
    return pickle.loads(_read_exactly(fd, size))


def child_main(down: int, up: int) -> None:
    """The child: the spec from ``down``, every message to ``up``; waits for an
    acknowledgement when ``ahead`` chunks are unacknowledged. Ends quietly when the parent
    is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service stops it, not the terminal
    # A short-lived process that makes millions of lists and tuples and no reference cycle:
    # the cyclic collector would only walk them again and again (about 15% of its time).
    gc.disable()
    unacknowledged = 0
    try:
        spec: ReadSpec = _read(down)
        for message in produce(spec):
            _write(up, message)
            if isinstance(message, Chunk):
                unacknowledged += 1
                while unacknowledged >= spec.ahead:
                    _read_exactly(down, 1)
                    unacknowledged -= 1
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return
    except BaseException:
        with contextlib.suppress(Exception):
            _write(up, Crash(traceback.format_exc()))


class ReaderFailed(Exception):
    """The reading process crashed or died (not a problem of the file)."""


def _start() -> tuple[subprocess.Popen[bytes], int, int]:
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from registry.adapters.reader import child_main; child_main({down_r}, {up_w})",
            ],
            pass_fds=(down_r, up_w),
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        for fd in (down_r, down_w, up_r, up_w):
            os.close(fd)
        raise
    os.close(down_r)
    os.close(up_w)
    return process, down_w, up_r


async def read(spec: ReadSpec) -> AsyncGenerator[Message, None]:
    """Run the reader for ``spec`` in a child process and yield its messages; each Chunk is
    acknowledged when the caller asks for the next message (it has been written). Leaving
    early, or an exception, ends the child."""
    process, down, up = await asyncio.to_thread(_start)
    try:
        await asyncio.to_thread(_write, down, spec)
        while True:
            try:
                message = await asyncio.to_thread(_read, up)
            except EOFError:
                code = await asyncio.to_thread(process.wait, 10)
                raise ReaderFailed(f"导入读取进程意外退出（{code}）") from None
            if isinstance(message, Crash):
                raise ReaderFailed(message.text)
            yield message
            if isinstance(message, Done):
                return
            if isinstance(message, Chunk):
                with contextlib.suppress(OSError):  # the child may have finished already
                    os.write(down, b"1")
    finally:
        os.close(down)
        os.close(up)
        if process.poll() is None:
            process.terminate()
        try:
            await asyncio.to_thread(process.wait, 10)
        except subprocess.TimeoutExpired:  # pragma: no cover - ignored SIGTERM
            process.kill()
            await asyncio.to_thread(process.wait, 5)
