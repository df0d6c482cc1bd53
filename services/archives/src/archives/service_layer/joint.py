"""Joint draws of a neighbour (ADR 0010): this district's dossier of the neighbour's task.

Plain functions on the unit of work, run inside the idempotent consumer's transaction (no
commit). A neighbour's events come from its own shared topics (``source``: the kernel checked
the envelope names it). Those topics carry every draw of the neighbour; only the draws whose
manifest names this district's party are filed here. Topics are not ordered among themselves:
an event of a draw not known here yet that concerns this district waits (``Unavailable``: the
bus delivers it again); one that does not is not ours and is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from archives.adapters.repository import ArchiveRepository
from archives.domain.accountability import TASK
from archives.domain.chain import EntryKind
from archives.domain.joint import JointDraw, joint_act_document, names_district, party_of
from archives.domain.model import Entry, append
from archives.service_layer import services
from archives.service_layer.unit_of_work import ArchivesUnitOfWork
from spotcheck_common.errors import Unavailable

log = logging.getLogger(__name__)

MANIFEST_FROZEN = "draws.draw-manifest-frozen"


class NotKnownYet(Unavailable):
    """An event that concerns this district, before what it belongs to is filed here (the
    draw's manifest, this district's own task): delivered again later, never dropped."""


def _payload(envelope: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = envelope.get("payload")
    return payload if isinstance(payload, Mapping) else {}


async def file_neighbour_event(
    uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], source: str, now: datetime
) -> Entry | None:
    """File a neighbour's shared event that names a task, if this district's archive keeps it:
    a joint draw of this district (the neighbour's task), or this district's own task (an act
    of the neighbour's inspectors in a draw of ours). None if not kept (or filed before)."""
    payload = _payload(envelope)
    if not payload.get("task_id"):
        return None
    if envelope.get("event_type") == MANIFEST_FROZEN:
        return await _manifest_frozen(uow, envelope, source, now)
    task_id = str(payload["task_id"])
    if await _joint(uow.archives, source, task_id, payload):
        return await services.file_event(uow, envelope, now, drawing_district=source)
    if payload.get("drawing_district") == uow.district:
        return await _of_own_task(uow, envelope, task_id, now)
    if names_district(payload, uow.district):
        raise NotKnownYet(f"{source} 的联合抽取 {payload.get('draw_id')} 尚未在本局归档")
    return None


async def _manifest_frozen(
    uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], source: str, now: datetime
) -> Entry | None:
    """A neighbour's manifest naming this district's party marks the draw as joint for this
    district and opens (or continues) the dossier of the neighbour's task."""
    payload = _payload(envelope)
    if party_of(uow.district) not in (payload.get("parties") or []):
        return None
    task_id = str(payload["task_id"])
    if await _approved_here(uow.archives, task_id):
        # A task approved here is this district's: no neighbour's event makes it foreign (its
        # accountability would no longer be folded).
        log.warning(
            "joint draw: a neighbour's manifest names a task of this district; not filed",
            extra={"fields": {"task_id": task_id, "from": source}},
        )
        return None
    joint = JointDraw(
        drawing_district=source,
        draw_id=str(payload["draw_id"]),
        task_id=task_id,
        task_no=payload.get("task_no"),
        manifest_event_id=str(envelope["event_id"]),
        recorded_at=now,
    )
    await uow.archives.add_joint_draw(joint)
    return await services.file_event(uow, envelope, now, drawing_district=source)


async def _joint(
    repo: ArchiveRepository, source: str, task_id: str, payload: Mapping[str, Any]
) -> bool:
    """Is this event's draw (its task, for an event without a draw id) joint for us?"""
    draw_id = payload.get("draw_id")
    if draw_id:
        joint = await repo.joint_draw(source, str(draw_id))
        return joint is not None and joint.task_id == task_id
    head = await repo.find_dossier(task_id)
    return head is not None and head.drawing_district == source


async def _of_own_task(
    uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], task_id: str, now: datetime
) -> Entry | None:
    head = await uow.archives.find_dossier(task_id)
    if head is None:
        raise NotKnownYet(f"任务 {task_id} 尚未在本局归档")
    if head.drawing_district is not None:
        return None  # a neighbour's task: not "ours" whatever the payload says
    return await services.file_event(uow, envelope, now)


async def _approved_here(repo: ArchiveRepository, task_id: str) -> bool:
    fact = (await repo.get_facts([(TASK, task_id)])).get((TASK, task_id))
    return fact is not None and bool(fact.data.get("approved"))


async def file_joint_act(
    uow: ArchivesUnitOfWork, envelope: Mapping[str, Any], now: datetime
) -> Entry | None:
    """File this district's own act in a neighbour's draw (it names the draw, not the task)
    into the dossier of the draw's task; None if filed before. Waits until the manifest is."""
    payload = _payload(envelope)
    repo = uow.archives
    joint = await repo.joint_draw(str(payload.get("drawing_district")), str(payload.get("draw_id")))
    if joint is None:
        raise NotKnownYet(f"联合抽取 {payload.get('draw_id')} 尚未在本局归档")
    head = await repo.lock_dossier(joint.task_id, now)
    if await repo.has_event(str(envelope["event_id"])):
        return None
    new_head, entry = append(head, EntryKind.JOINT_ACT, joint_act_document(joint, envelope), now)
    await repo.append(new_head, entry)
    return entry


async def foreign(uow: ArchivesUnitOfWork, task_id: str) -> bool:
    """Is this dossier a neighbour's task (whose accountability is the neighbour's)?"""
    head = await uow.archives.find_dossier(task_id)
    return head is not None and head.drawing_district is not None
