"""One full cycle of the platform, driven over HTTP as the bureau's people would drive it:
registry → task → draw → inspection → publication → objection → correction → archive.

Used by the all-in-one test (one process, embedded) and the container test (seven processes,
Kafka, PostgreSQL). ``urls`` maps each service to its base URL (the same URL for all-in-one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from spotcheck_common import uscc
from spotcheck_common.clock import FixedClock
from spotcheck_common.testing import TEST_SECRET, auth_headers

from .stack import E2E_CLOCK

# The services' today (their clock is set to E2E_CLOCK), never the machine's.
TODAY = FixedClock(E2E_CLOCK).today()

ITEMS = [
    {"code": "GS-01", "name": "企业公示信息抽查"},
    {"code": "DJ-01", "name": "登记事项检查"},
]
CREDIT = ("zhang.credit", ["credit_dept"], {"department": "信用监管科"})
OFFICE = ("li.office", ["general_office"], {"department": "办公室"})
# Countersigning supervises the draw: someone of the office who holds no share (issue 12).
COUNTERSIGNER = ("zhao.office", ["general_office"], {"department": "办公室"})
DEPUTY = ("wang.deputy", ["deputy_director"], {})
SUPERVISOR = ("zhao.reg", ["supervising_dept"], {"department": "市场规范管理科"})
ENTITY_HEADER = "统一社会信用代码,名称,主体类型,行业,区域,风险等级,状态,住所"
AREA = "草庙子镇"  # every entity's area (区域) in entities_csv
INSPECTOR_HEADER = "执法人员编号,姓名,科室,检查资格,可任组长,执法证有效期至,在岗"


def entities_csv(count: int, seed: int, area: str = AREA) -> tuple[bytes, list[str]]:
    codes = uscc.synthetic(count, seed=seed, area_code="371071")
    risks = "ABCDE"
    rows = [ENTITY_HEADER] + [
        f"{code},临港测试企业{i},有限责任公司,批发和零售业,{area},{risks[i % 5]},存续,临港区{i}号"
        for i, code in enumerate(codes)
    ]
    return ("\n".join(rows) + "\n").encode(), codes


def inspectors_csv(count: int) -> bytes:
    leader = ["是", "否"]
    rows = [INSPECTOR_HEADER] + [
        f"E2E{i:03d},检查员{i},市场规范管理科,双随机全部事项,{leader[i % 2]},2030-12-31,是"
        for i in range(count)
    ]
    return ("\n".join(rows) + "\n").encode()


@dataclass
class Platform:
    urls: Mapping[str, str]
    district: str = "lingang"
    secret: str = TEST_SECRET
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    # A W3C trace context every request (and the ceremony tool) continues: a whole cycle as
    # one trace. "" sends none.
    traceparent: str = ""

    def headers(self, who: tuple[str, list[str], dict[str, str]]) -> dict[str, str]:
        user, roles, claims = who
        signed = auth_headers(user, *roles, district=self.district, secret=self.secret, **claims)
        return {**signed, "traceparent": self.traceparent} if self.traceparent else signed

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Every request of the cycle goes through here (a fault campaign retries in it)."""
        return self.client.request(method, url, **kwargs)

    def run_tool(
        self, argv: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        """One run of the ceremony tool (a fault campaign retries it as its user would)."""
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=120, check=False, env=env, cwd=cwd
        )

    def call(
        self,
        service: str,
        method: str,
        path: str,
        who: tuple[str, list[str], dict[str, str]] | None = None,
        expect: int | tuple[int, ...] = (200, 201),
        **kwargs: Any,
    ) -> Any:
        headers = {**kwargs.pop("headers", {}), **(self.headers(who) if who else {})}
        response = self.request(method, self.urls[service] + path, headers=headers, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None


def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Events travel asynchronously: poll until ``check`` returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@dataclass
class Cycle:
    """What one run of the cycle produced, for the tests to assert on."""

    task_id: str = ""
    task_no: str = ""
    draw_id: str = ""
    codes: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    objection: dict[str, Any] = field(default_factory=dict)
    bundle: bytes = b""
    log: bytes = b""  # the district's draw log, read after the draw
    today: date = field(default_factory=lambda: TODAY)  # the services' clock
    # The entities' area (区域); another one scopes the task to this cycle's entities alone.
    area: str = AREA


def load_registry(p: Platform, cycle: Cycle, entities: int = 200, inspectors: int = 12) -> None:
    seed = zlib.crc32(cycle.task_no.encode())
    data, cycle.codes = entities_csv(entities, seed=seed, area=cycle.area)
    imported = p.call(
        "registry",
        "POST",
        "/api/registry/entities/import",
        CREDIT,
        content=data,
        headers={"content-type": "text/csv"},
    )
    assert imported["imported"] == entities
    p.call(
        "registry",
        "POST",
        "/api/registry/inspectors/import",
        CREDIT,
        content=inspectors_csv(inspectors),
        headers={"content-type": "text/csv"},
    )
    # A bad file is refused whole, naming line and field, and changes nothing.
    bad = (ENTITY_HEADER + f"\n{cycle.codes[0][:-1]}0,坏数据,有限责任公司,x,y,F,存续,\n").encode()
    refused = p.call(
        "registry",
        "POST",
        "/api/registry/entities/import",
        CREDIT,
        content=bad,
        headers={"content-type": "text/csv"},
        expect=422,
    )
    fields = {(e["line"], e["field"]) for e in refused["errors"]}
    assert (2, "风险等级") in fields and (2, "统一社会信用代码") in fields


def approve_task(p: Platform, cycle: Cycle) -> None:
    scope = {} if cycle.area == AREA else {"target_filter": {"areas": [cycle.area]}}
    task = p.call(
        "planning",
        "POST",
        "/api/planning/tasks",
        SUPERVISOR,
        json={
            **scope,
            "task_no": cycle.task_no,
            "title": "2026年企业公示信息双随机抽查（端到端）",
            "lead_department": "市场规范管理科",
            "check_items": ITEMS,
            # No class E: the year-in-miniature scenario draws class E up to the yearly cap.
            "ratio_bp": {"A": 200, "B": 500, "C": 1000, "D": 3000},
            "inspector_departments": ["市场规范管理科"],
            "team_size": 2,
            "methods": ["现场检查"],
            "deadline": (cycle.today + timedelta(days=60)).isoformat(),
        },
    )
    cycle.task_id = task["task_id"]
    approved = p.call("planning", "POST", f"/api/planning/tasks/{cycle.task_id}/approve", DEPUTY)
    assert approved["status"] == "approved"


class Ceremony:
    """The draw's people, each running ``spotcheck-ceremony`` (downloaded from the service) on
    their own computer: keys and shares are made by the tool, in a directory of their own, and
    never pass through here."""

    def __init__(self, p: Platform, home: Path) -> None:
        self.p = p
        self.home = home
        # the tool as a party downloads it: one zip, run by a bare Python (no workspace)
        self.tool = home / "spotcheck-ceremony.pyz"
        url = p.urls["draws"] + "/public/draws/ceremony/spotcheck-ceremony.pyz"
        self.tool.write_bytes(p.request("GET", url).raise_for_status().content)

    def run(self, who: Person, *args: str, expect: int = 0) -> str:
        user = who[0]
        token = self.p.headers(who)["Authorization"][7:]
        env = {**os.environ, "SPOTCHECK_TOKEN": token, "SPOTCHECK_CLOCK": E2E_CLOCK}
        if self.p.traceparent:
            env["TRACEPARENT"] = self.p.traceparent
        argv = [sys.executable, "-I", "-S", str(self.tool), *args, "--api", self.p.urls["draws"]]
        done = self.p.run_tool(argv, env, self.home)
        assert done.returncode == expect, f"{user}: {args[0]}: {done.stdout}{done.stderr}"
        return done.stdout

    def key(self, who: Person, party: str) -> Path:
        """``who``'s key for ``party``: made and registered once (valid around the services'
        day, not the machine's)."""
        path = self.home / f"{who[0]}.{party}.key"
        if not path.exists():
            start, end = TODAY - timedelta(days=30), TODAY + timedelta(days=365)
            self.run(
                who,
                "keygen",
                *("--district", self.p.district, "--party", party, "--holder", who[0]),
                *("--valid-from", start.isoformat(), "--valid-until", end.isoformat()),
                *("--key", str(path)),
            )
        return path

    def act(self, who: Person, party: str, action: str, draw_id: str, *args: str) -> str:
        key = self.key(who, party)
        return self.run(who, action, "--key", str(key), "--draw", draw_id, *args)


Person = tuple[str, list[str], dict[str, str]]


def run_draw(
    p: Platform, cycle: Cycle, min_population: int | None = None, assigned_because: str = ""
) -> None:
    """Freeze; each party commits and reveals with ``spotcheck-ceremony`` (a wrong share is
    refused); the office's supervisor countersigns with it; keep the bundle and the log.
    ``assigned_because``: the deputy director approves direct assignment first (第六条), and the
    credit department assigns the drawn targets' teams with the tool (draw spec §15)."""
    wanted = len(cycle.codes) * 0.9 if min_population is None else min_population
    home = Path(tempfile.mkdtemp(prefix="ceremony-"))
    ceremony = Ceremony(p, home)
    state = ("--state", str(home))
    request: dict[str, Any] = {"task_id": cycle.task_id}
    if assigned_because:
        path = f"/api/draws/tasks/{cycle.task_id}/direct-assignment-approvals"
        approval = eventually(
            lambda: p.call(
                "draws", "POST", path, DEPUTY, json={"reason": assigned_because}, expect=(201, 404)
            ).get("approval_id"),
            "the draws service to know the task",
        )
        request["direct_approval"] = approval

    def create() -> Any:
        response = p.request(
            "POST",
            p.urls["draws"] + "/api/draws/draws",
            json=request,
            headers=p.headers(CREDIT),
        )
        if response.status_code in (404, 409, 422):  # task or population not arrived yet
            return None
        assert response.status_code == 201, response.text
        body = response.json()
        manifest = body["manifest"]
        if manifest["population"]["size"] >= wanted and manifest["roster"]["size"] >= 4:
            return body
        # Frozen before the registry's entities or inspectors all arrived: cancel (allowed
        # before any reveal, signed, in the draw log) and freeze again.
        reason = ("--reason", "主体名录尚未同步完成，作废重抽")
        ceremony.act(CREDIT, "信用监管科", "cancel", body["draw_id"], *reason)
        return None

    draw = eventually(create, "the draws service to know the task and the population")
    cycle.draw_id = draw["draw_id"]
    holder = {"办公室": OFFICE, "信用监管科": CREDIT}
    for party in draw["parties"]:  # a co-organising agency's party: its liaison (第三条)
        agency, _, _ = party.partition(":联合检查单位")
        if party.endswith(":联合检查单位"):
            holder[party] = (f"liaison-{agency}", ["agency_liaison"], {"agency": agency})
    for party in draw["parties"]:
        ceremony.act(holder[party], party, "commit", cycle.draw_id, *state)
    # A reveal that does not match its commitment is refused.
    p.call(
        "draws",
        "POST",
        f"/api/draws/draws/{cycle.draw_id}/reveals",
        OFFICE,
        json={"party": "办公室", "share": os.urandom(32).hex()},
        expect=(409, 422),
    )
    for party in draw["parties"]:
        ceremony.act(holder[party], party, "reveal", cycle.draw_id, *state)
    if assigned_because:
        teams = home / "teams.json"
        teams.write_text(json.dumps(assigned_teams(p, cycle.draw_id)), encoding="utf-8")
        ceremony.act(CREDIT, "信用监管科", "assign", cycle.draw_id, "--teams", str(teams))
    opinion = ("--opinion", "抽取过程符合规定", "--acknowledge-unstaffed")
    ceremony.act(COUNTERSIGNER, "办公室", "countersign", cycle.draw_id, *opinion)
    done = p.call("draws", "GET", f"/api/draws/draws/{cycle.draw_id}", CREDIT)
    assert done["status"] == "completed"
    cycle.bundle = p.request(
        "GET", p.urls["draws"] + f"/public/draws/{cycle.draw_id}/bundle"
    ).content
    cycle.log = p.request("GET", p.urls["draws"] + "/public/draws/log").content


def assigned_teams(p: Platform, draw_id: str) -> list[dict[str, Any]]:
    """The credit department's teams for a drawn direct-assignment draw: a leader-qualified
    inspector of the frozen roster leads each target with another one, in turn."""
    draw = p.call("draws", "GET", f"/api/draws/draws/{draw_id}", CREDIT)
    assert draw["status"] == "assigning", draw["status"]
    roster = p.call("draws", "GET", f"/public/draws/{draw_id}/manifest")["roster"]
    able = [i for i in roster if i["active"]]
    leaders = [i["inspector_id"] for i in able if i["leader_qualified"]]
    others = [i["inspector_id"] for i in able]
    teams = []
    for n, target in enumerate(draw["targets"]):
        leader = leaders[n % len(leaders)]
        member = next(i for i in others[n % len(others) :] + others if i != leader)
        teams.append({"uscc": target["uscc"], "team": [[leader, "leader"], [member, "member"]]})
    return teams


# The JavaScript verifier the public site runs in the browser, as a command (Node).
JS_VERIFIER = Path(__file__).resolve().parents[2] / "services/portal/tests/js/cli.mjs"


def verify_bundle(bundle: bytes, log: bytes = b"") -> subprocess.CompletedProcess[str]:
    """Run the citizen's stand-alone verifier (standard library only) on a bundle, and on the
    district's whole draw log when given; the browser's JavaScript verifier must give the same
    verdict on every bundle the run makes."""
    import draws.verify_draw as verifier

    with tempfile.TemporaryDirectory() as tmp:
        path, log_path = Path(tmp) / "bundle.json", Path(tmp) / "log.json"
        path.write_bytes(bundle)
        log_path.write_bytes(log)
        extra = ["--log", str(log_path)] if log else []
        python = subprocess.run(
            [sys.executable, "-I", "-S", verifier.__file__, str(path), *extra],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        js = subprocess.run(
            ["node", str(JS_VERIFIER), str(path), *extra],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert js.returncode == python.returncode, (
        f"the verifiers disagree: Python {python.returncode} {python.stdout[-500:]}; "
        f"JavaScript {js.returncode} {js.stdout[-500:]} {js.stderr[-500:]}"
    )
    return python


def inspect_all(p: Platform, cycle: Cycle, on_submitted: Hook | None = None) -> None:
    def opened() -> list[dict[str, Any]] | None:
        found = p.call(
            "inspections",
            "GET",
            "/api/inspections/inspections",
            SUPERVISOR,
            params={"task_id": cycle.task_id, "limit": 500},
        )
        expected = len(cycle.targets)
        return found["items"] if expected and found["total"] == expected else None

    cycle.inspections = eventually(opened, "one inspection per drawn target")
    for n, inspection in enumerate(cycle.inspections):
        team = inspection["team"]
        leader = next(m for m in team if m["role"] == "leader")
        results = [
            {
                "check_item_code": item["code"],
                "category": "发现问题待后续处理" if n == 0 and i == 0 else "未发现问题",
                **({"pending_reason": "未按规定公示应当公示的信息"} if n == 0 and i == 0 else {}),
            }
            for i, item in enumerate(ITEMS)
        ]
        base = f"/api/inspections/inspections/{inspection['inspection_id']}"
        as_leader = inspector(leader["inspector_id"])
        p.call("inspections", "PUT", f"{base}/results", as_leader, json={"results": results})
        for member in team:
            if member["role"] in ("leader", "member"):
                p.call("inspections", "POST", f"{base}/sign", inspector(member["inspector_id"]))
        p.call("inspections", "POST", f"{base}/submit", as_leader, json={})
        if on_submitted is not None:
            on_submitted(n + 1, len(cycle.inspections))


def inspector(inspector_id: str) -> tuple[str, list[str], dict[str, str]]:
    return (f"user-{inspector_id}", ["inspector"], {"inspector_id": inspector_id})


def published_records(p: Platform, cycle: Cycle) -> list[dict[str, Any]]:
    found = p.call(
        "publication", "GET", "/public/results", params={"task_no": cycle.task_no, "limit": 200}
    )
    return found["items"]


def object_and_correct(p: Platform, cycle: Cycle) -> None:
    record = next(r for r in cycle.records if r["uscc"] == cycle.inspections[0]["uscc"])
    entity = ("entity-user", ["entity"], {"uscc": record["uscc"]})

    def known() -> Any:
        response = p.request(
            "POST",
            p.urls["objections"] + "/api/objections/objections",
            json={
                "record_id": record["record_id"],
                "uscc": record["uscc"],
                "reason": "已于检查前公示年报",
            },
            headers=p.headers(entity),
        )
        if response.status_code == 404:  # the published record has not reached objections yet
            return None
        assert response.status_code == 201, response.text
        return response.json()

    objection = eventually(known, "objections to know the published record")
    assert objection["review_due_on"] > objection["received_on"]
    decided = p.call(
        "objections",
        "POST",
        f"/api/objections/objections/{objection['objection_id']}/decision",
        SUPERVISOR,
        json={
            "decision": "corrected",
            "reason": "复查确认企业已按时公示",
            "corrected_results": [
                {
                    "check_item_code": ITEMS[0]["code"],
                    "check_item_name": ITEMS[0]["name"],
                    "category": "未发现问题",
                }
            ],
        },
    )
    assert decided["feedback_due_on"] and decided["correction_due_on"]
    decided = correct_through_the_city(p, objection["objection_id"], "临市监更〔2026〕1号")
    cycle.objection = decided | {"record_id": record["record_id"]}


def correct_through_the_city(p: Platform, objection_id: str, request_no: str) -> Any:
    """第九条: the credit department requests the confirmed correction of the city bureau; the
    city grants it (its reply recorded); only then does publication issue the new version."""
    decided = p.call(
        "objections",
        "POST",
        f"/api/objections/objections/{objection_id}/correction",
        CREDIT,
        json={"request_no": request_no, "note": "经复查确有错误，报请市局更正"},
    )
    request_id = decided["city_request_id"]
    assert request_id
    p.call(
        "objections",
        "POST",
        f"/api/objections/corrections/{request_id}/reply",
        CREDIT,
        json={"decision": "granted", "reply_no": request_no.replace("临市监更", "威市监复")},
    )
    return p.call("objections", "GET", f"/api/objections/objections/{objection_id}", CREDIT)


Hook = Callable[[int, int], None]


def run_cycle(
    p: Platform,
    task_no: str,
    on_submitted: Hook | None = None,
    objection: bool = True,
    today: date = TODAY,
    area: str = AREA,
) -> Cycle:
    """The whole cycle; ``on_submitted(n, total)`` runs after each submission (fault tests).
    ``today`` is the services' day (their SPOTCHECK_CLOCK); ``area`` the entities' (another
    than AREA keeps cycles on one stack apart: a draw, a yearly cap of their own)."""
    cycle = Cycle(task_no=task_no, today=today, area=area)
    load_registry(p, cycle)
    approve_task(p, cycle)
    run_draw(p, cycle)
    draw = p.call("draws", "GET", f"/api/draws/draws/{cycle.draw_id}", CREDIT)
    cycle.targets = draw["targets"]
    assert cycle.targets, "the draw selected no target"
    inspect_all(p, cycle, on_submitted)
    cycle.records = eventually(
        lambda: (r := published_records(p, cycle)) and len(r) == len(cycle.targets) and r,
        "every submitted inspection to be published",
    )
    if objection:
        object_and_correct(p, cycle)
    return cycle


def assert_cycle(p: Platform, cycle: Cycle) -> None:
    """What must hold at the end: the correction, the kept original, the dossier, the draw."""
    record_id = cycle.objection["record_id"]

    def corrected() -> Any:
        record = p.call("publication", "GET", f"/public/results/{record_id}")
        return record if len(record["versions"]) == 2 else None

    record = eventually(corrected, "the correction to be published")
    first, second = sorted(record["versions"], key=lambda v: v["version"])
    assert first["status"] == "superseded" and second["status"] == "current"
    assert first["results"][0]["category"] == "发现问题待后续处理"  # the original is kept
    assert second["results"][0]["category"] == "未发现问题"
    assert second["objection_id"] == cycle.objection["objection_id"]
    assert_searched_by_area(p, cycle)

    expected = dossier_events(cycle)

    def dossier() -> Any:
        d = p.call("archives", "GET", f"/api/archives/dossiers/{cycle.task_id}", CREDIT)
        counts: dict[str, int] = {}
        for entry in d["entries"]:
            counts[entry["event_type"]] = counts.get(entry["event_type"], 0) + 1
        return d if all(counts.get(k, 0) >= v for k, v in expected.items()) else None

    d = eventually(dossier, "the dossier to hold every event of the task")
    counts: dict[str, int] = {}
    for entry in d["entries"]:
        counts[entry["event_type"]] = counts.get(entry["event_type"], 0) + 1
    for event_type, n in expected.items():
        assert counts[event_type] == n, f"{event_type}: {counts[event_type]} entries, want {n}"
    ids = [e["event_id"] for e in d["entries"]]
    assert len(ids) == len(set(ids)), "an event was filed twice"
    seqs = [e["seq"] for e in d["entries"]]
    assert seqs == list(range(1, len(seqs) + 1))
    verified = p.call("archives", "GET", f"/api/archives/dossiers/{cycle.task_id}/verify", CREDIT)
    assert verified["ok"] is True, verified

    result = verify_bundle(cycle.bundle, cycle.log)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "spotcheck-draw/3" in cycle.bundle.decode() and "head" in result.stdout.lower()
    tampered = bytearray(cycle.bundle)
    at = tampered.index(cycle.targets[0]["uscc"].encode())
    tampered[at + 17] = ord("0") if tampered[at + 17] != ord("0") else ord("1")
    assert verify_bundle(bytes(tampered)).returncode != 0, "a tampered bundle passed"
    for changed in tampered_ceremony(cycle.bundle, cycle.log):
        assert verify_bundle(*changed).returncode == 1, "a tampered ceremony passed"


def dossier_events(cycle: Cycle) -> dict[str, int]:
    """How many entries of each event type a whole cycle's dossier holds: exactly these."""
    return {
        "planning.task-approved": 1,
        "draws.draw-completed": 1,
        "inspections.inspection-submitted": len(cycle.targets),
        "publication.result-published": len(cycle.targets),
        "objections.objection-filed": 1,
        "objections.objection-decided": 1,
        "objections.correction-requested": 1,
        "objections.correction-granted": 1,
        "publication.result-corrected": 1,
    }


def assert_searched_by_area(p: Platform, cycle: Cycle) -> None:
    """The published records carry the entity's area as the registry records it (draw →
    inspection → publication), and the public search filters by it, exactly."""
    assert {r["area"] for r in cycle.records} == {cycle.area}

    def found(area: str) -> set[str]:
        params = {"task_no": cycle.task_no, "area": area, "limit": 200}
        page = p.call("publication", "GET", "/public/results", params=params)
        assert all(r["area"] == area for r in page["items"])
        return {r["record_id"] for r in page["items"]}

    assert found(cycle.area) == {r["record_id"] for r in cycle.records}
    assert found("汪疃镇") == set()
    assert found(cycle.area[:-1]) == set()  # exact, not a part of the name


def tampered_ceremony(bundle: bytes, log: bytes) -> list[tuple[bytes, bytes]]:
    """The bundle and log with one thing changed each (re-hashed where a hash would give it
    away at once): the manifest, a signature, the log, a recusal disclosure."""
    import json

    from draws.domain import protocol as proto

    def rebuilt(body: dict[str, Any]) -> bytes:
        return proto.canonical_json({"body": body, "body_sha256": proto.json_sha256(body)})

    out: list[tuple[bytes, bytes]] = []
    body = json.loads(bundle)["body"]
    manifest = json.loads(json.dumps(body))
    manifest["manifest"]["frozen_at"] = "2026-11-16T00:00:00+00:00"
    manifest["manifest_sha256"] = proto.json_sha256(manifest["manifest"])
    out.append((rebuilt(manifest), log))
    signed = json.loads(json.dumps(body))
    sig = signed["reveals"][0]["signature"]
    signed["reveals"][0]["signature"] = sig[:-2] + ("00" if sig[-2:] != "00" else "01")
    out.append((rebuilt(signed), log))
    whole = json.loads(log)
    whole["records"][-1]["record"]["at"] = "2026-11-16T00:00:00+00:00"
    out.append((bundle, proto.canonical_json(whole)))
    if body["result"]["recusal_disclosures"]:
        hidden = json.loads(json.dumps(body))
        hidden["result"]["recusal_disclosures"].pop()
        hidden["result_sha256"] = proto.json_sha256(hidden["result"])
        out.append((rebuilt(hidden), log))
    return out
