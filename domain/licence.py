"""The electronic licence (电子证照): the JSON document the center signs, its canonical bytes,
and checking a signature over them. Pure; the keys come from the caller (docs/library.md).

The signature is over the document's exact bytes as served (`/public/licences/{number}.json`),
which are its canonical form: keys sorted, no spaces, UTF-8. Anyone re-serialising the JSON
differently must verify the bytes as downloaded, not their own rendering.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.privacy import mask_id_number, mask_name
from domain.signatures import verifies

FORMAT = "lianban-licence/1"
ISSUER = "联办 Lianban joint approval center"


@dataclass(frozen=True)
class Holder:
    kind: str  # enterprise | citizen
    name: str
    id_number: str | None  # masked or not: it is masked here


def holder_fields(holder: Holder) -> dict[str, Any]:
    """The holder as a public document shows them: a citizen's name and every ID masked (an
    enterprise's name is on the public business register, so it stays)."""
    name = mask_name(holder.name) if holder.kind == "citizen" else holder.name
    return {"kind": holder.kind, "name": name, "id_number": mask_id_number(holder.id_number)}


def valid_until(valid_from: date, valid_days: int | None) -> date | None:
    return valid_from + timedelta(days=valid_days - 1) if valid_days else None


def licence_document(
    *,
    number: str,
    case_id: str,
    matter: tuple[str, str],
    licence: tuple[str, str],
    holder: Holder,
    conditions: list[str],
    issued_at: datetime,
    valid: tuple[date, date | None],
    key_id: str,
    verify_url: str,
) -> dict[str, Any]:
    """The document signed for one issued licence. `matter` and `licence`: (code, name)."""
    return {
        "format": FORMAT,
        "licence_number": number,
        "licence": {"code": licence[0], "name": licence[1]},
        "case_id": case_id,
        "matter": {"code": matter[0], "name": matter[1]},
        "holder": holder_fields(holder),
        "conditions": list(conditions),
        "issued_at": issued_at.isoformat(),
        "valid_from": valid[0].isoformat(),
        "valid_until": valid[1].isoformat() if valid[1] else None,
        "issuer": ISSUER,
        "key_id": key_id,
        "verify_url": verify_url,
    }


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes signed: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LicenceProblem(ValueError):
    """Why a downloaded licence does not verify."""


def public_key_from_pem(pem: bytes) -> bytes:
    """The raw Ed25519 public key in a PEM file (`/public/licence-keys/{key_id}.pem`)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise LicenceProblem(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LicenceProblem("the key is not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(raw: bytes) -> str:
    key = Ed25519PublicKey.from_public_bytes(raw)
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def read_signature(data: bytes) -> bytes:
    """A `.sig` file: the 64 raw bytes, or their standard base64 (one line)."""
    if len(data) == 64:
        return data
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except ValueError:
        raise LicenceProblem("the signature is neither 64 raw bytes nor base64") from None
    if len(raw) != 64:
        raise LicenceProblem(f"an Ed25519 signature has 64 bytes, not {len(raw)}")
    return raw


def check(document: bytes, signature: bytes, keys: dict[str, bytes]) -> dict[str, Any]:
    """The licence when `signature` is a published key's over exactly `document`.

    `keys`: raw public keys by key id (one key given alone: any id). Raises LicenceProblem.
    """
    try:
        doc = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise LicenceProblem("the document is not UTF-8 JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LicenceProblem(f"not a {FORMAT} document")
    key = keys.get(str(doc.get("key_id"))) or (
        next(iter(keys.values())) if len(keys) == 1 else None
    )
    if key is None:
        raise LicenceProblem(f"no published key {doc.get('key_id')!r} given")
    if not verifies(key, document, signature):
        raise LicenceProblem("the signature does not match: the document or signature was changed")
    return doc
