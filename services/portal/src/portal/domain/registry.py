"""The registries on the console: what each import kind is called, how far a job has got, and a
page of a list the registry answers whole. Pure rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

# The registry's import kinds, in the bureau's words (the item list is imported on its page).
# Organisations of any registration authority (国家机关、事业单位、社会组织) come in the
# entities list; products, projects and conducts have lists of their own (第一条).
KINDS = {
    "entities": "市场主体",
    "products": "产品",
    "projects": "项目",
    "conducts": "行为",
    "inspectors": "执法检查人员",
    "experts": "专家库",
    "external-inspectors": "联合检查单位执法人员",
    "check-items": "抽查事项清单",
}
# 第三条: co-organising agencies' inspectors are an external roster (``<agency>:<id>``).
REGISTERS = (
    "entities",
    "products",
    "projects",
    "conducts",
    "inspectors",
    "experts",
    "external-inspectors",
)
FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNING = frozenset({"queued", "running"})
ENTITY_STATUS = {
    "active": "存续",
    "deregistered": "注销",
    "revoked": "吊销",
    "cancelled": "撤销",
    "moved_out": "迁出",
}
PAGE = 50

T = TypeVar("T")


def content_type(filename: str) -> str:
    """What the upload is, as the registry's import reads it (it also sniffs the bytes)."""
    return XLSX_TYPE if filename.lower().endswith((".xlsx", ".xlsm")) else "text/csv"


def percent_done(job: Mapping[str, Any]) -> int | None:
    """Rows read of the total, in percent; None while the total is unknown."""
    total = job.get("rows_total")
    if not total:
        return None
    return min(100, int(job.get("rows_read", 0) * 100 / total))


def is_running(job: Mapping[str, Any]) -> bool:
    return job.get("state") in RUNNING


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int = PAGE


def page_of(rows: Sequence[T], offset: int, limit: int = PAGE) -> Page[T]:
    """One page of a list the registry answers whole (inspectors, experts)."""
    offset = max(0, min(offset, max(len(rows) - 1, 0)))
    return Page(list(rows[offset : offset + limit]), len(rows), offset, limit)
