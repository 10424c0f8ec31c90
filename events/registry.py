"""Decode and encode events: bytes on the wire <-> (Envelope, Payload).

Decoding never raises anything but `EventRejected`, whose `code` is the machine-readable reason
that goes into the dead-letter record.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from events import library_events  # noqa: F401  # defines MaterialsReused, LicenceRevoked
from events.contracts import Payload  # defines the payload classes
from events.envelope import Envelope
from events.topics import Topic


def _payload_classes(base: type[Payload] = Payload) -> list[type[Payload]]:
    """Every payload class defined so far, in definition order (subclasses of subclasses too)."""
    found: list[type[Payload]] = []
    for cls in base.__subclasses__():
        found += [cls, *_payload_classes(cls)]
    return found


def _register(classes: list[type[Payload]]) -> dict[str, type[Payload]]:
    """The table by `EVENT_TYPE`. A class that does not name its type and topic, a type named
    twice, or two inbound types on one topic (a consumer applies one type) stop the import:
    a new event type is never half-declared."""
    table: dict[str, type[Payload]] = {}
    for cls in classes:
        missing = [name for name in ("EVENT_TYPE", "TOPIC") if name not in vars(cls)]
        if missing:
            raise TypeError(f"{cls.__qualname__} must declare {' and '.join(missing)}")
        if cls.EVENT_TYPE in table:
            raise TypeError(f"event type {cls.EVENT_TYPE} is declared twice")
        inbound_here = [c for c in table.values() if c.INBOUND and c.TOPIC is cls.TOPIC]
        if cls.INBOUND and (cls.TOPIC is None or inbound_here):
            raise TypeError(f"inbound {cls.EVENT_TYPE} needs a topic of its own")
        table[cls.EVENT_TYPE] = cls
    return table


# Built from the classes: those of `events.contracts` and `events.library_events`, imported
# above. A module that holds more of them must be imported above too
# (tests/unit/test_event_types.py checks it is).
PAYLOADS: dict[str, type[Payload]] = _register(_payload_classes())


def on_topic(topic: Topic) -> list[type[Payload]]:
    """The event types that travel on `topic`."""
    return [cls for cls in PAYLOADS.values() if cls.TOPIC is topic]


def inbound() -> dict[Topic, type[Payload]]:
    """The topics Lianban's consumers read, each with the one event type it carries."""
    return {cls.TOPIC: cls for cls in PAYLOADS.values() if cls.INBOUND and cls.TOPIC}


def in_case_log() -> list[type[Payload]]:
    """The event types written to a case's audit log: each has a fold and a timeline line."""
    return [cls for cls in PAYLOADS.values() if cls.CASE_LOG]


def upcast_unchanged(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2 of an event whose v2 only added optional fields (every v1 document is a v2 one
    with them absent): ApplicationSubmitted and ReviewTaskAssigned (a material's `sha256`,
    `library_id`, `provenance`), LicenceIssued (the electronic licence's fields)."""
    return data


# (event_type, from_version) -> function turning that version's data into the next version's.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("ApplicationSubmitted", 1): upcast_unchanged,
    ("ReviewTaskAssigned", 1): upcast_unchanged,
    ("LicenceIssued", 1): upcast_unchanged,
}


class EventRejected(Exception):
    """The bytes are not an event this service can apply."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Decoded:
    envelope: Envelope
    payload: Payload
    # Where it came from: the record's exact bytes and its Kafka headers (a department's
    # signature is checked over those bytes). Empty for an event made inside Lianban.
    record: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def _upcast(event_type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    current = PAYLOADS[event_type].VERSION
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise EventRejected(
                "unsupported_schema_version",
                f"{event_type} schema_version {version} cannot be upcast (current {current})",
            )
        data, version = step(data), version + 1
    return data


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventRejected("malformed_json", f"not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise EventRejected("malformed_json", "the event must be a JSON object")
    return doc


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )


# Text is for people: no control characters but tab and line breaks, no lone surrogates.
# PostgreSQL stores neither NUL in text nor \u0000 in jsonb: such a record would fail at the
# database on every retry and hold up its partition, so it is refused here.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
UNSAFE_TEXT = _UNSAFE  # the HTTP API refuses the same (entrypoints.http.plain_text)


def _unsafe_text(node: Any, where: str = "") -> str | None:
    """Where the first string with a character not allowed is, if any."""
    if isinstance(node, str):
        found = _UNSAFE.search(node)
        return f"{where or 'value'}: character U+{ord(found.group()):04X}" if found else None
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        bad = _unsafe_text(key, where) if isinstance(key, str) else None
        bad = bad or _unsafe_text(value, f"{where}.{key}" if where else str(key))
        if bad:
            return bad
    return None


def decode(raw: bytes) -> Decoded:
    """Parse, check the envelope, upcast and validate the payload."""
    doc = _parse_json(raw)
    bad = _unsafe_text(doc)
    if bad is not None:
        raise EventRejected(
            "invalid_payload",
            f"{bad} is not allowed (no control characters but tab and line breaks)",
        )
    try:
        envelope = Envelope.model_validate(doc)
    except ValidationError as exc:
        raise EventRejected("invalid_envelope", _validation_text(exc)) from exc
    model = PAYLOADS.get(envelope.event_type)
    if model is None:
        raise EventRejected("unknown_event_type", f"unknown event_type {envelope.event_type!r}")
    if envelope.schema_version > model.VERSION:
        raise EventRejected(
            "unsupported_schema_version",
            f"{envelope.event_type} schema_version {envelope.schema_version} is newer than "
            f"the supported {model.VERSION}",
        )
    data = _upcast(envelope.event_type, envelope.schema_version, envelope.data)
    try:
        payload = model.model_validate(data)
    except ValidationError as exc:
        raise EventRejected("invalid_payload", _validation_text(exc)) from exc
    return Decoded(envelope=envelope, payload=payload)


def make_envelope(
    payload: Payload,
    *,
    case_id: str,
    producer: str,
    event_id: uuid.UUID | None = None,
    traceparent: str | None = None,
) -> Envelope:
    """Wrap a payload in an envelope at its current version."""
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=payload.EVENT_TYPE,
        schema_version=payload.VERSION,
        case_id=case_id,
        producer=producer,
        traceparent=traceparent,
        data=payload.model_dump(mode="json"),
    )


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()
