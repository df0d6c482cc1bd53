"""Objects beyond market entities (第一条, ADR 0011 decision 6): a product's, project's or
conduct's fields are kept on the record, published in clear fields of their own and sent on,
never its registry id labelled as a credit code; the search finds a product by its id and by its
producer's code; the export takes each kind apart."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from publication.adapters.repository import PublicationRepository, SqlPublicationRepository
from publication.domain import model
from publication.domain.model import ResultQuery
from publication.entrypoints.schemas import ResultDetailOut, ResultOut
from publication.entrypoints.service import definition
from publication.service_layer import services
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.events.publication import ResultCorrected, ResultPublished
from spotcheck_common.testing import migrated_session

from .fakes import FakePublicationRepository, FakePublicationUnitOfWork
from .test_publication_services import granted, item, submitted
from .test_repository_contract import published, record, version

PRODUCER = "91371000MA3C00002X"
PRODUCT = {
    "producer_uscc": PRODUCER,
    "product_name": "速冻水饺",
    "brand": "海之味",
    "specification": "500克/袋",
    "batch": "20260301",
    "producer_name": "威海某某食品有限公司",
    "sold_at": "临港区某超市",
}
PRODUCT_ID = "ZPL2M39K9UF25A3RR0"  # objects.assigned_id(PRODUCT, the fields above)
PROJECT_ID = "ZJ3THR6E3B81T0HCWC"
ORGAN = "11371000000000001C"  # 机构编制 11: 国家机关


def product_submitted(inspection_id: str = "insp-p") -> InspectionSubmitted:
    name = "海之味 速冻水饺 500克/袋（20260301）"
    update = {"uscc": PRODUCT_ID, "entity_name": name, "details": PRODUCT}
    return submitted(inspection_id).model_copy(update=update)


# ------------------------------------------------------------------ use cases (fakes)


async def test_a_product_is_published_with_its_fields_and_they_are_sent_on() -> None:
    uow = FakePublicationUnitOfWork()
    published_event = await services.publish_inspection(uow, product_submitted())
    assert isinstance(published_event, ResultPublished)
    assert published_event.uscc == PRODUCT_ID and published_event.details == PRODUCT
    kept = await uow.publication.get_record(published_event.record_id)
    assert kept is not None and kept.details == PRODUCT
    # A correction carries the record's fields as ResultPublished did.
    corrected = await services.correct_on_grant(
        uow,
        granted(
            record_id=published_event.record_id,
            uscc=PRODUCT_ID,
            corrected_results=[item("A01").model_copy(update={"remark": "复核"})],
        ),
    )
    assert isinstance(corrected, ResultCorrected) and corrected.details == PRODUCT


async def test_an_organisation_is_published_with_no_fields() -> None:
    uow = FakePublicationUnitOfWork()
    event = await services.publish_inspection(uow, submitted())
    assert isinstance(event, ResultPublished) and event.details == {}


# ------------------------------------------------------------------ what the public reads


def test_a_product_result_shows_its_kind_and_clear_fields_never_a_credit_code() -> None:
    rec = record(1, uscc=PRODUCT_ID, details=PRODUCT, entity_name="海之味 速冻水饺")
    detail = ResultDetailOut.of(rec, [version(1)]).model_dump(mode="json")
    assert detail["object_kind"] == "product" and detail["object_kind_label"] == "产品"
    assert detail["has_uscc"] is False
    assert detail["labels"]["uscc"] == "对象编码"
    assert "统一社会信用代码" not in detail["labels"].values()
    fields = {f["label"]: f["value"] for f in detail["object_fields"]}
    assert fields["产品名称"] == "速冻水饺" and fields["商标"] == "海之味"
    assert fields["规格型号"] == "500克/袋" and fields["生产日期或批号"] == "20260301"
    assert fields["生产者统一社会信用代码"] == PRODUCER  # the producer's code, said so
    assert [f["label"] for f in detail["object_fields"]][:2] == [
        "生产者统一社会信用代码",
        "产品名称",
    ]


def test_organisations_keep_the_national_fields_and_their_keys_order() -> None:
    entity = ResultOut.of(record(1), version(1)).model_dump(mode="json")
    assert list(entity)[:3] == ["record_id", "uscc", "entity_name"]
    assert list(entity)[-5:] == [
        "object_kind",
        "object_kind_label",
        "has_uscc",
        "details",
        "object_fields",
    ]
    assert entity["object_kind"] == "market_entity" and entity["object_fields"] == []
    detail = ResultDetailOut.of(record(1), [version(1)]).model_dump(mode="json")
    assert detail["labels"] == model.RESULT_LABELS
    assert detail["labels"]["uscc"] == "统一社会信用代码"
    organ = ResultDetailOut.of(record(1, uscc=ORGAN), [version(1)]).model_dump(mode="json")
    assert organ["object_kind_label"] == "国家机关" and organ["has_uscc"] is True
    assert (
        organ["labels"]["uscc"] == "统一社会信用代码" and organ["labels"]["entity_name"] == "名称"
    )


# ------------------------------------------------------------------ the export by kind


def test_the_export_keeps_organisations_and_gives_products_their_own_fields() -> None:
    assert model.export_columns() == model.EXPORT_COLUMNS
    org_row = model.export_rows(record(1, uscc=ORGAN), version(1))[0]
    assert list(org_row) == model.EXPORT_COLUMNS and org_row["统一社会信用代码"] == ORGAN
    columns = model.export_columns("product")
    assert "统一社会信用代码" not in columns
    assert columns[-9:-7] == ["检查对象类型", "对象编码"] and "生产者统一社会信用代码" in columns
    row = model.export_rows(record(2, uscc=PRODUCT_ID, details=PRODUCT), version(2))[0]
    assert list(row) == columns
    assert row["检查对象类型"] == "产品" and row["对象编码"] == PRODUCT_ID
    assert row["产品名称"] == "速冻水饺" and row["生产者统一社会信用代码"] == PRODUCER


# ------------------------------------------------------------------ the repository contract


@pytest.fixture(params=["fake", "sql"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakePublicationRepository()
        return
    async with migrated_session(definition, tmp_path) as session:
        yield SqlPublicationRepository(session)


async def _three_kinds(repo: PublicationRepository) -> None:
    await published(repo, 1, uscc=PRODUCER)  # the producer inspected as a market entity
    await published(repo, 2, uscc=PRODUCT_ID, details=PRODUCT)
    await published(repo, 3, uscc=PROJECT_ID, details={"project_code": "XM-1"})
    await published(repo, 4, uscc=ORGAN)


async def test_details_persist_and_the_search_finds_a_product_by_id_or_producer(
    repo: PublicationRepository,
) -> None:
    await _three_kinds(repo)
    kept = await repo.get_record("rec-2")
    assert kept is not None and kept.details == PRODUCT
    assert (await repo.get_record("rec-1")) == record(1, uscc=PRODUCER)  # details {}

    async def found(code: str) -> list[str]:
        page = await repo.search(ResultQuery(uscc=code), 50, 0)
        return sorted(r.record_id for r, _ in page.items)

    assert await found(PRODUCT_ID.lower()) == ["rec-2"]
    assert await found(PRODUCER) == ["rec-1", "rec-2"]  # its own result and its product's
    assert await found(PROJECT_ID) == ["rec-3"]
    assert await found("91371000MA3C000011") == []


async def test_the_export_reads_one_kind_at_a_time(repo: PublicationRepository) -> None:
    await _three_kinds(repo)

    async def ids(kind: Any) -> list[str]:
        return sorted(r.record_id for r, _ in await repo.current_versions(None, None, None, kind))

    assert await ids(model.ORGANISATIONS) == ["rec-1", "rec-4"]
    assert await ids("product") == ["rec-2"]
    assert await ids("project") == ["rec-3"]
    assert await ids("conduct") == []
    pairs = await repo.current_versions(None, None, None, "product")
    assert dataclasses.asdict(pairs[0][0])["details"] == PRODUCT
