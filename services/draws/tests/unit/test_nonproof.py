"""Non-inclusion proofs (spec §4.4, issue 12 "silent exclusion"): a USCC that is not in a draw's
population gets a proof of that — the chunks that bracket where it would sit, with their audit
paths — which the protocol and the stand-alone verifier both check, and nothing else passes."""

from __future__ import annotations

import copy
import json
import random
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from draws import verify_draw
from draws.domain import protocol as p
from draws.service_layer import views
from spotcheck_common.errors import Invalid, NotFound
from spotcheck_common.uscc import ALPHABET

from .fakes import FakeDrawsRepository, FakeDrawsUnitOfWork
from .test_service_layer import loaded, run_draw

PREFIX = "913710000000000"  # 15 characters: codes are PREFIX + 3 characters of the alphabet
LOW, HIGH = "0" * 18, "Y" * 18  # the smallest and the largest USCC


def universe(width: int) -> list[str]:
    """Every code PREFIX + "0"·(3-width) + ``width`` characters: all of them in byte order, so
    every gap between two codes of a population drawn from it is tested."""
    tails = ("".join(t) for t in product(ALPHABET, repeat=width))
    return sorted(PREFIX + "0" * (3 - width) + t for t in tails)


def population(codes: list[str], seed: int = 0) -> p.Population:
    rnd = random.Random(seed)
    n = len(codes)
    return p.Population(
        "".join(sorted(codes)).encode("ascii"),
        bytes(rnd.randrange(5) for _ in range(n)),
        bytes(rnd.randrange(5) for _ in range(n)),
        bytes(rnd.randrange(256) for _ in range(n)),
    )


def sample(width: int, n: int, seed: int) -> tuple[list[str], list[str]]:
    """A random population of ``n`` codes of the universe, and the universe around it."""
    every = universe(width)
    return sorted(random.Random(seed).sample(every, n)), [LOW, *every, HIGH]


def holds(proof: dict[str, Any], root: bytes) -> bool:
    """Both implementations agree on every proof: the domain's and the stand-alone verifier's."""
    published = {**proof, "draw_id": "d", "population_root": root.hex(), "manifest_sha256": ""}
    report = verify_draw.verify_proof(published)
    assert p.verify_nonproof(proof, root) == report.ok, report.difference
    return report.ok


CASES = [(0, 1), (1, 1), (1, 4), (2, 1), (3, 2), (4, 2), (5, 2), (7, 3), (8, 4), (9, 4)]
CASES += [(16, 4), (17, 4), (24, 8), (31, 5), (31, 31), (31, 256)]


@pytest.mark.parametrize(("n", "chunk"), CASES)
def test_every_code_gets_the_right_proof_and_every_absent_one_verifies(n: int, chunk: int) -> None:
    codes, every = sample(1, n, seed=n * 31 + chunk)
    pop = population(codes, seed=n)
    leaves = p.population_leaves(pop, chunk)
    root = p.merkle_root(leaves)
    tree = p.StoredTree.of(pop, leaves, chunk)
    for uscc in every:
        ks = p.bracketing_chunks(pop, uscc.encode("ascii"), chunk)
        proof = p.non_inclusion_proof(pop, uscc, leaves, chunk)
        if uscc in codes:  # present: an inclusion proof, never a non-inclusion one
            assert ks is None and proof is None
            assert p.inclusion_proof(pop, uscc, leaves, chunk) is not None
            continue
        assert p.inclusion_proof(pop, uscc, leaves, chunk) is None
        assert proof is not None and ks is not None
        assert proof["format"] == p.NONPROOF_FORMAT and proof["included"] is False
        assert proof["chunk_count"] == len(leaves) and len(proof["chunks"]) == len(ks) <= 2
        assert [c["chunk_index"] for c in proof["chunks"]] == ks
        assert (n == 0) == (ks == [])
        assert holds(proof, root)
        chunks = [(k, p.population_rows(pop, k * chunk, (k + 1) * chunk)) for k in ks]
        assert p.nonproof_from_tree(tree, chunks, uscc) == proof


def test_the_empty_population_is_its_own_case() -> None:
    pop = population([])
    proof = p.non_inclusion_proof(pop, LOW, [], 256)
    assert proof == {
        "format": "spotcheck-draw-nonproof/1",
        "included": False,
        "uscc": LOW,
        "chunk_count": 0,
        "chunks": [],
    }
    empty = p.sha256(b"")
    assert holds(proof, empty)
    assert not holds(proof, p.sha256(b"x"))  # another root: not an empty population
    assert not holds({**proof, "chunk_count": 1}, empty)


def test_each_case_of_the_bracket() -> None:
    """Before the first code, between two codes of a chunk, across two chunks, after the last:
    the chunks given are the ones §4.4's table names."""
    codes = universe(1)[1:-1:3]  # 10 codes, gaps between them
    pop, chunk = population(codes), 4
    leaves = p.population_leaves(pop, chunk)  # chunks 0..2 of 4, 4 and 2 codes

    def given(uscc: str) -> list[int]:
        proof = p.non_inclusion_proof(pop, uscc, leaves, chunk)
        assert proof is not None and holds(proof, p.merkle_root(leaves))
        return [c["chunk_index"] for c in proof["chunks"]]

    after = [c[:-1] + ALPHABET[ALPHABET.index(c[-1]) + 1] for c in codes]
    assert given(LOW) == [0]  # before the first
    assert given(after[0]) == [0]  # between codes 0 and 1, in chunk 0
    assert given(after[3]) == [0, 1]  # between the last of chunk 0 and the first of chunk 1
    assert given(after[7]) == [1, 2]
    assert given(after[8]) == [2]  # between the two codes of the last chunk
    assert given(after[9]) == [2] == given(HIGH)  # after the last


# ------------------------------------------------------------------------------ forgeries


def genuine(pop: p.Population, leaves: list[bytes], chunk: int, k: int) -> dict[str, Any]:
    """Chunk ``k`` as a proof gives it: its real columns and real audit path."""
    rows = p.population_rows(pop, k * chunk, (k + 1) * chunk)
    path = [x.hex() for x in p.merkle_path(leaves, k)]
    return {"chunk_index": k, "chunk": p.chunk_columns(rows), "path": path}


@pytest.mark.parametrize(("n", "chunk"), [(1, 1), (5, 2), (9, 4), (12, 3), (31, 8)])
def test_no_proof_of_absence_for_a_present_code(n: int, chunk: int) -> None:
    """For a code that is in the population, no choice of genuine chunks with genuine paths —
    any one chunk, any two consecutive ones — makes a non-inclusion proof that verifies."""
    codes, _ = sample(1, n, seed=n)
    pop = population(codes)
    leaves = p.population_leaves(pop, chunk)
    root = p.merkle_root(leaves)
    count = len(leaves)
    choices = [[k] for k in range(count)] + [[k, k + 1] for k in range(count - 1)] + [[]]
    for uscc in codes:
        for ks in choices:
            chunks = [genuine(pop, leaves, chunk, k) for k in ks]
            proof = {"format": p.NONPROOF_FORMAT, "included": False, "uscc": uscc}
            assert not holds({**proof, "chunk_count": count, "chunks": chunks}, root), (uscc, ks)


@pytest.mark.parametrize("seed", range(6))
def test_tampered_proofs_fail(seed: int) -> None:
    rnd = random.Random(seed)
    chunk = rnd.choice([1, 2, 3, 4, 5])
    codes, every = sample(2, rnd.randrange(40, 120), seed)
    pop = population(codes, seed)
    leaves = p.population_leaves(pop, chunk)
    root = p.merkle_root(leaves)
    absent = [c for c in every if c not in set(codes)]
    tried = set()
    for uscc in [*rnd.sample(absent, 60), LOW, HIGH]:
        proof = p.non_inclusion_proof(pop, uscc, leaves, chunk)
        assert proof is not None and holds(proof, root)
        shape = len(proof["chunks"])
        for name, bad in forgeries(proof, pop, leaves, chunk, codes):
            tried.add((shape, name))
            assert not holds(bad, root), (uscc, name)
    assert {name for _, name in tried} >= {
        "swapped chunks",
        "another chunk's columns",
        "wrong index",
        "wrong path",
        "codes not adjacent",
        "only one of two chunks",
        "not the first chunk",
        "not the last chunk",
        "uscc outside the bracket",
    }


def forgeries(
    proof: dict[str, Any], pop: p.Population, leaves: list[bytes], chunk: int, codes: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    """Every way of spoiling ``proof`` that applies to it, each with its name."""
    out: list[tuple[str, dict[str, Any]]] = []
    chunks, count = proof["chunks"], proof["chunk_count"]
    ks = [c["chunk_index"] for c in chunks]

    def spoilt(name: str, **fields: Any) -> None:
        out.append((name, {**copy.deepcopy(proof), **fields}))

    def edited(i: int, **fields: Any) -> list[dict[str, Any]]:
        return [{**c, **fields} if j == i else c for j, c in enumerate(copy.deepcopy(chunks))]

    spoilt("included", included=True)
    spoilt("format", format=p.PROOF_FORMAT)
    if ks:  # chunk_count is what the reader compares with the manifest; the paths alone
        # pin a chunk's place (left or right at each level), not the count, so only a count
        # that contradicts the chunks given fails
        spoilt("chunk count", chunk_count=ks[-1])
        if proof["uscc"] > codes[-1]:  # "after the last code" needs the last chunk
            spoilt("chunk count", chunk_count=count + 1)
    spoilt("no chunk", chunks=[], chunk_count=0)
    if len(chunks) == 2:
        spoilt("swapped chunks", chunks=chunks[::-1])
        spoilt("only one of two chunks", chunks=chunks[:1])
        spoilt("only one of two chunks", chunks=chunks[1:])
    for i, c in enumerate(chunks):
        for k in (c["chunk_index"] - 1, c["chunk_index"] + 1):
            spoilt("wrong index", chunks=edited(i, chunk_index=k))
        other = genuine(pop, leaves, chunk, (c["chunk_index"] + 1) % count)
        if count > 1:
            spoilt("another chunk's columns", chunks=edited(i, chunk=other["chunk"]))
        for at in range(len(c["path"])):
            path = list(c["path"])
            path[at] = ("0" if path[at][0] != "0" else "1") + path[at][1:]
            spoilt("wrong path", chunks=edited(i, path=path))
        spoilt("wrong path", chunks=edited(i, path=[*c["path"], "00" * 32]))
        if c["path"]:
            spoilt("wrong path", chunks=edited(i, path=c["path"][:-1]))
    k = ks[0]
    if k + 2 < count:  # chunks k and k + 2, each genuine, not adjacent
        pair = [genuine(pop, leaves, chunk, k), genuine(pop, leaves, chunk, k + 2)]
        spoilt("codes not adjacent", chunks=pair)
        pair[1]["chunk_index"] = k + 1
        spoilt("codes not adjacent", chunks=pair)
    if len(chunks) == 1 and k + 1 < count:
        spoilt("codes not adjacent", chunks=[chunks[0], genuine(pop, leaves, chunk, k + 1)])
    code = proof["uscc"]
    if code < codes[0] and count > 1:  # before the first: any other chunk is not the first
        spoilt("not the first chunk", chunks=[genuine(pop, leaves, chunk, 1)])
    if code > codes[-1] and count > 1:
        spoilt("not the last chunk", chunks=[genuine(pop, leaves, chunk, count - 2)])
    if len(chunks) == 1 and codes[0] < code < codes[-1]:
        ends = [genuine(pop, leaves, chunk, 0), genuine(pop, leaves, chunk, count - 1)]
        if ends[0]["chunk_index"] != k:
            spoilt("not the first chunk", chunks=[ends[0]])
        if ends[1]["chunk_index"] != k:
            spoilt("not the last chunk", chunks=[ends[1]])
    for other_code in (codes[0], codes[-1], LOW, HIGH):  # another USCC, same chunks
        if p.bracketing_chunks(pop, other_code.encode(), chunk) != ks:
            spoilt("uscc outside the bracket", uscc=other_code)
    return out


def test_malformed_proofs_are_refused_not_crashed() -> None:
    codes, _ = sample(1, 9, seed=1)
    pop = population(codes)
    leaves = p.population_leaves(pop, 4)
    root = p.merkle_root(leaves)
    proof = p.non_inclusion_proof(pop, LOW, leaves, 4)
    assert proof is not None
    part = proof["chunks"][0]
    for bad in (
        {**proof, "uscc": "é" * 18},
        {**proof, "uscc": LOW[:-1]},
        {**proof, "chunk_count": "3"},
        {**proof, "chunk_count": True},
        {**proof, "chunks": [{**part, "chunk_index": False}]},
        {**proof, "chunks": [{**part, "path": ["zz"]}]},
        {**proof, "chunks": [{**part, "chunk": {**part["chunk"], "uscc": "!"}}]},
        {**proof, "chunks": [part, part, part]},
        {**proof, "chunks": None},
    ):
        assert not holds(bad, root)
    assert not verify_draw.verify_proof([]).ok  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ verifier


def test_the_verifier_says_what_it_proved() -> None:
    codes = universe(1)[1:-1:3]
    pop, chunk = population(codes), 4
    leaves = p.population_leaves(pop, chunk)
    root = p.merkle_root(leaves).hex()

    def said(uscc: str) -> str:
        proof = p.inclusion_proof(pop, uscc, leaves, chunk) or p.non_inclusion_proof(
            pop, uscc, leaves, chunk
        )
        assert proof is not None
        report = verify_draw.verify_proof({**proof, "draw_id": "D-1", "population_root": root})
        assert report.ok, report.difference
        assert report.lines[-1].startswith(f"population root {root}, 3 chunks")
        return report.lines[0]

    after = [c[:-1] + ALPHABET[ALPHABET.index(c[-1]) + 1] for c in codes]
    assert said(codes[2]).startswith(f"{codes[2]} is in the population of draw D-1")
    assert said(LOW) == (
        f"{LOW} is NOT in the population of draw D-1: it sorts before {codes[0]}, "
        "the first code of the population"
    )
    assert said(HIGH).endswith(f"it sorts after {codes[-1]}, the last code of the population")
    assert said(after[1]).endswith(
        f"between {codes[1]} and {codes[2]}, consecutive codes of chunk 0 (of 3 chunks)"
    )
    assert said(after[3]).endswith(
        f"between {codes[3]}, the last code of chunk 0, and {codes[4]}, "
        "the first code of chunk 1 (of 3 chunks)"
    )
    empty = p.non_inclusion_proof(population([]), LOW, [], 256)
    assert empty is not None
    report = verify_draw.verify_proof(
        {**empty, "draw_id": "D-1", "population_root": p.sha256(b"").hex()}
    )
    assert report.ok and "the population is empty" in report.lines[0]


def test_the_verifier_names_the_difference() -> None:
    codes = universe(1)[1:-1:3]
    pop, chunk = population(codes), 4
    leaves = p.population_leaves(pop, chunk)
    proof = p.non_inclusion_proof(pop, HIGH, leaves, chunk)
    assert proof is not None
    published = {**proof, "draw_id": "D-1", "population_root": p.merkle_root(leaves).hex()}
    mid = genuine(pop, leaves, chunk, 1)
    for bad, words in (
        ({**published, "chunks": [mid]}, "which is not the last chunk"),
        ({**published, "uscc": codes[-1]}, "the proof shows it included, not absent"),
        ({**published, "population_root": "00" * 32}, "not the population root"),
        ({**published, "chunk_count": 2}, "there are only 2 chunks"),
        ({**published, "included": True}, "included"),
    ):
        report = verify_draw.verify_proof(bad)
        assert not report.ok and words in (report.difference or ""), report.difference


def test_verify_draw_proof_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    codes, _ = sample(1, 9, seed=3)
    pop = population(codes)
    leaves = p.population_leaves(pop, 4)
    proof = p.non_inclusion_proof(pop, HIGH, leaves, 4)
    assert proof is not None
    good = {**proof, "draw_id": "D-1", "population_root": p.merkle_root(leaves).hex()}
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text(json.dumps({**good, "uscc": codes[0]}))
    assert verify_draw.main(["--proof", str(tmp_path / "good.json")]) == 0
    out = capsys.readouterr().out
    assert f"{HIGH} is NOT in the population of draw D-1" in out
    assert "OK: the proof checks against the population root" in out
    assert verify_draw.main(["--proof", str(tmp_path / "bad.json")]) == 1
    assert "DIFFERENCE:" in capsys.readouterr().out
    assert verify_draw.main(["--proof", str(tmp_path / "missing.json")]) == 2


# -------------------------------------------------------------------------- service layer


def install(repo: FakeDrawsRepository, draw_id: str, pop: p.Population, chunk: int) -> bytes:
    """Give a draw of the fake repository another population (and its tree): the proof's
    edge cases — an empty population, one code, chunk boundaries — on the service's path."""
    leaves = p.population_leaves(pop, chunk)
    repo.populations[draw_id] = pop
    repo.trees[draw_id] = p.StoredTree.of(pop, leaves, chunk)
    root = p.merkle_root(leaves)
    repo.draws[draw_id].manifest["population"].update(
        size=pop.size, chunk_size=chunk, merkle_root=root.hex()
    )
    return root


@pytest.mark.parametrize(("n", "chunk"), [(0, 256), (1, 256), (4, 4), (9, 4), (31, 3), (31, 1)])
async def test_the_service_proves_absence_from_the_stored_tree_or_rebuilt(
    n: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every code of the universe, through ``views.proof``: from the stored tree, reading at
    most two chunks, the same proof as rebuilt from the whole population."""
    repo = await loaded()
    draw_id, _ = await run_draw(repo)
    reads: list[tuple[int, int]] = []
    rows, whole = repo.get_population_rows, repo.get_population

    async def get_population_rows(draw_id: str, start: int, end: int) -> p.Population:
        reads.append((start, end))
        return await rows(draw_id, start, end)

    async def get_population(draw_id: str) -> p.Population:
        reads.append((0, -1))  # the whole population: only without a stored tree
        return await whole(draw_id)

    monkeypatch.setattr(repo, "get_population_rows", get_population_rows)
    monkeypatch.setattr(repo, "get_population", get_population)
    codes, every = sample(1, n, seed=n)
    root = install(repo, draw_id, population(codes), chunk)
    tree = repo.trees[draw_id]
    uow = FakeDrawsUnitOfWork(repo)
    for uscc in every:
        reads.clear()
        manifest, _, stored = await views.proof(uow, draw_id, uscc.lower())
        assert len(reads) <= 2 and all(end - start <= chunk for start, end in reads)
        assert stored["uscc"] == uscc and stored["included"] is (uscc in codes)
        if not stored["included"]:
            assert holds(stored, root)
        del repo.trees[draw_id]
        assert (await views.proof(uow, draw_id, uscc))[2] == stored
        assert reads[-1] == (0, -1)
        repo.trees[draw_id] = tree
    assert manifest["population"]["merkle_root"] == root.hex()


async def test_the_service_refuses_a_malformed_code_and_an_unknown_draw() -> None:
    repo = await loaded()
    draw_id, uow = await run_draw(repo)
    for bad in ("91000000000000000I", "9100000000000000X", "91000000000000000XX", "９" * 18):
        with pytest.raises(Invalid):
            await views.proof(uow, draw_id, bad)
    with pytest.raises(NotFound):
        await views.proof(uow, "no-such-draw", "91000000000000000X")
    _, _, proof = await views.proof(uow, draw_id, "91000000000000000X")
    assert proof["included"] is False
