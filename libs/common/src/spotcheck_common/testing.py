"""Test doubles behind the same interfaces, for unit tests of service layers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from spotcheck_common.clock import Clock, FixedClock, parse_instant
from spotcheck_common.events.envelope import Event
from spotcheck_common.uow import Context

# The day unit tests stand on unless they choose another: a Monday in an ordinary week.
TEST_NOW = "2026-03-16T09:00:00+08:00"


class FakeUnitOfWork:
    """Records emitted events and commits; no database."""

    def __init__(
        self, district: str = "lingang", actor: str = "tester", clock: Clock | None = None
    ) -> None:
        self.district = district
        self.context = Context(actor=actor)
        self.clock = clock or FixedClock(TEST_NOW)
        self.events: list[Event] = []
        self._pending: list[Event] = []
        self.committed = False

    @property
    def uncommitted(self) -> list[Event]:
        """Events emitted and not committed (an event handler's: the consumer commits)."""
        return list(self._pending)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._pending = []

    async def emit(self, event: Event, district: str | None = None) -> Event:
        self._pending.append(event)
        return event

    async def emit_json(
        self, event: type[Event], payloads: Any, district: str | None = None
    ) -> None:
        self._pending.extend(event.model_validate_json(payload) for _, payload in payloads)

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
    token = auth.issue(user, list(roles), district, 8 * 3600, **claims)
    return {"Authorization": f"Bearer {token}"}


def envelope_of(
    event: Any,
    district: str = "lingang",
    actor: str = "upstream-user",
    event_id: str = "",
    occurred_at: Any = None,
) -> Any:
    """``event`` wrapped as a producer would have wrapped it (a fresh id unless given)."""
    from spotcheck_common.events.envelope import Envelope, new_id

    return Envelope[Any](
        occurred_at=occurred_at or parse_instant(TEST_NOW),
        event_id=event_id or new_id(),
        event_type=event.event_type(),
        schema_version=type(event).version,
        district=district,
        actor=actor,
        aggregate_id=event.aggregate_id(),
        correlation_id=new_id(),
        payload=event.model_dump(mode="json"),
    )


class ServiceHarness:
    """One service running in-process for a test: its app, an HTTP client, and its bus."""

    def __init__(self, rt: Any, bus: Any, client: Any) -> None:
        self.rt = rt
        self.bus = bus
        self.client = client

    app: Any = None  # the app under test (``running`` sets it)

    @property
    def deps(self) -> Any:
        """What the service's ``bootstrap`` built for this app (its routes' ``Deps``)."""
        return self.app.state.services[self.rt.name]

    @property
    def district(self) -> str:
        district: str = self.rt.district
        return district

    async def deliver(
        self, event: Any, event_id: str = "", actor: str = "upstream-user", claims: str = ""
    ) -> Any:
        """Deliver ``event`` on the service's own topic through its bus (on Kafka: as its
        district's user); ``claims``: the district the envelope says it is from, if not its."""
        envelope = envelope_of(event, claims or self.district, actor, event_id)
        await self.bus.publish(
            event.topic(self.district), event.aggregate_id(), envelope.to_bytes(), {}
        )
        return envelope

    async def scalar(self, sql: str, **params: Any) -> Any:
        import sqlalchemy as sa

        async with self.rt.db.engine.connect() as conn:
            return (await conn.execute(sa.text(sql), params)).scalar()

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        """The envelopes of ``event_type`` this service wrote to its outbox, in order."""
        import json

        import sqlalchemy as sa

        async with self.rt.db.engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT envelope FROM outbox WHERE event_type = :t ORDER BY id"),
                {"t": event_type},
            )
            return [json.loads(r.envelope) for r in rows]


@asynccontextmanager
async def running(
    service: str,
    settings: Any,
    harness: type[ServiceHarness] = ServiceHarness,
    clock: Clock | None = None,
) -> AsyncIterator[Any]:
    """Run ``service`` (migrations, consumers, relay) with ``settings`` on an in-process bus,
    its domain clock standing at ``clock`` (default: a FixedClock at ``TEST_NOW``)."""
    import httpx
    from asgi_lifespan import LifespanManager

    from spotcheck_common.bus import InProcessBus
    from spotcheck_common.http import build_app
    from spotcheck_common.runner import build_runtimes, load

    bus = InProcessBus()
    (rt,) = build_runtimes([load(service)], settings, bus=bus, clock=clock or FixedClock(TEST_NOW))
    app = build_app([rt], title=f"{service} under test")
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            running_harness = harness(rt, bus, client)
            running_harness.app = app
            yield running_harness


@asynccontextmanager
async def running_on_kafka(
    service: str,
    credentials: Any,
    database_url: str,
    data_dir: Path,
    neighbours: Sequence[str] = (),
    clock: str = TEST_NOW,
) -> AsyncIterator[ServiceHarness]:
    """Run ``service`` as one district of a regional cluster: on the real broker as the
    district's own Kafka user (``credentials``: ``kafka_admin.DistrictCredentials``), reading
    its ``neighbours``' shared topics, on ``database_url``. ``deliver`` writes as that user."""
    import httpx
    from asgi_lifespan import LifespanManager

    from spotcheck_common.http import build_app
    from spotcheck_common.runner import build_runtimes, load
    from spotcheck_common.settings import Settings

    kafka = {k.removeprefix("SPOTCHECK_").lower(): v for k, v in credentials.env().items()}
    settings = Settings(
        **kafka,
        district=credentials.district,
        neighbours=",".join(neighbours),
        database_url=database_url,
        relay_interval_s=0.05,
        data_dir=data_dir / credentials.district,
        auth_secret=TEST_SECRET,
        clock=clock,
    )
    (rt,) = build_runtimes([load(service)], settings)
    app = build_app([rt], service)
    async with LifespanManager(app, startup_timeout=120) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            harness = ServiceHarness(rt, rt.bus, client)
            harness.app = app
            yield harness


async def eventually(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 60) -> Any:
    """Poll ``check`` until it returns something truthy (what it returned), or fail saying what
    was awaited and the last answer."""
    import asyncio

    last: Any = None
    try:
        async with asyncio.timeout(seconds):
            while True:
                if last := await check():
                    return last
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}; last: {last!r}") from None


# A made-up 2027 holiday schedule for tests (NOT the State Council's notice): the holidays
# package carries no 2027 notice, so tests record this one to see pending deadlines resolve.
TEST_2027_DAYS_OFF = [
    ("元旦", "2027-01-01", "2027-01-03"),
    ("春节", "2027-02-05", "2027-02-13"),
    ("清明节", "2027-04-03", "2027-04-05"),
    ("劳动节", "2027-05-01", "2027-05-05"),
    ("端午节", "2027-06-09", "2027-06-09"),
    ("中秋节", "2027-09-15", "2027-09-15"),
    ("国庆节", "2027-10-01", "2027-10-07"),
]
TEST_2027_MAKE_UP = [
    ("春节", "2027-01-31"),
    ("春节", "2027-02-20"),
    ("劳动节", "2027-04-25"),
    ("劳动节", "2027-05-08"),
    ("国庆节", "2027-09-26"),
    ("国庆节", "2027-10-09"),
]


def calendar_body(
    days_off: list[tuple[str, str, str]] | None = None,
    make_up: list[tuple[str, str]] | None = None,
    document_no: str = "测试〔2026〕1号（非真实通知）",
    published_on: str = "2026-11-03",
    reason: str = "",
) -> dict[str, Any]:
    """The body of ``POST /api/registry/calendar/2027`` with the made-up test schedule."""
    return {
        "document_no": document_no,
        "title": "测试用节假日安排",
        "published_on": published_on,
        "days_off": [
            {"name": n, "start": s, "end": e} for n, s, e in (days_off or TEST_2027_DAYS_OFF)
        ],
        "make_up_workdays": [{"name": n, "date": d} for n, d in (make_up or TEST_2027_MAKE_UP)],
        "reason": reason,
    }


def calendar_event(year: int = 2027, version: int = 1, **body: Any) -> Any:
    """``registry.calendar-year-recorded`` for the made-up schedule (as the registry emits)."""
    from spotcheck_common.events.calendar import CalendarYearRecorded

    return CalendarYearRecorded.model_validate(
        {
            **calendar_body(**body),
            "year": year,
            "schedule_version": version,
            "recorded_by": "office-1",
            "recorded_at": parse_instant(TEST_NOW),
        }
    )


@asynccontextmanager
async def migrated_session(definition: Any, where: Path) -> AsyncIterator[Any]:
    """A session on a service's database migrated on SQLite in ``where`` (the SQL side of a
    repository contract test); rolled back and closed afterwards."""
    from spotcheck_common import migrations
    from spotcheck_common.db import Database

    db = Database(f"sqlite+aiosqlite:///{where}/{definition.name}.db", definition.name)
    try:
        await migrations.upgrade(db, definition.migrations)
        async with db.sessions() as session:
            yield session
            await session.rollback()
    finally:
        await db.dispose()
