"""The envelope every Lianban event shares on the wire.

JSON on the wire, Kafka key = case id. `event_type` + `schema_version` select the payload model;
readers upcast old versions step by step (see `events.registry`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CASE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """Fields common to every event; `data` holds the event-type-specific payload."""

    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int = Field(ge=1)
    case_id: str = Field(
        pattern=CASE_ID_PATTERN, description="case number; letters, digits, - and _"
    )
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    producer: str = Field(min_length=1, max_length=100)
    traceparent: str | None = Field(
        default=None, description="W3C trace context; also sent as a Kafka header"
    )
    data: dict[str, Any] = Field(default_factory=dict)
