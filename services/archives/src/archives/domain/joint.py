"""Joint draws of a neighbour (ADR 0010) as this district's archive sees them. Pure: no I/O.

A neighbour's draw whose manifest names this district's credit department as a party is a
joint draw *of this district*: its dossier (the drawing district's task, under the same task id)
is kept here too, with the draw's events from the drawing district's shared topics and this
district's own acts in it. Names follow the draws service's forms (archives imports no other
service): a neighbour's party is ``<district>:信用监管科``, a neighbour's inspector
``<district>:<id>``; a district's own ids never contain ``:``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CREDIT_PARTY = "信用监管科"
SEP = ":"


def party_of(district: str) -> str:
    """The party ``district``'s credit department holds in a neighbour's draw."""
    return f"{district}{SEP}{CREDIT_PARTY}"


def names_district(value: Any, district: str) -> bool:
    """Does a payload name something of ``district`` the way a neighbour names it (a namespaced
    inspector id, this district's party), anywhere in it? Such an event of a draw not known here
    yet concerns this district: it must wait for the draw's manifest, not be dropped."""
    if isinstance(value, str):
        return value.startswith(f"{district}{SEP}")
    if isinstance(value, Mapping):
        return any(names_district(v, district) for v in value.values())
    if isinstance(value, list | tuple):
        return any(names_district(v, district) for v in value)
    return False


@dataclass(frozen=True)
class JointDraw:
    """A neighbour's draw this district is a party of, as its manifest named it."""

    drawing_district: str
    draw_id: str
    task_id: str
    task_no: str | None
    manifest_event_id: str
    recorded_at: datetime


def joint_act_document(joint: JointDraw, envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The document of a ``joint_act`` entry: this district's own act in the draw (it names the
    draw, not the task), under the task of the draw, the envelope whole."""
    return {
        "task_id": joint.task_id,
        "draw_id": joint.draw_id,
        "drawing_district": joint.drawing_district,
        "envelope": dict(envelope),
    }
