"""The draw pages' data: several answers of the planning and draws APIs combined (the tasks
that can be drawn, a draw with the person's keys and what they may do, the raw result the
general office countersigns)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from portal.adapters.api import Api, ApiError
from portal.domain import draws as d

DRAWABLE = ("approved", "published")  # the draws service freezes an approved task
TASK_LIMIT = 100


async def drawable_tasks(api: Api) -> list[dict[str, Any]]:
    """Approved and published tasks, newest first."""
    tasks: list[dict[str, Any]] = []
    for status in DRAWABLE:
        page = await api.get("/api/planning/tasks", status=status, limit=TASK_LIMIT)
        tasks += page["items"]
    return sorted(tasks, key=lambda t: t.get("created_at") or "", reverse=True)


@dataclass
class Index:
    tasks: list[dict[str, Any]]
    draws: list[dict[str, Any]]
    task: dict[str, Any] | None = None
    approvals: list[dict[str, Any]] = field(default_factory=list)  # 第六条, the chosen task's


async def index(api: Api, task_id: str) -> Index:
    tasks = await drawable_tasks(api)
    draws = (await api.get("/api/draws/draws", task_id=task_id or None))["items"]
    chosen = next((t for t in tasks if t["task_id"] == task_id), None)
    draws.sort(key=lambda x: x.get("created_at") or "", reverse=True)
    found = await direct_approvals(api, task_id) if chosen else []
    return Index(tasks, draws, chosen, found)


async def direct_approvals(api: Api, task_id: str) -> list[dict[str, Any]]:
    """The deputy director's approvals of direct assignment for the task, newest first."""
    path = f"/api/draws/tasks/{task_id}/direct-assignment-approvals"
    items: list[dict[str, Any]] = (await api.get(path))["items"]
    return sorted(items, key=lambda a: a.get("at") or "", reverse=True)


async def direct_shares(api: Api) -> list[dict[str, Any]]:
    """Per department, how many of its countersigned teams were assigned directly."""
    items: list[dict[str, Any]] = (await api.get("/api/draws/statistics/direct-assignment"))[
        "items"
    ]
    return sorted(items, key=lambda i: (-i["share_bp"], i["department"]))


async def task(api: Api, task_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await api.get(f"/api/planning/tasks/{task_id}")
    return found


async def my_keys(api: Api, holder: str) -> list[dict[str, Any]]:
    return d.usable_keys((await api.get("/api/draws/keys"))["items"], holder)


@dataclass
class Assigning:
    """What the credit department assigns teams from (第六条): the frozen roster's inspectors
    a team may hold, the task's expert pool, and what the page checks before signing."""

    candidates: list[d.Candidate]
    experts: list[d.Candidate]
    rules: d.Rules


@dataclass
class Ceremony:
    draw: dict[str, Any]
    keys: list[dict[str, Any]]  # the person's usable keys
    acts: d.Acts
    version: str
    team_choices: list[tuple[str, str]] = field(default_factory=list)
    assigning: Assigning | None = None


async def ceremony(
    api: Api, draw_id: str, user: str, roles: frozenset[str], agency: str = ""
) -> Ceremony:
    """``agency``: a liaison's co-organising agency (§16), whose party it acts for."""
    draw = await api.get(f"/api/draws/draws/{draw_id}")
    keys = await my_keys(api, user)
    acts = d.acts_of(draw, roles, user, keys, agency)
    return Ceremony(
        draw=draw,
        keys=keys,
        acts=acts,
        version=d.version_of(draw),
        team_choices=d.team_choices(draw),
        assigning=await assigning(api, draw) if acts.assign else None,
    )


async def assigning(api: Api, draw: dict[str, Any]) -> Assigning:
    """The roster frozen in the draw's manifest (the public manifest carries it) and, when
    the task has experts, the expert register's pool for its fields."""
    public = await api.get(f"/public/draws/{draw['draw_id']}/manifest")
    manifest = draw["manifest"]
    candidates = d.assignable(public["roster"], manifest)
    experts: list[d.Candidate] = []
    if manifest.get("experts"):
        register = (await api.get("/api/registry/experts"))["items"]
        experts = d.assignable_experts(register, manifest)
    return Assigning(candidates, experts, d.rules_of(draw, candidates, experts))


async def state(api: Api, draw_id: str, user: str, with_result: bool) -> dict[str, Any]:
    """What the page's script signs from: the draw, the person's keys and, for the
    countersignature, the result exactly as hashed (the staff view gives it reshaped)."""
    draw = await api.get(f"/api/draws/draws/{draw_id}")
    keys = [
        {k: key[k] for k in ("key_id", "party", "valid_from", "valid_until")}
        for key in await my_keys(api, user)
    ]
    answer: dict[str, Any] = {"draw": draw, "keys": keys}
    if with_result:
        answer["result"] = await raw_result(api, draw)
    return answer


async def raw_result(api: Api, draw: dict[str, Any]) -> dict[str, Any] | None:
    """The result as the public bundle holds it (its digest is checked again in the browser)."""
    if not draw.get("result_sha256"):
        return None
    response = await api.request("GET", f"/public/draws/{draw['draw_id']}/bundle")
    body = json.loads(response.content)["body"]
    if body.get("manifest_sha256") != draw["manifest_sha256"]:
        raise ApiError(409, "公开数据包的清单摘要与抽取的不同，不能会签")
    result: dict[str, Any] = body["result"]
    return result


# ------------------------------------------------- a neighbour's joint draw, this bureau's side


async def joint_draws(api: Api) -> list[dict[str, Any]]:
    """The neighbours' joint draws naming this bureau as a party, newest first."""
    found: list[dict[str, Any]] = (await api.get("/api/draws/joint-draws"))["items"]
    return found


@dataclass
class Joint:
    jd: dict[str, Any]
    acts: d.JointActs
    version: str


async def joint(api: Api, draw_id: str, roles: frozenset[str]) -> Joint:
    jd = await api.get(f"/api/draws/joint-draws/{draw_id}")
    return Joint(jd=jd, acts=d.joint_acts(jd, roles), version=d.joint_version(jd))
