"""The keyring shared by Temporal payloads and personal data at rest: AES-256-GCM keys by id.

One set of keys (LIANBAN_PAYLOAD_KEYS, the current one named by LIANBAN_PAYLOAD_KID) encrypts
workflow payloads (infra.payload_crypto) and the applicant's ID number and phone in the `cases`
table (store.cases). A sealed value names the key that sealed it, so a new current key takes over
for new rows while old ids stay loaded to read old ones. It lives in `store` because the
migration that seals existing rows (0007) runs below infra.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class UnknownKey(ValueError):
    """A value sealed with a key this process does not hold."""


def parse_keys(keys: Mapping[str, str]) -> dict[str, bytes]:
    """Base64 keys by id, each exactly 32 bytes (AES-256)."""
    out = {}
    for kid, text in keys.items():
        key = base64.b64decode(text)
        if len(key) != 32:
            raise ValueError(f"payload key {kid!r} is {len(key)} bytes; AES-256 needs 32")
        out[kid] = key
    return out


@dataclass(frozen=True)
class Keyring:
    """The loaded keys and the id of the one that seals new values (None: nothing is sealed)."""

    current: str | None
    keys: Mapping[str, bytes] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, current: str | None, keys: Mapping[str, str]) -> Keyring:
        parsed = parse_keys(keys)
        if current and current not in parsed:
            raise ValueError(f"no payload key with id {current!r}")
        return cls(current or None, parsed)

    def seal(self, plain: bytes, context: bytes) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext); `context` is bound as associated data (e.g. the case
        id), so a sealed value copied onto another row does not open."""
        assert self.current is not None, "seal needs a current key"
        nonce = os.urandom(NONCE_BYTES)
        return self.current, nonce + AESGCM(self.keys[self.current]).encrypt(nonce, plain, context)

    def open(self, kid: str, sealed: bytes, context: bytes) -> bytes:
        key = self.keys.get(kid)
        if key is None:
            raise UnknownKey(f"value sealed with key {kid!r}, which is not loaded")
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)


NO_KEYS = Keyring(None)


def keyring_from_environment() -> Keyring:
    """The keyring named by LIANBAN_PAYLOAD_KEYS / LIANBAN_PAYLOAD_KID (the `alembic` command
    line, which runs without the application's settings)."""
    import json

    keys = json.loads(os.environ.get("LIANBAN_PAYLOAD_KEYS") or "{}")
    return Keyring.from_settings(os.environ.get("LIANBAN_PAYLOAD_KID") or None, keys)
