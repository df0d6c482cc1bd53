"""Synthetic inputs for the draws tests and the golden vectors (deterministic; test code,
not shipped)."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from spotcheck_common import objects
from spotcheck_common import uscc as uscc_codes
from spotcheck_common.events.planning import CheckItemRef, TargetFilter, TaskApproved
from spotcheck_common.events.registry import (
    ConflictDeclared,
    EntitiesImported,
    EntitySnapshot,
    InspectorsImported,
    InspectorSnapshot,
)
from spotcheck_common.events.types import EntityStatus, RiskClass

RISK_WEIGHTS = {"A": 30, "B": 40, "C": 20, "D": 7, "E": 3}
DEPARTMENTS = ["信用监管科", "市场规范管理科", "食品安全监督管理科"]
ITEMS = [
    CheckItemRef(code="SD-QY-01", name="企业公示信息"),
    CheckItemRef(code="SD-QY-02", name="登记事项"),
]


def entities(count: int, seed: int = 7, deregistered_every: int = 29) -> list[EntitySnapshot]:
    rng = random.Random(seed)
    codes = uscc_codes.synthetic(count, seed=seed, area_code="371071")
    out = []
    for i, code in enumerate(codes):
        status = EntityStatus.ACTIVE
        if deregistered_every and i % deregistered_every == deregistered_every - 1:
            status = rng.choice(
                [EntityStatus.DEREGISTERED, EntityStatus.REVOKED, EntityStatus.MOVED_OUT]
            )
        out.append(
            EntitySnapshot(
                uscc=code,
                name=f"威海临港测试企业{i}有限公司",
                entity_type="有限责任公司",
                industry=rng.choice(["批发和零售业", "制造业"]),
                area=rng.choice(["草庙子镇", "汪疃镇"]),
                risk_class=RiskClass(
                    rng.choices(list(RISK_WEIGHTS), list(RISK_WEIGHTS.values()))[0]
                ),
                status=status,
            )
        )
    return out


def products(count: int, seed: int = 7) -> list[EntitySnapshot]:
    """Products of a few producers, each batch its own object (ADR 0011: ``Z``+``P`` ids)."""
    rng = random.Random(seed)
    producers = uscc_codes.synthetic(3, seed=seed, area_code="371071")
    out = []
    for i in range(count):
        details = {
            "producer_uscc": producers[i % 3],
            "product_name": rng.choice(["饮用天然矿泉水", "纯净水", "花生油"]),
            "brand": f"临港{i % 3 + 1}号",
            "specification": rng.choice(["550mL", "5L"]),
            "batch": f"2026-{1 + i % 10:02d}-{1 + i // 10:02d}",
            "sold_at": rng.choice(["草庙子镇惠民超市", "汪疃镇便民商店"]),
        }
        out.append(
            EntitySnapshot(
                uscc=objects.assigned_id(objects.ObjectKind.PRODUCT, details),
                name=objects.display_name(objects.ObjectKind.PRODUCT, details),
                entity_type="产品",
                industry="食品",
                area=rng.choice(["草庙子镇", "汪疃镇"]),
                risk_class=RiskClass(rng.choice("BCD")),
                status=EntityStatus.ACTIVE,
                details=details,
            )
        )
    return out


def inspectors(count: int, seed: int = 7, prefix: str = "LG") -> list[InspectorSnapshot]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        quals = ["企业公示信息", "SD-QY-02"] if i % 7 != 6 else ["产品质量"]
        out.append(
            InspectorSnapshot(
                inspector_id=f"{prefix}{i + 1:04d}",
                name=f"检查员{i + 1}",
                department=DEPARTMENTS[i % len(DEPARTMENTS)],
                qualifications=quals,
                leader_qualified=rng.random() < 0.5,
                certificate_expires_on=date(2030, 12, 31) if i % 11 != 10 else date(2020, 1, 1),
                active=i % 13 != 12,
            )
        )
    return out


def task(
    task_id: str = "T-1",
    ratio_bp: dict[str, int] | None = None,
    team_size: int = 2,
    departments: list[str] | None = None,
    **filters: Any,
) -> TaskApproved:
    return TaskApproved(
        task_id=task_id,
        task_no=f"LG-2026-{task_id}",
        title="2026年企业公示信息双随机抽查",
        lead_department="信用监管科",
        check_items=ITEMS,
        target_filter=TargetFilter(**filters),
        ratio_bp={
            RiskClass(k): v
            for k, v in (ratio_bp or {"A": 300, "B": 500, "C": 1000, "D": 2000, "E": 5000}).items()
        },
        inspector_departments=departments or DEPARTMENTS,
        team_size=team_size,
        deadline=date(2026, 12, 31),
        approved_by="分管局长",
    )


def events(n_entities: int = 400, n_inspectors: int = 24, seed: int = 7) -> list[Any]:
    ents = entities(n_entities, seed)
    insp = inspectors(n_inspectors, seed)
    return [
        EntitiesImported(batch_id="b1", entities=ents),
        InspectorsImported(batch_id="b2", inspectors=insp),
        ConflictDeclared(inspector_id=insp[0].inspector_id, uscc=ents[0].uscc, reason="亲属"),
        task(),
    ]


# ------------------------------------------------------------------------- golden vectors

VECTORS: dict[str, dict[str, Any]] = {
    "basic": {
        "entities": 120,
        "inspectors": 24,
        "parties": ["信用监管科", "办公室"],
        "beacon": None,
        "ratio": {"A": 1000, "B": 1500, "C": 2500, "D": 5000, "E": 10000},
        "team": 2,
        "recusals": 0,
        "replacements": 0,
        "neighbours": 0,
        "pair_conflicts": [],
        "prior": 30,
        "caps": {"E": 3},
    },
    "beacon-recusal-replacement": {
        "entities": 300,
        "inspectors": 30,
        "parties": ["信用监管科", "办公室"],
        "beacon": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "ratio": {"A": 300, "B": 500, "C": 1000, "D": 3000, "E": 10000},
        "team": 2,
        "recusals": 400,
        "replacements": 2,
        "neighbours": 0,
        "pair_conflicts": [],
        "prior": 60,
    },
    "joint-short-pool": {
        "entities": 200,
        "inspectors": 4,
        "parties": ["信用监管科", "办公室", "荣成市局信用监管科"],
        "beacon": None,
        "ratio": {"C": 5000, "D": 10000, "E": 10000},
        "team": 3,
        "recusals": 40,
        "replacements": 1,
        "neighbours": 4,
        "pair_conflicts": [["LG0001", "NB0001"], ["NB0002", "NB0003"]],
        "prior": 20,
    },
    # spotcheck-draw/2: two experts per target from the expert pool (§8.4), of two fields;
    # ZJ0001 and ZJ0002 are recused from many entities, so some targets are unstaffed for
    # want of experts; inspector pair conflicts; one approved replacement.
    "experts": {
        "entities": 240,
        "inspectors": 20,
        "parties": ["信用监管科", "办公室"],
        "beacon": None,
        "ratio": {"A": 500, "B": 1000, "C": 2000, "D": 5000, "E": 10000},
        "team": 2,
        "recusals": 60,
        "replacements": 1,
        "neighbours": 0,
        "pair_conflicts": [["LG0001", "LG0002"], ["LG0003", "LG0004"], ["LG0001", "LG0005"]],
        "prior": 30,
        "experts": {
            "count": 8,
            "per_target": 2,
            "fields": ["特种设备", "食品安全"],
            "recused": {"ZJ0001": 0.6, "ZJ0002": 0.6, "ZJ0005": 0.5},
        },
    },
}

# spotcheck-draw/3 (§14): signed acts, the draw log, a future beacon, leaders' own cap.
VECTORS["signed-leaders-scarce"] = {
    "entities": 400,
    "inspectors": 30,
    "leaders": 3,  # of 30: the common cap alone would leave targets unstaffed (§14.5)
    "signed": True,
    "parties": ["信用监管科", "办公室"],
    "beacon": "30332e31312e31372e32322e32382e33312e3039",  # "03.11.17.22.28.31.09"
    "ratio": {"A": 1000, "B": 1500, "C": 2500, "D": 5000, "E": 10000},
    "team": 2,
    "recusals": 120,
    "replacements": 1,
    "neighbours": 0,
    "pair_conflicts": [["LG0004", "LG0005"]],
    "prior": 40,
}

# Small /3 vectors for edge cases (an audit's list). Options beyond the ones above:
#   "population": {stratum: [[status, checks, count], …]} — the entities, stratum by stratum
#       (instead of "entities" and "prior": random classes, statuses and prior checks);
#   "caps": {stratum: yearly cap} (default 2); "reserve": {"reserve_bp", "reserve_min"};
#   "inspector_overrides": {inspector_id: {field of engine.InspectorRow: value}};
#   "neighbour_rule": the manifest's rule (default: fill-when-short when there are neighbours);
#   "proofs": write proof-included.json and proof-absent.json (§4.3, §4.4);
#   "pins": what the vector pins — written to expected.json with the values that pin it.
EDGE: dict[str, Any] = {
    "signed": True,
    "parties": ["信用监管科", "办公室"],
    "beacon": None,
    "team": 2,
    "recusals": 0,
    "replacements": 0,
    "neighbours": 0,
    "pair_conflicts": [],
    "inspectors": 8,
}
VECTORS["reserve-rounding"] = {
    **EDGE,
    "pins": "reserve = max(reserve_min, ⌈quota·reserve_bp/10000⌉), 0 when the quota is 0 (§7.3)",
    "reserve": {"reserve_bp": 2500, "reserve_min": 2},
    "ratio": {"A": 3000, "B": 3000, "C": 10000, "D": 0},
    # A: quota 9, ⌈2.25⌉ = 3 > reserve_min 2 (⌊2.25⌋ and round(2.25) would give 2);
    # B: quota 3, ⌈0.75⌉ = 1 < 2: reserve_min wins; C: quota 4, ⌈1⌉ = 1 < 2, but every row is
    # selected: the walk runs out with no reserve row; D: ratio 0, quota 0, reserve 0 (not 2).
    "population": {
        "A": [["active", 0, 30]],
        "B": [["active", 0, 10]],
        "C": [["active", 0, 4]],
        "D": [["active", 0, 3]],
    },
}
VECTORS["quota-ties"] = {
    **EDGE,
    "pins": "largest remainder: equal remainders at the cut go by stratum key; quota 0 (§7.3)",
    "inspectors": 6,
    "ratio": {"A": 1000, "B": 1000, "C": 1000, "D": 0, "E": 2000},
    # e = 15000, 25000, 5000, 0, 4000: total ⌊(49000 + 5000)/10000⌋ = 5, bases 1, 2, 0, 0, 0;
    # the 2 seats left go to A and B (remainder 5000, like C's: key order), so C gets 0
    # (rounding each stratum alone would give 2 + 3 + 1 = 6); D: ratio 0; E: 2 eligible of
    # 4 at 20 % is 0.4, remainder 4000 < 5000.
    "population": {
        "A": [["active", 0, 15]],
        "B": [["active", 0, 25]],
        "C": [["active", 0, 5]],
        "D": [["active", 0, 4]],
        "E": [["active", 0, 2], ["deregistered", 0, 1], ["active", 2, 1]],
    },
}
VECTORS["statuses-and-caps"] = {
    **EDGE,
    "pins": "every skip reason (§7.2): statuses 1-4 (cancelled = 3) and the yearly cap; "
    "the status before the cap; checks = cap - 1 still eligible; checks saturate at 255",
    "ratio": {"A": 100, "C": 10000, "E": 10000},
    "caps": {"E": 3},  # A and C: 2
    # C and E: every eligible row is selected and the reserve (3) cannot fill, so their walks
    # go through every row; A: 520 rows, so the population has 3 chunks (proofs).
    "population": {
        "A": [["active", 0, 520]],
        "C": [
            ["active", 0, 6],
            ["active", 1, 1],  # below the cap: eligible
            ["active", 2, 2],  # at the cap: yearly_cap
            ["deregistered", 0, 1],
            ["revoked", 0, 1],
            ["cancelled", 0, 2],
            ["moved_out", 0, 1],
            ["deregistered", 2, 1],  # at the cap too: its status is the reason
        ],
        "E": [
            ["active", 0, 4],
            ["active", 2, 1],  # below E's cap 3: eligible
            ["active", 3, 1],  # yearly_cap
            ["active", 300, 1],  # recorded as 255: yearly_cap
            ["cancelled", 0, 1],
            ["moved_out", 0, 1],
            ["revoked", 5, 1],
        ],
    },
    "proofs": True,
}
VECTORS["qualifications"] = {
    **EDGE,
    "pins": "the pool (§8.1): qualified through 双随机全部事项, by item codes, by item names, "
    "by both; not qualified; certificate expiring on the draw date (valid) or the day before",
    "inspectors": 10,
    "leaders": 4,
    "ratio": {"C": 10000},
    "population": {"C": [["active", 0, 12]]},
    "inspector_overrides": {
        "LG0001": {"qualifications": ["双随机全部事项"]},
        "LG0002": {"qualifications": ["SD-QY-01", "SD-QY-02"]},
        "LG0003": {"qualifications": ["企业公示信息", "登记事项"]},
        "LG0004": {"qualifications": ["SD-QY-02", "企业公示信息"]},
        "LG0005": {"qualifications": ["SD-QY-01"]},  # one item of two
        "LG0006": {"qualifications": ["产品质量"]},
        "LG0007": {"qualifications": ["sd-qy-01", "sd-qy-02"]},  # codes compare exactly
        "LG0008": {"qualifications": ["双随机全部事项"], "certificate_expires_on": "2026-11-26"},
        "LG0009": {"qualifications": ["双随机全部事项"], "certificate_expires_on": "2026-11-25"},
        "LG0010": {"qualifications": ["双随机全部事项"], "active": False},
    },
}
VECTORS["neighbour-rule-none"] = {
    **EDGE,
    "pins": "a tier-1 pool in the manifest with neighbour_rule none: its inspectors are not in "
    "the pool, even when the own pool runs short (§8.1)",
    # own inspectors of the pool's department (信用监管科): LG0001, LG0004, LG0007 (not
    # qualified), LG0010; the others are of departments outside the pool
    "inspectors": 10,
    "leaders": 1,
    "neighbours": 3,
    "neighbour_rule": "none",
    # LG0001 (the one leader) never with LG0004: every team is LG0001 + LG0010 until LG0010
    # reaches the cap ⌈2·9/3⌉ + 1 = 7; the last 2 targets are unstaffed ("member").
    "pair_conflicts": [["LG0001", "LG0004"]],
    "ratio": {"C": 10000},
    "population": {"C": [["active", 0, 9]]},
}
VECTORS["empty-pool"] = {
    **EDGE,
    "pins": "no inspector in the pool: P = 0, load caps 0, every target unstaffed (leader), "
    "countersigned with the unstaffed acknowledged (§8.1, §14.5)",
    "inspectors": 3,
    "leaders": 3,
    "ratio": {"C": 10000},
    "population": {"C": [["active", 0, 5]]},
    "inspector_overrides": {
        "LG0001": {"active": False},
        "LG0002": {"certificate_expires_on": "2026-11-25"},
        "LG0003": {"qualifications": ["产品质量"]},
    },
}

VECTORS["direct-assignment"] = {
    **EDGE,
    "pins": "direct assignment (§15): the manifest names the rule, the reason and the deputy "
    "director's approval; the targets are drawn, the teams and experts assigned and signed by "
    "the credit department (log 'assigned' before 'drawn'), above the load caps random "
    "matching would use, none recused, no pair conflict; the office countersigns",
    "direct": {
        "reason": "本区具备资格的在岗执法检查人员仅 5 名、组长 2 名，不能满足随机匹配条件",
        "approval_id": "临市监直委〔2026〕1号",
        "approved_by": "王副局长",
    },
    "inspectors": 5,
    "leaders": 2,
    "recusals": 4,
    "pair_conflicts": [["LG0001", "LG0002"]],
    "ratio": {"C": 10000},
    "population": {"C": [["active", 0, 9]]},
    "experts": {"count": 4, "per_target": 1, "fields": ["特种设备", "食品安全"], "recused": {}},
}

# §4.1: a task of another kind of object than market entities (ADR 0011): products, their
# registry-assigned ids (``Z``+``P``) in the population column exactly as USCCs are.
VECTORS["product-sampling"] = {
    **EDGE,
    "pins": "a product sampling task (§4.1): the manifest's target_filter.object_kind 'product', "
    "a population of 60 products (ids ZP…, their check character over characters 2–17), "
    "targets drawn as from market entities",
    "object_kind": "product",
    "entities": 60,
    "prior": 0,
    "ratio": {"B": 1000, "C": 2000, "D": 5000},
}

# §16: co-organising agencies (联合检查单位, 第三条), each with its own items, inspectors per
# team and external roster (ids <agency>:<id>, district = the agency's code).
TAX_ITEMS = [{"code": "SW-01", "name": "发票使用情况"}]
ECO_ITEMS = [{"code": "HB-01", "name": "排污许可执行情况"}]
VECTORS["co-organisers"] = {
    **EDGE,
    "pins": "co-organising agencies (§16): two agencies' pools and parties in the manifest, "
    "each team the bureau's 2 plus tax's 2 and eco's 1 (load-balanced, aticket 0x04), the "
    "agencies' pools without the inactive, the expired and the unqualified, a pair conflict "
    "between a bureau leader and a tax inspector honoured, a tax recusal met and disclosed, "
    "eco's only inspector recused from 2 targets which are unstaffed ('agency', the bureau's "
    "loads given back), one replacement of a bureau leader",
    "inspectors": 6,
    "leaders": 3,
    "parties": ["信用监管科", "办公室", "eco:联合检查单位", "tax:联合检查单位"],
    "agencies": [
        {
            "agency": "tax",
            "name": "国家税务总局威海市临港区税务局",
            "check_items": TAX_ITEMS,
            "inspectors_per_team": 2,
            "prefix": "TX",
            # TX0004 inactive, TX0005 certificate expired, TX0006 not qualified
            "roster": ["发票使用情况", "SW-01", "SW-01", "SW-01", "SW-01", "增值税"],
        },
        {
            "agency": "eco",
            "name": "威海市生态环境局临港分局",
            "check_items": ECO_ITEMS,
            "inspectors_per_team": 1,
            "prefix": "EC",
            "roster": ["HB-01", "双随机全部事项"],  # EC0002 inactive
        },
    ],
    "agency_overrides": {
        "tax:TX0004": {"active": False},
        "tax:TX0005": {"certificate_expires_on": "2026-11-25"},
        "eco:EC0002": {"active": False},
    },
    "pair_conflicts": [["LG0001", "tax:TX0002"]],
    "agency_recusals": [["eco:EC0001", 0], ["eco:EC0001", 3], ["tax:TX0001", 1]],
    "replacements": 1,
    "ratio": {"C": 10000},
    "population": {"C": [["active", 0, 8]]},
}

EXPERT_FIELDS = ["食品安全", "特种设备", "计量"]


class VectorLedger:
    """The district's draw log and party keys of a /3 vector, kept as the service keeps them
    (§14.2, §14.6), with deterministic keys."""

    def __init__(self, district: str) -> None:
        self.district = district
        self.records: list[dict[str, Any]] = []
        self.keys: dict[tuple[str, str], tuple[bytes, Any]] = {}

    def append(self, at: Any, kind: str, **fields: Any) -> dict[str, Any]:
        from draws.domain import ledger
        from draws.domain import protocol as p

        prev = p.log_hash(self.records[-1]) if self.records else p.LOG_GENESIS
        record = ledger.log_record(
            seq=len(self.records) + 1,
            prev=prev,
            at=at,
            kind=kind,
            district=self.district,
            fields=fields,
        )
        self.records.append(record)
        return record

    def signer(self, person: str, party: str, at: Any, message: bytes) -> Any:
        """``person``'s signature of ``message`` for ``party`` (the key registered on first use)."""
        from draws import ed25519
        from draws.domain import protocol as p
        from draws.domain.ledger import PartyKey
        from draws.domain.model import Signer

        if (person, party) not in self.keys:
            secret = p.sha256(f"vector-key/{person}/{party}".encode())
            public = ed25519.public_key(secret)
            start, end = date(2026, 11, 1), date(2027, 10, 31)
            proof = p.key_message(self.district, party, person, public, str(start), str(end))
            key = PartyKey.register(
                district=self.district,
                party=party,
                holder=person,
                public_key=public.hex(),
                valid_from=start,
                valid_until=end,
                signature=ed25519.sign(secret, proof).hex(),
                today=start,
            )
            key.registered_seq = self.append(at, "key-registered", key=key.record())["seq"]
            self.keys[(person, party)] = (secret, key)
        secret, key = self.keys[(person, party)]
        return Signer(key, ed25519.sign(secret, message).hex())

    def extract(self, draw_id: str) -> dict[str, Any]:
        from draws.domain import ledger

        used = {k.key_id for _, k in self.keys.values()}
        mine = [
            r
            for r in self.records
            if r.get("draw_id") == draw_id
            or (r["kind"] == "key-registered" and r["key"]["key_id"] in used)
        ]
        return ledger.extract(self.district, mine)


def experts_rows(count: int) -> list[Any]:
    """Synthetic expert pool: fields in turn, every fourth one not in the pool (在库 = 否)."""
    from draws.domain import engine

    return [
        engine.ExpertRow(
            f"ZJ{k + 1:04d}",
            f"专家{k + 1}",
            EXPERT_FIELDS[k % len(EXPERT_FIELDS)],
            ["市特检院", "市质检院", "区疾控中心"][k % 3],
            k % 4 != 3,
        )
        for k in range(count)
    ]


def _layout(cfg: dict[str, Any]) -> list[tuple[str, str, int]]:
    """The rows of a ``population`` layout: (stratum, status, prior checks), in config order."""
    return [
        (key, status, checks)
        for key, kinds in cfg["population"].items()
        for status, checks, count in kinds
        for _ in range(count)
    ]


def _entities(name: str, cfg: dict[str, Any]) -> list[EntitySnapshot]:
    """The vector's entities: random, or classes and statuses as its ``population`` lays out."""
    if cfg.get("object_kind") == "product":
        return sorted(products(cfg["entities"], seed=len(name)), key=lambda e: e.uscc)
    if "population" not in cfg:
        return entities(cfg["entities"], seed=len(name))
    rows = _layout(cfg)
    return [
        e.model_copy(update={"risk_class": RiskClass(key), "status": EntityStatus(status)})
        for e, (key, status, _) in zip(entities(len(rows), seed=len(name)), rows, strict=True)
    ]


def _prior(cfg: dict[str, Any], ents: list[EntitySnapshot], rng: random.Random) -> dict[str, int]:
    """Random checks of this year before the draw (§4.1): random, or as laid out."""
    if "population" not in cfg:
        return {e.uscc: rng.choice([1, 2, 3]) for e in rng.sample(ents, cfg["prior"])}
    return {e.uscc: c for e, (_, _, c) in zip(ents, _layout(cfg), strict=True) if c}


def _prior_draws(name: str, prior: dict[str, int]) -> list[tuple[str, str, int]]:
    """/3 (§14.12): the draws the prior checks count — synthetic here (no bundles exist):
    draw j holds every entity with more than j prior checks."""
    from draws.domain import protocol as p

    return [
        (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"spotcheck-vector/{name}/prior/{j}")),
            p.sha256(f"{name}/prior/{j}".encode()).hex(),
            sum(1 for c in prior.values() if c > j),
        )
        for j in range(max(prior.values(), default=0))
    ]


def _inspector_rows(name: str, cfg: dict[str, Any]) -> list[Any]:
    """The own district's inspectors (with the config's overrides), then the neighbours'."""
    import dataclasses

    from draws.domain import engine

    overrides = cfg.get("inspector_overrides", {})
    rows = []
    for k, i in enumerate(inspectors(cfg["inspectors"], seed=len(name))):
        row = engine.InspectorRow(
            i.inspector_id,
            i.name,
            i.department,
            "lingang",
            tuple(i.qualifications),
            i.leader_qualified if "leaders" not in cfg else k < cfg["leaders"],
            i.certificate_expires_on,
            i.active,
        )
        change = dict(overrides.get(i.inspector_id, {}))
        if "qualifications" in change:
            change["qualifications"] = tuple(change["qualifications"])
        if "certificate_expires_on" in change:
            change["certificate_expires_on"] = date.fromisoformat(change["certificate_expires_on"])
        rows.append(dataclasses.replace(row, **change))
    rows += [
        engine.InspectorRow(
            f"NB{k + 1:04d}",
            f"荣成检查员{k + 1}",
            "信用监管科",
            "rongcheng",
            ("企业公示信息", "登记事项"),
            k % 2 == 0,
            date(2031, 6, 30),
            True,
        )
        for k in range(cfg["neighbours"])
    ]
    return rows + _agency_rows(cfg)


def _agency_rows(cfg: dict[str, Any]) -> list[Any]:
    """§16: each co-organiser's external roster, one inspector per listed qualification."""
    import dataclasses

    from draws.domain import engine

    overrides = cfg.get("agency_overrides", {})
    rows = []
    for co in cfg.get("agencies", []):
        for k, qualification in enumerate(co["roster"]):
            row = engine.InspectorRow(
                f"{co['agency']}:{co['prefix']}{k + 1:04d}",
                f"{co['name'][-4:]}检查员{k + 1}",
                co["name"],
                co["agency"],
                (qualification,),
                False,
                date(2030, 12, 31),
                True,
            )
            change = dict(overrides.get(row.inspector_id, {}))
            if "certificate_expires_on" in change:
                change["certificate_expires_on"] = date.fromisoformat(
                    change["certificate_expires_on"]
                )
            rows.append(dataclasses.replace(row, **change))
    return rows


def _vector(name: str, cfg: dict[str, Any]) -> tuple[Any, Any, list[tuple[str, str, str]]]:
    from datetime import UTC, datetime

    from draws.domain import engine
    from draws.domain import protocol as p
    from draws.domain.model import Draw

    rng = random.Random(name)
    ents = _entities(name, cfg)
    rows = _inspector_rows(name, cfg)
    pairs = sorted(
        {
            (rows[rng.randrange(len(rows))].inspector_id, ents[rng.randrange(len(ents))].uscc)
            for _ in range(cfg["recusals"])
        }
        | {(i, ents[k].uscc) for i, k in cfg.get("agency_recusals", [])}
    )
    salts = [(i, u, p.sha256(f"{name}/{i}/{u}".encode())[:16].hex()) for i, u in pairs]
    by_inspector: dict[str, list[str]] = {}
    for i, u, s in salts:
        by_inspector.setdefault(i, []).append(p.recusal_commitment(bytes.fromhex(s), i, u).hex())
    roster = [
        p.RosterEntry(
            r.inspector_id,
            r.name,
            r.department,
            r.district,
            r.leader_qualified,
            r.certificate_expires_on.isoformat(),
            r.active,
            tuple(sorted(set(r.qualifications))),
            tuple(sorted(by_inspector.get(r.inspector_id, []))),
        )
        for r in sorted(rows, key=lambda r: r.inspector_id.encode())
    ]
    t = task("T-" + name, cfg["ratio"], cfg["team"]).model_dump(mode="json")
    t["target_filter"]["object_kind"] = cfg.get("object_kind", "market_entity")
    t["co_organisers"] = [
        {k: v for k, v in co.items() if k not in ("roster", "prefix")}
        for co in cfg.get("agencies", [])
    ]
    expert_cfg = cfg.get("experts")
    expert_roster: list[p.ExpertEntry] = []
    expert_salts: list[tuple[str, str, str]] = []
    experts_section = None
    if expert_cfg:
        t["experts_per_target"] = expert_cfg["per_target"]
        t["expert_fields"] = expert_cfg["fields"]
        erng = random.Random(name + "/experts")
        expert_rows = experts_rows(expert_cfg["count"])
        epairs = sorted(
            (e, x.uscc)
            for e, share in expert_cfg["recused"].items()
            for x in ents
            if erng.random() < share
        )
        expert_salts = [
            (e, u, p.sha256(f"{name}/expert/{e}/{u}".encode())[:16].hex()) for e, u in epairs
        ]
        by_expert: dict[str, list[str]] = {}
        for e, u, salt in expert_salts:
            by_expert.setdefault(e, []).append(
                p.expert_recusal_commitment(bytes.fromhex(salt), e, u).hex()
            )
        expert_roster = [
            p.ExpertEntry(
                r.expert_id,
                r.name,
                r.field,
                r.organization,
                r.active,
                tuple(sorted(by_expert.get(r.expert_id, []))),
            )
            for r in expert_rows
        ]
        experts_section = engine.experts_section(t, expert_roster)
    strata = engine.strata_of(t, cfg.get("caps"))
    prior = _prior(cfg, ents, rng)
    signed = bool(cfg.get("signed"))
    pop = engine.build_population(
        [
            engine.PopulationRow(e.uscc, e.risk_class, e.status, e.entity_type, e.industry, e.area)
            for e in ents
        ],
        strata,
        prior,
        attributes=signed,
    )
    pools = [{"district": "lingang", "departments": sorted(DEPARTMENTS), "tier": 0}]
    if cfg["neighbours"]:
        pools[0]["departments"] = ["信用监管科"]
        pools.append({"district": "rongcheng", "departments": ["信用监管科"], "tier": 1})
    frozen = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    # a /3 draw_id is a lower-case UUID (§14.10): a fixed one per vector
    draw_id = (
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"spotcheck-vector/{name}"))
        if signed
        else (f"vector-{name}")
    )
    beacon_source = "上海证券交易所上证指数收盘点位（2026-11-26）"
    beacon: dict[str, Any] | None = {"source": beacon_source} if cfg["beacon"] else None
    if signed and cfg["beacon"]:
        beacon = {
            "source": "中国福利彩票双色球第2026140期开奖号码",
            "encoding": "红球按开奖顺序、蓝球在后，两位十进制，以 . 连接，UTF-8",
            "available_at": (frozen + timedelta(hours=73)).isoformat(),
        }
    manifest = engine.build_manifest(
        draw_id=draw_id,
        district="lingang",
        task=t,
        strata=strata,
        pop=pop,
        roster=roster,
        pools=pools,
        neighbour_rule=cfg.get(
            "neighbour_rule", "fill-when-short" if cfg["neighbours"] else "none"
        ),
        parties=cfg["parties"],
        beacon=beacon,
        draw_date=date(2026, 11, 26),
        frozen_at=frozen,
        snapshot_rev=1,
        pair_conflicts=[tuple(x) for x in cfg["pair_conflicts"]],
        experts=experts_section,
        reveal_deadline=frozen + timedelta(hours=72) if signed else None,
        checked=_prior_draws(name, prior) if signed else (),
        matching=_direct_matching(cfg, frozen),
        co_organisers=t["co_organisers"],
        **cfg.get("reserve", {}),  # reserve_bp, reserve_min
    )
    draw = Draw(
        draw_id,
        t["task_id"],
        "frozen",
        manifest,
        p.json_sha256(manifest),
        [r.to_json() for r in roster],
        created_by="vector",
        created_at=frozen,
        expert_roster=[e.to_json() for e in expert_roster] if expert_cfg else None,
    )
    shares = {party: p.sha256(f"{name}/share/{party}".encode()) for party in draw.parties}
    if signed:
        return _signed_vector(
            name, cfg, draw, pop, roster, salts + expert_salts, expert_roster, shares
        )
    for party, share in shares.items():
        draw.commit(party, p.share_commitment(draw_id, party, share).hex(), frozen, party)
    for party, share in shares.items():
        draw.reveal(party, share.hex(), frozen, party)
    if cfg["beacon"]:
        draw.set_beacon(cfg["beacon"])
    seed = draw.seed()
    draw.record_result(
        seed,
        engine.compute_result(
            manifest=manifest,
            seed=seed,
            pop=pop,
            roster=roster,
            salts=salts + expert_salts,
            selector=p.select,
            expert_roster=expert_roster,
        ),
    )
    assert draw.result is not None
    _replace(draw, cfg, salts, frozen)
    draw.sign("办公室", "抽取过程符合规定", frozen, "office-supervisor", acknowledge_unstaffed=True)
    return draw, pop, salts + expert_salts


LEDGERS: dict[str, VectorLedger] = {}  # the draw log of each /3 vector, by name


ASSIGNER = "credit-assigner"  # who signs a direct-assignment vector's assignment (§15.3)


def _direct_matching(cfg: dict[str, Any], frozen: Any) -> dict[str, Any] | None:
    """§15.1: the manifest's ``matching`` of a direct-assignment vector (approved the day
    before the freeze)."""
    from draws.domain import assignment as da

    direct = cfg.get("direct")
    if not direct:
        return None
    approval = {
        "approval_id": direct["approval_id"],
        "by": "deputy",
        "by_name": direct["approved_by"],
        "at": (frozen - timedelta(days=1)).isoformat(),
    }
    return da.matching_section(direct["reason"], approval)


def assigned_teams(
    manifest: dict[str, Any],
    roster: list[Any],
    expert_roster: list[Any],
    salts: list[tuple[str, str, str]],
    targets: list[str],
) -> list[dict[str, Any]]:
    """A direct assignment as a credit department might make it (§15.3): per target, the first
    leader-qualified inspector of the pool not recused from it, then the first others that
    are not recused and have no pair conflict with the team; the first experts likewise."""
    from draws.domain import protocol as p

    recused = {(i, u) for i, u, _ in salts}
    pool = [r for r in roster if p.static_exclusion(r, manifest) is None]
    pairs = {frozenset(x) for x in manifest["pair_conflicts"]}
    size = int(manifest["team"]["size"])
    out = []
    for u in targets:
        free = [r for r in pool if (r.inspector_id, u) not in recused]
        team = [next(r.inspector_id for r in free if r.leader_qualified)]
        for r in free:
            clash = any(frozenset((r.inspector_id, m)) in pairs for m in team)
            if len(team) < size and r.inspector_id not in team and not clash:
                team.append(r.inspector_id)
        entry: dict[str, Any] = {"uscc": u, "team": [[i, "member"] for i in team]}
        entry["team"][0][1] = "leader"
        if "experts" in manifest:
            per = int(manifest["experts"]["per_target"])
            pool_e = p.expert_pool(expert_roster, manifest)
            entry["experts"] = [e for e in pool_e if (e, u) not in recused][:per]
        out.append(entry)
    return out


def _assign(
    log: VectorLedger, draw: Any, result: dict[str, Any], when: Any, **inputs: Any
) -> dict[str, Any]:
    """§15.3: the credit department assigns the drawn targets' teams, signed and logged."""
    from draws.domain import assignment as da
    from draws.domain import engine
    from draws.domain import protocol as p

    draw.record_selection(bytes.fromhex(result["seed"]), result)
    targets = [t["uscc"] for t in result["targets"]]
    chosen = assigned_teams(
        draw.manifest, inputs["roster"], inputs["expert_roster"], inputs["salts"], targets
    )
    full = engine.compute_result(manifest=draw.manifest, **inputs, assignment=chosen)
    message = da.assign_message(draw.digest, chosen)
    signer = log.signer(ASSIGNER, da.ASSIGNING_PARTY, when, message)
    draw.assign(full, when, "信用监管科", ASSIGNER, signer)
    log.append(
        when,
        "assigned",
        draw_id=draw.draw_id,
        assignment_sha256=p.json_sha256(chosen),
        key_id=draw.assignment["key_id"],
        signature=draw.assignment["signature"],
    )
    return dict(full)


def _signed_vector(
    name: str,
    cfg: dict[str, Any],
    draw: Any,
    pop: Any,
    roster: list[Any],
    salts: list[tuple[str, str, str]],
    expert_roster: list[Any],
    shares: dict[str, bytes],
) -> tuple[Any, Any, list[tuple[str, str, str]]]:
    """A /3 vector: every act signed by its person's key and chained in the draw log (§14)."""
    from datetime import datetime

    from draws.domain import engine
    from draws.domain import protocol as p

    log = LEDGERS[name] = VectorLedger(draw.manifest["district"])
    frozen = datetime.fromisoformat(draw.manifest["frozen_at"])

    def at(hours: float) -> datetime:
        return frozen + timedelta(hours=hours)

    digest = draw.digest
    manifest = draw.manifest
    log.append(
        frozen,
        "frozen",
        draw_id=draw.draw_id,
        task_id=manifest["task"]["task_id"],
        manifest_sha256=draw.manifest_sha256,
        reveal_deadline=manifest["reveal_deadline"],
    )
    holder = {party: f"holder-{n + 1}" for n, party in enumerate(draw.parties)}
    for n, (party, share) in enumerate(shares.items()):
        commitment = p.share_commitment_v3(digest, draw.draw_id, party, share)
        signer = log.signer(
            holder[party], party, at(1 + n / 10), p.commit_message(digest, party, commitment)
        )
        draw.commit(party, commitment.hex(), at(1 + n / 10), holder[party], signer)
        entry = (
            draw.commitments[-1]
            if draw.commitments[-1]["party"] == party
            else next(c for c in draw.commitments if c["party"] == party)
        )
        log.append(
            at(1 + n / 10),
            "committed",
            draw_id=draw.draw_id,
            party=party,
            commitment=entry["commitment"],
            key_id=entry["key_id"],
            signature=entry["signature"],
        )
    for n, (party, share) in enumerate(shares.items()):
        when = at(2 + n / 10)
        signer = log.signer(holder[party], party, when, p.reveal_message(digest, party, share))
        draw.reveal(party, share.hex(), when, holder[party], signer)
        entry = next(r for r in draw.reveals if r["party"] == party)
        log.append(
            when,
            "revealed",
            draw_id=draw.draw_id,
            party=party,
            share=entry["share"],
            key_id=entry["key_id"],
            signature=entry["signature"],
        )
    if cfg["beacon"]:
        draw.set_beacon(cfg["beacon"], at(74))
        log.append(at(74), "beacon", draw_id=draw.draw_id, value=draw.beacon_value)
    seed = draw.seed()
    inputs = {
        "seed": seed,
        "pop": pop,
        "roster": roster,
        "salts": salts,
        "selector": p.select,
        "expert_roster": expert_roster,
    }
    result = engine.compute_result(manifest=manifest, **inputs)
    if cfg.get("direct"):  # §15: the targets drawn, then the teams assigned
        result = _assign(log, draw, result, at(74.2), **inputs)
    else:
        draw.record_result(seed, result)
    log.append(
        at(74.5), "drawn", draw_id=draw.draw_id, seed=seed.hex(), result_sha256=draw.result_sha256
    )
    message = p.countersign_message(digest, bytes.fromhex(draw.result_sha256))
    signer = log.signer("office-supervisor", p.OFFICE_PARTY, at(75), message)
    opinion = "抽取过程符合规定"
    if result["unstaffed"]:  # the finding the office acknowledges by countersigning
        opinion += f"；已知悉{len(result['unstaffed'])}户未配齐检查人员，另行安排检查"
    draw.sign("办公室", opinion, at(75), "office-supervisor", signer, acknowledge_unstaffed=True)
    audit = engine.audit(
        manifest=manifest,
        seed=seed,
        pop=pop,
        roster=roster,
        salts=salts,
        expert_roster=expert_roster,
        result=result,
        selector=p.select,
    )
    assert isinstance(audit, dict), audit
    log.append(
        at(75),
        "countersigned",
        draw_id=draw.draw_id,
        result_sha256=draw.result_sha256,
        key_id=draw.countersign["key_id"],
        signature=draw.countersign["signature"],
        audit=audit,
    )

    def countersigner(r: dict[str, Any]) -> Any:
        message = p.replacement_message(
            digest, r["uscc"], r["replaced"], r["replacement"], r["approval_ref"]
        )
        return log.signer("office-countersigner", p.OFFICE_PARTY, at(76), message)

    _replace(draw, cfg, salts, at(76), countersigner)
    for r in draw.replacements:
        log.append(
            at(76),
            "replaced",
            draw_id=draw.draw_id,
            replacement_seq=r["seq"],
            replacement_sha256=p.json_sha256(r),
        )
    return draw, pop, salts


def _replace(
    draw: Any, cfg: dict[str, Any], salts: list[Any], when: Any, countersigner: Any = None
) -> None:
    """The vector's approved replacements, each of the n-th staffed target: by §9 (/1, /2)
    or by the position's alternates fixed by the draw (/3, §14.11), as the service does."""
    from draws.service_layer.services import _replacement

    salt_of = {(i, u): s for i, u, s in salts}
    staffed = [x for x in draw.result["targets"] if x["team"]]
    for n in range(cfg["replacements"]):
        target = staffed[n]
        out = target["team"][n % 2][0]
        team = draw.team_of(target["uscc"])
        chosen, met = _replacement(draw, draw.result, salts, target["uscc"], team, out)
        record = {
            "seq": n + 1,
            "uscc": target["uscc"],
            "replaced": out,
            "replacement": chosen,
            "role": dict(draw.team_of(target["uscc"]))[out],
            "reason": "病假",
            "approved_by": "王副局长",
            "approval_ref": f"临市监调〔2026〕{n + 1}号",
            "requested_by": "信用监管科",
            "at": when.isoformat(),
            "recusal_disclosures": [
                {"uscc": u, "inspector_id": i, "salt": salt_of[(i, u)]} for u, i in met
            ],
        }
        if countersigner is None:
            draw.replacements.append(record)
            continue
        # /3 (§14.11): held, then countersigned by the general office
        approval = {"approval_id": record["approval_ref"], "used": True}
        draw.approvals.append(approval)
        draw.hold_replacement(approval, record)
        draw.countersign_replacement(
            record["approval_ref"], "办公室", when, "office-countersigner", countersigner(record)
        )


def vector_bundle(name: str, draw: Any, pop: Any) -> dict[str, Any]:
    """A vector's bundle: a /3 one carries its draw log's extract."""
    log = LEDGERS.get(name)
    return dict(draw.bundle(pop, log.extract(draw.draw_id) if draw.signed and log else None))


def vector_proofs(draw: Any, pop: Any) -> dict[str, bytes]:
    """proof-included.json and proof-absent.json as ``GET /public/draws/{id}/proof/{uscc}``
    serves them (§4.3, §4.4): the first entity with status cancelled (3), and a valid USCC
    just after the last code of chunk 0 (so its proof gives chunks 0 and 1)."""
    import json

    from draws.domain import fast
    from draws.domain import protocol as p
    from draws.entrypoints.schemas import proof_out

    leaves = fast.population_leaves(pop)
    cancelled = pop.status.index(p.STATUS_CODE["cancelled"])
    last = pop.code(p.CHUNK_SIZE - 1).decode()
    absent = next(
        code
        for c in uscc_codes.ALPHABET
        if (code := last[:16] + c + uscc_codes.check_char(last[:16] + c)) > last
    )
    assert pop.code(p.CHUNK_SIZE).decode() > absent, "no room after chunk 0"
    proofs = {
        "proof-included.json": p.inclusion_proof(pop, pop.code(cancelled).decode(), leaves),
        "proof-absent.json": p.non_inclusion_proof(pop, absent, leaves),
    }
    out = {}
    for file, proof in proofs.items():
        assert proof is not None
        served = proof_out(draw.draw_id, draw.manifest, draw.manifest_sha256, proof)
        text = json.dumps(served.model_dump(mode="json"), ensure_ascii=False, indent=1)
        out[file] = (text + "\n").encode()
    return out


def _pinned(draw: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    """An edge vector's ``expected.json`` additions: what it pins, and the values pinning it."""
    from collections import Counter

    from draws.domain import protocol as p

    result = draw.result
    roster = [p.RosterEntry.from_json(r) for r in draw.roster]
    walks = [step for s in result["strata"] for step in s["walk"]]
    skipped = [(u, o) for u, o in walks if o not in ("selected", "reserve")]
    return {
        "pins": cfg["pins"],
        "eligible": {s["key"]: s["eligible"] for s in result["strata"]},
        "reserve_sizes": {s["key"]: s["reserve_size"] for s in result["strata"]},
        "skip_counts": dict(sorted(Counter(reason for _, reason in skipped).items())),
        "pool_size": result["pool_size"],
        "leader_load_cap": result["leader_load_cap"],
        "unstaffed_reasons": result["unstaffed_reasons"],
        "excluded_inspectors": {
            r.inspector_id: why for r in roster if (why := p.static_exclusion(r, draw.manifest))
        },
    }


def write_vectors(directory: str) -> None:
    """Write docs/draw-vectors/<name>/{bundle.json, expected.json, secrets.json}."""
    import json
    from pathlib import Path

    from draws.domain import protocol as p

    for name, cfg in VECTORS.items():
        draw, pop, salts = _vector(name, cfg)
        out = Path(directory) / name
        out.mkdir(parents=True, exist_ok=True)
        bundle = vector_bundle(name, draw, pop)
        (out / "bundle.json").write_bytes(p.canonical_json(bundle))
        if draw.signed:  # the district's whole draw log (verify_draw.py bundle.json --log)
            from draws.domain import ledger

            whole = ledger.extract(draw.manifest["district"], LEDGERS[name].records)
            (out / "log.json").write_bytes(p.canonical_json(whole))
        result = draw.result
        assert result is not None
        expected = {
            "verifier_exit_code": 0,
            "body_sha256": bundle["body_sha256"],
            "manifest_sha256": draw.manifest_sha256,
            "population_root": draw.manifest["population"]["merkle_root"],
            "roster_root": draw.manifest["roster"]["merkle_root"],
            "seed": draw.seed_hex,
            "result_sha256": draw.result_sha256,
            "quotas": {s["key"]: s["quota"] for s in result["strata"]},
            "targets": [
                [t["uscc"], t["stratum"], [m[0] for m in draw.team_of(t["uscc"])]]
                for t in result["targets"]
            ],
            "unstaffed": result["unstaffed"],
            "reserve": [u for s in result["strata"] for u, o in s["walk"] if o == "reserve"],
            "skipped": [
                [u, o]
                for s in result["strata"]
                for u, o in s["walk"]
                if o not in ("selected", "reserve")
            ],
            "load_cap": result["load_cap"],
        }
        if "experts" in result:
            expected["expert_roster_root"] = draw.manifest["experts"]["roster"]["merkle_root"]
            expected["experts"] = [[t["uscc"], t["experts"]] for t in result["targets"]]
            expected["expert_load_cap"] = result["experts"]["load_cap"]
            expected["expert_pool_size"] = result["experts"]["pool_size"]
        if "co_organisers" in result:  # §16
            expected["agency_pools"] = result["co_organisers"]["pools"]
            expected["agency_members"] = [
                [t["uscc"], t["agency_members"]] for t in result["targets"]
            ]
        if "pins" in cfg:
            expected |= _pinned(draw, cfg)
        if cfg.get("proofs"):
            for file, data in vector_proofs(draw, pop).items():
                (out / file).write_bytes(data)
        (out / "expected.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=1) + "\n"
        )
        expert_ids = {e["expert_id"] for e in draw.expert_roster or []}
        secrets: dict[str, Any] = {
            "note": "synthetic test data: the private salts behind the recusal commitments",
            "recusals": [[i, u, s] for i, u, s in salts if i not in expert_ids],
        }
        if draw.expert_roster is not None:
            secrets["expert_recusals"] = [[i, u, s] for i, u, s in salts if i in expert_ids]
        (out / "secrets.json").write_text(json.dumps(secrets, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] != ["vectors"] or len(sys.argv) != 3:
        raise SystemExit("usage: python services/draws/tests/unit/factories.py vectors DIRECTORY")
    write_vectors(sys.argv[2])
