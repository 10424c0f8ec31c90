"""Tables of the system of record: read model, outbox, dead letters.

Kafka is transport (the broker keeps topics in memory); everything acknowledged to a user is a
row here first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()
JSON = sa.JSON().with_variant(JSONB(), "postgresql")

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("query_code", sa.String(16), nullable=False),
    sa.Column("matter_code", sa.String(64), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("applicant_kind", sa.String(16), nullable=False),
    sa.Column("applicant_name", sa.String(200), nullable=False),
    # Sensitive personal information: stored once here, masked on every way out.
    sa.Column("applicant_id_number", sa.String(32)),
    sa.Column("applicant_phone", sa.String(32)),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("materials", JSON, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(16)),
    sa.Column("reasons", JSON, nullable=False, default=list),
    sa.Column("conditions", JSON, nullable=False, default=list),
    sa.Column("missing_materials", JSON, nullable=False, default=list),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
    sa.Column("accepted_at", UTCDateTime),
    sa.Column("concluded_at", UTCDateTime),
    sa.Column("statutory_due", sa.Date),
    sa.Column("promised_due", sa.Date),
    sa.Column("licence_number", sa.String(64)),
    # Clocks as the workflow last reported them (see workflows.models.ClockView).
    sa.Column("warning_level", sa.String(16), nullable=False, default="none"),
    sa.Column("provisional", sa.Boolean, nullable=False, default=False),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("extension_days", sa.Integer, nullable=False, default=0),
    sa.Column("clock", JSON),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_cases_status_matter", "status", "matter_code"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(140), primary_key=True),
    sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | decided
    sa.Column("checks", JSON, nullable=False, default=list),
    sa.Column("opinion_only", sa.Boolean, nullable=False, default=False),
    sa.Column("outcome", sa.String(32)),
    sa.Column("reasons", JSON, nullable=False, default=list),
    sa.Column("conditions", JSON, nullable=False, default=list),
    sa.Column("reviewer", sa.String(100)),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("due_date", sa.Date),
    sa.Index("ix_tasks_case", "case_id"),
    sa.Index("ix_tasks_inbox", "department", "status", "due_date"),
)

# The decision a department gave, as received: the primary key makes the first one win
# atomically, so a conflicting second decision can be refused without a race.
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("department", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("reasons", JSON, nullable=False),
    sa.Column("conditions", JSON, nullable=False),
    sa.Column("reviewer", sa.String(100), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # api | kafka
    sa.Column("received_at", UTCDateTime, nullable=False),
)

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("data", JSON, nullable=False),
    sa.Index("ix_case_events_case", "case_id", "id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("headers", JSON, nullable=False, default=dict),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
)
# Partial index: the relay only ever scans what is not yet sent.
sa.Index(
    "ix_outbox_unsent",
    outbox.c.id,
    sqlite_where=outbox.c.sent_at.is_(None),
    postgresql_where=outbox.c.sent_at.is_(None),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(64)),
    sa.Column("source_topic", sa.String(200), nullable=False),
    sa.Column("partition", sa.Integer, nullable=False),
    sa.Column("offset", sa.BigInteger, nullable=False),
    sa.Column("key", sa.String(200)),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("error", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("redriven_at", UTCDateTime),
    # A redelivered poison message must not be dead-lettered twice.
    sa.UniqueConstraint("source_topic", "partition", "offset", name="uq_dead_letter_source"),
    sa.Index("ix_dead_letters_case", "case_id"),
)
