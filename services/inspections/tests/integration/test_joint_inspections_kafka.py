"""A joint inspection through the real broker, authentication and ACLs on (issue 10): Lingang's
draw put Huancui's inspector on a team. Lingang keeps the record form; Huancui's inspector,
signed in at Huancui, sees it there and signs; Lingang's record collects the signature and the
leader submits. Wendeng, also Lingang's neighbour but on no team, keeps nothing, and what it
writes cannot sign for Huancui's inspector. Each district is its own Kafka user and database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inspections.service_layer.services import inspection_id_for
from spotcheck_common.events.inspections import JointInspectionSigned
from spotcheck_common.events.types import TeamRole
from spotcheck_common.testing import ServiceHarness, auth_headers, eventually, running_on_kafka

from ..unit.factories import USCC_1, USCC_2, draw_completed, member, target, task_approved

pytestmark = pytest.mark.integration

CLOCK = "2026-04-01T10:00:00+08:00"
LEADER, OURS = "LG-001", "HC0001"


def inspector(district: str, inspector_id: str) -> dict[str, str]:
    return auth_headers(
        f"user-{inspector_id}", "inspector", district=district, inspector_id=inspector_id
    )


async def call(
    h: ServiceHarness, method: str, path: str, headers: dict[str, str], **kw: Any
) -> Any:
    response = await h.client.request(method, path, headers=headers, **kw)
    assert response.is_success, response.text
    return response.json()


async def test_a_neighbours_inspector_signs_at_their_own_bureau(
    add_kafka_district: Any,
    new_database: Callable[[], Awaitable[str]],
    unique_district: str,
    tmp_path: Path,
) -> None:
    lg, hc, wd = (unique_district + s for s in ("l", "h", "w"))
    creds = {
        lg: await add_kafka_district(lg, [hc, wd]),
        hc: await add_kafka_district(hc, [lg]),
        wd: await add_kafka_district(wd, [lg]),
    }
    neighbours = {lg: [hc, wd], hc: [lg], wd: [lg]}
    async with AsyncExitStack() as stack:
        bureaus = {
            d: await stack.enter_async_context(
                running_on_kafka(
                    "inspections", creds[d], await new_database(), tmp_path, neighbours[d], CLOCK
                )
            )
            for d in (lg, hc, wd)
        }
        lingang, huancui, wendeng = bureaus[lg], bureaus[hc], bureaus[wd]
        leader, ours = inspector(lg, LEADER), inspector(hc, OURS)
        credit = auth_headers("credit", "credit_dept", district=lg)

        # Lingang's task and draw: Huancui's inspector on two teams, a member of one (Lingang's
        # leader) and the leader of the other (Lingang's leaders ran out).
        team = [
            member(LEADER, TeamRole.LEADER, "王组长"),
            member(f"{hc}:{OURS}", TeamRole.MEMBER, "环翠执法"),
        ]
        led = [
            member(f"{hc}:{OURS}", TeamRole.LEADER, "环翠执法"),
            member(LEADER, TeamRole.MEMBER, "王组长"),
        ]
        await lingang.deliver(task_approved())
        await lingang.deliver(draw_completed("task-1", target(USCC_1, team), target(USCC_2, led)))
        joint_id = inspection_id_for("draw-1", USCC_1)
        path = f"/api/inspections/inspections/{joint_id}"

        async def opened() -> bool:
            return (await lingang.client.get(path, headers=credit)).status_code == 200

        await eventually(opened, "the inspection at lingang")
        form = {
            "results": [
                {"check_item_code": "SD-01", "category": "未发现问题"},
                {"check_item_code": "SD-02", "category": "未发现问题"},
            ]
        }
        await call(lingang, "PUT", f"{path}/results", leader, json=form)

        # Huancui's inspector sees the recorded form at Huancui, by their own id.
        async def recorded() -> Any:
            page = await call(huancui, "GET", "/api/inspections/joint-inspections", ours)
            items = [i for i in page["items"] if i["inspection_id"] == joint_id]
            return items[0] if items and items[0]["status"] == "recorded" else None

        seen = await eventually(recorded, "the recorded form at huancui")
        assert seen["inspection_id"] == joint_id and seen["drawing_district"] == lg
        assert seen["our_members"] == [OURS] and len(seen["results"]) == 2
        # Lingang's own inspector cannot sign it at Huancui (a token of Lingang is refused
        # there), nor can Huancui's inspector sign Lingang's record at Lingang.
        other = await huancui.client.post(
            f"/api/inspections/joint-inspections/{joint_id}/sign", headers=leader
        )
        assert other.status_code in (401, 403)
        there = await lingang.client.post(f"{path}/sign", headers=ours)
        assert there.status_code in (401, 403)

        # Wendeng, Lingang's neighbour too, reads the state (ACLs allow) but keeps nothing,
        # and a signature it writes for Huancui's inspector does not count at Lingang.
        forged = JointInspectionSigned(
            inspection_id=joint_id,
            task_id="task-1",
            drawing_district=lg,
            inspector_id=OURS,
            form_sha256=seen["form_sha256"],
            signed_at=datetime(2026, 4, 1, 3, tzinfo=UTC),
        )
        await wendeng.deliver(forged)

        signed = await call(
            huancui, "POST", f"/api/inspections/joint-inspections/{joint_id}/sign", ours
        )
        assert f"sign:{OURS}" in signed["acted_here"]

        async def lingang_has_it() -> Any:
            record = await call(lingang, "GET", path, credit)
            return record if f"{hc}:{OURS}" in record["signatures"] else None

        record = await eventually(lingang_has_it, "huancui's signature at lingang")
        assert f"{wd}:{OURS}" not in record["signatures"]
        assert [h["actor"] for h in record["history"] if h["action"] == "signed"] == [
            f"{hc}:{OURS}"
        ]

        await call(lingang, "POST", f"{path}/sign", leader)
        await call(lingang, "POST", f"{path}/submit", leader)

        async def submitted_at_huancui() -> Any:
            kept = await call(
                huancui, "GET", f"/api/inspections/joint-inspections/{joint_id}", ours
            )
            return kept if kept["status"] == "submitted" else None

        kept = await eventually(submitted_at_huancui, "the submitted state at huancui")
        assert set(kept["signatures"]) == {LEADER, f"{hc}:{OURS}"}

        # The team Huancui's inspector leads: recorded and submitted at Huancui, kept at Lingang.
        led_id = inspection_id_for("draw-1", USCC_2)
        led_path = f"/api/inspections/joint-inspections/{led_id}"
        await eventually(lambda: _ok(huancui, led_path, ours), "the led inspection at huancui")
        await call(huancui, "PUT", f"{led_path}/results", ours, json=form)
        record_path = f"/api/inspections/inspections/{led_id}"

        async def lingang_state(status: str) -> Any:
            record = await call(lingang, "GET", record_path, credit)
            return record if record["status"] == status else None

        record = await eventually(lambda: lingang_state("recorded"), "huancui's form at lingang")
        assert record["recorded_by"] == f"{hc}:{OURS}"
        await call(lingang, "POST", f"{record_path}/sign", leader)

        async def signed_by_lingang() -> Any:
            kept = await call(huancui, "GET", led_path, ours)
            return LEADER in kept["signatures"]

        await eventually(signed_by_lingang, "lingang's signature, seen at huancui")
        await call(huancui, "POST", f"{led_path}/sign", ours)
        await eventually(lambda: lingang_state("signed"), "every signature at lingang")
        await eventually(
            lambda: _ok(huancui, led_path, ours, "signed"), "the signed form at huancui"
        )
        await call(huancui, "POST", f"{led_path}/submit", ours, json={})
        record = await eventually(lambda: lingang_state("submitted"), "the submission at lingang")
        assert record["submitted_by"] == f"{hc}:{OURS}"
        assert await wendeng.scalar("SELECT count(*) FROM joint_inspections") == 0
        # Wendeng did read Lingang's states (so "nothing kept" is not "nothing arrived").
        consumed = "SELECT count(*) FROM processed_events WHERE consumer LIKE '%neighbour_state%'"
        assert await wendeng.scalar(consumed) >= 1


async def _ok(h: ServiceHarness, path: str, headers: dict[str, str], status: str = "") -> bool:
    response = await h.client.get(path, headers=headers)
    return response.status_code == 200 and (not status or response.json()["status"] == status)
