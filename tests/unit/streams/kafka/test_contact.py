"""The first contact with Kafka names why it failed: refused login, untrusted certificate, down.

The real broker that refuses them is in tests/integration/test_kafka_security.py; these pin the
translation and the swallowing of aiokafka's own line without one."""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed
from pydantic import SecretStr

from shipwatch.broker.config import BrokerPaths, server_properties
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings
from streams.errors import KafkaAuthenticationFailed, KafkaCertificateUntrusted, KafkaUnavailable
from streams.kafka.contact import describe, first_contact
from streams.kafka.topics import ensure_topics

BROKER_SAYS = (
    "Authentication failed during authentication due to invalid credentials with SASL "
    "mechanism SCRAM-SHA-512"
)


def sasl_settings(cafile: Path | None = None) -> Settings:
    return Settings(
        kafka_bootstrap="kafka.example.org:9096",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="shipwatch",
        kafka_sasl_password=SecretStr("hunter2-secret"),
        kafka_ssl_cafile=cafile,
    )


def untrusted(
    code: int = 19, message: str = "self-signed certificate in certificate chain"
) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    exc.verify_code, exc.verify_message = code, message
    return exc


def test_a_refused_login_names_the_user_the_mechanism_and_the_variables() -> None:
    error = describe(sasl_settings(), SaslAuthenticationFailed(BROKER_SAYS))
    assert isinstance(error, KafkaAuthenticationFailed)
    assert str(error) == (
        "SASL authentication failed: Kafka at kafka.example.org:9096 refused user 'shipwatch' "
        f"with SCRAM-SHA-512 ({BROKER_SAYS}); check SHIPWATCH_KAFKA_SASL_USERNAME and "
        "SHIPWATCH_KAFKA_SASL_PASSWORD"
    )
    assert "hunter2" not in str(error)


def test_an_untrusted_certificate_names_the_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    error = describe(sasl_settings(ca), untrusted())
    assert isinstance(error, KafkaCertificateUntrusted)
    assert str(error) == (
        "TLS: the certificate of Kafka at kafka.example.org:9096 is not trusted (certificate "
        "verify failed: self-signed certificate in certificate chain); "
        f"SHIPWATCH_KAFKA_SSL_CAFILE ({ca}) must name the CA that signed it"
    )
    assert "system's CAs" in str(describe(sasl_settings(), untrusted()))
    mismatch = describe(sasl_settings(), untrusted(62, "Hostname mismatch"))
    assert "connect by a name or address the certificate lists" in str(mismatch)


def test_the_logged_cause_becomes_the_error_and_is_not_logged_as_well(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing_start() -> None:
        # What aiokafka 0.14's bootstrap does: log each server's failure, raise a bare one.
        cause = SaslAuthenticationFailed(BROKER_SAYS)
        logging.getLogger("aiokafka").error('Unable connect to "%s:%s": %s', "h", 1, cause)
        raise KafkaConnectionError("Unable to bootstrap from [('h', 1, 2)]")

    async def attempt() -> None:
        with first_contact(sasl_settings()):
            await asyncio.wait_for(failing_start(), 5)  # a task of its own, as in ensure_topics

    with caplog.at_level(logging.INFO), pytest.raises(KafkaAuthenticationFailed) as raised:
        asyncio.run(attempt())
    assert isinstance(raised.value.__cause__, SaslAuthenticationFailed)
    assert not caplog.records
    # Outside a first contact aiokafka's records are logged as ever.
    with caplog.at_level(logging.INFO):
        logging.getLogger("aiokafka").error("Unable connect to %s: %s", "h", OSError("x"))
    assert len(caplog.records) == 1


def test_a_broker_that_is_down_still_reads_as_unreachable_with_the_cause() -> None:
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{free_port()}")
    with pytest.raises(KafkaUnavailable) as raised:
        asyncio.run(ensure_topics(settings, timeout=10))
    assert type(raised.value) is KafkaUnavailable
    message = str(raised.value)
    assert message.startswith(f"cannot reach Kafka at {settings.kafka_bootstrap} (start one")
    assert "Connect call failed" in message or "refused" in message.lower()


def test_extra_broker_properties_replace_in_place_or_are_added(tmp_path: Path) -> None:
    settings, paths = Settings(), BrokerPaths.at(tmp_path)
    plain = server_properties(settings, paths, 9092)
    assert server_properties(settings, paths, 9092, {}) == plain
    extra = {"listeners": "SASL_SSL://127.0.0.1:9094", "sasl.enabled.mechanisms": "SCRAM-SHA-512"}
    lines = server_properties(settings, paths, 9092, extra).splitlines()
    assert lines.index("listeners=SASL_SSL://127.0.0.1:9094") == next(
        i for i, line in enumerate(plain.splitlines()) if line.startswith("listeners=")
    )
    assert lines[-1] == "sasl.enabled.mechanisms=SCRAM-SHA-512"
    assert len(lines) == len(plain.splitlines()) + 1
