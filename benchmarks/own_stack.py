"""What the benchmarks that need the distributed shape share: a PostgreSQL and a Kafka broker of
their own (SCRAM and ACLs on, as in production), fresh for each run and stopped at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sh(*args: str, env: Mapping[str, str]) -> str:
    """Run a command from the repository's root; its output, or exit saying what failed."""
    done = subprocess.run(
        args, env=dict(env), cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode})")
    return done.stdout.strip()


def in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def infrastructure(work: Path, ports: Mapping[str, str], district: str) -> Iterator[dict[str, str]]:
    """Fresh PostgreSQL and Kafka under ``work`` on ``ports`` (PG_PORT, KAFKA_PORT,
    KAFKA_CONTROLLER_PORT); yields the settings of ``district``'s processes."""
    for name, port in ports.items():
        if in_use(int(port)):  # before the wipe: another run's data is not this one's to delete
            raise SystemExit(
                f"{name} {port} is in use on 127.0.0.1 (another run of this benchmark?)"
            )
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {
        **os.environ,
        **ports,
        "PG_DIR": str(work / "pg"),
        "PG_LISTEN_HOST": "127.0.0.1",
        "KAFKA_DATA_DIR": str(work / "kafka"),
        "KAFKA_LISTEN_HOST": "127.0.0.1",
        "KAFKA_ADMIN_PASSWORD": "bench-admin-" + os.urandom(6).hex(),
    }
    pg, kafka = str(ROOT / "infra/postgres/pg.sh"), str(ROOT / "infra/kafka/kafka.sh")
    try:
        sh(pg, "start", env=env)
        sh(pg, "createdb", "spotcheck", env=env)
        sh(kafka, "start", env=env)
        sh(kafka, "setup", "--single-node", "--passwords", str(work / "passwords"), env=env)
        yield {
            "SPOTCHECK_DATABASE_URL": sh(pg, "url", "spotcheck", env=env),
            "SPOTCHECK_KAFKA_BOOTSTRAP": sh(kafka, "bootstrap", env=env),
            "SPOTCHECK_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "SPOTCHECK_KAFKA_SASL_USERNAME": district,
            "SPOTCHECK_KAFKA_SASL_PASSWORD": (work / "passwords" / f"{district}.password")
            .read_text()
            .strip(),
        }
    finally:
        subprocess.run([kafka, "stop"], env=env, cwd=ROOT, capture_output=True, check=False)
        subprocess.run([pg, "stop"], env=env, cwd=ROOT, capture_output=True, check=False)
