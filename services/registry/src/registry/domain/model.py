"""Registry domain: market entities and inspectors, parsed and validated from CSV rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from spotcheck_common import uscc
from spotcheck_common.events.registry import (
    CheckItem,
    EntitySnapshot,
    ExpertSnapshot,
    InspectorSnapshot,
)
from spotcheck_common.events.types import EntityStatus, RiskClass

STATUS_BY_LABEL = {
    "存续": EntityStatus.ACTIVE,
    "在业": EntityStatus.ACTIVE,
    "注销": EntityStatus.DEREGISTERED,
    "吊销": EntityStatus.REVOKED,
    "撤销": EntityStatus.CANCELLED,
    "迁出": EntityStatus.MOVED_OUT,
}
TRUE_LABELS = {"是", "1", "true", "yes", "y"}
FALSE_LABELS = {"否", "0", "false", "no", "n", ""}

ENTITY_COLUMNS = {
    "统一社会信用代码": "uscc",
    "名称": "name",
    "主体类型": "entity_type",
    "行业": "industry",
    "区域": "area",
    "风险等级": "risk_class",
    "状态": "status",
    "住所": "address",
}
INSPECTOR_COLUMNS = {
    "执法人员编号": "inspector_id",
    "姓名": "name",
    "科室": "department",
    "检查资格": "qualifications",
    "可任组长": "leader_qualified",
    "执法证有效期至": "certificate_expires_on",
    "在岗": "active",
}
EXPERT_COLUMNS = {
    "专家编号": "expert_id",
    "姓名": "name",
    "专业领域": "field",
    "工作单位": "organization",
    "在库": "active",
}

# 抽查事项清单 (DESIGN.md §2): required columns, then optional ones (empty when absent).
CHECK_ITEM_COLUMNS = {
    "事项编号": "code",
    "抽查类别": "category",
    "抽查事项": "name",
    "检查对象": "target_type",
    "事项类别": "item_class",
    "检查方式": "method",
    "检查主体": "inspecting_body",
    "检查依据": "legal_basis",
}
CHECK_ITEM_OPTIONAL = {
    "抽查比例": "ratio",
    "抽查频次": "frequency",
    "检查人员要求": "inspector_requirements",
}
ITEM_CLASS_BY_LABEL = {"一般": "general", "重点": "key"}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"第{self.line}行，字段「{self.field}」：{self.reason}"


class ImportRejected(Exception):
    """The file has errors; nothing of it is imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def _text(value: str, _: Any = None) -> str:
    if not value.strip():
        raise ValueError("不能为空")
    return value.strip()


def _uscc(value: str, _: Any = None) -> str:
    code = value.strip().upper()
    reason = uscc.validate(code)
    if reason:
        raise ValueError(reason)
    return code


def _risk(value: str, _: Any = None) -> RiskClass:
    try:
        return RiskClass(value.strip().upper())
    except ValueError:
        raise ValueError("应为 A、B、C、D、E 之一") from None


def _status(value: str, _: Any = None) -> EntityStatus:
    label = value.strip()
    if label in STATUS_BY_LABEL:
        return STATUS_BY_LABEL[label]
    try:
        return EntityStatus(label)
    except ValueError:
        raise ValueError(f"应为 {'、'.join(STATUS_BY_LABEL)} 之一") from None


def _bool(value: str, _: Any = None) -> bool:
    label = value.strip().lower()
    if label in TRUE_LABELS:
        return True
    if label in FALSE_LABELS:
        return False
    raise ValueError("应为 是 或 否")


def _date(value: str, _: Any = None) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("日期格式应为 YYYY-MM-DD") from None


def _item_class(value: str, _: Any = None) -> str:
    label = value.strip()
    if label in ITEM_CLASS_BY_LABEL:
        return ITEM_CLASS_BY_LABEL[label]
    if label in ITEM_CLASS_BY_LABEL.values():
        return label
    raise ValueError("应为 一般 或 重点")


def _list(value: str, _: Any = None) -> list[str]:
    return [part.strip() for part in value.replace("；", ";").split(";") if part.strip()]


ENTITY_PARSERS: dict[str, Callable[[str], Any]] = {
    "uscc": _uscc,
    "name": _text,
    "entity_type": _text,
    "industry": _text,
    "area": _text,
    "risk_class": _risk,
    "status": _status,
    "address": lambda v: v.strip(),
}
INSPECTOR_PARSERS: dict[str, Callable[[str], Any]] = {
    "inspector_id": _text,
    "name": _text,
    "department": _text,
    "qualifications": _list,
    "leader_qualified": _bool,
    "certificate_expires_on": _date,
    "active": _bool,
}
EXPERT_PARSERS: dict[str, Callable[[str], Any]] = {
    "expert_id": _text,
    "name": _text,
    "field": _text,
    "organization": lambda v: v.strip(),
    "active": _bool,
}

CHECK_ITEM_PARSERS: dict[str, Callable[[str], Any]] = {
    "code": _text,
    "category": _text,
    "name": _text,
    "target_type": _text,
    "item_class": _item_class,
    "method": _text,
    "inspecting_body": _text,
    "legal_basis": _text,
    "ratio": lambda v: v.strip(),
    "frequency": lambda v: v.strip(),
    "inspector_requirements": lambda v: v.strip(),
}


def _header_name(cell: str) -> str:
    """``事项类别(一般/重点)`` and ``事项类别（一般/重点）`` name the column ``事项类别``."""
    name = cell.strip().lstrip("\ufeff")
    for paren in ("(", "（"):
        if paren in name:
            name = name.split(paren, 1)[0].strip()
    return name


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [RowError(1, "(文件)", f"不是 UTF-8 编码（第{exc.start}字节）")]
        ) from None


def _parse(
    data: bytes,
    columns: dict[str, str],
    parsers: dict[str, Callable[[str], Any]],
    key: str,
    build: Callable[[dict[str, Any]], Any],
    optional: dict[str, str] | None = None,
    taken: tuple[set[str], str] | None = None,
) -> list[Any]:
    reader = csv.reader(io.StringIO(_decode(data)))
    header = next(reader, None)
    if header is None:
        raise ImportRejected([RowError(1, "(表头)", "文件为空")])
    header = [h.strip() for h in header]
    if optional is not None:  # the item list's header may say 事项类别(一般/重点)
        header = [_header_name(h) for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRejected([RowError(1, c, "表头缺少该列") for c in missing])
    present = {**columns, **{c: f for c, f in (optional or {}).items() if c in header}}
    index = {present[c]: header.index(c) for c in present}
    label = {v: k for k, v in {**columns, **(optional or {})}.items()}
    errors: list[RowError] = []
    rows: list[Any] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            errors.append(RowError(line, "(整行)", f"应有{len(header)}列，实有{len(raw)}列"))
            continue
        values: dict[str, Any] = {}
        for field, parse in parsers.items():
            try:
                values[field] = parse(raw[index[field]] if field in index else "")
            except ValueError as exc:
                errors.append(RowError(line, label[field], str(exc)))
        if key in values:
            if values[key] in seen:
                errors.append(RowError(line, label[key], f"与第{seen[values[key]]}行重复"))
            seen[values[key]] = line
            if taken is not None and values[key] in taken[0]:
                errors.append(RowError(line, label[key], taken[1]))
        if len(values) == len(parsers):
            rows.append(build(values))
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, "(数据)", "没有数据行")])
    return rows


def parse_entities(data: bytes) -> list[EntitySnapshot]:
    return _parse(data, ENTITY_COLUMNS, ENTITY_PARSERS, "uscc", lambda v: EntitySnapshot(**v))


def parse_inspectors(data: bytes, expert_ids: set[str] | None = None) -> list[InspectorSnapshot]:
    """``expert_ids``: ids of the expert pool, which an inspector may not reuse."""
    return _parse(
        data,
        INSPECTOR_COLUMNS,
        INSPECTOR_PARSERS,
        "inspector_id",
        lambda v: InspectorSnapshot(**v),
        taken=(expert_ids, "已是专家库中专家的编号（执法人员与专家编号不得相同）")
        if expert_ids
        else None,
    )


def parse_experts(data: bytes, inspector_ids: set[str] | None = None) -> list[ExpertSnapshot]:
    """The expert pool (专家库): every row valid, ids unique and not an inspector's id (a
    conflict of interest names either by id), or nothing."""
    return _parse(
        data,
        EXPERT_COLUMNS,
        EXPERT_PARSERS,
        "expert_id",
        lambda v: ExpertSnapshot(**v),
        taken=(inspector_ids, "已是执法检查人员的编号（执法人员与专家编号不得相同）")
        if inspector_ids
        else None,
    )


def parse_check_items(data: bytes) -> list[CheckItem]:
    """The spot-check item list (抽查事项清单): every row valid, codes unique, or nothing."""
    return _parse(
        data,
        CHECK_ITEM_COLUMNS,
        CHECK_ITEM_PARSERS,
        "code",
        lambda v: CheckItem(**v),
        optional=CHECK_ITEM_OPTIONAL,
    )


def to_csv(columns: dict[str, str], records: Iterable[dict[str, Any]]) -> bytes:
    """Write records back in the import format (used for demo data and exports)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(columns))
    for record in records:
        writer.writerow([record[field] for field in columns.values()])
    return out.getvalue().encode()
