"""The fast path (numpy + C) gives exactly the reference results."""

from __future__ import annotations

import hashlib
import os
import random

import numpy as np
import pytest

from draws.domain import engine, fast
from draws.domain import protocol as p
from spotcheck_common import uscc

native = pytest.importorskip("draws._native")


def population(n: int, seed: int, attributes: bool = False) -> p.Population:
    rng = random.Random(seed)
    codes = uscc.synthetic(n, seed=seed)
    rows = [
        engine.PopulationRow(
            c,
            rng.choice("ABCDE"),
            rng.choice(["active"] * 8 + ["revoked", "moved_out"]),
            rng.choice(["有限责任公司", "个体工商户"]),
            rng.choice(["制造业", "批发和零售业", "餐饮业"]),
            f"镇{rng.randrange(300)}",  # over 255 values: both bytes of an index matter
        )
        for c in codes
    ]
    strata = [{"key": k, "ratio_bp": 0, "cap": 2} for k in "ABCDE"]
    checks = {c: rng.choice([0, 0, 0, 1, 2, 3]) for c in codes}
    return engine.build_population(rows, strata, checks, attributes=attributes)


@pytest.mark.parametrize("portable", [False, True])
def test_native_tickets_equal_hashlib(portable: bool) -> None:
    native.force_portable(portable)
    try:
        key = os.urandom(32)
        codes = b"".join(c.encode() for c in uscc.synthetic(5000, seed=9))
        got = np.frombuffer(native.tickets_u64(key, codes, 2), dtype=np.uint64)
        rows = np.arange(0, 5000, 7, dtype=np.int64)
        full = native.tickets_at(key, codes, rows.tobytes(), 2)
        for i in range(5000):
            want = p.entity_ticket(key, codes[18 * i : 18 * i + 18])
            assert int(got[i]) == int.from_bytes(want[:8], "big")
        for j, i in enumerate(rows.tolist()):
            assert full[32 * j : 32 * j + 32] == p.entity_ticket(key, codes[18 * i : 18 * i + 18])
        for size in (0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 5389):
            data = os.urandom(size)
            assert native.sha256(data) == hashlib.sha256(data).digest()
    finally:
        native.force_portable(False)


@pytest.mark.parametrize("n,seed", [(1, 1), (255, 2), (256, 3), (257, 4), (3000, 5)])
@pytest.mark.parametrize("attributes", [False, True])  # /1 leaves, and /3 (§14.13)
def test_fast_merkle_root_equals_reference(n: int, seed: int, attributes: bool) -> None:
    pop = population(n, seed, attributes)
    assert bool(pop.attributes) is attributes
    assert fast.population_root(pop) == p.population_root(pop)


@pytest.mark.parametrize("seed", range(6))
def test_fast_selection_equals_reference(seed: int) -> None:
    pop = population(4000, seed)
    rng = random.Random(seed)
    strata = [
        {"key": k, "ratio_bp": rng.choice([0, 100, 500, 3000, 10000]), "cap": rng.choice([1, 2, 3])}
        for k in "ABCDE"
    ]
    manifest = {
        "strata": strata,
        "selection": {"reserve_bp": rng.choice([0, 1000, 5000]), "reserve_min": rng.choice([0, 3])},
    }
    key = p.draw_key(bytes([seed]) * 32, f"d{seed}")
    want = [r.to_json() for r in p.select(pop, manifest, key)]
    got = [r.to_json() for r in fast.select(pop, manifest, key)]
    assert got == want


def test_equal_prefixes_are_ordered_by_full_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    pop = population(500, 11)
    manifest = {
        "strata": [{"key": k, "ratio_bp": 2000, "cap": 2} for k in "ABCDE"],
        "selection": {"reserve_bp": 1000, "reserve_min": 3},
    }
    key = p.draw_key(b"k" * 32, "d")
    real = fast.tickets_u64
    # Collapse the prefixes to 2 bits: many ties, which only the full tickets can order.
    monkeypatch.setattr(fast, "tickets_u64", lambda k, u: real(k, u) >> np.uint64(62))
    want = [r.to_json() for r in p.select(pop, manifest, key)]
    assert [r.to_json() for r in fast.select(pop, manifest, key)] == want


@pytest.mark.parametrize("seed", range(3))
def test_a_too_small_first_cut_is_redone_exactly(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "SLACK", 0.05)
    monkeypatch.setattr(fast, "PAD", 0)
    pop = population(3000, 100 + seed)
    strata = [{"key": k, "ratio_bp": 2500, "cap": 1} for k in "ABCDE"]
    manifest = {"strata": strata, "selection": {"reserve_bp": 2000, "reserve_min": 3}}
    key = p.draw_key(bytes([seed]) * 32, "redo")
    assert [r.to_json() for r in fast.select(pop, manifest, key)] == [
        r.to_json() for r in p.select(pop, manifest, key)
    ]
