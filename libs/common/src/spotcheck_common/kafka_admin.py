"""The regional Kafka model, in one place: who may do what, which topics exist, and the tooling
that applies it to a broker as ``admin`` (docs/operations/kafka.md).

- Users: ``admin`` (super user, tooling only) and one SCRAM-SHA-512 user per district, named
  after it.
- District D may WRITE, READ and DESCRIBE the topics prefixed ``D.``, READ the consumer groups
  prefixed ``D.``, READ and DESCRIBE the *shared* topics (events.txt: ``shared``) of each
  neighbour, and nothing else: no CREATE, no cluster rights. So an envelope's district is
  proven by its topic's prefix, which only that district may write.
- Quotas per district user; topics as code from ``infra/regional/events.txt`` x
  ``infra/regional/districts.txt``; neighbours from ``deploy/helm/values/<district>.yaml``.

Everything that needs the model uses this module: ``infra/kafka/kafka.sh setup``
(``python -m spotcheck_common.kafka_admin``), the test fixtures (conftest.py), the e2e stack and
the Strimzi generator (infra/regional/kafka/strimzi.py). aiokafka's admin client lacks SCRAM,
quota and batched ACL requests; the few wire structures needed are declared here.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import secrets
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    Array,
    Boolean,
    CompactArray,
    CompactBytes,
    CompactString,
    Float64,
    Int8,
    Int16,
    Int32,
    Schema,
    String,
    TaggedFields,
)

from spotcheck_common.bus import KafkaSecurity

ROOT = Path(__file__).resolve().parents[4]
REGIONAL = ROOT / "infra" / "regional"
VALUES = ROOT / "deploy" / "helm" / "values"
ADMIN = "admin"
SERVICES = ("registry", "planning", "draws", "inspections", "publication", "objections", "archives")
NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000


class KafkaAdminError(RuntimeError):
    """The broker refused a step of the setup (the error code and message are in the text)."""


# --- the model: topics --------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSpec:
    """One line of events.txt: ``<service>.<event>[.v<N>] [partitions=N] [retention.ms=N]
    [cleanup.policy=delete|compact] [shared]``."""

    name: str
    version: int = 1
    partitions: int | None = None
    retention_ms: int | None = None
    cleanup_policy: str = "delete"
    shared: bool = False

    def topic(self, district: str) -> str:
        return f"{district}.{self.name}.v{self.version}"


@dataclass(frozen=True)
class TopicDefaults:
    """What an events.txt line does not say. Production: 6 partitions on 3 replicas, 2 in sync.
    ``single_node()``: the local broker and the tests (one replica)."""

    partitions: int = 6
    replicas: int = 3
    min_insync_replicas: int = 2
    retention_ms: int = THIRTY_DAYS_MS

    @classmethod
    def single_node(cls) -> TopicDefaults:
        return cls(partitions=3, replicas=1, min_insync_replicas=1)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replicas: int
    config: Mapping[str, str]

    @property
    def district(self) -> str:
        return self.name.split(".", 1)[0]


def parse_events(text: str) -> list[EventSpec]:
    """events.txt's lines, validated (unknown option, bad name, a line twice: ValueError)."""
    specs: list[EventSpec] = []
    seen: set[tuple[str, int]] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        spec = _event(words[0], words[1:], number)
        if (spec.name, spec.version) in seen:
            raise ValueError(f"events.txt:{number}: {spec.name}.v{spec.version} listed twice")
        seen.add((spec.name, spec.version))
        specs.append(spec)
    return specs


def _event(name: str, options: list[str], number: int) -> EventSpec:
    version = 1
    if match := re.fullmatch(r"(.*)\.v([0-9]+)", name):
        name, version = match[1], int(match[2])
    service = name.split(".", 1)[0]
    if service not in SERVICES or not re.fullmatch(r"[a-z]+\.[a-z][a-z0-9-]*", name):
        raise ValueError(f"events.txt:{number}: bad event {name!r} (want <service>.<event>)")
    fields: dict[str, Any] = {}
    for option in options:
        key, _, value = option.partition("=")
        if option == "shared":
            fields["shared"] = True
        elif key == "partitions" and value.isdigit() and int(value) > 0:
            fields["partitions"] = int(value)
        elif key == "retention.ms" and re.fullmatch(r"-1|[0-9]+", value):
            fields["retention_ms"] = int(value)
        elif key == "cleanup.policy" and value in ("delete", "compact"):
            fields["cleanup_policy"] = value
        else:
            raise ValueError(f"events.txt:{number}: unknown option {option!r} for {name}")
    return EventSpec(name, version, **fields)


def topic_specs(
    district: str, events: Iterable[EventSpec], defaults: TopicDefaults | None = None
) -> list[TopicSpec]:
    """The district's topics, one per event type, with their partitions, replicas and config."""
    defaults = defaults or TopicDefaults()
    return [
        TopicSpec(
            name=e.topic(district),
            partitions=e.partitions or defaults.partitions,
            replicas=defaults.replicas,
            config={
                "cleanup.policy": e.cleanup_policy,
                "retention.ms": str(
                    defaults.retention_ms if e.retention_ms is None else e.retention_ms
                ),
                "min.insync.replicas": str(defaults.min_insync_replicas),
            },
        )
        for e in events
    ]


# --- the model: users, ACLs, quotas -----------------------------------------------------------


@dataclass(frozen=True, order=True)
class Acl:
    """An ALLOW binding for ``User:<district>`` from any host."""

    resource_type: str  # TOPIC | GROUP
    name: str
    pattern: str  # LITERAL | PREFIXED
    operation: str  # READ | WRITE | DESCRIBE


@dataclass(frozen=True)
class Quotas:
    """Per district user: bytes per second produced and fetched, and the share of one request
    handler thread (percent) it may take. Overridden per district in districts.txt."""

    producer_byte_rate: int = 4 * 1024 * 1024
    consumer_byte_rate: int = 8 * 1024 * 1024
    request_percentage: int = 50

    def as_dict(self) -> dict[str, int]:
        return {
            "producer_byte_rate": self.producer_byte_rate,
            "consumer_byte_rate": self.consumer_byte_rate,
            "request_percentage": self.request_percentage,
        }


def acl_bindings(
    district: str, neighbours: Iterable[str], events: Iterable[EventSpec]
) -> list[Acl]:
    """Exactly what ``User:<district>`` may do (sorted; everything else is denied)."""
    own = [Acl("TOPIC", f"{district}.", "PREFIXED", op) for op in ("WRITE", "READ", "DESCRIBE")]
    own.append(Acl("GROUP", f"{district}.", "PREFIXED", "READ"))
    shared = [e for e in events if e.shared]
    granted = [
        Acl("TOPIC", e.topic(n), "LITERAL", op)
        for n in neighbours
        if n != district
        for e in shared
        for op in ("READ", "DESCRIBE")
    ]
    return sorted(set(own + granted))


@dataclass(frozen=True)
class DistrictSpec:
    name: str
    neighbours: tuple[str, ...] = ()
    quotas: Quotas = field(default_factory=Quotas)


@dataclass(frozen=True)
class Region:
    """The districts on the regional cluster and the event types they publish."""

    districts: tuple[DistrictSpec, ...]
    events: tuple[EventSpec, ...]

    @classmethod
    def load(cls, regional: Path = REGIONAL, values: Path = VALUES) -> Region:
        """districts.txt (with quota overrides), events.txt, and each district's neighbours from
        its Helm values file. A one-sided neighbourhood is refused: a grant needs both sides."""
        quotas = parse_districts((regional / "districts.txt").read_text())
        neighbours = {d: _neighbours_in(values / f"{d}.yaml", d) for d in quotas}
        for d, theirs in neighbours.items():
            for n in theirs:
                if n not in neighbours:
                    raise ValueError(f"{d}: neighbour {n!r} is not in districts.txt")
                if d not in neighbours[n]:
                    raise ValueError(f"{d} names {n} as neighbour, but {n} does not name {d}")
        events = parse_events((regional / "events.txt").read_text())
        return cls(
            tuple(DistrictSpec(d, tuple(neighbours[d]), q) for d, q in quotas.items()),
            tuple(events),
        )

    def district(self, name: str) -> DistrictSpec:
        for d in self.districts:
            if d.name == name:
                return d
        raise KeyError(f"district {name!r} is not in districts.txt")

    def topics(self, defaults: TopicDefaults | None = None) -> list[TopicSpec]:
        return [t for d in self.districts for t in topic_specs(d.name, self.events, defaults)]


def parse_districts(text: str) -> dict[str, Quotas]:
    """districts.txt: ``<district> [producer_byte_rate=N] [consumer_byte_rate=N]
    [request_percentage=N]`` per line."""
    districts: dict[str, Quotas] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        name, options = words[0], words[1:]
        if not NAME.fullmatch(name) or name == ADMIN or name in districts:
            raise ValueError(f"districts.txt:{number}: bad or repeated district {name!r}")
        overrides: dict[str, int] = {}
        for option in options:
            key, _, value = option.partition("=")
            if key not in Quotas.__dataclass_fields__ or not value.isdigit():
                raise ValueError(f"districts.txt:{number}: unknown option {option!r}")
            overrides[key] = int(value)
        districts[name] = Quotas(**overrides)
    if not districts:
        raise ValueError("districts.txt: no district")
    return districts


def _neighbours_in(path: Path, district: str) -> list[str]:
    import yaml  # tooling only (a dev dependency), never imported by a running service

    values = yaml.safe_load(path.read_text()) if path.exists() else None
    if not isinstance(values, dict) or values.get("district") != district:
        raise ValueError(f"{path}: no values file with district: {district}")
    return [str(n) for n in values.get("neighbours") or []]


# --- the wire structures aiokafka lacks ---------------------------------------------------------

RESOURCE = {"TOPIC": 2, "GROUP": 3}
PATTERN = {"ANY": 1, "LITERAL": 3, "PREFIXED": 4}
OPERATION = {"ANY": 1, "READ": 3, "WRITE": 4, "DESCRIBE": 8}
ALLOW = 3
SCRAM_SHA_512 = 2
SCRAM_ITERATIONS = 8192


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]  # aiokafka is untyped
    """CreateAcls v1 with every binding in one request (aiokafka's sends one)."""

    API_KEY = 30

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self.creations = creations

    def build(self, struct: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return struct(self.creations)


class _DeleteAcls(Request[DeleteAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 31

    def __init__(self, filters: list[tuple[Any, ...]]) -> None:
        self.filters = filters

    def build(self, struct: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        return struct(self.filters)


class _DescribeAcls(Request[DescribeAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 29

    def __init__(self, principal: str) -> None:
        self.principal = principal

    def build(self, struct: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        # Any resource, name and pattern, this principal, any host, operation, permission.
        return struct(1, None, PATTERN["ANY"], self.principal, None, 1, 1)


class _AlterScramResponse(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScramStruct(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterScramResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[_AlterScramStruct]):  # type: ignore[misc]
    """AlterUserScramCredentials v0: the client salts and hashes, the password never travels."""

    API_KEY = 51

    def __init__(self, user: str, password: str) -> None:
        salt = secrets.token_bytes(32)
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, SCRAM_ITERATIONS)
        self.upsertion: tuple[Any, ...] = (user, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted, {})

    def build(self, struct: type[_AlterScramStruct]) -> _AlterScramStruct:
        return struct([], [self.upsertion], {})


class _AlterQuotasResponse(Response):  # type: ignore[misc]
    API_KEY = 49
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "entries",
            Array(
                ("error_code", Int16),
                ("error_message", String("utf-8")),
                (
                    "entity",
                    Array(("entity_type", String("utf-8")), ("entity_name", String("utf-8"))),
                ),
            ),
        ),
    )


class _AlterQuotasStruct(RequestStruct):  # type: ignore[misc]
    API_KEY = 49
    API_VERSION = 0
    RESPONSE_TYPE = _AlterQuotasResponse
    SCHEMA = Schema(
        (
            "entries",
            Array(
                (
                    "entity",
                    Array(("entity_type", String("utf-8")), ("entity_name", String("utf-8"))),
                ),
                ("ops", Array(("key", String("utf-8")), ("value", Float64), ("remove", Boolean))),
            ),
        ),
        ("validate_only", Boolean),
    )


class _AlterQuotas(Request[_AlterQuotasStruct]):  # type: ignore[misc]
    API_KEY = 49

    def __init__(self, user: str, quotas: Quotas) -> None:
        ops = [(k, float(v), False) for k, v in quotas.as_dict().items()]
        self.entries = [([("user", user)], ops)]

    def build(self, struct: type[_AlterQuotasStruct]) -> _AlterQuotasStruct:
        return struct(self.entries, False)


def _acl_tuple(acl: Acl, principal: str) -> tuple[Any, ...]:
    return (
        RESOURCE[acl.resource_type],
        acl.name,
        PATTERN[acl.pattern],
        principal,
        "*",
        OPERATION[acl.operation],
        ALLOW,
    )


def _check(errors: Iterable[tuple[int, str | None]], what: str) -> None:
    failed = [f"error {code}: {message}" for code, message in errors if code]
    if failed:
        raise KafkaAdminError(f"{what}: {'; '.join(failed)}")


# --- applying the model -------------------------------------------------------------------------


def admin_client(
    bootstrap: str, password: str, security: KafkaSecurity | None = None
) -> AIOKafkaAdminClient:
    """An admin client signed in as ``admin`` (start() it, close() it)."""
    base = security or KafkaSecurity(protocol="SASL_PLAINTEXT")
    signed_in = KafkaSecurity(
        protocol=base.protocol if base.protocol.startswith("SASL") else "SASL_PLAINTEXT",
        mechanism="SCRAM-SHA-512",
        username=ADMIN,
        password=password,
        ca_file=base.ca_file,
    )
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, **signed_in.client_options())


async def apply_district(
    admin: AIOKafkaAdminClient,
    district: str,
    password: str,
    neighbours: Sequence[str],
    events: Sequence[EventSpec],
    quotas: Quotas | None = None,
) -> list[Acl]:
    """The district's SCRAM credential, exactly the model's ACLs (stale ones removed, e.g. of a
    former neighbour) and its quotas. Idempotent; returns the ACLs now in force."""
    if not NAME.fullmatch(district) or district == ADMIN:
        raise ValueError(f"bad district name {district!r}")
    scram = await admin._send_request(_AlterScram(district, password))
    _check(((r[1], r[2]) for r in scram.results), f"SCRAM credential of {district}")
    wanted = acl_bindings(district, neighbours, events)
    await _sync_acls(admin, f"User:{district}", wanted)
    await _until_in_force(admin, f"User:{district}", wanted)
    answer = await admin._send_request(_AlterQuotas(district, quotas or Quotas()))
    _check(((e[0], e[1]) for e in answer.entries), f"quotas of {district}")
    return wanted


async def _sync_acls(admin: AIOKafkaAdminClient, principal: str, wanted: list[Acl]) -> None:
    present = await describe_acls(admin, principal)
    stale = [a for a in present if a not in wanted]
    if stale:
        answer = await admin._send_request(_DeleteAcls([_acl_tuple(a, principal) for a in stale]))
        _check(((f[0], f[1]) for f in answer.filter_responses), f"removing ACLs of {principal}")
    missing = [a for a in wanted if a not in present]
    if missing:
        answer = await admin._send_request(_CreateAcls([_acl_tuple(a, principal) for a in missing]))
        _check(((r[0], r[1]) for r in answer.creation_responses), f"ACLs of {principal}")


async def _until_in_force(
    admin: AIOKafkaAdminClient, principal: str, wanted: list[Acl], attempts: int = 100
) -> None:
    """ACLs reach the authorizer through the metadata log, a moment after they are accepted:
    wait for them, so the district's first request is judged by the new rules."""
    for _ in range(attempts):
        if await describe_acls(admin, principal) == wanted:
            return
        await asyncio.sleep(0.1)
    raise KafkaAdminError(f"the ACLs of {principal} are not in force after {attempts} checks")


async def describe_acls(admin: AIOKafkaAdminClient, principal: str) -> list[Acl]:
    """The bindings the broker holds for ``principal`` (sorted). One the model cannot express
    (a DENY, another host, another resource or operation) was made by hand: refused, so that
    no right beyond the model's survives a setup unnoticed."""
    answer = await admin._send_request(_DescribeAcls(principal))
    _check([(answer.error_code, answer.error_message)], f"describing ACLs of {principal}")
    resources = {v: k for k, v in RESOURCE.items()}
    patterns = {v: k for k, v in PATTERN.items()}
    operations = {v: k for k, v in OPERATION.items()}
    found: list[Acl] = []
    for rtype, name, ptype, acls in answer.resources:
        for _principal, host, op, permission in acls:
            if (permission, host) != (ALLOW, "*") or rtype not in resources or op not in operations:
                raise KafkaAdminError(
                    f"{principal} has an ACL outside the model on {name!r} (resource {rtype}, "
                    f"operation {op}, permission {permission}, host {host}): remove it by hand"
                )
            found.append(Acl(resources[rtype], name, patterns[ptype], operations[op]))
    return sorted(found)


async def create_topics(admin: AIOKafkaAdminClient, specs: Sequence[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet (the existing ones are left as they are); the
    names created."""
    existing = set(await admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    if missing:
        answer = await admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replicas, topic_configs=dict(s.config))
                for s in missing
            ]
        )
        # 36: created meanwhile by someone else (two setups racing): fine.
        _check(
            ((t[1], t[2] if len(t) > 2 else None) for t in answer.topic_errors if t[1] != 36),
            "creating topics",
        )
    return [s.name for s in missing]


@dataclass(frozen=True)
class DistrictCredentials:
    """What a district's services need to reach Kafka as themselves."""

    district: str
    bootstrap: str
    password: str
    protocol: str = "SASL_PLAINTEXT"

    def security(self) -> KafkaSecurity:
        return KafkaSecurity(protocol=self.protocol, username=self.district, password=self.password)

    def env(self) -> dict[str, str]:
        """The services' environment (Settings' SPOTCHECK_KAFKA_* fields)."""
        return {
            "SPOTCHECK_KAFKA_BOOTSTRAP": self.bootstrap,
            "SPOTCHECK_KAFKA_SECURITY_PROTOCOL": self.protocol,
            "SPOTCHECK_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "SPOTCHECK_KAFKA_SASL_USERNAME": self.district,
            "SPOTCHECK_KAFKA_SASL_PASSWORD": self.password,
        }


async def add_district(
    bootstrap: str,
    admin_password: str,
    district: str,
    neighbours: Sequence[str] = (),
    *,
    events: Sequence[EventSpec] | None = None,
    defaults: TopicDefaults | None = None,
    password: str | None = None,
    quotas: Quotas | None = None,
) -> DistrictCredentials:
    """One call for a test or a local stack: the district's user, ACLs, quotas and topics
    (events.txt unless given; single-node defaults unless given). A password is made unless
    given."""
    events = list(events if events is not None else Region.load().events)
    password = password or secrets.token_urlsafe(24)
    admin = admin_client(bootstrap, admin_password)
    await admin.start()
    try:
        await apply_district(admin, district, password, neighbours, events, quotas)
        specs = topic_specs(district, events, defaults or TopicDefaults.single_node())
        await create_topics(admin, specs)
    finally:
        await admin.close()
    return DistrictCredentials(district, bootstrap, password)


# --- command line -------------------------------------------------------------------------------


def _passwords(directory: Path, districts: Iterable[str]) -> dict[str, str]:
    """``<dir>/<district>.password`` for each district, made (random, 0600) when missing."""
    directory.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    for d in districts:
        path = directory / f"{d}.password"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(24) + "\n")
        found[d] = path.read_text().strip()
    return found


async def _setup(args: argparse.Namespace) -> None:
    region = Region.load()
    names = args.district or [d.name for d in region.districts]
    passwords = _passwords(Path(args.passwords), names)
    defaults = TopicDefaults.single_node() if args.single_node else TopicDefaults()
    admin = admin_client(args.bootstrap, _admin_password())
    await admin.start()
    try:
        for name in names:
            spec = region.district(name)
            acls = await apply_district(
                admin, name, passwords[name], spec.neighbours, region.events, spec.quotas
            )
            created = await create_topics(admin, topic_specs(name, region.events, defaults))
            print(f"kafka: {name}: user, {len(acls)} ACLs, quotas; {len(created)} topics created")
    finally:
        await admin.close()


async def _create_topics(args: argparse.Namespace) -> None:
    if not args.bootstrap:
        sys.exit("kafka_admin: topics --create needs --bootstrap HOST:PORT")
    defaults = TopicDefaults.single_node() if args.single_node else TopicDefaults()
    admin = admin_client(args.bootstrap, _admin_password())
    await admin.start()
    try:
        specs = Region.load().topics(defaults)
        created = await create_topics(admin, specs)
    finally:
        await admin.close()
    print(f"kafka: {len(specs)} topics present on {args.bootstrap} ({len(created)} created)")


def _admin_password() -> str:
    password = os.environ.get("KAFKA_ADMIN_PASSWORD", "")
    if not password:
        sys.exit("kafka_admin: set KAFKA_ADMIN_PASSWORD (the super user's password)")
    return password


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m spotcheck_common.kafka_admin", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    setup = sub.add_parser(
        "setup", help="as admin (KAFKA_ADMIN_PASSWORD): districts' users, ACLs, quotas, topics"
    )
    setup.add_argument("--bootstrap", required=True)
    setup.add_argument(
        "--district", action="append", help="only this district (repeatable; default: all)"
    )
    setup.add_argument(
        "--passwords",
        default=".run/kafka",
        help="directory of <district>.password files (made when missing)",
    )
    setup.add_argument(
        "--single-node", action="store_true", help="one replica per topic (a local broker)"
    )
    topics = sub.add_parser("topics", help="every topic of the region, one per line")
    topics.add_argument(
        "--create", action="store_true", help="create the missing ones as admin (--bootstrap)"
    )
    topics.add_argument("--bootstrap")
    topics.add_argument("--single-node", action="store_true", help="one replica per topic")
    sub.add_parser("acls", help="every district's ACLs, one per line")
    args = parser.parse_args(argv)
    if args.command == "setup":
        asyncio.run(_setup(args))
    elif args.command == "topics" and args.create:
        asyncio.run(_create_topics(args))
    elif args.command == "topics":
        print("\n".join(t.name for t in Region.load().topics()))
    else:
        region = Region.load()
        for d in region.districts:
            for acl in acl_bindings(d.name, d.neighbours, region.events):
                rule = f"{acl.operation} {acl.resource_type} {acl.pattern} {acl.name}"
                print(f"User:{d.name} ALLOW {rule}")


if __name__ == "__main__":
    main()
