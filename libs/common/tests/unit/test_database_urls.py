"""PostgreSQL URLs as libpq and CloudNativePG's secrets write them (``postgresql://``, ``sslmode``,
``sslrootcert``…) reach asyncpg with libpq's meaning; a URL the services cannot use is refused
with the reason, never with its password."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

from spotcheck_common.db import DatabaseUrlError, asyncpg_url

SECRET = "s3cr3t-pw"
CNPG = f"postgresql://app:{SECRET}@pg-rw.spotcheck-lingang.svc:5432/app"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a client certificate it signed, with a key encrypted by ``keypass``."""
    d = tmp_path_factory.mktemp("certs")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "2", "-subj", "/CN=test-ca")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-passout", "pass:keypass", "-keyout", "client.key",
            "-out", "client.csr", "-subj", "/CN=spotcheck_draws")  # fmt: skip
    openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "client.crt", "-days", "2")  # fmt: skip
    return d


def refusal(url: str) -> str:
    with pytest.raises(DatabaseUrlError) as refused:
        asyncpg_url(url)
    message = str(refused.value)
    assert SECRET not in message and "keypass" not in message
    return message


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+asyncpg"])
def test_libpq_schemes_become_asyncpg_keeping_every_part(scheme: str) -> None:
    url, args = asyncpg_url(CNPG.replace("postgresql", scheme, 1))
    assert url.drivername == "postgresql+asyncpg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "app",
        SECRET,
        "pg-rw.spotcheck-lingang.svc",
        5432,
        "app",
    )
    assert args == {}  # no sslmode: asyncpg's default, like libpq's (prefer)


def test_verify_full_checks_the_chain_and_the_host_name(certs: Path) -> None:
    url, args = asyncpg_url(f"{CNPG}?sslmode=verify-full&sslrootcert={certs}/ca.crt")
    context = args["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "test-ca"),),)]
    assert url.query == {}  # libpq's parameters are not passed on to asyncpg.connect


def test_verify_ca_checks_the_chain_but_not_the_host_name(certs: Path) -> None:
    _, args = asyncpg_url(f"{CNPG}?sslmode=verify-ca&sslrootcert={certs}/ca.crt")
    assert args["ssl"].verify_mode == ssl.CERT_REQUIRED and not args["ssl"].check_hostname


def test_require_encrypts_and_verifies_only_when_given_a_root_certificate(certs: Path) -> None:
    _, bare = asyncpg_url(f"{CNPG}?sslmode=require")
    assert bare["ssl"].verify_mode == ssl.CERT_NONE and not bare["ssl"].check_hostname
    _, rooted = asyncpg_url(f"{CNPG}?sslmode=require&sslrootcert={certs}/ca.crt")
    assert rooted["ssl"].verify_mode == ssl.CERT_REQUIRED  # libpq: then like verify-ca


def test_system_root_certificates() -> None:
    _, args = asyncpg_url(f"{CNPG}?sslmode=verify-full&sslrootcert=system")
    assert args["ssl"].verify_mode == ssl.CERT_REQUIRED and args["ssl"].check_hostname


@pytest.mark.parametrize(("mode", "expected"), [("disable", False), ("prefer", "prefer")])
def test_modes_without_verification_are_asyncpgs_own(mode: str, expected: object) -> None:
    assert asyncpg_url(f"{CNPG}?sslmode={mode}")[1] == {"ssl": expected}


def test_a_client_certificate_with_an_encrypted_key(certs: Path) -> None:
    query = f"sslcert={certs}/client.crt&sslkey={certs}/client.key&sslpassword=keypass"
    _, args = asyncpg_url(f"{CNPG}?sslmode=verify-full&sslrootcert={certs}/ca.crt&{query}")
    assert args["ssl"].verify_mode == ssl.CERT_REQUIRED
    wrong = query.replace("=keypass", "=nope")
    message = refusal(f"{CNPG}?sslmode=require&{wrong}")
    assert message.startswith(f"sslcert {certs}/client.crt cannot be loaded")


def test_libpq_timeouts_and_application_name() -> None:
    _, args = asyncpg_url(f"{CNPG}?connect_timeout=7&application_name=drill")
    assert args == {"timeout": 7.0, "server_settings": {"application_name": "drill"}}
    kept, _ = asyncpg_url(f"{CNPG}?target_session_attrs=read-write")
    assert kept.query == {"target_session_attrs": "read-write"}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("sslmode=verify-full", "sslmode=verify-full needs sslrootcert"),
        ("sslmode=verify-ca", "sslmode=verify-ca needs sslrootcert"),
        ("sslmode=strict", "sslmode must be one of disable, allow, prefer, require"),
        ("sslrootcert=/etc/ca.crt", "sslrootcert given without sslmode"),
        ("sslmode=prefer&sslrootcert=/etc/ca.crt", "sslrootcert need sslmode=require"),
        ("sslmode=require&sslkey=/etc/k.key", "sslkey given without sslcert"),
        ("sslmode=require&sslmode=disable", "given twice: sslmode"),
        ("connect_timeout=soon", "connect_timeout must be seconds"),
        ("sslcompression=1&x=2", "unsupported database URL parameter(s) sslcompression, x"),
    ],
)
def test_a_bad_parameter_is_named(query: str, reason: str) -> None:
    assert reason in refusal(f"{CNPG}?{query}")


def test_an_unreadable_root_certificate_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent.crt"
    message = refusal(f"{CNPG}?sslmode=verify-full&sslrootcert={missing}")
    assert message == f"sslrootcert {missing} cannot be loaded: No such file or directory"
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate")
    assert refusal(f"{CNPG}?sslmode=verify-full&sslrootcert={garbage}").startswith(
        f"sslrootcert {garbage} cannot be loaded"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"postgresql+psycopg2://app:{SECRET}@h/app", "asyncpg, not 'psycopg2'"),
        (f"postgresql://app:{SECRET}@h:port/app", "not a database URL"),
        (f"://app:{SECRET}@h/app", "not a database URL"),
    ],
)
def test_an_unusable_url_is_refused_without_its_password(url: str, reason: str) -> None:
    assert reason in refusal(url)
