"""Annual plans (年度随机抽查工作计划) and their approval chain (第四条、第五条). Pure rules.

One plan per department and year; each adjustment during the year is a new version of the same
plan, and every version goes through the whole chain::

    draft ─submit─▶ submitted ─sign─▶ signed ─consolidate─▶ consolidated ─approve─▶ approved
      ▲               (分管局长签字)     (信用监管科汇总)      (局长办公会批准)          │
      │                                                                             file
      └──────────── reject (any step before publication; the reason is kept) ◀── filed (报市局备案)
                                                                                     │ publish
                                                           superseded ◀─adjust── published

Each step names the role that takes it; the role that would take the next step may instead
reject the version back to draft. Every transition keeps who, when and (for rejections and
adjustments) why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from spotcheck_common.errors import Conflict, DomainError, Forbidden, StaleWrite
from spotcheck_common.events.planning import AnnualPlanPublished, PlanItem
from spotcheck_common.roles import ROLE_LABELS, Role
from spotcheck_common.text import RequestModel

MAX_BP = 10_000


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SIGNED = "signed"
    CONSOLIDATED = "consolidated"
    APPROVED = "approved"
    FILED = "filed"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: "草稿",
    PlanStatus.SUBMITTED: "已报分管局长",
    PlanStatus.SIGNED: "分管局长已签字",
    PlanStatus.CONSOLIDATED: "信用监管科已汇总",
    PlanStatus.APPROVED: "局长办公会已批准",
    PlanStatus.FILED: "已报市局备案",
    PlanStatus.PUBLISHED: "已公示",
    PlanStatus.SUPERSEDED: "已被调整后的版本替代",
}


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    source: PlanStatus
    target: PlanStatus
    roles: tuple[Role, ...]


# The chain, in order. ``roles``: who takes the step (and who may reject at ``source``).
CHAIN = [
    Step(
        "submit", "报分管局长审签", PlanStatus.DRAFT, PlanStatus.SUBMITTED, (Role.SUPERVISING_DEPT,)
    ),
    Step(
        "sign", "分管局长审批签字", PlanStatus.SUBMITTED, PlanStatus.SIGNED, (Role.DEPUTY_DIRECTOR,)
    ),
    Step(
        "consolidate",
        "信用监管科汇总",
        PlanStatus.SIGNED,
        PlanStatus.CONSOLIDATED,
        (Role.CREDIT_DEPT,),
    ),
    Step(
        "approve",
        "局长办公会批准",
        PlanStatus.CONSOLIDATED,
        PlanStatus.APPROVED,
        (Role.DIRECTOR_MEETING,),
    ),
    Step("file", "报市局备案", PlanStatus.APPROVED, PlanStatus.FILED, (Role.CREDIT_DEPT,)),
    Step(
        "publish",
        "公示",
        PlanStatus.FILED,
        PlanStatus.PUBLISHED,
        (Role.CREDIT_DEPT, Role.GENERAL_OFFICE),
    ),
]
STEPS = {s.action: s for s in CHAIN}
NEXT_STEP = {s.source: s for s in CHAIN}
# A version in one of these states has passed the deputy director: it counts for coverage.
SIGNED_OR_LATER = frozenset(
    {
        PlanStatus.SIGNED,
        PlanStatus.CONSOLIDATED,
        PlanStatus.APPROVED,
        PlanStatus.FILED,
        PlanStatus.PUBLISHED,
    }
)
REJECTABLE = frozenset(s.source for s in CHAIN if s.source is not PlanStatus.DRAFT)


def roles_text(roles: Iterable[Role]) -> str:
    return "、".join(f"{ROLE_LABELS[r]}({r})" for r in roles)


class PlanInvalid(DomainError):
    """The plan's content breaks a rule (422); nothing is written."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(
            "年度抽查计划内容不符合要求："
            + "；".join(f"{e['field']}：{e['reason']}" for e in errors),
            errors=errors,
        )


class PlanTransitionRefused(Conflict):
    """The version is not in a state that allows this step (409)."""


class StalePlan(StaleWrite):
    """The plan version changed since it was read: another request got there first (409)."""

    def __init__(self) -> None:
        super().__init__("年度抽查计划已被他人同时修改，请刷新后重试")


class RoleRefused(Forbidden):
    """The acting user does not hold the role this step needs (403)."""


class CoverageIncomplete(DomainError):
    """Consolidation refused: some items of the current list are in no plan of the year."""


class PlanSpec(RequestModel):
    """A department's draft of its annual plan."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    plan_no: str = Field(min_length=1, max_length=50, description="计划编号（本区唯一）")
    plan_name: str = Field(min_length=1, max_length=200, description="计划名称")
    department: str = Field(min_length=1, max_length=100, description="制定计划的监管科室")
    year: int = Field(ge=2000, le=2100, description="计划年度")
    items: list[PlanItem] = Field(min_length=1, description="各抽查事项的范围、时间、比例")


def check_items(
    items: Sequence[PlanItem], year: int, listed: dict[str, str] | None
) -> list[dict[str, str]]:
    """The rules a plan's items meet; ``listed`` is the current item list (code → name)."""
    errors: list[dict[str, str]] = []
    if not items:
        errors.append({"field": "items", "reason": "至少需要 1 项"})
    for code, count in Counter(i.check_item_code for i in items).items():
        if count > 1:
            errors.append({"field": "items", "reason": f"抽查事项「{code}」重复"})
    for n, item in enumerate(items):
        where = f"items[{n}]"
        if item.period_from > item.period_to:
            errors.append({"field": where, "reason": "开始日期晚于结束日期"})
        if item.period_from.year != year or item.period_to.year != year:
            errors.append({"field": where, "reason": f"抽查时间应在 {year} 年内"})
        for rc, bp in item.ratio_bp.items():
            if not 0 <= bp <= MAX_BP:
                errors.append(
                    {"field": f"{where}.ratio_bp.{rc}", "reason": "应为 0..10000（万分之一）"}
                )
        if listed is not None and item.check_item_code not in listed:
            errors.append(
                {
                    "field": where,
                    "reason": f"抽查事项「{item.check_item_code}」不在现行抽查事项清单上",
                }
            )
    return errors


@dataclass(frozen=True)
class Transition:
    plan_id: str
    plan_version: int
    action: str
    from_status: str
    to_status: str
    actor: str
    at: datetime
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnnualPlan:
    """One version of a department's annual plan. ``row_version`` guards concurrent changes."""

    plan_id: str
    district: str
    plan_no: str
    plan_name: str
    department: str
    year: int
    plan_version: int
    items: list[PlanItem]
    created_by: str
    created_at: datetime
    status: PlanStatus = PlanStatus.DRAFT
    supersedes_version: int | None = None
    adjustment_reason: str = ""
    # action → {"by": user, "at": iso time, ...}: the current pass through the chain.
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    filed_on: date | None = None
    filing_ref: str = ""
    rejection_reason: str = ""
    updated_at: datetime | None = None
    row_version: int = 0
    new_transitions: list[Transition] = field(default_factory=list)

    @classmethod
    def draft(
        cls,
        spec: PlanSpec,
        *,
        plan_id: str,
        district: str,
        by: str,
        at: datetime,
        listed: dict[str, str] | None,
    ) -> AnnualPlan:
        errors = check_items(spec.items, spec.year, listed)
        if errors:
            raise PlanInvalid(errors)
        plan = cls(
            plan_id=plan_id,
            district=district,
            plan_no=spec.plan_no,
            plan_name=spec.plan_name,
            department=spec.department,
            year=spec.year,
            plan_version=1,
            items=list(spec.items),
            created_by=by,
            created_at=at,
            updated_at=at,
        )
        plan._record("draft", PlanStatus.DRAFT, PlanStatus.DRAFT, by, at)
        return plan

    # -- what happened ----------------------------------------------------------------

    def _record(
        self,
        action: str,
        source: PlanStatus,
        target: PlanStatus,
        by: str,
        at: datetime,
        reason: str = "",
        **details: Any,
    ) -> None:
        self.new_transitions.append(
            Transition(
                self.plan_id,
                self.plan_version,
                action,
                str(source),
                str(target),
                by,
                at,
                reason,
                details,
            )
        )
        self.updated_at = at

    def by(self, action: str) -> str:
        return str(self.steps.get(action, {}).get("by", ""))

    # -- the chain --------------------------------------------------------------------

    def take(
        self, action: str, by: str, roles: Iterable[Role], at: datetime, **details: Any
    ) -> None:
        """Take one step of the chain; refuses the wrong role (403) or state (409)."""
        step = STEPS[action]
        held = set(roles)
        if not held & set(step.roles):
            raise RoleRefused(f"「{step.label}」需要 {roles_text(step.roles)} 之一")
        if self.status is not step.source:
            raise PlanTransitionRefused(
                f"计划 {self.plan_no} 第 {self.plan_version} 版当前为"
                f"「{PLAN_STATUS_LABELS[self.status]}」，不能{step.label}",
                status=str(self.status),
            )
        source = self.status
        self.status = step.target
        self.steps[action] = {"by": by, "at": at.isoformat(), **_jsonable(details)}
        self._record(action, source, step.target, by, at, **details)

    def file(self, by: str, roles: Iterable[Role], at: datetime, filed_on: date, ref: str) -> None:
        """Filed with the city bureau (报市局备案): the filing date and reference are kept."""
        if not ref.strip():
            raise PlanInvalid([{"field": "filing_ref", "reason": "请填写市局备案文号或回执编号"}])
        if filed_on < self.created_at.date() or filed_on > at.date():
            raise PlanInvalid(
                [{"field": "filed_on", "reason": "备案日期应在计划制定之后、不晚于今天"}]
            )
        self.take("file", by, roles, at, filed_on=filed_on.isoformat(), filing_ref=ref.strip())
        self.filed_on = filed_on
        self.filing_ref = ref.strip()

    def reject(self, by: str, roles: Iterable[Role], at: datetime, reason: str) -> None:
        """The role that would take the next step sends the version back to draft."""
        if self.status not in REJECTABLE:
            raise PlanTransitionRefused(
                f"计划 {self.plan_no} 第 {self.plan_version} 版当前为"
                f"「{PLAN_STATUS_LABELS[self.status]}」，不能退回",
                status=str(self.status),
            )
        step = NEXT_STEP[self.status]
        if not set(roles) & set(step.roles):
            raise RoleRefused(f"当前环节为「{step.label}」，退回需要 {roles_text(step.roles)} 之一")
        if not reason.strip():
            raise PlanInvalid([{"field": "reason", "reason": "退回须说明理由"}])
        source = self.status
        self.status = PlanStatus.DRAFT
        self.steps = {}
        self.filed_on, self.filing_ref = None, ""
        self.rejection_reason = reason.strip()
        self._record("reject", source, PlanStatus.DRAFT, by, at, reason.strip(), step=step.action)

    def edit(
        self,
        by: str,
        at: datetime,
        items: Sequence[PlanItem] | None,
        plan_name: str | None,
        listed: dict[str, str] | None,
    ) -> None:
        """A draft (new, rejected, or an adjustment) may be changed before it is submitted."""
        if self.status is not PlanStatus.DRAFT:
            raise PlanTransitionRefused(
                f"计划 {self.plan_no} 第 {self.plan_version} 版当前为"
                f"「{PLAN_STATUS_LABELS[self.status]}」，只有草稿可以修改",
                status=str(self.status),
            )
        if items is not None:
            errors = check_items(items, self.year, listed)
            if errors:
                raise PlanInvalid(errors)
            self.items = list(items)
        if plan_name is not None:
            self.plan_name = plan_name
        self._record("edit", PlanStatus.DRAFT, PlanStatus.DRAFT, by, at)

    def adjusted(
        self,
        by: str,
        at: datetime,
        reason: str,
        items: Sequence[PlanItem] | None,
        plan_name: str | None,
        listed: dict[str, str] | None,
    ) -> AnnualPlan:
        """A new version (草稿) adjusting this published one (第四条 动态调整); this version
        stays published until the new one is, then it is marked superseded."""
        if self.status is not PlanStatus.PUBLISHED:
            raise PlanTransitionRefused(
                f"只有已公示的计划可以调整：计划 {self.plan_no} 第 {self.plan_version} 版当前为"
                f"「{PLAN_STATUS_LABELS[self.status]}」",
                status=str(self.status),
            )
        if not reason.strip():
            raise PlanInvalid([{"field": "reason", "reason": "调整计划须说明理由"}])
        new_items = list(items) if items is not None else list(self.items)
        errors = check_items(new_items, self.year, listed)
        if errors:
            raise PlanInvalid(errors)
        version = AnnualPlan(
            plan_id=self.plan_id,
            district=self.district,
            plan_no=self.plan_no,
            plan_name=plan_name or self.plan_name,
            department=self.department,
            year=self.year,
            plan_version=self.plan_version + 1,
            items=new_items,
            created_by=by,
            created_at=at,
            supersedes_version=self.plan_version,
            adjustment_reason=reason.strip(),
            updated_at=at,
        )
        version._record(
            "adjust",
            PlanStatus.DRAFT,
            PlanStatus.DRAFT,
            by,
            at,
            reason.strip(),
            supersedes_version=self.plan_version,
        )
        return version

    def supersede(self, by: str, at: datetime, new_version: int) -> None:
        if self.status is not PlanStatus.PUBLISHED:
            raise PlanTransitionRefused(f"计划第 {self.plan_version} 版不是已公示版本")
        self.status = PlanStatus.SUPERSEDED
        self._record(
            "supersede",
            PlanStatus.PUBLISHED,
            PlanStatus.SUPERSEDED,
            by,
            at,
            superseded_by=new_version,
        )

    def published_event(self, published_at: datetime) -> AnnualPlanPublished:
        if self.status is not PlanStatus.PUBLISHED or self.filed_on is None:
            raise PlanTransitionRefused(f"计划 {self.plan_no} 第 {self.plan_version} 版尚未公示")
        return AnnualPlanPublished(
            plan_id=self.plan_id,
            plan_no=self.plan_no,
            plan_name=self.plan_name,
            department=self.department,
            year=self.year,
            plan_version=self.plan_version,
            supersedes_version=self.supersedes_version,
            adjustment_reason=self.adjustment_reason,
            items=self.items,
            signed_by=self.by("sign"),
            consolidated_by=self.by("consolidate"),
            approved_by=self.by("approve"),
            filed_on=self.filed_on,
            published_at=published_at,
        )


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items()}


# -- coverage (第五条: 年度随机抽查工作计划要实现抽查事项全覆盖) ------------------------------


def counting_versions(plans: Iterable[AnnualPlan]) -> list[AnnualPlan]:
    """Per plan, the newest version the deputy director has signed (a draft adjustment does
    not replace the published version until it is signed)."""
    best: dict[str, AnnualPlan] = {}
    for plan in plans:
        if plan.status not in SIGNED_OR_LATER:
            continue
        seen = best.get(plan.plan_id)
        if seen is None or plan.plan_version > seen.plan_version:
            best[plan.plan_id] = plan
    return sorted(best.values(), key=lambda p: (p.department, p.plan_no))


@dataclass(frozen=True)
class ItemCoverage:
    code: str
    name: str
    plans: list[AnnualPlan]

    @property
    def covered(self) -> bool:
        return bool(self.plans)


def coverage(listed: Sequence[tuple[str, str]], plans: Iterable[AnnualPlan]) -> list[ItemCoverage]:
    """For each item of the list (code, name, in list order), the counting plans that plan it."""
    counting = counting_versions(plans)
    return [
        ItemCoverage(
            code,
            name,
            [p for p in counting if any(i.check_item_code == code for i in p.items)],
        )
        for code, name in listed
    ]


def require_coverage(
    year: int, listed: Sequence[tuple[str, str]], plans: Iterable[AnnualPlan]
) -> None:
    """Refuses (422) naming every item of the current list no counting plan of ``year`` has."""
    missing = [c for c in coverage(listed, plans) if not c.covered]
    if missing:
        names = "、".join(f"{c.code} {c.name}" for c in missing)
        raise CoverageIncomplete(
            f"{year} 年度各科室计划未覆盖抽查事项清单的全部事项，不能汇总。未覆盖：{names}",
            uncovered=[{"code": c.code, "name": c.name} for c in missing],
        )
