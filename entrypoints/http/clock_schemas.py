"""The bodies of the clock routes (`entrypoints.api.clocks`): the HTTP API's own models.

The workflow's models (`workflows.models`: `PauseRequest`, `ClockView`, …) are what its update
handlers take and return, stored in every case's history; these are what API clients send and
read. Each route translates (`command()` in, `of()` out, field by field of the same name), so a
field of the API can change without changing a workflow's history, and the other way round.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from domain.clocks import PauseKind
from events.contracts import Text
from events.limits import MAX_CODE, MAX_ITEMS, MAX_MATERIALS
from workflows.models import (
    ClockView,
    DeskView,
    PauseEnd,
    PauseRequest,
    PrereviewCommand,
    Supplement,
)


class ClocksPublic(BaseModel):
    """The case's clocks as they stand."""

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

    @classmethod
    def of(cls, view: ClockView) -> ClocksPublic:
        return cls.model_validate(view.model_dump())


class PauseCreate(BaseModel):
    """Start a special procedure (Art. 45); the applicant was told in writing (`notice_ref`)."""

    kind: PauseKind
    notice_ref: str = Field(min_length=1, max_length=100)
    start: date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    expected_days: int | None = Field(default=None, ge=1, le=365)
    requested_by: str = Field(min_length=1, max_length=100)

    def command(self) -> PauseRequest:
        return PauseRequest.model_validate(self.model_dump())


class PauseEndBody(BaseModel):
    end: date | None = None
    requested_by: str = Field(min_length=1, max_length=100)

    def command(self, notice_ref: str) -> PauseEnd:
        return PauseEnd(notice_ref=notice_ref, **self.model_dump())


class ExtensionBody(BaseModel):
    """Who approves is the caller: the token's name and role, never a typed claim."""

    reason: str = Field(min_length=1, max_length=1000, description="told to the applicant")
    approver_role: str | None = Field(
        default=None,
        max_length=32,
        description="optional check: refused (403) unless it is the role the token carries "
        "(`department_head` for a dept_head token, `government_head` for a government_head one)",
    )
    approver: str | None = Field(
        default=None, max_length=100, description="ignored: the token's name (or sub) is recorded"
    )


class PrereviewCreate(BaseModel):
    """The window clerk's pre-review decision."""

    action: Literal["accept", "request_corrections", "not_accept"]
    clerk: str = Field(min_length=1, max_length=100)
    items: list[Text] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="what to correct or supply"
    )
    reasons: list[Text] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="why not accepted"
    )

    def command(self) -> PrereviewCommand:
        return PrereviewCommand.model_validate(self.model_dump())


class SupplementCreate(BaseModel):
    """The applicant supplied what the correction notice asked for."""

    material_codes: list[Annotated[str, Field(max_length=MAX_CODE)]] = Field(
        min_length=1, max_length=MAX_MATERIALS
    )
    submitted_by: str = Field(min_length=1, max_length=100)

    def command(self) -> Supplement:
        return Supplement.model_validate(self.model_dump())


class DeskPublic(BaseModel):
    """The window's pre-review as it stands after the clerk's command."""

    status: str = Field(description="pre_review | correction_requested")
    received_on: date
    notice_deadline: date
    correction_requested_on: date | None = None
    items: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, view: DeskView) -> DeskPublic:
        return cls.model_validate(view.model_dump())
