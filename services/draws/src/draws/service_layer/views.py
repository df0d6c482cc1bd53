"""Reads of the draws service (the query side): what staff and the public look at."""

from __future__ import annotations

from typing import Any

from draws.domain import fast, ledger
from draws.domain import protocol as p
from draws.domain.ledger import PartyKey
from draws.domain.model import VOID, Draw
from draws.service_layer.unit_of_work import DrawsUnitOfWork
from spotcheck_common.errors import Conflict, Invalid, NotFound
from spotcheck_common.objects import NAMESPACE
from spotcheck_common.uscc import ALPHABET

USCC_ALPHABET = frozenset(ALPHABET)


async def draw(uow: DrawsUnitOfWork, draw_id: str) -> Draw:
    found = await uow.draws.get_draw(draw_id)
    if found is None:
        raise NotFound(f"抽取 {draw_id} 不存在")
    return found


async def names(uow: DrawsUnitOfWork, drawn: Draw) -> dict[str, tuple[str, str, str]]:
    """Name, risk class and area of each drawn target (what staff see beside the codes); none before
    the result, or of a cancelled draw."""
    if drawn.result is None or drawn.status in VOID:
        return {}
    return await uow.draws.entity_info([t["uscc"] for t in drawn.result["targets"]])


async def draws_of_task(uow: DrawsUnitOfWork, task_id: str | None) -> list[Draw]:
    return await uow.draws.list_draws(task_id)


async def bundle(uow: DrawsUnitOfWork, draw_id: str) -> bytes:
    """The verifiable bundle in canonical JSON (the stand-alone verifier's input)."""
    found = await draw(uow, draw_id)
    if found.result_sha256 is None:  # no result yet, or its teams not yet assigned (§15)
        raise Conflict("抽取尚未完成，暂无可验证的数据包")
    population = await uow.draws.get_population(draw_id)
    log = None
    if found.signed:  # the draw's records and the registrations of the keys they use
        keys = {
            e["key_id"]
            for e in [
                *found.commitments,
                *found.reveals,
                found.countersign or {},
                found.assignment or {},
                *(r.get("countersign") or {} for r in found.replacements),
            ]
            if "key_id" in e
        }
        records = await uow.ledger.extract_of(draw_id, sorted(keys))
        log = ledger.extract(found.manifest["district"], records)
    return p.canonical_json(found.bundle(population, log))


async def log(uow: DrawsUnitOfWork, district: str, after: int, limit: int) -> dict[str, Any]:
    """The district's draw log from ``after`` (a page of it), with its current head."""
    records = await uow.ledger.records(district, after, limit)
    seq, head = await uow.ledger.head(district)
    return {**ledger.extract(district, records), "head": {"seq": seq, "hash": head}}


async def head(uow: DrawsUnitOfWork, district: str) -> dict[str, Any]:
    seq, value = await uow.ledger.head(district)
    return {"district": district, "seq": seq, "hash": value}


async def keys(uow: DrawsUnitOfWork, district: str) -> list[PartyKey]:
    return await uow.ledger.keys(district)


async def _proof_from_tree(
    uow: DrawsUnitOfWork, draw_id: str, tree: p.StoredTree, uscc: str
) -> dict[str, Any]:
    """From the stored tree, reading one chunk of the population, or two when the code falls
    between a chunk's last code and the next one's first (§4.4)."""

    async def rows(k: int) -> p.Population:
        start = k * tree.chunk_size
        end = min(start + tree.chunk_size, tree.size)
        return await uow.draws.get_population_rows(draw_id, start, end)

    if not tree.chunks:  # the empty population
        return p.nonproof(uscc, 0, [])
    code = uscc.encode("ascii")
    found = tree.chunk_of(code)
    k = 0 if found is None else found  # before the first code: chunk 0
    chunk = await rows(k)
    included = p.proof_from_tree(tree, chunk, k, uscc)
    if included is not None:
        return included
    chunks = [(k, chunk)]
    if found is not None and k + 1 < tree.chunks and code > chunk.code(chunk.size - 1):
        chunks.append((k + 1, await rows(k + 1)))
    proof = p.nonproof_from_tree(tree, chunks, uscc)
    if proof is None:  # pragma: no cover - the code is in neither chunk
        raise AssertionError(f"{uscc}: no proof from chunks {[c for c, _ in chunks]}")
    return proof


def _uscc(text: str) -> str:
    """The object id of the request (upper case), or 422: 18 characters of the USCC alphabet,
    or a registry-assigned id (``Z`` + P/J/X + 16 of them, ADR 0011)."""
    code = text.upper()
    body = code[2:] if code[:1] == NAMESPACE and code[1:2] in "PJX" else code
    if len(code) != p.USCC_LEN or not set(body) <= USCC_ALPHABET:
        raise Invalid(
            f"{text[:40]} 不是统一社会信用代码（18 位数字或大写字母，不含 I、O、S、V、Z）"
            "或对象编码（Z 开头）"
        )
    return code


async def proof(
    uow: DrawsUnitOfWork, draw_id: str, uscc: str
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The Merkle proof that ``uscc`` is in the draw's population (§4.3) or that it is not
    (§4.4), with the draw's manifest and its digest (the result and roster are not read)."""
    code = _uscc(uscc)
    head = await uow.draws.get_manifest(draw_id)
    if head is None:
        raise NotFound(f"抽取 {draw_id} 不存在")
    manifest, manifest_sha256 = head
    tree = await uow.draws.get_tree(draw_id)
    if tree is None:  # a draw frozen before trees were stored: rebuild it
        population = await uow.draws.get_population(draw_id)
        chunk = int(manifest["population"]["chunk_size"])
        leaves = fast.population_leaves(population, chunk)
        answer = p.inclusion_proof(population, code, leaves, chunk) or p.non_inclusion_proof(
            population, code, leaves, chunk
        )
        if answer is None:  # pragma: no cover - a code is either in the population or not
            raise AssertionError(code)
    else:
        answer = await _proof_from_tree(uow, draw_id, tree, code)
    return manifest, manifest_sha256, answer


async def receipts(uow: DrawsUnitOfWork, draw_id: str, member_id: str) -> list[dict[str, str]]:
    """An inspector's (or expert's) own recusal receipts in a draw (§14.9): each declared
    conflict with its salt and the salted commitment sealed in the roster — what lets the
    declarant check it was sealed, and disclosed exactly when met."""
    found = await draw(uow, draw_id)
    experts = {e["expert_id"] for e in found.expert_roster or []}
    seal = p.expert_recusal_commitment if member_id in experts else p.recusal_commitment
    return [
        {"uscc": u, "salt": salt, "commitment": seal(bytes.fromhex(salt), i, u).hex()}
        for i, u, salt in sorted(await uow.draws.get_salts(draw_id))
        if i == member_id
    ]
