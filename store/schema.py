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
# PostgreSQL's operator class for LIKE 'prefix%' on an index whatever the database's collation.
PATTERN_OPS = {"case_id": "varchar_pattern_ops"}
JSON = sa.JSON().with_variant(JSONB(), "postgresql")

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    # A keyed hash of the applicant's query code (store/query_codes.py), never the code.
    sa.Column("query_code", sa.String(160), nullable=False),
    sa.Column("matter_code", sa.String(64), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("applicant_kind", sa.String(16), nullable=False),
    sa.Column("applicant_name", sa.String(200), nullable=False),
    # Sensitive personal information. These two hold only the masked forms (what staff see);
    # the values themselves are in `applicant_contact`, AES-256-GCM sealed with the payload
    # keyring (store.personal), the sealing key's id in `applicant_contact_kid` (null: written
    # without a key, the JSON in plain text: development only).
    sa.Column("applicant_id_number", sa.String(32)),
    sa.Column("applicant_phone", sa.String(32)),
    sa.Column("applicant_contact", sa.Text),
    sa.Column("applicant_contact_kid", sa.String(64)),
    # The `sub` of the applicant's token when they submitted online themselves: whose case it is.
    sa.Column("applicant_ref", sa.String(128)),
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
    # W3C trace context of the submission: decisions join the case's one trace.
    sa.Column("traceparent", sa.String(64)),
    # The shape of the case's workflow, so callers address its reviews without asking Temporal:
    # NULL for cases started before the column (JointApprovalWorkflow, one child workflow per
    # department), "CaseWorkflow" for the reviews inside the case (store.cases.CASE_WORKFLOW).
    sa.Column("workflow_type", sa.String(64)),
    # The applicant's key in the materials library (store.library): HMAC-SHA256 of the
    # normalised ID number / credit code under a key derived from the keyring's
    # `applicant_key_kid` ("-": no keyring, development). NULL: no ID number, or before 0015.
    sa.Column("applicant_key", sa.String(64)),
    sa.Column("applicant_key_kid", sa.String(64)),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_cases_status_matter", "status", "matter_code"),
    sa.Index("ix_cases_case_pattern", "case_id", postgresql_ops=PATTERN_OPS),  # the search
    sa.Index("ix_cases_warning", "status", "warning_level"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(140), primary_key=True),
    sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),  # open | corrections_requested | decided
    sa.Column("checks", JSON, nullable=False, default=list),
    sa.Column("opinion_only", sa.Boolean, nullable=False, default=False),
    sa.Column("outcome", sa.String(32)),
    sa.Column("reasons", JSON, nullable=False, default=list),
    sa.Column("conditions", JSON, nullable=False, default=list),
    sa.Column("reviewer", sa.String(100)),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("due_date", sa.Date),
    # Last time anyone acted on the task (assigned, claimed, reassigned): operators list open
    # tasks idle for too long. Defaults to the assignment instant, so it is never null.
    sa.Column(
        "last_activity_at",
        UTCDateTime,
        default=lambda ctx: ctx.get_current_parameters().get("assigned_at"),
    ),
    # The case's warning (cases.warning_level), kept beside each of its tasks in the same
    # transaction (activities/clocks.py; migration 0016): the inbox counts and filters by
    # urgency reading tasks alone.
    sa.Column("case_warning_level", sa.String(16), nullable=False, server_default="none"),
    # The case's title (it does not change once submitted), for the inbox's search in the
    # department's tasks alone (migration 0016b).
    sa.Column("case_title", sa.String(300), nullable=False, server_default=""),
    sa.Index("ix_tasks_case", "case_id"),
    # A case number's start (LIKE 'LB-2026%') as an index range under any collation.
    sa.Index("ix_tasks_case_pattern", "case_id", postgresql_ops=PATTERN_OPS),
    # The inbox (store/inbox.py) reads one status at a time: soonest due first, ties by
    # assignment, for the tasks still to do (every view but decided; the default listing
    # merges its statuses); most recently decided first for the decided ones.
    # ix_tasks_department_due (every status at once, soonest due first) served the default
    # listing before it put the work still to do first; no inbox query needs it now. It ends
    # in assigned_at like ix_tasks_inbox, so a one-status query never prefers it and filters
    # past every decided task due earlier (bench.scale).
    # It ends with the case's warning so a view's counts are read from the index alone.
    sa.Index(
        "ix_tasks_inbox", "department", "status", "due_date", "assigned_at", "case_warning_level"
    ),
    sa.Index("ix_tasks_department_due", "department", "due_date", "assigned_at"),
    sa.Index("ix_tasks_decided", "department", "status", "decided_at"),
    sa.Index("ix_tasks_received", "department", "status", "assigned_at"),  # newest first
    sa.Index("ix_tasks_idle", "status", "last_activity_at"),
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
    # A decision from Kafka keeps what proves who sent it: the key, the signature and the exact
    # bytes signed, so anyone holding the public key can check it again (non-repudiation).
    # The bytes may hold personal data the department typed: sealed with the payload keyring
    # (store.personal.seal_text; `signed_record_kid` names the key, null = stored plain).
    sa.Column("key_id", sa.String(64)),
    sa.Column("signature", sa.String(100)),
    sa.Column("signed_record", sa.Text),
    sa.Column("signed_record_kid", sa.String(64)),
    # Delivery to the case (services.departments.delivery): the decision is committed and
    # acknowledged before its case workflow is signalled, so whether the signal got there is
    # kept here. `delivered_at`: when Temporal took the signal (or the case had ended: nothing
    # left to tell); NULL until then, and a sweeper in every process signals it again from
    # `next_delivery_at` on, `delivery_attempts` counting (and claiming) each try.
    # `decided_at`: the decision's own time as signalled (NULL, on older rows: `received_at`).
    sa.Column("decided_at", UTCDateTime),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_delivery_at", UTCDateTime),
)
# Partial index: the sweeper and the stalled list only look at what is not delivered yet.
sa.Index(
    "ix_decisions_undelivered",
    decisions.c.next_delivery_at,
    sqlite_where=decisions.c.delivered_at.is_(None),
    postgresql_where=decisions.c.delivered_at.is_(None),
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
    sa.Index("ix_case_events_type", "event_type", "case_id"),
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
    # When the row was last put back to be sent again (an acknowledgement asked for again, a
    # broker loss); NULL: never, it waits since `created_at`. How long a row has waited is
    # measured from whichever is later (store.outbox.stats).
    sa.Column("queued_at", UTCDateTime),
    # A row the broker refused: retried with backoff (`next_attempt_at`), parked after too many
    # attempts or at once when it can never succeed; only later rows of the same key wait.
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("parked_at", UTCDateTime),
    # An operator gave up on a parked row (audited on the case): it no longer blocks its key.
    sa.Column("discarded_at", UTCDateTime),
)
# Partial index: the relay only ever scans what is not yet sent.
sa.Index(
    "ix_outbox_unsent",
    outbox.c.id,
    sqlite_where=outbox.c.sent_at.is_(None),
    postgresql_where=outbox.c.sent_at.is_(None),
)
# PostgreSQL: a row written, or put back to be sent, NOTIFYs every relay when its transaction
# commits, whichever process wrote it (`entrypoints.relay` LISTENs), so it is published at once
# rather than at the relay's next poll. SQLite has one relay, woken inside its own process.
OUTBOX_CHANNEL = "lianban_outbox"
OUTBOX_WAKE_DDL = [
    "CREATE OR REPLACE FUNCTION lianban_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $f$ "
    f"BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $f$",
    "CREATE TRIGGER outbox_wake_insert AFTER INSERT ON outbox "
    "FOR EACH STATEMENT EXECUTE FUNCTION lianban_outbox_wake()",
    "CREATE TRIGGER outbox_wake_again AFTER UPDATE OF sent_at, parked_at ON outbox FOR EACH ROW "
    "WHEN (NEW.sent_at IS NULL AND NEW.parked_at IS NULL) EXECUTE FUNCTION lianban_outbox_wake()",
]
for _ddl in OUTBOX_WAKE_DDL:
    sa.event.listen(outbox, "after_create", sa.DDL(_ddl).execute_if(dialect="postgresql"))

# Staff sign-in (services/signin.py): accounts with an argon2 password hash, and the sessions a
# sign-in opens (only the session id's SHA-256 is stored; revoking one ends it at once).
staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("dept", sa.String(64)),
    sa.Column("display_name", sa.String(100)),
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("id_sha256", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("source", sa.String(16), nullable=False),  # password | sso
    sa.Index("ix_staff_sessions_user", "username"),
)

# The public keys department systems sign their decisions with
# (docs/contracts.md "Signing decisions").
# Several per department while a key is rotated; a revoked key signs nothing from then on.
department_keys = sa.Table(
    "department_keys",
    metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    sa.Column("department", sa.String(64), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),  # raw Ed25519, base64
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("revoked_reason", sa.Text),
    sa.Index("ix_department_keys_department", "department"),
)

# One row, its generation bumped in the transaction of every change to `department_keys`, so each
# process's cache of the keys (infra.department_keys) learns of a change (on SQLite; PostgreSQL
# also sends a NOTIFY).
department_key_generation = sa.Table(
    "department_key_generation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.BigInteger, nullable=False),
    sa.CheckConstraint("id = 1", name="ck_department_key_generation_one_row"),
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
    # SHA-256 of the record's bytes: a broker that lost its records hands out the same offsets
    # again, so the position alone does not identify a record.
    sa.Column("raw_sha256", sa.String(64)),
    # The record's Kafka headers ([name, base64 value] pairs): a signed decision is re-driven
    # with its signature, which is checked again.
    sa.Column("headers", JSON),
    # An operator gave up on it (with a reason, in `dead_letter_actions`): no longer pending.
    sa.Column("discarded_at", UTCDateTime),
    # `raw` is sealed with the payload keyring like the applicant's contact (it may hold their
    # ID and phone numbers): the key's id, null when stored plain (development, no key).
    sa.Column("raw_kid", sa.String(64)),
    # A redelivered poison message must not be dead-lettered twice.
    sa.UniqueConstraint(
        "source_topic", "partition", "offset", "raw_sha256", name="uq_dead_letter_record"
    ),
    sa.Index("ix_dead_letters_case", "case_id"),
    sa.Index("ix_dead_letters_pending", "redriven_at", "case_id"),
)


# Every operator action on a dead letter (re-drive, discard), with or without a case: a dead
# letter with no case number, or one of a case that does not exist, has no case record to go on.
dead_letter_actions = sa.Table(
    "dead_letter_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dead_letter_id", sa.Integer, nullable=False),
    sa.Column("case_id", sa.String(64)),
    sa.Column("action", sa.String(32), nullable=False),  # redrive | discard
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("result", sa.String(32), nullable=False),  # done | failed
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_dead_letter_actions_letter", "dead_letter_id"),
)

# Finished spans, kept by the embedded default so the timeline works without a collector.
spans = sa.Table(
    "spans",
    metadata,
    sa.Column("span_id", sa.String(16), primary_key=True),
    sa.Column("trace_id", sa.String(32), nullable=False),
    sa.Column("parent_span_id", sa.String(16)),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("case_id", sa.String(64)),
    sa.Column("start_time", UTCDateTime, nullable=False),
    sa.Column("end_time", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attributes", JSON, nullable=False),
    sa.Index("ix_spans_case", "case_id", "start_time"),
    sa.Index("ix_spans_trace", "trace_id"),
)


# --- Operators (services/operators) ----------------------------------------------------------

# Every operator action, as a queryable read model beside the case log (which holds the same
# facts as OperatorActionRecorded events): "a warning with no follow-up" is a warning level with
# no action recorded at that level.
operator_actions = sa.Table(
    "operator_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("target", sa.String(200)),
    sa.Column("result", sa.String(32), nullable=False),  # done | refused | failed
    sa.Column("warning_level", sa.String(16), nullable=False, default="none"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_operator_actions_case", "case_id", "warning_level"),
)

# Supervision (督办): raised by an operator or by a statutory breach, closed when handled.
supervision_items = sa.Table(
    "supervision_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("raised_by", sa.String(100), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("level", sa.String(16), nullable=False, default="none"),
    sa.Column("status", sa.String(16), nullable=False, default="open"),  # open | closed
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Who must act and by when (domain/supervision.py); an item a warning opened is keyed by
    # it (`<level>/<department>`), so a retried activity opens nothing twice.
    sa.Column("owner_department", sa.String(64)),
    sa.Column("assignee", sa.String(100)),
    sa.Column("due_date", sa.Date),
    sa.Column("source_key", sa.String(100)),
    sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("closed_by", sa.String(100)),
    sa.Column("resolution", sa.Text),
    sa.Index("ix_supervision_case", "case_id", "status"),
    sa.Index("ix_supervision_open", "status", "owner_department", "due_date"),
    sa.UniqueConstraint("case_id", "source_key", name="uq_supervision_source"),
)

# Activities that failed at least once and have not succeeded since, written by the worker
# (services.operators.incidents): the stalled list reads this instead of describing every
# running workflow, then asks Temporal for the live attempt and next retry of the few listed.
activity_incidents = sa.Table(
    "activity_incidents",
    metadata,
    sa.Column("workflow_id", sa.String(200), primary_key=True),
    sa.Column("activity_id", sa.String(100), primary_key=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("activity_type", sa.String(100), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_activity_incidents_case", "case_id"),
)


# Review inbox (services/departments/inbox.py): who in the department holds a task, and what was
# said on it.
task_assignments = sa.Table(
    "task_assignments",
    metadata,
    sa.Column("task_id", sa.String(140), primary_key=True),
    sa.Column("assignee", sa.String(128), nullable=False),
    sa.Column("assigned_by", sa.String(128), nullable=False),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Index("ix_task_assignments_assignee", "assignee"),  # "claimed by me"
)

task_comments = sa.Table(
    "task_comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(140), nullable=False),
    sa.Column("author", sa.String(128), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # Attachments by reference only: [{name, ref}], the file stays where the department keeps it.
    sa.Column("attachments", JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_task_comments_task", "task_id", "id"),
)

# Good/bad rating (好差评) after conclusion: one per case; a bad one opens a follow-up item.
ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("level", sa.String(32), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

follow_ups = sa.Table(
    "follow_ups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # bad_rating
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | resolved
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("resolved_by", sa.String(128)),
    sa.Column("resolved_at", UTCDateTime),
    sa.UniqueConstraint("case_id", "kind", name="uq_follow_up_case_kind"),
)


# --- Audit (store/audit.py, domain/audit.py) --------------------------------------------------

# Every event about a case, hash-chained per case: hash = sha256(prev_hash + canonical entry).
# Append-only: no code path updates or deletes a row, the services' database role may not
# (deploy/sql/audit_grants.sql), and triggers refuse it on both backends.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # 1, 2, … per case
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("data", JSON, nullable=False),  # personal data masked before hashing
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Two writers can never chain two entries to the same predecessor.
    sa.UniqueConstraint("case_id", "seq", name="uq_audit_case_seq"),
)

# Each case's last entry. Appends lock the case's row first, which serialises them per case
# and lets an anchor wait for every append in flight (LOCK … IN SHARE MODE on PostgreSQL).
audit_heads = sa.Table(
    "audit_heads",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# The global head, taken periodically and also published outside the database (a topic and a
# file): a digest of every case's head up to `up_to_id`, chained anchor to anchor.
audit_anchors = sa.Table(
    "audit_anchors",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("up_to_id", sa.BigInteger, nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    sa.Column("entries", sa.BigInteger, nullable=False),
    sa.Column("heads_digest", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Each case's head as an anchor saw it, for the cases whose chain grew since the anchor before
# (all of them the first time): a one-case verify compares the case's chain with the latest
# record of its head, so hashes recomputed after an anchor are found without reading the log.
audit_anchor_heads = sa.Table(
    "audit_anchor_heads",
    metadata,
    sa.Column("anchor_seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_anchor_heads_case", "case_id", "anchor_seq"),
)

# Each recomputation of an anchor's digest from the whole log (O(cases): run by `verify --all`
# and before each new anchor is taken), so that a one-case verify can report the latest one
# instead of repeating it.
audit_digest_checks = sa.Table(
    "audit_digest_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("checked_at", UTCDateTime, nullable=False),
    sa.Column("anchor_seq", sa.Integer, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)


# Wrong query codes counted per (case, source) in the database, so every API process shares
# the count and a restart keeps it. source "*" is the case-wide count across all sources.
query_code_attempts = sa.Table(
    "query_code_attempts",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("window_start", UTCDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
)

# Staff sign-in attempts per address (services/signin.py), counted like query codes: one
# atomic upsert before any password is checked, shared by every API process.
sign_in_attempts = sa.Table(
    "sign_in_attempts",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("window_start", UTCDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
)


# Who runs the scheduled jobs (audit anchors): one row per job, held by one process until
# expires_at; taken over only once it has expired (store/leases.py).
job_leases = sa.Table(
    "job_leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

# Readiness writes here (one row per process, updated in place): a database that answers reads
# but cannot write (its disk full) must not look ready (services.operators.health).
health_probes = sa.Table(
    "health_probes",
    metadata,
    sa.Column("instance", sa.String(200), primary_key=True),
    sa.Column("probed_at", UTCDateTime(), nullable=False),
)


# Refused attempts by callers the case or route is not for: kept here, never on a case's audit
# chain (a case's record holds what was done to it, not what outsiders tried).
security_events = sa.Table(
    "security_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("route", sa.String(300), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("source", sa.String(64)),
    sa.Column("case_id", sa.String(64)),
    sa.Index("ix_security_events_at", "at"),
)


# Alerts that reach someone (services/operators/alerts.py): what Alertmanager's webhook reported
# and what the leaders' KPI thresholds raised, one row per alert (its fingerprint), firing until
# resolved. /ops and the dashboard show the firing ones.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(100), nullable=False, unique=True),
    sa.Column("source", sa.String(16), nullable=False),  # prometheus | kpi
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # firing | resolved
    sa.Column("summary", sa.String(500), nullable=False),
    sa.Column("runbook_url", sa.String(300)),
    sa.Column("matter_code", sa.String(64)),
    sa.Column("labels", JSON, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_alerts_status", "status", "starts_at"),
)

# A leader's threshold on one figure of one matter (domain/kpi.py): below it, over the period,
# an alert of source `kpi` fires.
kpi_thresholds = sa.Table(
    "kpi_thresholds",
    metadata,
    sa.Column("matter_code", sa.String(64), primary_key=True),
    sa.Column("kpi", sa.String(32), primary_key=True),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("period", sa.String(16), nullable=False),  # week | month
    sa.Column("min_cases", sa.Integer, nullable=False, server_default="1"),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("set_at", UTCDateTime, nullable=False),
)

# The materials library (证照库, docs/library.md): per applicant (by keyed hash), every
# material a department accepted on a concluded case and every licence issued. Entries are
# never deleted; a revoked one says so, an expired one is read from `valid_until`.
library_entries = sa.Table(
    "library_entries",
    metadata,
    sa.Column("library_id", sa.String(32), primary_key=True),
    sa.Column("applicant_key", sa.String(64), nullable=False),
    sa.Column("applicant_key_kid", sa.String(64), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("kind", sa.String(16), nullable=False),  # material | licence
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("ref", sa.String(1000)),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("department", sa.String(64), nullable=False),  # who checked it ("center": licence)
    sa.Column("checked_on", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("status", sa.String(16), nullable=False),  # valid | revoked
    sa.Column("licence_number", sa.String(80)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("revoked_reason", sa.Text),
    # Every look-up is one applicant's entries of a few codes (bench.library).
    sa.Index("ix_library_applicant_code", "applicant_key", "code"),
    sa.Index("ix_library_case", "case_id"),
)

# Which materials of a case came from the library, and how (named | filled): the provenance
# shown to departments and applicants is in `cases.materials`; this is what the figures count.
material_reuses = sa.Table(
    "material_reuses",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("library_id", sa.String(32), nullable=False),
    sa.Column("how", sa.String(16), nullable=False),
    sa.Column("matter_code", sa.String(64), nullable=False),
    sa.Column("reused_at", UTCDateTime, nullable=False),
    sa.Index("ix_material_reuses_at", "reused_at"),
)

# Electronic licences: the document signed (its canonical bytes, UTF-8) and the signature.
licences = sa.Table(
    "licences",
    metadata,
    sa.Column("licence_number", sa.String(80), primary_key=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("matter_code", sa.String(64), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("signature", sa.String(100), nullable=False),  # Ed25519, base64
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("status", sa.String(16), nullable=False),  # valid | revoked
    sa.Column("library_id", sa.String(32)),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("revoked_by", sa.String(128)),
    sa.Column("revoked_reason", sa.Text),
    sa.Index("ix_licences_case", "case_id"),
)

# The center's licence signing keys: the newest not retired signs; every one stays published
# so a licence signed years ago still verifies. The private half is sealed with the keyring.
licence_keys = sa.Table(
    "licence_keys",
    metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.String(64), nullable=False),  # raw Ed25519, base64
    sa.Column("private_key", sa.Text, nullable=False),  # raw seed, base64, sealed (kid below)
    sa.Column("private_key_kid", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("retired_at", UTCDateTime),
)

# Licences verified on the public page, per day and matter (a figure, not a log of visitors).
licence_verifications = sa.Table(
    "licence_verifications",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("matter_code", sa.String(64), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)


def _append_only(table: sa.Table) -> None:
    """Triggers that refuse UPDATE/DELETE (and TRUNCATE on PostgreSQL): the second line behind
    the grants, and the first on SQLite."""
    name = table.name
    sqlite = [
        f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {name} "
        f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END"
        for op in ("UPDATE", "DELETE")
    ]
    postgres = [
        "CREATE OR REPLACE FUNCTION lianban_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$ "
        "BEGIN RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = '42501', "
        "DETAIL = TG_OP || ' on ' || TG_TABLE_NAME || ' refused'; END $f$",
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
        "FOR EACH ROW EXECUTE FUNCTION lianban_append_only()",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION lianban_append_only()",
    ]
    for ddl in sqlite:
        sa.event.listen(table, "after_create", sa.DDL(ddl).execute_if(dialect="sqlite"))
    for ddl in postgres:
        sa.event.listen(table, "after_create", sa.DDL(ddl).execute_if(dialect="postgresql"))


_append_only(audit_log)
_append_only(audit_anchors)
_append_only(audit_digest_checks)
_append_only(audit_anchor_heads)
