"""A case as its audit record shows it: what `domain.audit_fold` builds. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class TaskState:
    """One department's review task as the record shows it."""

    department: str
    task_id: str
    assigned_at: datetime
    checks: list[str] = field(default_factory=list)
    due_date: date | None = None
    status: str = "open"  # open | decided | cancelled
    outcome: str | None = None
    reasons: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    reviewer: str | None = None
    decided_at: datetime | None = None


@dataclass
class ClockState:
    accepted_on: date | None = None
    statutory_due: date | None = None
    promised_due: date | None = None
    provisional: bool = False
    paused: bool = False
    paused_days: int = 0
    extension_days: int = 0
    open_pauses: dict[str, bool] = field(default_factory=dict)  # notice -> stops the clock
    pauses: list[dict[str, Any]] = field(default_factory=list)
    extension: dict[str, Any] | None = None


@dataclass
class CaseState:
    """A case as its audit record shows it at `as_of` (None: after the last entry)."""

    case_id: str
    as_of: datetime | None = None
    last_seq: int = 0
    status: str = "unknown"
    matter_code: str | None = None
    title: str | None = None
    applicant_kind: str | None = None
    applicant_name: str | None = None
    channel: str | None = None
    materials: list[dict[str, Any]] = field(default_factory=list)
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    concluded_at: datetime | None = None
    tolerant: bool = False
    missing_materials: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    tasks: dict[str, TaskState] = field(default_factory=dict)
    outcome: str | None = None
    reasons: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    clocks: ClockState = field(default_factory=ClockState)
    warning_level: str = "none"
    warnings: list[dict[str, Any]] = field(default_factory=list)
    licence_number: str | None = None
    operator_actions: list[dict[str, Any]] = field(default_factory=list)
    supervision: list[dict[str, Any]] = field(default_factory=list)
    personal_data_reads: list[dict[str, Any]] = field(default_factory=list)
    licence_revocations: list[dict[str, Any]] = field(default_factory=list)
    rating: dict[str, Any] | None = None
    # Years with an official calendar: tells whether a due date is provisional when an event
    # does not say (pauses and extensions do not carry it). None: keep the last value told.
    known_years: frozenset[int] | None = field(default=None, repr=False, compare=False)

    @property
    def decided(self) -> list[str]:
        return sorted(d for d, t in self.tasks.items() if t.status == "decided")

    def case_row(self) -> dict[str, Any]:
        """The `cases` read-model columns the events determine."""
        c = self.clocks
        return {
            "case_id": self.case_id,
            "matter_code": self.matter_code,
            "title": self.title,
            "applicant_kind": self.applicant_kind,
            "applicant_name": self.applicant_name,
            "channel": self.channel,
            "materials": self.materials,
            "status": self.status,
            "outcome": self.outcome,
            "reasons": self.reasons,
            "conditions": self.conditions,
            "missing_materials": self.missing_materials,
            "submitted_at": self.submitted_at,
            "accepted_at": self.accepted_at,
            "concluded_at": self.concluded_at,
            "statutory_due": c.statutory_due,
            "promised_due": c.promised_due,
            "licence_number": self.licence_number,
            "warning_level": self.warning_level,
            "provisional": c.provisional,
            "paused": c.paused,
            "extension_days": c.extension_days,
        }

    def task_rows(self) -> list[dict[str, Any]]:
        """The `tasks` read-model rows, by department."""
        return [
            {
                "task_id": t.task_id,
                "case_id": self.case_id,
                "department": t.department,
                "status": t.status,
                "checks": t.checks,
                "outcome": t.outcome,
                "reasons": t.reasons,
                "conditions": t.conditions,
                "reviewer": t.reviewer,
                "assigned_at": t.assigned_at,
                "decided_at": t.decided_at,
                "due_date": t.due_date,
            }
            for t in sorted(self.tasks.values(), key=lambda t: t.department)
        ]
