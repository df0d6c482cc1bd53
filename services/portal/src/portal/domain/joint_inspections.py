"""A neighbour's joint inspections as this bureau's console shows them (issue 10, ADR 0010): the
drawing district keeps the record form; this bureau's inspectors on its team act here, and an
act takes effect when the drawing district records it (its next state shows it). Pure: no I/O.

The state names the team as the drawing district keeps it: its own inspectors by their bare
ids, a neighbour's as ``<district>:<id>``. ``acted_here`` holds this bureau's acts by
``<act>:<own id>``, each with the ``form_sha256`` of the form it was done on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from portal.domain import inspections as form

SEPARATOR = ":"
ACTS = {"record": "录入检查结果", "sign": "签名确认", "submit": "提交检查记录"}
# What awaits a person on the team, as the to-do list and the listing name it.
AWAITS = {
    "record": "待录入检查结果（组长）",
    "sign": "待签名确认",
    "submit": "待提交检查记录（组长）",
}


def namespaced(district: str, inspector_id: str) -> str:
    """This bureau's inspector as the drawing district names them ("" for nobody)."""
    return f"{district}{SEPARATOR}{inspector_id}" if inspector_id else ""


def shown_id(member_id: str, district: str) -> tuple[str, bool]:
    """(the id to show, whether the person is this bureau's): this bureau's by their own id,
    anyone else's as the drawing district gives it."""
    prefix = f"{district}{SEPARATOR}"
    if member_id.startswith(prefix):
        return member_id.removeprefix(prefix), True
    return member_id, False


@dataclass(frozen=True)
class Member:
    """One of the team as the page shows it."""

    shown_id: str
    name: str
    department: str
    role: str
    bureau: str  # "" for this bureau's; else the district whose inspector they are


def team(j: Mapping[str, Any], district: str) -> list[Member]:
    members = []
    for m in j.get("team", []):
        shown, ours = shown_id(m["inspector_id"], district)
        bureau = "" if ours else _district_of(m["inspector_id"], j["drawing_district"])
        members.append(Member(shown, m["name"], m.get("department", ""), m["role"], bureau))
    return members


def _district_of(member_id: str, drawing_district: str) -> str:
    """A neighbour's inspector is ``<district>:<id>``; the drawing district's own, bare."""
    head, sep, _ = member_id.partition(SEPARATOR)
    return head if sep else drawing_district


@dataclass(frozen=True)
class Pending:
    """An act done here that the drawing district's state does not yet show."""

    act: str
    label: str
    inspector_id: str
    at: str


def _shows(j: Mapping[str, Any], act: str, member: str) -> bool:
    """Whether the state shows the act done. A recording changes the form (and so its hash):
    while the hash is the one the act was done on, the recording is not yet in."""
    if act == "sign":
        return member in (j.get("signatures") or {})
    if act == "submit":
        return j.get("status") == "submitted"
    return False


def pending(j: Mapping[str, Any], district: str) -> list[Pending]:
    """The acts done here on the form as it stands and not yet shown recorded. An act on an
    earlier form is gone: the form was recorded again, and the new state asks again."""
    found = []
    for key, done in sorted((j.get("acted_here") or {}).items()):
        act, _, inspector_id = key.partition(SEPARATOR)
        if done.get("form_sha256") != j.get("form_sha256"):
            continue
        if _shows(j, act, namespaced(district, inspector_id)):
            continue
        found.append(Pending(act, ACTS.get(act, act), inspector_id, str(done.get("at", ""))))
    return found


def standing(j: Mapping[str, Any], district: str, inspector_id: str) -> form.Standing:
    """What the person may do on the form, by the own record's rules under their namespaced
    id (the services decide; the page offers only what is theirs)."""
    return form.standing(j, namespaced(district, inspector_id))


def awaits(j: Mapping[str, Any], district: str, inspector_id: str) -> str:
    """What awaits the person on this inspection ("" for nothing): the leader's recording,
    their signature, the leader's submission; not what they did here and the drawing district
    has yet to record."""
    me = standing(j, district, inspector_id)
    done_here = {p.act for p in pending(j, district) if p.inspector_id == inspector_id}
    status = j.get("status")
    step = ""
    if status == "pending" and me.leader:
        step = "record"
    elif status == "recorded" and me.can_sign:
        step = "sign"
    elif status == "signed" and me.leader:
        step = "submit"
    return "" if step in done_here else step


# ------------------------------------------------------------------------------ workload


@dataclass(frozen=True)
class LoadRow:
    """One inspector's year: own tasks and each neighbour's, (open, submitted)."""

    inspector_id: str
    name: str
    own: tuple[int, int]
    neighbours: tuple[tuple[int, int], ...]  # in the table's district order
    total: int


def _pair(counts: Mapping[str, int] | None) -> tuple[int, int]:
    counts = counts or {}
    return int(counts.get("open", 0)), int(counts.get("submitted", 0))


def workload_table(items: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[LoadRow]]:
    """The workload answer as a table: the neighbour districts any inspector worked for
    (columns, sorted), and each inspector's row in the service's order (most loaded first)."""
    items = list(items)
    districts = sorted({d for i in items for d in i.get("neighbours", {})})
    rows = [
        LoadRow(
            i["inspector_id"],
            i.get("name", ""),
            _pair(i.get("own")),
            tuple(_pair(i["neighbours"].get(d)) for d in districts),
            int(i.get("total", 0)),
        )
        for i in items
    ]
    return districts, rows
