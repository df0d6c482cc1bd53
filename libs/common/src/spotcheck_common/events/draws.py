"""Events of the draws service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.types import USCC, TeamRole


class TeamMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    inspector_id: str
    name: str
    department: str
    role: TeamRole


class DrawnTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uscc: USCC
    entity_name: str
    risk_class: str
    team: list[TeamMember]


class DrawCompleted(Event):
    """Targets were drawn and inspectors matched for a task."""

    service = "draws"
    name = "draw-completed"

    draw_id: str
    task_id: str
    task_no: str
    algorithm: str
    seed_hex: str
    population_size: int
    targets: list[DrawnTarget]
    # Drawn targets that could not be staffed by the rules; never half-staffed.
    unstaffed: list[USCC]

    def aggregate_id(self) -> str:
        return self.task_id
