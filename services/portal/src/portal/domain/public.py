"""The public site's own rules, without I/O: the result search's filters and the links that
keep them, the CSV of a search, what an object's code looks like (a unified social credit code,
or the registry's id of a product, project or conduct), and where a draw stands in the
district's draw log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from spotcheck_common import objects
from spotcheck_common.events.types import ResultCategory
from spotcheck_common.uscc import ALPHABET

CATEGORIES = [c.value for c in ResultCategory]
USCC_LENGTH = 18
AREA_LENGTH = 100  # the publication API's limit
PAGE = 20

# What a log record says happened (draw-spec §14.6), in the bureau's words.
LOG_KINDS = {
    "frozen": "清单冻结",
    "committed": "提交种子承诺",
    "revealed": "揭示种子份额",
    "beacon": "录入外部信标",
    "assigned": "直接委派检查组",
    "drawn": "抽取结果产生",
    "countersigned": "办公室监督会签",
    "cancelled": "作废",
    "aborted": "中止",
    "replacement-approved": "批准调换人员",
    "replaced": "调换人员",
    "replacement-countersigned": "会签人员调换",
    "key-registered": "登记参与方密钥",
    "key-revoked": "吊销参与方密钥",
}

CSV_COLUMNS = [
    "公示记录编号",
    "统一社会信用代码",
    "主体名称",
    "区域",
    "抽查计划编号",
    "抽查计划名称",
    "抽查任务编号",
    "抽查任务名称",
    "检查类型",
    "检查机关",
    "完成日期",
    "检查事项",
    "检查结果",
    "待后续处理原因",
    "事项备注",
    "备注",
    "现行版本",
    "是否经更正",
    # Added with objects beyond market entities (ADR 0011): a product's, project's or
    # conduct's code goes here, never under 统一社会信用代码.
    "检查对象类型",
    "对象编码",
    "检查对象信息",
]


def is_object_code(text: str) -> bool:
    """A unified social credit code's shape (eighteen characters of its alphabet; the check
    digit is the registry's), or an id the registry assigned to a product, project or conduct."""
    code = text.strip().upper()
    is_uscc = len(code) == USCC_LENGTH and all(c in ALPHABET for c in code)
    return is_uscc or objects.is_assigned_id(code)


def has_uscc(code: str) -> bool:
    """The object code is an organisation's credit code (not a registry-assigned ``Z…`` id)."""
    return not code.upper().startswith(objects.NAMESPACE)


def _object_columns(r: Mapping[str, Any]) -> list[str]:
    """统一社会信用代码 for an organisation; else the object's kind, code and fields."""
    if r.get("has_uscc", True):
        return [r["uscc"], r.get("object_kind_label", ""), "", ""]
    fields = "；".join(f"{f['label']}：{f['value']}" for f in r["object_fields"] if f["value"])
    return ["", r["object_kind_label"], r["uscc"], fields]


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ResultFilters:
    """What the public searched for: kept in every link of the page (paging, CSV)."""

    q: str = ""
    uscc: str = ""
    task_no: str = ""
    category: str = ""
    date_from: str = ""
    date_to: str = ""
    area: str = ""  # 区域, as the registry records it (exact)

    @classmethod
    def of(cls, params: Mapping[str, str]) -> ResultFilters:
        """From the page's query string; an unknown category or a date that is not one is
        dropped (the form offers only valid ones)."""
        category = params.get("category", "")
        return cls(
            q=params.get("q", "").strip()[:100],
            uscc=params.get("uscc", "").strip().upper()[:USCC_LENGTH],
            task_no=params.get("task_no", "").strip()[:100],
            category=category if category in CATEGORIES else "",
            date_from=params.get("from", "") if _date(params.get("from", "")) else "",
            date_to=params.get("to", "") if _date(params.get("to", "")) else "",
            area=params.get("area", "").strip()[:AREA_LENGTH],
        )

    def query(self) -> dict[str, str]:
        """The non-empty filters, named as the page and the publication API name them."""
        names = {"date_from": "from", "date_to": "to"}
        return {names.get(k, k): v for k, v in asdict(self).items() if v}

    def link(self, path: str, **extra: Any) -> str:
        """``path`` with the filters (and ``extra``), ready for another ``&name=value``."""
        return f"{path}?{urlencode({**self.query(), **extra})}&".replace("?&", "?")

    @property
    def entity(self) -> str:
        """The object code the search names alone (the object's own page answers it), else ""."""
        only = {k for k, v in asdict(self).items() if v}
        if only == {"uscc"}:
            return self.uscc
        if only == {"q"} and is_object_code(self.q):
            return self.q.upper()
        return ""


def csv_bytes(results: Iterable[Mapping[str, Any]]) -> bytes:
    """One row per check item of each result's current version; UTF-8 with a BOM so that
    Excel opens it as Chinese text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        for item in r.get("results") or [{}]:
            code, kind, object_id, fields = _object_columns(r)
            writer.writerow(
                [
                    r["record_id"],
                    code,
                    r["entity_name"],
                    r.get("area", ""),
                    r.get("plan_no", ""),
                    r.get("plan_name", ""),
                    r["task_no"],
                    r["task_name"],
                    r.get("check_type", ""),
                    r.get("inspecting_authority", ""),
                    r["completed_on"],
                    item.get("check_item_name", ""),
                    item.get("category", ""),
                    item.get("pending_reason") or "",
                    item.get("remark", ""),
                    r.get("remark", ""),
                    r.get("current_version") or "",
                    "是" if r.get("corrected") else "否",
                    kind,
                    object_id,
                    fields,
                ]
            )
    return "\ufeff".encode() + out.getvalue().encode()


@dataclass(frozen=True)
class LogPlace:
    """One record of the district's draw log that concerns a draw."""

    seq: int
    kind: str
    kind_label: str
    at: str
    hash: str
    party: str


def log_places(log: Mapping[str, Any], draw_id: str) -> list[LogPlace]:
    """The records of ``draw_id`` in the district's log, in chain order."""
    places = []
    for entry in log.get("records", []):
        record = entry.get("record", {})
        if record.get("draw_id") != draw_id:
            continue
        kind = str(record.get("kind", ""))
        places.append(
            LogPlace(
                seq=int(record.get("seq", 0)),
                kind=kind,
                kind_label=LOG_KINDS.get(kind, kind),
                at=str(record.get("at", "")),
                hash=str(entry.get("hash", "")),
                party=str(record.get("party") or record.get("by") or ""),
            )
        )
    return sorted(places, key=lambda p: p.seq)


def pages(total: int, limit: int = PAGE) -> int:
    return max(1, (total + limit - 1) // limit)
