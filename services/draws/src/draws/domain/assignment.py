"""Direct assignment (直接委派, 第六条; spec §15): when the district has too few inspectors for
random matching, a draw may assign its teams (and experts) directly. Pure; no I/O.

The manifest says so before any randomness exists (``manifest.matching``: the reason and the
deputy director's approval), the targets are still drawn at random, and once they are known
the credit department records the teams, signing them like the ceremony's other acts. The
teams must meet the same hard rules as drawn ones; only the search is replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from draws.domain import protocol as p

DIRECT = "direct-assignment"
# 第六条: "信用监管科……实施检查对象和执法检查人员的随机匹配工作" — matching is the credit
# department's act, so is the assignment that replaces it.
ASSIGNING_PARTY = "信用监管科"
TAG_ASSIGN_V3 = "spotcheck/assign/v3"


def direct(manifest: dict[str, Any]) -> bool:
    """Whether the draw's teams are assigned directly (§15), not matched at random."""
    return bool(manifest.get("matching"))


def matching_section(reason: str, approval: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``matching`` object: the rule, why, and whose approval (an act recorded
    before the freeze)."""
    return {
        "rule": DIRECT,
        "reason": reason,
        "approval": {
            "approval_id": approval["approval_id"],
            "approved_by": approval["by_name"] or approval["by"],
            "approved_at": approval["at"],
        },
    }


def assignment_of(result: dict[str, Any], experts: bool) -> list[dict[str, Any]]:
    """The assignment as signed: per target in target order its team (and experts)."""
    return [
        {"uscc": t["uscc"], "team": t["team"]} | ({"experts": t["experts"]} if experts else {})
        for t in result["targets"]
    ]


def assign_message(manifest_digest: bytes, assignment: list[dict[str, Any]]) -> bytes:
    """§15.3: what the assigning person signs — the manifest and the assignment's digest."""
    return (
        p.lps(TAG_ASSIGN_V3) + p.lp(manifest_digest) + p.lp(p.sha256(p.canonical_json(assignment)))
    )


def problem(
    manifest: dict[str, Any],
    roster: Sequence[p.RosterEntry],
    expert_pool: Sequence[str],
    targets: Sequence[str],
    assignment: list[dict[str, Any]],
    recused: Callable[[str, str], bool],
) -> str | None:
    """What breaks a hard rule of §15.4 (in Chinese), or None: every target once, in target
    order; exactly ``team.size`` distinct inspectors, the leader first and leader-qualified,
    every one in the pool, none recused from the target, no pair conflict; the experts."""
    if [a.get("uscc") for a in assignment] != list(targets):
        return "须按抽中顺序为每个抽中的检查对象各委派一次检查组"
    by_id = {r.inspector_id: r for r in roster}
    pairs = {frozenset(x) for x in manifest["pair_conflicts"]}
    for a in assignment:
        found = _team_problem(manifest, by_id, pairs, a, recused)
        if found is None and "experts" in manifest:
            found = _experts_problem(manifest, expert_pool, a, recused)
        if found:
            return f"{a['uscc']}：{found}"
    return None


def _team_problem(
    manifest: dict[str, Any],
    by_id: dict[str, p.RosterEntry],
    pairs: set[frozenset[str]],
    a: dict[str, Any],
    recused: Callable[[str, str], bool],
) -> str | None:
    team = a.get("team") or []
    size = int(manifest["team"]["size"])
    ids = [m[0] for m in team]
    if len(team) != size or len(set(ids)) != size:
        return f"检查组须恰有 {size} 名不同的执法检查人员"
    if [m[1] for m in team] != ["leader"] + ["member"] * (size - 1):
        return "检查组须恰有一名组长，列在首位，其余为组员"
    for i in ids:
        entry = by_id.get(i)
        if entry is None:
            return f"{i} 不在本次抽取冻结的名录中"
        why = p.static_exclusion(entry, manifest)
        if why is not None:
            return f"{i} 不在人员库中（{why}）"
        if recused(i, a["uscc"]):
            return f"{i} 已声明与该对象存在利害关系，须回避"
    if not by_id[ids[0]].leader_qualified:
        return f"组长 {ids[0]} 不具备组长资格"
    if any(frozenset((x, y)) in pairs for x in ids for y in ids if x < y):
        return "检查组内有申报冲突关系的人员"
    return None


def _experts_problem(
    manifest: dict[str, Any],
    expert_pool: Sequence[str],
    a: dict[str, Any],
    recused: Callable[[str, str], bool],
) -> str | None:
    chosen = a.get("experts") or []
    per = int(manifest["experts"]["per_target"])
    if len(chosen) != per or len(set(chosen)) != per:
        return f"须委派 {per} 名不同的专家"
    for e in chosen:
        if e not in expert_pool:
            return f"专家 {e} 不在专家库中（或不属于任务要求的专业领域）"
        if recused(e, a["uscc"]):
            return f"专家 {e} 已声明与该对象存在利害关系，须回避"
    return None
