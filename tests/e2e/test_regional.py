"""Three district bureaus on one regional cluster, in containers (issue 10): one Kafka with
authentication and ACLs, one PostgreSQL, and each district its own set of service containers
(Lingang: registry, planning, draws, inspections, archives; Huancui: registry, draws,
inspections, archives; Wendeng: draws, inspections, archives), each signed in to Kafka as its
own district's user and running on its own database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .flow import Platform
from .regional import (
    HUANCUI,
    LINGANG,
    WENDENG,
    Region,
    assert_region,
    freeze_joint_draw,
    import_rosters,
    inspect_jointly,
    run_ceremony,
)
from .stack import Stack

pytestmark = pytest.mark.e2e
LOGS = Path(os.environ.get("SPOTCHECK_E2E_LOGS", "/tmp/spotcheck-e2e-logs")) / "regional"
CORE = ("draws", "inspections", "archives")


@pytest.fixture(scope="module")
def region() -> Iterator[dict[str, Stack]]:
    lingang = Stack(
        district=LINGANG,
        names=("registry", "planning", *CORE),
        neighbours=(HUANCUI, WENDENG),
    )
    stacks = {LINGANG: lingang}
    try:
        lingang.prepare()
        stacks[HUANCUI] = Stack(
            district=HUANCUI,
            names=("registry", *CORE),
            neighbours=(LINGANG,),
            database="spotcheck_huancui",
            shared=lingang,
        )
        stacks[WENDENG] = Stack(
            district=WENDENG,
            names=CORE,
            neighbours=(LINGANG,),
            database="spotcheck_wendeng",
            shared=lingang,
        )
        for name in (HUANCUI, WENDENG):
            stacks[name].prepare()
        for stack in stacks.values():
            stack.launch()
        for stack in stacks.values():
            stack.wait_all()
        yield stacks
    finally:
        for stack in reversed(list(stacks.values())):
            stack.dump_logs(LOGS)
            stack.stop()


def test_a_joint_draw_across_three_districts_on_one_cluster(region: dict[str, Stack]) -> None:
    bureaus = {
        name: Platform({s: stack.url(s) for s in stack.names}, district=name)
        for name, stack in region.items()
    }
    scenario = Region(bureaus)
    import_rosters(scenario)
    freeze_joint_draw(scenario)
    run_ceremony(scenario)
    records = inspect_jointly(scenario)
    assert_region(scenario, records)
