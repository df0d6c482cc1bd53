"""The committed golden vectors (docs/draw-vectors): the verifier passes them, the engine
reproduces them byte for byte, and a changed byte is caught; the edge-case vectors still cover
their case, and a vector's served proofs (§4.3, §4.4) check."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from draws import verify_draw
from draws.domain import assignment as da
from draws.domain import engine, fast
from draws.domain import protocol as p

from . import factories

VECTORS = Path(__file__).resolve().parents[4] / "docs" / "draw-vectors"
NAMES = sorted(d.name for d in VECTORS.iterdir() if d.is_dir())


def test_every_configured_vector_is_committed() -> None:
    assert sorted(factories.VECTORS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_vector_verifies_and_matches_expected(name: str) -> None:
    raw = (VECTORS / name / "bundle.json").read_bytes()
    expected = json.loads((VECTORS / name / "expected.json").read_text())
    assert verify_draw.main([str(VECTORS / name / "bundle.json")]) == expected["verifier_exit_code"]
    bundle = json.loads(raw)
    body = bundle["body"]
    assert bundle["body_sha256"] == expected["body_sha256"]
    assert body["manifest_sha256"] == expected["manifest_sha256"] == p.json_sha256(body["manifest"])
    assert body["manifest"]["population"]["merkle_root"] == expected["population_root"]
    assert body["seed"] == expected["seed"]
    assert {s["key"]: s["quota"] for s in body["result"]["strata"]} == expected["quotas"]
    assert [t["uscc"] for t in body["result"]["targets"]] == [t[0] for t in expected["targets"]]
    assert body["result"]["unstaffed"] == expected["unstaffed"]


@pytest.mark.parametrize("name", NAMES)
def test_engine_reproduces_the_vector_byte_for_byte(name: str) -> None:
    draw, pop, _ = factories._vector(name, factories.VECTORS[name])
    bundle = factories.vector_bundle(name, draw, pop)
    assert p.canonical_json(bundle) == (VECTORS / name / "bundle.json").read_bytes()
    if draw.signed:  # and the district's whole draw log
        from draws.domain import ledger

        whole = ledger.extract("lingang", factories.LEDGERS[name].records)
        assert p.canonical_json(whole) == (VECTORS / name / "log.json").read_bytes()


@pytest.mark.parametrize("name", [n for n in NAMES if (VECTORS / n / "log.json").exists()])
def test_a_signed_vector_verifies_against_its_whole_log(name: str) -> None:
    """/3: the bundle sits in the district's log; a changed log record is caught."""
    bundle, log = VECTORS / name / "bundle.json", VECTORS / name / "log.json"
    assert verify_draw.main([str(bundle), "--log", str(log)]) == 0
    whole = json.loads(log.read_bytes())
    whole["records"][0]["record"]["at"] = "2026-11-26T00:00:00+00:00"
    tampered = log.with_name("tampered-log.json")
    try:
        tampered.write_bytes(p.canonical_json(whole))
        assert verify_draw.main([str(bundle), "--log", str(tampered)]) == 1
    finally:
        tampered.unlink()


@pytest.mark.parametrize("name", NAMES)
def test_fast_engine_recomputes_the_vector_result(name: str) -> None:
    body = json.loads((VECTORS / name / "bundle.json").read_bytes())["body"]
    secrets = json.loads((VECTORS / name / "secrets.json").read_text())
    import base64

    cols = body["population"]
    uscc, stratum, status, checks, attributes = (
        base64.b64decode(cols.get(k, ""))
        for k in ("uscc", "stratum", "status", "checks", "attributes")
    )
    pop = p.Population(uscc, stratum, status, checks, attributes)  # attributes: /3 (§14.13)
    assert fast.population_root(pop).hex() == body["manifest"]["population"]["merkle_root"]
    result = engine.compute_result(
        manifest=body["manifest"],
        seed=bytes.fromhex(body["seed"]),
        pop=pop,
        roster=[p.RosterEntry.from_json(r) for r in body["roster"]],
        salts=[tuple(x) for x in secrets["recusals"] + secrets.get("expert_recusals", [])],
        selector=fast.select,
        expert_roster=[p.ExpertEntry.from_json(e) for e in body.get("expert_roster", [])],
        # §15: assigned teams are an input, not recomputed (the selection still is)
        assignment=da.assignment_of(body["result"], "experts" in body["manifest"])
        if da.direct(body["manifest"])
        else None,
    )
    assert result == body["result"]


@pytest.mark.parametrize("name", NAMES)
def test_changed_bytes_in_a_vector_are_caught(name: str) -> None:
    raw = (VECTORS / name / "bundle.json").read_bytes()
    rng = random.Random(name)
    for pos in rng.sample(range(len(raw)), 300):
        tampered = bytearray(raw)
        tampered[pos] = (tampered[pos] + rng.randrange(1, 256)) % 256
        assert not verify_draw.verify_bytes(bytes(tampered), workers=1).ok, pos


PROOFS = [n for n in NAMES if (VECTORS / n / "proof-included.json").exists()]


@pytest.mark.parametrize("name", PROOFS)
def test_a_vector_proof_verifies_against_its_manifest(name: str) -> None:
    """§4.3, §4.4: the served proofs check (``verify_proof`` and ``--proof``), name the draw's
    manifest, root and chunk count, and the engine regenerates them byte for byte."""
    body = json.loads((VECTORS / name / "bundle.json").read_bytes())["body"]
    m = body["manifest"]
    draw, pop, _ = factories._vector(name, factories.VECTORS[name])
    regenerated = factories.vector_proofs(draw, pop)
    assert sorted(regenerated) == ["proof-absent.json", "proof-included.json"]
    for file, data in regenerated.items():
        path = VECTORS / name / file
        assert data == path.read_bytes()
        proof = json.loads(data)
        report = verify_draw.verify_proof(proof)
        assert report.ok, report.difference
        assert verify_draw.main(["--proof", str(path)]) == 0
        assert proof["included"] is (file == "proof-included.json")
        assert proof["draw_id"] == m["draw_id"]
        assert proof["manifest_sha256"] == body["manifest_sha256"]
        assert proof["population_root"] == m["population"]["merkle_root"]
        assert proof["chunk_count"] == -(-m["population"]["size"] // m["population"]["chunk_size"])
    included = json.loads(regenerated["proof-included.json"])
    absent = json.loads(regenerated["proof-absent.json"])
    assert [c["chunk_index"] for c in absent["chunks"]] == [0, 1]  # between two chunks
    assert not verify_draw.verify_proof({**absent, "uscc": included["uscc"]}).ok


def _reserve_rounding(body: dict[str, Any]) -> None:
    sel = body["manifest"]["selection"]
    bp, low = sel["reserve_bp"], sel["reserve_min"]
    sizes = [(s["quota"], s["reserve_size"]) for s in body["result"]["strata"]]
    # rounding up decides: ⌈q·bp/10000⌉ is above reserve_min, ⌊q·bp/10000⌋ is not
    assert any(q * bp // 10000 <= low < r == -(-q * bp // 10000) for q, r in sizes)
    assert any(q and -(-q * bp // 10000) < low == r for q, r in sizes)  # reserve_min wins
    assert any(q == r == 0 < low for q, r in sizes)  # quota 0: no reserve


def _quota_ties(body: dict[str, Any]) -> None:
    ratio = {s["key"]: s["ratio_bp"] for s in body["manifest"]["strata"]}
    rows = [
        (s["key"], s["eligible"] * ratio[s["key"]], s["quota"]) for s in body["result"]["strata"]
    ]
    up = {k for k, e, q in rows if q > e // 10000}
    # equal remainders on both sides of the cut: the key decided
    assert any(
        a < b and a in up and b not in up and ea % 10000 == eb % 10000 > 0
        for a, ea, _ in rows
        for b, eb, _ in rows
    )
    assert any(ratio[k] == 0 and q == 0 for k, _, q in rows)
    assert any(ratio[k] > 0 and 0 < e < 10000 and q == 0 and k not in up for k, e, q in rows)


def _statuses_and_caps(body: dict[str, Any]) -> None:
    import base64

    m, cols = body["manifest"], body["population"]
    u, s, st, c = (base64.b64decode(cols[k]) for k in ("uscc", "stratum", "status", "checks"))
    row = {u[18 * i : 18 * i + 18].decode(): (s[i], st[i], c[i]) for i in range(len(s))}
    caps = [x["cap"] for x in m["strata"]]
    walked = [(row[w], o) for x in body["result"]["strata"] for w, o in x["walk"]]
    assert {o for _, o in walked} - {"selected", "reserve"} == {*p.STATUSES[1:], "yearly_cap"}
    assert 3 in st and 255 in c
    assert any(o == p.STATUSES[t] and n >= caps[k] for (k, t, n), o in walked if t)
    assert any(o == "selected" and n == caps[k] - 1 for (k, _, n), o in walked)


def _qualifications(body: dict[str, Any]) -> None:
    from datetime import date, timedelta

    m = body["manifest"]
    day = date.fromisoformat(m["draw_date"])
    on_teams = {i for t in body["result"]["targets"] for i, _ in t["team"]}
    why = {r["inspector_id"]: (r, verify_draw.excluded(r, m)) for r in body["roster"]}
    codes = {i["code"] for i in m["check_items"]}
    names = {i["name"] for i in m["check_items"]}
    ok = [r for r, w in why.values() if w is None]
    assert any(r["qualifications"] == [verify_draw.QUALIFY_ALL] for r in ok)
    assert any(set(r["qualifications"]) == codes for r in ok)
    assert any(set(r["qualifications"]) == names for r in ok)
    assert any(w and "qualified" in w for _, w in why.values())
    assert any(
        r["certificate_expires_on"] == str(day) and r["inspector_id"] in on_teams for r in ok
    )
    expired = str(day - timedelta(days=1))
    assert any(
        r["certificate_expires_on"] == expired and w and "certificate" in w for r, w in why.values()
    )


def _neighbour_rule_none(body: dict[str, Any]) -> None:
    m = body["manifest"]
    assert m["neighbour_rule"] == "none"
    far = {x["district"] for x in m["pools"] if x["tier"] == 1}
    theirs = {r["inspector_id"] for r in body["roster"] if r["district"] in far}
    # else eligible: they would fill the short teams under fill-when-short
    assert theirs and all(
        verify_draw.excluded(r, {**m, "neighbour_rule": "fill-when-short"}) is None
        for r in body["roster"]
        if r["inspector_id"] in theirs
    )
    assert not theirs & {i for t in body["result"]["targets"] for i, _ in t["team"]}
    assert body["result"]["unstaffed"]


def _empty_pool(body: dict[str, Any]) -> None:
    result = body["result"]
    assert body["roster"]  # inspectors, none of them in the pool
    assert result["pool_size"] == result["load_cap"] == result["leader_load_cap"] == 0
    assert result["unstaffed"] == [t["uscc"] for t in result["targets"]] != []
    assert set(result["unstaffed_reasons"]) == {"leader"}
    assert body["countersign"] is not None


def _direct_assignment(body: dict[str, Any]) -> None:
    m, result = body["manifest"], body["result"]
    assert m["matching"]["rule"] == "direct-assignment" and m["matching"]["reason"]
    assert m["matching"]["approval"]["approved_at"] < m["frozen_at"]
    assert body["assignment"]["key_id"] and not result["unstaffed"]
    loads: dict[str, int] = {}
    for t in result["targets"]:
        assert len(t["team"]) == m["team"]["size"] and len(t["experts"]) == 1
        for i, _ in t["team"]:
            loads[i] = loads.get(i, 0) + 1
    # above the caps random matching would use: direct assignment is for too small a pool
    assert max(loads.values()) > result["leader_load_cap"] >= result["load_cap"]
    secrets = json.loads((VECTORS / "direct-assignment" / "secrets.json").read_text())
    recused = {(u, i) for i, u, _ in secrets["recusals"]}
    on_teams = {(t["uscc"], i) for t in result["targets"] for i, _ in t["team"]}
    targets = {t["uscc"] for t in result["targets"]}
    # some declared conflicts are with drawn targets, and the assignment avoided them
    assert {x for x in recused if x[0] in targets} and not recused & on_teams
    kinds = [r["record"]["kind"] for r in body["log"]["records"]]
    assert kinds.index("assigned") + 1 == kinds.index("drawn")


def _co_organisers(body: dict[str, Any]) -> None:
    m, result = body["manifest"], body["result"]
    cos = {co["agency"]: co for co in m["co_organisers"]}
    assert sorted(cos) == ["eco", "tax"] and cos["tax"]["per_team"] == 2
    assert {f"{a}:联合检查单位" for a in cos} <= set(m["parties"])
    # each agency's pool leaves out its inactive, expired and unqualified inspectors
    pools = {x["agency"]: x["pool_size"] for x in result["co_organisers"]["pools"]}
    listed = {a: sum(r["district"] == a for r in body["roster"]) for a in cos}
    assert pools == {"eco": 1, "tax": 3} and listed == {"eco": 2, "tax": 6}
    staffed = [t for t in result["targets"] if t["team"]]
    for t in staffed:  # every team has each agency's quota, agencies in manifest order
        assert [x.split(":")[0] for x in t["agency_members"]] == ["eco", "tax", "tax"]
    loads = Counter(i for t in staffed for i in t["agency_members"] if i.startswith("tax:"))
    # spread over the pool (TX0002 less: never with LG0001), none above the agency's cap
    assert (
        len(loads) == 3 and max(loads.values()) <= result["co_organisers"]["pools"][1]["load_cap"]
    )
    pair = set(m["pair_conflicts"][0])
    assert pair == {"LG0001", "tax:TX0002"}
    team_of = {t["uscc"]: {i for i, _ in t["team"]} | set(t["agency_members"]) for t in staffed}
    assert any("LG0001" in x for x in team_of.values()) and not any(
        pair <= x for x in team_of.values()
    )
    met = [(d["uscc"], d["inspector_id"]) for d in result["co_organisers"]["recusal_disclosures"]]
    assert any(i.startswith("tax:") for _, i in met)
    reasons = zip(result["unstaffed"], result["unstaffed_reasons"], strict=True)
    short = [u for u, why in reasons if why == "agency"]
    assert len(short) == 2 and all((u, "eco:EC0001") in met for u in short)
    assert body["replacements"] and body["replacements"][0]["role"] == "leader"


def _product_sampling(body: dict[str, Any]) -> None:
    m, result = body["manifest"], body["result"]
    assert m["target_filter"]["object_kind"] == "product"
    codes = [t["uscc"] for t in result["targets"]]
    assert len(codes) == 15 and all(c.startswith("ZP") for c in codes)
    assert all(verify_draw.object_kind(c.encode()) == "product" for c in codes)
    assert m["population"]["size"] == 60 and not result["unstaffed"]


COVERS = {
    "reserve-rounding": _reserve_rounding,
    "quota-ties": _quota_ties,
    "statuses-and-caps": _statuses_and_caps,
    "qualifications": _qualifications,
    "neighbour-rule-none": _neighbour_rule_none,
    "empty-pool": _empty_pool,
    "direct-assignment": _direct_assignment,
    "co-organisers": _co_organisers,
    "product-sampling": _product_sampling,
}


@pytest.mark.parametrize("name", sorted(COVERS))
def test_an_edge_vector_pins_what_it_says(name: str) -> None:
    """The edge-case vectors (``pins`` in their config): expected.json's pinned values are the
    bundle's, the verifier's own pool rule leaves out exactly the inspectors it names, and the
    bundle still covers the case the README names."""
    body = json.loads((VECTORS / name / "bundle.json").read_bytes())["body"]
    expected = json.loads((VECTORS / name / "expected.json").read_text())
    result, strata = body["result"], body["result"]["strata"]
    assert expected["pins"] == factories.VECTORS[name]["pins"]
    assert expected["eligible"] == {s["key"]: s["eligible"] for s in strata}
    assert expected["reserve_sizes"] == {s["key"]: s["reserve_size"] for s in strata}
    skips = [o for s in strata for _, o in s["walk"] if o not in ("selected", "reserve")]
    assert expected["skip_counts"] == {o: skips.count(o) for o in sorted(set(skips))}
    for key in ("pool_size", "leader_load_cap", "unstaffed_reasons"):
        assert expected[key] == result[key]
    left_out = {
        r["inspector_id"] for r in body["roster"] if verify_draw.excluded(r, body["manifest"])
    }
    assert set(expected["excluded_inspectors"]) == left_out
    assert result["pool_size"] == len(body["roster"]) - len(left_out)
    COVERS[name](body)


def test_every_edge_vector_has_its_coverage_check() -> None:
    assert sorted(COVERS) == sorted(n for n, cfg in factories.VECTORS.items() if "pins" in cfg)
