"""``python benchmarks/draws_bench.py`` (``make bench``): the draw engine's figures from issue 3.

Each figure is one line ``BENCH <name> <value> <unit> target=<target> ratio=<value/target>``.
Every benchmark runs in its own process, so its peak resident memory is its own.

- ``province_draw``: 15,000,000 entities. Timed from the stored columnar snapshot (``.npy``
  files, as the draws service keeps it) to the finished result: the task's population, its
  Merkle root, quotas, tickets, the selection walk (skips and reserve list) and the matching.
- ``city_draw`` (1,000,000) and ``district_draw`` (50,000): the same path.
- ``matching``: 10,000 targets, 2,000 inspectors, 3,000 recusal pairs.
- ``verifier_province``: the stand-alone verifier (``verify_draw.py``) on the province bundle.

Synthetic registries have valid USCC check digits (GB 32100-2015). They are generated once and
cached under ``$SPOTCHECK_BENCH_DIR`` (default ``~/.cache/spotcheck/bench``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from draws import ed25519, verify_draw
from draws.adapters.snapshot import DICT_COLUMNS, Snapshot
from draws.domain import engine, fast
from draws.domain import protocol as p
from draws.domain.ledger import PartyKey
from draws.domain.model import Draw, Signer
from spotcheck_common.uscc import ALPHABET

_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
_ALPHA = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

# Ratios (basis points) of a province-wide task: 0.1 % of class A up to 5 % of class E.
RATIOS = {"A": 10, "B": 20, "C": 50, "D": 100, "E": 500}
RISK_P = [0.30, 0.40, 0.20, 0.07, 0.03]
SIZES = {"province": 15_000_000, "city": 1_000_000, "district": 50_000}
INSPECTORS = {"province": 10_000, "city": 1_000, "district": 80}
TARGETS = {  # (value, unit) budgets from issue 3
    "province_draw": 2.0,
    "city_draw": 0.150,
    "district_draw": 0.020,
    "matching": 0.5,
    "verifier_province": 15.0,
    "proof_city_p99": 0.050,  # a public inclusion proof at 1M entities (issue 12)
}
MEMORY_BUDGET_MB = {
    "province_draw": 4096,
    "city_draw": 512,
    "district_draw": 256,
    "matching": 256,
    "verifier_province": 4096,
    "proof_city_p99": 1024,
}


def cache_dir() -> Path:
    base = os.environ.get("SPOTCHECK_BENCH_DIR") or Path.home() / ".cache" / "spotcheck" / "bench"
    return Path(base)


# --------------------------------------------------------------------------- synthesis


def synthetic_codes(n: int, seed: int) -> np.ndarray:
    """``n`` distinct valid USCCs, sorted (dtype S18): 91 + a Shandong area code + 9 random
    characters + the check character."""
    rng = np.random.default_rng(seed)
    areas = [f"37{c:02d}00" for c in range(1, 17)]
    per = np.full(len(areas), n // len(areas))
    per[: n % len(areas)] += 1
    blocks = []
    space = 31**9
    for area, count in zip(areas, per.tolist(), strict=True):
        values = np.unique(rng.integers(0, space, size=int(count * 1.01) + 16, dtype=np.int64))
        while len(values) < count:
            values = np.unique(
                np.concatenate([values, rng.integers(0, space, size=count, dtype=np.int64)])
            )
        values = np.sort(rng.choice(values, size=count, replace=False))
        digits = np.empty((count, 9), dtype=np.int64)
        rest = values.copy()
        for k in range(8, -1, -1):
            digits[:, k] = rest % 31
            rest //= 31
        prefix = [_VALUE[c] for c in "91" + area]
        total = (
            sum(v * int(w) for v, w in zip(prefix, _WEIGHTS[:8], strict=True))
            + digits @ _WEIGHTS[8:]
        )
        check = (31 - total % 31) % 31
        chars = np.empty((count, 18), dtype=np.uint8)
        chars[:, :8] = np.frombuffer(("91" + area).encode(), dtype=np.uint8)
        chars[:, 8:17] = _ALPHA[digits]
        chars[:, 17] = _ALPHA[check]
        blocks.append(chars)
    return np.concatenate(blocks).view("S18").reshape(-1)


def synthetic_snapshot(n: int, seed: int) -> Snapshot:
    rng = np.random.default_rng(seed + 1)
    codes = synthetic_codes(n, seed)
    status = rng.choice(5, size=n, p=[0.96, 0.02, 0.01, 0.005, 0.005]).astype(np.uint8)
    return Snapshot(
        rev=1,
        uscc=codes,
        risk=rng.choice(5, size=n, p=RISK_P).astype(np.uint8),
        status=status,
        codes={c: rng.integers(0, 5, size=n).astype(np.uint32) for c in DICT_COLUMNS},
        vocab={c: [f"{c}-{i}" for i in range(5)] for c in DICT_COLUMNS},
    )


def prior_checks(snap: Snapshot, seed: int) -> dict[str, int]:
    """Checks of this year from earlier draws: 1 % of the entities, once or twice."""
    rng = np.random.default_rng(seed + 2)
    rows = rng.choice(snap.size, size=max(1, snap.size // 100), replace=False)
    times = rng.integers(1, 3, size=len(rows))
    return {
        snap.uscc[r].decode(): int(t) for r, t in zip(rows.tolist(), times.tolist(), strict=True)
    }


def roster(count: int, seed: int, department: str = "信用监管科") -> list[p.RosterEntry]:
    rng = np.random.default_rng(seed + 3)
    return [
        p.RosterEntry(
            inspector_id=f"I{i:06d}",
            name=f"检查员{i}",
            department=department,
            district="bench",
            leader_qualified=bool(rng.random() < 0.6),
            certificate_expires_on="2030-12-31",
            active=True,
            qualifications=("企业公示信息",),
        )
        for i in range(count)
    ]


def prepared(scale: str) -> Path:
    """Snapshot files of a scale, with this year's prior checks (generated once, reused)."""
    root = cache_dir() / f"{scale}-{SIZES[scale]}-v2"
    done = root / "READY"
    if not done.exists():
        snap = synthetic_snapshot(SIZES[scale], seed=len(scale))
        drawn = [u for u, times in prior_checks(snap, len(scale)).items() for _ in range(times)]
        snap.with_checks(2026, len(drawn), drawn, reset=True).save(root)
        done.write_text("ok\n")
    return root


TASK: dict[str, Any] = {
    "task_id": "BENCH",
    "task_no": "SD-2026-BENCH",
    "title": "全省企业公示信息双随机抽查（基准）",
    "lead_department": "信用监管科",
    "check_items": [{"code": "SD-QY-01", "name": "企业公示信息"}],
    "target_filter": {},
    "ratio_bp": RATIOS,
    "team_size": 2,
}


def _signer(party: str, person: str) -> Signer:
    """A party key (registered in a sense: the bench has no log) and a way to sign with it."""
    secret = p.sha256(f"bench/{person}".encode())
    public = ed25519.public_key(secret)
    start, end = date(2026, 1, 1), date(2027, 12, 31)
    message = p.key_message("bench", party, person, public, str(start), str(end))
    key = PartyKey.register(
        district="bench",
        party=party,
        holder=person,
        public_key=public.hex(),
        valid_from=start,
        valid_until=end,
        signature=ed25519.sign(secret, message).hex(),
        today=start,
    )
    return Signer(key, secret.hex())  # the secret rides in the signature slot until signed


def _signed(signer: Signer, message: bytes) -> Signer:
    return Signer(signer.key, ed25519.sign(bytes.fromhex(signer.signature), message).hex())


def draw(
    scale: str, snapshot_dir: Path, parties_seed: bytes, signed: bool = True
) -> tuple[Draw, p.Population, float]:
    """The whole draw: snapshot → manifest (the freeze), then, once the shares are in, seed →
    selection → matching. Returns the draw, its population and the seconds of those two steps
    (the parties' signed acts between them are separate requests, not timed). ``signed``:
    spotcheck-draw/3 as the service draws (each row's attributes in the leaves);
    else /1 (the verifier's figure stays comparable)."""
    t0 = time.perf_counter()
    snap = Snapshot.load(snapshot_dir)
    assert snap is not None
    strata = engine.strata_of(TASK, None)
    pop = snap.population(TASK["target_filter"], strata, attributes=signed)
    inspectors = roster(INSPECTORS[scale], 1)
    now = datetime(2026, 11, 26, tzinfo=UTC)
    draw_id = "00000000-0000-4000-8000-" + f"{len(scale):012d}"
    manifest = engine.build_manifest(
        draw_id=draw_id,
        district="bench",
        task=TASK,
        strata=strata,
        pop=pop,
        roster=inspectors,
        pools=[{"district": "bench", "departments": ["信用监管科"], "tier": 0}],
        neighbour_rule="none",
        parties=["信用监管科", "办公室"],
        beacon=None,
        draw_date=date(2026, 11, 26),
        frozen_at=now,
        snapshot_rev=snap.rev,
        reveal_deadline=now + timedelta(hours=72) if signed else None,
    )
    d = Draw(
        draw_id,
        "BENCH",
        "frozen",
        manifest,
        p.json_sha256(manifest),
        [r.to_json() for r in inspectors],
    )
    frozen = time.perf_counter() - t0
    shares = {party: p.sha256(parties_seed + party.encode()) for party in d.parties}
    signers = {party: SIGNERS[party] for party in d.parties} if signed else {}
    for party, share in shares.items():
        commitment = p.commitment_of(manifest, d.digest, party, share)
        sig = signers.get(party)
        message = p.commit_message(d.digest, party, commitment)
        by = sig.key.holder if sig else party
        d.commit(party, commitment.hex(), now, by, _signed(sig, message) if sig else None)
    for party, share in shares.items():
        sig = signers.get(party)
        message = p.reveal_message(d.digest, party, share)
        by = sig.key.holder if sig else party
        d.reveal(party, share.hex(), now, by, _signed(sig, message) if sig else None)
    t1 = time.perf_counter()
    seed = d.seed()
    result = engine.compute_result(
        manifest=manifest, seed=seed, pop=pop, roster=inspectors, salts=[]
    )
    d.record_result(seed, result)
    return d, pop, frozen + time.perf_counter() - t1


SIGNERS = {party: _signer(party, f"bench-{n}") for n, party in enumerate(["信用监管科", "办公室"])}


# -------------------------------------------------------------------------------- runs


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name: str, value: float, unit: str, target: float) -> str:
    return f"BENCH {name} {value:.4g} {unit} target={target:g} ratio={value / target:.3f}"


def run_draw(scale: str) -> list[str]:
    snapshot_dir = prepared(scale)
    draw(scale, snapshot_dir, b"warm-up")  # imports, page cache
    best = float("inf")
    for i in range(3 if scale != "province" else 2):
        d, _, seconds = draw(scale, snapshot_dir, f"run{i}".encode())
        best = min(best, seconds)
    assert d.result is not None
    targets = len(d.result["targets"])
    name = f"{scale}_draw"
    return [
        line(name, best, "s", TARGETS[name]),
        line(f"{name}_peak_rss", peak_mb(), "MB", MEMORY_BUDGET_MB[name]),
        f"# {name}: {d.manifest['algorithm']}, {SIZES[scale]} entities, {targets} targets, "
        f"{len(d.result['unstaffed'])} unstaffed, native={fast.native_available()}",
    ]


def run_matching() -> list[str]:
    rng = np.random.default_rng(5)
    codes = [c.decode() for c in synthetic_codes(10_000, 77)]
    pool = roster(2_000, 5)
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < 3_000:
        pairs.add((pool[int(rng.integers(2_000))].inspector_id, codes[int(rng.integers(10_000))]))
    key = p.draw_key(b"m" * 32, "bench-matching")
    order = [u for _, u in sorted((p.entity_ticket(key, c.encode()), c) for c in codes)]
    manifest = {
        "pools": [{"district": "bench", "departments": ["信用监管科"], "tier": 0}],
        "neighbour_rule": "none",
        "draw_date": "2026-11-26",
        "check_items": [{"code": "SD-QY-01", "name": "企业公示信息"}],
    }
    candidates = p.build_pool(pool, manifest)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        matcher = p.Matcher(key, candidates, 2, len(order), lambda i, u: (i, u) in pairs)
        result = matcher.run(order)
        best = min(best, time.perf_counter() - t0)
    assert not result.unstaffed, "capacity allows every target: all must be staffed"
    return [
        line("matching", best, "s", TARGETS["matching"]),
        line("matching_peak_rss", peak_mb(), "MB", MEMORY_BUDGET_MB["matching"]),
        f"# matching: 10000 targets, 2000 inspectors, 3000 recusal pairs, "
        f"{len(result.teams)} staffed, load cap {result.load_cap}",
    ]


def run_verifier() -> list[str]:
    # a /1 bundle: the recomputation is the same in /3, plus a few signatures and log records
    d, pop, _ = draw("province", prepared("province"), b"verify", signed=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(os.environ.get("SPOTCHECK_BENCH_BUNDLE") or Path(tmp) / "province-bundle.json")
        path.write_bytes(p.canonical_json(d.bundle(pop)))
        size_mb = path.stat().st_size / 2**20
        del d, pop
        script = Path(verify_draw.__file__)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-I", str(script), str(path)], capture_output=True, text=True
        )
        elapsed = time.perf_counter() - t0
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode != 0:
        raise SystemExit(f"verifier failed on the province bundle:\n{proc.stdout}\n{proc.stderr}")
    return [
        line("verifier_province", elapsed, "s", TARGETS["verifier_province"]),
        line("verifier_province_peak_rss", child, "MB", MEMORY_BUDGET_MB["verifier_province"]),
        f"# verifier_province: bundle {size_mb:.0f} MiB, {proc.stdout.strip().splitlines()[-1]}",
    ]


def run_proof() -> list[str]:
    """Public inclusion proofs at city scale from a SQLite database, as the service answers
    them: the stored tree (one chunk and log n nodes) against rebuilding the tree."""
    import asyncio
    import tempfile

    return asyncio.run(_proofs(tempfile.mkdtemp(prefix="spotcheck-proof-")))


async def _proofs(where: str) -> list[str]:
    from draws.adapters.repository import SqlDrawsRepository
    from draws.service_layer import views
    from spotcheck_common import migrations
    from spotcheck_common.db import Database
    from spotcheck_common.runner import load

    d, pop, _ = draw("city", prepared("city"), b"proof")
    d.created_at = datetime(2026, 11, 26, tzinfo=UTC)
    db = Database(f"sqlite+aiosqlite:///{where}/draws.db", "draws")
    await migrations.upgrade(db, load("draws").migrations)
    async with db.sessions() as session:
        await SqlDrawsRepository(session).add_draw(d, pop, [])
        await session.commit()
    rng = np.random.default_rng(3)
    picks = [pop.code(int(i)).decode() for i in rng.integers(0, pop.size, 200)]

    class Reads:  # the unit of work a view needs: the repository, nothing written
        def __init__(self, session: Any) -> None:
            self.draws = SqlDrawsRepository(session)

    took = []
    async with db.sessions() as session:
        reads: Any = Reads(session)
        for code in picks:
            t0 = time.perf_counter()
            _, _, proof = await views.proof(reads, d.draw_id, code)
            took.append(time.perf_counter() - t0)
            assert proof["uscc"] == code
        t0 = time.perf_counter()  # the former way, once: the whole draw, population and tree
        await reads.draws.get_draw(d.draw_id)
        leaves = fast.population_leaves(await reads.draws.get_population(d.draw_id))
        p.inclusion_proof(pop, picks[0], leaves)
        rebuilt = time.perf_counter() - t0
    await db.dispose()
    p99 = sorted(took)[int(len(took) * 0.99) - 1]
    return [
        line("proof_city_p99", p99, "s", TARGETS["proof_city_p99"]),
        f"# proof_city: 1,000,000 entities, 200 proofs from the stored tree, "
        f"median {sorted(took)[100] * 1000:.1f} ms; rebuilding the tree took {rebuilt:.2f} s",
    ]


RUNS = {
    "district_draw": lambda: run_draw("district"),
    "city_draw": lambda: run_draw("city"),
    "province_draw": lambda: run_draw("province"),
    "matching": run_matching,
    "verifier_province": run_verifier,
    "proof_city": run_proof,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/draws_bench.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(RUNS)} (default: all)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        for text in RUNS[args.one]():
            print(text, flush=True)
        return 0
    failed = False
    for name in args.names or list(RUNS):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True
        )
        sys.stdout.write(proc.stdout)
        sys.stdout.flush()
        if proc.returncode != 0:
            failed = True
            print(f"# {name} failed:\n{proc.stderr}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
