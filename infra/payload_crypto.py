"""Temporal payloads encrypted at rest: AES-256-GCM, the key chosen by id so it can rotate.

Workflow histories hold case titles, reviewers' reasons and other free text; the Temporal
server (and anyone reading its database or UI) sees only ciphertext. Payloads written before
encryption, or by a process without a key, pass through unchanged, so stored histories still
replay. Search attributes are never encrypted by Temporal: Lianban puts none but the case id
there.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from infra.payload_converter import shared_pydantic_converter
from store.sealing import parse_keys  # one keyring: payloads and personal data at rest

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnknownPayloadKey(ValueError):
    """A payload encrypted with a key this process does not hold."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with the current key; decrypts with whichever key a payload names."""

    def __init__(self, current: str, keys: Mapping[str, bytes]) -> None:
        if current not in keys:
            raise ValueError(f"no payload key with id {current!r}")
        self._current = current
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(p) for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), None)
        metadata = {"encoding": ENCODING, KEY_ID: self._current.encode()}
        return Payload(metadata=metadata, data=nonce + sealed)

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption, or without a key
        kid = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownPayloadKey(f"payload encrypted with key {kid!r}, which is not loaded")
        plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded


def data_converter(current: str | None, keys: Mapping[str, str]) -> DataConverter:
    """The pydantic converter (one adapter cache a process), encrypting when a current key
    is configured."""
    if not current:
        return shared_pydantic_converter
    codec = EncryptionCodec(current, parse_keys(keys))
    return dataclasses.replace(shared_pydantic_converter, payload_codec=codec)
