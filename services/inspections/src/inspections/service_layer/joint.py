"""Joint inspections across districts (issue 10), both sides. Plain functions on the unit of
work.

Every event here comes from a neighbour's own topic (``source``: the kernel has checked that the
envelope names it, and only that district may write there). A neighbour's act that does not
hold — a signer who is not on the team, a form that changed since it was signed — is refused,
logged and dropped: retrying cannot make it true. A stale signature needs no answer: the
re-recording that made it stale sent the neighbour the new form to sign.
"""

from __future__ import annotations

import logging

from inspections.domain import joint
from inspections.domain.joint import JointInspection
from inspections.domain.model import NotAllowed, StateRefused
from inspections.service_layer import services
from inspections.service_layer.unit_of_work import InspectionsUnitOfWork
from spotcheck_common.db import Page
from spotcheck_common.errors import NotFound
from spotcheck_common.events.inspections import JointInspectionSigned, JointInspectionState

log = logging.getLogger(__name__)


def _refuse(what: str, inspection_id: str, source: str, reason: str) -> None:
    log.warning(
        "joint inspection: neighbour's act refused",
        extra={
            "fields": {
                "act": what,
                "inspection_id": inspection_id,
                "from": source,
                "reason": reason,
            }
        },
    )


# ------------------------------------------------------------- the drawing district's side


async def neighbour_signed(
    uow: InspectionsUnitOfWork, event: JointInspectionSigned, source: str
) -> None:
    """A neighbour's inspector signed at their bureau: the record collects the signature (as
    ``<source>:<id>``, at the time they signed) and the new state goes back to the neighbour."""
    if event.drawing_district != uow.district:
        return  # another district's inspection (the neighbour signs for all its neighbours)
    inspection = await uow.inspections.get(event.inspection_id)
    if inspection is None:
        _refuse("sign", event.inspection_id, source, "no such inspection here")
        return
    try:
        joint.apply_neighbour_signature(inspection, source, event)
    except (NotAllowed, StateRefused) as refused:
        _refuse("sign", event.inspection_id, source, str(refused))
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
        signed_here=known.signed_here if known else {},
    )
    members = current.members_of(uow.district)
    if known is None and not members:
        return  # a team of the drawing district and another neighbour's inspectors
    await uow.inspections.put_joint(current, members)


async def sign(
    uow: InspectionsUnitOfWork, inspection_id: str, inspector_id: str
) -> JointInspection:
    """This district's inspector, signed in here, confirms the form the drawing district last
    sent; the signature leaves through the outbox to the drawing district."""
    found = await uow.inspections.get_joint(inspection_id)
    if found is None:
        raise NotFound(f"联合检查记录 {inspection_id} 不存在")
    signed = found.sign(uow.district, services.acting_inspector(inspector_id), uow.clock.now())
    await uow.inspections.put_joint(found, found.members_of(uow.district))
    await uow.emit(signed)
    await uow.commit()
    return found


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
