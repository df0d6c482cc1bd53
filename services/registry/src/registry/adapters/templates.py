"""Downloadable import templates (导入模板), made from the same column definitions the import
reads: a CSV (UTF-8 with BOM, so Excel shows the Chinese header) and an .xlsx workbook whose
first sheet is the list to fill in and whose second sheet explains each column."""

from __future__ import annotations

import io

from registry.domain.imports import Kind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def header(kind: Kind) -> list[str]:
    return [c.label for c in kind.columns]


def template_csv(kind: Kind) -> bytes:
    return ("\ufeff" + ",".join(header(kind)) + "\r\n").encode("utf-8")


def template_xlsx(kind: Kind) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind.title
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for number, column in enumerate(kind.columns, start=1):
        cell = sheet.cell(row=1, column=number, value=column.label)
        cell.font, cell.fill = bold, fill
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.label) + 4)
        # Text columns stay text (Excel would turn an 18-digit code into 9.13711E+17), date
        # columns are dates; the formats apply to the rows people fill in.
        number_format = "@" if column.text_cell else ("yyyy-mm-dd" if column.date_cell else None)
        if number_format:
            for row in range(2, 1002):
                sheet.cell(row=row, column=number).number_format = number_format
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "英文名（也可作表头）", "是否必须有此列", "填写要求", "示例"])
    for cell in notes[1]:
        cell.font, cell.fill = bold, fill
    for column in kind.columns:
        notes.append(
            [
                column.label,
                column.field,
                "是" if column.header_required else "否（可选列）",
                column.accepts,
                column.example,
            ]
        )
    notes.append([])
    notes.append(
        [
            "说明",
            "",
            "",
            "只读取第一个工作表（或导入时以 sheet 参数指定的工作表）。"
            "任何一行有误则整个文件都不导入，错误报告指明行号、列和原因。",
        ]
    )
    for letter, width in zip("ABCDE", (18, 24, 16, 60, 34), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
