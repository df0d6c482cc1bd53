"""Three district bureaus on one regional Kafka and PostgreSQL (issue 10), driven over HTTP as
each bureau's own people would drive it — each signed in at their own bureau only.

Lingang's pool is short: its joint draw with Huancui staffs every target. Huancui's credit
department commits and reveals its own share at Huancui; Huancui's inspectors record (when they
lead a team), sign and submit at Huancui; Lingang keeps every record. Wendeng, Lingang's
neighbour too, takes no part and holds nothing of it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .flow import (
    COUNTERSIGNER,
    CREDIT,
    INSPECTOR_HEADER,
    OFFICE,
    Ceremony,
    Cycle,
    Person,
    Platform,
    approve_task,
    entities_csv,
    eventually,
    inspector,
    verify_bundle,
)

LINGANG, HUANCUI, WENDENG = "lingang", "huancui", "wendeng"
DEPARTMENT = "市场规范管理科"  # the task's inspectors' department, in both bureaus
HC_CREDIT: Person = ("hc-credit", ["credit_dept"], {"department": "信用监管科"})
# Huancui's key for Lingang's draw log: valid around the services' day (E2E_CLOCK).
VALID = ("2026-01-01", "2027-12-31")


def roster_csv(prefix: str, count: int, leaders: int) -> bytes:
    rows = [INSPECTOR_HEADER] + [
        f"{prefix}{i:03d},{prefix}检查员{i},{DEPARTMENT},双随机全部事项,"
        f"{'是' if i < leaders else '否'},2030-12-31,是"
        for i in range(count)
    ]
    return ("\n".join(rows) + "\n").encode()


@dataclass
class Region:
    bureaus: dict[str, Platform]
    cycle: Cycle = field(default_factory=lambda: Cycle(task_no="LG-E2E-JOINT"))
    draw: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ceremony-joint-")))

    def tool(self) -> Ceremony:
        """Lingang's people's ``spotcheck-ceremony`` (keys and shares in ``home``)."""
        return Ceremony(self.lingang, self.home)

    @property
    def lingang(self) -> Platform:
        return self.bureaus[LINGANG]

    @property
    def huancui(self) -> Platform:
        return self.bureaus[HUANCUI]

    @property
    def wendeng(self) -> Platform:
        return self.bureaus[WENDENG]


def import_rosters(region: Region) -> None:
    """Lingang: 30 entities and one inspector, who may lead (a team of two always needs one
    of Huancui's, whatever the draw selects); Huancui: ten, four may lead."""
    lg, hc = region.lingang, region.huancui
    data, region.cycle.codes = entities_csv(30, seed=1010)
    csv = {"content-type": "text/csv"}
    lg.call("registry", "POST", "/api/registry/entities/import", CREDIT, content=data, headers=csv)
    lg.call(
        "registry",
        "POST",
        "/api/registry/inspectors/import",
        CREDIT,
        content=roster_csv("LG", 1, 1),
        headers=csv,
    )
    hc.call(
        "registry",
        "POST",
        "/api/registry/inspectors/import",
        HC_CREDIT,
        content=roster_csv("HC", 10, 4),
        headers=csv,
    )


def freeze_joint_draw(region: Region) -> None:
    """Lingang freezes a draw filled from Huancui's pool once Huancui's roster has arrived
    (refused with the reason until then) and its own registry is complete."""
    lg, cycle = region.lingang, region.cycle
    approve_task(lg, cycle)
    body = {"task_id": cycle.task_id, "neighbour_rule": "fill-when-short", "joint_with": [HUANCUI]}

    def frozen() -> Any:
        response = lg.client.post(
            lg.urls["draws"] + "/api/draws/draws", json=body, headers=lg.headers(CREDIT)
        )
        if response.status_code != 201:
            return None
        draw = response.json()
        pools = {p["district"] for p in draw["manifest"]["pools"]}
        if draw["manifest"]["population"]["size"] == len(cycle.codes) and HUANCUI in pools:
            return draw
        # Frozen before the registry's entities all arrived: cancelled (signed) and frozen again.
        reason = ("--reason", "主体名录尚未同步完成，作废重抽")
        region.tool().act(CREDIT, "信用监管科", "cancel", draw["draw_id"], *reason)
        return None

    region.draw = eventually(frozen, "lingang's population and huancui's roster", timeout=180)
    cycle.draw_id = region.draw["draw_id"]


def run_ceremony(region: Region) -> None:
    """Lingang's parties with ``spotcheck-ceremony``; Huancui's party at Huancui, with its key
    registered for Lingang's draw log; the office countersigns at Lingang."""
    lg, hc, draw = region.lingang, region.huancui, region.draw
    draw_id = draw["draw_id"]
    party = f"{HUANCUI}:信用监管科"
    assert draw["parties"] == ["信用监管科", "办公室", party]
    from draws import ceremony as tool

    lingang_tool = region.tool()
    state = ("--state", str(region.home))
    holder = {"信用监管科": CREDIT, "办公室": OFFICE}

    joint = f"/api/draws/joint-draws/{draw_id}"
    eventually(
        lambda: hc.call("draws", "GET", joint, HC_CREDIT, expect=(200, 404)).get("draw_id"),
        "lingang's manifest, opened at huancui",
    )
    digest = bytes.fromhex(draw["manifest_sha256"])
    secret = hashlib.sha256(b"huancui credit department, e2e").digest()
    share = hashlib.sha256(b"huancui share, e2e").digest()
    key = tool.Key.new(secret, LINGANG, party, f"{HUANCUI}:{HC_CREDIT[0]}", *VALID)
    registration = tool.registration_body(key)
    commit = tool.commit_body(key, digest, draw_id, share)
    hc.call(
        "draws",
        "POST",
        f"{joint}/commitment",
        HC_CREDIT,
        json={
            "commitment": commit["commitment"],
            "public_key": registration["public_key"],
            "valid_from": registration["valid_from"],
            "valid_until": registration["valid_until"],
            "key_signature": registration["signature"],
            "signature": commit["signature"],
        },
    )
    # Lingang's credit department cannot act for Huancui's party.
    lg.call(
        "draws",
        "POST",
        f"/api/draws/draws/{draw_id}/commitments",
        CREDIT,
        json=commit,
        expect=(403, 422),
    )
    for name in ("信用监管科", "办公室"):
        lingang_tool.act(holder[name], name, "commit", draw_id, *state)

    def all_committed() -> bool:
        side = hc.call("draws", "GET", joint, HC_CREDIT)
        return sorted(side["committed"]) == sorted(draw["parties"])

    eventually(all_committed, "every commitment, seen at huancui")
    reveal = tool.reveal_body(key, digest, share)
    hc.call(
        "draws",
        "POST",
        f"{joint}/reveal",
        HC_CREDIT,
        json={"share": reveal["share"], "signature": reveal["signature"]},
    )
    for name in ("信用监管科", "办公室"):
        lingang_tool.act(holder[name], name, "reveal", draw_id, *state)

    def drawn() -> bool:
        return lg.call("draws", "GET", f"/api/draws/draws/{draw_id}", CREDIT)["status"] == "drawn"

    eventually(drawn, "huancui's reveal at lingang, and the result")
    opinion = ("--opinion", "联合抽取过程符合规定")
    lingang_tool.act(COUNTERSIGNER, "办公室", "countersign", draw_id, *opinion)
    done = lg.call("draws", "GET", f"/api/draws/draws/{draw_id}", CREDIT)
    assert done["status"] == "completed"
    region.targets = done["targets"]
    region.cycle.bundle = lg.client.get(
        lg.urls["draws"] + f"/public/draws/{draw_id}/bundle"
    ).content
    region.cycle.log = lg.client.get(lg.urls["draws"] + "/public/draws/log").content


def home_of(inspector_id: str) -> tuple[str, str]:
    """(district, own id): Lingang names Huancui's inspectors ``huancui:<id>``."""
    district, _, own = inspector_id.rpartition(":")
    return (district or LINGANG, own)


ITEM_RESULTS = [
    {"check_item_code": "GS-01", "category": "未发现问题"},
    {"check_item_code": "DJ-01", "category": "未发现问题"},
]


def inspect_jointly(region: Region) -> list[dict[str, Any]]:
    """Every inspection, each act at the actor's own bureau: the leader records, every member
    signs, the leader submits. Lingang's record is the one that counts; Huancui's side acts on
    the state Lingang last sent."""
    lg, hc = region.lingang, region.huancui
    task = {"task_id": region.cycle.task_id, "limit": 500}

    def opened() -> Any:
        page = lg.call("inspections", "GET", "/api/inspections/inspections", CREDIT, params=task)
        return page["items"] if page["total"] == len(region.targets) else None

    inspections = eventually(opened, "one inspection per drawn target at lingang")

    def record_at_lingang(i: dict[str, Any], status: str) -> Callable[[], Any]:
        path = f"/api/inspections/inspections/{i['inspection_id']}"
        return lambda: (r := lg.call("inspections", "GET", path, CREDIT))["status"] == status and r

    def at_huancui(i: dict[str, Any], own: str, ready: Callable[[dict[str, Any]], bool]) -> Any:
        path = f"/api/inspections/joint-inspections/{i['inspection_id']}"

        def seen() -> Any:
            kept = hc.call("inspections", "GET", path, inspector(own), expect=(200, 404))
            return kept if kept.get("inspection_id") and ready(kept) else None

        return eventually(seen, f"{path} at huancui")

    def act(i: dict[str, Any], who: str, action: str, status_before: str) -> None:
        district, own = home_of(who)
        body: dict[str, Any] = {"results": ITEM_RESULTS} if action == "results" else {}
        method = "PUT" if action == "results" else "POST"
        if district == LINGANG:
            path = f"/api/inspections/inspections/{i['inspection_id']}/{action}"
            lg.call("inspections", method, path, inspector(own), json=body)
            return
        at_huancui(i, own, lambda kept: kept["status"] == status_before)
        path = f"/api/inspections/joint-inspections/{i['inspection_id']}/{action}"
        hc.call("inspections", method, path, inspector(own), json=body, expect=202)

    for i in inspections:
        leader = next(m["inspector_id"] for m in i["team"] if m["role"] == "leader")
        act(i, leader, "results", "pending")
    for i in inspections:
        eventually(record_at_lingang(i, "recorded"), "every form recorded at lingang")
        for m in i["team"]:
            act(i, m["inspector_id"], "sign", "recorded")
    for i in inspections:
        eventually(record_at_lingang(i, "signed"), "every signature at lingang")
        leader = next(m["inspector_id"] for m in i["team"] if m["role"] == "leader")
        act(i, leader, "submit", "signed")
    return [eventually(record_at_lingang(i, "submitted"), "every submission") for i in inspections]


def dossier_of(p: Platform, who: Person, task_id: str, expect: tuple[int, ...] = (200,)) -> Any:
    return p.call("archives", "GET", f"/api/archives/dossiers/{task_id}", who, expect=expect)


def assert_region(region: Region, records: list[dict[str, Any]]) -> None:
    lg, hc, wd = region.lingang, region.huancui, region.wendeng
    cycle = region.cycle
    # Every target staffed, Huancui's inspectors on the teams, some leading.
    assert region.targets and all(t["team"] for t in region.targets)
    members = [m for t in region.targets for m in t["team"]]
    assert any(home_of(m["inspector_id"])[0] == HUANCUI for m in members)
    assert {home_of(r["submitted_by"])[0] for r in records} <= {LINGANG, HUANCUI}
    huancui_signed = {s for r in records for s in r["signatures"] if s.startswith(f"{HUANCUI}:")}
    assert huancui_signed, "no signature of huancui's inspectors reached lingang's records"

    result = verify_bundle(cycle.bundle, cycle.log)
    assert result.returncode == 0, result.stdout + result.stderr

    # Both dossiers hold the draw and verify; Wendeng has none.
    def holds_draw(p: Platform, who: Person) -> Any:
        d = dossier_of(p, who, cycle.task_id, expect=(200, 404))
        kinds = {e["event_type"] for e in d.get("entries", [])}
        return d if {"draws.draw-manifest-frozen", "draws.draw-completed"} <= kinds else None

    for p, who in ((lg, CREDIT), (hc, HC_CREDIT)):
        eventually(lambda p=p, who=who: holds_draw(p, who), f"the draw in {p.district}'s dossier")
        verified = p.call("archives", "GET", f"/api/archives/dossiers/{cycle.task_id}/verify", who)
        assert verified["ok"] is True, verified
    wd_credit: Person = ("wd-credit", ["credit_dept"], {"department": "信用监管科"})
    dossier_of(wd, wd_credit, cycle.task_id, expect=(404,))
    assert wd.call("draws", "GET", "/api/draws/joint-draws", wd_credit)["items"] == []
    assert (
        wd.call("inspections", "GET", "/api/inspections/joint-inspections", wd_credit)["total"] == 0
    )

    # Huancui's public site names the draw with the digests Lingang sent it through the broker.
    def listed() -> Any:
        items = hc.call("draws", "GET", "/public/draws/joint")["items"]
        return next(
            (x for x in items if x["draw_id"] == cycle.draw_id and x["result_sha256"]), None
        )

    joint = eventually(listed, "the joint draw on huancui's public site")
    completed = lg.call("draws", "GET", f"/api/draws/draws/{cycle.draw_id}", CREDIT)
    assert joint["result_sha256"] == completed["result_sha256"]
    assert joint["drawing_district"] == LINGANG
    assert wd.call("draws", "GET", "/public/draws/joint")["total"] == 0
