"""The campaign's counting and its retrying people, without a stack: what is missing counts as
lost, what is there twice as duplicated, and a retried ceremony act is resumed, not redone."""

from __future__ import annotations

from collections import Counter

from ..e2e.flow import Cycle, dossier_events
from .checks import Stored, Tally, tally_cycle, tally_schema
from .driver import resumed

TARGETS = ["91371071A", "91371071B"]


def cycle() -> Cycle:
    return Cycle(task_id="t-1", task_no="LG-CHAOS-001", targets=[{"uscc": u} for u in TARGETS])


def entries(c: Cycle) -> list[tuple[str, str, int]]:
    kinds = [k for k, n in dossier_events(c).items() for _ in range(n)]
    return [(kind, f"e{seq}", seq) for seq, kind in enumerate(kinds, start=1)]


def whole(c: Cycle, **changes: object) -> Stored:
    stored = Stored(
        inspections=Counter(TARGETS),
        records=Counter(TARGETS),
        first_versions=Counter(TARGETS),
        corrections=1,
        objections=1,
        dossiers=1,
        entries=entries(c),
    )
    for name, value in changes.items():
        setattr(stored, name, value)
    return stored


def tallied(stored: Stored, complete: bool = True) -> Tally:
    tally = Tally()
    tally_cycle(tally, cycle(), stored, complete)
    return tally


def test_a_whole_cycle_stored_exactly_once_passes() -> None:
    tally = tallied(whole(cycle()))
    assert (tally.lost, tally.duplicated, tally.problems) == (0, 0, [])


def test_a_result_never_published_is_lost() -> None:
    tally = tallied(whole(cycle(), records=Counter(TARGETS[:1])))
    assert (tally.lost, tally.duplicated) == (1, 0)
    assert "published result of 91371071B" in tally.problems[0]


def test_an_inspection_opened_twice_and_a_second_correction_are_duplicates() -> None:
    tally = tallied(whole(cycle(), inspections=Counter([*TARGETS, TARGETS[0]]), corrections=2))
    assert (tally.lost, tally.duplicated) == (0, 2)


def test_a_record_of_an_entity_not_drawn_is_a_duplicate() -> None:
    tally = tallied(whole(cycle(), records=Counter([*TARGETS, "91371071X"])))
    assert tally.duplicated == 1


def test_dossier_entries_are_counted_by_type_and_event() -> None:
    c = cycle()
    filed = entries(c)
    twice = [*filed, (filed[-1][0], filed[-1][1], len(filed) + 1)]  # one event filed again
    tally = tallied(whole(c, entries=twice))
    assert tally.duplicated == 2  # one more of its type, and its event id twice
    missing = [e for e in filed if e[0] != "objections.objection-filed"]
    tally = tallied(whole(c, entries=missing))
    assert tally.lost == 1
    assert any("numbering" in p for p in tally.problems)  # seq 1..n no more


def test_a_cycle_that_failed_counts_only_duplicates() -> None:
    tally = tallied(whole(cycle(), records=Counter(), corrections=0, dossiers=0), complete=False)
    assert tally.passed
    tally = tallied(whole(cycle(), records=Counter([*TARGETS, *TARGETS])), complete=False)
    assert (tally.lost, tally.duplicated) == (0, 2)


def test_an_unpublished_outbox_row_or_a_dead_letter_fails_the_campaign() -> None:
    tally = Tally()
    tally_schema(tally, "draws", unpublished=0, failing=0, dead=0)
    assert tally.passed
    tally_schema(tally, "archives", unpublished=1, failing=0, dead=2)
    assert len(tally.problems) == 2 and not tally.passed


TOOL = ["python", "-I", "-S", "tool.pyz"]
API = ["--api", "http://127.0.0.1:27603"]


def test_an_interrupted_keygen_registers_the_key_it_wrote() -> None:
    keygen = [*TOOL, "keygen", "--district", "lingang", "--party", "办公室", "--key", "k", *API]
    assert resumed(keygen, "错误：k 已存在，不覆盖") == [*TOOL, "register", "--key", "k", *API]
    assert resumed(keygen, "错误：无法连接服务器") == keygen  # nothing written yet


def test_an_interrupted_commit_resends_the_saved_share() -> None:
    commit = [*TOOL, "commit", "--key", "k", "--draw", "d", "--state", "s", *API]
    hint = "错误：s/d.json 已存在……用 --resend 重新提交同一承诺"
    assert resumed(commit, hint) == [*commit, "--resend"]
    assert resumed([*commit, "--resend"], hint) == [*commit, "--resend"]
