"""Events of the draws service.

Every step of a draw is an event filed into the task's dossier (``aggregate_id`` is the task):
manifest frozen → shares committed → shares revealed → seed revealed (result computed) →
countersigned by the general office → completed; later, approved inspector replacements.
The byte-level protocol is ``docs/draw-spec.md``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.types import ObjectId, TeamRole


class TeamMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    inspector_id: str
    name: str
    department: str
    role: TeamRole


class DrawnTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uscc: ObjectId
    entity_name: str
    risk_class: str
    team: list[TeamMember]
    # Added after v1 shipped (defaults keep older payloads valid): the entity's area (区域) as
    # the registry records it, e.g. 草庙子镇; "" if unknown.
    area: str = ""
    # Added with direct assignment (第六条, draw-spec §15): the team was assigned by the credit
    # department under the deputy director's approval, not matched at random.
    assigned: bool = False
    # Added with objects beyond market entities (ADR 0011): a product's, project's or
    # conduct's fields, as the registry holds them (``EntitySnapshot.details``).
    details: dict[str, str] = Field(default_factory=dict)


class ReserveEntry(BaseModel):
    """A reserve (候补) target of one stratum, in ticket order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uscc: ObjectId
    stratum: str


# A part of a draw's completion stays within this (a quarter of Kafka's default 1 MiB message
# limit: room for the envelope, headers and a broker configured tighter). ADR 0012.
PART_BYTES = 256 * 1024


def _json_of(item: object) -> bytes:
    if isinstance(item, BaseModel):
        return item.model_dump_json().encode()
    return json.dumps(item, ensure_ascii=False).encode()


class DrawCompleted(Event):
    """Targets were drawn and inspectors matched for a task (countersigned by the office)."""

    service = "draws"
    name = "draw-completed"
    shared = True

    draw_id: str
    task_id: str
    task_no: str
    algorithm: str
    seed_hex: str
    population_size: int
    targets: list[DrawnTarget]
    # Drawn targets that could not be staffed by the rules; never half-staffed.
    unstaffed: list[ObjectId]
    # Added with the verifiable engine (defaults keep older payloads valid).
    manifest_sha256: str = ""
    result_sha256: str = ""
    bundle_url: str = ""
    countersigned_by: str = ""
    reserve: list[ReserveEntry] = Field(default_factory=list)
    # Added with direct assignment (draw-spec §15): why the teams were assigned, not drawn
    # (the manifest's reason, approved by the deputy director); "" for drawn teams.
    assignment_reason: str = ""
    # Added with parts (ADR 0012): a draw's targets, unstaffed and reserve are cut into parts
    # that each stay far below Kafka's message limit; every part repeats the draw's other
    # fields. A consumer takes each part on its own; 1 of 1 for a draw that fits in one.
    part: int = Field(default=1, ge=1, description="this part's number, from 1")
    parts: int = Field(default=1, ge=1, description="how many parts the draw's completion has")

    def aggregate_id(self) -> str:
        return self.task_id

    @model_validator(mode="after")
    def _part_within_parts(self) -> DrawCompleted:
        if self.part > self.parts:
            raise ValueError(f"part {self.part} of {self.parts}")
        return self

    def split(self, budget_bytes: int | None = None) -> list[DrawCompleted]:
        """This draw's parts, in order: each part's JSON stays within ``budget_bytes``
        (default ``PART_BYTES``; an item larger than the budget still makes one part alone).
        The parts' lists, concatenated, are this event's."""
        lists = ("targets", "unstaffed", "reserve")
        bare = self.model_copy(update={name: [] for name in lists})
        room = max((budget_bytes or PART_BYTES) - len(bare.model_dump_json().encode()), 1)
        cuts: list[dict[str, list[Any]]] = [{name: [] for name in lists}]
        used = 0
        for name in lists:
            for item in getattr(self, name):
                size = len(_json_of(item)) + 1  # and its comma
                if used and used + size > room:
                    cuts.append({n: [] for n in lists})
                    used = 0
                cuts[-1][name].append(item)
                used += size
        return [
            self.model_copy(update={**cut, "part": i, "parts": len(cuts)})
            for i, cut in enumerate(cuts, start=1)
        ]


class DrawManifestFrozen(Event):
    """The draw's manifest was frozen and published, before any randomness exists."""

    service = "draws"
    name = "draw-manifest-frozen"
    shared = True

    draw_id: str
    task_id: str
    task_no: str
    algorithm: str
    manifest_sha256: str
    population_size: int
    population_root: str
    roster_size: int
    roster_root: str
    parties: list[str]
    beacon_source: str | None = None
    # The canonical manifest itself (JSON object), so the dossier keeps what was frozen.
    manifest: dict[str, object] = Field(default_factory=dict)

    def aggregate_id(self) -> str:
        return self.task_id


class DrawShareCommitted(Event):
    """A party committed to its seed share: SHA-256 over the share (see the draw spec)."""

    service = "draws"
    name = "draw-share-committed"
    shared = True

    draw_id: str
    task_id: str
    party: str
    commitment: str

    def aggregate_id(self) -> str:
        return self.task_id


class DrawShareRevealed(Event):
    """A party revealed its seed share; it matched the commitment."""

    service = "draws"
    name = "draw-share-revealed"

    draw_id: str
    task_id: str
    party: str
    share_hex: str

    def aggregate_id(self) -> str:
        return self.task_id


class DrawSeedRevealed(Event):
    """All shares (and the beacon, if any) are in: the seed is fixed and the result computed."""

    service = "draws"
    name = "draw-seed-revealed"

    draw_id: str
    task_id: str
    seed_hex: str
    beacon_value: str | None = None
    result_sha256: str
    targets: int
    unstaffed: int

    def aggregate_id(self) -> str:
        return self.task_id


class DrawCountersigned(Event):
    """The general office (办公室), supervising the draw, countersigned its result."""

    service = "draws"
    name = "draw-countersigned"

    draw_id: str
    task_id: str
    by: str
    opinion: str
    result_sha256: str

    def aggregate_id(self) -> str:
        return self.task_id


class DrawInspectorReplaced(Event):
    """A drawn inspector was replaced with the deputy director's recorded approval."""

    service = "draws"
    name = "draw-inspector-replaced"

    draw_id: str
    task_id: str
    task_no: str
    uscc: ObjectId
    replaced_inspector_id: str
    replacement: TeamMember
    # The target's whole team after the replacement.
    team: list[TeamMember]
    reason: str
    approved_by: str
    approval_ref: str

    def aggregate_id(self) -> str:
        return self.task_id


class DrawCancelled(Event):
    """A draw was abandoned before any share was revealed (no randomness was known)."""

    service = "draws"
    name = "draw-cancelled"
    shared = True

    draw_id: str
    task_id: str
    reason: str

    def aggregate_id(self) -> str:
        return self.task_id


# --------------------------------------------------------------------- joint draws (issue 10)


class InspectorRosterEntry(Event):
    """One inspector of this district as a neighbour's joint draw may use them: the state of
    the roster, keyed by inspector (a compacted topic: a neighbour added later reads the whole
    roster). ``recusals`` (USCCs) and ``pair_conflicts`` (inspector ids of this district) are
    what the drawing district needs to honour them; its manifest publishes them only salted
    (``docs/draw-spec.md`` §5). Neighbours read ids namespaced ``<district>:<id>``."""

    service = "draws"
    name = "inspector-roster"
    shared = True

    inspector_id: str
    inspector_name: str
    department: str
    qualifications: list[str] = Field(default_factory=list)
    leader_qualified: bool = False
    certificate_expires_on: str  # YYYY-MM-DD
    active: bool = True
    recusals: list[ObjectId] = Field(default_factory=list)
    pair_conflicts: list[str] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.inspector_id


class PartyKeyRecord(BaseModel):
    """A party key as ``docs/draw-spec.md`` §14.2 records it, registered for the drawing
    district's log (its self-signature names that district)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    party: str
    holder: str
    public_key: str
    valid_from: str
    valid_until: str
    signature: str


class JointShareCommitted(Event):
    """A neighbour's party of a joint draw committed to its seed share at its own bureau,
    signed with its key; the drawing district records the key and the commitment."""

    service = "draws"
    name = "joint-share-committed"
    shared = True

    draw_id: str
    drawing_district: str
    party: str
    commitment: str
    key: PartyKeyRecord
    signature: str

    def aggregate_id(self) -> str:
        return self.draw_id


class JointShareRevealed(Event):
    """A neighbour's party of a joint draw revealed its share at its own bureau, signed with
    the key it committed with."""

    service = "draws"
    name = "joint-share-revealed"
    shared = True

    draw_id: str
    drawing_district: str
    party: str
    share_hex: str
    key_id: str
    signature: str

    def aggregate_id(self) -> str:
        return self.draw_id
