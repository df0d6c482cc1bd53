"""``spotcheck-draw/3`` in the stand-alone verifier (docs/draw-spec.md §14): its own Ed25519
verification (RFC 8032 vectors, agreement with ``draws.ed25519``, refusals), and /3 bundles
assembled here from the protocol functions, ``draws.ed25519`` and the engine: the honest one
verifies (exit 0), and each tampering is caught (exit 1) and named."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from draws import ed25519, verify_draw
from draws.domain import engine
from draws.domain import protocol as p

from . import factories
from .rfc8032 import RFC8032, L

# ---------------------------------------------------------------------------------- Ed25519

P = 2**255 - 19
verify_sig = verify_draw.ed25519_verify


@pytest.mark.parametrize(("secret", "key", "message", "signature"), RFC8032)
def test_rfc8032_vectors_verify(secret: str, key: str, message: str, signature: str) -> None:
    pk, msg, sig = map(bytes.fromhex, (key, message, signature))
    assert verify_sig(pk, msg, sig)
    assert not verify_sig(pk, msg + b"\x00", sig)
    other = bytes.fromhex(RFC8032[(RFC8032.index((secret, key, message, signature)) + 1) % 3][1])
    assert not verify_sig(other, msg, sig)


def test_agrees_with_the_signer_on_random_keys_and_messages() -> None:
    for n in range(12):
        sk, msg = os.urandom(32), os.urandom(n * 23)
        pk = ed25519.public_key(sk)
        sig = ed25519.sign(sk, msg)
        assert verify_sig(pk, msg, sig)
        assert ed25519.verify(pk, msg, sig)
        bit = int.from_bytes(os.urandom(2), "big") % 512
        flipped = bytearray(sig)
        flipped[bit // 8] ^= 1 << (bit % 8)
        assert not verify_sig(pk, msg, bytes(flipped)), f"signature bit {bit}"
        assert not verify_sig(pk, msg + b"!", sig)
        if msg:
            assert not verify_sig(pk, bytes([msg[0] ^ 0x80]) + msg[1:], sig)
        wrong_key = bytearray(pk)
        wrong_key[n % 32] ^= 0x04
        assert not verify_sig(bytes(wrong_key), msg, sig)


def test_non_canonical_and_malformed_encodings_are_refused() -> None:
    _, pk_hex, msg_hex, sig_hex = RFC8032[1]
    pk, msg, sig = map(bytes.fromhex, (pk_hex, msg_hex, sig_hex))
    s = int.from_bytes(sig[32:], "little")
    assert not verify_sig(pk, msg, sig[:32] + (s + L).to_bytes(32, "little"))  # S + L ≥ L
    assert not verify_sig(pk, msg, sig[:32] + L.to_bytes(32, "little"))  # S = L
    y_too_large = (P + 1).to_bytes(32, "little")  # y ≥ p: the neutral point's y = 1, + p
    assert not verify_sig(y_too_large, msg, sig)
    assert not verify_sig(pk, msg, y_too_large + sig[32:])  # R with y ≥ p
    minus_zero = (1 | 1 << 255).to_bytes(32, "little")  # x = 0 with the sign bit set
    assert verify_draw.ed_decode(minus_zero) is None
    assert verify_draw.ed_decode((1).to_bytes(32, "little")) == (0, 1, 1)
    off_curve = next(
        y.to_bytes(32, "little")
        for y in range(2, 100)
        if verify_draw.ed_decode(y.to_bytes(32, "little")) is None
    )
    assert not verify_sig(off_curve, msg, sig)
    assert not verify_sig(pk[:31], msg, sig)
    assert not verify_sig(pk, msg, sig[:63])


# ------------------------------------------------------------------------- the /3 ceremony

DISTRICT = "lingang"
CREDIT, OFFICE = "信用监管科", "办公室"
PARTIES = [CREDIT, OFFICE]
CST = timezone(timedelta(hours=8))
FROZEN = datetime(2026, 11, 26, 9, 0, tzinfo=CST)
DEADLINE = FROZEN + timedelta(days=2)
DRAW_ID = "3c0ffee0-0000-4000-8000-000000000003"
EARLIER_DRAW = "3c0ffee0-0000-4000-8000-000000000001"  # cancelled draw of the same task
TASK_ID = "T-v3"
# A small pool (14) with three leaders, so the leaders' own cap C_L exceeds C and is used;
# D targets can have only LG0001 (then no member), E targets no leader at all.
RATIO = {"A": 3000, "B": 3000, "C": 3000, "D": 10000, "E": 10000}
LEADERS = {"LG0001", "LG0005", "LG0009"}
VECTORS = Path(__file__).resolve().parents[4] / "docs" / "draw-vectors"


def hour(n: float) -> str:
    return (FROZEN + timedelta(hours=n)).isoformat()


@dataclass
class Key:
    """A party key (§14.2), deterministic from its name."""

    name: str
    party: str
    holder: str
    valid_from: str = "2026-01-01"
    valid_until: str = "2026-12-31"

    @cached_property
    def secret(self) -> bytes:
        return hashlib.sha256(f"v3-test-key/{self.name}".encode()).digest()

    @cached_property
    def public(self) -> bytes:
        return ed25519.public_key(self.secret)

    @property
    def key_id(self) -> str:
        return p.key_id_of(self.public)

    def sign(self, message: bytes) -> str:
        return ed25519.sign(self.secret, message).hex()

    def record(self) -> dict[str, Any]:
        message = p.key_message(
            DISTRICT, self.party, self.holder, self.public, self.valid_from, self.valid_until
        )
        return {
            "key_id": self.key_id,
            "party": self.party,
            "holder": self.holder,
            "public_key": self.public.hex(),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "signature": self.sign(message),
        }


def party_keys() -> dict[str, Key]:
    return {
        "zhang": Key("zhang", CREDIT, "credit-zhang"),  # commits and reveals for 信用监管科
        "li": Key("li", OFFICE, "office-li"),  # commits and reveals for 办公室
        "wang": Key("wang", OFFICE, "office-wang"),  # countersigns
        "zhang2": Key("zhang2", CREDIT, "credit-zhang"),  # a second key of the same person
        "dual": Key("dual", OFFICE, "credit-zhang"),  # 信用监管科's holder, for 办公室
    }


def chain(records: list[dict[str, Any]]) -> None:
    """Number and chain the records (§14.6)."""
    prev = p.LOG_GENESIS
    for n, record in enumerate(records, 1):
        record["seq"], record["prev"] = n, prev
        prev = p.log_hash(record)


def log_record(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"seq": 0, "prev": "", "at": at, "kind": kind, "district": DISTRICT, **fields}


@dataclass
class Ceremony:
    """A /3 draw: its bundle and the district's whole draw log (records, seq order)."""

    bundle: dict[str, Any]
    full: list[dict[str, Any]]
    keys: dict[str, Key]
    digest: bytes  # the manifest's

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = self.bundle["body"]
        return body

    def act(self, kind: str, party: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """An act as the bundle has it and as its log record has it."""
        if kind == "countersigned":
            entry = self.body["countersign"]
        else:
            entries = self.body["commitments" if kind == "committed" else "reveals"]
            entry = next(e for e in entries if e["party"] == party)
        record = next(
            r
            for r in self.full
            if r.get("draw_id") == DRAW_ID and r["kind"] == kind and r.get("party") == party
        )
        return entry, record

    def set_act(self, kind: str, party: str | None = None, **fields: Any) -> None:
        """Change an act alike in the bundle and in the log (a forger who rewrites both)."""
        for d in self.act(kind, party):
            d.update(fields)

    def message(self, kind: str, party: str | None = None) -> bytes:
        entry, _ = self.act(kind, party)
        if kind == "committed":
            return p.commit_message(self.digest, str(party), bytes.fromhex(entry["commitment"]))
        if kind == "revealed":
            return p.reveal_message(self.digest, str(party), bytes.fromhex(entry["share"]))
        return p.countersign_message(self.digest, bytes.fromhex(self.body["result_sha256"]))

    def resign(self, kind: str, party: str | None, key: str, message: bytes | None = None) -> None:
        """Sign an act with another registered key (of a person who has it)."""
        k = self.keys[key]
        signature = k.sign(message if message is not None else self.message(kind, party))
        self.set_act(kind, party, key_id=k.key_id, signature=signature)

    def rekey(self, name: str, **changes: Any) -> None:
        """Re-register a key with other attributes (a valid self-signature)."""
        key = self.keys[name]
        old = key.key_id
        for attr, value in changes.items():
            setattr(key, attr, value)
        for r in self.full:
            if r["kind"] == "key-registered" and r["key"]["key_id"] == old:
                r["key"] = key.record()

    def seal(self) -> dict[str, Any]:
        """Chain the log, put its extract (§14.6) into the bundle, recompute body_sha256."""
        chain(self.full)
        acts = [*self.body["commitments"], *self.body["reveals"], self.body["countersign"] or {}]
        used = {e["key_id"] for e in acts if "key_id" in e}
        extract = [
            r
            for r in self.full
            if r.get("draw_id") == DRAW_ID
            or (r["kind"] == "key-registered" and r["key"]["key_id"] in used)
        ]
        self.body["log"] = {
            "district": DISTRICT,
            "records": [{"record": copy.deepcopy(r), "hash": p.log_hash(r)} for r in extract],
        }
        return rehash(self.bundle)

    def log(self) -> dict[str, Any]:
        """The full log as ``GET /public/draws/log`` serves it."""
        records = [{"record": copy.deepcopy(r), "hash": p.log_hash(r)} for r in self.full]
        head = {"seq": len(records), "hash": records[-1]["hash"]}
        return {"district": DISTRICT, "records": records, "head": head}


def rehash(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["body_sha256"] = p.json_sha256(bundle["body"])
    return bundle


def _roster(ents: list[Any]) -> tuple[list[p.RosterEntry], list[tuple[str, str, str]]]:
    own = factories.inspectors(18, seed=3)
    leaders = LEADERS
    in_class = {k: [e.uscc for e in ents if e.risk_class == k] for k in ("D", "E")}
    pairs = {(i, u) for i in leaders for u in in_class["E"]}
    pairs |= {(i.inspector_id, u) for i in own if i.inspector_id != "LG0001" for u in in_class["D"]}
    salts = [(i, u, p.sha256(f"v3/{i}/{u}".encode())[:16].hex()) for i, u in sorted(pairs)]
    by_id: dict[str, list[str]] = {}
    for i, u, s in salts:
        by_id.setdefault(i, []).append(p.recusal_commitment(bytes.fromhex(s), i, u).hex())
    roster = [
        p.RosterEntry(
            i.inspector_id,
            i.name,
            i.department,
            DISTRICT,
            i.inspector_id in leaders,
            i.certificate_expires_on.isoformat(),
            i.active,
            tuple(sorted(set(i.qualifications))),
            tuple(sorted(by_id.get(i.inspector_id, []))),
        )
        for i in own
    ]
    return roster, salts


def _experts(ents: list[Any]) -> tuple[list[p.ExpertEntry], list[tuple[str, str, str]]]:
    """One expert in the pool (食品安全, active: ZJ0001), recused from every C entity."""
    salts = [
        ("ZJ0001", e.uscc, p.sha256(f"v3/expert/{e.uscc}".encode())[:16].hex())
        for e in ents
        if e.risk_class == "C"
    ]
    mine = sorted(p.expert_recusal_commitment(bytes.fromhex(s), x, u).hex() for x, u, s in salts)
    roster = [
        p.ExpertEntry(
            r.expert_id,
            r.name,
            r.field,
            r.organization,
            r.active,
            tuple(mine) if r.expert_id == "ZJ0001" else (),
        )
        for r in factories.experts_rows(4)
    ]
    return roster, salts


def build(experts: bool = False, tweak: Callable[[dict[str, Any]], None] | None = None) -> Ceremony:
    """An honest /3 draw, step by step as §14 describes it."""
    keys = party_keys()
    ents = factories.entities(160, seed=3)
    roster, salts = _roster(ents)
    expert_roster, expert_salts = _experts(ents) if experts else ([], [])
    task = factories.task(TASK_ID, RATIO, 2).model_dump(mode="json")
    if experts:
        task["experts_per_target"], task["expert_fields"] = 1, ["食品安全"]
    strata = engine.strata_of(task, None)
    rows = [
        engine.PopulationRow(e.uscc, e.risk_class, e.status, e.entity_type, e.industry, e.area)
        for e in ents
    ]
    pop = engine.build_population(rows, strata, {}, attributes=True)
    manifest = engine.build_manifest(
        draw_id=DRAW_ID,
        district=DISTRICT,
        task=task,
        strata=strata,
        pop=pop,
        roster=roster,
        pools=[{"district": DISTRICT, "departments": sorted(factories.DEPARTMENTS), "tier": 0}],
        neighbour_rule="none",
        parties=PARTIES,
        beacon=None,
        draw_date=FROZEN.date(),
        frozen_at=FROZEN,
        snapshot_rev=1,
        pair_conflicts=[("LG0002", "LG0003")],
        experts=engine.experts_section(task, expert_roster) if experts else None,
        reveal_deadline=DEADLINE,  # §14.1: spotcheck-draw/3
    )
    if tweak is not None:
        tweak(manifest)
    digest = bytes.fromhex(p.json_sha256(manifest))
    shares = {party: p.sha256(f"v3/share/{party}".encode()) for party in PARTIES}
    holder = {CREDIT: keys["zhang"], OFFICE: keys["li"]}
    commitments, reveals = [], []
    for n, party in enumerate(PARTIES):
        c = p.share_commitment_v3(digest, DRAW_ID, party, shares[party])
        k = holder[party]
        commitments.append(
            {
                "party": party,
                "commitment": c.hex(),
                "at": hour(1 + n),
                "key_id": k.key_id,
                "signature": k.sign(p.commit_message(digest, party, c)),
            }
        )
        reveals.append(
            {
                "party": party,
                "share": shares[party].hex(),
                "at": hour(4 - n),  # 办公室 reveals first
                "key_id": k.key_id,
                "signature": k.sign(p.reveal_message(digest, party, shares[party])),
            }
        )
    seed = p.derive_seed(digest, [shares[x] for x in PARTIES], None)
    result = engine.compute_result(
        manifest=manifest,
        seed=seed,
        pop=pop,
        roster=roster,
        salts=salts + expert_salts,
        selector=p.select,
        expert_roster=expert_roster,
    )
    result_sha256 = p.json_sha256(result)
    countersign = {
        "by": "王主任",
        "opinion": "抽取过程符合规定",
        "at": hour(5),
        "result_sha256": result_sha256,
        "key_id": keys["wang"].key_id,
        "signature": keys["wang"].sign(p.countersign_message(digest, bytes.fromhex(result_sha256))),
    }
    replacement = _replacement(manifest, seed, roster, result, salts)
    message = p.replacement_message(
        digest,
        replacement["uscc"],
        replacement["replaced"],
        replacement["replacement"],
        replacement["approval_ref"],
    )
    replacement["countersign"] = {  # §14.11: the office's countersignature makes it effective
        "by": "王主任",
        "at": replacement["at"],
        "key_id": keys["wang"].key_id,
        "signature": keys["wang"].sign(message),
    }
    body: dict[str, Any] = {
        "format": p.BUNDLE_FORMAT,
        "manifest": manifest,
        "manifest_sha256": digest.hex(),
        "population": {
            k: base64.b64encode(bytes(getattr(pop, k))).decode("ascii")
            for k in ("uscc", "stratum", "status", "checks", "attributes")
        },
        "roster": [r.to_json() for r in roster],
        "commitments": commitments,
        "reveals": reveals,
        "beacon_value": None,
        "seed": seed.hex(),
        "result": result,
        "result_sha256": result_sha256,
        "replacements": [replacement],
        "countersign": countersign,
    }
    if experts:
        body["expert_roster"] = [e.to_json() for e in expert_roster]
    full = _log(keys, manifest, body)
    ceremony = Ceremony({"body": body}, full, keys, digest)
    ceremony.seal()
    return ceremony


def _replacement(
    manifest: dict[str, Any],
    seed: bytes,
    roster: list[p.RosterEntry],
    result: dict[str, Any],
    salts: list[tuple[str, str, str]],
) -> dict[str, Any]:
    """The member of the first staffed target, replaced by its position's first alternate
    fixed by the draw (§14.11) that has no pair conflict with the leader."""
    target = next(t for t in result["targets"] if t["team"])
    alternates, met = engine.alternates_of(
        manifest=manifest,
        seed=seed,
        roster=roster,
        salts=salts,
        expert_roster=[],
        result=result,
        uscc=target["uscc"],
    )[1]
    leader, out = target["team"][0][0], target["team"][1][0]
    pairs = {frozenset(x) for x in manifest["pair_conflicts"]}
    chosen = next(a for a in alternates if frozenset((a, leader)) not in pairs)
    salt_of = {(i, u): s for i, u, s in salts}
    return {
        "seq": 1,
        "uscc": target["uscc"],
        "replaced": out,
        "replacement": chosen,
        "role": "member",
        "reason": "病假",
        "approved_by": "王副局长",
        "approval_ref": "3c0ffee0-1",
        "requested_by": "credit-zhao",
        "at": hour(6),
        "recusal_disclosures": [
            {"uscc": target["uscc"], "inspector_id": i, "salt": salt_of[(i, target["uscc"])]}
            for i in met
        ],
    }


def _log(keys: dict[str, Key], manifest: dict[str, Any], body: dict[str, Any]) -> list[Any]:
    """The district's log: the keys, an earlier draw of the task (cancelled), this draw."""
    registered = (FROZEN - timedelta(days=6)).isoformat()
    full = [log_record("key-registered", registered, key=k.record()) for k in keys.values()]
    earlier = {"draw_id": EARLIER_DRAW}
    full += [
        log_record(
            "frozen",
            hour(-24),
            **earlier,
            task_id=TASK_ID,
            manifest_sha256="ab" * 32,
            reveal_deadline=hour(24),
        ),
        log_record(
            "committed",
            hour(-23),
            **earlier,
            party=CREDIT,
            commitment="cd" * 32,
            key_id=keys["zhang"].key_id,
            signature="00" * 64,
        ),
        log_record(
            "cancelled",
            hour(-22),
            **earlier,
            reason="任务调整",
            key_id=keys["zhang"].key_id,
            signature="00" * 64,
        ),
    ]
    mine = {"draw_id": DRAW_ID}
    full.append(
        log_record(
            "frozen",
            manifest["frozen_at"],
            **mine,
            task_id=TASK_ID,
            manifest_sha256=body["manifest_sha256"],
            reveal_deadline=manifest["reveal_deadline"],
        )
    )
    for c in body["commitments"]:
        full.append(log_record("committed", c["at"], **mine, **_pick(c, "party", "commitment")))
    for r in sorted(body["reveals"], key=lambda r: str(r["at"])):
        full.append(log_record("revealed", r["at"], **mine, **_pick(r, "party", "share")))
    full.append(
        log_record(
            "drawn", hour(4.5), **mine, seed=body["seed"], result_sha256=body["result_sha256"]
        )
    )
    cs = body["countersign"]
    disclosed = len(body["result"]["recusal_disclosures"])
    disclosed += len(body["result"].get("experts", {}).get("recusal_disclosures", []))
    audit = {"sealed": disclosed, "disclosed": disclosed, "recomputed": True}
    full.append(
        log_record("countersigned", cs["at"], **mine, **_pick(cs, "result_sha256"), audit=audit)
    )
    for r in body["replacements"]:
        sha = p.json_sha256(r)
        full.append(
            log_record(
                "replaced", r["at"], **mine, replacement_seq=r["seq"], replacement_sha256=sha
            )
        )
    return full


def _pick(entry: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: entry[k] for k in (*fields, "key_id", "signature")}


@pytest.fixture(scope="module")
def honest() -> Ceremony:
    return build()


@pytest.fixture
def c(honest: Ceremony) -> Ceremony:
    return copy.deepcopy(honest)


Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """``python verify_draw.py BUNDLE [--log LOG]`` in process: (exit code, output)."""

    def go(bundle: dict[str, Any], log: dict[str, Any] | None = None) -> tuple[int, str]:
        path = tmp_path / "bundle.json"
        path.write_bytes(p.canonical_json(bundle))
        args = [str(path)]
        if log is not None:
            (tmp_path / "log.json").write_text(json.dumps(log, ensure_ascii=False, indent=1))
            args += ["--log", str(tmp_path / "log.json")]
        code = verify_draw.main(args)
        return code, capsys.readouterr().out

    return go


def refused(result: tuple[int, str], pattern: str) -> None:
    code, out = result
    last = out.strip().splitlines()[-1]
    assert code == 1, out
    assert last.startswith("DIFFERENCE: "), out
    assert re.search(pattern, last), last


def test_honest_bundle_verifies_with_and_without_the_full_log(c: Ceremony, run: Run) -> None:
    result = c.body["result"]
    # the scenario exercises §14.5: leaders' own cap, used beyond C, and every reason
    assert result["leader_load_cap"] > result["load_cap"]
    loads: dict[str, int] = {}
    for t in result["targets"]:
        for i, _ in t["team"]:
            loads[i] = loads.get(i, 0) + 1
    assert max(loads.values()) > result["load_cap"]
    assert {"leader", "member"} <= set(result["unstaffed_reasons"])
    code, out = run(c.bundle)
    assert code == 0, out
    assert "only the bundle's extract was checked" in out
    code, out = run(c.bundle, c.log())
    assert code == 0, out
    head = c.log()["records"][-1]
    assert f"log head   seq {len(c.full)}  {head['hash']}" in out
    assert f"other draws of task {TASK_ID}: {EARLIER_DRAW} (cancelled)" in out
    assert out.count("signed     ") == 6  # 2 commitments, 2 reveals, 2 countersignatures


def test_honest_bundle_with_experts_verifies(run: Run) -> None:
    c = build(experts=True)
    assert "experts" in set(c.body["result"]["unstaffed_reasons"])
    code, out = run(c.bundle, c.log())
    assert code == 0, out
    assert "experts    1 per target" in out


def test_command_line_with_log(c: Ceremony, tmp_path: Path) -> None:
    bundle, log = tmp_path / "b.json", tmp_path / "log.json"
    bundle.write_bytes(p.canonical_json(c.seal()))
    log.write_text(json.dumps(c.log(), ensure_ascii=False))
    script = str(Path(verify_draw.__file__))
    ok = subprocess.run(
        [sys.executable, "-I", script, str(bundle), "--log", str(log)],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "log head   seq" in ok.stdout
    missing = subprocess.run(
        [sys.executable, "-I", script, str(bundle), "--log", str(tmp_path / "none.json")],
        capture_output=True,
    )
    assert missing.returncode == 2


# ------------------------------------------------------------------------------ tampering


def test_changed_manifest_rehashed_does_not_open_the_commitments(c: Ceremony, run: Run) -> None:
    c.body["manifest"]["team"]["size"] = 3
    c.body["manifest_sha256"] = p.json_sha256(c.body["manifest"])
    refused(run(c.seal()), f"commitment of {CREDIT}")


def test_changed_manifest_recomputed_throughout_lacks_the_signatures(
    honest: Ceremony, run: Run
) -> None:
    """A forger who recomputes everything (commitments, seed, result, log) from the revealed
    shares, but holds none of the keys, keeps the old signatures: they sign the old digest."""

    def tweak(manifest: dict[str, Any]) -> None:
        manifest["task"]["title"] += "（改）"

    forged = build(tweak=tweak)
    for kind, party in (("committed", CREDIT), ("committed", OFFICE), ("revealed", CREDIT)):
        entry, _ = honest.act(kind, party)
        forged.set_act(kind, party, signature=entry["signature"])
    refused(run(forged.seal()), f"commitment of {CREDIT}: signature is not key")


def test_commitment_of_the_v1_formula_is_refused(c: Ceremony, run: Run) -> None:
    share = bytes.fromhex(c.body["reveals"][0]["share"])
    c.set_act("committed", CREDIT, commitment=p.share_commitment(DRAW_ID, CREDIT, share).hex())
    refused(run(c.seal()), f"commitment of {CREDIT}: bundle has")


@pytest.mark.parametrize(
    ("kind", "party", "named"),
    [
        ("committed", CREDIT, f"commitment of {CREDIT}"),
        ("committed", OFFICE, f"commitment of {OFFICE}"),
        ("revealed", CREDIT, f"reveal of {CREDIT}"),
        ("revealed", OFFICE, f"reveal of {OFFICE}"),
        ("countersigned", None, "countersignature"),
    ],
)
def test_forged_signature_of_each_act_is_named(
    c: Ceremony, run: Run, kind: str, party: str | None, named: str
) -> None:
    entry, _ = c.act(kind, party)
    key = next(n for n, k in c.keys.items() if k.key_id == entry["key_id"])
    # the right key's genuine signature of another message (e.g. of another draw)
    c.resign(kind, party, key, c.message(kind, party) + b"\x00")
    refused(run(c.seal()), f"^DIFFERENCE: {named}: signature is not key {entry['key_id']}")
    # a flipped bit in the bundle alone: the log's record no longer equals it
    c2 = copy.deepcopy(c)
    entry2, _ = c2.act(kind, party)
    sig = bytearray(bytes.fromhex(entry2["signature"]))
    sig[5] ^= 1
    entry2["signature"] = sig.hex()
    refused(run(c2.seal()), rf"log: '{kind}' record seq \d+: signature")


def test_key_record_with_a_wrong_self_signature(c: Ceremony, run: Run) -> None:
    zhang = c.keys["zhang"]
    for r in c.full:
        if r["kind"] == "key-registered" and r["key"]["key_id"] == zhang.key_id:
            r["key"]["valid_until"] = "2027-12-31"  # not what the key signed
    refused(run(c.seal()), f"key {zhang.key_id}: its self-signature .* does not verify")


def test_key_record_whose_key_id_is_not_its_public_keys(c: Ceremony, run: Run) -> None:
    zhang, li = c.keys["zhang"], c.keys["li"]
    for r in c.full:
        if r["kind"] == "key-registered" and r["key"]["key_id"] == zhang.key_id:
            r["key"]["public_key"] = li.public.hex()
    refused(run(c.seal()), "key_id .first 16 bytes of SHA-256 of its public key")


def test_reveal_signed_by_another_key_than_its_commitment(c: Ceremony, run: Run) -> None:
    c.resign("revealed", CREDIT, "zhang2")  # same person, same party, another registered key
    refused(
        run(c.seal()),
        f"reveal of {CREDIT}: signed by key {c.keys['zhang2'].key_id}, its commitment by key "
        f"{c.keys['zhang'].key_id}",
    )


def test_two_parties_with_the_same_holder(c: Ceremony, run: Run) -> None:
    c.resign("committed", OFFICE, "dual")
    c.resign("revealed", OFFICE, "dual")
    refused(
        run(c.seal()),
        f'commitment of {OFFICE}: key {c.keys["dual"].key_id}\'s holder "credit-zhang" also '
        f"holds the share of {CREDIT}",
    )


def test_countersigned_with_a_share_holders_key(c: Ceremony, run: Run) -> None:
    c.resign("countersigned", None, "li")
    refused(run(c.seal()), 'countersignature: key .*holder "office-li" also holds the share')


def test_countersigned_with_a_key_of_another_party(c: Ceremony, run: Run) -> None:
    c.keys["outsider"] = Key("outsider", CREDIT, "credit-sun")
    c.full.insert(0, log_record("key-registered", hour(-100), key=c.keys["outsider"].record()))
    c.resign("countersigned", None, "outsider")
    refused(run(c.seal()), f'countersignature: party of key .*bundle has "{CREDIT}"')


def test_commitment_signed_by_a_key_of_another_party(c: Ceremony, run: Run) -> None:
    c.resign("committed", CREDIT, "li")
    refused(run(c.seal()), f"commitment of {CREDIT}: party of key {c.keys['li'].key_id}")


def test_reveal_after_the_deadline(c: Ceremony, run: Run) -> None:
    late = (DEADLINE + timedelta(minutes=1)).astimezone(UTC).isoformat()
    c.set_act("revealed", OFFICE, at=late)
    refused(run(c.seal()), f"reveal of {OFFICE} at {re.escape(late)} is after the reveal deadline")
    c.set_act("revealed", OFFICE, at=DEADLINE.astimezone(UTC).isoformat())  # at it: ok
    assert run(c.seal())[0] == 0


def test_key_validity_is_the_day_in_china_standard_time(c: Ceremony, run: Run) -> None:
    c.rekey("zhang", valid_until="2026-11-26")  # (acts' signatures do not cover their time)
    c.set_act("committed", CREDIT, at="2026-11-26T15:30:00+00:00")  # 23:30 on the 26th in CST
    c.set_act("revealed", CREDIT, at="2026-11-26T15:40:00+00:00")
    assert run(c.seal())[0] == 0
    c.set_act("revealed", CREDIT, at="2026-11-26T16:00:00+00:00")  # 00:00 on the 27th in CST
    refused(
        run(c.seal()),
        f"reveal of {CREDIT}: key {c.keys['zhang'].key_id} is valid from 2026-01-01 to "
        "2026-11-26, not on 2026-11-27",
    )


def test_key_registered_after_its_use(c: Ceremony, run: Run) -> None:
    wang = c.keys["wang"]
    record = next(r for r in c.full if r.get("key", {}).get("key_id") == wang.key_id)
    c.full.remove(record)
    c.full.insert(len(c.full) - 1, record)  # after the draw, before the replacement
    refused(run(c.seal()), f"countersignature: key {wang.key_id} is registered at seq")


def test_changed_log_record_has_another_hash(c: Ceremony, run: Run) -> None:
    bundle = c.seal()
    entry = next(e for e in bundle["body"]["log"]["records"] if e["record"]["kind"] == "drawn")
    entry["record"]["at"] = hour(4.6)
    refused(run(rehash(bundle)), rf"log extract: hash of record seq {entry['record']['seq']}:")


def test_missing_log_record(c: Ceremony, run: Run) -> None:
    bundle = c.seal()
    records = bundle["body"]["log"]["records"]
    records[:] = [e for e in records if e["record"]["kind"] != "drawn"]
    refused(run(rehash(bundle)), r"log: the draw's record seq \d+ is .*expected 'drawn'")


def test_log_record_not_equal_to_the_bundle(c: Ceremony, run: Run) -> None:
    _, record = c.act("committed", OFFICE)
    record["commitment"] = "00" * 32
    refused(run(c.seal()), rf"log: 'committed' record seq {record['seq']}: commitment")


def test_frozen_record_of_another_manifest(c: Ceremony, run: Run) -> None:
    frozen = next(r for r in c.full if r.get("draw_id") == DRAW_ID and r["kind"] == "frozen")
    frozen["manifest_sha256"] = "ab" * 32
    refused(run(c.seal()), rf"log: 'frozen' record seq {frozen['seq']}: manifest_sha256")


def test_replacement_changed_after_its_record(c: Ceremony, run: Run) -> None:
    c.body["replacements"][0]["reason"] = "另有安排"
    refused(run(c.seal()), r"log: 'replaced' record seq \d+: replacement_sha256")


def test_cancelled_draw_is_refused(c: Ceremony, run: Run) -> None:
    c.full.append(
        log_record(
            "cancelled",
            hour(7),
            draw_id=DRAW_ID,
            reason="重抽",
            key_id=c.keys["zhang"].key_id,
            signature="00" * 64,
        )
    )
    refused(run(c.seal()), r"log: the draw is cancelled \(record seq \d+\)")


def test_extract_record_differs_from_the_full_log(c: Ceremony, run: Run) -> None:
    """A forger rewrites the bundle's extract consistently (hashes, the chain inside it): only
    the full log shows it."""
    log = c.log()
    _, record = c.act("committed", CREDIT)
    c.set_act("committed", CREDIT, at=hour(1.5))
    chain(c.full)
    bundle = c.seal()
    assert run(bundle)[0] == 0
    refused(
        run(bundle, log), f"log record seq {record['seq']}: the bundle's extract differs from --log"
    )


def test_key_revoked_before_its_use_in_the_full_log(c: Ceremony, run: Run) -> None:
    zhang = c.keys["zhang"]
    frozen = next(r for r in c.full if r.get("draw_id") == DRAW_ID and r["kind"] == "frozen")
    revocation = log_record(
        "key-revoked", hour(0.5), key_id=zhang.key_id, reason="丢失", by="credit-zhang"
    )
    c.full.insert(c.full.index(frozen) + 1, revocation)
    bundle = c.seal()
    assert run(bundle)[0] == 0  # the extract holds no revocation: only the full log shows it
    refused(
        run(bundle, c.log()),
        f"commitment of {CREDIT}: key {zhang.key_id} is revoked at seq {revocation['seq']}, "
        "before its use",
    )


def test_broken_chain_in_the_full_log(c: Ceremony, run: Run) -> None:
    bundle = c.seal()
    log = c.log()
    unrelated = next(
        e for e in log["records"] if e["record"].get("draw_id") == EARLIER_DRAW
    )  # not in the extract
    unrelated["record"]["reason" if "reason" in unrelated["record"] else "at"] = "x"
    unrelated["hash"] = p.log_hash(unrelated["record"])
    seq = unrelated["record"]["seq"]
    refused(run(bundle, log), rf"--log: prev of record seq {seq + 1} \(the chain\)")
    gap = c.log()
    del gap["records"][seq - 1]
    refused(run(bundle, gap), f"--log: the chain has no record seq {seq}")


def test_record_of_the_draw_hidden_from_the_extract(c: Ceremony, run: Run) -> None:
    c.full.append(
        log_record("aborted", hour(50), draw_id=DRAW_ID, missing=[CREDIT], reason="hidden")
    )
    bundle = c.seal()
    records = bundle["body"]["log"]["records"]
    records[:] = [e for e in records if e["record"]["kind"] != "aborted"]
    rehash(bundle)
    assert run(bundle)[0] == 0
    refused(run(bundle, c.log()), "'aborted' of this draw.* is missing from the bundle's extract")


@pytest.mark.parametrize(
    ("field", "named"),
    [
        ("leader_load_cap", "leader load cap"),
        ("unstaffed_reasons", "unstaffed reasons"),
    ],
)
def test_per_role_replay_is_checked(c: Ceremony, run: Run, field: str, named: str) -> None:
    result = c.body["result"]
    if field == "leader_load_cap":
        result[field] = result["load_cap"]  # the /1 cap for everyone
    else:
        result[field] = ["member" if r == "leader" else "leader" for r in result[field]]
    c.body["result_sha256"] = p.json_sha256(result)
    refused(run(c.seal()), named)


@pytest.mark.parametrize(
    ("remove", "named"),
    [
        (lambda b: b.pop("log"), "log missing in a spotcheck-draw/3 bundle"),
        (
            lambda b: b["result"].pop("unstaffed_reasons"),
            "result.unstaffed_reasons missing in a spotcheck-draw/3",
        ),
        (
            lambda b: b["result"].pop("leader_load_cap"),
            "result.leader_load_cap missing in a spotcheck-draw/3",
        ),
        (lambda b: b["reveals"][1].pop("signature"), r"reveals\[1\].signature missing"),
        (lambda b: b["commitments"][0].pop("key_id"), r"commitments\[0\].key_id missing"),
        (lambda b: b["countersign"].pop("signature"), "countersign.signature missing"),
        (lambda b: b["manifest"].pop("reveal_deadline"), "manifest.reveal_deadline missing"),
    ],
)
def test_v3_bundle_without_its_keys_is_refused(
    c: Ceremony, run: Run, remove: Callable[[dict[str, Any]], Any], named: str
) -> None:
    bundle = c.seal()
    remove(bundle["body"])
    refused(run(rehash(bundle)), named)


@pytest.mark.parametrize(
    ("vector", "add", "named"),
    [
        (
            "basic",
            lambda b: b["commitments"][0].update(key_id="00" * 16, signature="00" * 64),
            r"commitments\[0\].key_id present in a spotcheck-draw/1 bundle",
        ),
        (
            "basic",
            lambda b: b.update(log={"district": "lingang", "records": []}),
            "log present in a spotcheck-draw/1 bundle",
        ),
        (
            "basic",
            lambda b: b["manifest"].update(reveal_deadline="2026-11-28T09:00:00+08:00"),
            "manifest.reveal_deadline present in a spotcheck-draw/1 bundle",
        ),
        (
            "experts",
            lambda b: b["result"].update(leader_load_cap=9),
            "result.leader_load_cap present in a spotcheck-draw/2 bundle",
        ),
        (
            "experts",
            lambda b: b["countersign"].update(key_id="00" * 16),
            "countersign.key_id present in a spotcheck-draw/2 bundle",
        ),
    ],
)
def test_older_bundle_carrying_v3_keys_is_refused(
    run: Run, vector: str, add: Callable[[dict[str, Any]], Any], named: str
) -> None:
    bundle = json.loads((VECTORS / vector / "bundle.json").read_bytes())
    assert run(bundle)[0] == 0
    add(bundle["body"])
    refused(run(rehash(bundle)), named)


def test_log_given_for_an_older_bundle_is_refused(c: Ceremony, run: Run) -> None:
    bundle = json.loads((VECTORS / "basic" / "bundle.json").read_bytes())
    refused(run(bundle, c.log()), "--log given, but a spotcheck-draw/1 bundle has no draw log")


def test_v3_without_experts_has_no_expert_keys(c: Ceremony, run: Run) -> None:
    c.body["result"]["experts"] = {"load_cap": 0, "pool_size": 0, "recusal_disclosures": []}
    c.body["result_sha256"] = p.json_sha256(c.body["result"])
    refused(
        run(c.seal()), "result.experts present in a spotcheck-draw/3 .*without manifest.experts"
    )
