"""The draw ceremony as the console shows it (``docs/draw-spec.md`` §14): what the signed-in
person may do at each step of a draw, and the draw form's values as the draws API takes them.
Pure: no I/O. What may be done is the service's to decide; this only chooses which actions a
page offers (the service refuses the rest, with its reason)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

OFFICE = "办公室"  # the supervising party: its share and countersignatures are the office's
CREDIT = "信用监管科"
DEFAULT_PARTIES = (CREDIT, OFFICE)
KEY_VALIDITY = timedelta(days=365)  # as spotcheck-ceremony keygen's default
CHINA_OFFSET = "+08:00"
RISK_CLASSES = ("A", "B", "C", "D", "E")
DEFAULT_REVEAL_HOURS = 72
OPEN = ("frozen", "committed")  # a draw that can still be cancelled or aborted
_SEPARATORS = re.compile(r"[、,，;；\s]+")
TEAM_ROLES = {"leader": "组长", "member": "组员", "expert": "专家"}


def team_role(role: str) -> str:
    return TEAM_ROLES.get(role, role)


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
    return body


def _number(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.lstrip("-").isdigit() else text


def key_parties(roles: Iterable[str]) -> list[str]:
    """The parties a person may hold a key for: the office's for the general office, the
    credit department's for the credit department (as the service allows)."""
    roles = set(roles)
    return [OFFICE] * ("general_office" in roles) + [CREDIT] * ("credit_dept" in roles)


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
    cancel: bool = False
    abort: bool = False
    approve: bool = False
    request: list[dict[str, Any]] = field(default_factory=list)  # approvals not yet used
    countersign_replacements: list[dict[str, Any]] = field(default_factory=list)


def acts_of(
    draw: Mapping[str, Any], roles: Iterable[str], user: str, my_keys: Iterable[Mapping[str, Any]]
) -> Acts:
    roles = set(roles)
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
            if status == "frozen" and not holds_share and p not in committed and _may_act(roles, p)
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


def _may_act(roles: set[str], party: str) -> bool:
    return ("general_office" if party == OFFICE else "credit_dept") in roles


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
