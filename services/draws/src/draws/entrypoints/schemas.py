"""The draws API's request and response models (what the OpenAPI document shows).

The manifest, the result and the bundle are the protocol's documents (``docs/draw-spec.md``):
they are given as the protocol writes them (JSON objects), not re-modelled here. Instants are
ISO 8601 strings with their offset, as stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from draws.domain import protocol as p
from draws.domain.joint import JointDraw
from draws.domain.ledger import PartyKey
from draws.domain.model import STATUS_LABELS, UNSTAFFED_REASONS, VOID, Draw
from draws.service_layer.services import team_of
from spotcheck_common.events.draws import TeamMember
from spotcheck_common.events.types import ObjectId
from spotcheck_common.text import LongText, RequestModel

Instant = str
"""An instant as ISO 8601 with its offset (``2026-03-16T01:00:00+00:00``)."""

# ---------------------------------------------------------------------------- requests


class DrawIn(RequestModel):
    task_id: str = Field(min_length=1, description="已批准的抽查任务")
    parties: list[str] | None = Field(
        None,
        description="种子参与方（按此顺序组合）；默认 信用监管科、办公室；联合抽取可增加相邻区域",
    )
    caps: dict[str, int] | None = Field(
        None, description="按风险等级设置的年度抽查上限，默认每类 2 次", examples=[{"E": 3}]
    )
    beacon_source: str | None = Field(
        None,
        max_length=200,
        description="未来公开信标的来源，如「中国福利彩票双色球第2026140期开奖号码」（写入清单）",
    )
    beacon_encoding: str | None = Field(
        None,
        max_length=500,
        description="信标值的精确字节编码规则，"
        "如「红球按开奖顺序、蓝球在后，两位十进制，以 . 连接，UTF-8」",
    )
    beacon_available_at: datetime | None = Field(
        None, description="信标公布时间（须不早于揭示截止时间；各方揭示后才录入信标值）"
    )
    neighbour_rule: str = Field(
        "none", description="相邻区域执法人员的使用规则：none 或 fill-when-short（本区不足时补充）"
    )
    joint_with: list[str] | None = Field(
        None,
        description=(
            "fill-when-short 时联合的相邻区（默认：本局配置的全部相邻区）。每个相邻区的名录须已"
            "同步，否则拒绝；其信用监管科成为参与方「<区>:信用监管科」，在其本局提交承诺和揭示"
        ),
    )
    reveal_hours: int = Field(
        72, ge=1, le=720, description="自冻结起各方揭示种子的时限（小时）；逾期未揭示则抽取中止"
    )
    direct_approval: str | None = Field(
        None,
        max_length=64,
        description="第六条直接委派：分管局长对本任务直接委派的批准编号（direct-assignment-"
        "approvals）。清单写明直接委派、理由和批准；检查对象仍随机抽取，检查组由信用监管科委派",
    )


KeyId = Field(None, min_length=32, max_length=32, description="参与方密钥编号（/api/draws/keys）")
Signature = Field(
    None,
    min_length=128,
    max_length=128,
    description="Ed25519 签名（64 字节，十六进制，见 draw-spec §14.4）",
)


class Signed(RequestModel):
    """An act of ``spotcheck-draw/3``, signed on the acting person's own device
    (``spotcheck-ceremony``); both fields are required by a /3 draw."""

    key_id: str | None = KeyId
    signature: str | None = Signature


class CommitmentIn(Signed):
    party: str = Field(min_length=1)
    commitment: str = Field(min_length=64, max_length=64, description="承诺值（64 个十六进制字符）")


class RevealIn(Signed):
    party: str = Field(min_length=1)
    share: str = Field(min_length=64, max_length=64, description="种子份额（32 字节，十六进制）")


class BeaconIn(RequestModel):
    value: str = Field(min_length=2, max_length=128, description="外部信标值（十六进制）")


class CountersignIn(Signed):
    opinion: str = Field("抽取过程符合规定", description="监督意见")
    acknowledge_unstaffed: bool = Field(
        False, description="已知悉未能配齐检查人员的检查对象（有此类对象时必须确认）"
    )


class ApprovalIn(RequestModel):
    uscc: ObjectId
    inspector_id: str = Field(min_length=1, max_length=50, description="被调换的执法检查人员")
    reason: LongText = Field(min_length=1, description="批准调换的理由")


class ApprovalOut(BaseModel):
    """The deputy director's approval of one replacement (分管局长同意), used at most once."""

    approval_id: str
    uscc: str
    inspector_id: str
    reason: str
    by: str = Field(description="批准人（登录账号）")
    by_name: str = Field(description="批准人姓名")
    at: Instant
    used: bool = Field(description="是否已用于一次调换")
    pending: ReplacementOut | None = Field(
        None, description="spotcheck-draw/3：已按备选人员确定、待办公室会签的调换"
    )


class DirectApprovalIn(RequestModel):
    reason: LongText = Field(
        min_length=1,
        description="批准直接委派的理由（如本区执法检查人员有限，不能满足随机匹配条件）",
    )


class DirectApprovalOut(BaseModel):
    """The deputy director's approval of direct assignment for a task (第六条), an act recorded
    before the draw's manifest is frozen."""

    approval_id: str
    task_id: str
    reason: str
    by: str = Field(description="批准人（登录账号）")
    by_name: str = Field(description="批准人姓名")
    at: Instant


class DirectApprovalList(BaseModel):
    total: int
    items: list[DirectApprovalOut]


class AssignedTarget(RequestModel):
    uscc: ObjectId
    team: list[tuple[str, Literal["leader", "member"]]] = Field(
        min_length=2, description="检查组：[[执法检查人员编号, leader|member], …]，组长在首位"
    )
    experts: list[str] | None = Field(
        None, description="委派的专家编号（任务要求专家时必填，否则不得填写）"
    )


class AssignmentIn(Signed):
    targets: list[AssignedTarget] = Field(
        description="按抽中顺序，每个抽中的检查对象各一项（draw-spec §15.3；签名针对这份委派）"
    )

    def assignment(self, experts: bool) -> list[dict[str, Any]]:
        """As the protocol signs it (§15.3): per target its team, and experts when asked."""
        return [
            {"uscc": t.uscc, "team": [list(m) for m in t.team]}
            | ({"experts": list(t.experts or [])} if experts else {})
            for t in self.targets
        ]


class MatchingOut(BaseModel):
    """How the draw's teams are made: at random (``assigned`` false) or, 第六条, assigned
    directly — why, and by whose approval (the manifest says so before any randomness)."""

    assigned: bool = Field(description="检查组为直接委派（而非随机匹配）")
    reason: str | None = Field(None, description="直接委派的理由")
    approval_id: str | None = None
    approved_by: str | None = Field(None, description="批准直接委派的分管局长")
    approved_at: Instant | None = None
    assigned_by: str | None = Field(None, description="签署委派的信用监管科人员")
    assigned_at: Instant | None = None

    @classmethod
    def of(cls, d: Draw) -> MatchingOut:
        if not d.direct:
            return cls(assigned=False)
        m = d.manifest["matching"]
        done = d.assignment or {}
        return cls(
            assigned=True,
            reason=m["reason"],
            **m["approval"],
            assigned_by=done.get("by"),
            assigned_at=done.get("at"),
        )


class DirectShare(BaseModel):
    department: str = Field(description="承办（主办）科室")
    teams: int = Field(description="已会签抽取的检查组数")
    assigned: int = Field(description="其中直接委派的检查组数")
    share_bp: int = Field(description="直接委派占比（万分比）")


class DirectShareList(BaseModel):
    items: list[DirectShare]


class ReplacementIn(RequestModel):
    uscc: ObjectId
    inspector_id: str = Field(min_length=1, max_length=50, description="被调换的执法检查人员")
    reason: LongText = Field(min_length=1, description="调换理由")
    approval_id: str = Field(
        min_length=1, max_length=50, description="分管局长的批准编号（replacement-approvals）"
    )


class CancelIn(Signed):
    reason: str = Field(min_length=1, max_length=500)


class KeyIn(RequestModel):
    """The public half of a key made on the holder's own device (``spotcheck-ceremony
    keygen``), signed by the key itself over the registration (§14.2)."""

    party: str = Field(
        min_length=1, max_length=100, description="密钥代表的参与方，如 信用监管科、办公室"
    )
    public_key: str = Field(min_length=64, max_length=64, description="Ed25519 公钥（十六进制）")
    valid_from: date
    valid_until: date
    signature: str = Field(min_length=128, max_length=128, description="密钥对登记内容的签名")


class RevocationIn(RequestModel):
    reason: str = Field(min_length=1, max_length=500, description="吊销理由（如遗失、调岗）")


class KeyOut(BaseModel):
    key_id: str
    district: str
    party: str
    holder: str
    public_key: str
    valid_from: str
    valid_until: str
    signature: str
    registered_seq: int = Field(description="登记记录在抽取日志中的序号")
    revoked_seq: int | None = Field(description="吊销记录在抽取日志中的序号（未吊销为空）")

    @classmethod
    def of(cls, key: PartyKey) -> KeyOut:
        return cls.model_validate(vars(key))


class KeyList(BaseModel):
    total: int
    items: list[KeyOut]


class LogHead(BaseModel):
    """The head of the district's draw log: keep it; a later log must extend it."""

    district: str
    seq: int
    hash: str


class LogEntry(BaseModel):
    record: dict[str, Any] = Field(description="日志记录（见 draw-spec §14.6）")
    hash: str


class LogOut(BaseModel):
    """A page of the district's draw log (``verify_draw.py BUNDLE --log`` takes the whole)."""

    district: str
    records: list[LogEntry]
    head: dict[str, Any]


# --------------------------------------------------------------------------- responses


class CommitmentOut(BaseModel):
    party: str
    commitment: str
    at: Instant
    key_id: str | None = None
    signature: str | None = None


class RevealOut(BaseModel):
    party: str
    share: str
    at: Instant
    key_id: str | None = None
    signature: str | None = None


class CountersignOut(BaseModel):
    by: str
    opinion: str
    at: Instant
    result_sha256: str | None
    key_id: str | None = None
    signature: str | None = None


class ReceiptOut(BaseModel):
    """A declared conflict as sealed in a draw's roster (only its declarant sees the salt)."""

    uscc: str
    salt: str = Field(description="盐值（十六进制）；被抽中且相遇时才公开")
    commitment: str = Field(description="花名册中封存的承诺值，可在公示的花名册中核对")


class ReceiptList(BaseModel):
    draw_id: str
    member_id: str
    items: list[ReceiptOut]


class UnstaffedOut(BaseModel):
    """A drawn target the pool could not staff: a finding to see before countersigning."""

    uscc: str
    reason: str
    reason_label: str


class Disclosure(BaseModel):
    """A recusal the replacement's walk met, opened with its salt (the public can check it)."""

    uscc: str
    inspector_id: str
    salt: str


class ReplacementCountersign(BaseModel):
    by: str
    at: Instant
    key_id: str
    signature: str


class ReplacementOut(BaseModel):
    """An approved replacement of a drawn inspector, drawn by the same rule."""

    seq: int
    uscc: str
    replaced: str
    replacement: str
    role: str
    reason: str
    approved_by: str
    approval_ref: str
    requested_by: str
    at: Instant
    recusal_disclosures: list[Disclosure]
    countersign: ReplacementCountersign | None = Field(
        None, description="spotcheck-draw/3：办公室对本次调换的会签（会签后调换生效）"
    )


class Skip(BaseModel):
    uscc: str
    reason: str
    reason_label: str


class StratumOut(BaseModel):
    key: str = Field(description="风险等级")
    eligible: int
    quota: int
    selected: int
    reserve: list[str] = Field(description="备选名单（按抽取顺序）")
    skipped: list[Skip]


class TargetOut(BaseModel):
    uscc: str
    entity_name: str
    risk_class: str
    ticket: str
    team: list[TeamMember] = Field(
        description="检查组（组长在前），其后为联合检查单位人员（§16）和专家"
    )


class ExpertsOut(BaseModel):
    per_target: int
    fields: list[str]
    load_cap: int
    pool_size: int


class DrawOut(BaseModel):
    """What staff see of a draw (names resolved; the public bundle is separate). The result's
    fields (``strata`` … ``experts``) are there once the seed is revealed, and not for a
    cancelled draw."""

    draw_id: str
    task_id: str
    task_no: str
    status: str
    status_label: str
    manifest_sha256: str
    manifest: dict[str, Any] = Field(description="抽取清单（随机数产生前冻结，见 draw-spec）")
    parties: list[str]
    commitments: list[CommitmentOut]
    reveals: list[RevealOut]
    beacon_value: str | None
    seed_hex: str | None
    result_sha256: str | None
    countersign: CountersignOut | None
    replacements: list[ReplacementOut]
    replacement_approvals: list[ApprovalOut] = Field(
        default_factory=list, description="分管局长对调换的批准（谁、何时、为何）"
    )
    cancel_reason: str | None
    created_by: str
    created_at: Instant | None
    bundle_url: str | None
    matching: MatchingOut = Field(description="检查组的产生方式：随机匹配或直接委派（第六条）")
    strata: list[StratumOut] | None = None
    targets: list[TargetOut] | None = None
    unstaffed: list[str] | None = None
    unstaffed_findings: list[UnstaffedOut] | None = None
    load_cap: int | None = None
    leader_load_cap: int | None = None
    pool_size: int | None = None
    experts: ExpertsOut | None = None

    @classmethod
    def of(cls, draw: Draw, names: dict[str, tuple[str, str, str]]) -> DrawOut:
        """``names``: each target's name, risk class and area (``views.names``)."""
        out = cls(
            draw_id=draw.draw_id,
            task_id=draw.task_id,
            task_no=draw.task_no,
            status=draw.status,
            status_label=STATUS_LABELS[draw.status],
            manifest_sha256=draw.manifest_sha256,
            manifest=draw.manifest,
            parties=draw.parties,
            commitments=[CommitmentOut.model_validate(c) for c in draw.commitments],
            reveals=[RevealOut.model_validate(r) for r in draw.reveals],
            beacon_value=draw.beacon_value,
            seed_hex=draw.seed_hex,
            result_sha256=draw.result_sha256,
            countersign=CountersignOut.model_validate(draw.countersign)
            if draw.countersign
            else None,
            replacements=[ReplacementOut.model_validate(r) for r in draw.replacements],
            replacement_approvals=[ApprovalOut.model_validate(a) for a in draw.approvals],
            cancel_reason=draw.cancel_reason,
            created_by=draw.created_by,
            created_at=draw.created_at.isoformat() if draw.created_at else None,
            bundle_url=f"/public/draws/{draw.draw_id}/bundle" if draw.result_sha256 else None,
            matching=MatchingOut.of(draw),
        )
        if draw.result is not None and draw.status not in VOID:
            out._with_result(draw, draw.result, names)
        return out

    def _with_result(
        self, draw: Draw, result: dict[str, Any], names: dict[str, tuple[str, str, str]]
    ) -> None:
        roster = {r["inspector_id"]: r for r in draw.roster}
        # Set field by field, so that an answer without a result leaves them out (unset).
        self.strata = [_stratum(s) for s in result["strata"]]
        self.targets = [
            TargetOut(
                uscc=t["uscc"],
                entity_name=names.get(t["uscc"], ("", "", ""))[0],
                risk_class=t["stratum"],
                ticket=t["ticket"],
                team=team_of(draw, roster, t["uscc"]),
            )
            for t in result["targets"]
        ]
        self.unstaffed = result["unstaffed"]
        reasons = result.get("unstaffed_reasons") or [""] * len(result["unstaffed"])
        self.unstaffed_findings = [
            UnstaffedOut(uscc=u, reason=r, reason_label=UNSTAFFED_REASONS.get(r, "无法配齐检查组"))
            for u, r in zip(result["unstaffed"], reasons, strict=True)
        ]
        self.load_cap = result["load_cap"]
        if "leader_load_cap" in result:
            self.leader_load_cap = result["leader_load_cap"]
        self.pool_size = result["pool_size"]
        if "experts" in result:
            self.experts = ExpertsOut(
                per_target=draw.manifest["experts"]["per_target"],
                fields=draw.manifest["experts"]["fields"],
                load_cap=result["experts"]["load_cap"],
                pool_size=result["experts"]["pool_size"],
            )


def _stratum(s: dict[str, Any]) -> StratumOut:
    return StratumOut(
        key=s["key"],
        eligible=s["eligible"],
        quota=s["quota"],
        selected=sum(1 for _, o in s["walk"] if o == "selected"),
        reserve=[u for u, o in s["walk"] if o == "reserve"],
        skipped=[
            Skip(uscc=u, reason=o, reason_label=p.SKIP_LABELS.get(o, o))
            for u, o in s["walk"]
            if o not in ("selected", "reserve")
        ],
    )


class DrawSummary(BaseModel):
    draw_id: str
    task_id: str
    task_no: str
    task_title: str = Field(description="任务名称（清单中冻结的）")
    status: str
    status_label: str
    manifest_sha256: str
    result_sha256: str | None
    created_at: Instant | None
    matching: MatchingOut = Field(description="检查组的产生方式：随机匹配或直接委派（第六条）")

    @classmethod
    def of(cls, d: Draw) -> DrawSummary:
        return cls(
            draw_id=d.draw_id,
            task_id=d.task_id,
            task_no=d.task_no,
            task_title=d.task_title,
            status=d.status,
            status_label=STATUS_LABELS[d.status],
            manifest_sha256=d.manifest_sha256,
            result_sha256=d.result_sha256,
            created_at=d.created_at.isoformat() if d.created_at else None,
            matching=MatchingOut.of(d),
        )


class DrawList(BaseModel):
    total: int
    items: list[DrawSummary]


class ManifestOut(BaseModel):
    """The public manifest: frozen before any random number existed, and the commitments."""

    manifest: dict[str, Any]
    manifest_sha256: str
    roster: list[dict[str, Any]] = Field(
        description="冻结的执法检查人员名录（其 Merkle 根在清单中）：回避声明以加盐承诺封存，"
        "声明人可凭回执核对"
    )
    commitments: list[CommitmentOut]
    status: str
    matching: MatchingOut = Field(description="检查组的产生方式：随机匹配或直接委派（第六条）")

    @classmethod
    def of(cls, d: Draw) -> ManifestOut:
        return cls(
            manifest=d.manifest,
            manifest_sha256=d.manifest_sha256,
            roster=d.roster,
            commitments=[CommitmentOut.model_validate(c) for c in d.commitments],
            status=d.status,
            matching=MatchingOut.of(d),
        )


class Chunk(BaseModel):
    """The columns of the proof's chunk (base64)."""

    uscc: str
    stratum: str
    status: str
    checks: str
    attributes: str | None = Field(
        None,
        description="spotcheck-draw/3：每行的主体类型、行业、区域在清单词表中的序号（§14.13）",
    )


class ProofOut(BaseModel):
    """The Merkle inclusion proof of an entity in the draw's population (spec §4.3,
    ``spotcheck-verify --proof``)."""

    format: Literal["spotcheck-draw-proof/1"]
    included: Literal[True]
    uscc: str
    chunk_index: int
    chunk_count: int
    chunk: Chunk
    path: list[str]
    draw_id: str
    population_root: str
    manifest_sha256: str


class ProofChunk(BaseModel):
    """A chunk of the population with its audit path (hex, bottom-up)."""

    chunk_index: int
    chunk: Chunk
    path: list[str]


class NonProofOut(BaseModel):
    """The Merkle proof that an object id is not in the draw's population (spec §4.4,
    ``spotcheck-verify --proof``): the chunks that bracket where it would sit."""

    format: Literal["spotcheck-draw-nonproof/1"]
    included: Literal[False]
    uscc: str
    chunk_count: int
    chunks: list[ProofChunk] = Field(
        max_length=2,
        description="两个相邻分块（代码落在前一块末尾与后一块开头之间），或一个分块（落在块内两个相邻代码之间、"
        "第一个代码之前或最后一个代码之后），总体为空时没有分块",
    )
    draw_id: str
    population_root: str
    manifest_sha256: str


AnyProof = Annotated[ProofOut | NonProofOut, Field(discriminator="format")]


def proof_out(
    draw_id: str, manifest: dict[str, Any], manifest_sha256: str, proof: dict[str, Any]
) -> ProofOut | NonProofOut:
    """The answer of ``GET /public/draws/{draw_id}/proof/{uscc}``: either kind of proof."""
    fields = {
        **proof,
        "draw_id": draw_id,
        "population_root": manifest["population"]["merkle_root"],
        "manifest_sha256": manifest_sha256,
    }
    return ProofOut(**fields) if proof["included"] else NonProofOut(**fields)


# --------------------------------------------------------------------- joint draws (issue 10)


class JointCommitmentIn(RequestModel):
    """This bureau's share of a neighbour's joint draw: the commitment, signed on the holder's
    own device, with the key it is signed with — registered for the drawing district's log
    (the key's self-signature names the drawing district)."""

    commitment: str = Field(min_length=64, max_length=64, description="承诺值（64 个十六进制字符）")
    public_key: str = Field(min_length=64, max_length=64, description="Ed25519 公钥（十六进制）")
    valid_from: date
    valid_until: date
    key_signature: str = Field(
        min_length=128, max_length=128, description="密钥对登记内容的签名（登记区为抽取区）"
    )
    signature: str = Field(min_length=128, max_length=128, description="对承诺的签名")


class JointRevealIn(RequestModel):
    share: str = Field(min_length=64, max_length=64, description="种子份额（32 字节，十六进制）")
    signature: str = Field(min_length=128, max_length=128, description="对揭示的签名")


class JointDrawOut(BaseModel):
    draw_id: str
    drawing_district: str
    party: str
    task_no: str
    manifest_sha256: str
    manifest: dict[str, Any] = Field(
        description="抽取区冻结的清单（本局在本人浏览器中核对其摘要后才签名）"
    )
    parties: list[str]
    committed: list[str] = Field(description="抽取区已记录承诺的参与方")
    status: str = Field(description="awaiting-commit、committed、revealed、completed、cancelled")
    commitment: str | None = Field(None, description="本局提交的承诺值")
    key_id: str | None = None
    holder: str | None = None
    reveal_deadline: str | None = None
    created_at: Instant | None = Field(None, description="本局收到冻结清单的时间")
    committed_at: Instant | None = Field(None, description="本局提交承诺的时间")
    revealed_at: Instant | None = Field(None, description="本局揭示种子的时间")
    result_sha256: str | None = Field(None, description="抽取区完成抽取时公布的结果摘要")
    bundle_url: str | None = Field(None, description="抽取区公示网站上可验证数据包的地址")

    @classmethod
    def of(cls, jd: JointDraw) -> JointDrawOut:
        return cls(
            draw_id=jd.draw_id,
            drawing_district=jd.drawing_district,
            party=jd.party,
            task_no=jd.task_no,
            manifest_sha256=jd.manifest_sha256,
            manifest=jd.manifest,
            parties=jd.parties,
            committed=jd.committed,
            status=jd.status,
            commitment=jd.commitment,
            key_id=(jd.key or {}).get("key_id"),
            holder=(jd.key or {}).get("holder"),
            reveal_deadline=jd.manifest.get("reveal_deadline"),
            created_at=_instant(jd.created_at),
            committed_at=_instant(jd.committed_at),
            revealed_at=_instant(jd.revealed_at),
            result_sha256=jd.result_sha256,
            bundle_url=jd.bundle_url,
        )


def _instant(moment: datetime | None) -> Instant | None:
    return moment.isoformat() if moment else None


class JointDrawList(BaseModel):
    items: list[JointDrawOut]


class PublicJointDraw(BaseModel):
    """A neighbour's joint draw in which this bureau held a party, as anyone may read it: the
    bundle is the drawing district's, published on its site; the digests are what this bureau
    received from it through the broker, so anyone can check that bundle against them."""

    draw_id: str
    drawing_district: str = Field(description="发起抽取的区局")
    task_no: str = Field(description="抽取区的抽查任务编号")
    party: str = Field(description="本局在本次抽取中的参与方")
    status: str = Field(description="awaiting-commit、committed、revealed、completed、cancelled")
    manifest_sha256: str
    result_sha256: str | None = Field(None, description="抽取完成后抽取区公布的结果摘要")
    bundle_url: str | None = Field(
        None, description="可验证数据包在抽取区公示网站上的地址（由抽取区公示）"
    )

    @classmethod
    def of(cls, jd: JointDraw) -> PublicJointDraw:
        return cls(
            draw_id=jd.draw_id,
            drawing_district=jd.drawing_district,
            task_no=jd.task_no,
            party=jd.party,
            status=jd.status,
            manifest_sha256=jd.manifest_sha256,
            result_sha256=jd.result_sha256,
            bundle_url=jd.bundle_url,
        )


class PublicJointDrawList(BaseModel):
    total: int
    items: list[PublicJointDraw]
