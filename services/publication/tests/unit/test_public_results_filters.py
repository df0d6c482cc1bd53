"""The public search's filters (result category, completion dates) and the public count of
results the law keeps private, on the embedded database (the real routes)."""

from __future__ import annotations

from datetime import date

from spotcheck_common.events.inspections import InspectionSubmitted, ItemResult
from spotcheck_common.events.types import PendingReason, ResultCategory

from .test_embedded_publication_api import Embedded, embedded, inspection

__all__ = ["embedded"]  # the fixture, shared

PROBLEM = ItemResult(
    check_item_code="A01",
    check_item_name="营业执照公示情况",
    category=ResultCategory.PROBLEM_PENDING,
    pending_reason=PendingReason.NOT_DISCLOSED,
)


async def test_results_filter_by_category_and_dates_and_count_the_withheld(
    embedded: Embedded,
) -> None:
    await embedded.deliver(inspection("ok-1", date(2026, 3, 2)))
    problem = inspection("problem", date(2026, 3, 9)).model_copy(update={"results": [PROBLEM]})
    await embedded.deliver(problem)
    await embedded.deliver(inspection("ok-2", date(2026, 3, 16)))
    await embedded.deliver(inspection("secret", date(2026, 3, 16), withhold_reason="依法不予公开"))
    client = embedded.client

    async def ids(**params: str) -> set[str]:
        found = await client.get("/public/results", params=params)
        assert found.status_code == 200, found.text
        return {r["record_id"] for r in found.json()["items"]}

    everything = await ids()
    assert len(everything) == 3
    found = await ids(category="发现问题待后续处理")
    assert len(found) == 1
    assert await ids(category="未发现问题") == everything - found
    assert await ids(**{"from": "2026-03-09", "to": "2026-03-09"}) == found
    assert len(await ids(**{"from": "2026-03-10"})) == 1
    assert await ids(category="注销") == set()

    refused = await client.get("/public/results", params={"from": "2026-03-10", "to": "2026-03-01"})
    assert refused.status_code == 422 and "起始日期" in refused.text
    assert (await client.get("/public/results", params={"category": "x"})).status_code == 422

    count = await client.get("/public/results/withheld-count")
    assert count.json() == {"total": 1}  # a number, nothing of the result itself
    other = await client.get("/public/results/withheld-count", params={"task_no": "LG-X"})
    assert other.json() == {"total": 0}


async def test_results_carry_the_entitys_area_and_filter_by_it(embedded: Embedded) -> None:
    await embedded.deliver(inspection("east", date(2026, 3, 2), area="草庙子镇"))
    await embedded.deliver(inspection("west", date(2026, 3, 3), area="汪疃镇"))
    older = inspection("older", date(2026, 3, 4)).model_dump(mode="json")
    del older["area"]  # a payload from before the area was carried
    await embedded.deliver(InspectionSubmitted.model_validate(older))
    client = embedded.client

    async def areas(**params: str) -> list[str]:
        found = await client.get("/public/results", params=params)
        assert found.status_code == 200, found.text
        return [r["area"] for r in found.json()["items"]]

    assert sorted(await areas()) == ["", "汪疃镇", "草庙子镇"]
    assert await areas(area="草庙子镇") == ["草庙子镇"]
    assert await areas(area="汪疃镇", **{"from": "2026-03-03"}) == ["汪疃镇"]
    assert await areas(area="草庙") == []  # exact, not a part of it
    page = (await client.get("/public/results", params={"area": "汪疃镇"})).json()
    detail = await client.get(f"/public/results/{page['items'][0]['record_id']}")
    assert detail.json()["area"] == "汪疃镇" and detail.json()["labels"]["area"] == "区域"
    too_long = await client.get("/public/results", params={"area": "镇" * 101})
    assert too_long.status_code == 422
