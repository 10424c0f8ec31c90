"""Ed25519 signatures on department records: reading the headers and checking the bytes.

Pure: the keys come from the caller (the registry is in the database).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.signatures import (
    HEADER_KEY_ID,
    HEADER_SIGNATURE,
    KEY_ID_PATTERN,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
)


class SignatureProblem(ValueError):
    """Why a record's signature headers cannot be used; `code` names the dead letter."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class SignatureHeaders:
    key_id: str
    signature: bytes

    @property
    def signature_b64(self) -> str:
        return base64.b64encode(self.signature).decode()


def read_headers(headers: Iterable[tuple[str, bytes | None]]) -> SignatureHeaders | None:
    """The signature headers of a record; None when it carries neither."""
    found: dict[str, bytes] = {}
    for name, value in headers:
        if name in (HEADER_KEY_ID, HEADER_SIGNATURE):
            if name in found:
                raise SignatureProblem("bad_signature", f"header {name!r} given twice")
            found[name] = value or b""
    if not found:
        return None
    missing = [h for h in (HEADER_KEY_ID, HEADER_SIGNATURE) if h not in found]
    if missing:
        raise SignatureProblem("bad_signature", f"header {missing[0]!r} missing")
    key_id = found[HEADER_KEY_ID].decode("ascii", "replace")
    if not re.match(KEY_ID_PATTERN, key_id):
        raise SignatureProblem("bad_signature", "header 'lianban-key-id' is not a valid key id")
    try:
        signature = base64.b64decode(found[HEADER_SIGNATURE], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureProblem(
            "bad_signature", "header 'lianban-signature' is not standard base64"
        ) from None
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureProblem(
            "bad_signature",
            f"header 'lianban-signature' holds {len(signature)} bytes, "
            f"an Ed25519 signature has {SIGNATURE_BYTES}",
        )
    return SignatureHeaders(key_id, signature)


def public_key_from_b64(text: str) -> bytes:
    """A raw Ed25519 public key from base64; ValueError naming the problem."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the public key is not standard base64") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(f"an Ed25519 public key has {PUBLIC_KEY_BYTES} bytes, not {len(raw)}")
    return raw


def verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the key's Ed25519 signature of exactly `message`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
