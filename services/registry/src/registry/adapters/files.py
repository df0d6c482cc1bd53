"""Import files as rows: the upload spooled to disk, CSV decoded (UTF-8 or GB18030), .xlsx read.

Everything here is I/O and blocking except :func:`spool`; the import job runs the readers in a
process of its own (``registry.adapters.reader``), so the service's event loop keeps serving.
Rows come out as ``(line, cells)``: line 1 is the header; a CSV record spanning lines (a quoted
cell with a line break) is numbered by its first line; a sheet's rows by their row number. A
CSV file's rows also come in blocks (``Table.blocks``), for checking a column at a time.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import hashlib
import io
import itertools
import os
import posixpath
import re
import tempfile
import xml.parsers.expat
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from registry.domain.imports import Cell, ImportRejected, RowError
from spotcheck_common import errors

BLOCK = 1 << 20  # bytes read at a time
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), or an encrypted workbook
UTF8_BOM = codecs.BOM_UTF8
# What the ``encoding`` parameter accepts, and the codec that reads it (GB18030 is a superset
# of GBK and GB2312: a GBK file reads the same).
ENCODINGS = {"utf-8": "utf-8", "gb18030": "gb18030", "gbk": "gb18030"}
ENCODING_LABELS = {"utf-8": "UTF-8", "gb18030": "GB18030（GBK）"}


class TooLarge(errors.TooLarge):
    """The upload is larger than the configured limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"文件超过导入大小上限（{limit / 1024 / 1024:.0f} MiB）：请拆分后分批导入")
        self.limit = limit


def _refused(reason: str, line: int = 1, field: str = "(文件)") -> ImportRejected:
    return ImportRejected([RowError(line, field, reason)])


# ------------------------------------------------------------------------------------ spool


@dataclass(frozen=True)
class Spooled:
    path: Path
    size: int
    sha256: str

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


async def spool(chunks: AsyncIterator[bytes], directory: Path, max_bytes: int) -> Spooled:
    """Write an upload to a file in ``directory`` as it arrives (never whole in memory);
    TooLarge as soon as it passes ``max_bytes`` (the partial file is removed)."""
    digest = hashlib.sha256()
    size = 0
    fd, path = await asyncio.to_thread(_new_spool_file, directory)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                digest.update(chunk)
                out.write(chunk)  # into the page cache: microseconds a chunk
    except BaseException:
        os.unlink(path)
        raise
    return Spooled(path, size, digest.hexdigest())


def _new_spool_file(directory: Path) -> tuple[int, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="import-", suffix=".upload", dir=directory)
    return fd, Path(name)


def spool_bytes(data: bytes, directory: Path) -> Spooled:
    """The same for bytes already in memory (demo data, tests)."""
    fd, path = _new_spool_file(directory)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return Spooled(path, len(data), hashlib.sha256(data).hexdigest())


# ------------------------------------------------------------------------------------ table


@dataclass
class Table:
    """An opened import file: how it was read and its rows (header first)."""

    format: str  # csv | xlsx
    encoding: str | None  # csv: utf-8 | gb18030
    sheet: str | None  # xlsx: the sheet read
    rows_total: int | None  # data rows expected (CSV: lines after the header), when known
    exact_width: bool  # CSV: every line has the header's number of cells
    rows: Iterator[tuple[int, list[Cell]]]
    _close: list[Callable[[], None]] = field(default_factory=list)
    # CSV: the same rows in blocks, ``(lines, rows)`` (read either ``rows`` or ``blocks``).
    blocks: Iterator[tuple[list[int], list[list[str]]]] | None = None

    def close(self) -> None:
        for close in self._close:
            close()


def sniff_format(head: bytes, filename: str) -> str:
    """``xlsx`` for a zip (what an .xlsx is) or an .xlsx name, else ``csv``; refuses the
    formats bureaus sometimes have but this does not read."""
    name = filename.lower()
    if head.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise _refused(
            "不支持 .xls（Excel 97-2003）或加密的工作簿：请在 Excel 中“另存为” .xlsx 或 CSV 后导入"
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refused(
            "文件是 UTF-16 文本（Excel 的“Unicode 文本”）：请另存为“CSV UTF-8（逗号分隔）”"
            "或“CSV（逗号分隔）”后导入"
        )
    if head.startswith(ZIP_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "csv"


Source = Path | bytes


def _open(source: Source) -> IO[bytes]:
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


def open_table(
    source: Source, filename: str = "", encoding: str | None = None, sheet: str | None = None
) -> Table:
    """Open a file (blocking): a path, or bytes already in memory (demo data, tests).
    ``encoding`` (utf-8 / gb18030 / gbk) overrides detection; ``sheet`` names the worksheet of
    a workbook (default: the first)."""
    with _open(source) as fh:
        head = fh.read(8)
    if sniff_format(head, filename) == "xlsx":
        return _open_xlsx(source, sheet)
    if encoding is not None:
        codec = ENCODINGS.get(encoding.lower())
        if codec is None:
            raise _refused(f"不支持的编码「{encoding}」：可用 utf-8、gb18030、gbk")
        lines = None
    else:
        codec, lines = detect_encoding(source)
    fh = _open(source)
    blocks = _csv_blocks(fh, codec, declared=encoding is not None)
    return Table(
        format="csv",
        encoding=codec,
        sheet=None,
        rows_total=max(lines - 1, 0) if lines is not None else None,
        exact_width=True,
        rows=_flatten(blocks),
        _close=[fh.close],
        blocks=blocks,
    )


# -------------------------------------------------------------------------------------- CSV


def _blocks(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` blocks ending at a line break. A line feed (0x0A) is never part of
    a multi-byte character in UTF-8 or GB18030, so each block decodes on its own."""
    offset = 0
    carry = b""
    while True:
        data = fh.read(BLOCK)
        if not data:
            if carry:
                yield offset, carry
            return
        data = carry + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        yield offset, data[:cut]
        offset += cut
        carry = data[cut:]


def _decode_failure(
    codec: str, block: bytes, offset: int, lines_before: int, exc: UnicodeDecodeError
) -> tuple[int, int]:
    """(line, byte offset) of the first byte that does not decode."""
    return lines_before + block.count(b"\n", 0, exc.start) + 1, offset + exc.start


def detect_encoding(source: Source) -> tuple[str, int]:
    """``(codec, lines)``: UTF-8 (with or without BOM) if the whole file decodes strictly as
    UTF-8, else GB18030 (the reader refuses the file, naming the place, if it is not GB18030
    either). Counts the lines on the way (the job's expected total)."""
    lines = 0
    with _open(source) as fh:
        for _, block in _blocks(fh):
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                return "gb18030", _count_lines(fh, lines + block.count(b"\n"))
            lines += block.count(b"\n")
        return "utf-8", lines + _unterminated(fh)


def _count_lines(fh: IO[bytes], lines: int) -> int:
    while data := fh.read(BLOCK):
        lines += data.count(b"\n")
    return lines + _unterminated(fh)


def _unterminated(fh: IO[bytes]) -> int:
    """1 when the file's last line has no line break."""
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return 0
    fh.seek(size - 1)
    return 0 if fh.read(1) == b"\n" else 1


def _texts(fh: IO[bytes], codec: str, declared: bool) -> Iterator[str]:
    """The file decoded, a block (of whole lines) at a time; refused at the first byte that
    does not decode, naming its line and offset."""
    lines_before = 0
    first = True
    for offset, block in _blocks(fh):
        if first and codec == "utf-8" and block.startswith(UTF8_BOM):
            block, offset = block[len(UTF8_BOM) :], offset + len(UTF8_BOM)
        try:
            text = block.decode(codec)
        except UnicodeDecodeError as exc:
            line, at = _decode_failure(codec, block, offset, lines_before, exc)
            label = ENCODING_LABELS[codec]
            if declared:
                reason = f"按指定的 {label} 编码无法读取：第{line}行（第{at}字节）"
            else:
                reason = (
                    f"既不是 UTF-8 也不是 GB18030（GBK）编码：第{line}行（第{at}字节）无法识别。"
                    "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”或“CSV（逗号分隔）”后导入"
                )
            raise _refused(reason, line) from None
        if first:
            text = text.lstrip("\ufeff")
            first = False
        lines_before += block.count(b"\n")
        yield text


CSV_BLOCK_RECORDS = 2000  # records a block holds where they are read one by one


def _csv_blocks(
    fh: IO[bytes], codec: str, declared: bool
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The CSV records with the line each starts on, in blocks. A block of text with no
    quote (and no carriage return outside a CRLF) holds one record a line: csv parses it
    whole, C code only. From the first block that has one, the rest of the file is read
    record by record (a quoted cell may hold a line break, even across blocks)."""
    texts = _texts(fh, codec, declared)
    line = 0  # lines read so far, as csv counts them
    for text in texts:
        if '"' not in text and text.count("\r") == text.count("\r\n"):
            # Nothing quoted: csv would split each line at its commas, and so does this.
            texts_ = text.replace("\r\n", "\n").split("\n")
            if texts_ and texts_[-1] == "":
                texts_.pop()
            records = list(map(str.split, texts_, itertools.repeat(",")))
            if "" in texts_:  # a blank line is an empty record, as csv reads it
                records = [[] if r == [""] else r for r in records]
            yield list(range(line + 1, line + 1 + len(records))), records
            line += len(records)
            continue
        rest = itertools.chain(
            io.StringIO(text, newline=""), (x for t in texts for x in io.StringIO(t, newline=""))
        )
        reader = csv.reader(rest, strict=True)
        lines: list[int] = []
        rows: list[list[str]] = []
        previous = 0
        failed: csv.Error | None = None
        try:
            for record in reader:
                lines.append(line + previous + 1)
                rows.append(record)
                previous = reader.line_num
                if len(rows) >= CSV_BLOCK_RECORDS:
                    yield lines, rows
                    lines, rows = [], []
        except csv.Error as exc:
            failed = exc
        if rows:
            yield lines, rows
        if failed is not None:
            raise _refused(f"CSV 格式错误：{failed}", line + previous + 1, "(整行)")
        return


def _flatten(
    blocks: Iterator[tuple[list[int], list[list[str]]]],
) -> Iterator[tuple[int, list[Cell]]]:
    for lines, rows in blocks:
        yield from zip(lines, rows, strict=True)


# ------------------------------------------------------------------------------------- xlsx


# A workbook is a zip of XML parts. They are read here with expat, streaming, cell values
# converted exactly as openpyxl's read-only, data-only mode converts them (its date and
# number-format helpers are used): openpyxl itself builds objects for every cell and style
# and took 30 s for a sheet of 100,000 rows; this takes a few.

_MAIN_RELS = "xl/_rels/workbook.xml.rels"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]*)"')
_ROW_OF = re.compile(r"[A-Za-z]*(\d+)$")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse(
    data: IO[bytes],
    start: Callable[..., None],
    end: Callable[..., None],
    text: Callable[[str], None] | None = None,
) -> None:
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.ParseFile(data)


class _Workbook:
    """The parts of a workbook the reader needs: sheets (name → part), the shared strings,
    which styles are dates, the date epoch."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.sheets: dict[str, str] = {}
        self.date1904 = False
        targets: dict[str, str] = {}
        shared = "xl/sharedStrings.xml"
        styles = "xl/styles.xml"

        def rel(name: str, attrs: dict[str, str]) -> None:
            nonlocal shared, styles
            if _local(name) == "Relationship":
                target = attrs.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                path = posixpath.normpath(path)
                targets[attrs.get("Id", "")] = path
                kind = attrs.get("Type", "")
                if kind.endswith("/sharedStrings"):
                    shared = path
                elif kind.endswith("/styles"):
                    styles = path

        with archive.open(_MAIN_RELS) as fh:
            _parse(fh, rel, lambda name: None)

        def book(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                self.sheets[attrs.get("name", "")] = targets.get(rid, "")
            elif local == "workbookPr":
                self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")

        with archive.open("xl/workbook.xml") as fh:
            _parse(fh, book, lambda name: None)
        self.strings = self._strings(shared) if shared in archive.NameToInfo else []
        self.dates, self.durations = (
            self._styles(styles) if styles in archive.NameToInfo else (set(), set())
        )

    def _strings(self, part: str) -> list[str]:
        """Each <si>: its text, or the text of its runs (<r><t>), not phonetic hints (<rPh>)."""
        strings: list[str] = []
        parts: list[str] = []
        state = {"t": False, "rph": 0}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "t" and not state["rph"]:
                state["t"] = True
            elif local == "rPh":
                state["rph"] += 1

        def end(name: str) -> None:
            local = _local(name)
            if local == "t":
                state["t"] = False
            elif local == "rPh":
                state["rph"] -= 1
            elif local == "si":
                strings.append("".join(parts).replace("x005F_", ""))
                parts.clear()

        def text(data: str) -> None:
            if state["t"]:
                parts.append(data)

        with self.archive.open(part) as fh:
            _parse(fh, start, end, text)
        return strings

    def _styles(self, part: str) -> tuple[set[int], set[int]]:
        """The cell styles (indexes of cellXfs) whose number format is a date, a duration."""
        from openpyxl.styles.numbers import (
            BUILTIN_FORMATS,
            is_date_format,
            is_timedelta_format,
        )

        custom: dict[int, str] = {}
        xfs: list[int] = []
        depth = {"cellXfs": 0}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "numFmt":
                custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
            elif local == "cellXfs":
                depth["cellXfs"] += 1
            elif local == "xf" and depth["cellXfs"]:
                xfs.append(int(attrs.get("numFmtId", "0")))

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                depth["cellXfs"] -= 1

        with self.archive.open(part) as fh:
            _parse(fh, start, end)
        dates: set[int] = set()
        durations: set[int] = set()
        for index, fmt_id in enumerate(xfs):
            fmt = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id)
            if is_date_format(fmt):
                dates.add(index)
            if is_timedelta_format(fmt):
                durations.add(index)
        return dates, durations


def _column(ref: str, cache: dict[str, int] = {}) -> int:  # noqa: B006 - a cache on purpose
    letters = ref.rstrip("0123456789")
    found = cache.get(letters)
    if found is None:
        found = 0
        for char in letters.upper():
            found = found * 26 + ord(char) - 64
        cache[letters] = found
    return found


class _SheetParser:
    """expat's handlers for one sheet: its rows as (row number, cells), each row as long as
    its last cell, collected in ``done``."""

    def __init__(self, book: _Workbook) -> None:
        from openpyxl.utils.datetime import (
            CALENDAR_MAC_1904,
            CALENDAR_WINDOWS_1900,
            from_excel,
            from_ISO8601,
        )

        self.from_excel = from_excel
        self.from_iso = from_ISO8601
        self.epoch = CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900
        self.shared, self.dates, self.durations = book.strings, book.dates, book.durations
        self.done: list[tuple[int, list[Cell]]] = []
        self.row: dict[int, Cell] = {}
        self.row_number = 0
        # The cell being read: column, type, style, <v> text, inline string parts.
        self.col = 0
        self.type = "n"
        self.style = 0
        self.v: str | None = None
        self.inline: list[str] | None = None
        self.inside = ""  # the element whose text is being collected: "v", "t" or none
        self.rph = 0  # inside phonetic runs (<rPh>), whose text is not the cell's
        self.parts: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name if ":" not in name else _local(name)
        if local == "c":
            ref = attrs.get("r")
            self.col = _column(ref) if ref else self.col + 1
            self.type = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.v = self.inline = None
        elif local == "v":
            self.inside = "v"
            self.parts.clear()
        elif local == "row":
            ref = attrs.get("r")
            self.row_number = int(ref) if ref else self.row_number + 1
            self.col = 0
            self.row.clear()
        elif local == "is":
            self.inline = []
        elif local == "t" and self.inline is not None and not self.rph:
            self.inside = "t"
            self.parts.clear()
        elif local == "rPh":
            self.rph += 1

    def end(self, name: str) -> None:
        local = name if ":" not in name else _local(name)
        if local == "c":
            self.row[self.col] = self._value()
        elif local == "v":
            self.v = "".join(self.parts) or None
            self.inside = ""
        elif local == "t" and self.inside == "t":
            assert self.inline is not None
            self.inline.append("".join(self.parts))
            self.inside = ""
        elif local == "rPh":
            self.rph -= 1
        elif local == "row":
            row = self.row
            width = max(row) if row else 0
            self.done.append((self.row_number, [row.get(c) for c in range(1, width + 1)]))

    def text(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)

    def _value(self) -> Cell:
        kind, value = self.type, self.v
        if kind == "inlineStr":
            inline = self.inline
            return "".join(inline) if inline is not None else None
        if value is None:
            return None
        if kind == "n":
            return self._number(value)
        if kind == "s":
            return self.shared[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            moment: Cell = self.from_iso(value)
            return moment
        return value  # str (a formula's text), e (an error such as #N/A)

    def _number(self, value: str) -> Cell:
        number: int | float = (
            float(value) if "." in value or "E" in value or "e" in value else int(value)
        )
        if self.style in self.dates:
            try:
                moment: Cell = self.from_excel(
                    number, self.epoch, timedelta=self.style in self.durations
                )
            except (OverflowError, ValueError):
                return "#VALUE!"
            return moment
        return number


def _sheet_rows_of(book: _Workbook, part: str) -> Iterator[tuple[int, list[Cell]]]:
    """The sheet's rows as (row number, cells), each row as long as its last cell."""
    sheet = _SheetParser(book)
    done = sheet.done
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = sheet.start
    parser.EndElementHandler = sheet.end
    parser.CharacterDataHandler = sheet.text
    try:
        with book.archive.open(part) as fh:
            while data := fh.read(1 << 20):
                parser.Parse(data, False)
                if done:
                    yield from done
                    done.clear()
            parser.Parse(b"", True)
    except (xml.parsers.expat.ExpatError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refused(f"不是有效的 .xlsx 工作簿（{type(exc).__name__}）") from None
    yield from done


def _open_xlsx(source: Source, sheet: str | None) -> Table:
    try:
        archive = zipfile.ZipFile(_open(source))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refused(f"不是有效的 .xlsx 工作簿（{type(exc).__name__}）") from None
    try:
        try:
            book = _Workbook(archive)
        except (
            zipfile.BadZipFile,
            KeyError,
            OSError,
            ValueError,
            xml.parsers.expat.ExpatError,
        ) as exc:
            raise _refused(f"不是有效的 .xlsx 工作簿（{type(exc).__name__}）") from None
        names = list(book.sheets)
        if not names:
            raise _refused("不是有效的 .xlsx 工作簿（没有工作表）")
        if sheet is not None and sheet not in names:
            raise _refused(f"工作簿中没有名为「{sheet}」的工作表（有：{'、'.join(names)}）")
        title = sheet if sheet is not None else names[0]
        part = book.sheets[title]
        if part not in archive.NameToInfo:
            raise _refused("不是有效的 .xlsx 工作簿（KeyError）")
        with archive.open(part) as fh:
            found = _DIMENSION.search(fh.read(65536))
        total = None
        if found:
            last = _ROW_OF.search(found.group(1).decode().split(":")[-1])
            total = int(last.group(1)) if last else None
    except BaseException:
        archive.close()
        raise
    return Table(
        format="xlsx",
        encoding=None,
        sheet=title,
        rows_total=total - 1 if total and total > 1 else None,
        exact_width=False,
        rows=_sheet_rows_of(book, part),
        _close=[archive.close],
    )


# ---------------------------------------------------------------------------------- check


def validate_file(
    kind: str,
    source: Source,
    filename: str = "",
    encoding: str | None = None,
    sheet: str | None = None,
    divisions: frozenset[str] | None = None,
    taken: tuple[frozenset[str], str] | None = None,
) -> tuple[Table, list[tuple[Any, ...]]]:
    """Read and validate a whole (small) file at once: the CLI's ``check``, tests. Raises
    ImportRejected with every error (the first 1,000 listed)."""
    from registry.domain.imports import KINDS, validate_all

    table = open_table(source, filename, encoding, sheet)
    try:
        return table, validate_all(KINDS[kind], table.rows, divisions, taken, table.exact_width)
    finally:
        table.close()
