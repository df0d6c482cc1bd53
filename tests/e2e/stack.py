"""The whole platform in containers: Kafka, PostgreSQL and the seven services, each its own
container from the locally built images (``make images``), on the host network (127.0.0.1).

Kafka runs as in production: SCRAM-SHA-512 and ACLs on, auto-creation off. The stack sets its
district up as admin (user, ACLs, quotas, topics: spotcheck_common.kafka_admin) and gives every
service container that district's credentials; ``add_district`` sets up more districts on the
same broker. A regional scenario runs several districts on one Kafka and one PostgreSQL:
``Stack(district=..., shared=first)`` is another district's set of service containers, on the
first stack's broker and database server, in a database of its own.

PostgreSQL is set up as production's (docs/operations/postgres.md): ``spotcheck_owner`` owns each
district's database and migrates it, one ``spotcheck migrate --target=<service>`` per service
as the chart's init containers do, granting that service's own role (``spotcheck_<service>``),
which is the only role its container logs in as. Roles are cluster-wide, so districts sharing
the server share the role names; each role's rights are granted per database.

testcontainers drives podman through its Docker API (see DEVELOPERS.md). Host networking keeps
addresses identical inside and outside the containers; every port is picked free at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from testcontainers.core.container import DockerContainer

from spotcheck_common.kafka_admin import add_district
from spotcheck_common.testing import TEST_SECRET

# The services' domain clock (SPOTCHECK_CLOCK): every e2e run stands on the same day, whatever
# the machine's date, so the scenarios' dates and deadlines never depend on when CI runs.
E2E_CLOCK = "2026-11-16T09:00:00+08:00"  # a Monday

SERVICES = ["registry", "planning", "draws", "inspections", "publication", "objections", "archives"]
APP_IMAGE = os.environ.get("SPOTCHECK_E2E_APP_IMAGE", "localhost/spotcheck:dev")
KAFKA_IMAGE = os.environ.get("SPOTCHECK_E2E_KAFKA_IMAGE", "localhost/spotcheck-kafka:dev")
PG_IMAGE = os.environ.get("SPOTCHECK_E2E_PG_IMAGE", "localhost/spotcheck-postgres:dev")
# The image's superuser: makes the roles and the databases, and nothing else.
ADMIN_ROLE = "spotcheck"
# Owns each district's database (as CloudNativePG's bootstrap owner does) and migrates it.
OWNER_ROLE = "spotcheck_owner"


def service_role(service: str) -> str:
    """The role a service's container runs as: its own schema only, owning nothing."""
    return f"spotcheck_{service}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check, timeout: float, what: str, interval: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
            last = result
        except Exception as exc:
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")


def logs_of(container: DockerContainer, tail: int = 60) -> str:
    out, err = container.get_logs()
    text = (out + err).decode(errors="replace")
    return "\n".join(text.splitlines()[-tail:])


@dataclass
class Stack:
    district: str = "lingang"
    kafka_port: int = field(default_factory=free_port)
    pg_port: int = field(default_factory=free_port)
    # Which services run (all seven by default; a regional scenario runs what it needs).
    names: tuple[str, ...] = tuple(SERVICES)
    ports: dict[str, int] = field(default_factory=dict)
    database: str = "spotcheck"
    # Another district's stack whose Kafka and PostgreSQL this one uses (None: its own).
    shared: Stack | None = None
    kafka: DockerContainer | None = None
    postgres: DockerContainer | None = None
    services: dict[str, DockerContainer] = field(default_factory=dict)
    clock: str = E2E_CLOCK
    neighbours: tuple[str, ...] = ()
    kafka_admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    # Each district's Kafka settings (SPOTCHECK_KAFKA_*), made by add_district.
    kafka_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # Where the services export their spans (OTLP/HTTP); "" exports none.
    otel_endpoint: str = ""

    def __post_init__(self) -> None:
        self.ports = self.ports or {name: free_port() for name in self.names}
        if self.shared is not None:
            self.kafka_port, self.pg_port = self.shared.kafka_port, self.shared.pg_port
            self.kafka_admin_password = self.shared.kafka_admin_password

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def role_url(self, role: str, database: str = "") -> str:
        """``role`` logging in (trust authentication) to this district's database, or another."""
        return f"postgresql+asyncpg://{role}@127.0.0.1:{self.pg_port}/{database or self.database}"

    @property
    def owner_url(self) -> str:
        """The owner of the services' schemas: it migrates, and nothing else."""
        return self.role_url(OWNER_ROLE)

    def database_url(self, service: str) -> str:
        """What ``service`` runs as (as in production): its own role, which does not own its
        tables, may not rewrite the append-only ones nor disable triggers, and cannot reach
        another service's schema."""
        return self.role_url(service_role(service))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> None:
        self.prepare()
        self.launch()
        self.wait_all()

    def prepare(self) -> None:
        """Kafka and PostgreSQL (or, sharing another stack's, this district on its broker and a
        database of its own), the roles, then the schemas."""
        if self.shared is None:
            self.start_infra()
        else:
            self.add_district(self.district, self.neighbours)
        wait_until(self._set_up_database, 90, "the database and its roles")
        self.migrate()

    def launch(self) -> None:
        for name in self.names:
            self.start_service(name)

    def wait_all(self) -> None:
        for name in self.names:
            self.wait_healthy(name)

    def start_infra(self) -> None:
        self.kafka = (
            DockerContainer(KAFKA_IMAGE)
            .with_kwargs(network_mode="host")
            .with_env("KAFKA_PORT", str(self.kafka_port))
            .with_env("KAFKA_CONTROLLER_PORT", str(free_port()))
            .with_env("KAFKA_ADVERTISED_HOST", "127.0.0.1")
            .with_env("KAFKA_LISTEN_HOST", "127.0.0.1")
            .with_env("KAFKA_ADMIN_PASSWORD", self.kafka_admin_password)
        )
        self.kafka.start()
        self.postgres = (
            DockerContainer(PG_IMAGE)
            .with_kwargs(network_mode="host")
            .with_env("PG_PORT", str(self.pg_port))
            .with_env("PG_LISTEN_HOST", "127.0.0.1")
            .with_env("PG_DATABASE", "spotcheck")
        )
        self.postgres.start()
        wait_until(lambda: _tcp(self.pg_port), 90, "PostgreSQL")
        wait_until(lambda: _tcp(self.kafka_port), 120, "Kafka")
        wait_until(lambda: self.add_district(self.district, self.neighbours), 120, "Kafka as admin")

    def add_district(self, name: str, neighbours: Sequence[str] = ()) -> dict[str, str]:
        """The district's Kafka user with the production ACLs (reading its neighbours' shared
        topics) and quotas, and its topics; the SPOTCHECK_KAFKA_* environment of its services.
        Neighbours are named on both sides, as the Helm values do."""
        credentials = asyncio.run(
            add_district(self.bootstrap, self.kafka_admin_password, name, neighbours)
        )
        self.kafka_env[name] = credentials.env()
        return self.kafka_env[name]

    def migrate(self) -> None:
        """Before any service starts, what the chart's init containers do, all at once:
        ``spotcheck migrate --target=<service>`` as the owner, which grants the role of
        SPOTCHECK_DATABASE_URL (the service's own) its rights; the services themselves can
        change no schema."""
        jobs = {}
        for name in self.names:
            jobs[name] = (
                DockerContainer(APP_IMAGE)
                .with_kwargs(network_mode="host")
                .with_command([f"--target={name}", "migrate"])
                .with_env("SPOTCHECK_DISTRICT", self.district)
                .with_env("SPOTCHECK_DATABASE_OWNER_URL", self.owner_url)
                .with_env("SPOTCHECK_DATABASE_URL", self.database_url(name))
                .with_env("SPOTCHECK_AUTH_SECRET", TEST_SECRET)
            )
            jobs[name].start()
        for name, job in jobs.items():
            status = job.get_wrapped_container().wait(timeout=300)
            if status.get("StatusCode") != 0:
                raise RuntimeError(f"spotcheck migrate --target={name} failed:\n{logs_of(job)}")
            job.stop()

    def _set_up_database(self) -> bool:
        """As the superuser: the owner and the services' roles (cluster-wide, made once for
        every district), and this district's database owned by the owner (the first stack's
        comes with the PostgreSQL container, another district's is created here)."""
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import create_async_engine

        roles = [OWNER_ROLE, *(service_role(name) for name in self.names)]

        async def set_up() -> None:
            engine = create_async_engine(
                self.role_url(ADMIN_ROLE, "postgres"), isolation_level="AUTOCOMMIT"
            )
            try:
                async with engine.connect() as conn:
                    known = "SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)"
                    existing = set((await conn.execute(sa.text(known), {"r": roles})).scalars())
                    for role in roles:
                        if role not in existing:
                            await conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
                    found = "SELECT 1 FROM pg_database WHERE datname = :d"
                    if (await conn.execute(sa.text(found), {"d": self.database})).first():
                        ddl = f'ALTER DATABASE "{self.database}" OWNER TO {OWNER_ROLE}'
                    else:
                        ddl = f'CREATE DATABASE "{self.database}" OWNER {OWNER_ROLE}'
                    await conn.execute(sa.text(ddl))
            finally:
                await engine.dispose()

        asyncio.run(set_up())
        return True

    def query(self, role: str, statement: str) -> list[tuple[Any, ...]]:
        """The rows of ``statement`` run as ``role`` on this district's database."""
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import create_async_engine

        async def run() -> list[tuple[Any, ...]]:
            engine = create_async_engine(self.role_url(role))
            try:
                async with engine.connect() as conn:
                    return [tuple(row) for row in await conn.execute(sa.text(statement))]
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def start_service(self, name: str) -> None:
        container = (
            DockerContainer(APP_IMAGE)
            .with_kwargs(network_mode="host")
            .with_command([f"--target={name}", f"--port={self.ports[name]}"])
            .with_env("SPOTCHECK_DISTRICT", self.district)
            .with_env("SPOTCHECK_NEIGHBOURS", ",".join(self.neighbours))
            .with_env("SPOTCHECK_DATABASE_URL", self.database_url(name))
            .with_env("SPOTCHECK_HOST", "127.0.0.1")
            .with_env("SPOTCHECK_RELAY_INTERVAL_S", "0.1")
            .with_env("SPOTCHECK_AUTH_SECRET", TEST_SECRET)
            .with_env("SPOTCHECK_CLOCK", self.clock)
        )
        for key, value in self.kafka_env[self.district].items():
            container.with_env(key, value)
        if self.otel_endpoint:
            container.with_env("SPOTCHECK_OTEL_EXPORTER_ENDPOINT", self.otel_endpoint)
        container.start()
        self.services[name] = container

    def start_portal(self) -> str:
        """The web application in a container of its own (``--target=portal``), reaching the
        services' containers over HTTP as the chart wires it; its base URL."""
        port = free_port()
        services = ",".join(f"{name}={self.url(name)}" for name in self.names)
        container = (
            DockerContainer(APP_IMAGE)
            .with_kwargs(network_mode="host")
            .with_command(["--target=portal", f"--port={port}"])
            .with_env("SPOTCHECK_DISTRICT", self.district)
            .with_env("SPOTCHECK_HOST", "127.0.0.1")
            .with_env("SPOTCHECK_AUTH_SECRET", TEST_SECRET)
            .with_env("SPOTCHECK_PORTAL_SERVICES", services)
            .with_env("SPOTCHECK_BUREAU_NAME", "临港区市场监督管理局")
        )
        container.start()
        self.ports["portal"] = port
        self.services["portal"] = container
        self.wait_healthy("portal")
        return self.url("portal")

    def wait_healthy(self, name: str, timeout: float = 180) -> None:
        def ready() -> bool:
            response = httpx.get(f"{self.url(name)}/readyz", timeout=2)
            return response.status_code == 200

        try:
            wait_until(ready, timeout, f"{name} /readyz")
        except TimeoutError as exc:
            raise TimeoutError(
                f"{exc}\n--- {name} logs ---\n{logs_of(self.services[name])}"
            ) from None

    def kill_service(self, name: str) -> None:
        """SIGKILL: no graceful shutdown, in-flight work is cut off."""
        self.services[name].get_wrapped_container().kill(signal="SIGKILL")
        self.services[name].stop()
        del self.services[name]

    def restart_service(self, name: str) -> None:
        self.start_service(name)
        self.wait_healthy(name)

    def move_clock(self, clock: str) -> None:
        """Restart every service on another day (their data stays in Kafka and PostgreSQL);
        nothing to do on the day they stand on."""
        if clock == self.clock:
            return
        self.clock = clock
        for name in self.names:
            self.services[name].stop()
            self.start_service(name)
        self.wait_all()

    def dump_logs(self, directory: Path) -> None:
        """Each container's log, for the post-mortem of a failed run (CI keeps the folder)."""
        directory.mkdir(parents=True, exist_ok=True)
        named = {**self.services, "kafka": self.kafka, "postgres": self.postgres}
        prefix = "" if self.shared is None else f"{self.district}-"
        for name, container in named.items():
            if container is not None:
                with contextlib.suppress(Exception):
                    (directory / f"{prefix}{name}.log").write_text(logs_of(container, tail=5000))

    def stop(self) -> None:
        for container in [*self.services.values(), self.kafka, self.postgres]:
            if container is not None:
                with contextlib.suppress(Exception):
                    container.stop()
        self.services.clear()


def _tcp(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0
