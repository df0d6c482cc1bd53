"""Test doubles behind the same interfaces, for unit tests of service layers."""

from __future__ import annotations

from typing import Any

from spotcheck_common.events.envelope import Event
from spotcheck_common.uow import Context


class FakeUnitOfWork:
    """Records emitted events and commits; no database."""

    def __init__(self, district: str = "lingang", actor: str = "tester") -> None:
        self.district = district
        self.context = Context(actor=actor)
        self.events: list[Event] = []
        self._pending: list[Event] = []
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._pending = []

    async def emit(self, event: Event, district: str | None = None) -> Event:
        self._pending.append(event)
        return event

    async def commit(self) -> None:
        self.events.extend(self._pending)
        self._pending = []
        self.committed = True

    async def rollback(self) -> None:
        self._pending = []


TEST_SECRET = "spotcheck-test-secret-0123456789abcdef"


def auth_headers(
    user: str, *roles: str, district: str = "lingang", secret: str = TEST_SECRET, **claims: str
) -> dict[str, str]:
    """``Authorization`` for a test user; the app under test needs ``auth_secret=secret``."""
    from spotcheck_common.auth import Authenticator
    from spotcheck_common.settings import Settings

    auth = Authenticator(Settings(district=district, auth_secret=secret))
    return {"Authorization": f"Bearer {auth.issue(user, list(roles), **claims)}"}
