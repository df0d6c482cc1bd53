"""The public answers kept in memory (ADR 0013): served while the data's version holds, never
after this process's own commit, at most ``recheck_s`` after another replica's; computed once
however many ask; bounded in bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from publication.service_layer.answers import Answers


class Store:
    """The data's version as the database holds it, and how often it was read."""

    def __init__(self) -> None:
        self.version = 0
        self.reads = 0

    async def read(self) -> int:
        self.reads += 1
        return self.version


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


Compute = Callable[[], Awaitable[bytes]]


def counting(body: bytes) -> tuple[list[int], Compute]:
    calls: list[int] = []

    async def compute() -> bytes:
        calls.append(1)
        return body

    return calls, compute


async def test_a_kept_answer_is_served_until_the_version_moves_then_computed_again() -> None:
    store, clock = Store(), Clock()
    answers = Answers(store.read, recheck_s=1.0, now=clock)
    calls, compute = counting(b"page-1")
    assert await answers.answer("/r", "k", compute) == b"page-1"
    assert await answers.answer("/r", "k", compute) == b"page-1"
    assert len(calls) == 1 and store.reads == 1  # the version read once within a second

    store.version = 1  # another replica published: seen once recheck_s has passed
    await answers.answer("/r", "k", compute)
    assert len(calls) == 1  # not yet: at most a second behind another replica
    clock.t = 1.0
    await answers.answer("/r", "k", compute)
    assert (len(calls), store.reads) == (2, 2)


async def test_this_processs_commit_is_never_answered_stale() -> None:
    store, clock = Store(), Clock()
    answers = Answers(store.read, recheck_s=60.0, now=clock)
    calls, compute = counting(b"x")
    await answers.answer("/r", "k", compute)
    store.version = 1
    answers.expire()  # the commit's hook, in the same process: no waiting a minute
    await answers.answer("/r", "k", compute)
    assert len(calls) == 2
    answers.expire()  # a commit that changed nothing public: the version is read, kept answers stay
    await answers.answer("/r", "k", compute)
    assert (len(calls), store.reads) == (2, 3)


async def test_a_commit_while_the_version_is_being_read_makes_the_next_answer_read_it_again() -> (
    None
):
    store, clock = Store(), Clock()
    answers: Answers

    async def read_then_commit() -> int:
        version = await store.read()
        store.version += 1
        answers.expire()  # committed after the read saw the older version
        return version

    answers = Answers(read_then_commit, recheck_s=60.0, now=clock)
    calls, compute = counting(b"x")
    await answers.answer("/r", "k", compute)
    await answers.answer("/r", "k", compute)
    assert len(calls) == 2  # the first version read was not trusted for a minute


async def test_an_answer_computed_while_the_version_moved_is_not_kept() -> None:
    store, clock = Store(), Clock()
    answers = Answers(store.read, recheck_s=0.0, now=clock)
    calls: list[int] = []

    async def compute_while_published() -> bytes:
        calls.append(1)
        if len(calls) == 1:  # another request reads the new version meanwhile
            store.version = 1
            await answers.answer("/r", "other", counting(b"o")[1])
        return b"old"

    await answers.answer("/r", "k", compute_while_published)
    await answers.answer("/r", "k", compute_while_published)
    assert len(calls) == 2


async def test_many_asking_the_same_question_at_once_compute_it_once() -> None:
    store, clock = Store(), Clock()
    answers = Answers(store.read, recheck_s=1.0, now=clock)
    started, release = asyncio.Event(), asyncio.Event()
    calls: list[int] = []

    async def slow() -> bytes:
        calls.append(1)
        started.set()
        await release.wait()
        return b"page"

    waiting = [asyncio.create_task(answers.answer("/r", "k", slow)) for _ in range(20)]
    await started.wait()
    waiting[0].cancel()  # a client that leaves does not cancel the others' answer
    release.set()
    done = await asyncio.gather(*waiting[1:])
    assert done == [b"page"] * 19 and len(calls) == 1


async def test_a_refusal_is_not_kept() -> None:
    answers = Answers(Store().read, now=Clock())
    calls: list[int] = []

    async def refused() -> bytes:
        calls.append(1)
        raise ValueError("起始日期不能晚于截止日期")

    for _ in range(2):
        with pytest.raises(ValueError):
            await answers.answer("/r", "bad", refused)
    assert len(calls) == 2


async def test_the_kept_answers_stay_within_their_bytes_least_recently_used_first() -> None:
    answers = Answers(Store().read, max_bytes=16 * 100, now=Clock())
    computed: list[str] = []

    def page(key: str, size: int = 100) -> Compute:
        async def compute() -> bytes:
            computed.append(key)
            return b"x" * size

        return compute

    for key in "abcdefghijklmnop":  # 16 answers of 100 bytes: all kept
        await answers.answer("/r", key, page(key))
    await answers.answer("/r", "a", page("a"))  # a is used again
    await answers.answer("/r", "q", page("q"))  # b, the oldest, goes
    computed.clear()
    await answers.answer("/r", "a", page("a"))
    await answers.answer("/r", "b", page("b"))
    assert computed == ["b"]
    computed.clear()
    for _ in range(2):  # over a sixteenth of the bytes: answered, never kept
        assert await answers.answer("/r", "big", page("big", 101)) == b"x" * 101
    await answers.answer("/r", "a", page("a"))
    assert computed == ["big", "big"]


async def test_a_request_seen_before_is_answered_at_its_door_only_while_the_version_is_fresh() -> (
    None
):
    store, clock = Store(), Clock()
    answers = Answers(store.read, recheck_s=1.0, now=clock)
    assert answers.at_door("/r", b"limit=20") is None  # nothing read yet
    calls, compute = counting(b"page")
    await answers.answer("/r", "k", compute, door=b"limit=20")
    assert answers.at_door("/r", b"limit=20") == b"page"
    assert answers.at_door("/r", b"limit=20&offset=0") is None  # never validated: the route's
    await answers.answer("/r", "k", compute, door=b"limit=20&offset=0")  # a hit opens it too
    assert answers.at_door("/r", b"limit=20&offset=0") == b"page" and len(calls) == 1

    clock.t = 1.0  # the version must be read again: the route does it, not the door
    assert answers.at_door("/r", b"limit=20") is None
    await answers.answer("/r", "k", compute, door=b"limit=20")
    assert answers.at_door("/r", b"limit=20") == b"page"

    answers.expire()  # this process committed: never a stale answer at the door either
    assert answers.at_door("/r", b"limit=20") is None
    store.version = 1
    await answers.answer("/r", "other", counting(b"o")[1])  # reads the new version
    assert answers.at_door("/r", b"limit=20") is None  # its doors went with its answers
    assert len(calls) == 1


async def test_an_answer_not_kept_opens_no_door_and_doors_stay_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = Answers(Store().read, max_bytes=16 * 100, now=Clock())
    await answers.answer("/r", "big", counting(b"x" * 101)[1], door=b"big")
    assert answers.at_door("/r", b"big") is None  # too big to keep: the route computes it

    monkeypatch.setattr("publication.service_layer.answers.MAX_DOORS", 2)
    for door in (b"a", b"b", b"c"):
        await answers.answer("/r", "k", counting(b"page")[1], door=door)
    assert [answers.at_door("/r", d) for d in (b"a", b"b", b"c")] == [None, None, b"page"]
