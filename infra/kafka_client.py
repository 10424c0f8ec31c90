"""The one place Kafka clients are built, so every one of them gets the transport security.

Every AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient of the project is made here
(tests/unit/test_kafka_client.py fails on a constructor anywhere else). A `KafkaTarget` is either
the Settings (what the running system uses: bootstrap plus LIANBAN_KAFKA_SECURITY_PROTOCOL, SASL
and TLS files) or a bare bootstrap string, which means the embedded development broker:
plaintext, no credentials.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

from infra.settings import Settings

KafkaTarget = Settings | str


def kafka_options(target: KafkaTarget) -> dict[str, Any]:
    """aiokafka keyword arguments for connecting: bootstrap, security protocol, TLS, SASL."""
    if isinstance(target, str):
        return {"bootstrap_servers": target}
    s = target
    opts: dict[str, Any] = {
        "bootstrap_servers": s.kafka_bootstrap,
        "security_protocol": s.kafka_security_protocol,
    }
    if s.kafka_security_protocol in ("SSL", "SASL_SSL"):
        # create_ssl_context verifies the server's certificate and host name; with no CA file
        # it trusts the system's CAs.
        opts["ssl_context"] = create_ssl_context(
            cafile=s.kafka_ssl_cafile,
            certfile=s.kafka_ssl_certfile,
            keyfile=s.kafka_ssl_keyfile,
            password=(
                s.kafka_ssl_key_password.get_secret_value() if s.kafka_ssl_key_password else None
            ),
        )
    if s.kafka_security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        assert s.kafka_sasl_password is not None  # the settings' validator guarantees it
        opts["sasl_mechanism"] = s.kafka_sasl_mechanism
        opts["sasl_plain_username"] = s.kafka_sasl_username
        opts["sasl_plain_password"] = s.kafka_sasl_password.get_secret_value()
    return opts


def producer(target: KafkaTarget, **kwargs: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**kafka_options(target), **kwargs)


def consumer(target: KafkaTarget, *topics: str, **kwargs: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **kafka_options(target), **kwargs)


def admin(target: KafkaTarget, **kwargs: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**kafka_options(target), **kwargs)


def bootstrap_of(target: KafkaTarget) -> str:
    return target if isinstance(target, str) else target.kafka_bootstrap
