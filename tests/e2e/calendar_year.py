"""Next year's holidays are not known yet (issue 7): a result formed and an objection received
in late December are accepted, their deadlines pending; the general office records the year's
schedule, and every service that keeps a clock turns its pending deadlines into dates.

The services stand on 2026-12-21 (their SPOTCHECK_CLOCK). 2027 is not in the ``holidays``
package; the schedule recorded is the made-up test one (``spotcheck_common.testing``), not the
State Council's notice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from spotcheck_common.testing import calendar_body

from .flow import CREDIT, OFFICE, Platform, eventually, run_cycle

DECEMBER_CLOCK = "2026-12-21T09:00:00+08:00"  # a Monday; 20 working days reach into 2027
DECEMBER = date(2026, 12, 21)
# Dec 22-25, 28-31 (8 working days), Jan 1-3 off (made-up schedule), Jan 4-8 (13),
# Jan 11-15 (18), Jan 18-19 (20): worked out by hand, not by the code under test.
DUE_2027 = "2027-01-19"
VERSION = "2026/holidays-0.109,2027/v1"


def run_calendar(p: Platform, task_no: str = "LG-E2E-CAL") -> None:
    cycle = run_cycle(p, task_no, objection=False, today=DECEMBER)
    record = cycle.records[0]

    # Publication: formed today, the publication deadline is pending (2027 unknown).
    published = p.call("publication", "GET", f"/public/results/{record['record_id']}")
    assert published["completed_on"] == DECEMBER.isoformat()
    assert published["publish_due_on"] is None
    assert published["publish_due_status"] == "pending_calendar", published
    assert "2027 年" in published["publish_due_reason"]

    # Objections: the entity's objection is received (201) all the same, its review pending.
    entity = ("entity-user", ["entity"], {"uscc": record["uscc"]})

    def filed() -> Any:
        response = p.client.post(
            p.urls["objections"] + "/api/objections/objections",
            json={"record_id": record["record_id"], "uscc": record["uscc"], "reason": "有误"},
            headers=p.headers(entity),
        )
        if response.status_code == 404:  # the record has not reached objections yet
            return None
        assert response.status_code == 201, response.text
        return response.json()

    objection = eventually(filed, "objections to know the published record")
    assert objection["received_on"] == DECEMBER.isoformat()
    assert objection["review_due_on"] is None and objection["due_status"] == "pending_calendar"
    assert "2027 年" in objection["due_reason"]

    # Archives lists both clocks apart: neither overdue nor on time.
    def pending_in_archives() -> Any:
        report = p.call("archives", "GET", "/api/archives/accountability", CREDIT)
        kinds = {i["kind"] for i in report["pending_calendar"] if i["task_id"] == cycle.task_id}
        return kinds >= {"objection_review", "result_publication"} and report

    eventually(pending_in_archives, "archives to list the pending clocks")

    public = p.call("registry", "GET", "/public/calendar/2027")
    assert public["covered"] is False and public["source"] == "none"

    # A schedule that cannot be right is refused, naming the field, and records nothing.
    wrong = calendar_body(make_up=[("春节", "2027-02-10")])  # a Wednesday
    refused = p.call(
        "registry", "POST", "/api/registry/calendar/2027", OFFICE, json=wrong, expect=422
    )
    assert refused["errors"][0]["field"] == "make_up_workdays[0]"
    p.call("registry", "POST", "/api/registry/calendar/2027", CREDIT, json=wrong, expect=403)

    # The general office records 2027.
    recorded = p.call(
        "registry", "POST", "/api/registry/calendar/2027", OFFICE, json=calendar_body()
    )
    assert recorded["source"] == "recorded" and recorded["calendar_version"] == "2027/v1"

    def review_dated() -> Any:
        o = p.call(
            "objections",
            "GET",
            f"/api/objections/objections/{objection['objection_id']}",
            CREDIT,
        )
        return o["review_due_on"] and o

    dated = eventually(review_dated, "objections to compute the review deadline")
    assert dated["review_due_on"] == DUE_2027 and dated["due_status"] == "set"
    assert dated["deadlines"]["review"]["calendar_version"] == VERSION

    def publication_dated() -> Any:
        r = p.call("publication", "GET", f"/public/results/{record['record_id']}")
        return r["publish_due_on"] and r

    dated_record = eventually(publication_dated, "publication to compute its deadline")
    assert dated_record["publish_due_on"] == DUE_2027
    assert dated_record["publish_due_calendar"] == VERSION

    def archives_dated() -> Any:
        report = p.call("archives", "GET", "/api/archives/accountability", CREDIT)
        return not [i for i in report["pending_calendar"] if i["task_id"] == cycle.task_id]

    eventually(archives_dated, "archives to judge the clocks with 2027 recorded")
    public = p.call("registry", "GET", "/public/calendar/2027")
    assert public["covered"] is True and public["current"]["document_no"].startswith("测试")
    assert "recorded_by" not in public["current"]  # the public does not see who typed it
