"""Dead letters: the record of an input that could not be applied, and why.

Written to the database (operators list and re-drive them) and, through the outbox, to the
dead-letter topic, in one transaction — so the consumer can commit its offset right after.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.privacy import mask_text
from events.contracts import DeadLettered
from events.envelope import CASE_ID_PATTERN
from events.limits import EXCERPT_BYTES, MAX_CODE, MAX_RECORD_BYTES, MAX_TEXT
from events.registry import make_envelope
from infra.bootstrap import Deps
from store.db import insert_ignore
from store.personal import open_dead_letter, seal_dead_letter
from store.records import enqueue, step_event_id
from store.schema import dead_letters
from store.sealing import Keyring, UnknownKey

UNKNOWN_CASE_KEY = "unknown"
EXCERPT_CHARS = 600  # what a page shows of a dead letter's record
MAX_HEADERS = 20  # a record's headers kept with its dead letter (each value at most 1 KiB)


def encode_headers(headers: tuple[tuple[str, bytes], ...]) -> list[list[str]] | None:
    """Kafka headers as JSON ([name, base64 value] pairs); re-drive needs the signature."""
    kept = [
        [name[:MAX_CODE], base64.b64encode(value[:EXCERPT_BYTES]).decode()]
        for name, value in headers[:MAX_HEADERS]
    ]
    return kept or None


def decode_headers(stored: list[list[str]] | None) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, base64.b64decode(value)) for name, value in stored or ())


@dataclass(frozen=True)
class SourceRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


def _case_id(case_id: str | None, key: str | None) -> str:
    import re

    for candidate in (case_id, key):
        if candidate and re.match(CASE_ID_PATTERN, candidate):
            return candidate
    return UNKNOWN_CASE_KEY


async def dead_letter(
    deps: Deps, rec: SourceRecord, error: str, detail: str, case_id: str | None = None
) -> None:
    """Record the rejected input with its source position and reason."""
    key = rec.key.decode("utf-8", "replace")[:MAX_CODE] if rec.key else None
    value = rec.value or b""
    # Never the whole of a record over the limit: its first bytes, its size and its digest.
    kept = value if len(value) <= MAX_RECORD_BYTES else value[:EXCERPT_BYTES]
    raw = kept.decode("utf-8", "replace")
    digest = hashlib.sha256(value).hexdigest()
    # Whatever the sender typed may be an ID or phone number: the detail quotes the input.
    detail = mask_text(detail[:MAX_TEXT])
    cid = _case_id(case_id, key)
    payload = DeadLettered(
        source_topic=rec.topic,
        partition=rec.partition,
        offset=rec.offset,
        key=key,
        # The topic is read by people: personal data masked. The row keeps the original,
        # sealed (store.personal): re-drive opens it with the key; nothing else reads it.
        raw=mask_text(raw),
        error=error,
        detail=detail,
        raw_bytes=len(value),
        raw_sha256=digest,
    )
    # Position and content: after a broker loss the same offset may hold another record.
    source = f"{rec.topic}/{rec.partition}/{rec.offset}/{digest}"
    envelope = make_envelope(
        payload, case_id=cid, producer="lianban-consumer", event_id=step_event_id(cid, source)
    )
    row = _row(deps, rec, raw, digest) | {
        "case_id": None if cid == UNKNOWN_CASE_KEY else cid,
        "key": key,
        "error": error,
        "detail": detail,
    }
    async with deps.sessions() as s, s.begin():
        stmt = insert_ignore(
            s.get_bind().dialect.name,
            dead_letters,
            "source_topic",
            "partition",
            "offset",
            "raw_sha256",
        )
        await s.execute(stmt.values(**row))
        await enqueue(s, envelope, deps.topics.dead_letters)


def excerpt(row: dict[str, Any], keyring: Keyring, limit: int = EXCERPT_CHARS) -> str:
    """What a person may read of a dead letter's record: its start, opened (it is sealed at
    rest, store.personal) and with personal data masked. Every page and listing shows a dead
    letter's record through this one function."""
    try:
        text = mask_text(open_dead_letter(keyring, row))
    except UnknownKey:
        return "(sealed with a key not loaded here 密钥未加载)"
    return text if len(text) <= limit else text[:limit] + "…"


def _row(deps: Deps, rec: SourceRecord, raw: str, digest: str) -> dict[str, Any]:
    """The `dead_letters` columns of the record itself: its record sealed (store.personal)."""
    sealed, kid = seal_dead_letter(deps.keyring, raw, rec.topic, rec.partition, rec.offset, digest)
    return {
        "source_topic": rec.topic,
        "partition": rec.partition,
        "offset": rec.offset,
        "raw": sealed,
        "raw_kid": kid,
        "raw_sha256": digest,
        "headers": encode_headers(rec.headers),
        "created_at": datetime.now(UTC),
    }
