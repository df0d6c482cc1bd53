"""A product's inspection on real PostgreSQL over HTTP (ADR 0011 decision 5): the draw's
fields of the product are kept, the leader records the samples (抽样), the sampling form and the
lab report are attached, and InspectionSubmitted carries the fields and the samples. Refusals
write nothing.

TaskApproved and DrawCompleted come from a stand-in with its own schema, outbox and relay, as
planning and draws would send them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from inspections.adapters import orm
from spotcheck_common.events.draws import DrawCompleted, DrawnTarget, TeamMember
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.inspections import InspectionSubmitted
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.objects import ObjectKind, assigned_id
from spotcheck_common.uow import OUTBOX

from .conftest import CLOCK, Env, wait_for

pytestmark = pytest.mark.integration

LEADER, MEMBER = "LG-001", "LG-002"
DETAILS = {
    "producer_uscc": "91371000MA3C000017",
    "product_name": "电动自行车用充电器",
    "brand": "临港",
    "specification": "48V 2A",
    "batch": "20261015",
    "producer_name": "威海临港某某电器有限公司",
    "sold_at": "临港区某某商场",
}
PRODUCT = assigned_id(ObjectKind.PRODUCT, DETAILS)
SAMPLE = {
    "sample_no": "YP-2026-001",
    "quantity": "4 个",
    "taken_at": "临港区某某商场",
    "taken_on": CLOCK.today().isoformat(),
    "sealed": True,
    "seal_no": "FT-0001",
    "testing_body": "山东省产品质量检验研究院",
}


def events() -> list[Event]:
    """A product task approved, and a draw of one product with its fields."""
    team = [
        TeamMember(inspector_id=LEADER, name="王组长", department="临港市场监管所", role="leader"),
        TeamMember(inspector_id=MEMBER, name="李四", department="临港市场监管所", role="member"),
    ]
    return [
        TaskApproved(
            task_id="task-p",
            task_no="LG-2026-031",
            title="2026年电动自行车充电器产品质量抽查",
            lead_department="产品质量监管科",
            check_items=[CheckItemRef(code="ZL-01", name="产品质量抽样检验")],
            target_filter=TargetFilter(object_kind=ObjectKind.PRODUCT),
            ratio_bp={"C": 1000},
            inspector_departments=["临港市场监管所"],
            team_size=2,
            deadline=CLOCK.today() + timedelta(days=60),
            approved_by="fuju-wang",
        ),
        DrawCompleted(
            draw_id="draw-p",
            task_id="task-p",
            task_no="LG-2026-031",
            algorithm="seeded-v1",
            seed_hex="ab" * 32,
            population_size=40,
            targets=[
                DrawnTarget(
                    uscc=PRODUCT,
                    entity_name="临港 电动自行车用充电器 48V 2A（20261015）",
                    risk_class="C",
                    team=team,
                    details=DETAILS,
                )
            ],
            unstaffed=[],
        ),
    ]


async def test_a_product_is_sampled_attached_and_submitted_with_its_fields(env: Env) -> None:
    client = env.client
    await env.emit(*events())

    async def opened() -> bool:
        return len(await env.rows(orm.inspections)) == 1

    await wait_for(opened, "the draw to open the product's inspection")
    (row,) = await env.rows(orm.inspections)
    assert row.uscc == PRODUCT and row.details == DETAILS and row.samples == []
    url = f"/api/inspections/inspections/{row.inspection_id}"
    shown = (await client.get(url, headers=env.staff)).json()
    assert shown["object_kind"] == "product" and shown["details"] == DETAILS

    # -- samples: the leader's, checked, kept ----------------------------------------------
    before = await env.rows(orm.inspections)
    member = await client.put(
        f"{url}/samples", json={"samples": [SAMPLE]}, headers=env.inspector(MEMBER)
    )
    assert member.status_code == 403, member.text
    unsealed = SAMPLE | {"sealed": False}
    refused = await client.put(
        f"{url}/samples", json={"samples": [unsealed]}, headers=env.inspector(LEADER)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "samples[0].seal_no", "reason": "未封样的不填写封条编号"}
    ]
    assert await env.rows(orm.inspections) == before
    recorded = await client.put(
        f"{url}/samples", json={"samples": [SAMPLE]}, headers=env.inspector(LEADER)
    )
    assert recorded.status_code == 200, recorded.text
    (row,) = await env.rows(orm.inspections)
    assert row.samples == [SAMPLE]
    log = [r.action for r in await env.rows(orm.inspection_log)]
    assert log == ["opened", "samples_recorded"]

    # -- the record form, signed; submission waits for the two files ------------------------
    form = {"results": [{"check_item_code": "ZL-01", "category": "未发现问题"}]}
    assert (
        await client.put(f"{url}/results", json=form, headers=env.inspector(LEADER))
    ).status_code == 200
    for who in (LEADER, MEMBER):
        assert (await client.post(f"{url}/sign", headers=env.inspector(who))).status_code == 200
    early = await client.post(f"{url}/submit", json={}, headers=env.inspector(LEADER))
    assert early.status_code == 422
    assert [e["reason"] for e in early.json()["errors"]] == [
        "缺少抽样单（sampling_form）附件",
        "缺少检验报告（lab_report）附件",
    ]
    for kind, name in (("sampling_form", "抽样单.pdf"), ("lab_report", "检验报告.pdf")):
        added = await client.post(
            f"{url}/attachments",
            params={"kind": kind, "filename": name},
            content=f"%PDF {name}".encode(),
            headers={**env.inspector(MEMBER), "Content-Type": "application/pdf"},
        )
        assert added.status_code == 201, added.text
        assert added.json()["kind_label"] == name.removesuffix(".pdf")
    submitted = await client.post(f"{url}/submit", json={}, headers=env.inspector(LEADER))
    assert submitted.status_code == 200, submitted.text

    # -- the event carries the product's fields and samples --------------------------------
    (sent,) = [r for r in await env.rows(OUTBOX) if r.event_type.endswith("inspection-submitted")]
    event = InspectionSubmitted.model_validate(json.loads(sent.envelope)["payload"])
    assert event.uscc == PRODUCT and event.details == DETAILS
    assert [s.model_dump(mode="json") for s in event.samples] == [SAMPLE]

    async def delivered() -> bool:
        return len(env.submitted) == 1

    await wait_for(delivered, "InspectionSubmitted on the bus")
    assert env.submitted[0].payload["samples"] == [SAMPLE]
