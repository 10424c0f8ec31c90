"""Who sent a decision on Kafka: the department's Ed25519 signature over the record's bytes,
checked against the registry of department keys before the decision is applied.

Anyone who can write to the broker can write a record; only the holder of a department's
private key can sign one. A record is refused (dead letter, the code saying why) when it is
unsigned (unless `require_signed_decisions` is off), signed with a key not registered or
revoked, signed wrongly (any byte changed), or signed with another department's key.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from domain.signatures import SignatureProblem, read_headers, verifies
from events.registry import Decoded
from infra.bootstrap import Deps
from services.errors import SignatureRefused


@dataclass(frozen=True)
class Signed:
    """What the decision keeps to prove its sender: the key, the signature, the bytes."""

    key_id: str
    signature: str  # base64
    record: str  # the exact record that was signed (UTF-8 JSON)


async def check_signature(deps: Deps, ev: Decoded, department: str) -> Signed | None:
    """The decision's proof of origin; None for an unsigned one where that is allowed.
    Raises `SignatureRefused` with the dead-letter code otherwise."""
    try:
        found = read_headers(ev.headers)
    except SignatureProblem as exc:
        raise SignatureRefused(exc.code, exc.detail) from None
    if found is None or ev.record is None:
        if deps.settings.require_signed_decisions:
            raise SignatureRefused(
                "unsigned",
                "a decision must be signed by its department's key: headers "
                "'lianban-key-id' and 'lianban-signature' (docs/contracts.md)",
            )
        return None
    key = await deps.department_keys.get(found.key_id)  # cached in the process
    if key is None:
        raise SignatureRefused("unknown_key", f"no department key {found.key_id!r} is registered")
    if key.revoked_at is not None:
        raise SignatureRefused(
            "revoked_key",
            f"key {found.key_id!r} was revoked at {key.revoked_at.isoformat()}",
        )
    if not verifies(base64.b64decode(key.public_key), ev.record, found.signature):
        raise SignatureRefused(
            "bad_signature",
            f"the signature does not match the record's bytes under key {found.key_id!r}",
        )
    if key.department != department:
        raise SignatureRefused(
            "not_your_department",
            f"key {found.key_id!r} is {key.department}'s; it cannot decide for {department}",
        )
    return Signed(found.key_id, found.signature_b64, ev.record.decode("utf-8"))
