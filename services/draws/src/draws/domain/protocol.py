"""The draw protocol, byte for byte (``docs/draw-spec.md``): encodings, commitments, seed,
tickets, Merkle trees, quotas, the selection walk and the matching.

Pure functions on bytes and plain values; no I/O. The fast paths in ``draws.domain.fast``
must give identical results (tests compare them), and the stand-alone verifier
(``draws.verify_draw``) is an independent re-implementation of the same spec.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

ALGORITHM = "spotcheck-draw/1"
# spotcheck-draw/1 plus the expert matching (§8.4 of the spec); used only by draws whose task
# asks for experts, so every draw without experts stays byte for byte spotcheck-draw/1.
ALGORITHM_EXPERTS = "spotcheck-draw/2"
# The signed ceremony (§14): commitments bind the manifest, every act is signed with the
# party's Ed25519 key and chained in the district's draw log; leaders have their own load cap.
ALGORITHM_SIGNED = "spotcheck-draw/3"
ALGORITHMS = (ALGORITHM, ALGORITHM_EXPERTS, ALGORITHM_SIGNED)
ALTERNATES = 2  # /3: alternates per team position, fixed by the draw (§14.11)
# /3: the scope attributes each population row carries (§14.13), as vocabulary keys
ATTRIBUTES = ("entity_types", "industries", "areas")
BUNDLE_FORMAT = "spotcheck-draw-bundle/1"
CHUNK_SIZE = 256
USCC_LEN = 18

# Status codes of the population's status column (one byte each).
STATUSES = ("active", "deregistered", "revoked", "cancelled", "moved_out")
STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
ACTIVE = 0
# Skip reasons recorded by the selection walk.
SKIP_YEARLY_CAP = "yearly_cap"
SKIP_LABELS = {
    "deregistered": "已注销",
    "revoked": "被吊销营业执照",
    "cancelled": "被撤销设立登记",
    "moved_out": "已迁出",
    SKIP_YEARLY_CAP: "本年度抽查次数已达上限",
}
# Per 第六条 (4): an inspector holding this qualification may check every listed item.
QUALIFY_ALL = "双随机全部事项"

TAG_SHARE = "spotcheck/share/v1"
TAG_SEED = "spotcheck/seed/v1"
TAG_KEY = "spotcheck/draw-key/v1"
TAG_RECUSAL = "spotcheck/recusal/v1"
TAG_EXPERT_RECUSAL = "spotcheck/expert-recusal/v1"
TAG_SHARE_V3 = "spotcheck/share/v3"
TAG_KEY_V3 = "spotcheck/key/v3"
TAG_COMMIT_V3 = "spotcheck/commit/v3"
TAG_REVEAL_V3 = "spotcheck/reveal/v3"
TAG_COUNTERSIGN_V3 = "spotcheck/countersign/v3"
TAG_CANCEL_V3 = "spotcheck/cancel/v3"
TAG_REPLACEMENT_V3 = "spotcheck/replacement/v3"
TAG_LOG_V3 = "spotcheck/log/v3"
LOG_GENESIS = "0" * 64
OFFICE_PARTY = "办公室"  # the supervising party: always a party, alone countersigns
ENTITY_TICKET = b"\x01"
INSPECTOR_TICKET = b"\x02"
EXPERT_TICKET = b"\x03"
# §16: an agency inspector's ticket (never an entity's, an inspector's or an expert's input)
AGENCY_TICKET = b"\x04"
# §16: the party a co-organising agency (联合检查单位, 第三条) holds in the draw
AGENCY_PARTY_SUFFIX = ":联合检查单位"

NEIGHBOUR_RULES = ("none", "fill-when-short")


# ---------------------------------------------------------------------------- encodings


def lp(data: bytes) -> bytes:
    """Length-prefixed bytes: one length byte (0..255), then the bytes."""
    if len(data) > 255:
        raise ValueError(f"field longer than 255 bytes: {data[:20]!r}…")
    return bytes((len(data),)) + data


def lps(text: str) -> bytes:
    return lp(text.encode("utf-8"))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace, no floats (the spec's canonical form)."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def json_sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


# ------------------------------------------------------------------- commitments and seed


def share_commitment(draw_id: str, party: str, share: bytes) -> bytes:
    if len(share) != 32:
        raise ValueError("a seed share is exactly 32 bytes")
    return sha256(lps(TAG_SHARE) + lps(draw_id) + lps(party) + lp(share))


def signed(algorithm: str) -> bool:
    """Whether the manifest's algorithm is the signed ceremony (§14)."""
    return algorithm == ALGORITHM_SIGNED


def share_commitment_v3(manifest_digest: bytes, draw_id: str, party: str, share: bytes) -> bytes:
    """§14.3: the commitment binds the manifest's digest, so a share opens only this manifest."""
    if len(share) != 32:
        raise ValueError("a seed share is exactly 32 bytes")
    return sha256(lps(TAG_SHARE_V3) + lp(manifest_digest) + lps(draw_id) + lps(party) + lp(share))


def commitment_of(
    manifest: dict[str, Any], manifest_digest: bytes, party: str, share: bytes
) -> bytes:
    """The commitment a share must open under the manifest's algorithm."""
    if signed(manifest["algorithm"]):
        return share_commitment_v3(manifest_digest, manifest["draw_id"], party, share)
    return share_commitment(manifest["draw_id"], party, share)


def key_id_of(public_key: bytes) -> str:
    """§14.2: a key's id is the first 16 bytes of the SHA-256 of its public key, in hex."""
    return sha256(public_key)[:16].hex()


def key_message(
    district: str, party: str, holder: str, public_key: bytes, valid_from: str, valid_until: str
) -> bytes:
    """§14.2: what a key signs to register itself (proof of possession)."""
    return (
        lps(TAG_KEY_V3)
        + lps(district)
        + lps(party)
        + lps(holder)
        + lp(public_key)
        + lps(valid_from)
        + lps(valid_until)
    )


def commit_message(manifest_digest: bytes, party: str, commitment: bytes) -> bytes:
    return lps(TAG_COMMIT_V3) + lp(manifest_digest) + lps(party) + lp(commitment)


def reveal_message(manifest_digest: bytes, party: str, share: bytes) -> bytes:
    return lps(TAG_REVEAL_V3) + lp(manifest_digest) + lps(party) + lp(share)


def countersign_message(manifest_digest: bytes, result_digest: bytes) -> bytes:
    return lps(TAG_COUNTERSIGN_V3) + lp(manifest_digest) + lp(result_digest)


def replacement_message(
    manifest_digest: bytes, uscc: str, replaced: str, replacement: str, approval_ref: str
) -> bytes:
    """§14.11: what the general office signs to countersign one replacement."""
    return (
        lps(TAG_REPLACEMENT_V3)
        + lp(manifest_digest)
        + lps(uscc)
        + lps(replaced)
        + lps(replacement)
        + lps(approval_ref)
    )


def cancel_message(manifest_digest: bytes, reason: str) -> bytes:
    return lps(TAG_CANCEL_V3) + lp(manifest_digest) + lp(sha256(reason.encode("utf-8")))


def log_hash(record: dict[str, Any]) -> str:
    """§14.6: a draw log record's hash (the record holds ``seq`` and ``prev``: a chain)."""
    return sha256(lps(TAG_LOG_V3) + canonical_json(record)).hex()


def derive_seed(manifest_sha256: bytes, shares: Sequence[bytes], beacon: bytes | None) -> bytes:
    """Seed from the manifest digest, the shares in the manifest's party order, the beacon."""
    data = lps(TAG_SEED) + lp(manifest_sha256) + bytes((len(shares),))
    data += b"".join(lp(s) for s in shares)
    data += b"\x00" if beacon is None else b"\x01" + lp(beacon)
    return sha256(data)


def draw_key(seed: bytes, draw_id: str) -> bytes:
    return sha256(lps(TAG_KEY) + lp(seed) + lps(draw_id))


def entity_ticket(key: bytes, uscc: bytes) -> bytes:
    """One SHA-256 block: 0x01 ‖ key(32) ‖ 0x12 ‖ uscc(18) = 52 bytes."""
    return hashlib.sha256(ENTITY_TICKET + key + b"\x12" + uscc).digest()


def inspector_ticket(key: bytes, inspector_id: str, round_no: int) -> bytes:
    return sha256(INSPECTOR_TICKET + key + lps(inspector_id) + round_no.to_bytes(4, "big"))


def recusal_commitment(salt: bytes, inspector_id: str, uscc: str) -> bytes:
    return sha256(lps(TAG_RECUSAL) + lp(salt) + lps(inspector_id) + lps(uscc))


def expert_ticket(key: bytes, expert_id: str, round_no: int) -> bytes:
    return sha256(EXPERT_TICKET + key + lps(expert_id) + round_no.to_bytes(4, "big"))


def agency_ticket(key: bytes, inspector_id: str, round_no: int) -> bytes:
    """§16: the ticket of an agency's inspector at load ``round_no`` (domain byte 0x04)."""
    return sha256(AGENCY_TICKET + key + lps(inspector_id) + round_no.to_bytes(4, "big"))


def agency_party(agency: str) -> str:
    """§16: the party a co-organising agency holds, ``<agency>:联合检查单位``."""
    return agency + AGENCY_PARTY_SUFFIX


def agency_of_party(party: str) -> str | None:
    """The agency whose party this is; None for any other party."""
    if party.endswith(AGENCY_PARTY_SUFFIX) and len(party) > len(AGENCY_PARTY_SUFFIX):
        return party[: -len(AGENCY_PARTY_SUFFIX)]
    return None


def expert_recusal_commitment(salt: bytes, expert_id: str, uscc: str) -> bytes:
    return sha256(lps(TAG_EXPERT_RECUSAL) + lp(salt) + lps(expert_id) + lps(uscc))


# ---------------------------------------------------------------------------- Merkle trees


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def merkle_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the RFC 6962 tree over already-hashed leaves, leaves first, the root
    last: bottom-up pairing, an odd last node promoted unchanged."""
    levels = [list(leaves)]
    while len(level := levels[-1]) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        levels.append(nxt)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash over already-hashed leaves; empty tree = SHA-256("")."""
    return merkle_levels(leaves)[-1][0] if leaves else sha256(b"")


def merkle_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path of leaf ``index`` (siblings from the bottom up)."""
    path: list[bytes] = []
    for level in merkle_levels(leaves)[:-1]:
        if index ^ 1 < len(level):
            path.append(level[index ^ 1])
        index //= 2
    return path


@dataclass(frozen=True)
class StoredTree:
    """A population's Merkle tree kept with its draw, so a proof costs O(log n): every level's
    nodes (leaves first, 32 bytes each, RFC 6962 pairing), and each chunk's first USCC to find
    a code's chunk without reading the population."""

    chunk_size: int
    size: int  # rows of the population
    levels: bytes
    firsts: bytes  # USCC_LEN bytes per chunk

    @classmethod
    def of(cls, pop: Population, leaves: Sequence[bytes], chunk: int) -> StoredTree:
        levels = b"".join(b"".join(level) for level in merkle_levels(leaves))
        firsts = b"".join(pop.code(a) for a in range(0, pop.size, chunk))
        return cls(chunk, pop.size, levels, firsts)

    @property
    def chunks(self) -> int:
        return len(self.firsts) // USCC_LEN

    def chunk_of(self, code: bytes) -> int | None:
        """The chunk that would hold ``code`` (by its first USCC), or None before the first."""
        import bisect

        k = bisect.bisect_right(range(self.chunks), code, key=self._first) - 1
        return k if k >= 0 else None

    def _first(self, k: int) -> bytes:
        return self.firsts[USCC_LEN * k : USCC_LEN * (k + 1)]

    def path(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index``, read from the stored levels (as ``merkle_path``)."""
        path: list[bytes] = []
        width, offset = self.chunks, 0
        while width > 1:
            sibling = index ^ 1
            if sibling < width:
                at = offset + 32 * sibling
                path.append(self.levels[at : at + 32])
            offset += 32 * width
            width, index = (width + 1) // 2, index // 2
        return path


PROOF_FORMAT = "spotcheck-draw-proof/1"  # an entity is in the population (§4.3)
NONPROOF_FORMAT = "spotcheck-draw-nonproof/1"  # a USCC is not in it (§4.4)


def proof_from_tree(
    tree: StoredTree, chunk: Population, k: int, uscc: str
) -> dict[str, Any] | None:
    """The same proof as ``inclusion_proof``, from the stored tree and the one chunk."""
    code = uscc.encode("ascii")
    if all(chunk.code(i) != code for i in range(chunk.size)):
        return None
    return {
        "format": PROOF_FORMAT,
        "included": True,
        "uscc": uscc,
        "chunk_index": k,
        "chunk_count": tree.chunks,
        "chunk": chunk_columns(chunk),
        "path": [x.hex() for x in tree.path(k)],
    }


def verify_path(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    node, width, steps = leaf, size, list(path)
    while width > 1:
        if index % 2 == 1:
            node = node_hash(steps.pop(0), node) if steps else b""
        elif index + 1 < width:
            node = node_hash(node, steps.pop(0)) if steps else b""
        index, width = index // 2, (width + 1) // 2
    return not steps and node == root


# ----------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Population:
    """The canonical population: sorted by USCC, four fixed-width columns (and in /3 the scope
    attributes of each row, §14.13)."""

    # n × 18 ASCII bytes (bytes, or a read-only byte buffer over the snapshot's column)
    uscc: bytes | memoryview
    stratum: bytes  # n bytes: index into the manifest's strata
    status: bytes  # n bytes: STATUS_CODE
    checks: bytes  # n bytes: random checks of this year before this draw (saturated at 255)
    # /3: three blocks of n big-endian u16 — each row's entity type, industry and area as an
    # index into the manifest's ``population.vocabulary``; empty before /3
    attributes: bytes = b""
    # /3: the vocabulary those indices point into (sorted values of each ATTRIBUTES key)
    vocabulary: tuple[tuple[str, ...], ...] = field(default=(), compare=False)

    @property
    def size(self) -> int:
        return len(self.stratum)

    def attribute_rows(self, start: int, end: int) -> bytes:
        """Rows ``start``..``end`` of the three attribute blocks (§14.13), or b"" before /3."""
        if not self.attributes:
            return b""
        n = self.size
        return b"".join(self.attributes[2 * (k * n + start) : 2 * (k * n + end)] for k in range(3))

    def code(self, i: int) -> bytes:
        return bytes(self.uscc[USCC_LEN * i : USCC_LEN * (i + 1)])

    def validate(self) -> None:
        n = self.size
        if len(self.uscc) != USCC_LEN * n or len(self.status) != n or len(self.checks) != n:
            raise ValueError("population columns differ in length")
        if self.attributes and len(self.attributes) != 6 * n:
            raise ValueError("population attributes differ in length")
        for i in range(1, n):
            if self.code(i - 1) >= self.code(i):
                raise ValueError(f"population not strictly sorted at {i}")


def chunk_data(pop: Population, start: int, end: int) -> bytes:
    return (
        (end - start).to_bytes(4, "big")
        + bytes(pop.uscc[USCC_LEN * start : USCC_LEN * end])
        + pop.stratum[start:end]
        + pop.status[start:end]
        + pop.checks[start:end]
        + pop.attribute_rows(start, end)
    )


def population_leaves(pop: Population, chunk: int = CHUNK_SIZE) -> list[bytes]:
    return [
        leaf_hash(chunk_data(pop, s, min(s + chunk, pop.size))) for s in range(0, pop.size, chunk)
    ]


def population_root(pop: Population, chunk: int = CHUNK_SIZE) -> bytes:
    return merkle_root(population_leaves(pop, chunk))


def inclusion_proof(
    pop: Population, uscc: str, leaves: Sequence[bytes], chunk: int = CHUNK_SIZE
) -> dict[str, Any] | None:
    """The proof that ``uscc`` is in the population: its chunk's columns and audit path."""
    import bisect

    code = uscc.encode("ascii")
    i = bisect.bisect_left(range(pop.size), code, key=pop.code)
    if i >= pop.size or pop.code(i) != code:
        return None
    k = i // chunk
    return {
        "format": PROOF_FORMAT,
        "included": True,
        "uscc": uscc,
        "chunk_index": k,
        "chunk_count": len(leaves),
        "chunk": chunk_columns(population_rows(pop, k * chunk, min(k * chunk + chunk, pop.size))),
        "path": [x.hex() for x in merkle_path(leaves, k)],
    }


def population_rows(pop: Population, start: int, end: int) -> Population:
    """Rows ``start``..``end`` of the population (a chunk), as a population of their own."""
    return Population(
        bytes(pop.uscc[USCC_LEN * start : USCC_LEN * end]),
        pop.stratum[start:end],
        pop.status[start:end],
        pop.checks[start:end],
        pop.attribute_rows(start, end),
    )


def chunk_columns(rows: Population) -> dict[str, str]:
    """A chunk's columns as a proof gives them (canonical base64; ``attributes`` in /3)."""
    import base64

    columns = {"uscc": bytes(rows.uscc), "stratum": rows.stratum}
    columns |= {"status": rows.status, "checks": rows.checks}
    if rows.attributes:
        columns["attributes"] = rows.attributes
    return {name: base64.b64encode(value).decode("ascii") for name, value in columns.items()}


# ----------------------------------------------------------------- non-inclusion (§4.4)


def bracketing_chunks(pop: Population, code: bytes, chunk: int = CHUNK_SIZE) -> list[int] | None:
    """The chunks a non-inclusion proof of ``code`` gives (§4.4): those holding the rows just
    before and just after where ``code`` would sit — one chunk (the code falls between two of
    its rows, or before the first row, or after the last), two consecutive chunks (between
    one's last row and the next one's first), none for the empty population. None when
    ``code`` is in the population."""
    import bisect

    i = bisect.bisect_left(range(pop.size), code, key=pop.code)
    if i < pop.size and pop.code(i) == code:
        return None
    return sorted({r // chunk for r in (i - 1, i) if 0 <= r < pop.size})


def non_inclusion_proof(
    pop: Population, uscc: str, leaves: Sequence[bytes], chunk: int = CHUNK_SIZE
) -> dict[str, Any] | None:
    """The proof that ``uscc`` is not in the population (§4.4), or None when it is."""
    ks = bracketing_chunks(pop, uscc.encode("ascii"), chunk)
    if ks is None:
        return None
    parts = [
        (
            k,
            population_rows(pop, k * chunk, min(k * chunk + chunk, pop.size)),
            merkle_path(leaves, k),
        )
        for k in ks
    ]
    return nonproof(uscc, len(leaves), parts)


def nonproof_from_tree(
    tree: StoredTree, chunks: Sequence[tuple[int, Population]], uscc: str
) -> dict[str, Any] | None:
    """The same proof as ``non_inclusion_proof``, from the stored tree and the one or two
    chunks (``(index, rows)``) that bracket ``uscc``: the chunk ``tree.chunk_of`` names (chunk
    0 before the first code), and the next one too when ``uscc`` sorts after that chunk's last
    code and the chunk is not the last. None when ``uscc`` is in one of them."""
    code = uscc.encode("ascii")
    if any(rows.code(i) == code for _, rows in chunks for i in range(rows.size)):
        return None
    return nonproof(uscc, tree.chunks, [(k, rows, tree.path(k)) for k, rows in chunks])


def nonproof(
    uscc: str, chunk_count: int, parts: Sequence[tuple[int, Population, Sequence[bytes]]]
) -> dict[str, Any]:
    return {
        "format": NONPROOF_FORMAT,
        "included": False,
        "uscc": uscc,
        "chunk_count": chunk_count,
        "chunks": [
            {"chunk_index": k, "chunk": chunk_columns(rows), "path": [x.hex() for x in path]}
            for k, rows, path in parts
        ],
    }


def verify_nonproof(proof: dict[str, Any], root: bytes) -> bool:
    """Whether ``proof`` shows that its USCC is not in the population whose Merkle root is
    ``root`` (§4.4): every chunk's audit path leads to the root, the chunks are consecutive
    and strictly sorted, and the USCC falls strictly between two adjacent codes of the
    population, or before its first code (chunk 0), or after its last (chunk
    ``chunk_count - 1``); the empty population (no chunk) has the root SHA-256("")."""
    try:
        code: bytes = proof["uscc"].encode("ascii")
        count, parts = proof["chunk_count"], proof["chunks"]
        if proof["format"] != NONPROOF_FORMAT or proof["included"] is not False:
            return False
        if len(code) != USCC_LEN or type(count) is not int or len(parts) > 2:
            return False
        if not parts:
            return count == 0 and root == sha256(b"")
        first: int = parts[0]["chunk_index"]
        codes = [_proved_codes(part, first + j, count, root) for j, part in enumerate(parts)]
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    if len(codes) == 2:  # between the last code of one chunk and the first of the next
        return codes[0][-1] < code < codes[1][0]
    (only,) = codes
    if code < only[0]:
        return first == 0
    if code > only[-1]:
        return first == count - 1
    return code not in only  # sorted: two consecutive codes of the chunk bracket it


def _proved_codes(part: dict[str, Any], k: int, count: int, root: bytes) -> list[bytes]:
    """The codes of a proof's chunk, which must be chunk ``k`` of ``count`` (non-empty,
    strictly sorted) with an audit path to ``root``; ValueError if it is not."""
    import base64

    names = ("uscc", "stratum", "status", "checks", "attributes")
    uscc, stratum, status, checks, attributes = (
        base64.b64decode(part["chunk"].get(c) or "", validate=True) for c in names
    )
    rows = Population(uscc, stratum, status, checks, attributes)
    rows.validate()
    path = [bytes.fromhex(x) for x in part["path"]]
    leaf = leaf_hash(chunk_data(rows, 0, rows.size))
    index = part["chunk_index"]
    if type(index) is not int or index != k or not 0 <= k < count or rows.size == 0:
        raise ValueError(f"not chunk {k} of {count}, or empty")
    if not verify_path(leaf, k, count, path, root):
        raise ValueError(f"chunk {k}: the audit path does not lead to the root")
    return [rows.code(i) for i in range(rows.size)]


# -------------------------------------------------------------------------------- roster


@dataclass(frozen=True)
class RosterEntry:
    inspector_id: str
    name: str
    department: str
    district: str
    leader_qualified: bool
    certificate_expires_on: str  # ISO date
    active: bool
    qualifications: tuple[str, ...]
    recusals: tuple[str, ...] = ()  # hex commitments, sorted

    def record(self) -> bytes:
        quals = sorted(set(self.qualifications))
        recs = sorted(self.recusals)
        return (
            lps(self.inspector_id)
            + lps(self.name)
            + lps(self.department)
            + lps(self.district)
            + bytes((int(self.leader_qualified),))
            + lps(self.certificate_expires_on)
            + bytes((int(self.active),))
            + bytes((len(quals),))
            + b"".join(lps(q) for q in quals)
            + len(recs).to_bytes(2, "big")
            + b"".join(bytes.fromhex(r) for r in recs)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "inspector_id": self.inspector_id,
            "name": self.name,
            "department": self.department,
            "district": self.district,
            "leader_qualified": self.leader_qualified,
            "certificate_expires_on": self.certificate_expires_on,
            "active": self.active,
            "qualifications": sorted(set(self.qualifications)),
            "recusals": sorted(self.recusals),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RosterEntry:
        return cls(
            inspector_id=d["inspector_id"],
            name=d["name"],
            department=d["department"],
            district=d["district"],
            leader_qualified=bool(d["leader_qualified"]),
            certificate_expires_on=d["certificate_expires_on"],
            active=bool(d["active"]),
            qualifications=tuple(d["qualifications"]),
            recusals=tuple(d["recusals"]),
        )


def roster_root(roster: Sequence[RosterEntry]) -> bytes:
    ordered = sorted(roster, key=lambda r: r.inspector_id.encode("utf-8"))
    return merkle_root([leaf_hash(r.record()) for r in ordered])


@dataclass(frozen=True)
class ExpertEntry:
    """One expert of the expert roster (专家库) committed in a ``spotcheck-draw/2`` manifest."""

    expert_id: str
    name: str
    field: str  # 专业领域
    organization: str  # 工作单位
    active: bool
    recusals: tuple[str, ...] = ()  # hex commitments (expert recusal tag), sorted

    def record(self) -> bytes:
        recs = sorted(self.recusals)
        return (
            lps(self.expert_id)
            + lps(self.name)
            + lps(self.field)
            + lps(self.organization)
            + bytes((int(self.active),))
            + len(recs).to_bytes(2, "big")
            + b"".join(bytes.fromhex(r) for r in recs)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "expert_id": self.expert_id,
            "name": self.name,
            "field": self.field,
            "organization": self.organization,
            "active": self.active,
            "recusals": sorted(self.recusals),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ExpertEntry:
        return cls(
            expert_id=d["expert_id"],
            name=d["name"],
            field=d["field"],
            organization=d["organization"],
            active=bool(d["active"]),
            recusals=tuple(d["recusals"]),
        )


def expert_roster_root(roster: Sequence[ExpertEntry]) -> bytes:
    ordered = sorted(roster, key=lambda r: r.expert_id.encode("utf-8"))
    return merkle_root([leaf_hash(r.record()) for r in ordered])


def expert_pool(roster: Sequence[ExpertEntry], manifest: dict[str, Any]) -> list[str]:
    """Experts who may be matched (§8.4): active, and of one of the task's fields (any field
    when the list is empty); in roster order."""
    spec = manifest.get("experts")
    if not spec:
        return []
    fields = set(spec["fields"])
    return [
        r.expert_id
        for r in sorted(roster, key=lambda r: r.expert_id.encode("utf-8"))
        if r.active and (not fields or r.field in fields)
    ]


def qualified(quals: Iterable[str], items: Sequence[dict[str, str]]) -> bool:
    """Qualified when every check item's code or name is among the qualifications, or the
    inspector holds ``QUALIFY_ALL`` (第六条: may check every item of the list)."""
    have = set(quals)
    if QUALIFY_ALL in have:
        return True
    return all(item["code"] in have or item["name"] in have for item in items)


def static_exclusion(entry: RosterEntry, manifest: dict[str, Any]) -> str | None:
    """Why an inspector of the roster may not be matched at all in this draw (None: may)."""
    tier = pool_tier(entry, manifest)
    if tier is None:
        return "not_in_pool"
    if not entry.active:
        return "inactive"
    if entry.certificate_expires_on < manifest["draw_date"]:
        return "certificate_expired"
    if not qualified(entry.qualifications, manifest["check_items"]):
        return "not_qualified"
    return None


def pool_tier(entry: RosterEntry, manifest: dict[str, Any]) -> int | None:
    for pool in manifest["pools"]:
        if entry.district == pool["district"] and entry.department in pool["departments"]:
            tier = int(pool["tier"])
            if tier > 0 and manifest["neighbour_rule"] != "fill-when-short":
                return None
            return tier
    return None


# --------------------------------------------------------------------------------- quotas


def quotas(ratios_bp: Sequence[int], eligible: Sequence[int], keys: Sequence[str]) -> list[int]:
    """Largest remainder on integers: total = round-half-up(Σ n·bp / 10000); each stratum
    gets ⌊n·bp/10000⌋, the rest one each by remainder (descending), then key (ascending)."""
    exact = [n * bp for n, bp in zip(eligible, ratios_bp, strict=True)]
    total = (sum(exact) + 5000) // 10000
    base = [e // 10000 for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] % 10000), keys[i].encode()))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def reserve_size(quota: int, reserve_bp: int, reserve_min: int) -> int:
    if quota == 0:
        return 0
    return max(reserve_min, (quota * reserve_bp + 9999) // 10000)


# -------------------------------------------------------------------------------- selection


@dataclass
class StratumResult:
    key: str
    eligible: int
    quota: int
    reserve_size: int
    walk: list[tuple[str, str]] = field(default_factory=list)  # (uscc, outcome)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "eligible": self.eligible,
            "quota": self.quota,
            "reserve_size": self.reserve_size,
            "walk": [[u, o] for u, o in self.walk],
        }


def eligible_counts(pop: Population, caps: Sequence[int]) -> list[int]:
    counts = [0] * len(caps)
    for s, st, c in zip(pop.stratum, pop.status, pop.checks, strict=True):
        if st == ACTIVE and c < caps[s]:
            counts[s] += 1
    return counts


def plan_strata(pop: Population, manifest: dict[str, Any]) -> list[StratumResult]:
    strata = manifest["strata"]
    caps = [int(s["cap"]) for s in strata]
    keys = [s["key"] for s in strata]
    counts = eligible_counts(pop, caps)
    qs = quotas([int(s["ratio_bp"]) for s in strata], counts, keys)
    sel = manifest["selection"]
    return [
        StratumResult(k, n, q, reserve_size(q, int(sel["reserve_bp"]), int(sel["reserve_min"])))
        for k, n, q in zip(keys, counts, qs, strict=True)
    ]


def walk_stratum(
    ordered: Iterable[tuple[bytes, bytes, int, int]], res: StratumResult, cap: int
) -> None:
    """``ordered``: (ticket, uscc, status, checks) by (ticket, uscc). Appends to ``res.walk``."""
    selected = reserved = 0
    if res.quota == 0:
        return
    for _, code, status, checks in ordered:
        if selected == res.quota and reserved == res.reserve_size:
            break
        uscc = code.decode("ascii")
        if status != ACTIVE:
            res.walk.append((uscc, STATUSES[status]))
        elif checks >= cap:
            res.walk.append((uscc, SKIP_YEARLY_CAP))
        elif selected < res.quota:
            res.walk.append((uscc, "selected"))
            selected += 1
        else:
            res.walk.append((uscc, "reserve"))
            reserved += 1


def select(pop: Population, manifest: dict[str, Any], key: bytes) -> list[StratumResult]:
    """Reference selection: every ticket computed with hashlib, sorted per stratum."""
    results = plan_strata(pop, manifest)
    caps = [int(s["cap"]) for s in manifest["strata"]]
    per: list[list[tuple[bytes, bytes, int, int]]] = [[] for _ in results]
    for i in range(pop.size):
        code = pop.code(i)
        per[pop.stratum[i]].append((entity_ticket(key, code), code, pop.status[i], pop.checks[i]))
    for s, rows in enumerate(per):
        rows.sort()
        walk_stratum(rows, results[s], caps[s])
    return results


def targets_in_order(results: Sequence[StratumResult], key: bytes) -> list[tuple[bytes, str]]:
    """The selected targets of every stratum, by (ticket, uscc)."""
    chosen = [
        (entity_ticket(key, u.encode("ascii")), u)
        for r in results
        for u, outcome in r.walk
        if outcome == "selected"
    ]
    chosen.sort()
    return chosen


# --------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Candidate:
    inspector_id: str
    tier: int
    leader_qualified: bool


@dataclass
class MatchResult:
    load_cap: int
    pool_size: int
    teams: dict[str, list[tuple[str, str]]]  # uscc -> [(inspector_id, role)], leader first
    unstaffed: list[str]
    loads: dict[str, int]
    disclosures: list[tuple[str, str]]  # (uscc, inspector_id) recusals met on the way
    leader_load_cap: int = 0  # /3: the leader-qualified inspectors' own cap (§14.7)
    # /3: why each unstaffed target is (§14.7): "leader", "member" or "experts" ran out
    short: dict[str, str] = field(default_factory=dict)


Recused = Callable[[str, str], bool]


class Matcher:
    """The matching rule of the spec: each step takes the candidate with the smallest key
    among eligible ones — leader: (tier, load, ticket(i, load), id) over leader-qualified;
    member: (tier, load, leader_qualified, ticket(i, load), id) over all.

    Two heaps (leader-qualified, others) with lazy deletion; candidates met on the way that
    are recused from the target are set aside (and disclosed), then put back.

    ``per_role`` (/3, §14.7): a leader-qualified inspector's cap is the larger of the common
    cap and ⌈targets / leaders⌉ + 1, since every team needs one of the (often few) leaders."""

    def __init__(
        self,
        key: bytes,
        pool: Sequence[Candidate],
        team_size: int,
        targets: int,
        recused: Recused,
        pair_conflicts: Iterable[tuple[str, str]] = (),
        per_role: bool = False,
    ) -> None:
        self.key = key
        self.pool = {c.inspector_id: c for c in pool}
        self.team_size = team_size
        self.cap = -(-team_size * targets // len(pool)) + 1 if pool else 0
        leaders = sum(c.leader_qualified for c in pool)
        self.leader_cap = (
            max(self.cap, -(-targets // leaders) + 1) if per_role and leaders else self.cap
        )
        self.cap_of = {
            c.inspector_id: self.leader_cap if c.leader_qualified else self.cap for c in pool
        }
        self.short: dict[str, str] = {}
        # /3 (§14.11): the targets whose positions' alternates are wanted, and how many each
        self.peek: set[str] = set()
        self.peek_count = 0
        self.alternates: dict[str, list[tuple[list[str], list[str]]]] = {}
        self.loads = dict.fromkeys(self.pool, 0)
        self.recused = recused
        self.conflicts: dict[str, set[str]] = {}
        for a, b in pair_conflicts:
            self.conflicts.setdefault(a, set()).add(b)
            self.conflicts.setdefault(b, set()).add(a)
        self.disclosed: list[tuple[str, str]] = []
        self._disclosed_set: set[tuple[str, str]] = set()
        self._prefix = {c.inspector_id: INSPECTOR_TICKET + key + lps(c.inspector_id) for c in pool}
        self._id_bytes = {c.inspector_id: c.inspector_id.encode("utf-8") for c in pool}
        self.heaps: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] = ([], [])
        for c in pool:
            self._push(c.inspector_id)

    def ticket(self, inspector_id: str, round_no: int) -> bytes:
        return hashlib.sha256(self._prefix[inspector_id] + round_no.to_bytes(4, "big")).digest()

    def _push(self, inspector_id: str) -> None:
        load = self.loads[inspector_id]
        if load < self.cap_of[inspector_id]:
            c = self.pool[inspector_id]
            entry = (
                c.tier,
                load,
                self.ticket(inspector_id, load),
                self._id_bytes[inspector_id],
                inspector_id,
            )
            heapq.heappush(self.heaps[0 if c.leader_qualified else 1], entry)

    def _disclose(self, uscc: str, inspector_id: str) -> None:
        if (uscc, inspector_id) not in self._disclosed_set:
            self._disclosed_set.add((uscc, inspector_id))
            self.disclosed.append((uscc, inspector_id))

    def staff(self, uscc: str) -> list[tuple[str, str]] | None:
        """One target: the leader, then the members (§8.3); None when it cannot be staffed."""
        heaps, loads, cap, conflicts = self.heaps, self.loads, self.cap_of, self.conflicts
        recused, pop, push = self.recused, heapq.heappop, heapq.heappush
        team: list[str] = []
        aside: list[tuple[int, tuple[Any, ...]]] = []
        for step in range(self.team_size):
            chosen = None
            while chosen is None:
                # the valid top of each heap (stale entries dropped, blocked ones set aside)
                tops: list[tuple[Any, ...] | None] = [None, None]
                for h in (0,) if step == 0 else (0, 1):
                    heap = heaps[h]
                    while heap:
                        e = heap[0]
                        i = e[4]
                        if e[1] != loads[i] or e[1] >= cap[i]:
                            pop(heap)
                        elif i in team or (
                            conflicts and any(m in conflicts.get(i, ()) for m in team)
                        ):
                            aside.append((h, pop(heap)))
                        else:
                            tops[h] = e
                            break
                a, b = tops
                if a is None and b is None:
                    break
                # member key (tier, load, leader_qualified, ticket, id): at equal (tier, load)
                # the non-leader-qualified candidate (heap 1) comes first
                h = 1 if b is not None and (a is None or (b[0], b[1]) <= (a[0], a[1])) else 0
                e = pop(heaps[h])
                aside.append((h, e))
                if recused(e[4], uscc):
                    self._disclose(uscc, e[4])
                    continue
                chosen = e[4]
            if chosen is None:
                for h, e in aside:
                    push(heaps[h], e)
                self.short[uscc] = "leader" if step == 0 else "member"
                return None
            team.append(chosen)
        for h, e in aside:
            if e[4] not in team:
                push(heaps[h], e)
        if uscc in self.peek:  # /3 (§14.11): its positions' alternates, at this very state
            self.alternates[uscc] = [self._next(uscc, team, k) for k in range(len(team))]
        for i in team:
            loads[i] += 1
            self._push(i)
        return [(i, "leader" if n == 0 else "member") for n, i in enumerate(team)]

    def _next(self, uscc: str, team: list[str], k: int) -> tuple[list[str], list[str]]:
        """§14.11: the next ``alternates`` candidates of position ``k``'s search, as the team
        is found (loads not yet grown): not on the team, no pair conflict with the rest of it,
        not recused (those met are returned too, in order). The heaps are left as they were.
        (The candidate loop repeats ``staff``'s on purpose: shared through a method it cost the
        matching 20 % — ``staff`` runs for every target of a draw, this only on replacements.)"""
        heaps, loads, cap = self.heaps, self.loads, self.cap_of
        blocked = set(team)
        for m in team:
            if m != team[k]:
                blocked.update(self.conflicts.get(m, ()))
        taken: list[str] = []
        met: list[str] = []
        aside: list[tuple[int, tuple[Any, ...]]] = []
        while len(taken) < self.peek_count:
            tops: list[tuple[Any, ...] | None] = [None, None]
            for h in (0,) if k == 0 else (0, 1):
                heap = heaps[h]
                while heap:
                    e = heap[0]
                    if e[1] != loads[e[4]] or e[1] >= cap[e[4]]:
                        heapq.heappop(heap)  # stale
                    elif e[4] in blocked:
                        aside.append((h, heapq.heappop(heap)))
                    else:
                        tops[h] = e
                        break
            a, b = tops
            if a is None and b is None:
                break
            h = 1 if b is not None and (a is None or (b[0], b[1]) <= (a[0], a[1])) else 0
            e = heapq.heappop(heaps[h])
            aside.append((h, e))
            (met if self.recused(e[4], uscc) else taken).append(e[4])
        for h, e in aside:
            heapq.heappush(heaps[h], e)
        return taken, met

    def unstaff(self, team: Sequence[tuple[str, str]]) -> None:
        """Undo a team just staffed (its experts could not be found): loads back as before."""
        for i, _role in team:
            self.loads[i] -= 1
            self._push(i)

    def run(
        self,
        targets: Sequence[str],
        experts: ExpertMatcher | None = None,
        agencies: AgencyMatcher | None = None,
    ) -> MatchResult:
        """Every target in order (§8.3); with ``experts``, a target whose experts cannot be
        found after its inspectors were (§8.4) is unstaffed too, and no load changes; likewise
        with ``agencies`` (§16), after the experts, for its co-organisers' inspectors."""
        teams: dict[str, list[tuple[str, str]]] = {}
        unstaffed: list[str] = []
        for uscc in targets:
            team = self.staff(uscc)
            if team is not None and experts is not None:
                chosen = experts.staff(uscc)
                if chosen is None:
                    self.unstaff(team)
                    self.short[uscc] = "experts"
                    team = None
            if (
                team is not None
                and agencies is not None
                and agencies.staff(uscc, [i for i, _ in team]) is None
            ):
                self.unstaff(team)
                if experts is not None:
                    experts.unstaff(uscc)
                self.short[uscc] = "agency"
                team = None
            if team is None:
                unstaffed.append(uscc)
            else:
                teams[uscc] = team
        return MatchResult(
            self.cap,
            len(self.pool),
            teams,
            unstaffed,
            dict(self.loads),
            list(self.disclosed),
            self.leader_cap,
            dict(self.short),
        )

    def replace(
        self, uscc: str, team: list[tuple[str, str]], out: str, excluded: set[str]
    ) -> str | None:
        """Draw the replacement of ``out`` on ``uscc`` by the same rule (linear scan)."""
        role = dict(team)[out]
        rest = [i for i, _ in team if i != out]
        self.loads[out] -= 1
        candidates = []
        for c in self.pool.values():
            i = c.inspector_id
            if i in rest or i == out or i in excluded or self.loads[i] >= self.cap_of[i]:
                continue
            if any(m in self.conflicts.get(i, ()) for m in rest):
                continue
            if role == "leader" and not c.leader_qualified:
                continue
            load = self.loads[i]
            lq = 0 if role == "leader" else int(c.leader_qualified)
            candidates.append(((c.tier, load, lq, self.ticket(i, load), self._id_bytes[i]), i))
        for _k, i in sorted(candidates):
            if self.recused(i, uscc):
                self._disclose(uscc, i)
                continue
            self.loads[i] += 1
            return i
        self.loads[out] += 1
        return None


class ExpertMatcher:
    """The expert rule of §8.4: per target, ``per_target`` distinct experts of the expert pool,
    each step the smallest key (load, eticket(e, load), id) among experts whose load is below
    the expert load cap and who are not recused from the target (met recusals are disclosed)."""

    def __init__(
        self, key: bytes, pool: Sequence[str], per_target: int, targets: int, recused: Recused
    ) -> None:
        self.key = key
        self.pool = list(pool)
        self.per_target = per_target
        self.cap = -(-per_target * targets // len(self.pool)) + 1 if self.pool else 0
        self.loads = dict.fromkeys(self.pool, 0)
        self.recused = recused
        self.teams: dict[str, list[str]] = {}
        self.disclosed: list[tuple[str, str]] = []
        self._disclosed_set: set[tuple[str, str]] = set()
        self.heap: list[tuple[int, bytes, bytes, str]] = []
        for e in self.pool:
            self._push(e)

    def ticket(self, expert_id: str, round_no: int) -> bytes:
        return expert_ticket(self.key, expert_id, round_no)

    def _push(self, expert_id: str) -> None:
        load = self.loads[expert_id]
        if load < self.cap:
            heapq.heappush(
                self.heap,
                (load, self.ticket(expert_id, load), expert_id.encode("utf-8"), expert_id),
            )

    def unstaff(self, uscc: str) -> None:
        """Undo a target's experts just found (its agencies' inspectors could not be, §16)."""
        for e in self.teams.pop(uscc):
            self.loads[e] -= 1
            self._push(e)

    def staff(self, uscc: str) -> list[str] | None:
        """The target's experts in step order, loads grown; None (nothing changed) if short."""
        heap, loads, cap = self.heap, self.loads, self.cap
        chosen: list[str] = []
        aside: list[tuple[int, bytes, bytes, str]] = []
        while len(chosen) < self.per_target:
            found = None
            while heap:
                e = heap[0]
                if e[0] != loads[e[3]] or e[0] >= cap:
                    heapq.heappop(heap)
                    continue
                aside.append(heapq.heappop(heap))
                if e[3] in chosen:
                    continue
                if self.recused(e[3], uscc):
                    if (uscc, e[3]) not in self._disclosed_set:
                        self._disclosed_set.add((uscc, e[3]))
                        self.disclosed.append((uscc, e[3]))
                    continue
                found = e[3]
                break
            if found is None:
                for e in aside:
                    heapq.heappush(heap, e)
                return None
            chosen.append(found)
        for e in aside:
            if e[3] not in chosen:
                heapq.heappush(heap, e)
        for x in chosen:
            loads[x] += 1
            self._push(x)
        self.teams[uscc] = chosen
        return chosen


def agency_pool(
    roster: Sequence[RosterEntry], manifest: dict[str, Any], co: dict[str, Any]
) -> list[str]:
    """§16: the inspectors of co-organiser ``co`` who may be matched: of its roster (district =
    the agency's code), active, certificate valid on the draw date, qualified for the agency's
    own items; in roster order."""
    return [
        r.inspector_id
        for r in sorted(roster, key=lambda r: r.inspector_id.encode("utf-8"))
        if r.district == co["agency"]
        and r.active
        and r.certificate_expires_on >= manifest["draw_date"]
        and qualified(r.qualifications, co["check_items"])
    ]


class AgencyMatcher:
    """§16: per target whose team (and experts) were found, ``per_team`` inspectors of each
    co-organiser in manifest order, each step the smallest key (load, aticket(i, load), id)
    among the agency's pool below the agency's cap, not on the target, without a pair conflict
    with anyone on its team, not recused (met recusals are disclosed, in the order met)."""

    def __init__(
        self,
        key: bytes,
        pools: Sequence[tuple[str, int, Sequence[str]]],
        targets: int,
        recused: Recused,
        pair_conflicts: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.key = key
        self.pools = [(agency, per, list(pool)) for agency, per, pool in pools]
        self.caps = {
            agency: -(-per * targets // len(pool)) + 1 if pool else 0
            for agency, per, pool in self.pools
        }
        self.loads = {i: 0 for _, _, pool in self.pools for i in pool}
        self.recused = recused
        self.conflicts: dict[str, set[str]] = {}
        for a, b in pair_conflicts:
            self.conflicts.setdefault(a, set()).add(b)
            self.conflicts.setdefault(b, set()).add(a)
        self.members: dict[str, list[str]] = {}
        self.disclosed: list[tuple[str, str]] = []

    def staff(self, uscc: str, team: Sequence[str]) -> list[str] | None:
        """The target's agency members (agencies in order, steps in order), loads grown; None
        (nothing changed) when one step finds no candidate."""
        on = list(team)
        chosen: list[str] = []
        for agency, per, pool in self.pools:
            cap = self.caps[agency]
            for _ in range(per):
                found = self._step(uscc, on, pool, cap)
                if found is None:
                    return None
                on.append(found)
                chosen.append(found)
        for i in chosen:
            self.loads[i] += 1
        self.members[uscc] = chosen
        return chosen

    def _step(self, uscc: str, on: list[str], pool: Sequence[str], cap: int) -> str | None:
        ranked = sorted(
            (self.loads[i], agency_ticket(self.key, i, self.loads[i]), i.encode("utf-8"), i)
            for i in pool
            if i not in on
            and self.loads[i] < cap
            and not any(m in self.conflicts.get(i, ()) for m in on)
        )
        for *_, i in ranked:
            if self.recused(i, uscc):
                if (uscc, i) not in self.disclosed:
                    self.disclosed.append((uscc, i))
                continue
            return i
        return None

    def result(self) -> dict[str, Any]:
        """The result's ``co_organisers`` object (salts added by the caller)."""
        return {
            "pools": [
                {"agency": agency, "pool_size": len(pool), "load_cap": self.caps[agency]}
                for agency, _, pool in self.pools
            ]
        }


def build_pool(roster: Sequence[RosterEntry], manifest: dict[str, Any]) -> list[Candidate]:
    pool = []
    for r in sorted(roster, key=lambda r: r.inspector_id.encode("utf-8")):
        if static_exclusion(r, manifest) is None:
            tier = pool_tier(r, manifest)
            assert tier is not None
            pool.append(Candidate(r.inspector_id, tier, r.leader_qualified))
    return pool


def valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
