"""/public: what an applicant reaches with the case number and query code, without a token.

POST, so the query code never lands in a URL, a proxy log or the browser history.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from entrypoints.http.deps import DepsDep
from entrypoints.http.inbox_schemas import MaterialPublic
from entrypoints.http.library_schemas import LibraryEntryPublic
from entrypoints.http.peer import client_address
from entrypoints.http.schemas import Responses, problem_responses
from services.applicants import progress

router = APIRouter(prefix="/public", tags=["public"])
ERRORS: Responses = problem_responses(404, 409, 422, 429)
RatingLevel = Literal[
    "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"
]


class ProgressQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: str = Field(min_length=1, max_length=64)
    query_code: str = Field(min_length=1, max_length=16)


class StepPublic(BaseModel):
    key: str
    label: str
    done: bool


class DepartmentDonePublic(BaseModel):
    name: str
    done: bool


class ProgressPublic(BaseModel):
    """No personal data: not even the applicant's name."""

    case_id: str
    matter: str
    status: str
    outcome: str | None
    steps: list[StepPublic]
    departments: list[DepartmentDonePublic]
    promised_due: date | None
    statutory_due: date | None
    rating: str | None
    can_rate: bool
    materials: list[MaterialPublic] = Field(
        default_factory=list, description="each with `reused` when it came from the library"
    )
    library: list[LibraryEntryPublic] = Field(
        default_factory=list, description="entries this case added to the applicant's library"
    )
    licence_number: str | None = Field(default=None, description="once the licence is issued")
    reasons: list[str] = Field(
        default_factory=list, description="a refusal's (or non-acceptance's) every reason"
    )
    appeal_rights: str | None = Field(default=None, description="with a refusal")
    conditions: list[str] = Field(default_factory=list, description="a grant's conditions")


class RatingCreate(ProgressQuery):
    level: RatingLevel
    comment: str = Field(default="", max_length=1000)


class RatingPublic(BaseModel):
    case_id: str
    level: str
    follow_up: bool = Field(description="a bad rating opened a follow-up item for the center")


@router.post("/progress", response_model=ProgressPublic, responses=ERRORS)
async def read_progress(body: ProgressQuery, request: Request, deps: DepsDep) -> ProgressPublic:
    """A case's progress: steps, departments done, due dates (case number + query code)."""
    return ProgressPublic.model_validate(
        await progress.progress(deps, body.case_id, body.query_code, client_address(request))
    )


@router.post(
    "/rating", status_code=status.HTTP_201_CREATED, response_model=RatingPublic, responses=ERRORS
)
async def rate_service(body: RatingCreate, request: Request, deps: DepsDep) -> RatingPublic:
    """Rate the service once the case is concluded (five levels, with a comment)."""
    follow_up = await progress.rate(
        deps, body.case_id, body.query_code, body.level, body.comment, client_address(request)
    )
    return RatingPublic(case_id=body.case_id, level=body.level, follow_up=follow_up is not None)
