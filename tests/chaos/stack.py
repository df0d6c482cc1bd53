"""The campaign's own distributed stack, in the shape of ``make up``: PostgreSQL and Kafka
(SCRAM and ACLs on, the district's own user) from infra/postgres/pg.sh and infra/kafka/kafka.sh
on fresh directories, and each of the seven services as its own process
(``spotcheck --target=<name> --port <port>``), which it can SIGKILL and start again.

Ports are the campaign's own (not the integration stage's 25432/29092, not the fan-out
bench's 26432/26092): a port already taken fails the start instead of reaching someone
else's server. They lie below Linux's ephemeral range (32768–60999): a victim restarts on its
port while the others' clients open connections by the thousand (a broker outage), and one of
them may be given a port of that range as its own — then the restart cannot bind it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from spotcheck_common.testing import TEST_SECRET

from ..e2e.stack import E2E_CLOCK, SERVICES

ROOT = Path(__file__).resolve().parents[2]
DISTRICT = "lingang"
BROKER = "kafka"  # the victim name of the broker, beside the services' names
PG_PORT = 27532
KAFKA_PORT = 27192  # and its controller on the next port
SERVICE_PORT = 27601  # registry; the others follow in SERVICES' order
READY_TIMEOUT_S = 180.0


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    work: Path  # fresh: PostgreSQL's and Kafka's data, the services' logs
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)  # the services' SPOTCHECK_*

    @property
    def infra_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PG_PORT": str(PG_PORT),
            "PG_DIR": str(self.work / "pg"),
            "PG_LISTEN_HOST": "127.0.0.1",
            "KAFKA_PORT": str(KAFKA_PORT),
            "KAFKA_CONTROLLER_PORT": str(KAFKA_PORT + 1),
            "KAFKA_DATA_DIR": str(self.work / "kafka"),
            "KAFKA_LISTEN_HOST": "127.0.0.1",
            "KAFKA_ADMIN_PASSWORD": self.admin_password,
        }

    def __post_init__(self) -> None:
        self.admin_password = "chaos-admin-" + os.urandom(8).hex()
        self.ports = {name: SERVICE_PORT + i for i, name in enumerate(SERVICES)}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def script(self, which: str, *args: str) -> str:
        path = {"pg": "infra/postgres/pg.sh", "kafka": "infra/kafka/kafka.sh"}[which]
        done = subprocess.run(
            [str(ROOT / path), *args],
            env=self.infra_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{path} {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout.strip()

    # -- start and stop ---------------------------------------------------------------------

    def start(self) -> None:
        busy = [
            p for p in (PG_PORT, KAFKA_PORT, KAFKA_PORT + 1, *self.ports.values()) if port_taken(p)
        ]
        if busy:
            raise RuntimeError(f"ports already in use (another campaign running?): {busy}")
        began = time.monotonic()
        (self.work / "logs").mkdir(parents=True, exist_ok=True)
        self.script("pg", "start")
        self.script("pg", "createdb", "spotcheck")
        self.script("kafka", "start")
        self.script("kafka", "setup", "--single-node", "--passwords", str(self.work / "passwords"))
        self.settings = {
            "SPOTCHECK_DISTRICT": DISTRICT,
            "SPOTCHECK_DATABASE_URL": self.script("pg", "url", "spotcheck"),
            "SPOTCHECK_KAFKA_BOOTSTRAP": self.script("kafka", "bootstrap"),
            "SPOTCHECK_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "SPOTCHECK_KAFKA_SASL_USERNAME": DISTRICT,
            "SPOTCHECK_KAFKA_SASL_PASSWORD": (self.work / "passwords" / f"{DISTRICT}.password")
            .read_text()
            .strip(),
            "SPOTCHECK_AUTH_SECRET": TEST_SECRET,  # what flow.Platform signs its tokens with
            "SPOTCHECK_CLOCK": E2E_CLOCK,  # the services' day, never the machine's
            "SPOTCHECK_HOST": "127.0.0.1",
            "SPOTCHECK_RELAY_INTERVAL_S": "0.1",
            "SPOTCHECK_LOG_JSON": "false",
        }
        for name in SERVICES:  # all at once, as `make up` does: each migrates its own schema
            self.start_service(name)
        for name in SERVICES:
            self.wait_ready(name)
        print(f"# chaos: stack up in {time.monotonic() - began:.0f} s", flush=True)

    def stop(self) -> None:
        """Everything this stack started, whatever state it is in."""
        for name in list(self.processes):
            self._end(name, signal.SIGTERM)
        with suppress(Exception):
            self.script("kafka", "stop")
        with suppress(Exception):
            self.script("pg", "stop")

    @property
    def database_url(self) -> str:
        return self.settings["SPOTCHECK_DATABASE_URL"]

    # -- the services -----------------------------------------------------------------------

    def start_service(self, name: str) -> None:
        env = {**os.environ, **self.settings, "SPOTCHECK_DATA_DIR": str(self.work / "data" / name)}
        env.pop("SPOTCHECK_OTEL_EXPORTER_ENDPOINT", None)  # no traces: not what is tested
        spotcheck = str(Path(sys.executable).parent / "spotcheck")
        with (self.work / "logs" / f"{name}.log").open("ab") as log:
            log.write(f"\n==== chaos: starting {name}\n".encode())
            log.flush()
            self.processes[name] = subprocess.Popen(
                [spotcheck, f"--target={name}", "--port", str(self.ports[name])],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a Ctrl-C of the campaign is ours
            )
        # For whoever must stop a campaign that could not (infra/test.sh's cleanup).
        (self.work / "pids").mkdir(exist_ok=True)
        (self.work / "pids" / f"{name}.pid").write_text(str(self.processes[name].pid))

    def wait_ready(self, name: str) -> None:
        process = self.processes[name]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}); see {self.log(name)}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{name} not ready after {READY_TIMEOUT_S:.0f} s; see {self.log(name)}")

    def log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def _end(self, name: str, how: signal.Signals) -> None:
        process = self.processes.pop(name)
        (self.work / "pids" / f"{name}.pid").unlink(missing_ok=True)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, how)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    # -- faults -----------------------------------------------------------------------------

    def kill(self, victim: str) -> None:
        """SIGKILL: no shutdown, in-flight requests, transactions and sends are cut off."""
        if victim == BROKER:
            pid = int((self.work / "kafka" / "kafka.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            while Path(f"/proc/{pid}").exists():  # gone (reaped by init) before a new start
                time.sleep(0.05)
        else:
            self._end(victim, signal.SIGKILL)

    def restart(self, victim: str) -> None:
        """Started again on the same data (the broker: ``kafka.sh start`` on its data dir)."""
        if victim == BROKER:
            self.script("kafka", "start")
        else:
            self.start_service(victim)
            self.wait_ready(victim)

    def revive(self) -> None:
        """Whatever is not running (a restart that failed) is started again: the end checks
        stand on the whole stack."""
        if not port_taken(KAFKA_PORT):
            self.restart(BROKER)
        for name in SERVICES:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                self.processes.pop(name, None)
                self.restart(name)


@contextmanager
def running(work: Path) -> Iterator[Stack]:
    stack = Stack(work)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
