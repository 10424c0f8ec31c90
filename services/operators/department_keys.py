"""The platform team's side of signed decisions: register, create, list and revoke the keys
department systems sign with. A department that can keep a secret creates its own key pair and
hands over only the public key (`register`); `create` makes a pair here for one that cannot."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.signatures import public_key_from_b64
from events.signatures import KEY_ID_PATTERN
from infra.bootstrap import Deps
from services.errors import Refused
from store.department_keys import KeyExists, add_key, list_keys, revoke_key


class KeyRefused(Refused, code="key_refused", http_status=400): ...


@dataclass(frozen=True)
class NewKey:
    key_id: str
    department: str
    public_key: str  # raw Ed25519, base64
    private_pem: bytes  # PKCS#8 PEM, unencrypted: store it as a secret of the department system


def default_key_id(department: str) -> str:
    return f"{department}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _check(deps: Deps, department: str, key_id: str) -> None:
    if department not in deps.catalog.departments:
        known = ", ".join(sorted(deps.catalog.departments))
        raise KeyRefused(f"unknown department {department!r} (the catalog has: {known})")
    if not re.match(KEY_ID_PATTERN, key_id):
        raise KeyRefused(f"key id {key_id!r}: letters, digits, '.', '_', '-'; at most 64")


async def register(
    deps: Deps, department: str, key_id: str, public_key_b64: str, by: str
) -> dict[str, Any]:
    """Register a department's public key (raw Ed25519, base64)."""
    _check(deps, department, key_id)
    try:
        raw = public_key_from_b64(public_key_b64)
    except ValueError as exc:
        raise KeyRefused(str(exc)) from None
    encoded = base64.b64encode(raw).decode()
    async with deps.sessions() as s, s.begin():
        try:
            await add_key(s, key_id, department, encoded, by)
        except KeyExists as exc:
            raise KeyRefused(str(exc)) from None
    deps.department_keys.forget()  # other processes learn it from the database
    return {"key_id": key_id, "department": department, "public_key": encoded}


async def create(deps: Deps, department: str, key_id: str | None, by: str) -> NewKey:
    """A new key pair for the department; its public half registered."""
    key_id = key_id or default_key_id(department)
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    registered = await register(deps, department, key_id, base64.b64encode(public).decode(), by)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return NewKey(key_id, department, registered["public_key"], pem)


async def revoke(deps: Deps, key_id: str, reason: str) -> None:
    async with deps.sessions() as s, s.begin():
        if not await revoke_key(s, key_id, reason):
            raise KeyRefused(f"no key {key_id!r} that is not already revoked")
    deps.department_keys.forget()  # other processes learn it from the database


async def keys(deps: Deps, department: str | None = None) -> list[dict[str, Any]]:
    async with deps.sessions() as s:
        return await list_keys(s, department)
