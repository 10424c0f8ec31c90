"""Payload models, one per event type and version.

Events are named in the past tense. Each payload class has `EVENT_TYPE` and `VERSION`; the
registry in `events.registry` maps (type, version) to the class.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.limits import (
    MAX_CODE,
    MAX_ITEMS,
    MAX_MATERIALS,
    MAX_NAME,
    MAX_REVIEWER,
    MAX_TEXT,
    MAX_TITLE,
)
from events.materials import MaterialRef, SharedMaterial
from events.topics import Topic


class Payload(BaseModel):
    """One event type's `data`. Each subclass names itself in `EVENT_TYPE` and its topic in
    `TOPIC` (None: written to the case log only, never published); `events.registry` finds
    every subclass, so a new event type is a new class here (docs/how-to-change.md)."""

    model_config = ConfigDict(extra="forbid")
    EVENT_TYPE: ClassVar[str]
    TOPIC: ClassVar[Topic | None]
    VERSION: ClassVar[int] = 1
    # Lianban's consumers read it (a handler in `services.handlers` applies it).
    INBOUND: ClassVar[bool] = False
    # It is written to its case's audit log (and so folded and shown in the timeline).
    CASE_LOG: ClassVar[bool] = True


class Channel(StrEnum):
    online = "online"
    window = "window"


# One reason, condition or correction item, bounded.
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class ApplicantKind(StrEnum):
    enterprise = "enterprise"
    citizen = "citizen"


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ApplicantKind
    name: str = Field(min_length=1, max_length=MAX_NAME)
    id_number: str | None = Field(
        default=None, max_length=32, description="resident ID or unified social credit code"
    )
    phone: str | None = Field(default=None, max_length=32)


class ApplicationSubmitted(Payload):
    """An application arrived (portal or window). Topic: submissions.

    v2: a material may carry its content's `sha256`, or name a library entry (`library_id`)."""

    EVENT_TYPE: ClassVar[str] = "ApplicationSubmitted"
    VERSION: ClassVar[int] = 2
    TOPIC: ClassVar[Topic | None] = Topic.submissions
    INBOUND: ClassVar[bool] = True

    matter_code: str = Field(min_length=1, max_length=MAX_CODE)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    applicant: Applicant
    channel: Channel = Channel.online
    materials: list[MaterialRef] = Field(default_factory=list, max_length=MAX_MATERIALS)
    query_code: str | None = Field(default=None, max_length=16)


class DecisionOutcome(StrEnum):
    approve = "approve"
    approve_with_conditions = "approve_with_conditions"
    reject = "reject"
    request_corrections = "request_corrections"


class DecisionMade(Payload):
    """A department decided its review task. Topic: decisions."""

    EVENT_TYPE: ClassVar[str] = "DecisionMade"
    TOPIC: ClassVar[Topic | None] = Topic.decisions
    INBOUND: ClassVar[bool] = True
    CASE_LOG: ClassVar[bool] = False  # applied as DepartmentDecided

    department: str = Field(min_length=1, max_length=MAX_CODE)
    outcome: DecisionOutcome
    reasons: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    conditions: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER)
    task_id: str | None = Field(default=None, max_length=2 * MAX_CODE + 1)
    items: list[Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="request_corrections: what to correct or supply",
    )

    @model_validator(mode="after")
    def _reasons_where_required(self) -> DecisionMade:
        # A refusal must tell the applicant why (ALL Art. 38); conditions must be listed.
        for name in required_lists(self.outcome):
            if not getattr(self, name):
                raise ValueError(REQUIRED_MESSAGES[name].format(outcome=self.outcome.value))
        return self


# The lists an outcome cannot go without, in the order a form asks for them.
_REQUIRED: dict[DecisionOutcome, tuple[str, ...]] = {
    DecisionOutcome.reject: ("reasons",),
    DecisionOutcome.request_corrections: ("reasons", "items"),
    DecisionOutcome.approve_with_conditions: ("conditions",),
}
REQUIRED_MESSAGES = {
    "reasons": "outcome {outcome} requires at least one reason",
    "items": "outcome {outcome} requires the list of items",
    "conditions": "outcome {outcome} requires at least one condition",
}


def required_lists(outcome: DecisionOutcome) -> tuple[str, ...]:
    """The lists (`reasons`, `items`, `conditions`) a decision with `outcome` must fill."""
    return _REQUIRED.get(outcome, ())


class ReviewTaskAssigned(Payload):
    """A department got a joint review task. Topic: review-tasks.

    v2: each material carries its `sha256` and, when it came from the library, `provenance`."""

    EVENT_TYPE: ClassVar[str] = "ReviewTaskAssigned"
    VERSION: ClassVar[int] = 2
    TOPIC: ClassVar[Topic | None] = Topic.review_tasks

    task_id: str
    department: str
    matter_code: str
    title: str
    checks: list[str] = Field(default_factory=list)
    materials: list[SharedMaterial] = Field(default_factory=list)
    due_date: date | None = None


class CaseAccepted(Payload):
    """Pre-review passed; the statutory clock runs. Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "CaseAccepted"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    matter_code: str
    tolerant: bool = False
    missing_materials: list[str] = Field(default_factory=list)
    departments: list[str]
    statutory_due: date | None = None
    promised_due: date | None = None
    provisional: bool = Field(
        default=False, description="a due date falls in a year with no official calendar yet"
    )
    accepted_on: date | None = Field(default=None, description="day 0 of the decision clock")
    deemed: bool = Field(
        default=False,
        description="accepted by operation of law: no correction notice within 5 working days",
    )


class CaseNotAccepted(Payload):
    """Pre-review failed. Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "CaseNotAccepted"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    reasons: list[str]


class DecisionSignature(BaseModel):
    """The department's signature a decision from Kafka came with
    (docs/contracts.md "Signing decisions"):
    the record's SHA-256 here, its bytes kept with the decision, so the chain proves both."""

    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(max_length=MAX_CODE)
    signature: str = Field(max_length=100, description="Ed25519, standard base64")
    record_sha256: str = Field(max_length=64, description="of the exact record signed")


class DepartmentDecided(Payload):
    """The orchestrator applied a department's decision. Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "DepartmentDecided"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    department: str
    outcome: DecisionOutcome
    reasons: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    reviewer: str
    decision_event_id: str
    signature: DecisionSignature | None = None  # decided on the web/API (by token): none


class CaseOutcome(StrEnum):
    granted = "granted"
    refused = "refused"


class CaseConcluded(Payload):
    """All reviews merged into one decision. Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "CaseConcluded"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    outcome: CaseOutcome
    reasons: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    appeal_rights: str | None = None


class LicenceIssued(Payload):
    """The licence was issued to the applicant. Topic: case-events.

    v2: the electronic licence: the key that signed it, its document's SHA-256, its validity
    and its entry in the applicant's library (docs/library.md)."""

    EVENT_TYPE: ClassVar[str] = "LicenceIssued"
    VERSION: ClassVar[int] = 2
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    licence_number: str
    issued_at: datetime
    key_id: str | None = Field(default=None, description="the center's signing key")
    document_sha256: str | None = Field(default=None, description="of the signed document")
    valid_until: date | None = None
    library_id: str | None = None


class DeadLettered(Payload):
    """An input event could not be applied. Topic: dead-letters."""

    EVENT_TYPE: ClassVar[str] = "DeadLettered"
    TOPIC: ClassVar[Topic | None] = Topic.dead_letters
    CASE_LOG: ClassVar[bool] = False  # a row in dead_letters, not a case's record

    source_topic: str
    partition: int
    offset: int
    key: str | None = None
    raw: str = Field(
        description="the original value, decoded as UTF-8 with replacement; for `too_large` "
        "only its first bytes (`raw_bytes` and `raw_sha256` describe the whole)"
    )
    error: str = Field(description="machine-readable reason code")
    detail: str = Field(description="what was wrong, for a person")
    raw_bytes: int | None = Field(default=None, description="size of the original value")
    raw_sha256: str | None = Field(default=None, description="SHA-256 of the original value")


class ClockPaused(Payload):
    """A special procedure (hearing, testing, expert review, …) stopped the clock (Art. 45).
    Site inspection is recorded the same way but does not stop it (`stops_clock` false)."""

    EVENT_TYPE: ClassVar[str] = "ClockPaused"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    kind: str
    notice_ref: str
    started_on: date
    expected_days: int | None = None
    stops_clock: bool = True
    requested_by: str
    statutory_due: date | None = None
    promised_due: date | None = None


class ClockResumed(Payload):
    EVENT_TYPE: ClassVar[str] = "ClockResumed"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    notice_ref: str
    ended_on: date
    paused_days: int = Field(description="working days not counted so far, all pauses")
    requested_by: str
    statutory_due: date | None = None
    promised_due: date | None = None


class ExtensionGranted(Payload):
    EVENT_TYPE: ClassVar[str] = "ExtensionGranted"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    approver: str
    approver_role: str
    reason: str
    extension_days: int
    statutory_due: date | None = None


class DeadlinesRecalculated(Payload):
    """Due dates moved (e.g. the official calendar for a year was loaded)."""

    EVENT_TYPE: ClassVar[str] = "DeadlinesRecalculated"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    reason: str
    statutory_due: date | None = None
    promised_due: date | None = None
    provisional: bool = False


class CaseWarningRaised(Payload):
    """Yellow: the promised due date is near; red: it passed; breach: the statutory one passed
    (a breach also raises supervision 督办)."""

    EVENT_TYPE: ClassVar[str] = "CaseWarningRaised"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    level: str
    due_at: datetime = Field(description="the instant the limit set (00:00 Asia/Shanghai)")
    fired_at: datetime = Field(description="when it was noticed (later if the system was down)")
    promised_due: date | None = None
    statutory_due: date | None = None
    provisional: bool = False
    supervision: bool = False


class OperatorActionRecorded(Payload):
    """An operator acted on the case (or was refused): the audit record of every ops action.
    Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "OperatorActionRecorded"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    action: str = Field(description="remind, reassign, retry_now, redrive, escalate, …")
    actor: str
    role: str
    reason: str
    target: str | None = Field(default=None, description="department, task, activity, …")
    result: str = Field(description="done | refused | failed")
    detail: dict[str, Any] = Field(default_factory=dict)


class DepartmentReminded(Payload):
    """An operator reminded a department of its open task. Topic: review-tasks."""

    EVENT_TYPE: ClassVar[str] = "DepartmentReminded"
    TOPIC: ClassVar[Topic | None] = Topic.review_tasks

    task_id: str
    department: str
    actor: str
    reason: str
    due_date: date | None = None


class SupervisionRaised(Payload):
    """The case was escalated to supervision (督办). Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "SupervisionRaised"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    supervision_id: int
    actor: str
    reason: str
    note: str
    warning_level: str = "none"
    owner_department: str | None = None  # who must act (a breach: each department still on it)
    due_date: date | None = None  # by when, in working days from opening
    source: str = "operator"  # operator | breach | red


class SupervisionUpdated(Payload):
    """A supervisor acted on a supervision item, or it escalated being overdue.
    Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "SupervisionUpdated"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    supervision_id: int
    action: str  # assigned | commented | closed | escalated
    actor: str
    text: str = Field(default="", max_length=MAX_TEXT)
    owner_department: str | None = None
    assignee: str | None = None
    due_date: date | None = None
    escalation_level: int = 0


class CaseTerminated(Payload):
    """The case ended without a decision: the applicant withdrew, or it was terminated (e.g.
    materials owed under tolerant acceptance were not supplied). Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "CaseTerminated"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    status: str = Field(description="withdrawn | terminated")
    reason: str
    actor: str
    cancelled_departments: list[str] = Field(default_factory=list)


class PersonalDataAccessed(Payload):
    """Someone read the applicant's unmasked personal data (the access is itself an audit
    record). Case log only: it is not published on a topic."""

    EVENT_TYPE: ClassVar[str] = "PersonalDataAccessed"
    TOPIC: ClassVar[Topic | None] = None  # case log only

    actor: str = Field(description="the token subject who read it")
    role: str
    fields: list[str] = Field(description="which personal data, e.g. id_number, phone")
    purpose: str = Field(description="the route or page that showed it")


class ServiceRated(Payload):
    """The applicant rated the service after conclusion (好差评). Topic: case-events."""

    EVENT_TYPE: ClassVar[str] = "ServiceRated"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    level: str = Field(description="very_satisfied … very_dissatisfied")
    comment: str = ""
    follow_up_id: int | None = Field(default=None, description="opened for a bad rating")


class CorrectionRequested(Payload):
    """The window told the applicant, once and fully, what to correct (Art. 32)."""

    EVENT_TYPE: ClassVar[str] = "CorrectionRequested"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    items: list[str]
    requested_on: date
    notice_deadline: date
    in_time: bool = Field(description="within 5 working days of receipt")
    clerk: str


class MaterialsSupplied(Payload):
    EVENT_TYPE: ClassVar[str] = "MaterialsSupplied"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    material_codes: list[str]
    submitted_by: str


class DepartmentRequestedCorrections(Payload):
    """A department needs the applicant to correct or supply something before it decides;
    the case's clocks stop meanwhile when the matter says so."""

    EVENT_TYPE: ClassVar[str] = "DepartmentRequestedCorrections"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    department: str
    reasons: list[str]
    items: list[str]
    reviewer: str
    clock_paused: bool


class ReviewTaskReopened(Payload):
    """The applicant supplied the corrections; the department's task is open again."""

    EVENT_TYPE: ClassVar[str] = "ReviewTaskReopened"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    department: str
    material_codes: list[str]
