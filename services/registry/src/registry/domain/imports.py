"""Import files (导入): the columns of each list, header mapping, row validation, the error cap.

Pure rules, no I/O. A reader (``registry.adapters.files``) yields each row as a line number and
its cells, as the file holds them: text from a CSV file; text, numbers, dates and booleans from
an .xlsx workbook. Everything here turns cells into validated values or into errors naming line,
column and reason. The same column definitions make the downloadable templates and the docs.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from spotcheck_common import objects
from spotcheck_common import uscc as uscc_rules
from spotcheck_common.errors import Corrupted, Invalid
from spotcheck_common.events.planning import AGENCY_CODE_PATTERN
from spotcheck_common.objects import ObjectKind

# A cell as a reader hands it over: CSV gives text; .xlsx gives what Excel stored.
Cell = str | int | float | bool | date | datetime | time | None

MAX_ERRORS = 1000  # errors listed in full; the rest are counted

STATUS_BY_LABEL = {
    "存续": "active",
    "在业": "active",
    "注销": "deregistered",
    "吊销": "revoked",
    "撤销": "cancelled",
    "迁出": "moved_out",
}
STATUS_VALUES = frozenset(STATUS_BY_LABEL.values())
RISK_CLASSES = ("A", "B", "C", "D", "E")
TRUE_LABELS = {"是", "1", "true", "yes", "y", "√"}
FALSE_LABELS = {"否", "0", "false", "no", "n", ""}
ITEM_CLASS_BY_LABEL = {"一般": "general", "重点": "key"}


# ------------------------------------------------------------------------------------- cells


def cell_text(value: Cell) -> str:
    """A cell as the text a person sees: numbers without a trailing ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    return value.isoformat()


def _fits(column: Column, value: Any) -> None:
    width = column.max_length
    if width is not None and isinstance(value, str) and len(value) > width:
        raise ValueError(f"长度不能超过 {width} 个字符（实有 {len(value)} 个）")


def _text(value: Cell) -> str:
    text = _optional_text(value)
    if not text:
        raise ValueError("不能为空")
    return text


def _optional_text(value: Cell) -> str:
    text = cell_text(value).strip()
    if "\x00" in text:  # PostgreSQL's text cannot hold it (a damaged file)
        raise ValueError("含不可见字符（U+0000）")
    return text


_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u3000"}


def normalize_uscc(value: Cell) -> str:
    """Upper-cased, surrounding ASCII spaces dropped; refuses a number cell (Excel keeps only
    15 digits of it), full-width and invisible characters, a bad length or check character."""
    if isinstance(value, float):
        raise ValueError("单元格是数字格式，统一社会信用代码会丢失位数：请将该列设为文本后重新填写")
    text = cell_text(value).strip(" \t\r\n")
    for char in text:
        if char in _INVISIBLE or (not char.isprintable() and char != " "):
            raise ValueError(f"含不可见字符（U+{ord(char):04X}）")
        if not char.isascii():
            kind = "全角字符" if "\uff01" <= char <= "\uff5e" else "非法字符"
            raise ValueError(f"含{kind}「{char}」")
    code = text.upper()
    reason = uscc_rules.validate(code)
    if reason:
        raise ValueError(reason)
    return code


def division_of(code: str) -> str:
    """The registering authority's administrative-division code: USCC characters 3–8."""
    return code[2:8]


_DIVISION = operator.itemgetter(slice(2, 8))  # division_of, for map()


def _risk(value: Cell) -> str:
    label = cell_text(value).strip().upper()
    if label not in RISK_CLASSES:
        raise ValueError("应为 A、B、C、D、E 之一")
    return label


def _status(value: Cell) -> str:
    label = cell_text(value).strip()
    if label in STATUS_BY_LABEL:
        return STATUS_BY_LABEL[label]
    if label in STATUS_VALUES:
        return label
    raise ValueError(f"应为 {'、'.join(STATUS_BY_LABEL)} 之一")


def _bool(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    label = cell_text(value).strip().lower()
    if label in TRUE_LABELS:
        return True
    if label in FALSE_LABELS:
        return False
    raise ValueError("应为 是 或 否")


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(value: Cell) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(cell_text(value).strip())
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            raise ValueError("不是有效日期") from None
    raise ValueError("日期格式应为 YYYY-MM-DD（或 Excel 日期单元格）")


def _item_class(value: Cell) -> str:
    label = cell_text(value).strip()
    if label in ITEM_CLASS_BY_LABEL:
        return ITEM_CLASS_BY_LABEL[label]
    if label in ITEM_CLASS_BY_LABEL.values():
        return label
    raise ValueError("应为 一般 或 重点")


_AGENCY_CODE = re.compile(AGENCY_CODE_PATTERN)


def _agency(value: Cell) -> str:
    code = cell_text(value).strip().lower()
    if not _AGENCY_CODE.match(code):
        raise ValueError("应为 2–31 位小写字母、数字或连字符，以字母开头，如 tax、eco")
    return code


def _list(value: Cell) -> list[str]:
    text = cell_text(value).replace("；", ";")
    return [part.strip() for part in text.split(";") if part.strip()]


# Fast paths for a text cell (every cell of a CSV file). Each returns what its column's
# ``parse`` returns for a good cell and raises on anything else, whatever it is: the row is
# then read again by ``parse``, which names the reason. They never accept what ``parse``
# refuses.


def _fast_uscc(text: str) -> str:
    text = text.strip(" \t\r\n")
    if not text.isascii():  # before upper(): some non-ASCII letters upper-case to ASCII
        raise ValueError
    code = text.upper()
    if not uscc_rules.is_valid(code):
        raise ValueError
    return code


def _fast_text(text: str) -> str:
    text = text.strip()
    if not text or "\x00" in text:
        raise ValueError
    return text


def _fast_optional_text(text: str) -> str:
    text = text.strip()
    if "\x00" in text:
        raise ValueError
    return text


_RISK_SET = frozenset(RISK_CLASSES)


def _fast_risk(text: str) -> str:
    label = text.strip().upper()
    if label not in _RISK_SET:
        raise ValueError
    return label


_STATUS_FAST = {**{v: v for v in STATUS_VALUES}, **STATUS_BY_LABEL}


def _fast_status(text: str) -> str:
    return _STATUS_FAST[text.strip()]


# The same, for a whole column of a block of text rows at once: the column's values, or None
# when any cell is not plainly good (the block is then read row by row). Every step is a
# C-level map over the column: an import checks a million rows.

_WS = " \t\r\n"


def _many_uscc(cells: Sequence[str]) -> list[str] | None:
    texts = list(map(str.strip, cells, itertools.repeat(_WS)))
    if not "".join(texts).isascii():  # before upper(): see _fast_uscc
        return None
    codes = list(map(str.upper, texts))
    return codes if uscc_rules.all_valid(codes) else None


def _many_text(cells: Sequence[str]) -> list[str] | None:
    texts = list(map(str.strip, cells))
    if not all(texts) or "\x00" in "".join(texts):
        return None
    return texts


def _many_optional_text(cells: Sequence[str]) -> list[str] | None:
    texts = list(map(str.strip, cells))
    return None if "\x00" in "".join(texts) else texts


def _many_risk(cells: Sequence[str]) -> list[str] | None:
    labels = list(map(str.upper, map(str.strip, cells)))
    return labels if _RISK_SET.issuperset(labels) else None


def _many_status(cells: Sequence[str]) -> list[str] | None:
    values = list(map(_STATUS_FAST.get, map(str.strip, cells)))
    return None if None in values else values  # type: ignore[return-value]


# ----------------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    label: str  # the Chinese header, as in the templates
    field: str  # the English name: the field in events and tables, accepted as a header too
    parse: Callable[[Cell], Any]
    accepts: str  # what the cell may hold (templates, docs)
    example: str
    header_required: bool = True  # the header must name the column (its value may be empty)
    text_cell: bool = False  # templates format the column as text (Excel would eat digits)
    date_cell: bool = False
    # ``parse`` for a text cell, faster; raises (anything) where ``parse`` might refuse.
    fast: Callable[[str], Any] | None = None
    # ``fast`` for a column of text cells; None where any cell might be refused.
    many: Callable[[Sequence[str]], list[Any] | None] | None = None
    value: str = "text"  # what ``parse`` returns: text (str), bool, date or list (of str)
    # The longest text the register keeps (its column's width); longer is refused, naming it.
    max_length: int | None = None


@dataclass(frozen=True)
class Kind:
    name: str  # URL segment: entities, inspectors, experts, check-items
    title: str  # 市场主体 …
    key: str  # the field that identifies a row
    columns: tuple[Column, ...]
    events_name: str = ""
    # A field that qualifies the key: a row is identified by (scope, key), e.g. an agency's
    # inspector by (agency, inspector_id).
    scope: str = ""
    # An object without a USCC (产品、项目、行为; ADR 0011): the row the register keeps, an
    # entity's fields and ``details`` (``OBJECT_ROW``), made from the file's values; its key
    # (``uscc``) is assigned, not read. None: the file's values are the row.
    derive: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    duplicate: str = "与第{line}行重复"  # a key seen before in the file, at ``line``

    @property
    def fields(self) -> tuple[str, ...]:
        """The file's columns' fields."""
        return tuple(c.field for c in self.columns)

    @property
    def stored(self) -> tuple[str, ...]:
        """The fields of each good row the validator hands over (what the register keeps)."""
        return OBJECT_ROW if self.derive else self.fields

    @property
    def stored_values(self) -> tuple[str, ...]:
        """What each of ``stored`` holds: text, bool, date, list or json (a dict)."""
        if self.derive:
            return ("text",) * (len(OBJECT_ROW) - 1) + ("json",)
        return tuple(c.value for c in self.columns)

    @property
    def key_column(self) -> str:
        """The column a duplicate is reported in: the key's, or (an object without a USCC,
        whose key is assigned) its first identifying column."""
        return self.columns[0].field if self.derive else self.key

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


ENTITIES = Kind(
    "entities",
    "市场主体",
    "uscc",
    (
        Column(
            "统一社会信用代码",
            "uscc",
            normalize_uscc,
            "18位，本区登记机关（第3–8位为本区行政区划代码）；小写字母自动转为大写",
            "91371071MA3C00001K",
            text_cell=True,
            fast=_fast_uscc,
            many=_many_uscc,
        ),
        Column(
            "名称",
            "name",
            _text,
            "必填",
            "威海华海商贸有限责任公司",
            fast=_fast_text,
            many=_many_text,
        ),
        Column(
            "主体类型",
            "entity_type",
            _text,
            "必填，如 有限责任公司、个体工商户",
            "有限责任公司",
            fast=_fast_text,
            many=_many_text,
        ),
        Column(
            "行业",
            "industry",
            _text,
            "必填，如 批发和零售业",
            "批发和零售业",
            fast=_fast_text,
            many=_many_text,
        ),
        Column(
            "区域",
            "area",
            _text,
            "必填，所属镇街或片区",
            "草庙子镇",
            fast=_fast_text,
            many=_many_text,
        ),
        Column(
            "风险等级",
            "risk_class",
            _risk,
            "A、B、C、D、E 之一（E 风险最高）",
            "B",
            fast=_fast_risk,
            many=_many_risk,
        ),
        Column(
            "状态",
            "status",
            _status,
            "存续、在业、注销、吊销、撤销、迁出 之一",
            "存续",
            fast=_fast_status,
            many=_many_status,
        ),
        Column(
            "住所",
            "address",
            _optional_text,
            "可为空",
            "山东省威海市临港区草庙子镇1号",
            fast=_fast_optional_text,
            many=_many_optional_text,
        ),
    ),
)

INSPECTORS = Kind(
    "inspectors",
    "执法检查人员",
    "inspector_id",
    (
        Column(
            "执法人员编号",
            "inspector_id",
            _text,
            "必填，不得与专家编号相同",
            "LG0001",
            text_cell=True,
        ),
        Column("姓名", "name", _text, "必填", "王伟"),
        Column("科室", "department", _text, "必填", "市场规范管理科"),
        Column(
            "检查资格",
            "qualifications",
            _list,
            "可为空；多项用分号（; 或 ；）分隔",
            "企业公示信息;双随机全部事项",
            value="list",
        ),
        Column("可任组长", "leader_qualified", _bool, "是 或 否", "是", value="bool"),
        Column(
            "执法证有效期至",
            "certificate_expires_on",
            _date,
            "日期：YYYY-MM-DD、YYYY/M/D 或 Excel 日期单元格",
            "2028-12-31",
            date_cell=True,
            value="date",
        ),
        Column("在岗", "active", _bool, "是 或 否", "是", value="bool"),
    ),
)

EXPERTS = Kind(
    "experts",
    "专家库",
    "expert_id",
    (
        Column(
            "专家编号", "expert_id", _text, "必填，不得与执法人员编号相同", "ZJ0001", text_cell=True
        ),
        Column("姓名", "name", _text, "必填", "李芳"),
        Column("专业领域", "field", _text, "必填，如 食品安全、特种设备", "食品安全"),
        Column("工作单位", "organization", _optional_text, "可为空", "市质检院"),
        Column("在库", "active", _bool, "是 或 否", "是", value="bool"),
    ),
)

# Inspectors of co-organising agencies (联合检查, 第三条). No 可任组长 column: an agency's
# inspector never leads a team of the bureau (谁检查、谁录入 falls to the bureau's own leader).
EXTERNAL_INSPECTORS = Kind(
    "external-inspectors",
    "联合检查单位执法人员",
    "inspector_id",
    (
        Column("单位代码", "agency", _agency, "必填，如 tax（税务）、eco（生态环境）", "tax"),
        Column("单位名称", "agency_name", _text, "必填", "临港区税务局"),
        Column(
            "执法人员编号",
            "inspector_id",
            _text,
            "必填，该单位内唯一；系统中记为 单位代码:编号",
            "SW0001",
            text_cell=True,
        ),
        Column("姓名", "name", _text, "必填", "赵敏"),
        Column(
            "检查资格",
            "qualifications",
            _list,
            "可为空；该单位检查事项的编号或名称，多项用分号（; 或 ；）分隔",
            "SW-01;SW-02",
            value="list",
        ),
        Column(
            "执法证有效期至",
            "certificate_expires_on",
            _date,
            "日期：YYYY-MM-DD、YYYY/M/D 或 Excel 日期单元格",
            "2028-12-31",
            date_cell=True,
            value="date",
        ),
        Column("在岗", "active", _bool, "是 或 否", "是", value="bool"),
    ),
    scope="agency",
)

CHECK_ITEMS = Kind(
    "check-items",
    "抽查事项清单",
    "code",
    (
        Column("事项编号", "code", _text, "必填，清单内唯一", "LG-GS-01", text_cell=True),
        Column("抽查类别", "category", _text, "必填", "企业公示信息"),
        Column("抽查事项", "name", _text, "必填", "企业公示信息抽查"),
        Column("检查对象", "target_type", _text, "必填", "企业"),
        Column("事项类别", "item_class", _item_class, "一般 或 重点", "一般"),
        Column("检查方式", "method", _text, "必填", "书面检查、实地核查"),
        Column("检查主体", "inspecting_body", _text, "必填", "临港区市场监管局"),
        Column("检查依据", "legal_basis", _text, "必填", "《企业信息公示暂行条例》第十四条"),
        Column("抽查比例", "ratio", _optional_text, "可选列，可为空", "3%", header_required=False),
        Column(
            "抽查频次",
            "frequency",
            _optional_text,
            "可选列，可为空",
            "每年1次",
            header_required=False,
        ),
        Column(
            "检查人员要求",
            "inspector_requirements",
            _optional_text,
            "可选列，可为空",
            "",
            header_required=False,
        ),
    ),
)

# The registers' column widths (adapters/orm.py): a longer text is refused, naming its cell
# (issue 12: a name of 150,000 characters was accepted, and a database error on PostgreSQL).
_WIDTHS = {
    "entities": {"name": 200, "entity_type": 50, "industry": 100, "area": 100, "address": 300},
    "inspectors": {"inspector_id": 50, "name": 100, "department": 100},
    "experts": {"expert_id": 50, "name": 100, "field": 100, "organization": 200},
    # <agency>:<id> fits a token's inspector_id claim (64 characters): 31 + 1 + 32.
    "external-inspectors": {"agency_name": 100, "inspector_id": 32, "name": 100},
    "check-items": {
        "code": 50,
        "category": 200,
        "name": 300,
        "target_type": 200,
        "method": 200,
        "inspecting_body": 200,
        "ratio": 200,
        "frequency": 200,
    },
}


def _with_widths(kind: Kind) -> Kind:
    widths = _WIDTHS[kind.name]
    columns = tuple(replace(c, max_length=widths.get(c.field)) for c in kind.columns)
    return replace(kind, columns=columns)


ENTITIES, INSPECTORS, EXPERTS, CHECK_ITEMS, EXTERNAL_INSPECTORS = map(
    _with_widths, (ENTITIES, INSPECTORS, EXPERTS, CHECK_ITEMS, EXTERNAL_INSPECTORS)
)


# ------------------------------------------------------------- objects without a USCC (第一条)

# What the register keeps of an object without a USCC: an entity's fields and its details.
OBJECT_ROW = (*ENTITIES.fields, "details")
# Where the object is: the entity's 住所, where the inspectors go.
_PLACE = {
    ObjectKind.PRODUCT: "sold_at",
    ObjectKind.PROJECT: "location",
    ObjectKind.CONDUCT: "place",
}
# Per field (``objects.FIELDS``): required, what the cell holds, an example, its width. The
# widths keep ``display_name`` within the name column's 200 characters.
_DETAILS: dict[str, tuple[bool, str, str, int | None]] = {
    "producer_uscc": (
        True,
        "必填，18位，生产者的统一社会信用代码（校验码须正确；可为外区企业）",
        "91371071MA3C00001K",
        None,
    ),
    "product_name": (True, "必填", "饮用天然矿泉水", 80),
    "brand": (False, "可为空（无商标时留空）", "临港泉", 40),
    "specification": (False, "可为空", "550mL/瓶", 40),
    "batch": (False, "可为空；同一产品的不同批次是不同的检查对象", "20261008", 30),
    "producer_name": (False, "可为空", "威海华海食品有限公司", 200),
    "sold_at": (False, "可为空；抽样地点，作为检查对象的地址", "临港区草庙子镇1号华海超市", 300),
    "project_code": (True, "必填；同一编号即同一项目", "LG-JS-2026-001", 50),
    "project_name": (True, "必填", "临港区草庙子镇农贸市场改造工程", 200),
    "owner": (False, "可为空", "威海华海建设有限公司", 200),
    "location": (False, "可为空；作为检查对象的地址", "临港区草庙子镇", 300),
    "activity": (True, "必填，如 户外广告发布、明码标价", "户外广告发布", 50),
    "place": (True, "必填；作为检查对象的地址", "临港区草庙子镇中心大街", 140),
    "period": (False, "可为空，如 2026年第三季度", "2026年第三季度", 50),
    "actor": (False, "可为空", "威海华海广告有限公司", 200),
}


def _detail_column(name: str, label: str) -> Column:
    required, accepts, example, width = _DETAILS[name]
    if name == "producer_uscc":
        return Column(
            label, name, normalize_uscc, accepts, example, text_cell=True, fast=_fast_uscc
        )
    if required:
        return Column(label, name, _text, accepts, example, fast=_fast_text, max_length=width)
    return Column(
        label, name, _optional_text, accepts, example, fast=_fast_optional_text, max_length=width
    )


def _object_row(kind: ObjectKind) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The register's row of an object: its assigned id (the same for the same identifying
    fields, import after import), a name for lists, the kind's label as its type, active."""
    names = [name for name, _ in objects.FIELDS[kind]]
    width = len(names)
    label = objects.LABELS[kind]
    place = _PLACE[kind]

    def derive(values: tuple[Any, ...]) -> tuple[Any, ...]:
        details = dict(zip(names, values[:width], strict=True))
        industry, area, risk_class = values[width:]
        code = objects.assigned_id(kind, details)
        name = objects.display_name(kind, details)
        return (code, name, label, industry, area, risk_class, "active", details[place], details)

    return derive


def _object_kind(name: str, kind: ObjectKind) -> Kind:
    """An import list of objects without a USCC: their fields, then 行业、区域、风险等级 as
    an entity has them (a task's target filter and ratios use them)."""
    fields = objects.FIELDS[kind]
    columns = tuple(_detail_column(n, label) for n, label in fields)
    shared = tuple(ENTITIES.column(f) for f in ("industry", "area", "risk_class"))
    key = "、".join(label for _, label in fields[: objects.KEY_FIELDS[kind]])
    title = objects.LABELS[kind]
    return Kind(
        name,
        title,
        "uscc",
        columns + shared,
        derive=_object_row(kind),
        duplicate=f"与第{{line}}行是同一{title}（{key}相同）",
    )


PRODUCTS = _object_kind("products", ObjectKind.PRODUCT)
PROJECTS = _object_kind("projects", ObjectKind.PROJECT)
CONDUCTS = _object_kind("conducts", ObjectKind.CONDUCT)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        ENTITIES,
        INSPECTORS,
        EXPERTS,
        CHECK_ITEMS,
        EXTERNAL_INSPECTORS,
        PRODUCTS,
        PROJECTS,
        CONDUCTS,
    )
}


# ------------------------------------------------------------------------------------ errors


@dataclass(frozen=True)
class RowError:
    line: int  # the line of a CSV file, the row of a sheet (the header is line 1)
    field: str  # the column's Chinese name, or (文件) / (表头) / (整行) / (数据)
    reason: str
    column: int | None = None  # 1-based position in the file, when one column is at fault

    def __str__(self) -> str:
        return f"第{self.line}行，字段「{self.field}」：{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "column_letter": column_letter(self.column) if self.column else None,
            "field": self.field,
            "reason": self.reason,
        }


def column_letter(number: int) -> str:
    """1 → A, 27 → AA: how a spreadsheet names the column."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


REJECTED = "导入被拒绝，文件中的任何一行都未导入"
INTERRUPTED = "导入中断，未导入任何数据"
FAILED = "导入失败（系统错误），未导入任何数据；请联系运维人员"


class ImportRejected(Invalid):
    """The file has errors; nothing of it is imported (422: ``errors_total`` and the first
    ``errors``, each with its line, column and field)."""

    def __init__(self, errors: Sequence[RowError], total: int | None = None) -> None:
        kept = list(errors)
        counted = total if total is not None else len(kept)
        super().__init__(REJECTED, errors_total=counted, errors=[e.as_dict() for e in kept])
        self.errors = kept
        self.total = counted

    def __str__(self) -> str:
        """The first errors, for a log or a terminal (the reason is the same for every file)."""
        return "; ".join(str(e) for e in self.errors[:5])


class ImportFailed(Corrupted):
    """The import broke for a reason of the system's own, not of the file (500); nothing of it
    is imported."""


@dataclass
class ErrorLog:
    """Every error counted, the first ``limit`` kept (line order, as the file is read)."""

    limit: int = MAX_ERRORS
    total: int = 0
    kept: list[RowError] = field(default_factory=list)

    def add(self, error: RowError) -> None:
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(error)

    def __bool__(self) -> bool:
        return self.total > 0

    def rejected(self) -> ImportRejected:
        return ImportRejected(self.kept, self.total)


# ------------------------------------------------------------------------------ the header


def header_name(cell: Cell) -> str:
    """``事项类别(一般/重点)``, ``事项类别（一般/重点）`` and `` 事项类别 `` name ``事项类别``;
    a leading BOM or ``*`` (required marker) is dropped."""
    name = cell_text(cell).strip().lstrip("\ufeff").strip().lstrip("*＊").strip()
    for paren in ("(", "（"):
        if paren in name:
            name = name.split(paren, 1)[0].strip()
    return name


def map_header(kind: Kind, header: Sequence[Cell]) -> tuple[dict[str, int], list[RowError]]:
    """The position of each known column (by Chinese name or English alias), or the errors."""
    by_name: dict[str, Column] = {}
    for column in kind.columns:
        by_name[column.label] = column
        by_name[column.field.lower()] = column
    index: dict[str, int] = {}
    errors: list[RowError] = []
    for position, cell in enumerate(header):
        name = header_name(cell)
        found = by_name.get(name) or by_name.get(name.lower())
        if found is None:
            continue  # other columns are allowed and ignored
        column = found
        if column.field in index:
            errors.append(
                RowError(
                    1,
                    column.label,
                    f"表头重复：第{index[column.field] + 1}列与第{position + 1}列",
                    position + 1,
                )
            )
            continue
        index[column.field] = position
    for column in kind.columns:
        if column.header_required and column.field not in index:
            errors.append(RowError(1, column.label, "表头缺少该列"))
    return index, errors


# ------------------------------------------------------------------------------ validation


class RowValidator:
    """Validates the rows of one file of ``kind``: each good row becomes a tuple of values in
    ``kind.stored`` order; each problem goes to ``errors``. Keys must be unique in the file;
    ``taken`` refuses keys another register uses; ``divisions`` (entities) refuses an entity
    registered outside the district."""

    def __init__(
        self,
        kind: Kind,
        header: Sequence[Cell],
        errors: ErrorLog,
        divisions: frozenset[str] | None = None,
        taken: tuple[frozenset[str], str] | None = None,
        exact_width: bool = True,
    ) -> None:
        self.kind = kind
        # CSV: every line has as many cells as the header (a stray comma shifts the columns).
        # A sheet: short rows are padded; only cells right of the header must be empty.
        self.exact_width = exact_width
        self.errors = errors
        self.divisions = divisions
        self.taken = taken
        self.index, header_errors = map_header(kind, header)
        for error in header_errors:
            errors.add(error)
        self.header_ok = not header_errors
        self.width = len(header)
        self._plan = [(c, self.index.get(c.field)) for c in kind.columns]
        self._key_at = kind.stored.index(kind.key)
        self._scope_at = kind.stored.index(kind.scope) if kind.scope else None
        self._key_label = kind.column(kind.key_column).label
        self._key_where = self.index.get(kind.key_column, -1) + 1
        self._derive = kind.derive
        self._fast = self._fast_reader()
        self._many = self._many_plan()
        self._widths = [c.max_length for c, _ in self._plan]
        self._seen: dict[Any, int] = {}
        self.rows = 0  # data rows read (blank rows are skipped, not counted)

    def _fast_reader(self) -> Callable[[Sequence[Cell]], tuple[Any, ...]] | None:
        """Every column's value from a row of text cells in one pass, or an exception: the
        common case of a good CSV row, without the per-cell type dispatch of ``parse``."""
        if not self.header_ok:
            return None
        positions: list[int] = []
        parsers: list[Callable[[Any], Any]] = []
        for column, position in self._plan:
            if position is None:
                return None  # an optional column the file lacks: the general path
            positions.append(position)
            parsers.append(column.fast or column.parse)
        cells_of = operator.itemgetter(*positions)
        call = operator.call

        def read(cells: Sequence[Cell]) -> tuple[Any, ...]:
            return tuple(map(call, parsers, cells_of(cells)))

        return read

    def _too_long(self, values: Sequence[Any]) -> bool:
        return any(
            width is not None and isinstance(value, str) and len(value) > width
            for value, width in zip(values, self._widths, strict=True)
        )

    def _many_plan(self) -> list[tuple[int, Callable[[Sequence[str]], list[Any] | None]]] | None:
        if not self.header_ok or self._derive is not None:  # derived rows: row by row
            return None
        plan = []
        for column, position in self._plan:
            if position is None or column.many is None:
                return None
            plan.append((position, column.many))
        return plan

    def block(self, lines: Sequence[int], rows: Sequence[Sequence[str]]) -> list[list[Any]] | None:
        """A block of text rows (a CSV file's) checked a column at a time: every column's
        values (``kind.fields`` order), or None, having changed nothing, when any row is not
        plainly good (blank, short, a bad cell, a duplicate, another district's...): the
        caller then reads the block row by row with :meth:`row`, which names the reasons.
        The same rows are accepted either way, with the same values."""
        plan = self._many
        if plan is None or not rows or set(map(len, rows)) != {self.width}:
            return None
        cells = list(zip(*rows, strict=True))
        columns: list[list[Any]] = []
        for (position, many), width in zip(plan, self._widths, strict=True):
            values = many(cells[position])
            if values is None or (width is not None and max(map(len, values)) > width):
                return None
            columns.append(values)
        keys = columns[self._key_at]
        divisions = self.divisions
        if (
            divisions is not None
            and self.kind is ENTITIES
            and not divisions.issuperset(map(_DIVISION, keys))
        ):
            return None
        if len(set(keys)) != len(keys) or not self._seen.keys().isdisjoint(keys):
            return None
        if self.taken is not None and not self.taken[0].isdisjoint(keys):
            return None
        self._seen.update(zip(keys, lines, strict=True))
        self.rows += len(rows)
        return columns

    def row(self, line: int, cells: Sequence[Cell]) -> tuple[Any, ...] | None:
        """The row's values, or None (its errors are in the log)."""
        if self._fast is not None and len(cells) == self.width:
            try:
                values = self._fast(cells)
            except Exception:
                values = None
            if values is not None and self._too_long(values):
                values = None  # the general path names the cell
            if values is not None:
                self.rows += 1
                if self._derive is not None:
                    values = self._derive(values)
                return values if self._key_ok(line, self._identity(values)) else None
        return self._row(line, cells)

    def _row(self, line: int, cells: Sequence[Cell]) -> tuple[Any, ...] | None:
        if not any(c is not None and cell_text(c).strip() for c in cells):
            return None
        self.rows += 1
        if len(cells) != self.width:
            extra = any(c is not None and cell_text(c).strip() for c in cells[self.width :])
            if self.exact_width or extra:
                self.errors.add(RowError(line, "(整行)", f"应有{self.width}列，实有{len(cells)}列"))
                return None
            cells = [*cells[: self.width], *([None] * (self.width - len(cells)))]
        values: list[Any] = []
        ok = True
        parsed: dict[str, Any] = {}
        for column, position in self._plan:
            cell = cells[position] if position is not None else None
            try:
                value = column.parse(cell)
                _fits(column, value)
            except ValueError as exc:
                self.errors.add(
                    RowError(
                        line, column.label, str(exc), position + 1 if position is not None else None
                    )
                )
                ok = False
                continue
            values.append(value)
            parsed[column.field] = value
        if self._derive is not None:
            if not ok:
                return None
            row = self._derive(tuple(values))
            return row if self._key_ok(line, self._identity(row)) else None
        identity = self._identity_of(parsed)
        if identity is not None and not self._key_ok(line, identity):
            ok = False
        return tuple(values) if ok else None

    def _identity(self, values: Sequence[Any]) -> Any:
        """What identifies a row: its key, or (scope, key)."""
        key = values[self._key_at]
        return key if self._scope_at is None else (values[self._scope_at], key)

    def _identity_of(self, parsed: dict[str, Any]) -> Any:
        """The identity of a row whose identifying cells parsed (else None)."""
        kind = self.kind
        if kind.key not in parsed or (kind.scope and kind.scope not in parsed):
            return None
        key = parsed[kind.key]
        return (parsed[kind.scope], key) if kind.scope else key

    def _key_ok(self, line: int, key: Any) -> bool:
        """The district check, duplicates in the file, keys another register uses."""
        ok = True
        where = self._key_where
        label = self._key_label
        divisions = self.divisions
        if divisions is not None and self.kind is ENTITIES and division_of(key) not in divisions:
            self.errors.add(
                RowError(
                    line,
                    label,
                    f"登记机关行政区划代码 {division_of(key)} 不属于本区"
                    f"（{'、'.join(sorted(divisions))}）",
                    where,
                )
            )
            ok = False
        first = self._seen.get(key)
        if first is not None:
            self.errors.add(RowError(line, label, self.kind.duplicate.format(line=first), where))
            ok = False
        else:
            self._seen[key] = line
        if self.taken is not None and key in self.taken[0]:
            self.errors.add(RowError(line, label, self.taken[1], where))
            ok = False
        return ok


def find_header(
    kind: Kind, rows: Iterator[tuple[int, Sequence[Cell]]], look_ahead: int = 10
) -> tuple[Sequence[Cell], list[tuple[int, Sequence[Cell]]]] | None:
    """The header row, and the non-blank rows read past it (``rows`` goes on after them).
    Blank rows before it are skipped, and so are title rows (a sheet often starts with a
    merged title such as 临港区市场主体名录): the header is the first of the first
    ``look_ahead`` non-blank rows that names every required column, else the first non-blank
    row (whose missing columns are then reported)."""
    seen: list[tuple[int, Sequence[Cell]]] = []
    for line, cells in rows:
        if any(c is not None and cell_text(c).strip() for c in cells):
            seen.append((line, cells))
            if not map_header(kind, cells)[1] or len(seen) >= look_ahead:
                break
    if not seen:
        return None
    chosen = next((i for i, (_, cells) in enumerate(seen) if not map_header(kind, cells)[1]), 0)
    return seen[chosen][1], seen[chosen + 1 :]


def split_header(
    kind: Kind, rows: Iterator[tuple[int, Sequence[Cell]]], look_ahead: int = 10
) -> tuple[Sequence[Cell], Iterator[tuple[int, Sequence[Cell]]]] | None:
    """The header row (see :func:`find_header`) and the rows after it."""
    found = find_header(kind, rows, look_ahead)
    if found is None:
        return None
    header, rest = found
    return header, itertools.chain(rest, rows)


def validate_all(
    kind: Kind,
    rows: Iterable[tuple[int, Sequence[Cell]]],
    divisions: frozenset[str] | None = None,
    taken: tuple[frozenset[str], str] | None = None,
    exact_width: bool = True,
) -> list[tuple[Any, ...]]:
    """Every row of a small file at once (the item list, the CLI, tests): the values, or
    ImportRejected with the errors."""
    errors = ErrorLog()
    found = split_header(kind, iter(rows))
    if found is None:
        raise ImportRejected([RowError(1, "(表头)", "文件为空")])
    header, iterator = found
    validator = RowValidator(kind, header, errors, divisions, taken, exact_width)
    if not validator.header_ok:
        raise errors.rejected()
    good = [v for v in (validator.row(line, cells) for line, cells in iterator) if v is not None]
    if errors:
        raise errors.rejected()
    if not good:
        raise ImportRejected([RowError(2, "(数据)", "没有数据行")])
    return good


def as_record(kind: Kind, values: Sequence[Any]) -> dict[str, Any]:
    """A validated row (``kind.stored`` order) by field."""
    return dict(zip(kind.stored, values, strict=True))


TAKEN_BY_EXPERTS = "已是专家库中专家的编号（执法人员与专家编号不得相同）"
TAKEN_BY_INSPECTORS = "已是执法检查人员的编号（执法人员与专家编号不得相同）"


# ---------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class MergeCounts:
    """What an import changed, computed where the rows are (in SQL for the registers)."""

    new: int
    updated: int
    unchanged: int
    updated_fields: dict[str, int]


def field_labels(kind: Kind) -> dict[str, str]:
    """The Chinese name of each field a report may count (an object's are its register's)."""
    labels = {c.field: c.label for c in kind.columns}
    if kind.derive is not None:
        return {**field_labels(ENTITIES), "details": "对象信息", **labels}
    return labels


def json_list(values: Sequence[str]) -> str:
    """A list cell (qualifications) as it is staged, stored and sent: compact JSON with the
    characters as they are, the bytes pydantic writes for the same list."""
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def json_object(values: Mapping[str, str]) -> str:
    """An object's details, the same way (its fields in ``objects.FIELDS`` order)."""
    return json.dumps(dict(values), ensure_ascii=False, separators=(",", ":"))
