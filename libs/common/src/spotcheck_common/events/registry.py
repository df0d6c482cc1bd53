"""Events of the registry service: market entities, inspectors, conflicts of interest."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from spotcheck_common.events.envelope import Event
from spotcheck_common.events.types import EntityStatus, ObjectId, RiskClass


class EntitySnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uscc: ObjectId
    name: str = Field(min_length=1)
    entity_type: str = Field(min_length=1)
    industry: str = Field(min_length=1)
    area: str = Field(min_length=1)
    risk_class: RiskClass
    status: EntityStatus
    address: str = ""
    # Added with objects beyond market entities (第一条, ADR 0011): the fields of a product,
    # project or conduct (``spotcheck_common.objects.FIELDS``); empty for an organisation.
    # Its kind is read from ``uscc``, the object id (``objects.kind_of``).
    details: dict[str, str] = Field(default_factory=dict)


class InspectorSnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    inspector_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    department: str = Field(min_length=1)
    qualifications: list[str] = Field(default_factory=list)
    leader_qualified: bool = False
    certificate_expires_on: date
    active: bool = True


class ExternalInspectorSnapshot(InspectorSnapshot):
    """An inspector of another government agency, lent for joint checks (联合检查, 第三条).

    Outside the registry the id is namespaced, ``<agency>:<id>`` (``inspector_id``), as a
    neighbour's inspectors are ``<district>:<id>`` (ADR 0010); ``department`` is the agency's
    name. ``leader_qualified`` is always false: a team of the bureau is led by its own staff."""

    agency: str = Field(min_length=1)
    agency_inspector_id: str = Field(min_length=1)  # the id the agency gives them


class ExpertSnapshot(BaseModel):
    """One expert of the district's expert pool (专家库, 第六条: experts may be drawn)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expert_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)  # 专业领域
    organization: str = ""  # 工作单位
    active: bool = True  # 在库


class CheckItem(BaseModel):
    """One row of the spot-check item list (抽查事项清单)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1)  # 事项编号
    category: str = Field(min_length=1)  # 抽查类别
    name: str = Field(min_length=1)  # 抽查事项
    target_type: str = Field(min_length=1)  # 检查对象
    item_class: str = Field(pattern="^(general|key)$")  # 一般 / 重点
    method: str = Field(min_length=1)  # 检查方式
    inspecting_body: str = Field(min_length=1)  # 检查主体
    legal_basis: str = Field(min_length=1)  # 检查依据
    ratio: str = ""  # 抽查比例 (optional)
    frequency: str = ""  # 抽查频次 (optional)
    inspector_requirements: str = ""  # 检查人员要求 (optional)


class CheckItemListPublished(Event):
    """A new version of the district's spot-check item list took effect.

    On the wire the list's version is the field ``version``. In Python it is ``list_version``:
    a field named ``version`` would shadow ``Event.version`` (the schema version), and the
    envelope would then carry the list's version as its schema version, so a consumer could
    not find the class of version 2 of the list. Construct with either name.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True
    )

    service = "registry"
    name = "check-item-list-published"

    list_id: str
    list_version: int = Field(ge=1, alias="version")
    effective_from: date
    items: list[CheckItem]
    reason: str = ""

    def aggregate_id(self) -> str:
        return self.list_id


class EntitiesImported(Event):
    """Market entities an import created or changed (one chunk of one import, all or nothing;
    rows the import left unchanged are not sent). ``batch_id`` is ``<batch>:<chunk>``."""

    service = "registry"
    name = "entities-imported"

    batch_id: str
    entities: list[EntitySnapshot]

    def aggregate_id(self) -> str:
        return self.batch_id


class EntityUpdated(Event):
    service = "registry"
    name = "entity-updated"

    entity: EntitySnapshot

    def aggregate_id(self) -> str:
        return self.entity.uscc


class InspectorsImported(Event):
    service = "registry"
    name = "inspectors-imported"

    batch_id: str
    inspectors: list[InspectorSnapshot]

    def aggregate_id(self) -> str:
        return self.batch_id


class ExternalInspectorsImported(Event):
    """Co-organising agencies' inspectors (the external roster) an import created or changed
    (all or nothing; unchanged rows are not sent). The draws service keeps them as one pool per
    agency, apart from the bureau's own roster (InspectorsImported)."""

    service = "registry"
    name = "external-inspectors-imported"

    batch_id: str
    inspectors: list[ExternalInspectorSnapshot]

    def aggregate_id(self) -> str:
        return self.batch_id


class ExpertsImported(Event):
    """Experts (专家库) an import created or changed (one chunk of one import, all or nothing;
    unchanged rows are not sent)."""

    service = "registry"
    name = "experts-imported"

    batch_id: str
    experts: list[ExpertSnapshot]

    def aggregate_id(self) -> str:
        return self.batch_id


class InspectorPairConflictDeclared(Event):
    """Two inspectors may not serve on the same team (e.g. close relatives, 近亲属).

    ``inspector_ids`` is the pair, sorted; the reason stays in the registry and the events
    (the draw manifest publishes only the pair)."""

    service = "registry"
    name = "inspector-pair-conflict-declared"

    inspector_ids: list[str] = Field(min_length=2, max_length=2)
    reason: str

    def aggregate_id(self) -> str:
        return self.inspector_ids[0]


class ConflictDeclared(Event):
    """An inspector declared a conflict of interest with an entity (回避).

    ``inspector_id`` may also name an expert of the expert pool (专家库): expert ids and
    inspector ids are disjoint (the registry refuses an id used by the other register)."""

    service = "registry"
    name = "conflict-declared"

    inspector_id: str
    uscc: ObjectId
    reason: str

    def aggregate_id(self) -> str:
        return self.inspector_id
