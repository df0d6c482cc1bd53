"""What the browser tests set up over the services' HTTP APIs, as tests/e2e/flow.py drives the
cycle, before they turn to the pages: a task approved (and published), its draw completed with
each party running ``spotcheck-ceremony`` as the service hands it out, inspections recorded and
submitted, results published, an objection decided and corrected. Tokens come from the demo
issuer (``POST /auth/token``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from .conftest import CLOCK, TODAY


@dataclass(frozen=True)
class Person:
    """Who makes a call: the demo issuer's user, role and claims."""

    user: str
    role: str
    claims: tuple[tuple[str, str], ...] = ()

    def body(self) -> dict[str, Any]:
        return {"user": self.user, "roles": [self.role], **dict(self.claims)}


def person(user: str, role: str, **claims: str) -> Person:
    return Person(user, role, tuple(sorted(claims.items())))


SUPERVISOR_DEPT = "市场规范管理科"  # 赵规范's: the tasks' lead department
CREDIT = person("zhang.credit", "credit_dept", name="张信用", department="信用监管科")
OFFICE = person("li.office", "general_office", department="办公室")
COUNTERSIGNER = person("zhou.office", "general_office", department="办公室")  # holds no share
DEPUTY = person("wang.deputy", "deputy_director")
SUPERVISOR = person("zhao.reg", "supervising_dept", department=SUPERVISOR_DEPT)
HOLDERS = {"办公室": OFFICE, "信用监管科": CREDIT}  # the seed's parties
ITEMS = [
    {"code": "LG-GS-01", "name": "企业公示信息抽查"},
    {"code": "LG-DJ-01", "name": "登记事项检查"},
]
PROBLEM = "发现问题待后续处理"
PENDING = "未按规定公示应当公示的信息"


def inspector(inspector_id: str) -> Person:
    return person(inspector_id, "inspector", inspector_id=inspector_id)


def entity(uscc: str) -> Person:
    return person(f"entity-{uscc}", "entity", uscc=uscc)


def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Events travel asynchronously: poll until ``check`` returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


class Services:
    """The server's APIs, each call with the demo token of the person making it."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server, timeout=60)
        self.tokens: dict[Person, str] = {}

    def token(self, who: Person) -> str:
        if who not in self.tokens:
            answer = self.client.post("/auth/token", json=who.body())
            self.tokens[who] = answer.raise_for_status().json()["access_token"]
        return self.tokens[who]

    def answer(
        self, method: str, path: str, who: Person | None = None, **kw: Any
    ) -> httpx.Response:
        """The service's answer as it is (for a caller that waits on a refusal to go away)."""
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        return self.client.request(method, path, headers=headers, **kw)

    def call(self, method: str, path: str, who: Person | None = None, **kw: Any) -> Any:
        """The answer's JSON; fails the test on a refusal."""
        answer = self.answer(method, path, who, **kw)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None


def approved_task(
    api: Services,
    task_no: str,
    ratio_bp: Mapping[str, int],
    *,
    title: str = "",
    target_filter: Mapping[str, list[str]] | None = None,
    inspector_departments: tuple[str, ...] = (SUPERVISOR_DEPT,),
    days: int = 30,
    publish: bool = False,
) -> dict[str, Any]:
    """A task of the supervising department due in ``days`` (by default still in the services'
    year: the statistics count a task in its deadline's year), approved by the deputy director
    and, with ``publish``, published."""
    task = api.call(
        "POST",
        "/api/planning/tasks",
        SUPERVISOR,
        json={
            "task_no": task_no,
            "title": title or f"企业公示信息抽查（{task_no}）",
            "lead_department": SUPERVISOR_DEPT,
            "check_items": ITEMS,
            "target_filter": dict(target_filter or {}),
            "ratio_bp": dict(ratio_bp),
            "inspector_departments": list(inspector_departments),
            "team_size": 2,
            "methods": ["现场检查"],
            "deadline": (TODAY + timedelta(days=days)).isoformat(),
        },
    )
    path = f"/api/planning/tasks/{task['task_id']}"
    done = api.call("POST", f"{path}/approve", DEPUTY)
    if publish:
        done = api.call("POST", f"{path}/publish", SUPERVISOR)
    return dict(done)


class Ceremony:
    """Each party runs the downloaded ``spotcheck-ceremony`` with a key of its own, made on
    first use (valid around the services' day), in a directory of its own."""

    def __init__(self, api: Services) -> None:
        self.api = api
        self.home = Path(tempfile.mkdtemp(prefix="ceremony-"))
        self.tool = self.home / "spotcheck-ceremony.pyz"
        tool = api.client.get("/public/draws/ceremony/spotcheck-ceremony.pyz")
        self.tool.write_bytes(tool.raise_for_status().content)

    def run(self, who: Person, *args: str) -> str:
        env = {**os.environ, "SPOTCHECK_TOKEN": self.api.token(who), "SPOTCHECK_CLOCK": CLOCK}
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(self.tool), *args, "--api", self.api.server],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=self.home,
        )
        assert done.returncode == 0, f"{who.user} {args[0]}: {done.stdout}{done.stderr}"
        return done.stdout

    def act(self, who: Person, party: str, action: str, draw_id: str, *args: str) -> str:
        key = self.home / f"{who.user}.{party}.key"
        if not key.exists():
            start, end = TODAY - timedelta(days=30), TODAY + timedelta(days=365)
            self.run(
                who,
                *("keygen", "--district", "lingang", "--party", party, "--holder", who.user),
                *("--valid-from", start.isoformat(), "--valid-until", end.isoformat()),
                *("--key", str(key)),
            )
        return self.run(who, action, "--key", str(key), "--draw", draw_id, *args)


def completed_draw(api: Services, task_id: str, min_population: int = 0) -> dict[str, Any]:
    """The task's draw, committed, revealed and countersigned. It is frozen once the draws
    service knows the task and the district's registers have fully reached it: a roster and
    the same population (at least ``min_population``: entities just imported) twice running
    (an earlier freeze is cancelled, as allowed before any reveal)."""
    ceremony = Ceremony(api)
    sizes: list[int] = []

    def frozen() -> Any:
        answer = api.answer("POST", "/api/draws/draws", CREDIT, json={"task_id": task_id})
        if answer.status_code in (404, 409, 422):  # the task has not reached draws yet
            return None
        assert answer.status_code == 201, answer.text
        draw = answer.json()
        sizes.append(draw["manifest"]["population"]["size"])
        stable = sizes[-2:] == [sizes[-1]] * 2 and sizes[-1] >= min_population
        if draw["manifest"]["roster"]["size"] >= 2 and stable:
            return draw
        reason = ("--reason", "主体名录尚未同步完成，作废重抽")
        ceremony.act(CREDIT, "信用监管科", "cancel", draw["draw_id"], *reason)
        time.sleep(1)
        return None

    draw = eventually(frozen, "the draws service to know the task and the district", 300)
    draw_id, state = draw["draw_id"], ("--state", str(ceremony.home))
    for step in ("commit", "reveal"):
        for party in draw["parties"]:
            ceremony.act(HOLDERS[party], party, step, draw_id, *state)
    opinion = ("--opinion", "抽取过程符合规定", "--acknowledge-unstaffed")
    ceremony.act(COUNTERSIGNER, "办公室", "countersign", draw_id, *opinion)
    done = api.call("GET", f"/api/draws/draws/{draw_id}", CREDIT)
    assert done["status"] == "completed" and done["targets"], done["status"]
    assert any(t.get("team") for t in done["targets"]), "no target was staffed"
    return dict(done)


def opened_inspections(api: Services, draw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The inspections the completed draw opens: one per staffed target."""
    staffed = sum(1 for t in draw["targets"] if t.get("team"))
    params = {"task_id": draw["task_id"], "limit": 500}

    def opened() -> Any:
        found = api.call("GET", "/api/inspections/inspections", SUPERVISOR, params=params)
        return found["items"] if found["total"] == staffed else None

    return list(eventually(opened, "an inspection per staffed target"))


def drawn_inspection(api: Services, task_no: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task of our own (a small share of class E, due in 60 days), approved and drawn: the
    task and the first inspection its draw opens."""
    title = f"企业公示信息现场检查（{task_no}）"
    task = approved_task(api, task_no, {"E": 20}, title=title, days=60)
    draw = completed_draw(api, task["task_id"])
    return task, opened_inspections(api, draw)[0]


def leader_of(inspection: Mapping[str, Any]) -> str:
    return str(next(m["inspector_id"] for m in inspection["team"] if m["role"] == "leader"))


def members_of(inspection: Mapping[str, Any]) -> list[str]:
    return [m["inspector_id"] for m in inspection["team"] if m["role"] == "member"]


def submit(api: Services, inspection: Mapping[str, Any], problem: bool = True) -> None:
    """The team leader enters the results (with ``problem``, the first item pending a
    follow-up), every member signs, the leader submits."""
    first = {"category": PROBLEM, "pending_reason": PENDING} if problem else {}
    results = [
        {"check_item_code": ITEMS[0]["code"], "category": "未发现问题", **first},
        {"check_item_code": ITEMS[1]["code"], "category": "未发现问题"},
    ]
    leader = inspector(leader_of(inspection))
    path = f"/api/inspections/inspections/{inspection['inspection_id']}"
    api.call("PUT", f"{path}/results", leader, json={"results": results})
    for member in [leader_of(inspection), *members_of(inspection)]:
        api.call("POST", f"{path}/sign", inspector(member))
    api.call("POST", f"{path}/submit", leader, json={})


def published_results(api: Services, task_no: str, count: int) -> list[dict[str, Any]]:
    """The task's ``count`` results, once all are on the public site."""
    params = {"task_no": task_no, "limit": 200}

    def published() -> Any:
        found = api.call("GET", "/public/results", params=params)
        return found["items"] if found["total"] == count else None

    return list(eventually(published, f"{count} results of {task_no} to be published"))


@dataclass
class Cycle:
    """A task of its own drawn, its staffed targets inspected and their results published."""

    task: dict[str, Any]
    draw: dict[str, Any]
    inspections: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


def published_cycle(api: Services, task: dict[str, Any], inspected: int | None = None) -> Cycle:
    """The task's draw completed; the first ``inspected`` inspections (all by default)
    submitted, the first of them with a problem, and their results published."""
    draw = completed_draw(api, task["task_id"])
    inspections = opened_inspections(api, draw)[:inspected]
    for n, inspection in enumerate(inspections):
        submit(api, inspection, problem=n == 0)
    records = published_results(api, task["task_no"], len(inspections))
    return Cycle(task, draw, inspections, records)


def corrected_after_objection(api: Services, record: Mapping[str, Any]) -> dict[str, Any]:
    """The entity objects to its published result, the lead department decides 更正 (the
    first item found clean), the credit department requests the correction of the city bureau
    and records the city's grant (第九条); the new version."""

    def objected() -> Any:
        body = {
            "record_id": record["record_id"],
            "uscc": record["uscc"],
            "reason": "已按时公示年报",
        }
        answer = api.answer("POST", "/api/objections/objections", entity(record["uscc"]), json=body)
        return answer.json() if answer.status_code == 201 else None

    objection_id = eventually(objected, "objections to know the published result")["objection_id"]
    path = f"/api/objections/objections/{objection_id}"
    corrected = {"check_item_code": ITEMS[0]["code"], "check_item_name": ITEMS[0]["name"]}
    decision = {
        "decision": "corrected",
        "reason": "复查确认企业已按时公示",
        "corrected_results": [{**corrected, "category": "未发现问题"}],
    }
    api.call("POST", f"{path}/decision", SUPERVISOR, json=decision)
    asked = api.call(
        "POST", f"{path}/correction", CREDIT, json={"request_no": "临市监信〔2026〕1号"}
    )
    grant = {"decision": "granted", "reply_no": "威市监函〔2026〕1号"}
    reply = f"/api/objections/corrections/{asked['city_request_id']}/reply"
    api.call("POST", reply, CREDIT, json=grant)

    def published() -> Any:
        found = api.call("GET", f"/public/results/{record['record_id']}")
        return found if len(found["versions"]) == 2 else None

    return dict(eventually(published, "the correction to be published"))
