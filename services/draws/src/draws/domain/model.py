"""The draw aggregate: its states and the rules of each step (pure; no I/O).

frozen ──(every party commits)──▶ committed ──(every party reveals, beacon set)──▶ drawn
  │                                   │                  │ (direct assignment, §15)    │
  │                                   │                  └─▶ assigning ──(assign)──▶ drawn
  └──────────── cancel (before any reveal) ───────┘                       countersign ▼
  └──────────── abort (reveal deadline missed, /3) ┘                            completed
Replacements (with the deputy director's approval) are allowed once the result exists (in
spotcheck-draw/3, once it is countersigned). In /3 every act is signed with the acting
person's party key (``draws.domain.ledger``).
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from draws.domain import assignment as da
from draws.domain import protocol as p
from draws.domain.ledger import PartyKey
from spotcheck_common.errors import Conflict, Forbidden, Invalid, NotFound

FROZEN, COMMITTED, ASSIGNING, DRAWN, COMPLETED, CANCELLED, ABORTED = (
    "frozen",
    "committed",
    "assigning",
    "drawn",
    "completed",
    "cancelled",
    "aborted",
)
VOID = (CANCELLED, ABORTED)  # a task whose draw is void may be drawn again (new manifest)
STATUS_LABELS = {
    FROZEN: "清单已冻结，待各方提交种子承诺",
    COMMITTED: "承诺已齐，待各方揭示种子",
    ASSIGNING: "检查对象已随机抽取，待信用监管科直接委派检查组",
    DRAWN: "已抽取，待办公室监督会签",
    COMPLETED: "已完成",
    CANCELLED: "已作废",
    ABORTED: "已中止（有参与方未在截止时间前揭示种子）",
}
UNSTAFFED_REASONS = {
    "leader": "没有可担任组长的执法检查人员（均已回避、冲突或达到上限）",
    "member": "没有可担任组员的执法检查人员（均已回避、冲突或达到上限）",
    "experts": "没有可匹配的专家",
    # §16: a co-organising agency's inspectors ran out (recused, in conflict or at the cap)
    "agency": "没有可匹配的联合检查单位执法人员（均已回避、冲突或达到上限）",
}


@dataclass(frozen=True)
class Signer:
    """An act's signature (spotcheck-draw/3): the party key it claims and the signature."""

    key: PartyKey
    signature: str


DEFAULT_PARTIES = ("信用监管科", "办公室")
DEFAULT_CAP = 2
RESERVE_BP = 1000
RESERVE_MIN = 3


def parse_hex(value: str, size: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise Invalid(f"{what}不是十六进制字符串") from None
    if len(raw) != size:
        raise Invalid(f"{what}应为{size}字节（{size * 2}个十六进制字符）")
    return raw


@dataclass
class Draw:
    draw_id: str
    task_id: str
    status: str
    manifest: dict[str, Any]
    manifest_sha256: str
    roster: list[dict[str, Any]]
    commitments: list[dict[str, Any]] = field(default_factory=list)
    reveals: list[dict[str, Any]] = field(default_factory=list)
    beacon_value: str | None = None
    seed_hex: str | None = None
    result: dict[str, Any] | None = None
    result_sha256: str | None = None
    replacements: list[dict[str, Any]] = field(default_factory=list)
    countersign: dict[str, Any] | None = None
    cancel_reason: str | None = None
    created_by: str = ""
    created_at: datetime | None = None
    version: int = 0
    # The expert roster (§8.4), only when the task asks for experts (spotcheck-draw/2).
    expert_roster: list[dict[str, Any]] | None = None
    # Who holds each party's share (party → user): the parties of a draw are distinct people,
    # only the holder reveals, and no holder (nor the creator) countersigns.
    holders: dict[str, str] = field(default_factory=dict)
    # The deputy director's approvals of replacements (分管局长同意), each used at most once.
    approvals: list[dict[str, Any]] = field(default_factory=list)
    # Direct assignment (§15): the signed act that assigned the teams, and who made it.
    assignment: dict[str, Any] | None = None
    assigned_by: str = ""

    @property
    def parties(self) -> list[str]:
        return list(self.manifest["parties"])

    @property
    def task_no(self) -> str:
        return str(self.manifest["task"]["task_no"])

    @property
    def task_title(self) -> str:
        return str(self.manifest["task"]["title"])

    @property
    def signed(self) -> bool:
        return p.signed(self.manifest["algorithm"])

    @property
    def direct(self) -> bool:
        return da.direct(self.manifest)

    @property
    def digest(self) -> bytes:
        return bytes.fromhex(self.manifest_sha256)

    def _signer(self, signer: Signer | None, act: str) -> Signer:
        if signer is None:
            raise Invalid(
                f"{p.ALGORITHM_SIGNED} 的{act}须以本人登记的参与方密钥签名（key_id、signature）"
            )
        return signer

    def _signed(
        self,
        signer: Signer | None,
        act: str,
        *,
        actor: str,
        party: str,
        at: datetime,
        message: bytes,
    ) -> dict[str, str]:
        """An act's signature, checked (§14.2, §14.4): its ``key_id`` and ``signature`` as the
        bundle and the draw log record them."""
        sig = self._signer(signer, act)
        sig.key.check(actor=actor, party=party, at=at, message=message, signature=sig.signature)
        return {"key_id": sig.key.key_id, "signature": sig.signature.lower()}

    def _party(self, party: str) -> None:
        if party not in self.parties:
            raise Invalid(f"「{party}」不是本次抽取的参与方（{'、'.join(self.parties)}）")

    def commit(
        self, party: str, commitment_hex: str, at: datetime, by: str, signer: Signer | None = None
    ) -> bool:
        """Record a party's commitment, made by ``by`` (in /3 signed with ``by``'s key); True
        when every party has committed."""
        self._party(party)
        if self.status != FROZEN:
            raise Conflict("承诺阶段已结束，不能再提交承诺")
        parse_hex(commitment_hex, 32, "承诺值")
        if any(c["party"] == party for c in self.commitments):
            raise Conflict(f"「{party}」已提交承诺，承诺一经提交不得更改")
        held = [p for p, who in self.holders.items() if who == by]
        if held:
            raise Forbidden(
                f"{by} 已代表「{held[0]}」提交承诺：一次抽取的各参与方须由不同的人担任"
                "（一人兼有多个角色也不能兼任多方）"
            )
        entry = {"party": party, "commitment": commitment_hex.lower(), "at": at.isoformat()}
        if self.signed:
            message = p.commit_message(self.digest, party, bytes.fromhex(commitment_hex))
            entry |= self._signed(signer, "承诺", actor=by, party=party, at=at, message=message)
        self.holders[party] = by
        self.commitments.append(entry)
        self.commitments.sort(key=lambda c: self.parties.index(c["party"]))
        if len(self.commitments) == len(self.parties):
            self.status = COMMITTED
            return True
        return False

    def reveal(
        self, party: str, share_hex: str, at: datetime, by: str, signer: Signer | None = None
    ) -> None:
        self._party(party)
        if self.status == FROZEN:
            raise Conflict("各方承诺未齐，不能揭示种子")
        if self.status != COMMITTED:
            raise Conflict("种子已揭示完毕" if self.status != ABORTED else "抽取已中止")
        if self.signed and at > datetime.fromisoformat(self.manifest["reveal_deadline"]):
            raise Conflict(
                f"已过揭示截止时间 {self.manifest['reveal_deadline']}：本次抽取只能中止，"
                "须以新的抽取清单重新抽取"
            )
        holder = self.holders.get(party)
        if holder is not None and holder != by:
            raise Forbidden(f"「{party}」的种子份额由 {holder} 持有，只有其本人可以揭示")
        share = parse_hex(share_hex, 32, "种子份额")
        if any(r["party"] == party for r in self.reveals):
            raise Conflict(f"「{party}」已揭示种子")
        (committed,) = [c for c in self.commitments if c["party"] == party]
        if (
            p.commitment_of(self.manifest, self.digest, party, share).hex()
            != committed["commitment"]
        ):
            raise Invalid(f"「{party}」揭示的种子与其承诺不符，揭示被拒绝")
        entry = {"party": party, "share": share.hex(), "at": at.isoformat()}
        if self.signed:
            if self._signer(signer, "揭示").key.key_id != committed["key_id"]:
                raise Forbidden(f"「{party}」的揭示须以提交承诺时的密钥 {committed['key_id']} 签名")
            message = p.reveal_message(self.digest, party, share)
            entry |= self._signed(signer, "揭示", actor=by, party=party, at=at, message=message)
        self.reveals.append(entry)
        self.reveals.sort(key=lambda r: self.parties.index(r["party"]))

    def set_beacon(self, value_hex: str, at: datetime | None = None) -> None:
        """The external beacon's value; in /3 only once every share is revealed and the beacon
        is public (§14.8), so nobody could know the outcome before the last reveal."""
        beacon = self.manifest.get("beacon")
        if beacon is None:
            raise Invalid("本次抽取的清单未指定外部信标")
        if self.status == FROZEN:
            raise Conflict("各方承诺未齐，不能录入信标值")
        if self.signed and self.status == COMMITTED:
            if len(self.reveals) < len(self.parties):
                raise Conflict("各方揭示种子后才能录入信标值（信标在揭示之后才公布）")
            assert at is not None
            if at < datetime.fromisoformat(beacon["available_at"]):
                raise Conflict(f"信标 {beacon['available_at']} 之后才公布，不能提前录入")
        if self.status != COMMITTED:
            raise Conflict("种子已确定，不能再录入信标值")
        if self.beacon_value is not None:
            raise Conflict("信标值已录入")
        try:
            raw = bytes.fromhex(value_hex)
        except ValueError:
            raise Invalid("信标值不是十六进制字符串") from None
        if not 1 <= len(raw) <= 64:
            raise Invalid("信标值应为1到64字节")
        self.beacon_value = raw.hex()

    def ready_to_draw(self) -> bool:
        needs_beacon = self.manifest.get("beacon") is not None
        return (
            self.status == COMMITTED
            and len(self.reveals) == len(self.parties)
            and (self.beacon_value is not None or not needs_beacon)
        )

    def seed(self) -> bytes:
        shares = [bytes.fromhex(r["share"]) for r in self.reveals]
        beacon = bytes.fromhex(self.beacon_value) if self.beacon_value is not None else None
        return p.derive_seed(bytes.fromhex(self.manifest_sha256), shares, beacon)

    def record_result(self, seed: bytes, result: dict[str, Any]) -> None:
        self.seed_hex = seed.hex()
        self.result = result
        self.result_sha256 = p.json_sha256(result)
        self.status = DRAWN

    def record_selection(self, seed: bytes, result: dict[str, Any]) -> None:
        """§15.2: the targets are drawn; the teams wait for the credit department's assignment
        (no digest yet: the result is complete only with them)."""
        self.seed_hex = seed.hex()
        self.result = result
        self.status = ASSIGNING

    def require_selection(self) -> dict[str, Any]:
        """The drawn targets awaiting their assigned teams; refuses (409) otherwise."""
        if not self.direct:
            raise Conflict("本次抽取按规则随机匹配检查人员，不能直接委派（清单未声明直接委派）")
        if self.status != ASSIGNING or self.result is None:
            raise Conflict("只有检查对象已抽取、尚未委派的抽取才能委派检查组")
        return self.result

    def assign(
        self, result: dict[str, Any], at: datetime, by: str, actor: str, signer: Signer | None
    ) -> None:
        """§15.3: the credit department's signed assignment (``result``: the selection with
        the teams, checked against the hard rules by the caller) completes the result."""
        self.require_selection()
        message = da.assign_message(
            self.digest, da.assignment_of(result, "experts" in self.manifest)
        )
        signed = self._signed(
            signer, "直接委派", actor=actor, party=da.ASSIGNING_PARTY, at=at, message=message
        )
        self.assignment = {"by": by, "at": at.isoformat(), **signed}
        self.assigned_by = actor
        assert self.seed_hex is not None
        self.record_result(bytes.fromhex(self.seed_hex), result)

    def sign(
        self,
        by: str,
        opinion: str,
        at: datetime,
        actor: str,
        signer: Signer | None = None,
        acknowledge_unstaffed: bool = False,
    ) -> None:
        """The general office's countersignature (``by``: the signer's name), by someone who
        neither holds a share nor created the draw: supervision is another person's. Targets
        left unstaffed are a finding the signer must have seen (``acknowledge_unstaffed``)."""
        if self.status != DRAWN:
            raise Conflict(
                "只有已抽取、尚未会签的抽取才能会签" if self.status != COMPLETED else "已会签"
            )
        if actor in self.holders.values():
            raise Forbidden(f"{actor} 持有本次抽取的种子份额，不能会签（会签是对抽取的监督）")
        if actor == self.created_by:
            raise Forbidden(f"{actor} 创建了本次抽取，不能会签（会签是对抽取的监督）")
        if actor == self.assigned_by:
            raise Forbidden(f"{actor} 直接委派了本次抽取的检查组，不能会签（会签是对委派的监督）")
        assert self.result is not None and self.result_sha256 is not None
        if self.result["unstaffed"] and not acknowledge_unstaffed:
            raise Invalid(self.unstaffed_finding())
        countersign = {
            "by": by,
            "opinion": opinion,
            "at": at.isoformat(),
            "result_sha256": self.result_sha256,
        }
        if self.signed:
            message = p.countersign_message(self.digest, bytes.fromhex(self.result_sha256))
            countersign |= self._signed(
                signer, "会签", actor=actor, party=p.OFFICE_PARTY, at=at, message=message
            )
        self.countersign = countersign
        self.status = COMPLETED

    def unstaffed_finding(self) -> str:
        """What the general office must see before countersigning: the unstaffed targets."""
        assert self.result is not None
        reasons = self.result.get("unstaffed_reasons") or [""] * len(self.result["unstaffed"])
        lines = [
            f"{u}：{UNSTAFFED_REASONS.get(r, '无法配齐检查组')}"
            for u, r in zip(self.result["unstaffed"], reasons, strict=True)
        ]
        shown = "；".join(lines[:20]) + ("……" if len(lines) > 20 else "")
        return (
            f"有 {len(lines)} 个抽中的检查对象未能配齐检查人员（{shown}）。"
            "会签前须确认已知悉（acknowledge_unstaffed），并另行安排检查"
        )

    def approve_replacement(
        self, uscc: str, inspector_id: str, reason: str, by: str, by_name: str, at: datetime
    ) -> dict[str, Any]:
        """The deputy director approves replacing one drawn inspector of one target; the
        replacement itself is drawn later by rule, once per approval."""
        self.require_result("批准调换人员")
        if self.direct:
            raise Conflict(
                "直接委派的检查组没有由抽取确定的备选人员，不能按规则调换；须另行抽取或重新委派"
            )
        if not reason.strip():
            raise Invalid("批准调换须说明理由")
        self.team_with(uscc, inspector_id)
        if any(
            a["uscc"] == uscc and a["inspector_id"] == inspector_id and not a["used"]
            for a in self.approvals
        ):
            raise Conflict(f"调换 {uscc} 的 {inspector_id} 已获批准，尚未调换")
        approval = {
            "approval_id": f"{self.draw_id[:8]}-{len(self.approvals) + 1}",
            "uscc": uscc,
            "inspector_id": inspector_id,
            "reason": reason,
            "by": by,
            "by_name": by_name,
            "at": at.isoformat(),
            "used": False,
        }
        self.approvals.append(approval)
        return approval

    def require_result(self, act: str) -> dict[str, Any]:
        """The draw's result; refuses (409) to ``act`` on a draw without one."""
        if self.status not in (DRAWN, COMPLETED) or self.result is None:
            raise Conflict(f"抽取尚未完成，不能{act}")
        return self.result

    def team_with(self, uscc: str, inspector_id: str) -> list[tuple[str, str]]:
        """The current team of target ``uscc``, which ``inspector_id`` must be on."""
        team = self.team_of(uscc)
        if not team:
            raise NotFound(f"{uscc} 不是本次抽取已配备人员的检查对象")
        if inspector_id in self.agency_members_of(uscc):
            raise Invalid(
                f"{inspector_id} 是联合检查单位派出的人员：抽取只调换本局人员（§16），"
                "该单位人员的更换由该单位与信用监管科另行协调"
            )
        if inspector_id not in dict(team):
            raise Invalid(f"{inspector_id} 不在 {uscc} 的检查组中")
        return team

    def use_approval(self, approval_id: str, uscc: str, inspector_id: str) -> dict[str, Any]:
        """The approval a replacement rests on, marked used (one replacement per approval).
        In /3 replacements follow the countersignature (§14.4)."""
        if self.signed and self.status != COMPLETED:
            raise Conflict("抽取结果会签后才能调换人员")
        found = [a for a in self.approvals if a["approval_id"] == approval_id]
        if not found:
            raise Invalid(f"没有编号为 {approval_id} 的分管局长批准：调换须先经分管局长批准")
        approval = found[0]
        if approval["used"]:
            raise Conflict(f"批准 {approval_id} 已用于一次调换")
        if (approval["uscc"], approval["inspector_id"]) != (uscc, inspector_id):
            raise Invalid(
                f"批准 {approval_id} 批准的是调换 {approval['uscc']} 的 {approval['inspector_id']}"
            )
        approval["used"] = True
        return approval

    def hold_replacement(self, approval: dict[str, Any], record: dict[str, Any]) -> None:
        """/3: a replacement waits for the general office's countersignature (§14.11)."""
        if any((a.get("pending") or {}).get("uscc") == record["uscc"] for a in self.approvals):
            raise Conflict(f"{record['uscc']} 已有一次调换待办公室会签，会签后才能再调换")
        approval["pending"] = record

    def countersign_replacement(
        self, approval_id: str, by: str, at: datetime, actor: str, signer: Signer | None
    ) -> dict[str, Any]:
        """The general office countersigns a pending replacement (someone other than who asked
        for it): it then takes effect, with its sequence number."""
        found = [a for a in self.approvals if a["approval_id"] == approval_id]
        if not found or not found[0].get("pending"):
            raise NotFound(f"没有待会签的调换 {approval_id}")
        pending = found[0]["pending"]
        if actor == pending["requested_by"]:
            raise Forbidden(f"{actor} 申请了这次调换，不能会签（会签是对调换的监督）")
        message = p.replacement_message(
            self.digest, pending["uscc"], pending["replaced"], pending["replacement"], approval_id
        )
        signed = self._signed(
            signer, "调换会签", actor=actor, party=p.OFFICE_PARTY, at=at, message=message
        )
        record = {
            **pending,
            "seq": len(self.replacements) + 1,
            "countersign": {"by": by, "at": at.isoformat(), **signed},
        }
        found[0]["pending"] = None
        self.replacements.append(record)
        return record

    def next_alternate(self, uscc: str, out: str, alternates: list[str]) -> str | None:
        """/3 (§14.11): the first of the position's alternates (fixed by the draw) that is not
        on the team, was not replaced on this target, has no pair conflict with the rest of the
        team and is below its load cap (the teams as they are now); None when none is."""
        assert self.result is not None
        team = self.team_of(uscc)
        rest = {i for i, _ in team if i != out}
        pairs_with = rest | set(self.agency_members_of(uscc))  # §16: the agencies' too
        gone = {r["replaced"] for r in self.replacements if r["uscc"] == uscc}
        pairs = {frozenset(x) for x in self.manifest["pair_conflicts"]}
        loads = Counter(m[0] for t in self.result["targets"] for m in t["team"])
        for r in self.replacements:
            loads[r["replaced"]] -= 1
            loads[r["replacement"]] += 1
        leads = {r["inspector_id"]: r["leader_qualified"] for r in self.roster}
        for a in alternates:
            if a in rest or a in gone or a == out:
                continue
            if any(frozenset((a, m)) in pairs for m in pairs_with):
                continue
            cap = self.result["leader_load_cap"] if leads[a] else self.result["load_cap"]
            if loads[a] < cap:
                return str(a)
        return None

    def cancel(
        self, reason: str, by: str = "", at: datetime | None = None, signer: Signer | None = None
    ) -> dict[str, str]:
        """Cancel before any reveal; in /3 the reason is signed by ``by`` for a party of the
        draw. Returns the signature's fields for the draw log ({} before /3)."""
        if self.status not in (FROZEN, COMMITTED) or self.reveals:
            raise Conflict("已有参与方揭示种子，抽取不能作废（防止重抽）")
        signed: dict[str, str] = {}
        if self.signed:
            assert at is not None
            party = self._signer(signer, "作废").key.party  # any party of the draw may cancel
            self._party(party)
            message = p.cancel_message(self.digest, reason)
            signed = self._signed(signer, "作废", actor=by, party=party, at=at, message=message)
        self.status = CANCELLED
        self.cancel_reason = reason
        return signed

    def abort(self, at: datetime) -> list[str]:
        """/3: after the reveal deadline, a draw whose shares are not all revealed is void (in
        the log); the parties that did not reveal are returned."""
        if not self.signed:
            raise Conflict("只有 spotcheck-draw/3 的抽取设有揭示截止时间")
        if self.status not in (FROZEN, COMMITTED):
            raise Conflict("只有尚未揭示完毕的抽取可以中止")
        if at <= datetime.fromisoformat(self.manifest["reveal_deadline"]):
            raise Conflict(f"揭示截止时间 {self.manifest['reveal_deadline']} 尚未到")
        revealed = {r["party"] for r in self.reveals}
        missing = [party for party in self.parties if party not in revealed]
        self.status = ABORTED
        self.cancel_reason = f"中止：{'、'.join(missing)} 未在截止时间前揭示种子"
        return missing

    def team_of(self, uscc: str) -> list[tuple[str, str]]:
        """The current team of a target, replacements applied."""
        assert self.result is not None
        team = [
            (m[0], m[1]) for t in self.result["targets"] if t["uscc"] == uscc for m in t["team"]
        ]
        for r in self.replacements:
            if r["uscc"] == uscc:
                team = [
                    (r["replacement"], role) if i == r["replaced"] else (i, role)
                    for i, role in team
                ]
        return team

    def agency_members_of(self, uscc: str) -> list[str]:
        """The co-organisers' inspectors matched to a target (§16); [] when there are none."""
        assert self.result is not None
        return [
            i
            for t in self.result["targets"]
            if t["uscc"] == uscc
            for i in t.get("agency_members", [])
        ]

    def experts_of(self, uscc: str) -> list[str]:
        """The experts matched to a target (§8.4); [] when the task asks for none."""
        assert self.result is not None
        return [
            e for t in self.result["targets"] if t["uscc"] == uscc for e in t.get("experts", [])
        ]

    # -- the published bundle ---------------------------------------------------------

    def bundle(self, pop: p.Population, log: dict[str, Any] | None = None) -> dict[str, Any]:
        """The public bundle (§11); ``log`` is the draw log's extract a /3 bundle carries."""
        if self.result is None or self.result_sha256 is None:  # assigning: not complete yet
            raise Conflict("抽取尚未完成，暂无可验证的数据包")
        body = {
            "format": p.BUNDLE_FORMAT,
            "manifest": self.manifest,
            "manifest_sha256": self.manifest_sha256,
            "population": {
                "uscc": base64.b64encode(pop.uscc).decode("ascii"),
                "stratum": base64.b64encode(pop.stratum).decode("ascii"),
                "status": base64.b64encode(pop.status).decode("ascii"),
                "checks": base64.b64encode(pop.checks).decode("ascii"),
            }
            | (
                {"attributes": base64.b64encode(pop.attributes).decode("ascii")}
                if pop.attributes
                else {}
            ),
            "roster": self.roster,
            "commitments": self.commitments,
            "reveals": self.reveals,
            "beacon_value": self.beacon_value,
            "seed": self.seed_hex,
            "result": self.result,
            "result_sha256": self.result_sha256,
            "replacements": self.replacements,
            "countersign": self.countersign,
        }
        if self.manifest.get("experts"):
            body["expert_roster"] = self.expert_roster or []
        if self.signed:
            body["log"] = log
        if self.direct:
            body["assignment"] = self.assignment
        return {"body": body, "body_sha256": p.json_sha256(body)}
