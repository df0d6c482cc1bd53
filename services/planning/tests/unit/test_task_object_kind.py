"""A task targets one kind of object (第一条, ADR 0011): the kind travels in its scope, a
product task is checked by sampling, and tasks of different kinds never share objects under
the yearly cap."""

from __future__ import annotations

from planning.domain.caps import overlaps
from planning.domain.model import check_spec
from spotcheck_common.events.planning import TargetFilter
from spotcheck_common.objects import ObjectKind

from .factories import NOW, draft, spec

PRODUCTS = {"object_kind": "product", "industries": ["食品"]}


def test_a_product_task_must_sample_and_test() -> None:
    errors = check_spec(spec(target_filter=PRODUCTS), NOW.date())
    assert [(e.field, e.reason) for e in errors] == [
        ("methods", "检查对象为产品的任务，检查方式须包含「抽样检测」")
    ]
    assert check_spec(spec(target_filter=PRODUCTS, methods=["抽样检测"]), NOW.date()) == []


def test_the_kind_is_in_the_approved_tasks_scope_and_defaults_to_market_entities() -> None:
    task = draft(target_filter=PRODUCTS, methods=["抽样检测"])
    assert task.target_filter.object_kind is ObjectKind.PRODUCT
    assert draft().target_filter.object_kind is ObjectKind.MARKET_ENTITY


def test_scopes_of_different_kinds_never_overlap() -> None:
    everything = TargetFilter()
    assert not overlaps(everything, TargetFilter(object_kind=ObjectKind.PRODUCT))
    assert overlaps(
        TargetFilter(object_kind=ObjectKind.PRODUCT),
        TargetFilter(object_kind=ObjectKind.PRODUCT, industries=["食品"]),
    )
