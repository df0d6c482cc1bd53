"""The files of a "counted as done" report in the city bureau's format (docs/not-inspected-
report.md): an .xlsx workbook (title, the report's particulars, the header, one row per object)
and a CSV in UTF-8 with BOM (header and rows, for import). Pure functions of the report.

The workbook is written by hand (a handful of XML parts) rather than with a spreadsheet
library: every part and the ZIP entries' dates come from the report, so the same report gives
the same bytes, and the SHA-256 recorded at submission can be recomputed by anyone.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from xml.sax.saxutils import escape

from inspections.domain.reports import Item, Report, ReportKind
from spotcheck_common.clock import CHINA_TZ

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
SHEET_NAME = "视为完成抽查名单"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# (header, value, column width): the city bureau's columns after 序号.
COLUMNS: tuple[tuple[str, Callable[[Item], str], int], ...] = (
    ("统一社会信用代码", lambda i: i.uscc, 22),
    ("检查对象名称", lambda i: i.entity_name, 32),
    ("所属区域", lambda i: i.area, 14),
    ("任务编号", lambda i: i.task_no, 18),
    ("任务名称", lambda i: i.task_title, 30),
    ("情形", lambda i: i.reason_label, 30),
    ("情形发生日期", lambda i: _day(i.occurred_on), 13),
    ("检查日期", lambda i: _day(i.completed_on), 12),
    ("检查组长", lambda i: i.leader_name, 12),
    ("承办科室", lambda i: i.department, 22),
    ("备注", lambda i: i.remark, 30),
)
HEADER = ("序号", *(name for name, _, _ in COLUMNS))


def rows(report: Report) -> list[list[str]]:
    """One row per object, numbered from 1, in the report's order."""
    return [
        [str(n), *(value(item) for _, value, _ in COLUMNS)]
        for n, item in enumerate(report.items, start=1)
    ]


def particulars(report: Report) -> str:
    """The line under the title: who reports what, which version, when."""
    unit = report.department if report.kind is ReportKind.DEPARTMENT else "信用监管科（汇总）"
    version = f"第 {report.version} 版"
    if report.replaces:
        version += f"（更正 {report.replaces}：{report.correction_reason}）"
    at = report.submitted_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    who = report.submitted_by_name or report.submitted_by
    return (
        f"填报单位：{unit}　报送期间：{report.period.label}　{version}　"
        f"共 {len(report.items)} 个检查对象　报送人：{who}　报送时间：{at}　"
        f"编号：{report.report_id}"
    )


def to_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- xlsx -----------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot carry at all (a stray control character would corrupt the file).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Cell styles (styles.xml): 0 plain, 1 bold (title, header), 2 text ("@": Excel keeps an
# 18-character code as text, never 9.1E+17).
PLAIN, BOLD, TEXT = 0, 1, 2

CONTENT_TYPES = (
    DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
)
ROOT_RELS = (
    DECLARATION + f'<Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    DECLARATION + f'<Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/></Relationships>'
)
WORKBOOK = (
    DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
    f'<sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
STYLES = (
    DECLARATION + f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _column(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text_cell(ref: str, value: str, style: int) -> str:
    text = escape(_NOT_XML.sub("", value))
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _row(number: int, cells: list[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def _sheet(report: Report) -> str:
    last = _column(len(HEADER) - 1)
    lines = [
        _row(1, [_text_cell("A1", report.title, BOLD)]),
        _row(2, [_text_cell("A2", particulars(report), PLAIN)]),
        _row(3, [_text_cell(f"{_column(c)}3", h, BOLD) for c, h in enumerate(HEADER)]),
    ]
    for r, values in enumerate(rows(report), start=4):
        number, *texts = values
        cells = [f'<c r="A{r}"><v>{number}</v></c>']
        cells += [_text_cell(f"{_column(c)}{r}", v, TEXT) for c, v in enumerate(texts, start=1)]
        lines.append(_row(r, cells))
    widths = [6, *(width for _, _, width in COLUMNS)]
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
        for n, w in enumerate(widths, start=1)
    )
    return (
        DECLARATION + f'<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">'
        f'<dimension ref="A1:{last}{max(3, len(report.items) + 3)}"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f"<cols>{cols}</cols><sheetData>{''.join(lines)}</sheetData>"
        f'<mergeCells count="2"><mergeCell ref="A1:{last}1"/><mergeCell ref="A2:{last}2"/>'
        "</mergeCells></worksheet>"
    )


def to_xlsx(report: Report) -> bytes:
    """The workbook; its entries dated by the report's submission (China time), so the bytes
    depend on the report alone."""
    when = report.submitted_at.astimezone(CHINA_TZ)
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
        ("xl/worksheets/sheet1.xml", _sheet(report)),
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, text.encode("utf-8"))
    return out.getvalue()


FORMATS: dict[str, tuple[Callable[[Report], bytes], str]] = {
    "xlsx": (to_xlsx, XLSX_TYPE),
    "csv": (to_csv, CSV_TYPE),
}


def file_name(report: Report, fmt: str) -> str:
    unit = report.department if report.kind is ReportKind.DEPARTMENT else "汇总"
    period = f"{report.period.start:%Y%m%d}-{report.period.end:%Y%m%d}"
    return f"视为完成抽查名单_{unit}_{period}_第{report.version}版.{fmt}"
