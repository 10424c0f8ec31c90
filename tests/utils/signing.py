"""The test departments' signing keys: derived from the department's code, so every test, the
fault cluster's processes and the apps under test agree without passing keys around.

Imports nothing from Lianban (an outside department system could hold these keys)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examples.department_client import Signer


def key_id_of(department: str) -> str:
    return f"test-{department}"


def private_key(department: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"lianban test department {department}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(department: str) -> str:
    raw = (
        private_key(department)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def signer(department: str) -> Signer:
    return Signer(key_id_of(department), private_key(department))


def signed_headers(value: bytes, department: str) -> list[tuple[str, bytes]]:
    """The headers a department system sends with `value` (the test department's key)."""
    return signer(department).headers(value)


def decision_headers(value: bytes, sign: bool = True) -> list[tuple[str, bytes]] | None:
    """The signature headers of a `DecisionMade` record (None for anything else)."""
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    if not sign or not isinstance(doc, dict) or doc.get("event_type") != "DecisionMade":
        return None
    department = (doc.get("data") or {}).get("department")
    return signed_headers(value, department) if isinstance(department, str) else None
