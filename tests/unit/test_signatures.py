"""Reading a record's signature headers and checking the bytes (domain.signatures)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.signatures import SignatureProblem, public_key_from_b64, read_headers, verifies

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
RECORD = b'{"event_type": "DecisionMade", "data": {"department": "fire"}}'


def headers(key_id: bytes = b"fire-1", signature: bytes | None = None) -> list[tuple[str, bytes]]:
    sig = base64.b64encode(KEY.sign(RECORD)) if signature is None else signature
    return [("traceparent", b"00-x"), ("lianban-key-id", key_id), ("lianban-signature", sig)]


def test_good_headers_and_bytes_verify() -> None:
    found = read_headers(headers())
    assert found is not None and found.key_id == "fire-1"
    assert verifies(PUBLIC, RECORD, found.signature)


def test_one_changed_byte_does_not_verify() -> None:
    found = read_headers(headers())
    assert found is not None
    assert not verifies(PUBLIC, RECORD.replace(b"fire", b"fira"), found.signature)
    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    assert not verifies(other, RECORD, found.signature)


def test_no_headers_is_unsigned() -> None:
    assert read_headers([("traceparent", b"00-x")]) is None


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ([("lianban-key-id", b"fire-1")], "'lianban-signature' missing"),
        (headers(signature=b"not base64!"), "not standard base64"),
        (headers(signature=base64.b64encode(b"short")), "holds 5 bytes"),
        (headers(key_id=b"has space"), "not a valid key id"),
        ([*headers(), ("lianban-key-id", b"again")], "given twice"),
    ],
)
def test_broken_headers_are_named(given: list[tuple[str, bytes]], fragment: str) -> None:
    with pytest.raises(SignatureProblem) as caught:
        read_headers(given)
    assert caught.value.code == "bad_signature"
    assert fragment in caught.value.detail


def test_public_keys_are_32_raw_bytes_in_base64() -> None:
    assert public_key_from_b64(base64.b64encode(PUBLIC).decode()) == PUBLIC
    with pytest.raises(ValueError, match="32 bytes"):
        public_key_from_b64(base64.b64encode(PUBLIC[:31]).decode())
    with pytest.raises(ValueError, match="base64"):
        public_key_from_b64("@@@")
