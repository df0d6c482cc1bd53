"""``spotcheck``: one binary; ``--target`` picks the services this process runs.

spotcheck --target=all                 all seven and the web application in one process (make run)
spotcheck --target=registry,draws      some of them
spotcheck --target=portal              the web application alone (reaches the services by HTTP)
spotcheck docs --out docs/api          write the OpenAPI and AsyncAPI documents
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import make_url as sa_url

from spotcheck_common.auth import startup_refusals
from spotcheck_common.bus import EventBus, InProcessBus, KafkaBus, KafkaSecurity
from spotcheck_common.clock import Clock, clock_from_setting
from spotcheck_common.db import Database
from spotcheck_common.http import build_app
from spotcheck_common.logs import setup_logging
from spotcheck_common.service import FrontendDefinition, ServiceDefinition, ServiceRuntime
from spotcheck_common.settings import Settings, get_settings
from spotcheck_common.tracing import setup_tracing

ORDER = ["registry", "planning", "draws", "inspections", "publication", "objections", "archives"]


def available() -> list[str]:
    """Installed services, in pipeline order."""
    return sorted({ep.name for ep in entry_points(group="spotcheck.services")}, key=_rank)


def available_frontends() -> list[str]:
    return sorted({ep.name for ep in entry_points(group="spotcheck.frontends")})


def load(name: str) -> ServiceDefinition:
    (ep,) = entry_points(group="spotcheck.services", name=name)
    definition: ServiceDefinition = ep.load()
    return definition


def _rank(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def _names(target: str) -> list[str]:
    installed = available() + available_frontends()
    names = installed if target == "all" else [t.strip() for t in target.split(",") if t.strip()]
    unknown = [n for n in names if n not in installed]
    if unknown or not names:
        raise SystemExit(
            f"spotcheck: unknown target(s) {', '.join(unknown) or '(none)'}; "
            f"choose 'all' or some of: {', '.join(installed)}"
        )
    return names


def resolve_targets(target: str) -> list[ServiceDefinition]:
    """The services ``target`` names (the web application is not a service: it has no data)."""
    services = set(available())
    return [load(n) for n in sorted(set(_names(target)) & services, key=_rank)]


def resolve_frontends(target: str) -> list[FrontendDefinition]:
    frontends = set(available_frontends())
    found: list[FrontendDefinition] = []
    for name in sorted(set(_names(target)) & frontends):
        (ep,) = entry_points(group="spotcheck.frontends", name=name)
        found.append(ep.load())
    return found


def build_runtimes(
    definitions: Sequence[ServiceDefinition],
    settings: Settings,
    bus: EventBus | None = None,
    clock: Clock | None = None,
) -> list[ServiceRuntime]:
    if bus is None:
        if settings.embedded and len(definitions) < len(available()):
            raise SystemExit(
                "spotcheck: without SPOTCHECK_KAFKA_BOOTSTRAP only --target=all can run "
                "(in-process delivery needs every consumer in this process)"
            )
        bus = (
            InProcessBus()
            if settings.embedded
            else KafkaBus(
                settings.kafka_bootstrap,
                batch_bytes=settings.kafka_batch_bytes,
                max_message_bytes=settings.kafka_max_message_bytes,
                security=KafkaSecurity.from_settings(settings),
                create_topics=settings.kafka_create_topics,
                lag_interval_s=settings.kafka_lag_interval_s,
            )
        )
    clock = clock or clock_from_setting(settings.clock)  # one clock for the whole process
    runtimes = [
        ServiceRuntime(
            d, settings, Database(settings.database_url_for(d.name), d.name), bus, clock=clock
        )
        for d in definitions
    ]
    for rt in runtimes:
        rt.bind()
    return runtimes


def create_app(target: str = "all", settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    definitions = resolve_targets(target)
    runtimes = build_runtimes(definitions, settings) if definitions else []
    title = "spotcheck" if target == "all" else f"spotcheck {target}"
    app = build_app(runtimes, title=title)
    local = len(definitions) == len(available())  # every API answers in this process
    for frontend in resolve_frontends(target):
        frontend.mount(app, settings, local)
    return app


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    if args.port:
        settings.port = args.port
    if refusals := startup_refusals(settings):
        sys.exit("spotcheck refuses to start:\n  " + "\n  ".join(refusals))
    if settings.auth_local_issuer and not settings.auth_secret:
        settings.auth_secret = _local_secret(settings)
    setup_logging(settings.log_level, settings.log_json)
    setup_tracing(f"{settings.otel_service_name}-{args.target}", settings.otel_exporter_endpoint)
    app = create_app(args.target, settings)
    base = f"http://{settings.host}:{settings.port}"
    mode = "embedded (SQLite, in-process events)" if settings.embedded else "Kafka"
    print(
        f"spotcheck [{args.target}] district={settings.district} {mode}\n"
        f"  API docs   {base}/docs\n  health     {base}/healthz\n  metrics    {base}/metrics\n"
        f"  public     {base}/   (公示网站)   console {base}/console",
        flush=True,
    )
    if settings.clock:
        print(
            f"  WARNING    the domain clock starts at {settings.clock} (SPOTCHECK_CLOCK): "
            "deadlines count from that day, not from today — rehearsals and tests only",
            flush=True,
        )
    if settings.auth_local_issuer:
        print(
            f"  sign in    POST {base}/auth/token "
            '{"user": "...", "roles": ["credit_dept"]}  (demo issuer; Bearer token in /docs)',
            flush=True,
        )
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


def _local_secret(settings: Settings) -> str:
    """The demo issuer's signing secret, made once per data directory."""
    from spotcheck_common.auth import new_secret

    path = settings.data_dir / "auth-secret"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(new_secret())
        path.chmod(0o600)
    return path.read_text().strip()


def _docs(args: argparse.Namespace) -> None:
    """Write each service's OpenAPI and AsyncAPI documents (sorted JSON, stable diffs)."""
    from faststream.specification import AsyncAPI

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(district="lingang", kafka_bootstrap="localhost:9092")
    for definition in resolve_targets("all"):
        bus = KafkaBus(settings.kafka_bootstrap)
        (rt,) = build_runtimes([definition], settings, bus=bus)
        app = build_app([rt], title=f"spotcheck {definition.name}")
        _write(out / f"{definition.name}.openapi.json", app.openapi())
        spec = AsyncAPI(
            bus.broker,
            title=f"spotcheck {definition.name}",
            version="0.1.0",
            description=definition.title,
            schema_version="3.0.0",
        )
        _write(
            out / f"{definition.name}.asyncapi.json", json.loads(spec.to_specification().to_json())
        )


def _makemigration(args: argparse.Namespace) -> None:
    """Autogenerate the next migration of one service against a scratch SQLite database."""
    import tempfile

    from spotcheck_common.migrations import autogenerate

    (definition,) = resolve_targets(args.target)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/scratch.db", definition.name)
        asyncio.run(autogenerate(db, definition.migrations, args.message))


async def migrate(definition: ServiceDefinition, settings: Settings) -> None:
    """Migrate a service as the database owner, then grant the runtime role (the user of
    ``database_url``) what it may do: the services run without the right to rewrite history
    (``spotcheck migrate``, a Helm job or init container before the services start)."""
    from spotcheck_common.migrations import grant_runtime, upgrade

    runtime_url = settings.database_url_for(definition.name)
    owner = Database(settings.database_owner_url or runtime_url, definition.name)
    try:
        await upgrade(owner, definition.migrations)
        role = sa_url(runtime_url).username or ""
        if settings.database_owner_url and role and role != sa_url(owner.url).username:
            await grant_runtime(owner, role, definition.append_only)
    finally:
        await owner.dispose()


def _migrate(args: argparse.Namespace) -> None:
    settings = get_settings()
    for definition in resolve_targets(args.target):
        asyncio.run(migrate(definition, settings))
        print(f"migrated {definition.name}")


async def _dead_letters(args: argparse.Namespace) -> bool:
    """List (or replay) each target's dead letters; False when a replay failed again."""
    settings = get_settings()
    ok = True
    for rt in build_runtimes(resolve_targets(args.target), settings, bus=InProcessBus()):
        try:
            ok &= await _dead_letters_of(rt, args.replay, args.actor)
        finally:
            await rt.db.dispose()
    return ok


async def _dead_letters_of(rt: Any, replay: list[str] | None, actor: str) -> bool:
    from spotcheck_common import dead_letters

    if replay is None:
        for letter in await dead_letters.dead_letters(rt.uow):
            print(
                f"{rt.name}\t{letter.event_id}\t{letter.consumer}\t{letter.event_type}\t"
                f"{letter.attempts} attempts, dead since {letter.dead_at}\t{letter.last_error}"
            )
        return True
    ok = True
    subscriptions = rt.definition.subscriptions
    for done in await dead_letters.replay(rt.name, subscriptions, rt.uow, replay or None, actor):
        ok &= done.ok
        outcome = "replayed" if done.ok else f"failed again: {done.error}"
        print(f"{rt.name}\t{done.event_id}\t{done.consumer}\t{outcome}")
    return ok


async def _parked_events(args: argparse.Namespace) -> None:
    """List (or release) each target's parked outbox rows."""
    settings = get_settings()
    for definition in resolve_targets(args.target):
        db = Database(settings.database_url_for(definition.name), definition.name)
        try:
            await _parked_events_of(definition.name, db, args.release)
        finally:
            await db.dispose()


async def _parked_events_of(name: str, db: Database, release: list[str] | None) -> None:
    from spotcheck_common import parked

    if release is None:
        for event in await parked.parked_events(db):
            print(
                f"{name}\t{event.id}\t{event.event_id}\t{event.event_type}\t"
                f"{event.aggregate_id}\t{event.bytes} bytes\tparked {event.parked_at}\t"
                f"{event.last_error}"
            )
        return
    for event_id in await parked.release(db, release or None):
        print(f"{name}\t{event_id}\treleased")


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="spotcheck", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target", default="all", help="'all' or a comma-separated list of services"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="HTTP port (default: SPOTCHECK_PORT / PORT)"
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the targets (default)")
    docs = sub.add_parser("docs", help="write OpenAPI and AsyncAPI documents")
    docs.add_argument("--out", default="docs/api")
    sub.add_parser("list", help="list the services this installation has")
    sub.add_parser(
        "migrate",
        help="migrate the targets as SPOTCHECK_DATABASE_OWNER_URL, grant the runtime role",
    )
    dead = sub.add_parser(
        "dead-letters",
        help="list the events the targets' consumers gave up on; --replay them once fixed",
    )
    dead.add_argument("--replay", nargs="*", metavar="EVENT_ID", help="replay these (none: all)")
    dead.add_argument("--actor", default="operator", help="who replays (recorded as the actor)")
    parked = sub.add_parser(
        "parked-events",
        help="list the events the targets' relays parked (the bus can never accept them); "
        "--release them once the cause is mended",
    )
    parked.add_argument(
        "--release", nargs="*", metavar="EVENT_ID", help="release these (none: all)"
    )
    mig = sub.add_parser("makemigration", help="autogenerate a migration for one --target")
    mig.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.command == "docs":
        _docs(args)
    elif args.command == "makemigration":
        _makemigration(args)
    elif args.command == "migrate":
        _migrate(args)
    elif args.command == "dead-letters":
        if not asyncio.run(_dead_letters(args)):
            raise SystemExit(1)
    elif args.command == "parked-events":
        asyncio.run(_parked_events(args))
    elif args.command == "list":
        for d in resolve_targets("all"):
            print(f"{d.name}\t{d.title}")
    else:
        _serve(args)


if __name__ == "__main__":
    main(sys.argv[1:])
