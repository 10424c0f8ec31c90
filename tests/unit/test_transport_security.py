"""Kafka and Temporal transport security: what client configuration each setting produces,
that inconsistent settings are refused naming the variable, and that no Kafka client is built
outside infra/kafka_client.py."""

from __future__ import annotations

import datetime as dt
import re
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from infra import kafka_client
from infra.bootstrap import temporal_connect_options
from infra.kafka_client import kafka_options
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=subject == issuer, path_length=None), True)
        .sign(signer, hashes.SHA256())
    )


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    """A CA, and a client certificate and key it signed, as PEM files."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test Lianban CA", ca_key, "Test Lianban CA", ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("lianban-client", key, "Test Lianban CA", ca_key)
    files = {
        "ca": ca.public_bytes(serialization.Encoding.PEM),
        "cert": cert.public_bytes(serialization.Encoding.PEM),
        "key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    }
    out = {}
    for name, data in files.items():
        (tmp_path / f"{name}.pem").write_bytes(data)
        out[name] = str(tmp_path / f"{name}.pem")
    return out


def _settings(**kw: object) -> Settings:
    return Settings(_env_file=None, kafka_bootstrap="kafka.example:9093", **kw)  # type: ignore[call-arg,arg-type]


def test_plaintext_default_has_no_security_options() -> None:
    assert kafka_options(_settings()) == {
        "bootstrap_servers": "kafka.example:9093",
        "security_protocol": "PLAINTEXT",
    }
    # A bare bootstrap string is the embedded development broker: nothing else.
    assert kafka_options("127.0.0.1:9092") == {"bootstrap_servers": "127.0.0.1:9092"}


def test_ssl_with_ca_and_client_certificate(pki: dict[str, str]) -> None:
    opts = kafka_options(
        _settings(
            kafka_security_protocol="SSL",
            kafka_ssl_cafile=pki["ca"],
            kafka_ssl_certfile=pki["cert"],
            kafka_ssl_keyfile=pki["key"],
        )
    )
    assert set(opts) == {"bootstrap_servers", "security_protocol", "ssl_context"}
    assert opts["security_protocol"] == "SSL"
    ctx = opts["ssl_context"]
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    (ca,) = ctx.get_ca_certs()
    assert (("commonName", "Test Lianban CA"),) in ca["subject"]


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl_fields(pki: dict[str, str], mechanism: str) -> None:
    opts = kafka_options(
        _settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism=mechanism,
            kafka_sasl_username="lianban",
            kafka_sasl_password="s3cret",
            kafka_ssl_cafile=pki["ca"],
        )
    )
    assert opts["security_protocol"] == "SASL_SSL"
    assert opts["sasl_mechanism"] == mechanism
    assert opts["sasl_plain_username"] == "lianban"
    assert opts["sasl_plain_password"] == "s3cret"
    assert len(opts["ssl_context"].get_ca_certs()) == 1


def test_sasl_plaintext_has_no_tls() -> None:
    opts = kafka_options(
        _settings(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="u",
            kafka_sasl_password="p",
        )
    )
    assert "ssl_context" not in opts
    assert opts["sasl_mechanism"] == "SCRAM-SHA-512"


async def test_clients_get_the_options(pki: dict[str, str]) -> None:
    s = _settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="u",
        kafka_sasl_password="p",
        kafka_ssl_cafile=pki["ca"],
    )
    producer = kafka_client.producer(s, acks="all")
    assert producer.client._security_protocol == "SASL_SSL"
    assert producer.client._sasl_plain_password == "p"
    assert producer.client._ssl_context is not None
    consumer = kafka_client.consumer(s, "t", group_id="g")
    assert consumer._client._sasl_mechanism == "PLAIN"
    admin = kafka_client.admin(s)
    assert admin._client._security_protocol == "SASL_SSL"
    await producer.stop()
    await consumer.stop()
    await admin.close()


@pytest.mark.parametrize(
    ("kw", "named"),
    [
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "PLAIN",
                "kafka_sasl_username": "u",
            },
            "LIANBAN_KAFKA_SASL_PASSWORD",
        ),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_username": "u",
                "kafka_sasl_password": "p",
            },
            "LIANBAN_KAFKA_SASL_MECHANISM",
        ),
        (
            {
                "kafka_sasl_mechanism": "PLAIN",
                "kafka_sasl_username": "u",
                "kafka_sasl_password": "p",
            },
            "LIANBAN_KAFKA_SASL_MECHANISM",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "CERT"},
            "LIANBAN_KAFKA_SSL_KEYFILE",
        ),
        ({"kafka_ssl_cafile": "CA"}, "LIANBAN_KAFKA_SSL_CAFILE"),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent/ca.pem"},
            "LIANBAN_KAFKA_SSL_CAFILE",
        ),
        ({"temporal_tls_cert_file": "CERT"}, "LIANBAN_TEMPORAL_TLS_KEY_FILE"),
        ({"temporal_tls_key_file": "KEY"}, "LIANBAN_TEMPORAL_TLS_CERT_FILE"),
        ({"temporal_tls_ca_file": "/nonexistent/ca.pem"}, "LIANBAN_TEMPORAL_TLS_CA_FILE"),
        ({"kafka_security_protocol": "TLS"}, "kafka_security_protocol"),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "GSSAPI",
                "kafka_sasl_username": "u",
                "kafka_sasl_password": "p",
            },
            "kafka_sasl_mechanism",
        ),
    ],
)
def test_inconsistent_settings_refused(pki: dict[str, str], kw: dict[str, str], named: str) -> None:
    kw = {
        k: pki["cert"]
        if v == "CERT"
        else pki["key"]
        if v == "KEY"
        else pki["ca"]
        if v == "CA"
        else v
        for k, v in kw.items()
    }
    with pytest.raises(ValidationError, match=re.escape(named)):
        _settings(**kw)


def test_temporal_plaintext_by_default() -> None:
    assert temporal_connect_options(_settings(temporal_namespace="ns")) == {"namespace": "ns"}


def test_temporal_mutual_tls(pki: dict[str, str]) -> None:
    opts = temporal_connect_options(
        _settings(
            temporal_tls_ca_file=pki["ca"],
            temporal_tls_cert_file=pki["cert"],
            temporal_tls_key_file=pki["key"],
            temporal_tls_server_name="temporal.internal",
        )
    )
    tls = opts["tls"]
    assert tls.server_root_ca_cert == Path(pki["ca"]).read_bytes()
    assert tls.client_cert == Path(pki["cert"]).read_bytes()
    assert tls.client_private_key == Path(pki["key"]).read_bytes()
    assert tls.domain == "temporal.internal"
    assert "api_key" not in opts


def test_temporal_api_key_implies_tls() -> None:
    opts = temporal_connect_options(_settings(temporal_api_key="key-123"))
    assert opts["api_key"] == "key-123"
    tls = opts["tls"]
    assert tls.server_root_ca_cert is None and tls.client_cert is None and tls.domain is None
    opts = temporal_connect_options(_settings(temporal_tls=True))
    assert "tls" in opts and "api_key" not in opts


def test_secrets_not_in_repr() -> None:
    s = _settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="u",
        kafka_sasl_password="hunter2-kafka",
        temporal_api_key="hunter2-temporal",
    )
    assert "hunter2" not in repr(s)


# The department-side code (examples/, the bench's simulated departments) and the tests run
# against their own brokers; everything in the system itself must build clients in one place.
SYSTEM = ["infra", "entrypoints", "services", "activities", "workflows", "store", "domain"]
CONSTRUCTOR = re.compile(r"\bAIOKafka(Producer|Consumer|AdminClient)\s*\(|\bKafkaClient\s*\(")


def test_every_kafka_client_is_built_by_kafka_client() -> None:
    found = []
    for top in SYSTEM:
        for path in (ROOT / top).rglob("*.py"):
            if path == ROOT / "infra" / "kafka_client.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if CONSTRUCTOR.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == [], "build Kafka clients with infra.kafka_client:\n" + "\n".join(found)
    # and the guard does see a constructor when there is one
    assert CONSTRUCTOR.search((ROOT / "infra" / "kafka_client.py").read_text())


def test_every_temporal_connection_uses_the_options() -> None:
    found = []
    for top in SYSTEM:
        for path in (ROOT / top).rglob("*.py"):
            text = path.read_text()
            for m in re.finditer(r"Client\.connect\(", text):
                n = text.count("\n", 0, m.start()) + 1
                rel = str(path.relative_to(ROOT))
                # the embedded dev stack's own probe talks to the plaintext dev server
                if rel in ("infra/bootstrap.py", "entrypoints/devstack/stack.py"):
                    continue
                found.append(f"{rel}:{n}")
    assert found == [], "connect to Temporal with infra.bootstrap.connect_temporal: " + str(found)
