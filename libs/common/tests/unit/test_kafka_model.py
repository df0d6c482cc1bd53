"""The regional Kafka model: events.txt, districts.txt and the neighbours make exactly the
grants and topic specs the docs promise (docs/operations/kafka.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotcheck_common.kafka_admin import (
    Acl,
    Quotas,
    Region,
    TopicDefaults,
    acl_bindings,
    parse_districts,
    parse_events,
    topic_specs,
)

EVENTS = """
# comment
registry.inspector-roster  partitions=3 cleanup.policy=compact shared
registry.calendar-year-recorded  partitions=1 retention.ms=-1
draws.draw-completed  shared
objections.objection-filed.v2
"""


def test_events_lines_give_the_topic_specs() -> None:
    specs = topic_specs("lingang", parse_events(EVENTS), TopicDefaults())
    assert [(t.name, t.partitions, t.replicas, dict(t.config)) for t in specs] == [
        (
            "lingang.registry.inspector-roster.v1",
            3,
            3,
            {"cleanup.policy": "compact", "retention.ms": "2592000000", "min.insync.replicas": "2"},
        ),
        (
            "lingang.registry.calendar-year-recorded.v1",
            1,
            3,
            {"cleanup.policy": "delete", "retention.ms": "-1", "min.insync.replicas": "2"},
        ),
        (
            "lingang.draws.draw-completed.v1",
            6,
            3,
            {"cleanup.policy": "delete", "retention.ms": "2592000000", "min.insync.replicas": "2"},
        ),
        (
            "lingang.objections.objection-filed.v2",
            6,
            3,
            {"cleanup.policy": "delete", "retention.ms": "2592000000", "min.insync.replicas": "2"},
        ),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "registry.x cleanup.policy=compacted",
        "registry.x partitions=0",
        "billing.x",
        "registry.x\nregistry.x.v1",
        "registry.x sharde",
    ],
)
def test_a_bad_events_line_is_refused(line: str) -> None:
    with pytest.raises(ValueError):
        parse_events(line)


def test_a_district_gets_its_prefix_and_its_neighbours_shared_topics_only() -> None:
    events = parse_events(EVENTS)
    acls = acl_bindings("huancui", ["lingang"], events)
    own = {a for a in acls if a.name == "huancui."}
    assert own == {
        Acl("TOPIC", "huancui.", "PREFIXED", "WRITE"),
        Acl("TOPIC", "huancui.", "PREFIXED", "READ"),
        Acl("TOPIC", "huancui.", "PREFIXED", "DESCRIBE"),
        Acl("GROUP", "huancui.", "PREFIXED", "READ"),
    }
    granted = {(a.name, a.pattern, a.operation) for a in acls if a.name != "huancui."}
    assert granted == {
        (f"lingang.{e}.v1", "LITERAL", op)
        for e in ("registry.inspector-roster", "draws.draw-completed")
        for op in ("READ", "DESCRIBE")
    }
    assert acl_bindings("wendeng", [], events) == sorted(
        {Acl(a.resource_type, "wendeng.", a.pattern, a.operation) for a in own}
    )


def test_districts_lines_carry_quota_overrides() -> None:
    quotas = parse_districts("lingang producer_byte_rate=1024\nhuancui\n")
    assert quotas == {"lingang": Quotas(producer_byte_rate=1024), "huancui": Quotas()}
    for bad in ("admin", "lingang\nlingang", "Lingang", "lingang quota=1"):
        with pytest.raises(ValueError):
            parse_districts(bad)


def _region(tmp_path: Path, neighbours: dict[str, list[str]]) -> Region:
    regional, values = tmp_path / "regional", tmp_path / "values"
    regional.mkdir(parents=True)
    values.mkdir()
    (regional / "events.txt").write_text(EVENTS)
    (regional / "districts.txt").write_text("\n".join(neighbours) + "\n")
    for d, ns in neighbours.items():
        (values / f"{d}.yaml").write_text(f"district: {d}\nneighbours: {ns}\n")
    return Region.load(regional, values)


def test_a_one_sided_neighbourhood_grants_nothing_it_is_refused(tmp_path: Path) -> None:
    region = _region(tmp_path, {"lingang": ["huancui"], "huancui": ["lingang"], "wendeng": []})
    assert region.district("huancui").neighbours == ("lingang",)
    with pytest.raises(ValueError, match="huancui does not name lingang"):
        _region(tmp_path / "b", {"lingang": ["huancui"], "huancui": [], "wendeng": []})


def test_the_repository_model_loads_and_has_no_regional_district() -> None:
    region = Region.load()
    names = [d.name for d in region.districts]
    assert names == ["lingang", "huancui", "wendeng"]
    assert {t.district for t in region.topics()} == set(names)
    shared = {e.name for e in region.events if e.shared}
    assert {"draws.draw-manifest-frozen", "draws.joint-share-committed"} <= shared
    assert any(e.cleanup_policy == "compact" and e.shared for e in region.events)  # the roster


def test_every_event_says_whether_its_neighbours_may_read_it_as_events_txt_grants() -> None:
    """A running service has no events.txt: the schema's ``shared`` flag is what it reads (a
    consumer of neighbours' topics subscribes by it); the ACLs come from events.txt. A flag
    without the grant fails to subscribe; a grant without the flag goes unread."""
    import spotcheck_common.events  # noqa: F401  (registers every schema)
    from spotcheck_common.events import registered_events

    root = Path(__file__).resolve().parents[4]
    lines = parse_events((root / "infra/regional/events.txt").read_text())
    granted = {(e.name, e.version) for e in lines if e.shared}
    flagged = {(c.event_type(), c.version) for c in registered_events() if c.shared}
    assert flagged == granted
