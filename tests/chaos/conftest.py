"""The campaign runs only when asked for (``pytest -m chaos``, the ``chaos`` stage of
infra/test.sh): it starts a stack of its own for minutes, so a run that does not select it
(the unit stage's ``-m "not integration and ..."``) leaves it out."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "chaos" in (config.option.markexpr or ""):
        return
    left_out = [item for item in items if item.get_closest_marker("chaos")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("chaos")]
