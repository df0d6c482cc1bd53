"""Two neighbouring districts for the browser tests of joint work (issue 10, ADR 0010), on the
integration stage's broker with authentication and ACLs on, each its own Kafka user: Huancui
is this bureau (the all-in-one server with its demo district), Lingang one of its services in
this process, fed events and called over its API as its staff.

Needs ``SPOTCHECK_TEST_KAFKA`` and ``SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD`` (fails, never
skips, without them)."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from asgi_lifespan import LifespanManager

from spotcheck_common.events.envelope import Event
from spotcheck_common.http import build_app
from spotcheck_common.kafka_admin import DistrictCredentials, add_district
from spotcheck_common.runner import build_runtimes, load
from spotcheck_common.settings import Settings
from spotcheck_common.testing import TEST_SECRET, auth_headers, envelope_of

from .conftest import CLOCK, serving

T = TypeVar("T")


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: this test needs the integration stage's broker")
    return value


class Loop:
    """An event loop on a thread of its own: Playwright's synchronous API holds this one's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=180)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


class Lingang:
    """One of Lingang's services in this process, on the loop's thread: fed its events, called
    over its API as its staff."""

    def __init__(
        self,
        loop: Loop,
        credentials: DistrictCredentials,
        neighbour: str,
        data: Path,
        service: str = "draws",
    ) -> None:
        self.district = credentials.district
        self.run = loop.run
        self.stack = AsyncExitStack()
        kafka = {k.removeprefix("SPOTCHECK_").lower(): v for k, v in credentials.env().items()}
        self.settings = Settings(
            **kafka,
            district=self.district,
            neighbours=neighbour,
            relay_interval_s=0.05,
            data_dir=data,
            auth_secret=TEST_SECRET,
            clock=CLOCK,
        )
        self.run(self._start(service))

    async def _start(self, service: str) -> None:
        (self.runtime,) = build_runtimes([load(service)], self.settings)
        app = build_app([self.runtime], service)
        manager = await self.stack.enter_async_context(LifespanManager(app, startup_timeout=120))
        transport = httpx.ASGITransport(manager.app)
        self.client = await self.stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://lingang")
        )

    def feed(self, event: Event) -> None:
        """``event`` on Lingang's own topic, written as Lingang's Kafka user."""
        env = envelope_of(event, self.district, "test")
        topic = event.topic(self.district)
        self.run(self.runtime.bus.publish(topic, env.aggregate_id, env.to_bytes(), {}))

    def public(self, path: str) -> httpx.Response:
        return self.run(self.client.get(path))

    def call(
        self, method: str, path: str, who: tuple[str, str], body: Any = None, **claims: str
    ) -> Any:
        """``claims``: more of the token's (an inspector's ``inspector_id``)."""
        headers = auth_headers(*who, district=self.district, name=who[0], **claims)
        return self.run(self.client.request(method, path, json=body, headers=headers))

    def close(self) -> None:
        self.run(self.stack.aclose())


@contextmanager
def two_districts(
    tmp_path_factory: pytest.TempPathFactory, service: str
) -> Iterator[tuple[Lingang, str]]:
    """Lingang (its ``service`` in this process) and Huancui (the all-in-one server, this
    bureau), neighbours of each other on the test broker; Huancui's URL."""
    bootstrap = required("SPOTCHECK_TEST_KAFKA")
    admin = required("SPOTCHECK_TEST_KAFKA_ADMIN_PASSWORD")
    name = f"t{uuid.uuid4().hex[:9]}"
    lg, hc = f"{name}l", f"{name}h"
    loop = Loop()
    lg_creds = loop.run(add_district(bootstrap, admin, lg, [hc]))
    hc_creds = loop.run(add_district(bootstrap, admin, hc, [lg]))
    data = tmp_path_factory.mktemp("huancui")
    env = {**hc_creds.env(), "SPOTCHECK_DISTRICT": hc, "SPOTCHECK_NEIGHBOURS": lg}
    try:
        with serving(data, **env) as huancui:
            lingang = Lingang(loop, lg_creds, hc, tmp_path_factory.mktemp("lingang"), service)
            try:
                yield lingang, huancui
            finally:
                lingang.close()
    finally:
        loop.close()
