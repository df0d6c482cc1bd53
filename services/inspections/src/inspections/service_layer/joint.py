"""Joint inspections across districts (issue 10), both sides. Plain functions on the unit of
work.

Every event here comes from a neighbour's own topic (``source``: the kernel has checked that the
envelope names it, and only that district may write there). A neighbour's act that does not
hold — an inspector not on the team, a form recorded again since it was signed — is refused,
logged and dropped: retrying cannot make it true, and the neighbour judged the act by the same
rules before it sent it. A stale act needs no answer: the change that made it stale sent the
neighbour the new state.
"""

from __future__ import annotations

import logging
from datetime import date

from pydantic import ValidationError

from inspections.domain import joint
from inspections.domain.joint import JointInspection, NeighbourAct, RecordForm
from inspections.domain.model import NotAllowed, ResultsInvalid, StateRefused
from inspections.service_layer import services
from inspections.service_layer.unit_of_work import InspectionsUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import NotFound
from spotcheck_common.events.envelope import Event
from spotcheck_common.events.inspections import JointInspectionState, JointInspectionSubmitted

log = logging.getLogger(__name__)
Refused = (NotAllowed, StateRefused, ResultsInvalid, ValidationError)


def _refuse(act: NeighbourAct, source: str, reason: str) -> None:
    log.warning(
        "joint inspection: neighbour's act refused",
        extra={
            "fields": {
                "act": act.event_type(),
                "inspection_id": act.inspection_id,
                "from": source,
                "reason": reason,
            }
        },
    )


# ------------------------------------------------------------- the drawing district's side


async def neighbour_acted(uow: InspectionsUnitOfWork, act: NeighbourAct, source: str) -> None:
    """A neighbour's inspector recorded, signed or submitted at their bureau: applied to this
    district's record as ``<source>:<id>``, at the time they acted; the new state goes back."""
    if act.drawing_district != uow.district:
        return  # addressed to another of the neighbour's neighbours
    inspection = await uow.inspections.get(act.inspection_id)
    if inspection is None:
        _refuse(act, source, "no such inspection here")
        return
    try:
        joint.apply_neighbour_act(inspection, source, act)
        if isinstance(act, JointInspectionSubmitted):
            actor = joint.namespaced(source, act.inspector_id)
            await services.submit_inspection(
                uow, inspection, actor, act.submitted_at, act.completed_on
            )
            return
    except Refused as refused:
        _refuse(act, source, str(refused))
        return
    if inspection.new_log:
        await services.save(uow, inspection)


# ------------------------------------------------------------------------ the neighbour's side


async def neighbour_state(
    uow: InspectionsUnitOfWork, event: JointInspectionState, source: str
) -> None:
    """The drawing district's inspection as it now stands: kept if this district's inspectors
    are (or were) on its team; an older state delivered late changes nothing."""
    known = await uow.inspections.get_joint(event.inspection_id)
    if known is not None and (known.drawing_district != source or known.revision >= event.revision):
        return
    current = JointInspection(
        inspection_id=event.inspection_id,
        drawing_district=source,
        state=event,
        received_at=uow.clock.now(),
        acted_here=known.acted_here if known else {},
    )
    members = current.members_of(uow.district)
    if known is None and not members:
        return  # a team of the drawing district and another neighbour's inspectors
    await uow.inspections.put_joint(current, members)


async def _act(uow: InspectionsUnitOfWork, found: JointInspection, event: Event) -> JointInspection:
    await uow.inspections.put_joint(found, found.members_of(uow.district))
    await uow.emit(event)
    await uow.commit()
    return found


async def _load(uow: InspectionsUnitOfWork, inspection_id: str) -> JointInspection:
    found = await uow.inspections.get_joint(inspection_id)
    if found is None:
        raise NotFound(f"联合检查记录 {inspection_id} 不存在")
    return found


async def record(
    uow: InspectionsUnitOfWork, inspection_id: str, inspector_id: str, form: RecordForm
) -> JointInspection:
    """This district's inspector, the team's leader, enters the form here; it leaves through
    the outbox to the drawing district, which keeps the record."""
    found = await _load(uow, inspection_id)
    actor = services.acting_inspector(inspector_id)
    return await _act(uow, found, found.record(uow.district, actor, form, uow.clock.now()))


async def sign(
    uow: InspectionsUnitOfWork, inspection_id: str, inspector_id: str
) -> JointInspection:
    """This district's inspector, signed in here, confirms the form the drawing district last
    sent."""
    found = await _load(uow, inspection_id)
    actor = services.acting_inspector(inspector_id)
    return await _act(uow, found, found.sign(uow.district, actor, uow.clock.now()))


async def submit(
    uow: InspectionsUnitOfWork, inspection_id: str, inspector_id: str, completed_on: date | None
) -> JointInspection:
    """This district's inspector, the team's leader, submits the signed form here."""
    found = await _load(uow, inspection_id)
    actor = services.acting_inspector(inspector_id)
    event = found.submit(uow.district, actor, uow.clock.now(), completed_on)
    return await _act(uow, found, event)


async def search(
    uow: InspectionsUnitOfWork, member: str | None, limit: int, offset: int
) -> Page[JointInspection]:
    return await uow.inspections.search_joint(member, limit, offset)


async def get(
    uow: InspectionsUnitOfWork, inspection_id: str, member: str | None
) -> JointInspection:
    found = await uow.inspections.get_joint(inspection_id)
    if found is None or (member is not None and member not in found.members_of(uow.district)):
        raise NotFound(f"联合检查记录 {inspection_id} 不存在")
    return found
