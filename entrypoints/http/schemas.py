"""HTTP request and response bodies (`...Create` in, `...Public` out)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.privacy import mask_data, mask_id_number, mask_phone
from events.contracts import Applicant, Channel, DecisionOutcome, MaterialRef, Text
from events.limits import MAX_CODE, MAX_ITEMS, MAX_MATERIALS, MAX_TITLE
from events.validators import PlainText


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matter_code: str = Field(min_length=1, max_length=MAX_CODE, examples=["IND-CONSTRUCTION"])
    title: PlainText = Field(min_length=1, max_length=MAX_TITLE)
    applicant: Applicant
    channel: Channel = Channel.online
    materials: list[MaterialRef] = Field(default_factory=list, max_length=MAX_MATERIALS)


class CaseAccepted(BaseModel):
    case_id: str
    query_code: str
    status: str
    links: dict[str, str]


class ApplicantPublic(BaseModel):
    kind: str
    name: str
    id_number: str | None = Field(description="masked: first 6 and last 4 kept")
    phone: str | None = Field(description="masked")


class TaskPublic(BaseModel):
    task_id: str
    case_id: str
    department: str
    status: str
    checks: list[str]
    opinion_only: bool
    outcome: str | None
    reasons: list[str]
    conditions: list[str]
    reviewer: str | None
    assigned_at: datetime
    decided_at: datetime | None
    due_date: date | None


class EventPublic(BaseModel):
    event_id: str
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]


class CasePublic(BaseModel):
    case_id: str
    matter_code: str
    title: str
    applicant: ApplicantPublic
    channel: str
    status: str
    outcome: str | None
    reasons: list[str]
    conditions: list[str]
    missing_materials: list[str]
    materials: list[dict[str, Any]]
    submitted_at: datetime
    accepted_at: datetime | None
    concluded_at: datetime | None
    statutory_due: date | None
    promised_due: date | None
    licence_number: str | None
    warning_level: str = "none"
    provisional: bool = False
    paused: bool = False
    extension_days: int = 0
    tasks: list[TaskPublic]
    events: list[EventPublic]

    @classmethod
    def from_rows(
        cls, case: dict[str, Any], tasks: list[dict[str, Any]], events: list[dict[str, Any]]
    ) -> CasePublic:
        applicant = ApplicantPublic(
            kind=case["applicant_kind"],
            name=case["applicant_name"],
            id_number=mask_id_number(case["applicant_id_number"]),
            phone=mask_phone(case["applicant_phone"]),
        )
        fields = {k: v for k, v in case.items() if k in cls.model_fields}
        return cls(
            **fields,
            applicant=applicant,
            tasks=[TaskPublic.model_validate(t) for t in tasks],
            # Event payloads carry what was submitted (the applicant's ID and phone): masked too.
            events=[
                EventPublic.model_validate({**e, "data": mask_data(e["data"])}) for e in events
            ],
        )


class TasksPublic(BaseModel):
    department: str
    count: int
    data: list[TaskPublic]


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: DecisionOutcome
    reasons: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    conditions: list[Text] = Field(default_factory=list, max_length=MAX_ITEMS)
    items: list[Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="request_corrections: what to correct or supply",
    )
    reviewer: str | None = Field(
        default=None, max_length=100, description="ignored: the token's name (or sub) is recorded"
    )


class DecisionReceiptPublic(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: str
    case_id: str
    department: str


class Problem(BaseModel):
    """Error body: `error` is machine-readable, `detail` says what is wrong."""

    error: str
    detail: Any


Responses = dict[int | str, dict[str, Any]]


def problem_responses(*statuses: int) -> Responses:
    """A route's `responses=`: each of these statuses answers with a `Problem` body."""
    return {status: {"model": Problem} for status in statuses}


class FieldProblem(BaseModel):
    """One bad field of a request: `field` is its place (`body.title`, `query.limit`, …)."""

    field: str
    message: str


class InvalidRequest(BaseModel):
    """A `422` body: each bad field (FastAPI's validation), or one sentence saying what is wrong."""

    error: str = Field(examples=["invalid_request"])
    detail: list[FieldProblem] | str
