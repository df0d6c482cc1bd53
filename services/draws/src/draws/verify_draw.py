#!/usr/bin/env python3
"""spotcheck-verify: recompute a spotcheck draw from its published bundle.

    python verify_draw.py BUNDLE.json            (or: spotcheck-verify BUNDLE.json)
    python verify_draw.py BUNDLE.json --log LOG.json
                                                 (spotcheck-draw/3: also against the district's
                                                 full draw log, GET /public/draws/log)
    python verify_draw.py BUNDLE.json --prior PRIOR1.json PRIOR2.json …
                                                 (spotcheck-draw/3: recompute the yearly
                                                 checks from the bundles of the draws they
                                                 count, listed in manifest.checks)
    python verify_draw.py --proof PROOF.json     (one entity's Merkle proof: that it is in a
                                                 draw's population, or that it is not)

Standard library only; one file, so anyone can download it from the public site and run it.
It follows docs/draw-spec.md (protocols "spotcheck-draw/1", "spotcheck-draw/2", the latter
adding experts, and "spotcheck-draw/3", the signed ceremony): it recomputes the manifest digest,
the Merkle roots of the population, of the inspector roster and of the expert roster, the
commitments, the seed, the quotas, the selection with its skips and reserve list, the matching
(experts included) and the replacements, checks every hard constraint and, for /3, the draw
log's records, the party keys and every Ed25519 signature (verified by this file's own
RFC 8032 code) — and for a /3 draw whose teams were assigned directly (§15), the assignment's
signature and the hard rules on the assigned teams, and for a /3 draw with co-organising
agencies (§16), each agency's pool, party and inspectors on every team; it exits 0 when
everything matches, 1 naming the first difference, 2 when a file cannot be read.
"""

from __future__ import annotations

import base64
import binascii
import gc
import hashlib
import heapq
import json
import multiprocessing
import os
import re
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

ALGORITHM = "spotcheck-draw/1"
ALGORITHM_EXPERTS = "spotcheck-draw/2"  # /1 plus experts (spec §8.4)
ALGORITHM_SIGNED = "spotcheck-draw/3"  # /2 plus signed acts, the draw log, per-role caps (§14)
ALGORITHMS = (ALGORITHM, ALGORITHM_EXPERTS, ALGORITHM_SIGNED)
BUNDLE_FORMAT = "spotcheck-draw-bundle/1"
PROOF_FORMAT = "spotcheck-draw-proof/1"  # an entity is in the population (§4.3)
NONPROOF_FORMAT = "spotcheck-draw-nonproof/1"  # a USCC is not in it (§4.4)
STATUSES = ("active", "deregistered", "revoked", "cancelled", "moved_out")
YEARLY_CAP = "yearly_cap"
QUALIFY_ALL = "双随机全部事项"
USCC_LEN = 18
CHUNK = 256  # /3: the population's chunk size is fixed (§14.10)
ATTRIBUTES = ("entity_types", "industries", "areas")  # /3: the rows' scope (§14.13)
# §4.1: the kinds of object a task may target other than market entities (the default, which
# a manifest says by having no target_filter.object_kind), and the kind of a code.
OBJECT_KINDS = (
    "organ", "institution", "social_organisation", "other_organisation",
    "product", "project", "conduct",
)  # fmt: skip
ASSIGNED_KINDS = {"P": "product", "J": "project", "X": "conduct"}
OFFICE = "办公室"  # the supervising party: it alone countersigns (§14.4)
DIRECT = "direct-assignment"  # /3 manifest.matching.rule: teams assigned, not drawn (§15)
ASSIGNING_PARTY = "信用监管科"  # whose key signs a direct assignment (§15.3)
AGENCY_PARTY = ":联合检查单位"  # §16: a co-organising agency's party is <agency> + this
LOG_GENESIS = "0" * 64  # the ``prev`` of a draw log's first record (§14.6)
CHINA = timezone(timedelta(hours=8))  # China Standard Time: the day a key is valid on (§14.2)
SIGNED_KEYS = ("key_id", "signature")


class Difference(Exception):
    """The first place where the bundle and the recomputation disagree."""


# ----------------------------------------------------------------------------- encodings


def lp(data: bytes) -> bytes:
    if len(data) > 255:
        raise Difference(f"field longer than 255 bytes: {data[:24]!r}")
    return bytes((len(data),)) + data


def lps(text: str) -> bytes:
    return lp(text.encode("utf-8"))


def h(data: bytes | memoryview) -> bytes:
    return hashlib.sha256(data).digest()


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def unhex(value: Any, size: int | None, what: str) -> bytes:
    if not isinstance(value, str) or value != value.lower():
        raise Difference(f"{what}: not lower-case hex")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise Difference(f"{what}: not hex") from None
    if raw.hex() != value or (size is not None and len(raw) != size):
        raise Difference(f"{what}: expected {size} bytes of hex")
    return raw


def b64(value: Any, what: str) -> bytes:
    """Strict, canonical base64 (RFC 4648 §4, padded, no line breaks, zero trailing bits)."""
    if isinstance(value, str):
        value = value.encode("ascii", "replace")
    if not isinstance(value, bytes | bytearray | memoryview):
        raise Difference(f"{what}: not a base64 string")
    try:
        raw = binascii.a2b_base64(value, strict_mode=True)
    except binascii.Error:
        raise Difference(f"{what}: invalid base64") from None
    tail = len(raw) % 3 or 3
    if len(value) != 4 * ((len(raw) + 2) // 3) or (
        raw and base64.b64encode(raw[-tail:]) != bytes(value[-4:])
    ):
        raise Difference(f"{what}: base64 not canonical")
    return raw


def expect(got: Any, want: Any, what: str) -> None:
    if got != want:
        raise Difference(f"{what}: bundle has {short(got)}, recomputed {short(want)}")


def short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else value.hex()
    return text if len(text) <= 160 else text[:157] + "..."


# ---------------------------------------------------------------------------- Merkle


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962: leaves hashed as SHA-256(0x00‖data), nodes SHA-256(0x01‖left‖right)."""
    if not leaves:
        return h(b"")
    level = leaves
    while len(level) > 1:
        nxt = [h(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def path_root(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    node, width, steps = leaf, size, list(path)
    while width > 1:
        if index % 2 == 1:
            if not steps:
                raise Difference("proof path too short")
            node = h(b"\x01" + steps.pop(0) + node)
        elif index + 1 < width:
            if not steps:
                raise Difference("proof path too short")
            node = h(b"\x01" + node + steps.pop(0))
        index, width = index // 2, (width + 1) // 2
    if steps:
        raise Difference("proof path too long")
    return node


def chunk_leaf(
    u: bytes, s: bytes, st: bytes, c: bytes, a: int, b: int, attrs: bytes = b""
) -> bytes:
    """A chunk's leaf (§4.2); in /3 its rows' attributes follow (§14.13): the rows' slice of
    each of the three 2-byte blocks."""
    data = (b - a).to_bytes(4, "big") + u[USCC_LEN * a : USCC_LEN * b] + s[a:b] + st[a:b] + c[a:b]
    n = len(s)
    for k in range(3 if attrs else 0):
        data += attrs[2 * (k * n + a) : 2 * (k * n + b)]
    return h(b"\x00" + data)


def roster_record(r: dict[str, Any]) -> bytes:
    return (
        lps(r["inspector_id"])
        + lps(r["name"])
        + lps(r["department"])
        + lps(r["district"])
        + bytes((int(r["leader_qualified"]),))
        + lps(r["certificate_expires_on"])
        + bytes((int(r["active"]),))
        + bytes((len(r["qualifications"]),))
        + b"".join(lps(q) for q in r["qualifications"])
        + len(r["recusals"]).to_bytes(2, "big")
        + b"".join(unhex(x, 32, "recusal commitment") for x in r["recusals"])
    )


def expert_record(r: dict[str, Any]) -> bytes:
    return (
        lps(r["expert_id"])
        + lps(r["name"])
        + lps(r["field"])
        + lps(r["organization"])
        + bytes((int(r["active"]),))
        + len(r["recusals"]).to_bytes(2, "big")
        + b"".join(unhex(x, 32, "expert recusal commitment") for x in r["recusals"])
    )


# ------------------------------------------------------------------- Ed25519 (verify)
#
# RFC 8032 §5.1.7, verification only, written for this file: points of the twisted Edwards
# curve −x² + y² = 1 + d·x²·y² in projective coordinates (X : Y : Z), x = X/Z, y = Y/Z; one
# complete addition law (it also doubles); [S]B + [k](−A) in a single joint double-and-add
# pass, whose encoding must be R's bytes (the cofactorless check [S]B = R + [k]A).

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
ED_D = -121665 * pow(121666, -1, ED_P) % ED_P
ED_I = pow(2, (ED_P - 1) // 4, ED_P)  # a square root of −1

EdPoint = tuple[int, int, int]


def ed_add(a: EdPoint, b: EdPoint) -> EdPoint:
    """Projective addition on a = −1 twisted Edwards (add-2008-bbjlp); complete, as d is not a
    square, so it serves for doubling and for the neutral element too."""
    x1, y1, z1 = a
    x2, y2, z2 = b
    zz = z1 * z2 % ED_P
    zz2 = zz * zz % ED_P
    xx = x1 * x2 % ED_P
    yy = y1 * y2 % ED_P
    dxy = ED_D * xx % ED_P * yy % ED_P
    f, g = (zz2 - dxy) % ED_P, (zz2 + dxy) % ED_P
    cross = ((x1 + y1) * (x2 + y2) - xx - yy) % ED_P
    return zz * f % ED_P * cross % ED_P, zz * g % ED_P * (yy + xx) % ED_P, f * g % ED_P


def ed_decode(raw: bytes) -> EdPoint | None:
    """RFC 8032 §5.1.3: the point of a 32-byte encoding; None for y ≥ p, for a y with no x on
    the curve and for the sign bit set on x = 0 (non-canonical)."""
    if len(raw) != 32:
        return None
    word = int.from_bytes(raw, "little")
    y, x_odd = word & ((1 << 255) - 1), word >> 255
    if y >= ED_P:
        return None
    u, v = (y * y - 1) % ED_P, (ED_D * y * y + 1) % ED_P
    x = u * pow(v, 3, ED_P) * pow(u * pow(v, 7, ED_P), (ED_P - 5) // 8, ED_P) % ED_P
    if v * x * x % ED_P != u:
        if v * x * x % ED_P != -u % ED_P:
            return None
        x = x * ED_I % ED_P
    if x == 0 and x_odd:
        return None
    if x & 1 != x_odd:
        x = ED_P - x
    return x, y, 1


def ed_encode(point: EdPoint) -> bytes:
    x, y, z = point
    inv = pow(z, -1, ED_P)
    x, y = x * inv % ED_P, y * inv % ED_P
    return (y | (x & 1) << 255).to_bytes(32, "little")


ED_B = ed_decode((4 * pow(5, -1, ED_P) % ED_P).to_bytes(32, "little"))  # y = 4/5, x even


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (R ‖ S) is the key's pure Ed25519 signature of ``message``."""
    if ED_B is None or len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = ed_decode(public_key), ed_decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= ED_L:
        return False
    digest = hashlib.sha512(signature[:32] + public_key + message).digest()
    k = int.from_bytes(digest, "little") % ED_L
    minus_a = (ED_P - a[0], a[1], a[2])
    table = {(1, 0): ED_B, (0, 1): minus_a, (1, 1): ed_add(ED_B, minus_a)}
    acc: EdPoint = (0, 1, 1)
    for bit in reversed(range(max(s.bit_length(), k.bit_length()))):
        acc = ed_add(acc, acc)
        pair = (s >> bit & 1, k >> bit & 1)
        if pair != (0, 0):
            acc = ed_add(acc, table[pair])
    # R decoded, so its bytes are canonical: equal encodings mean equal points.
    return ed_encode(acc) == signature[:32]


# --------------------------------------------------------------------- selection (scan)

_COLS: tuple[bytes, bytes, bytes, bytes] = (b"", b"", b"", b"")


def _scan(args: tuple[int, int, bytes, bytes]) -> tuple[list[tuple[int, bytes]], list[int]]:
    """Tickets of rows a..b; keeps (row, ticket) at or below ``limit``; notes order faults."""
    a, b, prefix, limit = args
    u = _COLS[0]
    sha = hashlib.sha256
    kept: list[tuple[int, bytes]] = []
    faults: list[int] = []
    prev = u[USCC_LEN * (a - 1) : USCC_LEN * a] if a else b""
    starts = range(USCC_LEN * a, USCC_LEN * b, USCC_LEN)
    codes = map(
        u.__getitem__, map(slice, starts, range(USCC_LEN * (a + 1), USCC_LEN * (b + 1), USCC_LEN))
    )
    for i, code in enumerate(codes, a):
        t = sha(prefix + code).digest()
        if t <= limit:
            kept.append((i, t))
        if code <= prev:
            faults.append(i)
        prev = code
    return kept, faults


def scan_population(
    cols: tuple[bytes, bytes, bytes, bytes], prefix: bytes, limit: bytes, workers: int
) -> list[tuple[int, bytes]]:
    """(row, ticket) of every row whose ticket is ≤ ``limit``, over ``workers`` processes;
    also checks that the USCCs ascend strictly."""
    global _COLS
    _COLS = cols
    n = len(cols[1])
    parts = max(1, min(workers, n // 100_000 or 1))
    jobs = [(n * i // parts, n * (i + 1) // parts, prefix, limit) for i in range(parts)]
    if parts > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(parts) as pool:
            outs = pool.map(_scan, jobs)
    else:
        outs = [_scan(j) for j in jobs]
    kept: list[tuple[int, bytes]] = []
    for part, faults in outs:
        if faults:
            raise Difference(f"population record {faults[0]}: USCCs not strictly ascending")
        kept.extend(part)
    return kept


def eligible_counts(s: bytes, st: bytes, c: bytes, caps: list[int]) -> list[int]:
    """Per stratum, rows with status active and checks below the stratum's cap."""
    n, k = len(s), len(caps)
    if n and max(s) >= k:
        row = next(i for i, v in enumerate(s) if v >= k)
        raise Difference(f"population record {row}: stratum index out of range")
    if k <= 8 and max(caps, default=0) <= 15:
        # One byte per row, built with whole-column integer arithmetic (no carries: the
        # fields occupy disjoint bits): stratum·32 + min(checks, 15)·2 + (status == active).
        active = st.translate(bytes([1] + [0] * 255))
        clipped = c.translate(bytes(min(v, 15) for v in range(256)))
        code = (int.from_bytes(s, "big") << 5) + (int.from_bytes(clipped, "big") << 1)
        packed = (code + int.from_bytes(active, "big")).to_bytes(n, "big")
        return [
            sum(packed.count(bytes((j * 32 + x * 2 + 1,))) for x in range(caps[j]))
            for j in range(k)
        ]
    counts = [0] * k
    for j, status, times in zip(s, st, c, strict=True):
        if status == 0 and times < caps[j]:
            counts[j] += 1
    return counts


def quotas(ratios: list[int], eligible: list[int], keys: list[str]) -> list[int]:
    exact = [n * bp for n, bp in zip(eligible, ratios, strict=True)]
    total = (sum(exact) + 5000) // 10000
    base = [e // 10000 for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] % 10000), keys[i].encode()))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def walk(cands: list[tuple[bytes, bytes, int, int]], quota: int, reserve: int, cap: int):
    """Returns (walk, filled): filled is False when candidates ran out first."""
    out: list[list[str]] = []
    sel = res = 0
    if quota == 0:
        return out, True
    for _, code, status, checks in cands:
        if sel == quota and res == reserve:
            return out, True
        u = code.decode("ascii")
        if status != 0:
            if status >= len(STATUSES):
                raise Difference(f"entity {u}: unknown status code {status}")
            out.append([u, STATUSES[status]])
        elif checks >= cap:
            out.append([u, YEARLY_CAP])
        elif sel < quota:
            out.append([u, "selected"])
            sel += 1
        else:
            out.append([u, "reserve"])
            res += 1
    return out, sel == quota and res == reserve


# ------------------------------------------------------------------------------ matching


def qualified(quals: list[str], items: list[dict[str, str]]) -> bool:
    if QUALIFY_ALL in quals:
        return True
    return all(i["code"] in quals or i["name"] in quals for i in items)


def tier_of(r: dict[str, Any], m: dict[str, Any]) -> int | None:
    for pool in m["pools"]:
        if r["district"] == pool["district"] and r["department"] in pool["departments"]:
            if pool["tier"] > 0 and m["neighbour_rule"] != "fill-when-short":
                return None
            return int(pool["tier"])
    return None


def excluded(r: dict[str, Any], m: dict[str, Any]) -> str | None:
    if tier_of(r, m) is None:
        return "not in the manifest's pools"
    if not r["active"]:
        return "not active"
    if r["certificate_expires_on"] < m["draw_date"]:
        return "certificate expired on the draw date"
    if not qualified(r["qualifications"], m["check_items"]):
        return "not qualified for the task's items"
    return None


class Matching:
    """Replays the matching rule of the spec (§8) with the disclosed recusals as oracle.

    ``per_role`` (/3, §14.5): a leader-qualified inspector's own cap is
    C_L = max(C, ⌈T / L⌉ + 1), L the leader-qualified inspectors of the pool; others keep C."""

    def __init__(
        self,
        key: bytes,
        m: dict[str, Any],
        roster: list[dict[str, Any]],
        targets: int,
        recused: set[tuple[str, str]],
        per_role: bool = False,
    ) -> None:
        self.key = key
        self.pool = {r["inspector_id"]: r for r in roster if excluded(r, m) is None}
        self.tier = {i: tier_of(r, m) for i, r in self.pool.items()}
        self.size = int(m["team"]["size"])
        self.cap = -(-self.size * targets // len(self.pool)) + 1 if self.pool else 0
        leaders = sum(1 for r in self.pool.values() if r["leader_qualified"])
        self.leader_cap = self.cap
        if per_role and leaders:
            self.leader_cap = max(self.cap, -(-targets // leaders) + 1)
        self.cap_of = {
            i: self.leader_cap if r["leader_qualified"] else self.cap for i, r in self.pool.items()
        }
        self.short: dict[str, str] = {}  # why a target is unstaffed (§14.5)
        self.load = dict.fromkeys(self.pool, 0)
        self.recused = recused
        # /3 (§14.11): targets whose positions' alternates the replacements need, how many
        # each, the recusals their disclosures open, and the alternates found
        self.peek: set[str] = set()
        self.peek_count = 0
        self.peek_recused: set[tuple[str, str]] = set()
        self.alternates: dict[str, list[tuple[list[str], list[str]]]] = {}
        self.used: set[tuple[str, str]] = set()
        self.met: list[tuple[str, str]] = []  # (uscc, id) recusals met, in the order met
        self.conflict: dict[str, set[str]] = {}
        for a, b in m["pair_conflicts"]:
            self.conflict.setdefault(a, set()).add(b)
            self.conflict.setdefault(b, set()).add(a)
        self.heaps: dict[bool, list[tuple[Any, ...]]] = {True: [], False: []}
        for i in sorted(self.pool, key=lambda x: x.encode("utf-8")):
            self.push(i)

    def ticket(self, i: str, load: int) -> bytes:
        return h(b"\x02" + self.key + lps(i) + load.to_bytes(4, "big"))

    def push(self, i: str) -> None:
        load = self.load[i]
        if load < self.cap_of[i]:
            lq = bool(self.pool[i]["leader_qualified"])
            heapq.heappush(
                self.heaps[lq], (self.tier[i], load, self.ticket(i, load), i.encode("utf-8"), i)
            )

    def blocked(self, i: str, team: list[str]) -> bool:
        return i in team or any(t in self.conflict.get(i, ()) for t in team)

    def choose(self, uscc: str, team: list[str], leader: bool, aside: list[Any]) -> str | None:
        while True:
            best = None
            for lq in (True,) if leader else (True, False):
                heap = self.heaps[lq]
                while heap:
                    e = heap[0]
                    if e[1] != self.load[e[4]] or e[1] >= self.cap_of[e[4]]:
                        heapq.heappop(heap)
                    elif self.blocked(e[4], team):
                        aside.append((lq, heapq.heappop(heap)))
                    else:
                        break
                if heap:
                    e = heap[0]
                    rank = (e[0], e[1], 0 if leader else int(lq), e[2], e[3])
                    if best is None or rank < best[0]:
                        best = (rank, lq)
            if best is None:
                return None
            e = heapq.heappop(self.heaps[best[1]])
            aside.append((best[1], e))
            if (uscc, e[4]) in self.recused:
                self.meet(uscc, e[4])
                continue
            return e[4]

    def meet(self, uscc: str, i: str) -> None:
        """A recusal met on the way (§14.9: the disclosures are exactly these, in this order)."""
        if (uscc, i) not in self.used:
            self.used.add((uscc, i))
            self.met.append((uscc, i))

    def staff(self, uscc: str) -> list[list[str]]:
        team: list[str] = []
        aside: list[Any] = []
        for step in range(self.size):
            i = self.choose(uscc, team, step == 0, aside)
            if i is None:
                self.short[uscc] = "leader" if step == 0 else "member"
                break
            team.append(i)
        full = len(team) == self.size
        for lq, e in aside:
            if not full or e[4] not in team:
                heapq.heappush(self.heaps[lq], e)
        if not full:
            return []
        if uscc in self.peek:  # /3 (§14.11): the positions' alternates, as the team is found
            self.alternates[uscc] = [self.next_ones(uscc, team, k) for k in range(len(team))]
        for i in team:
            self.load[i] += 1
            self.push(i)
        return [[i, "leader" if n == 0 else "member"] for n, i in enumerate(team)]

    def next_ones(self, uscc: str, team: list[str], k: int) -> tuple[list[str], list[str]]:
        """§14.11: position ``k``'s next candidates in its search — not on the team, no pair
        conflict with the rest, not recused (met, per the replacements' disclosures) — with the
        recusals met; the heaps are put back as they were."""
        rest = [i for i in team if i != team[k]]
        taken: list[str] = []
        met: list[str] = []
        aside: list[Any] = []
        while len(taken) < self.peek_count:
            best = None
            for lq in (True,) if k == 0 else (True, False):
                heap = self.heaps[lq]
                while heap:
                    e = heap[0]
                    if e[1] != self.load[e[4]] or e[1] >= self.cap_of[e[4]]:
                        heapq.heappop(heap)
                    elif e[4] in team or self.blocked(e[4], rest):
                        aside.append((lq, heapq.heappop(heap)))
                    else:
                        rank = (e[0], e[1], 0 if k == 0 else int(lq), e[2], e[3])
                        if best is None or rank < best[0]:
                            best = (rank, lq)
                        break
            if best is None:
                break
            e = heapq.heappop(self.heaps[best[1]])
            aside.append((best[1], e))
            (met if (uscc, e[4]) in self.peek_recused else taken).append(e[4])
        for lq, e in aside:
            heapq.heappush(self.heaps[lq], e)
        return taken, met

    def unstaff(self, team: list[list[str]]) -> None:
        """The team's experts could not be found (§8.4): its loads go back."""
        for i, _ in team:
            self.load[i] -= 1
            self.push(i)

    def replace(self, uscc: str, team: list[list[str]], out: str, gone: set[str]) -> str | None:
        role = dict((i, r) for i, r in team)[out]
        rest = [i for i, _ in team if i != out]
        self.load[out] -= 1
        ranked = []
        for i, r in self.pool.items():
            if i == out or i in gone or self.load[i] >= self.cap_of[i] or self.blocked(i, rest):
                continue
            if role == "leader" and not r["leader_qualified"]:
                continue
            lq = 0 if role == "leader" else int(bool(r["leader_qualified"]))
            ranked.append(
                ((self.tier[i], self.load[i], lq, self.ticket(i, self.load[i]), i.encode()), i)
            )
        ranked.sort()
        for _, i in ranked:
            if (uscc, i) in self.recused:
                self.meet(uscc, i)
                continue
            self.load[i] += 1
            return i
        self.load[out] += 1
        return None


class ExpertMatching:
    """Replays the expert rule of the spec (§8.4) with the disclosed expert recusals."""

    def __init__(
        self,
        key: bytes,
        m: dict[str, Any],
        roster: list[dict[str, Any]],
        targets: int,
        recused: set[tuple[str, str]],
    ) -> None:
        self.key = key
        fields = set(m["experts"]["fields"])
        self.pool = {
            r["expert_id"]: r
            for r in roster
            if r["active"] is True and (not fields or r["field"] in fields)
        }
        self.per = int(m["experts"]["per_target"])
        self.cap = -(-self.per * targets // len(self.pool)) + 1 if self.pool else 0
        self.load = dict.fromkeys(self.pool, 0)
        self.recused = recused
        self.met: list[tuple[str, str]] = []  # (uscc, expert_id) recusals met, in order
        self.heap: list[tuple[int, bytes, bytes, str]] = []
        for e in sorted(self.pool, key=lambda x: x.encode("utf-8")):
            self.push(e)

    def ticket(self, e: str, load: int) -> bytes:
        return h(b"\x03" + self.key + lps(e) + load.to_bytes(4, "big"))

    def push(self, e: str) -> None:
        load = self.load[e]
        if load < self.cap:
            heapq.heappush(self.heap, (load, self.ticket(e, load), e.encode("utf-8"), e))

    def unstaff(self, chosen: list[str]) -> None:
        """The target's agencies' inspectors could not be found (§16): its loads go back."""
        for e in chosen:
            self.load[e] -= 1
            self.push(e)

    def staff(self, uscc: str) -> list[str] | None:
        chosen: list[str] = []
        aside: list[tuple[int, bytes, bytes, str]] = []
        while len(chosen) < self.per:
            found = None
            while self.heap:
                x = self.heap[0]
                if x[0] != self.load[x[3]] or x[0] >= self.cap:
                    heapq.heappop(self.heap)
                    continue
                aside.append(heapq.heappop(self.heap))
                if x[3] in chosen:
                    continue
                if (uscc, x[3]) in self.recused:
                    if (uscc, x[3]) not in self.met:
                        self.met.append((uscc, x[3]))
                    continue
                found = x[3]
                break
            if found is None:
                for x in aside:
                    heapq.heappush(self.heap, x)
                return None
            chosen.append(found)
        for x in aside:
            if x[3] not in chosen:
                heapq.heappush(self.heap, x)
        for e in chosen:
            self.load[e] += 1
            self.push(e)
        return chosen


class AgencyMatching:
    """Replays the co-organisers' rule of the spec (§16) with their disclosed recusals."""

    def __init__(
        self,
        key: bytes,
        m: dict[str, Any],
        roster: list[dict[str, Any]],
        targets: int,
        recused: set[tuple[str, str]],
        conflict: dict[str, set[str]],
    ) -> None:
        self.key = key
        self.pools: list[tuple[str, int, list[str]]] = []
        for co in m["co_organisers"]:
            pool = [
                r["inspector_id"]
                for r in roster
                if r["district"] == co["agency"]
                and r["active"] is True
                and r["certificate_expires_on"] >= m["draw_date"]
                and qualified(r["qualifications"], co["check_items"])
            ]
            self.pools.append((co["agency"], int(co["per_team"]), pool))
        self.cap = {
            a: -(-per * targets // len(pool)) + 1 if pool else 0 for a, per, pool in self.pools
        }
        self.agency_of = {i: a for a, _, pool in self.pools for i in pool}
        self.load = dict.fromkeys(self.agency_of, 0)
        self.recused = recused
        self.conflict = conflict
        self.met: list[tuple[str, str]] = []  # (uscc, inspector_id) recusals met, in order

    def ticket(self, i: str, load: int) -> bytes:
        return h(b"\x04" + self.key + lps(i) + load.to_bytes(4, "big"))

    def staff(self, uscc: str, team: list[str]) -> list[str] | None:
        on = list(team)
        for agency, per, pool in self.pools:
            for _ in range(per):
                ranked = sorted(
                    (self.load[i], self.ticket(i, self.load[i]), i.encode("utf-8"), i)
                    for i in pool
                    if i not in on
                    and self.load[i] < self.cap[agency]
                    and not any(x in self.conflict.get(i, ()) for x in on)
                )
                found = None
                for *_, i in ranked:
                    if (uscc, i) in self.recused:
                        if (uscc, i) not in self.met:
                            self.met.append((uscc, i))
                        continue
                    found = i
                    break
                if found is None:
                    return None
                on.append(found)
        chosen = on[len(team) :]
        for i in chosen:
            self.load[i] += 1
        return chosen


def expert_openings(disclosures: Any, by_id: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    out = set()
    if not isinstance(disclosures, list):
        raise Difference("expert recusal disclosures: not a list")
    for d in disclosures:
        e, u = d["expert_id"], d["uscc"]
        salt = unhex(d["salt"], 16, "expert recusal disclosure: salt")
        if e not in by_id:
            raise Difference(f"expert recusal disclosure: {e} is not on the expert roster")
        c = h(lps("spotcheck/expert-recusal/v1") + lp(salt) + lps(e) + lps(u)).hex()
        if c not in by_id[e]["recusals"]:
            raise Difference(f"expert recusal of {e} from {u} does not open a committed entry")
        out.add((u, e))
    return out


def openings(disclosures: Any, by_id: dict[str, dict[str, Any]], what: str) -> set[tuple[str, str]]:
    out = set()
    if not isinstance(disclosures, list):
        raise Difference(f"{what}: not a list")
    for d in disclosures:
        i, u = d["inspector_id"], d["uscc"]
        salt = unhex(d["salt"], 16, f"{what}: salt")
        if i not in by_id:
            raise Difference(f"{what}: {i} is not on the roster")
        c = h(lps("spotcheck/recusal/v1") + lp(salt) + lps(i) + lps(u)).hex()
        if c not in by_id[i]["recusals"]:
            raise Difference(f"{what}: recusal of {i} from {u} does not open a committed entry")
        out.add((u, i))
    return out


# ------------------------------------------------------------------------------- verify


class Report:
    def __init__(self) -> None:
        self.ok = False
        self.difference: str | None = None
        self.lines: list[str] = []

    def note(self, line: str) -> None:
        self.lines.append(line)


POPULATION_KEYS = ("checks", "status", "stratum", "uscc")


def split_bundle(raw: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Parse a bundle: check its digest over the body's exact bytes, cut the four population
    columns (long base64 strings) out of the body by their canonical position, parse the rest
    and check that it is canonical JSON. Returns (body, decoded columns)."""
    head, mid, end = b'{"body":', b',"body_sha256":"', b'"}'
    cut = raw.rfind(mid)
    if not raw.startswith(head) or cut < 0 or not raw.endswith(end):
        raise Difference('bundle must be {"body":...,"body_sha256":"..."} in canonical JSON')
    digest = raw[cut + len(mid) : -len(end)].decode("ascii", "replace")
    body_bytes = memoryview(raw)[len(head) : cut]
    expect(digest, h(body_bytes).hex(), "body_sha256 (SHA-256 of the body's bytes)")
    anchor = b'"population":{'
    at = raw.find(anchor + b'"checks":"', len(head), cut)
    names: tuple[str, ...] = POPULATION_KEYS
    if at < 0:  # /3: the attributes column first (canonical key order, §14.13)
        at = raw.find(anchor + b'"attributes":"', len(head), cut)
        names = ("attributes", *POPULATION_KEYS)
    if at < 0:
        raise Difference("body has no population")
    pieces, columns = [raw[len(head) : at + len(anchor)]], {}
    pos = at + len(anchor)
    for n, name in enumerate(names):
        key = (b"," if n else b"") + b'"' + name.encode() + b'":"'
        if raw[pos : pos + len(key)] != key:
            raise Difference(f"population.{name} is not where canonical JSON puts it")
        pieces.append(key + b'"')
        stop = raw.find(b'"', pos + len(key), cut)
        if stop < 0:
            raise Difference(f"population.{name}: unterminated string")
        columns[name] = b64(memoryview(raw)[pos + len(key) : stop], f"population.{name}")
        pos = stop + 1
    pieces.append(raw[pos:cut])
    rest = b"".join(pieces)
    try:
        body = json.loads(rest.decode("utf-8"), parse_float=_no_float)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Difference(f"bundle is not UTF-8 JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("population") != dict.fromkeys(names, ""):
        raise Difference("population columns are not where canonical JSON puts them")
    again = canonical(body)
    if again != rest:
        at = next(
            (i for i, (x, y) in enumerate(zip(rest, again, strict=False)) if x != y), len(rest)
        )
        raise Difference(
            f"body is not in canonical JSON form (near «{rest[max(0, at - 20) : at + 20]!r}»)"
        )
    return body, columns


def _no_float(text: str) -> float:
    """Canonical JSON has integers only (spec §2): a bundle with a fraction or an exponent
    (``4.0``) is not the one the service signed, even where its value would compare equal."""
    raise Difference(f"body is not in canonical JSON form: a non-integer number «{text}»")


def verify_bytes(
    raw: bytes,
    workers: int | None = None,
    log: dict[str, Any] | None = None,
    priors: list[bytes] | None = None,
) -> Report:
    """Verify a bundle's bytes; ``log``: the district's full draw log (/3, check 17);
    ``priors``: the bundles of the draws its ``checks`` count (/3, §14.12)."""
    report = Report()
    # Millions of small acyclic objects: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        body, columns = split_bundle(raw)
        _verify(body, columns, report, workers or os.cpu_count() or 1, log)
        if priors is not None:
            if body["manifest"]["algorithm"] != ALGORITHM_SIGNED:
                raise Difference(f"--prior applies to {ALGORITHM_SIGNED} bundles only")
            report.note(check_prior(body, columns, priors))
        report.ok = True
    except Difference as exc:
        report.difference = str(exc)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        report.difference = f"bundle malformed: {type(exc).__name__}: {exc}"
    finally:
        if enabled:
            gc.enable()
    return report


def verify(
    bundle: dict[str, Any], workers: int | None = None, log: dict[str, Any] | None = None
) -> Report:
    return verify_bytes(canonical(bundle), workers, log)


def _verify(
    body: dict[str, Any],
    columns: dict[str, bytes],
    report: Report,
    workers: int,
    log: dict[str, Any] | None = None,
) -> None:
    """Every check of the spec, in its order; the first difference stops the run."""
    m, manifest_sha, with_experts = _check_manifest(body, report)
    if log is not None and m["algorithm"] != ALGORITHM_SIGNED:
        raise Difference(f"--log given, but a {m['algorithm']} bundle has no draw log")
    result = body["result"]
    cols = _check_population(m, columns, report)
    roster = _check_roster(body, m)
    experts = _check_expert_roster(body, m) if with_experts else []
    seed = _check_seed(body, m, manifest_sha, report)
    key = h(lps("spotcheck/draw-key/v1") + lp(seed) + lps(m["draw_id"]))
    prefix = b"\x01" + key + b"\x12"
    selected = _check_selection(m, result, cols, prefix, workers, report)
    targets = result["targets"]
    expect(len(targets), len(selected), "number of targets")
    for t, (ticket, code, key_) in zip(targets, selected, strict=True):
        expect(
            [t["uscc"], t["stratum"], t["ticket"]],
            [code, key_, ticket.hex()],
            "target order (uscc, stratum, ticket)",
        )
    by_id = {r["inspector_id"]: r for r in roster}
    if "matching" in m:  # §15: the teams were assigned, not drawn
        matching = _check_assigned(body, key, roster, experts, len(selected), report)
    else:
        matching = _check_matching(
            m, result, key, roster, experts, len(selected), report, body["replacements"]
        )
    _check_replacements(body, matching, by_id, targets, report)
    _check_countersign(body, report)
    if m["algorithm"] == ALGORITHM_SIGNED:
        _check_ceremony(body, m, manifest_sha, report, log)


def _check_manifest(body: dict[str, Any], report: Report) -> tuple[dict[str, Any], bytes, bool]:
    """The format, the algorithm (no experts anywhere in a /1 bundle) and the manifest's
    digest. Returns (manifest, its SHA-256, whether the draw has experts)."""
    expect(body["format"], BUNDLE_FORMAT, "format")
    m = body["manifest"]
    if m["algorithm"] not in ALGORITHMS:
        raise Difference(
            f"manifest.algorithm: {short(m['algorithm'])} is not implemented by this verifier "
            f"(it implements {', '.join(ALGORITHMS)})"
        )
    signed = m["algorithm"] == ALGORITHM_SIGNED
    # /3 is /2 when its manifest has experts, /1 otherwise (§14).
    with_experts = m["algorithm"] == ALGORITHM_EXPERTS or (signed and "experts" in m)
    result = body["result"]
    if not with_experts:
        # spotcheck-draw/1 (and /3 without manifest.experts) has no experts anywhere.
        where = ALGORITHM if not signed else f"{ALGORITHM_SIGNED} (without manifest.experts)"
        for what, present in (
            ("manifest.experts", "experts" in m),
            ("expert_roster", "expert_roster" in body),
            ("result.experts", "experts" in result),
            ("result.targets[].experts", any("experts" in t for t in result["targets"])),
        ):
            if present:
                raise Difference(f"{what} present in a {where} bundle")
    for what, present in _signed_fields(body):
        if present != signed:
            state = "missing in" if signed else "present in"
            raise Difference(f"{what} {state} a {m['algorithm']} bundle")
    if "matching" in m and not signed:
        raise Difference(f"manifest.matching present in a {m['algorithm']} bundle")
    co_keys = "co_organisers" in result or any("agency_members" in t for t in result["targets"])
    if ("co_organisers" in m or co_keys) and not signed:
        raise Difference(f"co-organisers (§16) present in a {m['algorithm']} bundle")
    if "co_organisers" in m and "matching" in m:
        raise Difference("manifest.co_organisers with direct assignment (§16: matched at random)")
    if signed:
        check_shape(body, with_experts, "matching" in m)
        if "matching" in m:
            _check_direct(m)
        deadline = instant(m["reveal_deadline"], "manifest.reveal_deadline")
        if deadline <= instant(m["frozen_at"], "manifest.frozen_at"):
            raise Difference("manifest.reveal_deadline is not later than frozen_at")
        _check_future_beacon(m, deadline)
    manifest_sha = h(canonical(m))
    expect(body["manifest_sha256"], manifest_sha.hex(), "manifest_sha256")
    report.note(
        f"manifest   {manifest_sha.hex()}  draw {m['draw_id']}  task {m['task']['task_no']}"
    )
    return m, manifest_sha, with_experts


# /3 (§14.10): every object has exactly its keys (an unknown key is refused, never ignored).
SHAPES: dict[str, tuple[str, ...]] = {
    "body": (
        "format", "manifest", "manifest_sha256", "population", "roster", "commitments",
        "reveals", "beacon_value", "seed", "result", "result_sha256", "replacements",
        "countersign", "log",
    ),
    "manifest": (
        "algorithm", "draw_id", "district", "task", "check_items", "target_filter",
        "draw_date", "strata", "selection", "population", "roster", "pools", "neighbour_rule",
        "team", "pair_conflicts", "parties", "beacon", "frozen_at", "reveal_deadline",
        "checks",
    ),
    "checks": ("year", "draws"),
    "checked draw": ("draw_id", "result_sha256", "targets"),
    "task": ("task_id", "task_no", "title", "lead_department"),
    "check_item": ("code", "name"),
    "target_filter": ("entity_types", "industries", "areas", "risk_classes"),
    "stratum": ("key", "ratio_bp", "cap"),
    "selection": ("reserve_bp", "reserve_min", "excluded_statuses"),
    "manifest.population": ("size", "chunk_size", "merkle_root", "snapshot_rev", "vocabulary"),
    "vocabulary": ATTRIBUTES,
    "manifest.roster": ("size", "merkle_root"),
    "pool": ("district", "departments", "tier"),
    "team": ("size", "alternates"),
    "roster entry": (
        "inspector_id", "name", "department", "district", "leader_qualified",
        "certificate_expires_on", "active", "qualifications", "recusals",
    ),
    "commitment": ("party", "commitment", "at", "key_id", "signature"),
    "reveal": ("party", "share", "at", "key_id", "signature"),
    "countersign": ("by", "opinion", "at", "result_sha256", "key_id", "signature"),
    "result": (
        "seed", "strata", "targets", "unstaffed", "load_cap", "pool_size",
        "recusal_disclosures", "leader_load_cap", "unstaffed_reasons",
    ),
    "result stratum": ("key", "eligible", "quota", "reserve_size", "walk"),
    "target": ("uscc", "stratum", "ticket", "team"),
    "disclosure": ("uscc", "inspector_id", "salt"),
    "replacement": (
        "seq", "uscc", "replaced", "replacement", "role", "reason", "approved_by",
        "approval_ref", "requested_by", "at", "recusal_disclosures", "countersign",
    ),
    "replacement countersign": ("by", "at", "key_id", "signature"),
}  # fmt: skip
EXPERT_SHAPES = {  # the keys /2's experts add (§8.4), present exactly with manifest.experts
    "body": ("expert_roster",),
    "manifest": ("experts",),
    "result": ("experts",),
    "target": ("experts",),
}
DIRECT_SHAPES = {  # the keys direct assignment adds (§15), present exactly with it
    "body": ("assignment",),
    "manifest": ("matching",),
}
CO_SHAPES = {  # the keys co-organising agencies add (§16), present exactly with them
    "manifest": ("co_organisers",),
    "result": ("co_organisers",),
    "target": ("agency_members",),
}
SHAPES["co_organiser"] = ("agency", "name", "check_items", "per_team")
SHAPES["result co_organisers"] = ("pools", "recusal_disclosures")
SHAPES["agency pool"] = ("agency", "pool_size", "load_cap")
SHAPES["kinded target_filter"] = (*SHAPES["target_filter"], "object_kind")
SHAPES["matching"] = ("rule", "reason", "approval")
SHAPES["matching approval"] = ("approval_id", "approved_by", "approved_at")
SHAPES["assignment"] = ("by", "at", "key_id", "signature")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def keys_of(
    obj: Any,
    shape: str,
    where: str,
    experts: bool = False,
    direct: bool = False,
    co: bool = False,
) -> None:
    """``obj`` is an object with exactly the keys of ``shape``."""
    want = set(SHAPES[shape]) | (set(EXPERT_SHAPES.get(shape, ())) if experts else set())
    want |= set(DIRECT_SHAPES.get(shape, ())) if direct else set()
    want |= set(CO_SHAPES.get(shape, ())) if co else set()
    if not isinstance(obj, dict):
        raise Difference(f"{where}: not an object")
    if set(obj) != want:
        extra, missing = sorted(set(obj) - want), sorted(want - set(obj))
        raise Difference(
            f"{where}: " + (f"unknown key {extra[0]!r}" if extra else f"missing key {missing[0]!r}")
        )


def in_range(value: Any, low: int, high: int, where: str) -> None:
    if type(value) is not int or not low <= value <= high:
        raise Difference(f"{where}: {short(value)} is not an integer in {low}..{high}")


def check_shape(body: dict[str, Any], experts: bool, direct: bool = False) -> None:
    """§14.10: a /3 bundle's objects have exactly their keys, its numbers their ranges, its
    identifiers and dates their exact formats."""
    keys_of(body, "body", "bundle body", experts, direct)
    m = body["manifest"]
    co = "co_organisers" in m
    keys_of(m, "manifest", "manifest", experts, direct, co)
    if co:
        _check_co_organisers(m)
    if direct:
        keys_of(m["matching"], "matching", "manifest.matching")
        keys_of(m["matching"]["approval"], "matching approval", "manifest.matching.approval")
        if body["assignment"] is not None:
            keys_of(body["assignment"], "assignment", "assignment")
    if not isinstance(m["draw_id"], str) or not UUID.fullmatch(m["draw_id"]):
        raise Difference(f"manifest.draw_id: {short(m['draw_id'])} is not a lower-case UUID")
    iso_day(m["draw_date"], "manifest.draw_date")
    keys_of(m["task"], "task", "manifest.task")
    kinded = isinstance(m["target_filter"], dict) and "object_kind" in m["target_filter"]
    shape = "kinded target_filter" if kinded else "target_filter"
    keys_of(m["target_filter"], shape, "manifest.target_filter")
    if kinded and m["target_filter"]["object_kind"] not in OBJECT_KINDS:
        raise Difference(
            f"manifest.target_filter.object_kind: {short(m['target_filter']['object_kind'])}"
            " is not a kind of object (market entities: no object_kind)"
        )
    keys_of(m["selection"], "selection", "manifest.selection")
    keys_of(m["population"], "manifest.population", "manifest.population")
    keys_of(m["population"]["vocabulary"], "vocabulary", "manifest.population.vocabulary")
    keys_of(m["roster"], "manifest.roster", "manifest.roster")
    keys_of(m["team"], "team", "manifest.team")
    expect(m["population"]["chunk_size"], CHUNK, "manifest.population.chunk_size")
    in_range(m["team"]["size"], 2, 255, "manifest.team.size")
    in_range(m["team"]["alternates"], 1, 8, "manifest.team.alternates")
    in_range(m["selection"]["reserve_bp"], 0, 10000, "manifest.selection.reserve_bp")
    in_range(m["selection"]["reserve_min"], 0, 10000, "manifest.selection.reserve_min")
    _check_checked_draws(m)
    for n, item in enumerate(m["check_items"]):
        keys_of(item, "check_item", f"manifest.check_items[{n}]")
    for n, stratum in enumerate(m["strata"]):
        keys_of(stratum, "stratum", f"manifest.strata[{n}]")
        in_range(stratum["ratio_bp"], 0, 10000, f"manifest.strata[{n}].ratio_bp")
        in_range(stratum["cap"], 1, 255, f"manifest.strata[{n}].cap")
    for n, pool in enumerate(m["pools"]):
        keys_of(pool, "pool", f"manifest.pools[{n}]")
        in_range(pool["tier"], 0 if n == 0 else 1, 1, f"manifest.pools[{n}].tier")
    for n, entry in enumerate(body["roster"]):
        keys_of(entry, "roster entry", f"roster[{n}]")
        iso_day(entry["certificate_expires_on"], f"roster[{n}].certificate_expires_on")
    for name, shape in (("commitments", "commitment"), ("reveals", "reveal")):
        for n, entry in enumerate(body[name]):
            keys_of(entry, shape, f"{name}[{n}]")
    if body["countersign"] is not None:
        keys_of(body["countersign"], "countersign", "countersign")
    _check_result_shape(body["result"], experts, co)
    for n, r in enumerate(body["replacements"]):
        keys_of(r, "replacement", f"replacements[{n}]")
        keys_of(r["countersign"], "replacement countersign", f"replacements[{n}].countersign")
        for d in r["recusal_disclosures"]:
            keys_of(d, "disclosure", f"replacements[{n}].recusal_disclosures[]")


def _check_direct(m: dict[str, Any]) -> None:
    """§15.1: the manifest says, before any randomness, that the teams will be assigned
    directly, why, and under whose approval — given before the freeze."""
    matching = m["matching"]
    expect(matching["rule"], DIRECT, "manifest.matching.rule")
    approval = matching["approval"]
    for where, value in (
        ("manifest.matching.reason", matching["reason"]),
        ("manifest.matching.approval.approval_id", approval["approval_id"]),
        ("manifest.matching.approval.approved_by", approval["approved_by"]),
    ):
        if not isinstance(value, str) or not value.strip():
            raise Difference(f"{where} must be a non-empty string (the approval is required)")
    approved = instant(approval["approved_at"], "manifest.matching.approval.approved_at")
    if approved > instant(m["frozen_at"], "manifest.frozen_at"):
        raise Difference("manifest.matching.approval.approved_at is after the freeze")


def _check_checked_draws(m: dict[str, Any]) -> None:
    """§14.12: the draws this year's checks count: the draw date's year, by id, each once."""
    checks = m["checks"]
    keys_of(checks, "checks", "manifest.checks")
    expect(checks["year"], int(m["draw_date"][:4]), "manifest.checks.year")
    ids = []
    for n, d in enumerate(checks["draws"]):
        where = f"manifest.checks.draws[{n}]"
        keys_of(d, "checked draw", where)
        if not isinstance(d["draw_id"], str) or not UUID.fullmatch(d["draw_id"]):
            raise Difference(f"{where}.draw_id: {short(d['draw_id'])} is not a lower-case UUID")
        unhex(d["result_sha256"], 32, f"{where}.result_sha256")
        in_range(d["targets"], 1, 2**31, f"{where}.targets")
        ids.append(d["draw_id"])
    if ids != sorted(set(ids)):
        raise Difference("manifest.checks.draws: not sorted by draw_id, or an id twice")


def checks_bound(m: dict[str, Any], c: bytes) -> None:
    """§14.12, without the prior bundles: no entity counts more checks than there are listed
    draws, and all of them no more than the listed draws' targets."""
    draws = m["checks"]["draws"]
    if c and max(c) > min(255, len(draws)):
        row = next(i for i, v in enumerate(c) if v > min(255, len(draws)))
        raise Difference(
            f"population record {row}: {c[row]} checks, but manifest.checks lists "
            f"{len(draws)} draws"
        )
    if sum(c) > sum(d["targets"] for d in draws):
        raise Difference("population checks exceed the targets of the draws they count")


def in_scope(m: dict[str, Any], attrs: bytes, n: int) -> None:
    """§14.13: every row's attributes index its sorted vocabulary, and lie in the task's scope
    (``target_filter``) wherever the scope restricts them."""
    vocabulary = m["population"]["vocabulary"]
    for k, key in enumerate(ATTRIBUTES):
        values = vocabulary[key]
        if not isinstance(values, list) or values != sorted(set(values)):
            raise Difference(f"manifest.population.vocabulary.{key}: not sorted distinct values")
        block = attrs[2 * k * n : 2 * (k + 1) * n]
        used = {int.from_bytes(block[i : i + 2], "big") for i in range(0, len(block), 2)}
        if used and max(used) >= len(values):
            raise Difference(f"population.attributes: a {key[:-1]} index beyond the vocabulary")
        scope = m["target_filter"][key]
        outside = sorted(values[i] for i in used if scope and values[i] not in scope)
        if outside:
            raise Difference(
                f"population: a row's {key} {outside[0]!r} is outside target_filter.{key}"
            )


def object_kind(code: bytes) -> str:
    """§4.1: the kind of an object from its id's first two characters."""
    if code[:1] == b"Z":
        return ASSIGNED_KINDS.get(code[1:2].decode("latin-1"), "")
    if code[:1] == b"9":
        return "market_entity"
    if code[:2] == b"11":
        return "organ"
    if code[:2] == b"12":
        return "institution"
    return "social_organisation" if code[:1] == b"5" else "other_organisation"


def of_kind(m: dict[str, Any], u: bytes) -> None:
    """§4.1: every row of the population is an object of the kind the task targets."""
    want = m["target_filter"].get("object_kind", "market_entity")
    prefixes = {u[i : i + 2] for i in range(0, len(u), USCC_LEN)}
    for prefix in sorted(prefixes):
        if object_kind(prefix) != want:
            at = next(i for i in range(0, len(u), USCC_LEN) if u[i : i + 2] == prefix)
            code = u[at : at + USCC_LEN].decode("latin-1")
            raise Difference(f"population: {code} is not an object of kind {want}")


def check_prior(body: dict[str, Any], columns: dict[str, bytes], priors: list[bytes]) -> str:
    """§14.12 with ``--prior``: the listed draws' bundles recompute the ``checks`` column."""
    m = body["manifest"]
    listed = {d["draw_id"]: d for d in m["checks"]["draws"]}
    counts: dict[str, int] = {}
    seen = set()
    for raw in priors:
        prior, _ = split_bundle(raw)
        draw_id = prior["manifest"]["draw_id"]
        if draw_id not in listed:
            raise Difference(f"--prior: draw {draw_id} is not listed in manifest.checks")
        digest = h(canonical(prior["result"])).hex()
        expect(digest, listed[draw_id]["result_sha256"], f"--prior {draw_id}: result_sha256")
        targets = [t["uscc"] for t in prior["result"]["targets"]]
        expect(len(targets), listed[draw_id]["targets"], f"--prior {draw_id}: targets")
        for u in targets:
            counts[u] = counts.get(u, 0) + 1
        seen.add(draw_id)
    missing = sorted(set(listed) - seen)
    if missing:
        raise Difference(f"--prior: the bundle of draw {missing[0]} (listed) is not given")
    u, checks = columns["uscc"], columns["checks"]
    for i in range(len(checks)):
        code = u[USCC_LEN * i : USCC_LEN * (i + 1)].decode("ascii")
        expect(checks[i], min(255, counts.get(code, 0)), f"checks of {code} (from --prior)")
    return f"checks     recomputed from the {len(seen)} prior draws' bundles"


def _check_result_shape(result: Any, experts: bool, co: bool = False) -> None:
    keys_of(result, "result", "result", experts, co=co)
    for n, stratum in enumerate(result["strata"]):
        keys_of(stratum, "result stratum", f"result.strata[{n}]")
    for n, t in enumerate(result["targets"]):
        keys_of(t, "target", f"result.targets[{n}]", experts, co=co)
    for d in result["recusal_disclosures"]:
        keys_of(d, "disclosure", "result.recusal_disclosures[]")
    if co:
        keys_of(result["co_organisers"], "result co_organisers", "result.co_organisers")
        for n, x in enumerate(result["co_organisers"]["pools"]):
            keys_of(x, "agency pool", f"result.co_organisers.pools[{n}]")
        for d in result["co_organisers"]["recusal_disclosures"]:
            keys_of(d, "disclosure", "result.co_organisers.recusal_disclosures[]")


def _check_co_organisers(m: dict[str, Any]) -> None:
    """§16.1: the co-organisers sorted by agency code, each once, none named like a pool's
    district, each with its items, ``per_team`` in 1..255 and its own party in the draw."""
    cos = m["co_organisers"]
    if not isinstance(cos, list) or not cos:
        raise Difference("manifest.co_organisers: not a non-empty list")
    agencies = []
    for n, co in enumerate(cos):
        where = f"manifest.co_organisers[{n}]"
        keys_of(co, "co_organiser", where)
        for field in ("agency", "name"):
            if not isinstance(co[field], str) or not co[field].strip():
                raise Difference(f"{where}.{field} must be a non-empty string")
        if ":" in co["agency"]:
            raise Difference(f"{where}.agency: {short(co['agency'])} holds ':'")
        in_range(co["per_team"], 1, 255, f"{where}.per_team")
        if not co["check_items"]:
            raise Difference(f"{where}.check_items: the agency checks no item")
        for k, item in enumerate(co["check_items"]):
            keys_of(item, "check_item", f"{where}.check_items[{k}]")
        agencies.append(co["agency"])
    if not _sorted_unique(agencies):
        raise Difference("manifest.co_organisers: not sorted by agency, or an agency twice")
    districts = {pool["district"] for pool in m["pools"]}
    for agency in agencies:
        if agency in districts:
            raise Difference(f"manifest.co_organisers: {agency} is also a pool's district")
        party = agency + AGENCY_PARTY
        if m["parties"].count(party) != 1:
            raise Difference(f"manifest.parties: the agency's party {party} is not there once")


BEACON_KEYS = ["available_at", "encoding", "source"]


def _check_future_beacon(m: dict[str, Any], deadline: datetime) -> None:
    """§14.8: a /3 beacon is named with its exact encoding and becomes public only after the
    reveal deadline, so nobody can compute the result before the last reveal."""
    beacon = m["beacon"]
    if beacon is None:
        return
    if not isinstance(beacon, dict) or sorted(beacon) != BEACON_KEYS:
        raise Difference(f"manifest.beacon: a /3 beacon has exactly the keys {BEACON_KEYS}")
    for key in ("source", "encoding"):
        if not isinstance(beacon[key], str) or not beacon[key].strip():
            raise Difference(f"manifest.beacon.{key} must be a non-empty string")
    if instant(beacon["available_at"], "manifest.beacon.available_at") < deadline:
        raise Difference("manifest.beacon.available_at is before the reveal deadline")


def _signed_fields(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """The keys §14 adds, each with whether the bundle has it: all of them in a /3 bundle
    (the countersignature's once it is given), none in a /1 or /2 bundle."""
    fields = [
        ("manifest.reveal_deadline", "reveal_deadline" in body["manifest"]),
        ("log", "log" in body),
        ("result.leader_load_cap", "leader_load_cap" in body["result"]),
        ("result.unstaffed_reasons", "unstaffed_reasons" in body["result"]),
    ]
    for name in ("commitments", "reveals"):
        for n, entry in enumerate(body[name]):
            fields += [(f"{name}[{n}].{k}", k in entry) for k in SIGNED_KEYS]
    if body["countersign"] is not None:
        fields += [(f"countersign.{k}", k in body["countersign"]) for k in SIGNED_KEYS]
    return fields


Columns = tuple[bytes, bytes, bytes, bytes]
"""The population's columns: uscc (18 bytes each), stratum, status, checks (1 byte each)."""


def _check_population(m: dict[str, Any], columns: dict[str, bytes], report: Report) -> Columns:
    u, s, st, c = columns["uscc"], columns["stratum"], columns["status"], columns["checks"]
    n = len(s)
    if len(u) != USCC_LEN * n or len(st) != n or len(c) != n:
        raise Difference("population columns differ in length")
    expect(n, m["population"]["size"], "population size")
    chunk = int(m["population"]["chunk_size"])
    if chunk < 1:
        raise Difference("manifest.population.chunk_size must be positive")
    attrs = columns.get("attributes", b"")
    if (m["algorithm"] == ALGORITHM_SIGNED) != ("attributes" in columns):
        state = "missing in" if "attributes" not in columns else "present in"
        raise Difference(f"population.attributes {state} a {m['algorithm']} bundle")
    if len(attrs) != 6 * n and "attributes" in columns:
        raise Difference("population.attributes: not three blocks of 2 bytes a row")
    leaves = [chunk_leaf(u, s, st, c, a, min(a + chunk, n), attrs) for a in range(0, n, chunk)]
    expect(merkle_root(leaves).hex(), m["population"]["merkle_root"], "population Merkle root")
    if m["algorithm"] == ALGORITHM_SIGNED:
        checks_bound(m, c)
        in_scope(m, attrs, n)
    of_kind(m, u)
    if n and max(st) >= len(STATUSES):  # every row, not only those the walks reach (§14.10)
        row = next(i for i, v in enumerate(st) if v >= len(STATUSES))
        raise Difference(f"population record {row}: unknown status code {st[row]}")
    report.note(f"population {n} entities, root {m['population']['merkle_root']}")
    return u, s, st, c


def _sorted_unique(ids: list[str]) -> bool:
    return ids == sorted(ids, key=lambda x: x.encode("utf-8")) and len(set(ids)) == len(ids)


def _check_roster(body: dict[str, Any], m: dict[str, Any]) -> list[dict[str, Any]]:
    roster: list[dict[str, Any]] = body["roster"]
    if not _sorted_unique([r["inspector_id"] for r in roster]):
        raise Difference("roster not sorted by inspector_id or has duplicates")
    for r in roster:
        if r["qualifications"] != sorted(set(r["qualifications"])) or r["recusals"] != sorted(
            set(r["recusals"])
        ):
            raise Difference(f"roster entry {r['inspector_id']}: lists not sorted and unique")
    expect(len(roster), m["roster"]["size"], "roster size")
    rroot = merkle_root([h(b"\x00" + roster_record(r)) for r in roster])
    expect(rroot.hex(), m["roster"]["merkle_root"], "roster Merkle root")
    return roster


def _check_expert_roster(body: dict[str, Any], m: dict[str, Any]) -> list[dict[str, Any]]:
    """The expert roster of a spotcheck-draw/2 bundle."""
    spec = m["experts"]
    if not isinstance(spec["per_target"], int) or spec["per_target"] < 1:
        raise Difference("manifest.experts.per_target must be a positive integer")
    if spec["fields"] != sorted(set(spec["fields"])):
        raise Difference("manifest.experts.fields not sorted and unique")
    experts: list[dict[str, Any]] = body["expert_roster"]
    if not _sorted_unique([r["expert_id"] for r in experts]):
        raise Difference("expert roster not sorted by expert_id or has duplicates")
    for r in experts:
        if r["recusals"] != sorted(set(r["recusals"])):
            raise Difference(f"expert roster entry {r['expert_id']}: recusals not sorted")
        if not isinstance(r["active"], bool):
            raise Difference(f"expert roster entry {r['expert_id']}: active not a boolean")
    expect(len(experts), spec["roster"]["size"], "expert roster size")
    eroot = merkle_root([h(b"\x00" + expert_record(r)) for r in experts])
    expect(eroot.hex(), spec["roster"]["merkle_root"], "expert roster Merkle root")
    return experts


def _check_seed(
    body: dict[str, Any], m: dict[str, Any], manifest_sha: bytes, report: Report
) -> bytes:
    """Commitments, reveals, the beacon and the seed they make."""
    parties = m["parties"]
    expect([x["party"] for x in body["commitments"]], parties, "commitment parties")
    expect([x["party"] for x in body["reveals"]], parties, "reveal parties")
    shares = []
    for com, rev in zip(body["commitments"], body["reveals"], strict=True):
        share = unhex(rev["share"], 32, f"share of {rev['party']}")
        if m["algorithm"] == ALGORITHM_SIGNED:  # §14.3: the commitment binds the manifest
            tag = lps("spotcheck/share/v3") + lp(manifest_sha)
        else:
            tag = lps("spotcheck/share/v1")
        want = h(tag + lps(m["draw_id"]) + lps(rev["party"]) + lp(share))
        expect(com["commitment"], want.hex(), f"commitment of {com['party']}")
        shares.append(share)
    beacon = None
    if m["beacon"] is None:
        expect(body["beacon_value"], None, "beacon_value (manifest names no beacon)")
    else:
        beacon = unhex(body["beacon_value"], None, "beacon_value")
        if not 1 <= len(beacon) <= 64:
            raise Difference("beacon_value must be 1..64 bytes")
    seed_input = lps("spotcheck/seed/v1") + lp(manifest_sha) + bytes((len(shares),))
    seed_input += b"".join(lp(x) for x in shares)
    seed_input += b"\x00" if beacon is None else b"\x01" + lp(beacon)
    seed = h(seed_input)
    expect(body["seed"], seed.hex(), "seed")
    expect(body["result"]["seed"], seed.hex(), "result.seed")
    expect(body["result_sha256"], h(canonical(body["result"])).hex(), "result_sha256")
    report.note(f"seed       {seed.hex()}")
    return seed


def _check_selection(
    m: dict[str, Any],
    result: dict[str, Any],
    cols: Columns,
    prefix: bytes,
    workers: int,
    report: Report,
) -> list[tuple[bytes, str, str]]:
    """Each stratum's walk recomputed. Returns the selected targets in ticket order:
    (ticket, uscc, stratum)."""
    u, s, st, c = cols
    strata = m["strata"]
    keys = [x["key"] for x in strata]
    caps = [int(x["cap"]) for x in strata]
    claimed = result["strata"]
    expect([x["key"] for x in claimed], keys, "result strata")
    counts = eligible_counts(s, st, c, caps)
    qs = quotas([int(x["ratio_bp"]) for x in strata], counts, keys)
    sel_cfg = m["selection"]
    reserves = [
        0
        if q == 0
        else max(int(sel_cfg["reserve_min"]), (q * int(sel_cfg["reserve_bp"]) + 9999) // 10000)
        for q in qs
    ]
    # Every row whose ticket is at or below the largest ticket the published walks reached.
    walked = [h(prefix + w[0].encode("ascii")) for x in claimed for w in x["walk"]]
    limit = max(walked, default=b"")
    kept = scan_population(cols, prefix, limit, workers)
    per: list[list[tuple[bytes, bytes, int, int]]] = [[] for _ in strata]
    for i, t in kept:
        per[s[i]].append((t, u[USCC_LEN * i : USCC_LEN * (i + 1)], st[i], c[i]))
    sizes = [s.count(k) for k in range(len(strata))]
    for k, x in enumerate(claimed):
        expect(x["eligible"], counts[k], f"stratum {keys[k]}: eligible count")
        expect(x["quota"], qs[k], f"stratum {keys[k]}: quota")
        expect(x["reserve_size"], reserves[k], f"stratum {keys[k]}: reserve size")
        per[k].sort()
        steps, filled = walk(per[k], qs[k], reserves[k], caps[k])
        if not filled and len(per[k]) < sizes[k]:
            # The published walks stopped too early: recompute this stratum in full.
            steps = _walk_in_full(cols, k, prefix, workers, qs[k], reserves[k], caps[k])
        _check_walk(x["walk"], steps, keys[k])
        report.note(
            f"stratum {keys[k]}: eligible {counts[k]}, quota {qs[k]}, "
            f"selected {sum(1 for w in steps if w[1] == 'selected')}, "
            f"reserve {sum(1 for w in steps if w[1] == 'reserve')}, "
            f"skipped {sum(1 for w in steps if w[1] not in ('selected', 'reserve'))}"
        )
    selected = [
        (h(prefix + w[0].encode("ascii")), w[0], keys[k])
        for k, x in enumerate(claimed)
        for w in x["walk"]
        if w[1] == "selected"
    ]
    selected.sort()
    return selected


def _walk_in_full(
    cols: Columns, k: int, prefix: bytes, workers: int, quota: int, reserve: int, cap: int
) -> list[Any]:
    u, s, st, c = cols
    rows = [(i, t) for i, t in scan_population(cols, prefix, b"\xff" * 33, workers) if s[i] == k]
    full = sorted((t, u[USCC_LEN * i : USCC_LEN * (i + 1)], st[i], c[i]) for i, t in rows)
    steps, _ = walk(full, quota, reserve, cap)
    return steps


def _check_walk(claimed: list[Any], steps: list[Any], key: str) -> None:
    for j, (got, want) in enumerate(zip(claimed, steps, strict=False)):
        expect(got, want, f"stratum {key}: selection step {j + 1}")
    expect(len(claimed), len(steps), f"stratum {key}: length of the selection walk")


def _check_matching(
    m: dict[str, Any],
    result: dict[str, Any],
    key: bytes,
    roster: list[dict[str, Any]],
    experts: list[dict[str, Any]],
    n_selected: int,
    report: Report,
    body_replacements: list[dict[str, Any]],
) -> Matching:
    """Teams (and experts) of every target, replayed. Returns the matching, for the
    replacements (in /3 with the alternates of the replaced targets' positions)."""
    by_id = {r["inspector_id"]: r for r in roster}
    recused = openings(result["recusal_disclosures"], by_id, "recusal disclosure")
    signed = m["algorithm"] == ALGORITHM_SIGNED
    matching = Matching(key, m, roster, n_selected, recused, per_role=signed)
    if signed:  # the alternates the replacements took (§14.11), found as the teams are
        matching.peek = {r["uscc"] for r in body_replacements}
        matching.peek_count = int(m["team"]["alternates"])
        for j, r in enumerate(body_replacements):
            what = f"replacement {j + 1} disclosure"
            matching.peek_recused |= openings(r["recusal_disclosures"], by_id, what)
    expect(result["pool_size"], len(matching.pool), "pool size")
    expect(result["load_cap"], matching.cap, "load cap")
    if signed:
        expect(result["leader_load_cap"], matching.leader_cap, "leader load cap")
    ematching = None
    if "experts" in m:  # /2, or /3 with experts (a /1 manifest with experts was refused)
        e_by_id = {r["expert_id"]: r for r in experts}
        erecused = expert_openings(result["experts"]["recusal_disclosures"], e_by_id)
        ematching = ExpertMatching(key, m, experts, n_selected, erecused)
        expect(result["experts"]["pool_size"], len(ematching.pool), "expert pool size")
        expect(result["experts"]["load_cap"], ematching.cap, "expert load cap")
    amatching = None
    if "co_organisers" in m:  # §16
        arecused = openings(
            result["co_organisers"]["recusal_disclosures"], by_id, "agency recusal disclosure"
        )
        amatching = AgencyMatching(key, m, roster, n_selected, arecused, matching.conflict)
        pools = [
            {"agency": a, "pool_size": len(pool), "load_cap": amatching.cap[a]}
            for a, _, pool in amatching.pools
        ]
        expect(result["co_organisers"]["pools"], pools, "co-organisers' pools")
    targets = result["targets"]
    unstaffed = [t["uscc"] for t in targets if not _staff(t, matching, ematching, amatching)]
    expect(result["unstaffed"], unstaffed, "unstaffed targets")
    if signed:
        reasons = [matching.short[u] for u in unstaffed]
        expect(result["unstaffed_reasons"], reasons, "unstaffed reasons")
        _check_met(result["recusal_disclosures"], matching.met, "inspector_id", "recusal")
        if ematching is not None:
            disclosed = result["experts"]["recusal_disclosures"]
            _check_met(disclosed, ematching.met, "expert_id", "expert recusal")
        if amatching is not None:
            disclosed = result["co_organisers"]["recusal_disclosures"]
            _check_met(disclosed, amatching.met, "inspector_id", "agency recusal")
    check_constraints(m, by_id, targets, matching, recused)
    if ematching is not None:
        check_expert_constraints(m, targets, ematching)
    if amatching is not None:
        check_agency_constraints(targets, amatching, matching.conflict)
        report.note(
            "agencies   "
            + "; ".join(
                f"{a}: {per} per team, pool {len(pool)}, load cap {amatching.cap[a]}"
                for a, per, pool in amatching.pools
            )
        )
    report.note(
        f"matching   {len(targets) - len(unstaffed)} targets staffed, "
        f"{len(unstaffed)} unstaffed, load cap {matching.cap}"
        + (f", leader load cap {matching.leader_cap}" if signed else "")
    )
    if ematching is not None:
        report.note(
            f"experts    {ematching.per} per target, pool {len(ematching.pool)}, "
            f"load cap {ematching.cap}"
        )
    return matching


def _check_assigned(
    body: dict[str, Any],
    key: bytes,
    roster: list[dict[str, Any]],
    experts: list[dict[str, Any]],
    n_selected: int,
    report: Report,
) -> Matching:
    """§15.2, §15.4: assigned teams are not replayed — nothing was searched, so nothing is
    unstaffed, met or disclosed, and none is replaced — but every target has one that meets
    the hard rules (load caps aside: direct assignment is for a pool too small for them)."""
    m, result = body["manifest"], body["result"]
    matching = Matching(key, m, roster, n_selected, set(), per_role=True)
    expect(result["pool_size"], len(matching.pool), "pool size")
    expect(result["load_cap"], matching.cap, "load cap")
    expect(result["leader_load_cap"], matching.leader_cap, "leader load cap")
    for name in ("unstaffed", "unstaffed_reasons", "recusal_disclosures"):
        expect(result[name], [], f"result.{name} of a draw whose teams were assigned")
    if body["assignment"] is None:
        raise Difference("assignment: the teams of a direct-assignment draw were not assigned")
    if body["replacements"]:
        raise Difference("replacement 1: a directly assigned team has no alternates (§15.4)")
    ematching = None
    if "experts" in m:
        ematching = ExpertMatching(key, m, experts, n_selected, set())
        expect(result["experts"]["pool_size"], len(ematching.pool), "expert pool size")
        expect(result["experts"]["load_cap"], ematching.cap, "expert load cap")
        expect(result["experts"]["recusal_disclosures"], [], "expert recusal disclosures")
    size = int(m["team"]["size"])
    for t in result["targets"]:
        if len(t["team"]) != size:
            raise Difference(f"team of {t['uscc']}: not {size} assigned inspectors")
    by_id = {r["inspector_id"]: r for r in roster}
    check_constraints(m, by_id, result["targets"], matching, set(), caps=False)
    if ematching is not None:
        check_expert_constraints(m, result["targets"], ematching, caps=False)
    approval = m["matching"]["approval"]
    report.note(
        f"matching   {len(result['targets'])} teams ASSIGNED DIRECTLY, not drawn (§15): "
        f"{m['matching']['reason']} — approved by {approval['approved_by']} "
        f"({approval['approval_id']}, {approval['approved_at']}); "
        f"assigned by {body['assignment']['by']} at {body['assignment']['at']}"
    )
    return matching


def _check_met(disclosures: list[Any], met: list[tuple[str, str]], who: str, what: str) -> None:
    """/3 (§14.9): the disclosures are exactly the recusals met, in the order met — no recusal
    that never mattered is opened, none is left out, and their order is fixed."""
    got = [(d["uscc"], d[who]) for d in disclosures]
    if got != met:
        extra = [x for x in got if x not in met]
        raise Difference(
            f"{what} disclosures are not the recusals met in order"
            + (f": {extra[0][1]} on {extra[0][0]} was never met" if extra else "")
        )


def _staff(
    t: dict[str, Any],
    matching: Matching,
    ematching: ExpertMatching | None,
    amatching: AgencyMatching | None = None,
) -> bool:
    """Check one target's team (and experts, and agencies' inspectors) as matched in ticket
    order; False if unstaffed."""
    team = matching.staff(t["uscc"])
    chosen: list[str] | None = []
    if ematching is not None:
        chosen = ematching.staff(t["uscc"]) if team else []
        if team and chosen is None:
            matching.unstaff(team)
            matching.short[t["uscc"]] = "experts"
            team, chosen = [], []
    if amatching is not None:  # §16: after the team and its experts
        members = amatching.staff(t["uscc"], [i for i, _ in team]) if team else []
        if team and members is None:
            matching.unstaff(team)
            if ematching is not None and chosen:
                ematching.unstaff(chosen)
            matching.short[t["uscc"]] = "agency"
            team, chosen, members = [], [], []
        expect(t["agency_members"], members, f"agencies' inspectors of {t['uscc']}")
    if ematching is not None:
        expect(t["experts"], chosen, f"experts of {t['uscc']}")
    expect(t["team"], team, f"team of {t['uscc']}")
    return bool(team)


def _alternate(
    body: dict[str, Any],
    matching: Matching,
    teams: dict[str, list[list[str]]],
    gone: dict[str, set[str]],
    r: dict[str, Any],
    j: int,
) -> str | None:
    """§14.11: the replacement is the position's first alternate (fixed by the draw) not on
    the team, not replaced on this target, without a pair conflict with the rest, below its
    cap at the teams as they are; its disclosures are the recusals met finding them."""
    team = teams[r["uscc"]]
    position = [i for i, _ in team].index(r["replaced"])
    alternates, met = matching.alternates[r["uscc"]][position]
    disclosed = [(d["uscc"], d["inspector_id"]) for d in r["recusal_disclosures"]]
    expect(disclosed, [(r["uscc"], i) for i in met], f"replacement {j + 1}: recusal disclosures")
    rest = [i for i, _ in team if i != r["replaced"]]
    agency: list[str] = next(
        (t.get("agency_members", []) for t in body["result"]["targets"] if t["uscc"] == r["uscc"]),
        [],
    )
    loads: dict[str, int] = {}
    for members in teams.values():
        for i, _ in members:
            loads[i] = loads.get(i, 0) + 1
    for a in alternates:
        if a in rest or a == r["replaced"] or a in gone.get(r["uscc"], set()):
            continue
        if matching.blocked(a, rest + agency) or loads.get(a, 0) >= matching.cap_of[a]:
            continue
        return a
    return None


def _check_replacements(
    body: dict[str, Any],
    matching: Matching,
    by_id: dict[str, dict[str, Any]],
    targets: list[dict[str, Any]],
    report: Report,
) -> None:
    teams = {t["uscc"]: [list(x) for x in t["team"]] for t in targets}
    gone: dict[str, set[str]] = {}
    for j, r in enumerate(body["replacements"]):
        expect(r["seq"], j + 1, "replacement sequence")
        for field in ("reason", "approved_by", "approval_ref"):
            if not str(r[field]).strip():
                raise Difference(
                    f"replacement {j + 1}: no {field} (deputy director's approval is required)"
                )
        team = teams.get(r["uscc"]) or []
        if r["replaced"] not in dict((i, x) for i, x in team):
            raise Difference(
                f"replacement {j + 1}: {r['replaced']} is not on the team of {r['uscc']}"
            )
        if body["manifest"]["algorithm"] == ALGORITHM_SIGNED:  # §14.11
            got = _alternate(body, matching, teams, gone, r, j)
        else:
            matching.recused |= openings(
                r["recusal_disclosures"], by_id, f"replacement {j + 1} disclosure"
            )
            got = matching.replace(r["uscc"], team, r["replaced"], gone.get(r["uscc"], set()))
        expect(r["replacement"], got, f"replacement {j + 1} of {r['replaced']} on {r['uscc']}")
        expect(
            r["role"], dict((i, x) for i, x in team)[r["replaced"]], f"replacement {j + 1}: role"
        )
        gone.setdefault(r["uscc"], set()).add(r["replaced"])
        teams[r["uscc"]] = [[got if i == r["replaced"] else i, x] for i, x in team]
    if body["replacements"]:
        report.note(f"replacements {len(body['replacements'])} replayed")


def _check_countersign(body: dict[str, Any], report: Report) -> None:
    sign = body["countersign"]
    if sign is not None:
        expect(sign["result_sha256"], body["result_sha256"], "countersign.result_sha256")
        if not str(sign["by"]).strip():
            raise Difference("countersign without a signer")
        report.note(f"countersigned by {sign['by']}")
    else:
        report.note("not countersigned yet")


def check_constraints(
    m: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    targets: list[dict[str, Any]],
    matching: Matching,
    recused: set[tuple[str, str]],
    caps: bool = True,
) -> None:
    """The hard rules, checked on the published result itself (independent of the replay);
    ``caps``: the load caps too (not for assigned teams, §15.4)."""
    loads: dict[str, int] = {}
    size = int(m["team"]["size"])
    why_not: dict[str, str | None] = {}
    for t in targets:
        team = t["team"]
        if not team:
            continue
        ids = [i for i, _ in team]
        if len(team) < size or len(set(ids)) != len(ids):
            raise Difference(f"team of {t['uscc']}: fewer than {size} distinct inspectors")
        roles = [r for _, r in team]
        if roles.count("leader") != 1 or roles[0] != "leader":
            raise Difference(f"team of {t['uscc']}: must have exactly one leader, listed first")
        for i, role in team:
            r = by_id.get(i)
            if r is None:
                raise Difference(f"team of {t['uscc']}: {i} is not on the roster")
            if i not in why_not:
                why_not[i] = excluded(r, m)
            why = why_not[i]
            if why:
                raise Difference(f"team of {t['uscc']}: {i} {why}")
            if role == "leader" and not r["leader_qualified"]:
                raise Difference(f"team of {t['uscc']}: leader {i} is not leader-qualified")
            if (t["uscc"], i) in recused:
                raise Difference(f"team of {t['uscc']}: {i} is recused from it")
            loads[i] = loads.get(i, 0) + 1
        for a in ids:
            if any(b in matching.conflict.get(a, ()) for b in ids):
                raise Difference(
                    f"team of {t['uscc']}: {a} has a declared conflict within the team"
                )
    for i, load in loads.items() if caps else ():
        cap = matching.cap_of[i]  # its own cap: C, or C_L for a leader-qualified one in /3
        if load > cap:
            raise Difference(f"inspector {i}: {load} targets exceeds the load cap {cap}")


def check_agency_constraints(
    targets: list[dict[str, Any]], amatching: AgencyMatching, conflict: dict[str, set[str]]
) -> None:
    """§16 on the published result itself: a staffed target has each agency's ``per_team``
    distinct inspectors of that agency's pool, in manifest order, none recused (disclosed),
    no pair conflict with anyone on the team, no load above the agency's cap; an unstaffed
    target has none."""
    loads: dict[str, int] = {}
    for t in targets:
        ids = t["agency_members"]
        if not t["team"]:
            if ids:
                raise Difference(f"agencies' inspectors of {t['uscc']}: an unstaffed target")
            continue
        want = [a for a, per, _ in amatching.pools for _ in range(per)]
        got = [amatching.agency_of.get(i) for i in ids]
        if got != want or len(set(ids)) != len(ids):
            raise Difference(
                f"agencies' inspectors of {t['uscc']}: not each agency's quota of its pool"
            )
        everyone = [i for i, _ in t["team"]] + ids
        for i in ids:
            if (t["uscc"], i) in amatching.recused:
                raise Difference(f"agencies' inspectors of {t['uscc']}: {i} is recused from it")
            if any(x in conflict.get(i, ()) for x in everyone):
                raise Difference(f"team of {t['uscc']}: {i} has a declared conflict within it")
            loads[i] = loads.get(i, 0) + 1
    for i, load in loads.items():
        cap = amatching.cap[amatching.agency_of[i]]
        if load > cap:
            raise Difference(f"agency inspector {i}: {load} targets exceeds the load cap {cap}")


def check_expert_constraints(
    m: dict[str, Any], targets: list[dict[str, Any]], ematching: ExpertMatching, caps: bool = True
) -> None:
    """Experts on the published result itself: a staffed target has exactly ``per_target``
    distinct experts of the expert pool, none recused (disclosed), no load above the cap; an
    unstaffed target has none (never half-staffed)."""
    loads: dict[str, int] = {}
    per = int(m["experts"]["per_target"])
    for t in targets:
        ids = t["experts"]
        if not t["team"]:
            if ids:
                raise Difference(f"experts of {t['uscc']}: an unstaffed target has experts")
            continue
        if len(ids) != per or len(set(ids)) != len(ids):
            raise Difference(f"experts of {t['uscc']}: not {per} distinct experts")
        for e in ids:
            if e not in ematching.pool:
                raise Difference(f"experts of {t['uscc']}: {e} is not in the expert pool")
            if (t["uscc"], e) in ematching.recused:
                raise Difference(f"experts of {t['uscc']}: {e} is recused from it")
            loads[e] = loads.get(e, 0) + 1
    for e, load in loads.items() if caps else ():
        if load > ematching.cap:
            raise Difference(f"expert {e}: {load} targets exceeds the load cap {ematching.cap}")


# ----------------------------------------------------------- the signed ceremony (/3, §14)

KEY_KINDS = ("key-registered", "key-revoked")
DRAW_KINDS = (
    "frozen", "committed", "revealed", "beacon", "assigned", "drawn", "countersigned", "replaced",
)  # fmt: skip
VOID_KINDS = ("cancelled", "aborted")
COMMIT_FIELDS = ("party", "commitment", "at", "key_id", "signature")
REVEAL_FIELDS = ("party", "share", "at", "key_id", "signature")
COUNTERSIGN_FIELDS = ("result_sha256", "at", "key_id", "signature")
ASSIGN_FIELDS = ("at", "key_id", "signature")

LogEntries = list[tuple[dict[str, Any], str]]
"""A draw log's records with their hashes, in seq order."""


class Act(NamedTuple):
    """A signed act of the bundle (§14.4) and the seq of its log record."""

    kind: str  # "commit", "reveal", "assign", "countersign" or "replacement" (countersigned)
    party: str
    seq: int
    entry: dict[str, Any]  # the bundle's commitment, reveal or countersign
    record: dict[str, Any] | None = None  # the replacement a "replacement" act countersigns

    @property
    def what(self) -> str:
        if self.kind == "countersign":
            return "countersignature"
        if self.kind == "assign":
            return "direct assignment"
        if self.kind == "replacement" and self.record is not None:
            return f"countersignature of replacement {self.record['seq']}"
        return f"{'commitment' if self.kind == 'commit' else 'reveal'} of {self.party}"


def instant(value: Any, what: str) -> datetime:
    """An ISO timestamp with its offset."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise Difference(f"{what}: {short(value)} is not an ISO timestamp with offset")
    return at


def iso_day(value: Any, what: str) -> date:
    """A date written exactly YYYY-MM-DD."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None or day.isoformat() != value:
        raise Difference(f"{what}: {short(value)} is not a YYYY-MM-DD date")
    return day


def log_hash(record: Any) -> str:
    return h(lps("spotcheck/log/v3") + canonical(record)).hex()


def log_entries(log: Any, district: str, what: str, whole: bool) -> LogEntries:
    """Check 13 (and with ``whole`` the chain of check 17): every record's hash and district,
    seq strictly increasing — from 1 without a gap when ``whole`` — and ``prev`` the hash of
    the record just before wherever the log holds that one."""
    if not isinstance(log, dict) or not isinstance(log.get("records"), list):
        raise Difference(f'{what}: not {{"district", "records"}}')
    expect(log.get("district"), district, f"{what}: district")
    out: LogEntries = []
    last, last_hash = 0, LOG_GENESIS
    for entry in log["records"]:
        record = entry["record"]
        seq = record["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= last:
            raise Difference(f"{what}: record seq {short(seq)} after seq {last} (seq must grow)")
        if whole and seq != last + 1:
            raise Difference(f"{what}: the chain has no record seq {last + 1} (gap before {seq})")
        digest = log_hash(record)
        expect(entry["hash"], digest, f"{what}: hash of record seq {seq}")
        expect(record["district"], district, f"{what}: district of record seq {seq}")
        if seq == last + 1:
            expect(record["prev"], last_hash, f"{what}: prev of record seq {seq} (the chain)")
        out.append((record, digest))
        last, last_hash = seq, digest
    return out


def _check_ceremony(
    body: dict[str, Any],
    m: dict[str, Any],
    manifest_sha: bytes,
    report: Report,
    log: dict[str, Any] | None,
) -> None:
    """Checks 13–17 of §14.7: the bundle's log extract, the draw's records in it, the party
    keys, every signature and the reveal deadline; given the full log, its chain, the
    extract's place in it and the revocations."""
    extract = log_entries(body["log"], m["district"], "log extract", whole=False)
    records = [r for r, _ in extract]
    acts = _check_draw_records(body, m, records)
    keys = _check_keys(acts, records, m["district"])
    _check_signatures(body, m, manifest_sha, acts, keys)
    seqs = [r["seq"] for r in records]
    report.note(f"log        extract of {len(records)} records, seq {seqs[0]}..{seqs[-1]}")
    for act in acts:
        key = keys[act.entry["key_id"]]
        report.note(
            f"signed     {act.what} at {act.entry['at']}: key {key['key_id']} "
            f"({key['party']}, {key['holder']})"
        )
    if log is None:
        report.note(
            "log        only the bundle's extract was checked: give --log LOG (GET "
            "/public/draws/log) to check the chain and revocations against the published head"
        )
        return
    _check_full_log(log, m, extract, acts, report)


def _check_draw_records(
    body: dict[str, Any], m: dict[str, Any], records: list[dict[str, Any]]
) -> list[Act]:
    """Check 14: the draw's records, in order, equal to the bundle. Returns the signed acts."""
    mine = _records_of_draw(m, records)
    n, sign = len(m["parties"]), body["countersign"]
    if body["replacements"] and sign is None:
        raise Difference("replacement 1 without a countersignature: in /3 replacements follow it")
    beacon = m["beacon"] is not None
    direct = int("matching" in m)  # §15.3: the signed assignment precedes the result
    want = ["frozen"] + ["committed"] * n + ["revealed"] * n + ["beacon"] * beacon
    want += ["assigned"] * direct + ["drawn"]
    want += ["countersigned"] * (sign is not None) + ["replaced"] * len(body["replacements"])
    for j, kind in enumerate(want):
        if j == len(mine):
            after = f" after seq {mine[-1]['seq']}" if mine else ""
            raise Difference(f"log: no '{kind}' record of the draw{after}")
        if mine[j]["kind"] != kind:
            raise Difference(
                f"log: the draw's record seq {mine[j]['seq']} is {short(mine[j]['kind'])}, "
                f"expected '{kind}'"
            )
    if len(mine) > len(want):
        raise Difference(f"log: an extra record of the draw, seq {mine[len(want)]['seq']}")
    if beacon:
        _check_beacon_record(body, m, mine[2 * n + 1])
    frozen, drawn = mine[0], mine[2 * n + 1 + beacon + direct]
    rest = mine[2 * n + 2 + beacon + direct :]
    for field, value in (
        ("manifest_sha256", body["manifest_sha256"]),
        ("reveal_deadline", m["reveal_deadline"]),
        ("task_id", m["task"]["task_id"]),
    ):
        expect(frozen[field], value, f"log: 'frozen' record seq {frozen['seq']}: {field}")
    acts = _match_acts(mine[1 : n + 1], body["commitments"], "commit", COMMIT_FIELDS)
    acts += _match_acts(mine[n + 1 : 2 * n + 1], body["reveals"], "reveal", REVEAL_FIELDS)
    if direct:
        acts.append(_assigned_record(body, mine[2 * n + 1 + beacon]))
    for field in ("seed", "result_sha256"):
        expect(drawn[field], body[field], f"log: 'drawn' record seq {drawn['seq']}: {field}")
    if sign is not None:
        c = rest.pop(0)
        for field in COUNTERSIGN_FIELDS:
            expect(c[field], sign[field], f"log: 'countersigned' record seq {c['seq']}: {field}")
        _check_audit(body, c)
        acts.append(Act("countersign", OFFICE, c["seq"], sign))
    for r, rep in zip(rest, body["replacements"], strict=True):
        what = f"log: 'replaced' record seq {r['seq']}"
        expect(r["replacement_seq"], rep["seq"], f"{what}: replacement_seq")
        expect(r["replacement_sha256"], h(canonical(rep)).hex(), f"{what}: replacement_sha256")
        expect(rep["countersign"]["at"], r["at"], f"{what}: the countersignature's time")
        acts.append(Act("replacement", OFFICE, r["seq"], rep["countersign"], rep))
    return acts


def assignment_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """§15.3: the assignment as signed — per target in target order, its team (and experts)."""
    experts = "experts" in body["manifest"]
    return [
        {"uscc": t["uscc"], "team": t["team"]} | ({"experts": t["experts"]} if experts else {})
        for t in body["result"]["targets"]
    ]


def _assigned_record(body: dict[str, Any], a: dict[str, Any]) -> Act:
    """§15.3: the 'assigned' record equals the bundle's assignment and holds its digest."""
    what = f"log: 'assigned' record seq {a['seq']}"
    for field in ASSIGN_FIELDS:
        expect(a[field], body["assignment"][field], f"{what}: {field}")
    digest = h(canonical(assignment_of(body))).hex()
    expect(a["assignment_sha256"], digest, f"{what}: assignment_sha256")
    return Act("assign", ASSIGNING_PARTY, a["seq"], body["assignment"])


def _check_audit(body: dict[str, Any], c: dict[str, Any]) -> None:
    """§14.9: the audit recorded with the countersignature counts the bundle's disclosures."""
    result = body["result"]
    disclosed = len(result["recusal_disclosures"])
    disclosed += len(result.get("experts", {}).get("recusal_disclosures", []))
    disclosed += len(result.get("co_organisers", {}).get("recusal_disclosures", []))
    audit = c.get("audit")
    if not isinstance(audit, dict) or audit.get("recomputed") is not True:
        raise Difference(f"log: 'countersigned' record seq {c['seq']}: no audit (§14.9)")
    expect(audit.get("disclosed"), disclosed, f"log: record seq {c['seq']}: audit.disclosed")


def _records_of_draw(m: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The extract's records of the draw (keys aside); none of another draw, none voiding it."""
    mine = []
    for r in records:
        if r["kind"] in KEY_KINDS:
            continue
        if r["kind"] not in DRAW_KINDS + VOID_KINDS or r.get("draw_id") != m["draw_id"]:
            raise Difference(f"log extract: record seq {r['seq']} is not a record of this draw")
        if r["kind"] in VOID_KINDS:
            raise Difference(f"log: the draw is {r['kind']} (record seq {r['seq']})")
        mine.append(r)
    return mine


def _check_beacon_record(body: dict[str, Any], m: dict[str, Any], b: dict[str, Any]) -> None:
    """§14.8: the beacon's value was entered after every reveal, once it was public."""
    expect(b["value"], body["beacon_value"], f"log: 'beacon' record seq {b['seq']}: value")
    available = instant(m["beacon"]["available_at"], "manifest.beacon.available_at")
    if instant(b["at"], f"log: 'beacon' record seq {b['seq']}: at") < available:
        raise Difference(f"log: the beacon was entered before {m['beacon']['available_at']}")


def _match_acts(
    records: list[dict[str, Any]], entries: list[dict[str, Any]], kind: str, fields: tuple[str, ...]
) -> list[Act]:
    """One record per party (in any order), each equal to the bundle's entry of its party."""
    by_party: dict[str, dict[str, Any]] = {}
    parties = [e["party"] for e in entries]
    for r in records:
        if r["party"] not in parties or r["party"] in by_party:
            raise Difference(
                f"log: '{r['kind']}' record seq {r['seq']}: party {short(r['party'])} "
                "is not a party of the draw or has another such record"
            )
        by_party[r["party"]] = r
    acts = []
    for e in entries:
        r = by_party[e["party"]]
        for field in fields:
            expect(r[field], e[field], f"log: '{r['kind']}' record seq {r['seq']}: {field}")
        acts.append(Act(kind, e["party"], r["seq"], e))
    return acts


def _check_keys(
    acts: list[Act], records: list[dict[str, Any]], district: str
) -> dict[str, dict[str, Any]]:
    """Check 15: every key used is registered before its use, its key_id and self-signature
    are right, it is valid on the act's day and not revoked (in the extract); the party,
    holder and same-key rules of §14.4. Returns the used keys' records by key_id."""
    registered: dict[str, tuple[int, dict[str, Any]]] = {}
    revoked: dict[str, int] = {}
    for r in records:
        if r["kind"] == "key-registered":
            kid = r["key"]["key_id"]
            if kid in registered:
                raise Difference(f"log: key {kid} registered twice (seq {registered[kid][0]})")
            registered[kid] = (r["seq"], r["key"])
        elif r["kind"] == "key-revoked":
            revoked.setdefault(r["key_id"], r["seq"])
    used: dict[str, dict[str, Any]] = {}
    holder_of: dict[str, str] = {}  # party -> the person who holds its share
    assigner: str | None = None  # §15.3: who signed the direct assignment
    for act in acts:
        key = _usable_key(act, registered, revoked, district, used)
        kid = key["key_id"]
        if act.kind == "commit":
            expect(key["party"], act.party, f"{act.what}: party of key {kid}")
            _distinct_holder(act, key, holder_of)
            holder_of[act.party] = key["holder"]
        elif act.kind == "reveal":
            first = next(a for a in acts if a.kind == "commit" and a.party == act.party)
            if kid != first.entry["key_id"]:
                raise Difference(
                    f"{act.what}: signed by key {kid}, its commitment by key "
                    f"{first.entry['key_id']} (a reveal is signed by the commitment's key)"
                )
        elif act.kind == "replacement" and act.record is not None:  # §14.11
            expect(key["party"], OFFICE, f"{act.what}: party of key {kid}")
            if key["holder"] == act.record["requested_by"]:
                raise Difference(f"{act.what}: signed by who asked for it ({key['holder']})")
        elif act.kind == "assign":  # §15.3
            expect(key["party"], ASSIGNING_PARTY, f"{act.what}: party of key {kid}")
            assigner = key["holder"]
        else:
            expect(key["party"], OFFICE, f"{act.what}: party of key {kid}")
            _distinct_holder(act, key, holder_of)
            if key["holder"] == assigner:
                raise Difference(
                    f"{act.what}: signed by {assigner}, who assigned the teams (supervision is "
                    "another person's)"
                )
    return used


def _distinct_holder(act: Act, key: dict[str, Any], holder_of: dict[str, str]) -> None:
    """The parties are distinct people, and the countersigner holds no share (§14.4)."""
    for party, holder in holder_of.items():
        if holder == key["holder"]:
            raise Difference(
                f"{act.what}: key {key['key_id']}'s holder {short(holder)} also holds the share "
                f"of {party} (the parties and the countersigner must be distinct people)"
            )


def _usable_key(
    act: Act,
    registered: dict[str, tuple[int, dict[str, Any]]],
    revoked: dict[str, int],
    district: str,
    used: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The key an act names, if its signature may count for the act (§14.2)."""
    kid = act.entry["key_id"]
    if kid not in registered:
        raise Difference(f"{act.what}: key {short(kid)} has no key-registered record in the log")
    seq, key = registered[kid]
    if seq >= act.seq:
        raise Difference(
            f"{act.what}: key {kid} is registered at seq {seq}, not before its use at {act.seq}"
        )
    if kid not in used:
        _check_key_record(key, district)
        used[kid] = key
    day = instant(act.entry["at"], f"{act.what}: at").astimezone(CHINA).date()
    lo = iso_day(key["valid_from"], f"key {kid}: valid_from")
    hi = iso_day(key["valid_until"], f"key {kid}: valid_until")
    if not lo <= day <= hi:
        raise Difference(
            f"{act.what}: key {kid} is valid from {lo} to {hi}, not on {day} (China time)"
        )
    if kid in revoked and revoked[kid] < act.seq:
        raise Difference(
            f"{act.what}: key {kid} is revoked at seq {revoked[kid]}, before its use at {act.seq}"
        )
    return key


def _check_key_record(key: dict[str, Any], district: str) -> None:
    """A key record (§14.2): its key_id is its public key's, its self-signature verifies."""
    kid = key["key_id"]
    public = unhex(key["public_key"], 32, f"key {short(kid)}: public_key")
    expect(kid, h(public)[:16].hex(), "key_id (first 16 bytes of SHA-256 of its public key)")
    message = (
        lps("spotcheck/key/v3")
        + lps(district)
        + lps(key["party"])
        + lps(key["holder"])
        + lp(public)
        + lps(key["valid_from"])
        + lps(key["valid_until"])
    )
    if not ed25519_verify(public, message, unhex(key["signature"], 64, f"key {kid}: signature")):
        raise Difference(f"key {kid}: its self-signature (proof of possession) does not verify")


def _check_signatures(
    body: dict[str, Any],
    m: dict[str, Any],
    manifest_sha: bytes,
    acts: list[Act],
    keys: dict[str, dict[str, Any]],
) -> None:
    """Check 16: every signature of §14.4, and every reveal at or before the deadline."""
    result_digest = h(canonical(body["result"]))
    for act in acts:
        e = act.entry
        if act.kind == "commit":
            commitment = unhex(e["commitment"], 32, f"{act.what}: commitment")
            message = lps("spotcheck/commit/v3") + lp(manifest_sha) + lps(act.party)
            message += lp(commitment)
        elif act.kind == "reveal":
            share = unhex(e["share"], 32, f"{act.what}: share")
            message = lps("spotcheck/reveal/v3") + lp(manifest_sha) + lps(act.party) + lp(share)
        elif act.kind == "assign":  # §15.3
            message = lps("spotcheck/assign/v3") + lp(manifest_sha)
            message += lp(h(canonical(assignment_of(body))))
        elif act.kind == "replacement" and act.record is not None:  # §14.11
            r = act.record
            message = lps("spotcheck/replacement/v3") + lp(manifest_sha) + lps(r["uscc"])
            message += lps(r["replaced"]) + lps(r["replacement"]) + lps(r["approval_ref"])
        else:
            message = lps("spotcheck/countersign/v3") + lp(manifest_sha) + lp(result_digest)
        public = unhex(keys[e["key_id"]]["public_key"], 32, "public_key")
        signature = unhex(e["signature"], 64, f"{act.what}: signature")
        if not ed25519_verify(public, message, signature):
            raise Difference(f"{act.what}: signature is not key {e['key_id']}'s signature of it")
    deadline = instant(m["reveal_deadline"], "manifest.reveal_deadline")
    for r in body["reveals"]:
        if instant(r["at"], f"reveal of {r['party']}: at") > deadline:
            raise Difference(
                f"reveal of {r['party']} at {r['at']} is after the reveal deadline "
                f"{m['reveal_deadline']}"
            )


def _check_full_log(
    log: dict[str, Any], m: dict[str, Any], extract: LogEntries, acts: list[Act], report: Report
) -> None:
    """Check 17: the full log chains from seq 1, holds the extract's records unchanged and
    every record of the draw, and revokes no used key before its use. Prints its head."""
    full = log_entries(log, m["district"], "--log", whole=True)
    if not full:
        raise Difference("--log: the log has no records")
    by_seq = {r["seq"]: (r, digest) for r, digest in full}
    for record, digest in extract:
        theirs = by_seq.get(record["seq"])
        if theirs is None:
            raise Difference(f"log record seq {record['seq']} of the bundle is not in --log")
        if theirs != (record, digest):
            raise Difference(
                f"log record seq {record['seq']}: the bundle's extract differs from --log "
                f"(hash {digest}, in --log {theirs[1]})"
            )
    held = {record["seq"] for record, _ in extract}
    fate: dict[str, str] = {}  # draw_id -> kind of its last record
    for record, _ in full:
        if record["kind"] not in KEY_KINDS:
            fate[str(record.get("draw_id"))] = record["kind"]
        if record.get("draw_id") == m["draw_id"] and record["seq"] not in held:
            raise Difference(
                f"log record seq {record['seq']} ('{record['kind']}' of this draw) is missing "
                "from the bundle's extract"
            )
        if record["kind"] == "key-revoked":
            _not_revoked_before_use(record, acts)
    _note_log_head(log, full, m, fate, report)


def _not_revoked_before_use(revocation: dict[str, Any], acts: list[Act]) -> None:
    for act in acts:
        if revocation["key_id"] == act.entry["key_id"] and revocation["seq"] < act.seq:
            raise Difference(
                f"{act.what}: key {act.entry['key_id']} is revoked at seq {revocation['seq']}, "
                f"before its use at seq {act.seq} (--log)"
            )


def _note_log_head(
    log: dict[str, Any], full: LogEntries, m: dict[str, Any], fate: dict[str, str], report: Report
) -> None:
    task = m["task"]["task_id"]
    others = sorted(
        r["draw_id"]
        for r, _ in full
        if r["kind"] == "frozen" and r.get("task_id") == task and r["draw_id"] != m["draw_id"]
    )
    if others:
        listed = ", ".join(f"{d} ({fate.get(d)})" for d in others)
        report.note(f"log        other draws of task {task}: {listed}")
    seq, digest = full[-1][0]["seq"], full[-1][1]
    head = log.get("head")
    if isinstance(head, dict) and head.get("seq") != seq:
        report.note(f"--log      ends at seq {seq}, its own head says seq {head.get('seq')}")
    elif isinstance(head, dict):
        expect(head.get("hash"), digest, f"--log: head hash (seq {seq})")
    report.note(f"log head   seq {seq}  {digest}  (compare it with the published head)")


def verify_proof(proof: dict[str, Any]) -> Report:
    """One entity's proof against the population root: that it is in the draw's population
    (§4.3: its chunk and the chunk's Merkle audit path) or that it is not (§4.4: the chunks
    that bracket where its code would sit in the sorted population, with their paths)."""
    report = Report()
    try:
        if not isinstance(proof, dict):
            raise Difference("proof is not a JSON object")
        if proof.get("format") == NONPROOF_FORMAT:
            _verify_absence(proof, report)
        else:
            _verify_inclusion(proof, report)
        report.ok = True
    except Difference as exc:
        report.difference = str(exc)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        report.difference = f"proof malformed: {type(exc).__name__}: {exc}"
    return report


def _verify_inclusion(proof: dict[str, Any], report: Report) -> None:
    expect(proof["format"], PROOF_FORMAT, "format")
    if proof.get("included", True) is not True:  # proofs made before the field lack it
        raise Difference(
            f"included: a {PROOF_FORMAT} proof says true, not {short(proof['included'])}"
        )
    ch = proof["chunk"]
    u, s = b64(ch["uscc"], "chunk.uscc"), b64(ch["stratum"], "chunk.stratum")
    st, c = b64(ch["status"], "chunk.status"), b64(ch["checks"], "chunk.checks")
    attrs = b64(ch.get("attributes") or "", "chunk.attributes")  # /3 (§14.13)
    k = len(s)
    if len(u) != USCC_LEN * k or len(st) != k or len(c) != k or len(attrs) not in (0, 6 * k):
        raise Difference("chunk columns differ in length")
    codes = [u[USCC_LEN * i : USCC_LEN * (i + 1)].decode("ascii") for i in range(k)]
    if proof["uscc"] not in codes:
        raise Difference(f"{proof['uscc']} is not in the chunk")
    index = _count(proof["chunk_index"], "chunk_index")
    count = _count(proof["chunk_count"], "chunk_count")
    if index >= count:
        raise Difference(f"chunk_index {index}: there are only {count} chunks (chunk_count)")
    leaf = chunk_leaf(u, s, st, c, 0, k, attrs)
    path = [unhex(x, 32, "path") for x in proof["path"]]
    root = path_root(leaf, index, count, path)
    expect(root.hex(), proof["population_root"], "population Merkle root")
    i = codes.index(proof["uscc"])
    report.note(
        f"{proof['uscc']} is in the population of draw {proof['draw_id']} "
        f"(stratum index {s[i]}, status {STATUSES[st[i]] if st[i] < len(STATUSES) else st[i]}, "
        f"checks this year {c[i]})"
    )
    _compare_note(report, root, count)


def _count(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Difference(f"{what}: not a non-negative integer: {short(value)}")
    return value


def _proved_chunk(entry: Any, index: int, count: int, root: bytes) -> list[bytes]:
    """The codes of one chunk of a non-inclusion proof: chunk ``index`` of ``count`` (not empty,
    codes strictly ascending), its leaf led by its audit path to ``root``."""
    what = f"chunks: chunk {index}"
    if entry["chunk_index"] != index or isinstance(entry["chunk_index"], bool):
        raise Difference(f"chunks: chunk_index {short(entry['chunk_index'])}, expected {index}")
    if not 0 <= index < count:
        raise Difference(f"{what}: there are only {count} chunks (chunk_count)")
    ch = entry["chunk"]
    u, s = b64(ch["uscc"], f"{what}: uscc"), b64(ch["stratum"], f"{what}: stratum")
    st, c = b64(ch["status"], f"{what}: status"), b64(ch["checks"], f"{what}: checks")
    attrs = b64(ch.get("attributes") or "", f"{what}: attributes")  # /3 (§14.13)
    m = len(s)
    if m == 0 or len(u) != USCC_LEN * m or len(st) != m or len(c) != m:
        raise Difference(f"{what}: columns empty or of different lengths")
    if len(attrs) not in (0, 6 * m):
        raise Difference(f"{what}: attributes of a different length")
    codes = [u[USCC_LEN * i : USCC_LEN * (i + 1)] for i in range(m)]
    for i in range(1, m):
        if codes[i - 1] >= codes[i]:
            raise Difference(f"{what}: USCCs not strictly ascending at row {i}")
    path = [unhex(x, 32, f"{what}: path") for x in entry["path"]]
    node = path_root(chunk_leaf(u, s, st, c, 0, m, attrs), index, count, path)
    if node != root:
        raise Difference(
            f"{what}: its columns and audit path lead to {node.hex()}, not the population root"
        )
    return codes


def _verify_absence(proof: dict[str, Any], report: Report) -> None:
    """§4.4. The population is strictly ascending by USCC and its chunks are consecutive runs
    of rows, so two adjacent codes (in one chunk, or the last of chunk j and the first of chunk
    j+1), the first code (chunk 0) or the last (chunk chunk_count - 1) bracketing the USCC
    leave no room for it."""
    if proof["included"] is not False:
        raise Difference(f"included: a {NONPROOF_FORMAT} proof says false")
    uscc = proof["uscc"]
    if not isinstance(uscc, str) or len(uscc) != USCC_LEN or not uscc.isascii():
        raise Difference(f"uscc: not {USCC_LEN} ASCII characters: {short(uscc)}")
    code, draw = uscc.encode("ascii"), proof["draw_id"]
    root = unhex(proof["population_root"], 32, "population_root")
    count = _count(proof["chunk_count"], "chunk_count")
    chunks = proof["chunks"]
    if not isinstance(chunks, list) or len(chunks) > 2:
        raise Difference("chunks: a non-inclusion proof gives at most two chunks")
    said = f"{uscc} is NOT in the population of draw {draw}"
    if not chunks:
        if count != 0:
            raise Difference(f"no chunk given, but chunk_count is {count}: the proof is incomplete")
        if root != h(b""):
            raise Difference("no chunk given, but the root is not that of the empty population")
        report.note(f"{said}: the population is empty (0 chunks, root = SHA-256 of empty string)")
    elif len(chunks) == 2:
        j = _count(chunks[0]["chunk_index"], "chunks: chunk_index")
        before = _proved_chunk(chunks[0], j, count, root)[-1]
        after = _proved_chunk(chunks[1], j + 1, count, root)[0]
        if not before < code < after:
            raise Difference(
                f"{uscc} does not sort between {before.decode()}, the last code of chunk {j}, "
                f"and {after.decode()}, the first of chunk {j + 1}"
            )
        report.note(
            f"{said}: it would sit between {before.decode()}, the last code of chunk {j}, "
            f"and {after.decode()}, the first code of chunk {j + 1} (of {count} chunks)"
        )
    else:
        j = _count(chunks[0]["chunk_index"], "chunks: chunk_index")
        codes = _proved_chunk(chunks[0], j, count, root)
        report.note(f"{said}: {_within(code, codes, j, count)}")
    _compare_note(report, root, count)


def _compare_note(report: Report, root: bytes, count: int) -> None:
    report.note(
        f"population root {root.hex()}, {count} chunks: compare them with the manifest's "
        "population.merkle_root and ceil(population.size / population.chunk_size)"
    )


def _within(code: bytes, codes: list[bytes], j: int, count: int) -> str:
    """Where one chunk leaves no room for ``code``, in words (Difference if it does not)."""
    uscc = code.decode()
    if code in codes:
        raise Difference(f"{uscc} is in chunk {j}: the proof shows it included, not absent")
    if code < codes[0]:
        if j != 0:
            raise Difference(f"{uscc} sorts before chunk {j}, which is not the first chunk")
        return f"it sorts before {codes[0].decode()}, the first code of the population"
    if code > codes[-1]:
        if j != count - 1:
            raise Difference(f"{uscc} sorts after chunk {j}, which is not the last chunk")
        return f"it sorts after {codes[-1].decode()}, the last code of the population"
    i = next(i for i in range(1, len(codes)) if code < codes[i])
    return (
        f"it would sit between {codes[i - 1].decode()} and {codes[i].decode()}, "
        f"consecutive codes of chunk {j} (of {count} chunks)"
    )


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    prior_paths = None
    if "--prior" in args:  # BUNDLE --prior B1 B2 … (the rest of the line)
        at = args.index("--prior")
        prior_paths, args = args[at + 1 :], args[:at]
    log_path = None
    if "--log" in args:  # BUNDLE --log LOG (either order)
        at = args.index("--log")
        log_path = args[at + 1] if at + 1 < len(args) else None
        del args[at : at + 2]
        if log_path is None:
            args = []
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    proof = args[0] == "--proof"
    path = args[1] if proof and len(args) > 1 else args[0]
    raw = _read(path)
    log_raw = _read(log_path) if log_path is not None else b""
    read = [_read(x) for x in prior_paths or []]
    priors = [x for x in read if x is not None] if prior_paths is not None else None
    if raw is None or log_raw is None or None in read:
        return 2
    if proof:
        try:
            report = verify_proof(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as exc:
            print(f"DIFFERENCE: proof is not UTF-8 JSON: {exc}")
            return 1
    else:
        try:
            log = json.loads(log_raw.decode("utf-8")) if log_path is not None else None
        except (UnicodeDecodeError, ValueError) as exc:
            print(f"DIFFERENCE: --log {log_path} is not UTF-8 JSON: {exc}")
            return 1
        report = verify_bytes(raw, log=log, priors=priors)
    for line in report.lines:
        print(line)
    if report.ok:
        print(
            "OK: the proof checks against the population root"
            if proof
            else "OK: the draw recomputes exactly from the published bundle"
        )
        return 0
    print(f"DIFFERENCE: {report.difference}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
