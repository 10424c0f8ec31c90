"""Inputs and results of workflows, signals and activities: single models, so fields can be
added without breaking running workflows. Pure data, safe inside the workflow sandbox."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog import Matter
from domain.review import MergeResult, PreReview, Verdict
from events.contracts import DecisionOutcome


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class MatterLookup(_Model):
    """The catalog entry that applied to the case (None: no such matter)."""

    matter: Matter | None = None


class JointApprovalInput(_Model):
    case_id: str
    matter_code: str
    title: str
    material_codes: list[str] = Field(default_factory=list)
    received_at: datetime


class JointApprovalResult(_Model):
    case_id: str
    status: str  # not_accepted | granted | refused
    reasons: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    licence_number: str | None = None


class DecisionSignal(_Model):
    """A department's decision, as delivered to the case workflow."""

    event_id: str
    department: str
    outcome: DecisionOutcome
    reasons: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    reviewer: str
    decided_at: datetime


class DepartmentReviewInput(_Model):
    case_id: str
    matter_code: str
    title: str
    department: str
    department_name: str
    checks: list[str] = Field(default_factory=list)
    opinion_only: bool = False
    material_codes: list[str] = Field(default_factory=list)
    due_date: date | None = None


class AcceptanceInput(_Model):
    case_id: str
    matter: Matter | None
    matter_code: str
    prereview: PreReview
    statutory_due: date | None = None
    promised_due: date | None = None


class DecisionRecordInput(_Model):
    case_id: str
    decision: DecisionSignal


class ConclusionInput(_Model):
    case_id: str
    result: MergeResult
    verdicts: list[Verdict]


class IssueInput(_Model):
    case_id: str
