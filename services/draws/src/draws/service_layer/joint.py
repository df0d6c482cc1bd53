"""Joint draws across districts (issue 10), both sides. Plain functions on the unit of work.

Every event here comes from a neighbour's own topic (``source``: the kernel has checked that
the envelope names it, and only that district may write there). A neighbour's act that does
not hold — a key that does not verify, a reveal before every commit — is refused, logged and
dropped: retrying an event cannot make it true, and the neighbour's own service checked the
same rules before it sent it.
"""

from __future__ import annotations

import logging
from datetime import date

from draws.domain import joint
from draws.domain import protocol as p
from draws.domain.joint import JointDraw
from draws.domain.ledger import PartyKey
from draws.domain.model import Draw, Signer
from draws.service_layer import services
from draws.service_layer.unit_of_work import DrawsUnitOfWork
from spotcheck_common.clock import CHINA_TZ
from spotcheck_common.errors import Conflict, Forbidden, Invalid, NotFound
from spotcheck_common.events.draws import (
    DrawCancelled,
    DrawCompleted,
    DrawManifestFrozen,
    DrawShareCommitted,
    InspectorRosterEntry,
    JointShareCommitted,
    JointShareRevealed,
    PartyKeyRecord,
)

log = logging.getLogger(__name__)
Refused = (Invalid, Forbidden, Conflict, NotFound)


def _refuse(what: str, draw_id: str, source: str, reason: str) -> None:
    log.warning(
        "joint draw: neighbour's act refused",
        extra={"fields": {"act": what, "draw_id": draw_id, "from": source, "reason": reason}},
    )


# ------------------------------------------------------------------ the neighbours' rosters


async def neighbour_roster_entry(
    uow: DrawsUnitOfWork, event: InspectorRosterEntry, source: str
) -> None:
    """A neighbour's inspector, under its namespaced id, with its declarations."""
    row = {
        "inspector_id": joint.namespaced(source, event.inspector_id),
        "name": event.inspector_name,
        "department": event.department,
        "district": source,
        "qualifications": list(event.qualifications),
        "leader_qualified": event.leader_qualified,
        "certificate_expires_on": date.fromisoformat(event.certificate_expires_on),
        "active": event.active,
    }
    pairs = [joint.namespaced(source, i) for i in event.pair_conflicts]
    await uow.draws.replace_neighbour_inspector(row, event.recusals, pairs, uow.clock.now())


# ------------------------------------------------- this district as a party of a neighbour's


async def neighbour_manifest_frozen(
    uow: DrawsUnitOfWork, event: DrawManifestFrozen, source: str
) -> None:
    """A neighbour froze a draw: if it names this district's credit department as a party,
    that party's side of the draw opens here."""
    party = joint.neighbour_party(uow.district)
    if party not in event.parties:
        return
    manifest = dict(event.manifest)
    if manifest.get("district") != source or p.json_sha256(manifest) != event.manifest_sha256:
        _refuse("manifest", event.draw_id, source, "manifest not the drawing district's")
        return
    await uow.draws.add_joint_draw(
        JointDraw(
            draw_id=event.draw_id,
            drawing_district=source,
            party=party,
            task_no=event.task_no,
            manifest=manifest,
            manifest_sha256=event.manifest_sha256,
            created_at=uow.clock.now(),
        )
    )


async def _joint_of(uow: DrawsUnitOfWork, draw_id: str, source: str) -> JointDraw | None:
    jd = await uow.draws.get_joint_draw(draw_id, lock=True)
    return jd if jd is not None and jd.drawing_district == source else None


async def neighbour_share_committed(
    uow: DrawsUnitOfWork, event: DrawShareCommitted, source: str
) -> None:
    jd = await _joint_of(uow, event.draw_id, source)
    if jd is not None and jd.saw_commit(event.party):
        await uow.draws.save_joint_draw(jd)


async def neighbour_draw_completed(uow: DrawsUnitOfWork, event: DrawCompleted, source: str) -> None:
    """The drawing district's result: its digest and the bundle's address there, kept so
    this bureau's public site can name what it took part in."""
    jd = await _joint_of(uow, event.draw_id, source)
    if jd is None:
        return
    try:
        changed = jd.complete(event.result_sha256, event.bundle_url)
    except Invalid as exc:
        _refuse("completed", event.draw_id, source, str(exc))
        return
    if changed:
        await uow.draws.save_joint_draw(jd)


async def neighbour_draw_cancelled(uow: DrawsUnitOfWork, event: DrawCancelled, source: str) -> None:
    jd = await _joint_of(uow, event.draw_id, source)
    if jd is not None and jd.cancel():
        await uow.draws.save_joint_draw(jd)


async def _load_joint(uow: DrawsUnitOfWork, draw_id: str) -> JointDraw:
    jd = await uow.draws.get_joint_draw(draw_id, lock=True)
    if jd is None:
        raise NotFound(f"联合抽取 {draw_id} 不存在（或本局不是其参与方）")
    return jd


async def commit_joint_share(
    uow: DrawsUnitOfWork,
    *,
    district: str,
    draw_id: str,
    commitment: str,
    public_key: str,
    valid_from: date,
    valid_until: date,
    key_signature: str,
    signature: str,
) -> JointDraw:
    """This district's credit department commits its share of a neighbour's draw, signed in
    here, with a key registered for the drawing district's log (its self-signature names that
    district, so the bundle verifies as any other)."""
    jd = await _load_joint(uow, draw_id)
    now = uow.clock.now()
    holder = joint.holder_of(district, uow.context.actor)
    key = PartyKey.register(
        district=jd.drawing_district,
        party=jd.party,
        holder=holder,
        public_key=public_key,
        valid_from=valid_from,
        valid_until=valid_until,
        signature=key_signature,
        today=now.astimezone(CHINA_TZ).date(),
    )
    jd.commit(commitment, key, signature, holder, now)
    await uow.draws.save_joint_draw(jd)
    await uow.emit(
        JointShareCommitted(
            draw_id=draw_id,
            drawing_district=jd.drawing_district,
            party=jd.party,
            commitment=jd.commitment or "",
            key=PartyKeyRecord(**key.record()),
            signature=signature.lower(),
        )
    )
    await uow.commit()
    return jd


async def reveal_joint_share(
    uow: DrawsUnitOfWork, *, district: str, draw_id: str, share: str, signature: str
) -> JointDraw:
    """This district's credit department reveals its share, once every party committed."""
    jd = await _load_joint(uow, draw_id)
    holder = joint.holder_of(district, uow.context.actor)
    revealed = jd.reveal(share, signature, holder, uow.clock.now())
    assert jd.key is not None  # revealed: it committed with this key
    await uow.draws.save_joint_draw(jd)
    await uow.emit(
        JointShareRevealed(
            draw_id=draw_id,
            drawing_district=jd.drawing_district,
            party=jd.party,
            share_hex=revealed.hex(),
            key_id=jd.key["key_id"],
            signature=signature.lower(),
        )
    )
    await uow.commit()
    return jd


# ----------------------------------------------- the drawing district: the neighbour's acts


async def _drawing(
    uow: DrawsUnitOfWork, what: str, draw_id: str, party: str, drawing: str, source: str
) -> Draw | None:
    """The draw a neighbour's act is for, if the act is the neighbour's to make here."""
    if drawing != uow.district or joint.district_of_party(party) != source:
        _refuse(what, draw_id, source, f"party {party!r} for {drawing!r}")
        return None
    draw = await uow.draws.get_draw(draw_id, lock=True)
    if draw is None:
        _refuse(what, draw_id, source, "no such draw")
    return draw


async def _neighbour_key(uow: DrawsUnitOfWork, record: PartyKeyRecord, source: str) -> PartyKey:
    """The neighbour's party key in this district's log: registered (and logged) on first
    use, its self-signature checked against this district."""
    if joint.district_of_party(record.holder) != source:
        raise Forbidden(f"密钥持有人 {record.holder} 不属于 {source}")
    known = await uow.ledger.get_key(record.key_id)
    if known is not None:
        if known.record() != record.model_dump():
            raise Invalid(f"密钥 {record.key_id} 与本局登记的不一致")
        return known
    now = uow.clock.now()
    key = PartyKey.register(
        district=uow.district,
        party=record.party,
        holder=record.holder,
        public_key=record.public_key,
        valid_from=date.fromisoformat(record.valid_from),
        valid_until=date.fromisoformat(record.valid_until),
        signature=record.signature,
        today=now.astimezone(CHINA_TZ).date(),
    )
    entry = await uow.ledger.append(uow.district, now, "key-registered", {"key": key.record()})
    key.registered_seq = int(entry["seq"])
    await uow.ledger.add_key(key)
    return key


async def joint_share_committed(
    uow: DrawsUnitOfWork, event: JointShareCommitted, source: str
) -> None:
    draw = await _drawing(uow, "commit", event.draw_id, event.party, event.drawing_district, source)
    if draw is None:
        return
    try:
        key = await _neighbour_key(uow, event.key, source)
        signer = Signer(key, event.signature)
        await services.record_commit(uow, draw, event.party, event.commitment, key.holder, signer)
    except Refused as exc:
        _refuse("commit", event.draw_id, source, str(exc))


async def joint_share_revealed(
    uow: DrawsUnitOfWork, event: JointShareRevealed, source: str
) -> None:
    draw = await _drawing(uow, "reveal", event.draw_id, event.party, event.drawing_district, source)
    if draw is None:
        return
    try:
        key = await uow.ledger.get_key(event.key_id)
        if key is None:
            raise Invalid(f"密钥 {event.key_id} 未登记")
        signer = Signer(key, event.signature)
        await services.record_reveal(uow, draw, event.party, event.share_hex, key.holder, signer)
    except Refused as exc:
        _refuse("reveal", event.draw_id, source, str(exc))
