"""Objects beyond market entities (第一条; ADR 0011, draw spec §4.1): a task draws from one kind
of object only, the manifest says which, each drawn product carries its fields, and the
verifier refuses a population with an object of another kind."""

from __future__ import annotations

import copy
from typing import Any

from draws import verify_draw
from draws.domain import protocol as p
from draws.service_layer import services
from spotcheck_common.events.draws import DrawCompleted
from spotcheck_common.events.registry import EntitiesImported, EntitySnapshot
from spotcheck_common.objects import ObjectKind, assigned_id, kind_of

from . import factories
from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .parties import published
from .test_service_layer import loaded, run_draw


async def with_products(count: int = 40) -> tuple[FakeDrawsRepository, list[EntitySnapshot]]:
    repo = await loaded()
    items = factories.products(count)
    await services.entities_imported(
        FakeDrawsUnitOfWork(repo), EntitiesImported(batch_id="p1", entities=items)
    )
    sampling = factories.task(
        "T-P", ratio_bp={"B": 2500, "C": 2500, "D": 2500}, object_kind=ObjectKind.PRODUCT
    )
    await services.task_approved(FakeDrawsUnitOfWork(repo), sampling)
    return repo, items


async def test_a_product_task_draws_only_products_and_each_target_carries_its_fields() -> None:
    repo, items = await with_products()
    draw_id, uow = await run_draw(repo, task_id="T-P")
    completed = uow.events[-1]
    assert isinstance(completed, DrawCompleted)
    assert completed.population_size == len(items)
    assert completed.targets
    by_id = {e.uscc: e for e in items}
    for target in completed.targets:
        assert kind_of(target.uscc) is ObjectKind.PRODUCT
        assert target.details == by_id[target.uscc].details
        assert target.entity_name == by_id[target.uscc].name
    manifest = (await repo.get_manifest(draw_id) or ({}, ""))[0]
    assert manifest["target_filter"]["object_kind"] == "product"


async def test_a_market_entity_task_never_draws_a_product_and_its_manifest_is_unchanged() -> None:
    repo, _ = await with_products()
    draw_id, uow = await run_draw(repo, task_id="T-1")
    completed = uow.events[-1]
    assert isinstance(completed, DrawCompleted)
    assert completed.population_size == 300  # loaded()'s entities, none of the products
    assert all(kind_of(t.uscc) is ObjectKind.MARKET_ENTITY for t in completed.targets)
    assert all(t.details == {} for t in completed.targets)
    manifest = (await repo.get_manifest(draw_id) or ({}, ""))[0]
    assert "object_kind" not in manifest["target_filter"]


async def test_the_product_draws_bundle_verifies_and_a_bundle_hiding_its_kind_does_not() -> None:
    repo, _ = await with_products()
    draw_id, _ = await run_draw(repo, task_id="T-P")
    bundle = await published(repo, draw_id)
    report = verify_draw.verify(copy.deepcopy(bundle), workers=1)
    assert report.ok, report.difference

    def forged(change: Any) -> verify_draw.Report:
        body = copy.deepcopy(bundle)["body"]
        change(body["manifest"]["target_filter"])
        body["manifest_sha256"] = p.json_sha256(body["manifest"])
        return verify_draw.verify({**bundle, "body": body, "body_sha256": p.json_sha256(body)}, 1)

    hidden = forged(lambda f: f.pop("object_kind"))  # products passed off as market entities
    assert not hidden.ok
    assert "is not an object of kind market_entity" in (hidden.difference or "")
    renamed = forged(lambda f: f.update(object_kind="market_entity"))  # only by absence
    assert not renamed.ok
    assert "is not a kind of object" in (renamed.difference or "")


def test_the_verifier_reads_the_kind_of_every_namespace() -> None:
    cases = {
        "91371000MA3C5X1237": "market_entity",
        "11371000004435218X": "organ",
        "12371000494210093N": "institution",
        "51371000MJE1234567": "social_organisation",
        "N2371000MA3C5X1237": "other_organisation",
    }
    for code, kind in cases.items():
        assert verify_draw.object_kind(code.encode()) == kind
        assert kind_of(code).value == kind  # the service and the verifier agree
    for kind in (ObjectKind.PRODUCT, ObjectKind.PROJECT, ObjectKind.CONDUCT):
        code = assigned_id(kind, {"product_name": "x", "project_code": "x", "activity": "x"})
        assert verify_draw.object_kind(code.encode()) == kind.value
