"""A broker outage does not flood the logs: aiokafka's repeated messages pass once a window,
with how many were held back; other loggers are untouched."""

from __future__ import annotations

import logging
import subprocess
import sys

from spotcheck_common.logs import Repeats


def record(name: str, msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_a_repeated_message_passes_once_a_window_with_the_count_held_back() -> None:
    t = [0.0]
    repeats = Repeats(window_s=30, now=lambda: t[0])
    template = "Unable connect to node with id %s: %s"
    passed = [
        repeats.filter(record("aiokafka.conn", template, n % 3, "refused")) for n in range(1000)
    ]
    assert passed.count(True) == 1 and passed[0]
    t[0] = 30.0
    later = record("aiokafka.conn", template, 1, "refused")
    assert repeats.filter(later)
    assert later.getMessage() == (
        "Unable connect to node with id 1: refused (and 999 like it in the last 30 s)"
    )
    assert later.fields == {"repeated": 999}  # type: ignore[attr-defined]
    again = record("aiokafka.conn", template, 1, "refused")
    t[0] = 61.0
    assert repeats.filter(again) and "like it" not in again.getMessage()  # none held back


def test_other_messages_and_other_loggers_pass() -> None:
    repeats = Repeats(window_s=30, now=lambda: 0.0)
    assert repeats.filter(record("aiokafka.conn", "a %s", 1))
    assert repeats.filter(record("aiokafka.conn", "b %s", 1))  # another message
    assert repeats.filter(record("aiokafka.conn", "a %s", 1, level=logging.WARNING))
    assert not repeats.filter(record("aiokafka.conn", "a %s", 2))
    for _ in range(3):  # the services' own logs are never held back
        assert repeats.filter(record("spotcheck.outbox", "relay failed %s", 1))


def test_what_is_held_back_is_handed_over_once_with_its_count() -> None:
    t = [0.0]
    repeats = Repeats(window_s=30, now=lambda: t[0])
    template = "Unable connect to node with id %s: %s"
    for n in range(5):
        repeats.filter(record("aiokafka.conn", template, n, "refused"))
    assert repeats.filter(record("aiokafka.client", "metadata %s", 1))  # none held back
    (held,) = repeats.held_back()
    assert held.getMessage() == (
        "Unable connect to node with id 4: refused (the last of 4 like it held back)"
    )
    assert held.fields == {"repeated": 4}  # type: ignore[attr-defined]
    assert repeats.held_back() == []  # handed over once
    assert repeats.filter(record("aiokafka.conn", template, 5, "refused"))  # a fresh start


def test_the_process_logs_what_was_held_back_when_it_exits() -> None:
    program = (
        "import logging\n"
        "from spotcheck_common.logs import setup_logging\n"
        "setup_logging(as_json=False)\n"
        "for n in range(6): logging.getLogger('aiokafka.conn').error('refused %s', n)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and lines[0].endswith("refused 0")
    assert lines[1].endswith("refused 5 (the last of 5 like it held back)")
