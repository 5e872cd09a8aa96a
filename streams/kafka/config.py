"""aiokafka and Faust client options from settings, security included."""

from __future__ import annotations

import ssl
from typing import Any

from shipwatch.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """An SSL context when the security protocol needs one."""
    if "SSL" not in settings.kafka_security_protocol:
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by every aiokafka client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        password = settings.kafka_sasl_password
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def faust_broker_url(settings: Settings) -> str:
    """Faust's broker URL list for the bootstrap servers."""
    return ";".join(f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(","))
