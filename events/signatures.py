"""How a department system signs a record on the decisions topic (docs/contracts.md "Signing
decisions"): two Kafka headers beside the record, the signature over the record's exact bytes.

Over the exact bytes, not a canonical form of the JSON: every language's Kafka client can sign
what it is about to send, and no two implementations of a canonicalisation have to agree.
"""

from __future__ import annotations

HEADER_KEY_ID = "lianban-key-id"  # the registered key's id, ASCII
HEADER_SIGNATURE = "lianban-signature"  # Ed25519 over the record value, standard base64
KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SIGNATURE_BYTES = 64  # Ed25519
PUBLIC_KEY_BYTES = 32  # Ed25519, raw
