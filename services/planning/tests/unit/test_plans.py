"""Annual plans (第四条、第五条) on fakes: the approval chain, rejection and resubmission,
adjustments as versions, and the coverage check before consolidation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planning.domain.plans import (
    CHAIN,
    AnnualPlan,
    CoverageIncomplete,
    PlanInvalid,
    PlanStatus,
    PlanTransitionRefused,
    RoleRefused,
    Step,
    coverage,
)
from planning.service_layer import services, views
from spotcheck_common.events.planning import AnnualPlanPublished, PlanItem
from spotcheck_common.events.registry import CheckItem, CheckItemListPublished
from spotcheck_common.http import status_of
from spotcheck_common.roles import Role
from spotcheck_common.testing import FakeUnitOfWork

from .factories import LIST, NOW, plan_item, plan_spec
from .fakes import FakeItemListRepository, FakePlanRepository, carrying

DEPT = {Role.SUPERVISING_DEPT}
DEPUTY = {Role.DEPUTY_DIRECTOR}
CREDIT = {Role.CREDIT_DEPT}
MEETING = {Role.DIRECTOR_MEETING}
OFFICE = {Role.GENERAL_OFFICE}


def new_plan(**overrides: object) -> AnnualPlan:
    return AnnualPlan.draft(
        plan_spec(**overrides),
        plan_id="p-1",
        district="lingang",
        by="keyuan",
        at=NOW,
        listed=dict(LIST),
    )


def walk_to(plan: AnnualPlan, target: PlanStatus) -> None:
    """Take the chain's steps, each with its role, until ``target``."""
    roles = {
        "submit": DEPT,
        "sign": DEPUTY,
        "consolidate": CREDIT,
        "approve": MEETING,
        "publish": OFFICE,
    }
    for step in CHAIN:
        if plan.status is target:
            return
        if step.action == "file":
            plan.file("xinyong", CREDIT, NOW, NOW.date(), "威市监备〔2026〕3号")
        else:
            plan.take(step.action, f"user-{step.action}", roles[step.action], NOW)
    assert plan.status is target


# -- the chain ---------------------------------------------------------------------------------


def test_the_chain_runs_in_order_and_records_who_and_when() -> None:
    plan = new_plan()
    assert plan.status is PlanStatus.DRAFT and plan.plan_version == 1
    walk_to(plan, PlanStatus.PUBLISHED)
    actions = [t.action for t in plan.new_transitions]
    assert actions == [
        "draft",
        "submit",
        "sign",
        "consolidate",
        "approve",
        "file",
        "publish",
    ]
    assert plan.by("sign") == "user-sign" and plan.by("approve") == "user-approve"
    assert (plan.filed_on, plan.filing_ref) == (NOW.date(), "威市监备〔2026〕3号")
    assert all(t.at == NOW for t in plan.new_transitions)
    event = plan.published_event(NOW)
    assert isinstance(event, AnnualPlanPublished)
    assert (event.signed_by, event.consolidated_by, event.approved_by) == (
        "user-sign",
        "user-consolidate",
        "user-approve",
    )
    assert event.filed_on == NOW.date() and event.plan_version == 1
    assert event.supersedes_version is None


@pytest.mark.parametrize("step", CHAIN[1:], ids=lambda s: s.action)
def test_no_step_can_be_skipped(step: Step) -> None:
    plan = new_plan()
    with pytest.raises(PlanTransitionRefused) as exc:  # from a draft, only submit
        plan.take(step.action, "x", set(Role), NOW)
    assert "草稿" in exc.value.reason
    assert plan.status is PlanStatus.DRAFT and plan.steps == {}


def test_each_step_needs_its_role() -> None:
    plan = new_plan()
    with pytest.raises(RoleRefused) as exc:
        plan.take("submit", "fuju", DEPUTY, NOW)
    assert status_of(exc.value) == 403 and "监管科室(supervising_dept)" in exc.value.reason
    plan.take("submit", "keyuan", DEPT, NOW)
    for roles in (DEPT, CREDIT, MEETING):
        with pytest.raises(RoleRefused):
            plan.take("sign", "x", roles, NOW)
    plan.take("sign", "fuju", DEPUTY, NOW)
    with pytest.raises(RoleRefused):
        plan.take("consolidate", "fuju", DEPUTY, NOW)
    plan.take("consolidate", "xinyong", CREDIT, NOW)
    with pytest.raises(RoleRefused) as exc:
        plan.take("approve", "fuju", DEPUTY, NOW)
    assert "局长办公会(director_meeting)" in exc.value.reason
    plan.take("approve", "juzhang", MEETING, NOW)
    with pytest.raises(RoleRefused):
        plan.file("juzhang", MEETING, NOW, NOW.date(), "ref")
    plan.file("xinyong", CREDIT, NOW, NOW.date(), "ref")
    with pytest.raises(RoleRefused):
        plan.take("publish", "keyuan", DEPT, NOW)
    assert plan.status is PlanStatus.FILED


def test_filing_needs_a_reference_and_a_plausible_date() -> None:
    plan = new_plan()
    walk_to(plan, PlanStatus.APPROVED)
    with pytest.raises(PlanInvalid):
        plan.file("xinyong", CREDIT, NOW, NOW.date(), "  ")
    with pytest.raises(PlanInvalid):
        plan.file("xinyong", CREDIT, NOW, NOW.date() + timedelta(days=1), "ref")
    assert plan.status is PlanStatus.APPROVED


@pytest.mark.parametrize(
    ("at", "rejecter"),
    [
        (PlanStatus.SUBMITTED, DEPUTY),
        (PlanStatus.SIGNED, CREDIT),
        (PlanStatus.CONSOLIDATED, MEETING),
        (PlanStatus.APPROVED, CREDIT),
        (PlanStatus.FILED, OFFICE),
    ],
)
def test_rejection_at_any_step_returns_to_draft_with_the_reason(
    at: PlanStatus, rejecter: set[Role]
) -> None:
    plan = new_plan()
    walk_to(plan, at)
    with pytest.raises(RoleRefused):  # only the role of the step at hand rejects
        plan.reject("keyuan", DEPT, NOW, "不行")
    with pytest.raises(PlanInvalid):
        plan.reject("x", rejecter, NOW, " ")
    plan.reject("x", rejecter, NOW, "抽查比例偏低，请调整")
    assert plan.status is PlanStatus.DRAFT
    assert plan.rejection_reason == "抽查比例偏低，请调整"
    assert plan.steps == {} and plan.filed_on is None  # the next pass starts afresh
    last = plan.new_transitions[-1]
    assert (last.action, last.from_status, last.to_status, last.reason) == (
        "reject",
        str(at),
        "draft",
        "抽查比例偏低，请调整",
    )
    # Resubmission: edited, then the whole chain again.
    plan.edit("keyuan", NOW, [PlanItem.model_validate(plan_item("GS-01"))], None, dict(LIST))
    walk_to(plan, PlanStatus.PUBLISHED)
    assert plan.by("sign") == "user-sign"


def test_a_draft_and_a_published_version_cannot_be_rejected() -> None:
    plan = new_plan()
    with pytest.raises(PlanTransitionRefused):
        plan.reject("fuju", DEPUTY, NOW, "x")
    walk_to(plan, PlanStatus.PUBLISHED)
    with pytest.raises(PlanTransitionRefused):
        plan.reject("xinyong", CREDIT, NOW, "x")


def test_only_a_draft_is_edited() -> None:
    plan = new_plan()
    plan.take("submit", "keyuan", DEPT, NOW)
    with pytest.raises(PlanTransitionRefused):
        plan.edit("keyuan", NOW, None, "新名称", dict(LIST))


def test_content_rules() -> None:
    with pytest.raises(PlanInvalid) as exc:
        new_plan(
            items=[
                plan_item("GS-01"),
                plan_item("GS-01"),
                plan_item("XX-99"),
                plan_item("DJ-01", period_from="2026-09-01", period_to="2026-03-01"),
                plan_item("SP-01", period_to="2027-01-31"),
                plan_item("GS-02", ratio_bp={"A": 20000}),
            ]
        )
    reasons = " | ".join(e["reason"] for e in exc.value.details["errors"])
    assert "「GS-01」重复" in reasons
    assert "「XX-99」不在现行抽查事项清单上" in reasons
    assert "开始日期晚于结束日期" in reasons
    assert "应在 2026 年内" in reasons
    assert "0..10000" in reasons


# -- versions ----------------------------------------------------------------------------------


def test_an_adjustment_is_a_new_version_and_needs_a_reason() -> None:
    plan = new_plan()
    with pytest.raises(PlanTransitionRefused):  # only a published plan is adjusted
        plan.adjusted("keyuan", NOW, "x", None, None, dict(LIST))
    walk_to(plan, PlanStatus.PUBLISHED)
    with pytest.raises(PlanInvalid):
        plan.adjusted("keyuan", NOW, "  ", None, None, dict(LIST))
    items = [
        PlanItem.model_validate(plan_item("GS-01")),
        PlanItem.model_validate(plan_item("SP-01")),
    ]
    v2 = plan.adjusted("keyuan", NOW, "省局部署增加食品经营检查", items, None, dict(LIST))
    assert (v2.plan_id, v2.plan_version, v2.status) == ("p-1", 2, PlanStatus.DRAFT)
    assert v2.supersedes_version == 1 and v2.adjustment_reason == "省局部署增加食品经营检查"
    assert plan.status is PlanStatus.PUBLISHED  # until v2 is published
    walk_to(v2, PlanStatus.PUBLISHED)
    plan.supersede("office", NOW, 2)
    assert plan.status is PlanStatus.SUPERSEDED
    event = v2.published_event(NOW)
    assert event.plan_version == 2 and event.supersedes_version == 1
    assert event.adjustment_reason == "省局部署增加食品经营检查"


async def _published(repo: FakePlanRepository, lists: FakeItemListRepository, **spec: object):
    uow = FakeUnitOfWork(actor="keyuan")
    plan = await services.draft_plan(
        carrying(uow, plans=repo, item_lists=lists), plan_spec(**spec), now=NOW
    )
    for action, roles in (("submit", DEPT), ("sign", DEPUTY)):
        await services.advance_plan(
            carrying(FakeUnitOfWork(), plans=repo), plan.plan_id, action, roles, now=NOW
        )
    return plan


async def _finish(repo: FakePlanRepository, lists: FakeItemListRepository, year: int = 2026):
    await services.consolidate_year(
        carrying(FakeUnitOfWork(actor="xinyong"), plans=repo, item_lists=lists),
        year,
        CREDIT,
        now=NOW,
    )
    published = []
    for plan_id in {pid for pid, _ in repo.rows}:
        if repo.latest(plan_id).status is not PlanStatus.CONSOLIDATED:
            continue
        await services.advance_plan(
            carrying(FakeUnitOfWork(), plans=repo), plan_id, "approve", MEETING, now=NOW
        )
        await services.file_plan(
            carrying(FakeUnitOfWork(), plans=repo), plan_id, CREDIT, NOW.date(), "备-1", now=NOW
        )
        uow = FakeUnitOfWork(actor="office")
        await services.publish_plan(carrying(uow, plans=repo), plan_id, OFFICE, now=NOW)
        published.extend(uow.events)
    return published


async def test_publishing_an_adjustment_keeps_and_supersedes_the_old_version() -> None:
    repo, lists = FakePlanRepository(), FakeItemListRepository(LIST)
    plan = await _published(repo, lists, items=[plan_item(c) for c, _ in LIST])
    (first,) = await _finish(repo, lists)
    assert isinstance(first, AnnualPlanPublished) and first.plan_version == 1

    uow = FakeUnitOfWork(actor="keyuan")
    v2 = await services.adjust_plan(
        carrying(uow, plans=repo, item_lists=lists),
        plan.plan_id,
        "增加抽查比例",
        None,
        "调整后的计划",
        now=NOW,
    )
    assert v2.plan_version == 2 and uow.events == []  # nothing is published before the chain
    with pytest.raises(PlanTransitionRefused):  # one adjustment at a time
        await services.adjust_plan(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists),
            plan.plan_id,
            "再调",
            None,
            None,
            now=NOW,
        )
    for action, roles in (("submit", DEPT), ("sign", DEPUTY)):
        await services.advance_plan(
            carrying(FakeUnitOfWork(), plans=repo), plan.plan_id, action, roles, now=NOW
        )
    (second,) = await _finish(repo, lists)
    assert second.plan_version == 2 and second.supersedes_version == 1
    assert second.plan_name == "调整后的计划" and second.adjustment_reason == "增加抽查比例"
    v1, v2 = await repo.versions(plan.plan_id)
    assert (v1.status, v2.status) == (PlanStatus.SUPERSEDED, PlanStatus.PUBLISHED)
    history = [(t.plan_version, t.action) for t in await repo.history(plan.plan_id)]
    assert (1, "supersede") in history and (2, "adjust") in history
    adjust = next(t for t in await repo.history(plan.plan_id) if t.action == "adjust")
    assert adjust.reason == "增加抽查比例" and adjust.actor == "keyuan"


async def test_one_plan_per_department_and_year() -> None:
    repo, lists = FakePlanRepository(), FakeItemListRepository(LIST)
    await services.draft_plan(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), plan_spec(), now=NOW
    )
    from spotcheck_common.errors import Conflict

    with pytest.raises(Conflict):
        await services.draft_plan(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists),
            plan_spec(plan_no="other"),
            now=NOW,
        )
    with pytest.raises(Conflict):  # the number is the district's
        await services.draft_plan(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists),
            plan_spec(department="食品科"),
            now=NOW,
        )
    assert len(repo.rows) == 1


async def test_a_department_acts_only_on_its_own_plan() -> None:
    repo, lists = FakePlanRepository(), FakeItemListRepository(LIST)
    plan = await services.draft_plan(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), plan_spec(), now=NOW
    )
    with pytest.raises(RoleRefused):
        await services.advance_plan(
            carrying(FakeUnitOfWork(), plans=repo),
            plan.plan_id,
            "submit",
            DEPT,
            now=NOW,
            department="食品科",
        )
    assert repo.latest(plan.plan_id).status is PlanStatus.DRAFT


# -- coverage ----------------------------------------------------------------------------------


async def test_consolidation_is_refused_naming_the_uncovered_items_and_writes_nothing() -> None:
    repo, lists = FakePlanRepository(), FakeItemListRepository(LIST)
    await _published(repo, lists)  # GS-01, DJ-01: SP-01 is in no plan
    before = {k: (p.status, p.row_version) for k, p in repo.rows.items()}
    uow = FakeUnitOfWork(actor="xinyong")
    with pytest.raises(CoverageIncomplete) as exc:
        await services.consolidate_year(
            carrying(uow, plans=repo, item_lists=lists), 2026, CREDIT, now=NOW
        )
    assert status_of(exc.value) == 422
    assert "SP-01 食品经营检查" in exc.value.reason
    assert exc.value.details["uncovered"] == [{"code": "SP-01", "name": "食品经营检查"}]
    assert {k: (p.status, p.row_version) for k, p in repo.rows.items()} == before
    assert not uow.committed

    # A draft of another department does not count until its deputy director has signed it.
    food = await services.draft_plan(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists),
        plan_spec(plan_no="LG-JH-2026-02", department="食品科", items=[plan_item("SP-01")]),
        now=NOW,
    )
    with pytest.raises(CoverageIncomplete):
        await services.consolidate_year(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, CREDIT, now=NOW
        )
    for action, roles in (("submit", DEPT), ("sign", DEPUTY)):
        await services.advance_plan(
            carrying(FakeUnitOfWork(), plans=repo), food.plan_id, action, roles, now=NOW
        )
    done = await services.consolidate_year(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, CREDIT, now=NOW
    )
    assert {p.department for p in done} == {"市场规范管理科", "食品科"}
    assert all(p.status is PlanStatus.CONSOLIDATED for p in done)
    assert all(p.steps["consolidate"]["list_version"] == 1 for p in done)


async def test_coverage_follows_the_current_list_version() -> None:
    repo, lists = FakePlanRepository(), FakeItemListRepository()
    await _published(repo, lists, items=[plan_item(c) for c, _ in LIST])
    with pytest.raises(Exception, match="尚未收到现行抽查事项清单"):
        await services.consolidate_year(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, CREDIT, now=NOW
        )
    v1 = CheckItemListPublished(
        list_id="lingang:check-items",
        version=1,
        effective_from=date(2026, 1, 1),
        items=[_item(c, n) for c, n in LIST],
    )
    await services.item_list_published(carrying(FakeUnitOfWork(), item_lists=lists), v1)
    await services.item_list_published(
        carrying(FakeUnitOfWork(), item_lists=lists), v1
    )  # redelivered: nothing changes
    v2 = v1.model_copy(
        update={"list_version": 2, "items": [*v1.items, _item("GG-01", "广告发布检查")]}
    )
    await services.item_list_published(carrying(FakeUnitOfWork(), item_lists=lists), v2)
    with pytest.raises(CoverageIncomplete) as exc:
        await services.consolidate_year(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, CREDIT, now=NOW
        )
    assert [u["code"] for u in exc.value.details["uncovered"]] == ["GG-01"]
    report = await views.coverage(
        carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, NOW.date()
    )
    assert report["list_version"] == 2 and not report["complete"]
    assert report["uncovered"] == [{"code": "GG-01", "name": "广告发布检查"}]
    gs = next(i for i in report["items"] if i["code"] == "GS-01")
    assert gs["covered"] and gs["plans"][0]["status"] == "signed"


def _item(code: str, name: str) -> CheckItem:
    return CheckItem(
        code=code,
        category="类别",
        name=name,
        target_type="企业",
        item_class="general",
        method="书面检查",
        inspecting_body="临港区市场监管局",
        legal_basis="依据",
    )


def test_coverage_counts_the_newest_signed_version_only() -> None:
    v1 = new_plan(items=[plan_item(c) for c, _ in LIST])
    walk_to(v1, PlanStatus.PUBLISHED)
    v2 = v1.adjusted(
        "keyuan", NOW, "删去食品", [PlanItem.model_validate(plan_item("GS-01"))], None, dict(LIST)
    )
    # The adjustment is a draft: v1 still counts.
    assert all(row.covered for row in coverage(LIST, [v1, v2]))
    v2.take("submit", "keyuan", DEPT, NOW)
    v2.take("sign", "fuju", DEPUTY, NOW)
    rows = {row.code: row.covered for row in coverage(LIST, [v1, v2])}
    assert rows == {"GS-01": True, "DJ-01": False, "SP-01": False}


async def test_nothing_to_consolidate_is_a_conflict() -> None:
    repo, lists = FakePlanRepository(), FakeItemListRepository(LIST)
    with pytest.raises(PlanTransitionRefused):
        await services.consolidate_year(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, CREDIT, now=NOW
        )
    with pytest.raises(RoleRefused):
        await services.consolidate_year(
            carrying(FakeUnitOfWork(), plans=repo, item_lists=lists), 2026, DEPUTY, now=NOW
        )
