"""The draw ceremony as the console shows it (``docs/draw-spec.md`` §14): what the signed-in
person may do at each step of a draw, and the draw form's values as the draws API takes them.
Pure: no I/O. What may be done is the service's to decide; this only chooses which actions a
page offers (the service refuses the rest, with its reason)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from portal.domain.labels import zh

OFFICE = "办公室"  # the supervising party: its share and countersignatures are the office's
CREDIT = "信用监管科"
DEFAULT_PARTIES = (CREDIT, OFFICE)
AGENCY_PARTY = ":联合检查单位"  # §16: a co-organising agency's party is <agency> + this
KEY_VALIDITY = timedelta(days=365)  # as spotcheck-ceremony keygen's default
CHINA_OFFSET = "+08:00"
RISK_CLASSES = ("A", "B", "C", "D", "E")
DEFAULT_REVEAL_HOURS = 72
OPEN = ("frozen", "committed")  # a draw that can still be cancelled or aborted
_SEPARATORS = re.compile(r"[、,，;；\s]+")
TEAM_ROLES = {"leader": "组长", "member": "组员", "expert": "专家"}
ASSIGNING = "assigning"  # 第六条: targets drawn, teams awaiting the credit department
QUALIFY_ALL = "双随机全部事项"  # as the draws service's: qualified for every item of the list


def team_role(role: str) -> str:
    return TEAM_ROLES.get(role, role)


def status_label(status: str) -> str:
    """A draw's status in Chinese, ``assigning`` included."""
    if status == ASSIGNING:
        return "检查对象已随机抽取，待信用监管科直接委派检查组"
    return zh(status, "draw")


def parse_parties(text: str) -> list[str]:
    """The parties as typed (``信用监管科、办公室``), in order, blanks dropped."""
    return [p for p in _SEPARATORS.split(text) if p]


def local_instant(text: str) -> str | None:
    """A ``datetime-local`` value read in China Standard Time, as an ISO instant with offset."""
    text = text.strip()
    if not text:
        return None
    if len(text) == len("YYYY-MM-DDTHH:MM"):
        text += ":00"
    return text + CHINA_OFFSET


def draw_body(task_id: str, form: Mapping[str, str]) -> dict[str, Any]:
    """``POST /api/draws/draws`` from the new-draw form: what the manifest freezes besides the
    task (parties, caps, neighbours' inspectors, beacon, the reveal time limit). A value the
    API would refuse is passed on as typed, so that its reason names the field."""
    body: dict[str, Any] = {
        "task_id": task_id,
        "parties": parse_parties(form.get("parties", "")) or list(DEFAULT_PARTIES),
        "neighbour_rule": form.get("neighbour_rule") or "none",
    }
    hours = _number(form.get("reveal_hours", ""))
    body["reveal_hours"] = DEFAULT_REVEAL_HOURS if hours is None else hours
    caps = {k: _number(form.get(f"cap_{k}", "")) for k in RISK_CLASSES}
    if any(v is not None for v in caps.values()):
        body["caps"] = {k: v for k, v in caps.items() if v is not None}
    source = form.get("beacon_source", "").strip()
    if source:
        body["beacon_source"] = source
        body["beacon_encoding"] = form.get("beacon_encoding", "").strip() or None
        body["beacon_available_at"] = local_instant(form.get("beacon_available_at", ""))
    approval = form.get("direct_approval", "").strip()
    if approval:  # 第六条: the manifest will say the teams are assigned, why, whose approval
        body["direct_approval"] = approval
    return body


def _number(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() else text


def agency_party(agency: str) -> str:
    return agency + AGENCY_PARTY


def key_parties(roles: Iterable[str], agency: str = "") -> list[str]:
    """The parties a person may hold a key for: the office's for the general office, the
    credit department's for the credit department, a co-organising agency's for its liaison
    (the token's ``agency``), as the service allows."""
    roles = set(roles)
    liaison = [agency_party(agency)] if agency and "agency_liaison" in roles else []
    return [OFFICE] * ("general_office" in roles) + [CREDIT] * ("credit_dept" in roles) + liaison


def agency_awaits(draw: Mapping[str, Any], party: str) -> str:
    """What a draw awaits of a co-organising agency's party (§16): "" when nothing."""
    committed = {c["party"] for c in draw["commitments"]}
    revealed = {r["party"] for r in draw["reveals"]}
    if party not in draw["parties"]:
        return ""
    if draw["status"] == "frozen" and party not in committed:
        return "待提交种子承诺"
    if draw["status"] == "committed" and party not in revealed:
        return "各方承诺已齐，待揭示种子"
    return ""


def key_validity(today: date) -> tuple[str, str]:
    return today.isoformat(), (today + KEY_VALIDITY).isoformat()


def usable_keys(keys: Iterable[Mapping[str, Any]], holder: str) -> list[dict[str, Any]]:
    """The person's registered keys that are not revoked (what their browser may sign with)."""
    return [dict(k) for k in keys if k["holder"] == holder and k.get("revoked_seq") is None]


def version_of(draw: Mapping[str, Any]) -> str:
    """Changes whenever the ceremony moves on: the live page reloads when it does."""
    approvals = draw.get("replacement_approvals") or []
    parts = [
        draw["status"],
        len(draw["commitments"]),
        len(draw["reveals"]),
        draw.get("beacon_value") or "",
        bool(draw.get("countersign")),
        len(draw["replacements"]),
        len(approvals),
        sum(1 for a in approvals if a.get("pending")),
        sum(1 for a in approvals if a.get("used")),
    ]
    return "|".join(str(p) for p in parts)


@dataclass(frozen=True)
class Acts:
    """The actions a page offers the signed-in person on one draw."""

    commit: list[str] = field(default_factory=list)  # parties they may commit for now
    reveal: list[str] = field(default_factory=list)
    holds_share: bool = False
    beacon: bool = False
    countersign: bool = False
    assign: bool = False  # 第六条: the credit department assigns the drawn targets' teams
    cancel: bool = False
    abort: bool = False
    approve: bool = False
    request: list[dict[str, Any]] = field(default_factory=list)  # approvals not yet used
    countersign_replacements: list[dict[str, Any]] = field(default_factory=list)


def acts_of(
    draw: Mapping[str, Any],
    roles: Iterable[str],
    user: str,
    my_keys: Iterable[Mapping[str, Any]],
    agency: str = "",
) -> Acts:
    """``agency``: the co-organising agency a liaison acts for (§16), "" for the bureau's."""
    roles = set(roles)
    mine_to_act = set(key_parties(roles, agency))
    status = draw["status"]
    mine = {k["key_id"] for k in my_keys}
    committed = {c["party"]: c for c in draw["commitments"]}
    revealed = {r["party"] for r in draw["reveals"]}
    holds_share = any(c.get("key_id") in mine for c in committed.values())
    approvals = draw.get("replacement_approvals") or []
    supervisor = bool(roles & {"credit_dept", "general_office"})
    return Acts(
        commit=[
            p
            for p in draw["parties"]
            if status == "frozen"
            and not holds_share
            and p not in committed
            and _may_act(p, mine_to_act)
        ],
        reveal=[
            p
            for p, c in committed.items()
            if status == "committed" and c.get("key_id") in mine and p not in revealed
        ],
        holds_share=holds_share,
        beacon=supervisor
        and status == "committed"
        and draw["manifest"].get("beacon") is not None
        and len(revealed) == len(draw["parties"])
        and not draw.get("beacon_value"),
        countersign=status == "drawn" and "general_office" in roles and not holds_share,
        assign=status == ASSIGNING and "credit_dept" in roles,
        cancel=status in OPEN and "credit_dept" in roles and not draw["reveals"],
        abort=status in OPEN and supervisor,
        approve=status == "completed" and "deputy_director" in roles,
        request=[
            a
            for a in approvals
            if status == "completed"
            and not a["used"]
            and roles & {"credit_dept", "deputy_director"}
        ],
        countersign_replacements=[
            a
            for a in approvals
            if a.get("pending")
            and "general_office" in roles
            and a["pending"]["requested_by"] != user
        ],
    )


def _may_act(party: str, own: set[str]) -> bool:
    """The office's and an agency's party are their own holders'; any other party (a neighbour's
    name given to the credit department, e.g.) is the credit department's."""
    if party == OFFICE or party.endswith(AGENCY_PARTY):
        return party in own
    return CREDIT in own


def team_choices(draw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(uscc/inspector_id, label)`` for each drawn inspector: whom a replacement concerns."""
    return [
        (f"{t['uscc']}/{m['inspector_id']}", f"{t['entity_name'] or t['uscc']} — {m['name']}")
        for t in draw.get("targets") or []
        for m in t["team"]
        if m["role"] != "expert"
    ]


def split_choice(choice: str) -> tuple[str, str]:
    uscc, _, inspector_id = choice.partition("/")
    return uscc, inspector_id


# ------------------------------------------------- a neighbour's joint draw, this bureau's side


@dataclass(frozen=True)
class JointActs:
    """What this bureau's credit department may do on its side of a neighbour's joint draw
    (the draws service refuses the rest, with its reason)."""

    commit: bool = False
    reveal: bool = False
    waiting_for: list[str] = field(default_factory=list)  # parties not yet committed


def joint_acts(jd: Mapping[str, Any], roles: Iterable[str]) -> JointActs:
    credit = "credit_dept" in set(roles)
    waiting = [p for p in jd["parties"] if p not in jd["committed"]]
    status = jd["status"]
    return JointActs(
        commit=credit and status == "awaiting-commit",
        reveal=credit and status == "committed" and not waiting,
        waiting_for=waiting,
    )


def joint_awaits(jd: Mapping[str, Any]) -> str:
    """What a joint draw awaits of this bureau now: ``commit``, ``reveal`` or nothing."""
    if jd["status"] == "awaiting-commit":
        return "commit"
    if jd["status"] == "committed" and set(jd["parties"]) <= set(jd["committed"]):
        return "reveal"
    return ""


def joint_version(jd: Mapping[str, Any]) -> str:
    """Changes whenever the joint draw moves on (the page reloads when it does)."""
    return f"{jd['status']}|{len(jd['committed'])}"


# ------------------------------------------------------- direct assignment (第六条, spec §15)


def direct(draw: Mapping[str, Any]) -> bool:
    """Whether the draw's teams are assigned directly (its manifest says so since the freeze)."""
    return bool(draw["manifest"].get("matching"))


@dataclass(frozen=True)
class Candidate:
    """Someone the credit department may put on a team: of the frozen roster, or an expert."""

    member_id: str
    name: str
    department: str
    leader: bool = False


def _in_pool(entry: Mapping[str, Any], manifest: Mapping[str, Any]) -> bool:
    for pool in manifest.get("pools") or []:
        if (
            entry.get("district") == pool["district"]
            and entry.get("department") in pool["departments"]
        ):
            return int(pool["tier"]) == 0 or manifest.get("neighbour_rule") == "fill-when-short"
    return False


def _qualified(entry: Mapping[str, Any], manifest: Mapping[str, Any]) -> bool:
    have = set(entry.get("qualifications") or [])
    items = manifest.get("check_items") or []
    return QUALIFY_ALL in have or all(i["code"] in have or i["name"] in have for i in items)


def assignable(roster: Iterable[Mapping[str, Any]], manifest: Mapping[str, Any]) -> list[Candidate]:
    """The frozen roster's inspectors a team may hold (§15.4 check 3: in a counted pool,
    active, certificate valid on the draw date, qualified), leaders marked, by id."""
    found = [
        Candidate(
            r["inspector_id"],
            r.get("name", ""),
            r.get("department", ""),
            bool(r.get("leader_qualified")),
        )
        for r in roster
        if r.get("active")
        and _in_pool(r, manifest)
        and str(r.get("certificate_expires_on", "")) >= str(manifest.get("draw_date", ""))
        and _qualified(r, manifest)
    ]
    return sorted(found, key=lambda c: c.member_id)


def assignable_experts(
    experts: Iterable[Mapping[str, Any]], manifest: Mapping[str, Any]
) -> list[Candidate]:
    """The expert pool of §8.4: active experts of one of the task's fields (any, if none)."""
    spec = manifest.get("experts")
    if not spec:
        return []
    fields = set(spec.get("fields") or [])
    found = [
        Candidate(e["expert_id"], e.get("name", ""), e.get("field", ""))
        for e in experts
        if e.get("active", True) and (not fields or e.get("field") in fields)
    ]
    return sorted(found, key=lambda c: c.member_id)


def read_assignment(text: str) -> list[dict[str, Any]]:
    """The assignment the browser signed (the form's hidden field), as the API takes it;
    ValueError (in Chinese) when there is none or it is not of its shape."""
    if not text.strip():
        raise ValueError("未能在本浏览器签署委派：须启用 JavaScript，且浏览器支持 Ed25519")
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError("委派数据不是 JSON") from None
    if not isinstance(value, list) or not all(_shaped(a) for a in value):
        raise ValueError("委派数据的格式不符（每个对象：uscc、team，及可选的 experts）")
    return value


def _shaped(a: object) -> bool:
    if not isinstance(a, dict) or set(a) - {"uscc", "team", "experts"}:
        return False
    team, experts = a.get("team"), a.get("experts", [])
    return (
        isinstance(a.get("uscc"), str)
        and isinstance(team, list)
        and all(
            isinstance(m, list) and len(m) == 2 and all(isinstance(x, str) for x in m) for m in team
        )
        and isinstance(experts, list)
        and all(isinstance(e, str) for e in experts)
    )


@dataclass(frozen=True)
class Rules:
    """What the page can check of an assignment before it is signed (the service checks the
    rest: the sealed recusals, and every rule again)."""

    targets: Sequence[str]  # the drawn targets, in target order
    size: int
    leaders: frozenset[str]
    members: frozenset[str]  # every inspector a team may hold
    pairs: frozenset[frozenset[str]] = frozenset()
    experts: frozenset[str] | None = None  # the expert pool, when the task has experts
    per_target: int = 0


def rules_of(
    draw: Mapping[str, Any], candidates: Sequence[Candidate], experts: Sequence[Candidate]
) -> Rules:
    manifest = draw["manifest"]
    spec = manifest.get("experts")
    return Rules(
        targets=[t["uscc"] for t in draw.get("targets") or []],
        size=int(manifest["team"]["size"]),
        leaders=frozenset(c.member_id for c in candidates if c.leader),
        members=frozenset(c.member_id for c in candidates),
        pairs=frozenset(frozenset(p) for p in manifest.get("pair_conflicts") or []),
        experts=frozenset(e.member_id for e in experts) if spec else None,
        per_target=int(spec["per_target"]) if spec else 0,
    )


def assignment_problem(assignment: Sequence[Mapping[str, Any]], rules: Rules) -> str | None:
    """The first rule the assignment breaks (in Chinese), or None: each drawn target once in
    target order; a team of ``size`` different inspectors, its leader first and qualified to
    lead, the others members, all in the pool, no declared pair together; the experts."""
    if [a["uscc"] for a in assignment] != list(rules.targets):
        return "须按抽中顺序为每个抽中的检查对象各委派一次检查组"
    for a in assignment:
        found = _team_problem(a["team"], rules) or _experts_problem(a.get("experts"), rules)
        if found:
            return f"{a['uscc']}：{found}"
    return None


def _team_problem(team: Sequence[Sequence[str]], rules: Rules) -> str | None:
    ids = [m[0] for m in team]
    if not all(ids):
        return "检查组的每个岗位都须选定人员"
    if len(ids) != rules.size or len(set(ids)) != rules.size:
        return f"检查组须恰有 {rules.size} 名不同的执法检查人员"
    if [m[1] for m in team] != ["leader"] + ["member"] * (rules.size - 1):
        return "检查组须恰有一名组长，列在首位，其余为组员"
    outside = [i for i in ids if i not in rules.members]
    if outside:
        return f"{outside[0]} 不在本次抽取可委派的人员中"
    if ids[0] not in rules.leaders:
        return f"组长 {ids[0]} 不具备组长资格"
    if any(frozenset((x, y)) in rules.pairs for x in ids for y in ids if x < y):
        return "检查组内有申报冲突关系（不得同组）的人员"
    return None


def _experts_problem(chosen: Sequence[str] | None, rules: Rules) -> str | None:
    if rules.experts is None:
        return "本任务不要求专家，不得委派专家" if chosen else None
    chosen = chosen or []
    if not all(chosen):
        return "每个专家岗位都须选定专家"
    if len(chosen) != rules.per_target or len(set(chosen)) != rules.per_target:
        return f"须委派 {rules.per_target} 名不同的专家"
    outside = [e for e in chosen if e not in rules.experts]
    return f"专家 {outside[0]} 不在本任务的专家库中" if outside else None


def chosen_of(assignment: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{uscc: [leader, members…, experts…]}``: a refused form shows what was chosen."""
    return {a["uscc"]: [m[0] for m in a["team"]] + list(a.get("experts") or []) for a in assignment}


def share_percent(share_bp: int) -> str:
    """A share in basis points as a percentage (``1234`` → ``12.34%``)."""
    return f"{share_bp / 100:.2f}%"
