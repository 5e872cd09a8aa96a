"""A real broker that asks for SASL_SSL with SCRAM-SHA-512, with certificates made on the spot.

The broker is the one `shipwatch broker start` runs (same jars, java command, formatting and
launch), given an extra SASL_SSL listener: the PLAINTEXT listener stays for the broker itself
(inter-broker traffic) and for the readiness probe; the tests connect only to the SASL_SSL one.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shipwatch.broker import server
from shipwatch.broker.config import HOST, BrokerPaths, log4j_properties, server_properties
from shipwatch.broker.jars import ensure_jars, jars_ready, require_tools
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings

USER = "shipwatch"
MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class SecureBroker:
    """Where to reach the broker and what a client needs to be let in."""

    bootstrap: str  # the SASL_SSL listener
    username: str
    password: str
    ca: Path  # the CA that signed the broker's certificate
    other_ca: Path  # a CA that signed nothing the broker has
    paths: BrokerPaths

    def env(self, *, password: str | None = None, ca: Path | None = None) -> dict[str, str]:
        """The SHIPWATCH_ security variables (right credentials unless told otherwise)."""
        return {
            "SHIPWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "SHIPWATCH_KAFKA_SASL_MECHANISM": MECHANISM,
            "SHIPWATCH_KAFKA_SASL_USERNAME": self.username,
            "SHIPWATCH_KAFKA_SASL_PASSWORD": self.password if password is None else password,
            "SHIPWATCH_KAFKA_SSL_CAFILE": str(ca or self.ca),
        }


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


def _ca(folder: Path, name: str) -> Path:
    """A self-signed CA: <name>.key and <name>.pem."""
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-sha256",
        "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.pem"


def make_certificates(folder: Path, store_password: str) -> tuple[Path, Path, Path]:
    """(ca.pem, other-ca.pem, broker.p12): the broker's key and certificate for 127.0.0.1 and
    localhost, signed by the first CA, in a PKCS12 keystore."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, other = _ca(folder, "ca"), _ca(folder, "other-ca")
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "broker.key", "-out", "broker.csr",
        cwd=folder,
    )  # fmt: skip
    (folder / "broker.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "extendedKeyUsage=serverAuth\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
    )
    _openssl(
        "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "broker.ext",
        "-out", "broker.pem",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key", "-certfile", "ca.pem",
        "-name", "broker", "-out", "broker.p12", "-passout", f"pass:{store_password}",
        cwd=folder,
    )  # fmt: skip
    return ca, other, folder / "broker.p12"


def security_properties(port: int, sasl_port: int, keystore: Path, password: str) -> dict[str, str]:
    """What the SASL_SSL listener adds to the single-node config of `shipwatch broker start`."""
    plain, sasl = f"{HOST}:{port}", f"{HOST}:{sasl_port}"
    return {
        "listeners": f"PLAINTEXT://{plain},CONTROLLER://{HOST}:{port + 1},SASL_SSL://{sasl}",
        "advertised.listeners": f"PLAINTEXT://{plain},SASL_SSL://{sasl}",
        "listener.security.protocol.map": (
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL"
        ),
        "sasl.enabled.mechanisms": MECHANISM,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(keystore),
        "ssl.keystore.password": password,
        "ssl.key.password": password,
        "ssl.client.auth": "none",
    }


@contextmanager
def secure_broker(home: Path, *, timeout: float = 180.0) -> Iterator[SecureBroker]:
    """Start a SASL_SSL (SCRAM-SHA-512) broker in `home`; stopped on exit."""
    port = free_port(pair=True)
    sasl_port = free_port()
    while sasl_port in (port, port + 1):
        sasl_port = free_port()
    settings = Settings(kafka_bootstrap=f"{HOST}:{port}", broker_home=home)
    paths = BrokerPaths.at(home)
    store_password, user_password = secrets.token_hex(12), secrets.token_hex(12)
    ca, other_ca, keystore = make_certificates(home / "tls", store_password)
    java = require_tools(need_mvn=not jars_ready(settings.kafka_version))
    lib = ensure_jars(settings.kafka_version)
    paths.logs.mkdir(parents=True, exist_ok=True)
    extra = security_properties(port, sasl_port, keystore, store_password)
    paths.server_properties.write_text(server_properties(settings, paths, port, extra))
    paths.log4j_properties.write_text(log4j_properties(paths))
    scram = f"{MECHANISM}=[name={USER},password={user_password}]"
    server.format_storage(java, lib, paths, ["--add-scram", scram])
    since = server.log_sizes(paths)
    pid = server.launch(java, lib, paths, settings.broker_heap_mb)
    try:
        server.wait_ready(pid, port, paths, timeout, since)  # probes the PLAINTEXT listener
        yield SecureBroker(f"{HOST}:{sasl_port}", USER, user_password, ca, other_ca, paths)
    finally:
        server.terminate(pid, paths, timeout=30.0)
