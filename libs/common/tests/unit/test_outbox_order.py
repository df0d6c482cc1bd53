from types import SimpleNamespace

from spotcheck_common.outbox import backoff_seconds, in_order


def row(row_id: int, aggregate: str) -> SimpleNamespace:
    return SimpleNamespace(id=row_id, aggregate_id=aggregate)


def test_rows_whose_older_sibling_is_claimed_elsewhere_wait() -> None:
    # Another replica holds row 1 of aggregate "a"; this one claimed rows 2 and 3.
    claimed = [row(2, "a"), row(3, "b")]
    ready = in_order(claimed, {"a": [1, 2], "b": [3]})
    assert [r.id for r in ready] == [3]


def test_a_gap_stops_the_run_of_an_aggregate() -> None:
    # Row 5 of "a" is pending but not claimed (locked by another relay): 7 must not overtake it.
    claimed = [row(4, "a"), row(7, "a"), row(8, "b")]
    ready = in_order(claimed, {"a": [4, 5, 7], "b": [8]})
    assert [r.id for r in ready] == [4, 8]


def test_unbroken_runs_are_sent_in_id_order() -> None:
    claimed = [row(1, "a"), row(2, "b"), row(3, "a"), row(4, "a")]
    ready = in_order(claimed, {"a": [1, 3, 4], "b": [2]})
    assert [r.id for r in ready] == [1, 2, 3, 4]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n, 60) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_seconds(30, 60) == 60
