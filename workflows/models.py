"""Inputs and results of workflows, signals and activities: single models, so fields can be
added without breaking running workflows. Pure data, safe inside the workflow sandbox.

Activities take one `...Input` and return a `...Result` or None, except where a result was a
bare string before (`publish_review_task`, `issue_licence`, `department_endpoint`): stored
histories hold those results and must decode. Renaming a class is free: pydantic JSON carries
no class names."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import CalendarData
from domain.case_clocks import ClockPolicy
from domain.catalog import Matter
from domain.clocks import PauseKind
from domain.review import MergeResult, PreReview, Verdict
from events.contracts import DecisionOutcome, Text
from events.limits import MAX_CODE, MAX_ITEMS, MAX_MATERIALS


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PrepareInput(_Model):
    matter_code: str
    received_at: datetime


class PrepareResult(_Model):
    """What applied to the case when it arrived: the catalog entry (None: no such matter) and
    the working-day calendar around its dates. Recorded in history, so replay sees the same."""

    matter: Matter | None = None
    calendar: CalendarData = CalendarData()


def case_setup(
    matter: Matter | None, calendar: CalendarData, received_at: datetime
) -> PrepareResult:
    """What applies to a case received at `received_at`: its matter, and of the calendar the
    few years its clocks can reach (the history keeps it small)."""
    year = received_at.year
    return PrepareResult(matter=matter, calendar=calendar.restricted(range(year - 1, year + 3)))


class JointApprovalInput(_Model):
    case_id: str
    matter_code: str
    title: str
    material_codes: list[str] = Field(default_factory=list)
    received_at: datetime
    policy: ClockPolicy = ClockPolicy()
    # True: a window clerk pre-reviews (accept / request corrections once / not accept) and
    # Art. 32's 5-working-day rule applies; False: pre-review is automatic on receipt.
    manual_prereview: bool = False
    # What applied when the case arrived (`case_setup`), given by the starter, so the case runs
    # no `prepare_case` step. The intake no longer gives it: held in every cached case's input
    # it cost the worker 7-11 MB at 5,000 open cases (bench/RESULTS.md, wave 3 session 6) for
    # a CPU saving no run could tell apart. Kept for cases started with it
    # (tests/histories/d66bf4c4cb). None: the workflow runs the step; replay takes the same
    # branch, since the input is in the history.
    setup: PrepareResult | None = None


class WorkflowStatus(StrEnum):
    """Where a case stands, as its workflow sees it: the `state` query, the window desk, the
    result. Finer than the read model's `domain.case_status.CaseStatus` (granted or refused
    where that says concluded, received where it says submitted); the same strings otherwise.
    """

    received = "received"
    pre_review = "pre_review"
    correction_requested = "correction_requested"
    in_review = "in_review"
    not_accepted = "not_accepted"
    granted = "granted"
    refused = "refused"
    issued = "issued"
    withdrawn = "withdrawn"
    terminated = "terminated"


class CaseStateView(_Model):
    """The `state` query of a case's workflow."""

    status: WorkflowStatus
    departments: list[str] = Field(default_factory=list)
    decided: list[str] = Field(default_factory=list)


class ReviewStateView(_Model):
    """The `state` query of a department's review."""

    task_id: str | None = None
    decision: DecisionOutcome | None = None


class JointApprovalResult(_Model):
    case_id: str
    status: WorkflowStatus  # not_accepted | granted | refused | withdrawn | terminated
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
    items: list[str] = Field(default_factory=list)
    # The decision service wrote the decided task and its `DepartmentDecided` event in the
    # transaction that received the decision (an open task of a `CaseWorkflow` case): the
    # review then skips `record_decision`. Absent (False) in every older signal.
    recorded: bool = False


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
    corrections_pause_clock: bool = True


class ReviewTasksInput(_Model):
    """Every department's review task of a case, published in one step (`CaseWorkflow`)."""

    reviews: list[DepartmentReviewInput] = Field(default_factory=list)


class ReviewTasksResult(_Model):
    task_ids: dict[str, str] = Field(default_factory=dict, description="department -> task id")


class AcceptanceInput(_Model):
    case_id: str
    matter: Matter | None
    matter_code: str
    prereview: PreReview
    statutory_due: date | None = None
    promised_due: date | None = None
    provisional: bool = False
    accepted_on: date | None = None
    deemed: bool = False


class AssignmentInput(_Model):
    """The case accepted and every department's task published, in one step."""

    acceptance: AcceptanceInput
    reviews: list[DepartmentReviewInput] = Field(default_factory=list)


class AssignmentResult(_Model):
    task_ids: dict[str, str] = Field(default_factory=dict, description="department -> task id")
    urls: dict[str, str] = Field(
        default_factory=dict, description="department -> its system, where it takes HTTP"
    )


class PauseRequest(_Model):
    """Start a special procedure (Art. 45); the applicant was told in writing (`notice_ref`)."""

    kind: PauseKind
    notice_ref: str = Field(min_length=1, max_length=100)
    start: date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    expected_days: int | None = Field(default=None, ge=1, le=365)
    requested_by: str = Field(min_length=1, max_length=100)


class PauseEnd(_Model):
    notice_ref: str = Field(min_length=1, max_length=100)
    end: date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    requested_by: str = Field(min_length=1, max_length=100)


class ExtensionRequest(_Model):
    approver: str = Field(min_length=1, max_length=100)
    approver_role: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=1000)


class ClockView(_Model):
    """The case's clocks as they stand: what the update handlers return and queries show."""

    accepted_on: date | None = None
    statutory_due: date | None = None
    promised_due: date | None = None
    provisional: bool = False
    paused: bool = False
    paused_days: int = 0
    extension_days: int = 0
    warnings: list[tuple[str, datetime]] = Field(
        default_factory=list, description="(level, the instant it was due) for each fired"
    )


class ClockChangeInput(_Model):
    case_id: str
    seq: int
    kind: str  # paused | resumed | extended | recalculated
    detail: dict[str, str | int | None] = Field(default_factory=dict)
    clocks: ClockView


class WarningInput(_Model):
    case_id: str
    level: str
    due_at: datetime  # the instant the limit says (00:00 Asia/Shanghai of the day)
    fired_at: datetime  # when the timer actually fired (later if the worker was down)
    clocks: ClockView


class DecisionRecordInput(_Model):
    case_id: str
    decision: DecisionSignal


class ConclusionInput(_Model):
    case_id: str
    result: MergeResult
    verdicts: list[Verdict]


class IssueInput(_Model):
    case_id: str


class EndpointInput(_Model):
    """Which department's HTTP endpoint to look up. A local activity's input is not recorded
    in history (its marker holds the result), so this replaced a bare string safely."""

    department: str


class EndpointsInput(_Model):
    """The departments of a case whose HTTP endpoints to look up, all at once."""

    departments: list[str] = Field(default_factory=list)


class EndpointsResult(_Model):
    """Department -> URL of its system, for those that take review tasks over HTTP."""

    urls: dict[str, str] = Field(default_factory=dict)


class DeliveryInput(_Model):
    """Push a review task to the department's own system (when it has an endpoint)."""

    task_id: str
    url: str
    review: DepartmentReviewInput


class TerminationRequest(_Model):
    """End the case without a decision: the applicant withdrew, or an operator terminated it
    (e.g. materials owed under tolerant acceptance were not supplied)."""

    status: Literal["withdrawn", "terminated"]
    reason: str = Field(min_length=1, max_length=1000)
    actor: str = Field(min_length=1, max_length=100)


class TerminationInput(_Model):
    case_id: str
    request: TerminationRequest
    cancelled_departments: list[str] = Field(default_factory=list)


class PrereviewCommand(_Model):
    """The window clerk's pre-review decision."""

    action: Literal["accept", "request_corrections", "not_accept"]
    clerk: str = Field(min_length=1, max_length=100)
    items: list[Text] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="what to correct or supply"
    )
    reasons: list[Text] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="why not accepted"
    )


class Supplement(_Model):
    """The applicant supplied what the correction notice asked for."""

    material_codes: list[Annotated[str, Field(max_length=MAX_CODE)]] = Field(
        min_length=1, max_length=MAX_MATERIALS
    )
    submitted_by: str = Field(min_length=1, max_length=100)


class DeskView(_Model):
    # A WorkflowStatus (pre_review | correction_requested), typed str so that the public API's
    # schema (POST /cases/{id}/prereview answers a DeskView) stays as it was.
    status: str
    received_on: date
    notice_deadline: date
    correction_requested_on: date | None = None
    items: list[str] = Field(default_factory=list)


class DeskStepInput(_Model):
    case_id: str
    kind: Literal["correction_requested", "materials_supplied"]
    view: DeskView
    material_codes: list[str] = Field(default_factory=list)
    actor: str


class CorrectionsInput(_Model):
    case_id: str
    department: str
    request: DecisionSignal | None = None  # None: reopened after the supplement
    material_codes: list[str] = Field(default_factory=list)
    clock_paused: bool = False
    round: int = 1
