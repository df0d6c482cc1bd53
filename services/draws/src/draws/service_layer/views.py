"""Reads of the draws service (the query side): what staff and the public look at."""

from __future__ import annotations

from typing import Any

from draws.domain import fast, ledger
from draws.domain import protocol as p
from draws.domain.ledger import PartyKey
from draws.domain.model import VOID, Draw
from draws.service_layer.unit_of_work import DrawsUnitOfWork
from spotcheck_common.errors import Conflict, NotFound


async def draw(uow: DrawsUnitOfWork, draw_id: str) -> Draw:
    found = await uow.draws.get_draw(draw_id)
    if found is None:
        raise NotFound(f"抽取 {draw_id} 不存在")
    return found


async def names(uow: DrawsUnitOfWork, drawn: Draw) -> dict[str, tuple[str, str]]:
    """Name and risk class of each drawn target (what staff see beside the codes); none before
    the result, or of a cancelled draw."""
    if drawn.result is None or drawn.status in VOID:
        return {}
    return await uow.draws.entity_info([t["uscc"] for t in drawn.result["targets"]])


async def draws_of_task(uow: DrawsUnitOfWork, task_id: str | None) -> list[Draw]:
    return await uow.draws.list_draws(task_id)


async def bundle(uow: DrawsUnitOfWork, draw_id: str) -> bytes:
    """The verifiable bundle in canonical JSON (the stand-alone verifier's input)."""
    found = await draw(uow, draw_id)
    if found.result is None:
        raise Conflict("抽取尚未完成，暂无可验证的数据包")
    population = await uow.draws.get_population(draw_id)
    log = None
    if found.signed:  # the draw's records and the registrations of the keys they use
        keys = {
            e["key_id"]
            for e in [*found.commitments, *found.reveals, found.countersign or {}]
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
) -> dict[str, Any] | None:
    k = tree.chunk_of(uscc.encode("ascii")) if uscc.isascii() else None
    if k is None:
        return None
    start = k * tree.chunk_size
    rows = await uow.draws.get_population_rows(
        draw_id, start, min(start + tree.chunk_size, tree.size)
    )
    return p.proof_from_tree(tree, rows, k, uscc)


async def proof(
    uow: DrawsUnitOfWork, draw_id: str, uscc: str
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The Merkle inclusion proof of ``uscc`` in the draw's population, with the draw's
    manifest and its digest (the result and roster are not read)."""
    head = await uow.draws.get_manifest(draw_id)
    if head is None:
        raise NotFound(f"抽取 {draw_id} 不存在")
    manifest, manifest_sha256 = head
    tree = await uow.draws.get_tree(draw_id)
    if tree is None:  # a draw frozen before trees were stored: rebuild it
        population = await uow.draws.get_population(draw_id)
        chunk = int(manifest["population"]["chunk_size"])
        leaves = fast.population_leaves(population, chunk)
        included = p.inclusion_proof(population, uscc.upper(), leaves, chunk)
    else:
        included = await _proof_from_tree(uow, draw_id, tree, uscc.upper())
    if included is None:
        raise NotFound(f"{uscc} 不在本次抽取的总体中")
    return manifest, manifest_sha256, included
