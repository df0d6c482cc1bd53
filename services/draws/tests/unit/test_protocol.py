"""Byte-level pieces of the protocol."""

from __future__ import annotations

import hashlib
import random

import pytest

from draws.domain import engine
from draws.domain import protocol as p
from spotcheck_common import uscc


def rfc6962(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return p.node_hash(rfc6962(leaves[:k]), rfc6962(leaves[k:]))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, 7, 8, 9, 13, 31, 33, 100])
def test_merkle_root_is_rfc6962_and_every_path_verifies(n: int) -> None:
    leaves = [p.leaf_hash(bytes([i])) for i in range(n)]
    root = p.merkle_root(leaves)
    assert root == rfc6962(leaves)
    for i in range(n):
        path = p.merkle_path(leaves, i)
        assert p.verify_path(leaves[i], i, n, path, root)
        assert not p.verify_path(p.leaf_hash(b"x"), i, n, path, root)
        if n > 1:
            assert not p.verify_path(leaves[i], (i + 1) % n, n, path, root)


def test_quotas_largest_remainder_on_integers() -> None:
    # 0.5 + 0.5 rounds to 1 seat in total: the tie goes to the smaller key
    assert p.quotas([5000, 5000], [1, 1], ["A", "B"]) == [1, 0]
    # 333 × 3% = 9.99, 100 × 5% = 5 → total round(14.99)=15, remainder to A
    assert p.quotas([300, 500], [333, 100], ["A", "B"]) == [10, 5]
    assert p.quotas([300, 300, 300], [10, 10, 10], ["A", "B", "C"]) == [1, 0, 0]
    assert p.quotas([10000], [7], ["E"]) == [7]
    assert p.quotas([0, 10000], [5, 0], ["A", "B"]) == [0, 0]


def test_ticket_is_one_sha256_block() -> None:
    key = bytes(32)
    message = p.ENTITY_TICKET + key + b"\x12" + b"91371071MA3C12345X"
    assert len(message) <= 55  # one 64-byte block after padding
    assert p.entity_ticket(key, b"91371071MA3C12345X") == hashlib.sha256(message).digest()


def test_commitment_binds_draw_party_and_share() -> None:
    s = bytes(range(32))
    c = p.share_commitment("d1", "办公室", s)
    assert c != p.share_commitment("d2", "办公室", s)
    assert c != p.share_commitment("d1", "信用监管科", s)
    with pytest.raises(ValueError):
        p.share_commitment("d1", "办公室", b"short")


def test_selection_is_independent_of_row_order() -> None:
    codes = uscc.synthetic(500, seed=3)
    rng = random.Random(1)
    rows = [
        engine.PopulationRow(c, rng.choice("ABCDE"), rng.choice(["active"] * 9 + ["revoked"]))
        for c in codes
    ]
    strata = [{"key": k, "ratio_bp": 1500, "cap": 2} for k in "ABCDE"]
    manifest = {"strata": strata, "selection": {"reserve_bp": 1000, "reserve_min": 3}}
    checks = {codes[0]: 2, codes[1]: 1}
    pop = engine.build_population(rows, strata, checks)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    pop2 = engine.build_population(shuffled, strata, checks)
    assert pop == pop2
    pop.validate()
    key = p.draw_key(b"s" * 32, "d")
    a = [r.to_json() for r in p.select(pop, manifest, key)]
    b = [r.to_json() for r in p.select(pop2, manifest, key)]
    assert a == b
    assert p.population_root(pop) == p.population_root(pop2)


def test_roster_record_is_unambiguous() -> None:
    a = p.RosterEntry("I1", "张三", "科A", "lingang", True, "2030-01-01", True, ("x", "y"))
    b = p.RosterEntry("I1", "张三", "科A", "lingang", True, "2030-01-01", True, ("xy",))
    assert a.record() != b.record()
    assert p.roster_root([a]) != p.roster_root([b])


def test_qualification_rule() -> None:
    items = [{"code": "SD-1", "name": "企业公示信息"}, {"code": "SD-2", "name": "登记事项"}]
    assert p.qualified(["SD-1", "登记事项"], items)
    assert not p.qualified(["SD-1"], items)
    assert p.qualified([p.QUALIFY_ALL], items)


def test_inclusion_proof_verifies_with_the_standalone_verifier() -> None:
    from draws import verify_draw

    codes = uscc.synthetic(1000, seed=4)
    rows = [engine.PopulationRow(c, "ABCDE"[i % 5], "active") for i, c in enumerate(codes)]
    strata = [{"key": k, "ratio_bp": 100, "cap": 2} for k in "ABCDE"]
    pop = engine.build_population(rows, strata, {codes[3]: 1})
    leaves = p.population_leaves(pop)
    root = p.merkle_root(leaves).hex()
    for code in (codes[0], codes[3], codes[999], sorted(codes)[-1]):
        proof = p.inclusion_proof(pop, code, leaves)
        assert proof is not None
        proof.update(draw_id="d", population_root=root)
        assert verify_draw.verify_proof(proof).ok
        proof["path"][0] = "00" * 32
        assert not verify_draw.verify_proof(proof).ok
    assert p.inclusion_proof(pop, "91000000000000000X", leaves) is None


@pytest.mark.parametrize(("n", "chunk"), [(1000, 256), (1, 256), (257, 256), (5000, 7), (10, 1)])
def test_a_proof_from_the_stored_tree_is_the_rebuilt_proof(n: int, chunk: int) -> None:
    codes = sorted(uscc.synthetic(n, seed=9))
    rows = [engine.PopulationRow(c, "ABCDE"[i % 5], "active") for i, c in enumerate(codes)]
    strata = [{"key": k, "ratio_bp": 100, "cap": 2} for k in "ABCDE"]
    pop = engine.build_population(rows, strata, {})
    leaves = p.population_leaves(pop, chunk)
    tree = p.StoredTree.of(pop, leaves, chunk)
    assert tree.levels[-32:] == p.merkle_root(leaves)  # the last level is the root
    for code in {codes[0], codes[-1], codes[n // 2], codes[min(n - 1, chunk)]}:
        k = tree.chunk_of(code.encode("ascii"))
        assert k is not None
        a = k * chunk
        rows_k = p.Population(
            bytes(pop.uscc[18 * a : 18 * (a + chunk)]),
            pop.stratum[a : a + chunk],
            pop.status[a : a + chunk],
            pop.checks[a : a + chunk],
        )
        assert p.proof_from_tree(tree, rows_k, k, code) == p.inclusion_proof(
            pop, code, leaves, chunk
        )
    assert tree.chunk_of(b"0" * 18) is None  # before the first code
