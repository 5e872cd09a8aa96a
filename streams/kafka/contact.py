"""The first contact with Kafka: when it fails, one error that names why.

aiokafka 0.14 logs each bootstrap server's failure ('Unable connect to "host:port": <cause>',
aiokafka/client.py `bootstrap`) and then raises only `KafkaConnectionError("Unable to bootstrap
from [...]")`: a wrong password or an untrusted certificate would read like a broker that is
down, with aiokafka's own line printed beside ours. Around a client's `start()` this catches
those records (they are not logged: the error raised says it) and raises a KafkaUnavailable
naming the cause: KafkaAuthenticationFailed for a refused SASL login,
KafkaCertificateUntrusted for a certificate the CA file does not vouch for. Neither is retried:
aiokafka's bootstrap tries each server once, so a command fails in about a second."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

from shipwatch.settings import Settings
from streams.errors import KafkaAuthenticationFailed, KafkaCertificateUntrusted, KafkaUnavailable

CLIENT_LOGGER = "aiokafka"  # aiokafka/client.py logs under this name, not its module's
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
NAME_MISMATCH = (62, 64)

_caught: ContextVar[list[BaseException] | None] = ContextVar("kafka_contact", default=None)


class _CatchCauses(logging.Filter):
    """Inside `first_contact`: keep the exception each aiokafka client record names, drop the
    record. Elsewhere every record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        caught = _caught.get()
        args = record.args if isinstance(record.args, tuple) else ()
        if caught is None or not args or not isinstance(args[-1], BaseException):
            return True
        caught.append(args[-1])
        return False


_FILTER = _CatchCauses()


def _install() -> None:
    logger = logging.getLogger(CLIENT_LOGGER)
    if _FILTER not in logger.filters:
        # First, so that the log throttle never holds back the cause we want to report.
        logger.filters.insert(0, _FILTER)


def describe(settings: Settings, exc: BaseException) -> KafkaUnavailable:
    """The project's error for one cause of a failed first contact."""
    where = settings.kafka_bootstrap
    if isinstance(exc, SaslAuthenticationFailed | AuthenticationFailedError):
        said = exc.args[0] if exc.args else exc
        return KafkaAuthenticationFailed(
            f"SASL authentication failed: Kafka at {where} refused user "
            f"{settings.kafka_sasl_username!r} with {settings.kafka_sasl_mechanism} ({said}); "
            "check SHIPWATCH_KAFKA_SASL_USERNAME and SHIPWATCH_KAFKA_SASL_PASSWORD"
        )
    if isinstance(exc, UnsupportedSaslMechanismError):
        return KafkaAuthenticationFailed(
            f"SASL mechanism refused by Kafka at {where}: {exc}; "
            "set SHIPWATCH_KAFKA_SASL_MECHANISM to one it enables"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        if exc.verify_code in NAME_MISMATCH:
            advice = "connect by a name or address the certificate lists"
        elif settings.kafka_ssl_cafile:
            advice = f"SHIPWATCH_KAFKA_SSL_CAFILE ({settings.kafka_ssl_cafile}) must name the CA "
            advice += "that signed it"
        else:
            advice = "set SHIPWATCH_KAFKA_SSL_CAFILE to the CA that signed it (the system's "
            advice += "CAs do not vouch for it)"
        return KafkaCertificateUntrusted(
            f"TLS: the certificate of Kafka at {where} is not trusted "
            f"(certificate verify failed: {reason}); {advice}"
        )
    if isinstance(exc, ssl.SSLError):
        return KafkaUnavailable(
            f"TLS handshake with Kafka at {where} failed ({exc}); does the listener speak "
            f"SHIPWATCH_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol}?"
        )
    return KafkaUnavailable(
        f"cannot reach Kafka at {where} (start one with `shipwatch broker start`): {exc}"
    )


@contextmanager
def first_contact(settings: Settings) -> Iterator[None]:
    """Around a client's `start()`: a failure becomes a KafkaUnavailable naming its cause."""
    _install()
    token = _caught.set([])
    try:
        yield
    except (KafkaError, OSError, TimeoutError) as exc:
        causes = _caught.get() or []
        # A refused login or certificate says more than the servers that were merely down.
        named = [c for c in causes if not isinstance(c, ConnectionError | TimeoutError)]
        cause = (named or causes or [exc])[0]
        raise describe(settings, cause) from cause
    finally:
        _caught.reset(token)
