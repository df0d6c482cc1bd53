"""Fast selection and population Merkle root: numpy plus the C extension ``draws._native``.

Same results as the reference ``protocol.select`` / ``protocol.population_root`` (tested on
random populations). The tickets' first 8 bytes, as big-endian uint64, order the rows; only
the rows at or below each stratum's cut-off get their full 32-byte ticket, and ties of the
8-byte prefix are broken by the full ticket and then the USCC, exactly as the spec orders.
Without the extension, hashlib computes the tickets (slower, identical).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from typing import Any

import numpy as np

from draws.domain import protocol as p

try:  # the C extension, built at install time (csrc/tickets.c)
    _native: Any = importlib.import_module("draws._native")
except ImportError:  # no compiler at install time: pure hashlib, same bytes
    _native = None

THREADS = max(1, os.cpu_count() or 1)
# The first cut-off keeps about SLACK × the expected rows (+ 6 σ + PAD); too few → redone.
SLACK, PAD = 1.25, 64
_OUTCOME = np.array(list(p.STATUSES), dtype=object)


def native_available() -> bool:
    return _native is not None


def tickets_u64(key: bytes, uscc: bytes | memoryview) -> np.ndarray:
    if _native is not None:
        return np.frombuffer(_native.tickets_u64(key, uscc, THREADS), dtype=np.uint64)
    prefix = p.ENTITY_TICKET + key + b"\x12"
    n = len(uscc) // p.USCC_LEN
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        digest = hashlib.sha256(prefix + bytes(uscc[18 * i : 18 * i + 18])).digest()
        out[i] = int.from_bytes(digest[:8], "big")
    return out


def tickets_at(key: bytes, uscc: bytes | memoryview, rows: np.ndarray) -> list[bytes]:
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if _native is not None:
        raw = _native.tickets_at(key, uscc, rows.tobytes(), THREADS)
        return [raw[32 * i : 32 * i + 32] for i in range(len(rows))]
    return [p.entity_ticket(key, bytes(uscc[18 * int(i) : 18 * int(i) + 18])) for i in rows]


def population_leaves(pop: p.Population, chunk: int = p.CHUNK_SIZE) -> list[bytes]:
    if _native is None:
        return p.population_leaves(pop, chunk)
    columns = (pop.uscc, pop.stratum, pop.status, pop.checks, chunk, THREADS)
    # /3 (§14.13): the rows' attribute blocks follow the four columns in each leaf
    leaves = _native.chunk_leaves(*columns, *((pop.attributes,) if pop.attributes else ()))
    return [leaves[i : i + 32] for i in range(0, len(leaves), 32)]


def population_root(pop: p.Population, chunk: int = p.CHUNK_SIZE) -> bytes:
    return p.merkle_root(population_leaves(pop, chunk))


def _ordered(key: bytes, pop: p.Population, t64: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` in (ticket, uscc) order: by the 8-byte prefix, ties by full ticket and id."""
    order = rows[np.argsort(t64[rows], kind="stable")]
    prefixes = t64[order]
    if len(order) > 1 and bool(np.any(prefixes[1:] == prefixes[:-1])):
        # Rare (two equal 64-bit prefixes): order this candidate set by the full tickets.
        full = tickets_at(key, pop.uscc, order)
        keyed = sorted(zip(full, [pop.code(int(r)) for r in order], order.tolist(), strict=True))
        return np.array([r for _, _, r in keyed], dtype=np.int64)
    return order


def select(pop: p.Population, manifest: dict[str, Any], key: bytes) -> list[p.StratumResult]:
    strata = manifest["strata"]
    nstrata = len(strata)
    caps = np.array([min(255, int(s["cap"])) for s in strata], dtype=np.uint8)
    stratum = np.frombuffer(pop.stratum, dtype=np.uint8)
    status = np.frombuffer(pop.status, dtype=np.uint8)
    checks = np.frombuffer(pop.checks, dtype=np.uint8)
    if len(stratum) and int(stratum.max()) >= nstrata:
        raise ValueError("stratum index out of range")
    eligible = (status == p.ACTIVE) & (checks < caps[stratum])
    combined = stratum * np.uint8(2) + eligible.view(np.uint8) if nstrata < 128 else None
    if combined is not None:
        counts = [int(np.count_nonzero(combined == 2 * k + 1)) for k in range(nstrata)]
        sizes = [int(np.count_nonzero(combined == 2 * k)) + counts[k] for k in range(nstrata)]
    else:
        counts = np.bincount(stratum[eligible], minlength=nstrata).tolist()
        sizes = np.bincount(stratum, minlength=nstrata).tolist()
    keys = [s["key"] for s in strata]
    qs = p.quotas([int(s["ratio_bp"]) for s in strata], counts, keys)
    sel = manifest["selection"]
    results = [
        p.StratumResult(k, n, q, p.reserve_size(q, int(sel["reserve_bp"]), int(sel["reserve_min"])))
        for k, n, q in zip(keys, counts, qs, strict=True)
    ]
    if not any(qs):
        return results
    t64 = tickets_u64(key, pop.uscc)
    # Tickets are uniform: a stratum's walk needs about need × size / eligible of its smallest
    # tickets. One pass keeps every row under a generous cut-off per stratum; a stratum whose
    # walk is not complete within its cut-off is redone exactly (the cut-off doubled).
    fraction = [0.0] * nstrata
    for k, res in enumerate(results):
        if res.quota:
            need = res.quota + res.reserve_size
            expected = need * sizes[k] / max(1, counts[k])
            fraction[k] = min(1.0, (expected * SLACK + 6 * expected**0.5 + PAD) / max(1, sizes[k]))
    cut = np.array([min(2**64 - 1, int(f * 2**64)) for f in fraction], dtype=np.uint64)
    pre = (
        np.flatnonzero(t64 <= cut.max())
        if cut.max() < np.uint64(2**64 - 1)
        else np.arange(len(t64))
    )
    pre = pre[t64[pre] <= cut[stratum[pre]]]
    pre_stratum = stratum[pre]
    for k, res in enumerate(results):
        if res.quota == 0:
            continue
        need = res.quota + res.reserve_size
        cand = pre[pre_stratum == k]
        limit = cut[k]
        while True:
            order = _ordered(key, pop, t64, cand)
            ok = eligible[order]
            filled = int(np.searchsorted(np.cumsum(ok), need))  # index of the need-th eligible
            if filled < len(order) or len(cand) == sizes[k]:
                break
            limit = np.uint64(min(2**64 - 1, int(limit) * 2 + 1))
            rows = np.flatnonzero(stratum == k)
            cand = rows[t64[rows] <= limit]
        end = min(filled + 1, len(order))
        walk_rows = order[:end]
        ok = ok[:end]
        rank = np.cumsum(ok)
        outcome = np.where(
            ~ok,
            np.where(status[walk_rows] != p.ACTIVE, _OUTCOME[status[walk_rows]], p.SKIP_YEARLY_CAP),
            np.where(rank <= res.quota, "selected", "reserve"),
        )
        codes = pop.uscc
        res.walk = [
            (bytes(codes[18 * r : 18 * r + 18]).decode("ascii"), str(o))
            for r, o in zip(walk_rows.tolist(), outcome.tolist(), strict=True)
        ]
    return results
