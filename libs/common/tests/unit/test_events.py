import pytest
from pydantic import ValidationError

from spotcheck_common import uscc
from spotcheck_common.events import Envelope, event_class, registered_events
from spotcheck_common.events.registry import EntitySnapshot, EntityUpdated


def test_topic_carries_district_service_event_and_version() -> None:
    assert EntityUpdated.topic("lingang") == "lingang.registry.entity-updated.v1"


def entity_updated() -> EntityUpdated:
    return EntityUpdated(
        entity=EntitySnapshot(
            uscc="914403001922038216",
            name="华为技术有限公司",
            entity_type="有限责任公司",
            industry="制造业",
            area="草庙子镇",
            risk_class="A",
            status="active",
        )
    )


def test_envelope_round_trip_restores_the_typed_event() -> None:
    event = entity_updated()
    envelope = Envelope[dict](
        event_type=event.event_type(),
        schema_version=1,
        district="lingang",
        actor="u1",
        aggregate_id=event.aggregate_id(),
        correlation_id="c1",
        payload=event.model_dump(mode="json"),
    )
    back = Envelope.from_bytes(envelope.to_bytes())
    assert back.event() == event
    assert back.event_id == envelope.event_id and back.occurred_at == envelope.occurred_at


def test_a_typed_envelope_gives_its_payload_without_validating_it_again() -> None:
    event = entity_updated()
    fields = {
        "event_type": event.event_type(),
        "schema_version": 1,
        "district": "lingang",
        "actor": "u1",
        "aggregate_id": event.aggregate_id(),
        "correlation_id": "c1",
    }
    data = Envelope[dict](**fields, payload=event.model_dump(mode="json")).to_bytes()
    typed = Envelope[EntityUpdated].model_validate_json(data)  # as a typed subscriber decodes
    assert typed.event() is typed.payload and typed.event() == event


def test_every_event_type_is_registered_once_with_its_version() -> None:
    keys = [(c.event_type(), c.version) for c in registered_events()]
    assert len(keys) == len(set(keys))
    assert event_class("registry.entity-updated", 1) is EntityUpdated
    with pytest.raises(LookupError):
        event_class("registry.entity-updated", 99)


def test_events_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        EntityUpdated.model_validate({"entity": {}, "surprise": 1})


def test_uscc_check_digit_of_a_real_code() -> None:
    assert uscc.check_char("91440300192203821") == "6"
    assert uscc.validate("914403001922038216") is None
    assert uscc.validate("914403001922038217") == "校验码错误"
    assert "非法字符" in (uscc.validate("91440300192203821I") or "")


def test_synthetic_codes_are_distinct_and_valid() -> None:
    codes = uscc.synthetic(2000, seed=7)
    assert len(set(codes)) == 2000
    assert all(uscc.validate(c) is None for c in codes)
