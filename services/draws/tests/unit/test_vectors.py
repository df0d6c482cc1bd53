"""The committed golden vectors (docs/draw-vectors): the verifier passes them, the engine
reproduces them byte for byte, and a changed byte is caught."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from draws import verify_draw
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
    pop = p.Population(
        *(base64.b64decode(cols[k]) for k in ("uscc", "stratum", "status", "checks"))
    )
    assert fast.population_root(pop).hex() == body["manifest"]["population"]["merkle_root"]
    result = engine.compute_result(
        manifest=body["manifest"],
        seed=bytes.fromhex(body["seed"]),
        pop=pop,
        roster=[p.RosterEntry.from_json(r) for r in body["roster"]],
        salts=[tuple(x) for x in secrets["recusals"] + secrets.get("expert_recusals", [])],
        selector=fast.select,
        expert_roster=[p.ExpertEntry.from_json(e) for e in body.get("expert_roster", [])],
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
