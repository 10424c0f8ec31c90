"""The applicant's query code at rest: a keyed hash in `cases.query_code`, never the code.

A query code has 6 digits, so a plain hash of it is undone by trying all million: the hash is
an HMAC-SHA256 under a key derived from the payload keyring's current key (the key that seals
the applicant's contact, which the database does not hold), over the case number and the code,
stored as `qc1$<key id>$<hex>`. A check recomputes it with the key the stored value names
(kept in LIANBAN_PAYLOAD_KEYS while such rows exist, as for sealed values) and compares in
constant time. Without a current key (development) the key id is empty and the hash unkeyed:
no better than the code against someone holding the database, as the docs say.

A value without the `qc1$` prefix is a plain code a previous release wrote during a rolling
upgrade (migration 0013 hashed every row that existed): compared in constant time, and
`rehash_if_plain` replaces it at its first right answer.
"""

from __future__ import annotations

import hashlib
import hmac

from store.sealing import Keyring, UnknownKey

PREFIX = "qc1"
_PURPOSE = b"lianban/query-code/v1"
_UNKEYED = b"lianban/query-code/unkeyed"


def _key(keyring: Keyring, kid: str) -> bytes:
    if not kid:
        return _UNKEYED
    key = keyring.keys.get(kid)
    if key is None:
        raise UnknownKey(f"query code hashed with key {kid!r}, which is not loaded")
    # Its own key, derived: the AES key itself never keys anything but AES-GCM.
    return hmac.new(key, _PURPOSE, hashlib.sha256).digest()


def _mac(key: bytes, case_id: str, code: str) -> str:
    return hmac.new(key, f"{case_id}\n{code}".encode(), hashlib.sha256).hexdigest()


def hash_code(keyring: Keyring, case_id: str, code: str) -> str:
    """What `cases.query_code` stores for `code`."""
    kid = keyring.current or ""
    return f"{PREFIX}${kid}${_mac(_key(keyring, kid), case_id, code)}"


def is_hashed(stored: str) -> bool:
    return stored.startswith(PREFIX + "$")


def code_matches(keyring: Keyring, case_id: str, code: str, stored: str) -> bool:
    """Whether `code` is the case's query code; constant time in the code."""
    if not is_hashed(stored):
        return hmac.compare_digest(stored.encode(), code.encode())
    _, kid, digest = stored.split("$", 2)
    return hmac.compare_digest(digest, _mac(_key(keyring, kid), case_id, code))


def derived_code(keyring: Keyring, case_id: str, stored: str | None = None) -> str:
    """The query code of a submission its client identified with an idempotency key: derived
    from the case number with the key (the one `stored` names, else the current one), so a
    retry is answered with the same code although only its hash is kept."""
    kid = stored.split("$", 2)[1] if stored and is_hashed(stored) else keyring.current or ""
    digest = hmac.new(_key(keyring, kid), f"idempotent\n{case_id}".encode(), hashlib.sha256)
    return f"{int.from_bytes(digest.digest()[:8], 'big') % 10**6:06d}"
