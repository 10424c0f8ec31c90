"""The applicant's ID number and phone at rest: sealed in `cases.applicant_contact`.

The row keeps the masked forms in `applicant_id_number` / `applicant_phone` for every screen and
report; the values themselves are one JSON object `{"id_number", "phone"}` sealed with the
keyring's current key (AES-256-GCM, the case id as associated data), base64 in
`applicant_contact`, the key's id in `applicant_contact_kid`. Without a current key (development)
the JSON is stored as it is and the id is null; such a row is read as plain text. No query looks
a case up by ID number or phone, so no keyed hash of them is kept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from domain.privacy import mask_id_number, mask_phone
from store.sealing import Keyring


def contact_columns(
    keyring: Keyring, case_id: str, id_number: str | None, phone: str | None
) -> dict[str, str | None]:
    """The `cases` columns for an applicant's ID number and phone."""
    plain = json.dumps({"id_number": id_number, "phone": phone}).encode()
    if keyring.current is None:
        kid, stored = None, plain.decode()
    else:
        kid, sealed = keyring.seal(plain, case_id.encode())
        stored = base64.b64encode(sealed).decode()
    return {
        "applicant_id_number": mask_id_number(id_number),
        "applicant_phone": mask_phone(phone),
        "applicant_contact": stored,
        "applicant_contact_kid": kid,
    }


def open_contact(keyring: Keyring, case: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The applicant's ID number and phone as submitted (for the audited personal-data route)."""
    stored, kid = case.get("applicant_contact"), case.get("applicant_contact_kid")
    if stored is None:  # a row no migration sealed: its columns are all there is
        return case.get("applicant_id_number"), case.get("applicant_phone")
    if kid is None:
        plain = stored.encode()
    else:
        plain = keyring.open(kid, base64.b64decode(stored), str(case["case_id"]).encode())
    data = json.loads(plain)
    return data.get("id_number"), data.get("phone")


def seal_text(keyring: Keyring, text: str, context: str) -> tuple[str, str | None]:
    """(stored, key id) for a text kept whole that may hold personal data — a department's
    signed decision record (`decisions.signed_record`): sealed with the current key and
    `context` as associated data, base64; plain with a null key id without a current key."""
    if keyring.current is None:
        return text, None
    kid, sealed = keyring.seal(text.encode(), context.encode())
    return base64.b64encode(sealed).decode(), kid


def open_text(keyring: Keyring, stored: str, kid: str | None, context: str) -> str:
    """The text `seal_text` kept (the key must be loaded; a null key id: stored plain)."""
    if kid is None:
        return stored
    return keyring.open(kid, base64.b64decode(stored), context.encode()).decode()


def decision_context(case_id: str, department: str) -> str:
    """What a decision's sealed record is bound to: a sealed value copied to another row fails."""
    return f"decision/{case_id}/{department}"


def dead_letter_context(topic: str, partition: int, offset: int, sha256: str | None) -> str:
    """What a dead letter's sealed record is bound to: its source position and digest."""
    return f"dead-letter/{topic}/{partition}/{offset}/{sha256 or ''}"


def seal_dead_letter(
    keyring: Keyring, raw: str, topic: str, partition: int, offset: int, sha256: str
) -> tuple[str, str | None]:
    """(raw, raw_kid) for a `dead_letters` row: the record sealed, as `seal_text` does."""
    return seal_text(keyring, raw, dead_letter_context(topic, partition, offset, sha256))


def open_dead_letter(keyring: Keyring, row: Mapping[str, Any]) -> str:
    """A dead letter's record as it was received (re-drive): needs the key that sealed it."""
    context = dead_letter_context(
        row["source_topic"], row["partition"], row["offset"], row["raw_sha256"]
    )
    return open_text(keyring, row["raw"], row.get("raw_kid"), context)
