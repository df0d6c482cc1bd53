"""Settings from the environment (prefix ``SPOTCHECK_``), one object per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_", extra="ignore")

    district: str = Field("lingang", pattern=r"^[a-z][a-z0-9-]{1,30}$")
    # Districts whose inspectors may join a joint draw (comma separated in the environment).
    neighbours: str = ""
    # Empty: embedded SQLite files under data_dir, one per service.
    database_url: str = ""
    # ``spotcheck migrate`` only: the owner's URL, which migrates and then grants the role of
    # ``database_url`` (the services' runtime role) what it may do (empty: the same URL).
    database_owner_url: str = ""
    data_dir: Path = Path(".data")
    # Empty: events are delivered in-process through the same outbox (all-in-one only).
    kafka_bootstrap: str = ""
    # Signing in to Kafka (docs/operations/kafka.md): the regional cluster takes SASL_SSL (or
    # SASL_PLAINTEXT on a local broker) with the district's SCRAM user; SSL alone with a client
    # certificate is mutual TLS. The username defaults to the district (one user per district).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    # PEM files: the CA the brokers' certificates chain to (empty: the system's), and the
    # client's certificate and key for mutual TLS.
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    # Create missing topics at start: dev and test brokers only. On the regional cluster the
    # topics are code (spotcheck_common.kafka_admin) and a district may not create any.
    kafka_create_topics: bool = False
    # Bytes of events a producer sends to a partition in one batch (at most 960 KiB: the
    # broker's limit is 1 MiB).
    kafka_batch_bytes: int = Field(960 * 1024, ge=16 * 1024, le=960 * 1024)
    # The largest message the bus accepts: the producer's ``max_request_size`` and the relay's
    # limit, past which an outbox row is parked, not sent (the broker's ``message.max.bytes``
    # and the producer's default are 1 MiB). Raise it only with the broker's and topics' limits.
    kafka_max_message_bytes: int = Field(1024 * 1024, ge=16 * 1024)
    host: str = "127.0.0.1"
    port: int = 8000
    relay_interval_s: float = 0.2
    # A consumer's attempts at one event before it is dead-lettered (0: retried for ever);
    # redeliveries are a second apart, so the default gives a failing event about 10 s.
    consumer_retry_budget: int = Field(10, ge=0, le=1000)
    # How often the waiting room retries events received before what they depend on, at the
    # latest (it also tries as soon as the service has handled another event).
    consumer_waiting_retry_s: float = Field(10.0, gt=0)
    # How often each process measures its consumer groups' lag on the broker (0: never).
    kafka_lag_interval_s: float = Field(15.0, ge=0)
    relay_batch_size: int = 200
    relay_max_backoff_s: float = 60.0
    # Kafka: outbox rows of different aggregates sent at once by the relay (each aggregate's
    # rows still one after the other).
    relay_in_flight: int = Field(32, ge=1)
    # How often snapshot gauges (overdue items, pending deadlines, calendar coverage) refresh.
    periodic_interval_s: float = 60.0
    otel_exporter_endpoint: str = ""
    otel_service_name: str = "spotcheck"
    log_level: str = "INFO"
    log_json: bool = True
    demo: bool = False
    # Start the domain clock at this ISO instant instead of the system time (end-to-end tests,
    # rehearsals). Never set in production: deadlines would be counted from a false today.
    clock: str = ""
    # Administrative-division codes (USCC characters 3-8) of the registration authorities whose
    # entities belong to this district (comma separated); an import refuses any other. The
    # default is the demo district's (临港区).
    division_codes: str = "371071"
    # The largest JSON or form body a request may have (413 beyond it); files have
    # ``import_max_bytes``.
    body_max_bytes: int = Field(1024 * 1024, ge=1024)
    # Requests a process serves at once; beyond, 503 with Retry-After at once (a queue longer
    # than this only makes every answer late: the clients give up before theirs comes).
    http_max_in_flight: int = Field(256, ge=1)
    # Publication: how long a replica answers public searches from memory before it reads the
    # public data's version again (another replica's commit shows after at most this; 0: read
    # it for every answer).
    public_answers_recheck_s: float = Field(1.0, ge=0)
    # Imports (registry): the largest file accepted (413 beyond it), and how long a POST waits
    # for its job before answering 202 with the job's address.
    import_max_bytes: int = Field(200 * 1024 * 1024, ge=1)
    import_wait_s: float = Field(10.0, ge=0)
    # Bearer tokens: a shared secret (HS256), a PEM public key, or an OIDC JWKS URL.
    auth_secret: str = ""
    auth_public_key: str = ""
    auth_jwks_url: str = ""
    auth_issuer: str = "spotcheck-local"
    auth_audience: str = "spotcheck"
    # The longest a token may live (exp - iat); a longer one is refused.
    auth_max_token_lifetime_s: int = Field(12 * 3600, ge=60, le=7 * 24 * 3600)
    # Serve POST /auth/token (demo users): only with demo=true (make run); refused otherwise.
    auth_local_issuer: bool = False

    # The bureau's name as its web application shows it.
    bureau_name: str = "临港区市场监督管理局"
    # The web application (``--target=portal`` in its own process): where it reaches the
    # services' HTTP APIs — one base URL for all (the cluster's gateway), and/or per service
    # (``registry=http://spotcheck-registry:8000,draws=…``; these win).
    portal_api_url: str = ""
    portal_services: str = ""
    # Staff sign-in through the bureau's single sign-on (OIDC authorization code flow with
    # PKCE): the provider's issuer URL, the portal's client, and the portal's public address
    # (the redirect URI is ``<portal_public_url>/console/login/callback``).
    portal_oidc_issuer: str = ""
    portal_oidc_client_id: str = ""
    portal_oidc_client_secret: str = ""
    portal_public_url: str = ""

    @property
    def portal_service_urls(self) -> dict[str, str]:
        pairs = (p.split("=", 1) for p in self.portal_services.split(",") if "=" in p)
        return {name.strip(): url.strip().rstrip("/") for name, url in pairs}

    @property
    def neighbour_districts(self) -> list[str]:
        return [d.strip() for d in self.neighbours.split(",") if d.strip()]

    @property
    def division_code_set(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.division_codes.split(",") if c.strip())

    @property
    def embedded(self) -> bool:
        return not self.kafka_bootstrap

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{self.data_dir / f'{self.district}-{service}.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
