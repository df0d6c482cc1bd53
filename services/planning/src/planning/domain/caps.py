"""The yearly cap (第五条): an entity is drawn by random checks at most N times a year (2 by
default, configurable per risk class). Pure rules.

A task drawing ``ratio_bp`` (1/10000) of a class makes each entity of its scope expect
``ratio_bp / 10000`` draws. Before a task is approved, for each risk class it draws, the sum
of ``ratio_bp`` over the year's approved tasks whose target scopes overlap it (an empty filter
dimension means "all"), plus its own, must not exceed ``cap × 10000``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spotcheck_common.errors import DomainError
from spotcheck_common.events.planning import TargetFilter
from spotcheck_common.events.types import RiskClass

DEFAULT_CAP = 2
BP = 10_000


def overlaps(a: TargetFilter, b: TargetFilter) -> bool:
    """Two scopes share objects unless they target different kinds of object (ADR 0011) or
    some dimension names disjoint values in both."""
    if a.object_kind != b.object_kind:
        return False
    for dim in ("entity_types", "industries", "areas", "risk_classes"):
        x, y = set(getattr(a, dim)), set(getattr(b, dim))
        if x and y and not x & y:
            return False
    return True


def parse_caps(text: str, default: int = DEFAULT_CAP) -> dict[RiskClass, int]:
    """``"D=3,E=4"`` → a cap for every class (the ones not named get ``default``)."""
    caps = dict.fromkeys(RiskClass, default)
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            rc = RiskClass(key.strip().upper())
            cap = int(value)
        except ValueError:
            raise ValueError(
                f"年度抽查次数上限配置有误：「{part.strip()}」（应为 A=2,E=3）"
            ) from None
        if not sep or cap < 1:
            raise ValueError(f"年度抽查次数上限配置有误：「{part.strip()}」（上限至少为 1）")
        caps[rc] = cap
    return caps


@dataclass(frozen=True)
class Drawing:
    """What the cap looks at in a task."""

    task_id: str
    task_no: str
    target_filter: TargetFilter
    ratio_bp: Mapping[RiskClass, int]


@dataclass(frozen=True)
class Excess:
    risk_class: RiskClass
    cap: int
    task_bp: int
    approved: list[tuple[str, int]]  # (task_no, ratio_bp) of the overlapping approved tasks

    @property
    def limit_bp(self) -> int:
        return self.cap * BP

    @property
    def approved_bp(self) -> int:
        return sum(bp for _, bp in self.approved)

    @property
    def total_bp(self) -> int:
        return self.approved_bp + self.task_bp

    def as_dict(self) -> dict[str, object]:
        return {
            "risk_class": str(self.risk_class),
            "cap": self.cap,
            "limit_bp": self.limit_bp,
            "task_bp": self.task_bp,
            "approved_bp": self.approved_bp,
            "total_bp": self.total_bp,
            "tasks": [{"task_no": no, "ratio_bp": bp} for no, bp in self.approved],
        }

    def __str__(self) -> str:
        others = "、".join(f"{no}（{bp}）" for no, bp in self.approved) or "无"
        return (
            f"风险等级 {self.risk_class}：本年度已批准且抽取范围重叠的任务 {others} 合计 "
            f"{self.approved_bp}，加本任务 {self.task_bp} 共 {self.total_bp}，超过上限 "
            f"{self.cap} 次（{self.limit_bp}）"
        )


class YearlyCapExceeded(DomainError):
    """Approval refused (422): the task would draw some entities more often than allowed."""

    def __init__(self, year: int, excesses: list[Excess]) -> None:
        super().__init__(
            f"{year} 年度同一市场主体被抽中次数将超过上限，不能批准："
            + "；".join(map(str, excesses)),
            exceeded=[e.as_dict() for e in excesses],
        )
        self.excesses = excesses


def excesses(
    task: Drawing, approved: Iterable[Drawing], caps: Mapping[RiskClass, int]
) -> list[Excess]:
    """The classes for which ``task`` would push the year's overlapping total over the cap."""
    others = [
        a
        for a in approved
        if a.task_id != task.task_id and overlaps(a.target_filter, task.target_filter)
    ]
    found: list[Excess] = []
    for rc in RiskClass:
        own = task.ratio_bp.get(rc, 0)
        if own <= 0:
            continue
        counted = [(a.task_no, a.ratio_bp.get(rc, 0)) for a in others if a.ratio_bp.get(rc, 0) > 0]
        excess = Excess(rc, caps.get(rc, DEFAULT_CAP), own, sorted(counted))
        if excess.total_bp > excess.limit_bp:
            found.append(excess)
    return found
