"""Bodies of the review inbox routes: items with urgency, a task's full view, claims, comments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.privacy import mask_id_number, mask_phone
from entrypoints.http.schemas import ApplicantPublic, TaskPublic


class InboxItemPublic(TaskPublic):
    title: str
    matter_code: str
    case_status: str
    assignee: str | None
    level: Literal["none", "yellow", "red", "breach"] = Field(description="warning colour")
    working_days_left: int | None = Field(description="to the due date; negative: overdue")
    due_soon: bool
    overdue: bool
    provisional: bool = Field(
        default=False,
        description="the due date lies in a year whose official calendar is not loaded: "
        "counted on weekdays only, it may move when the year is loaded",
    )
    reused_materials: int = Field(
        default=0, description="materials of the case taken from the applicant's library"
    )


class InboxPublic(BaseModel):
    department: str
    view: str | None
    count: int
    data: list[InboxItemPublic]


class ProvenancePublic(BaseModel):
    """Where a material taken from the applicant's library came from (docs/library.md)."""

    library_id: str
    how: Literal["named", "filled"] = Field(
        description="named: the submission named the entry; filled: the center found it (免提交)"
    )
    kind: Literal["material", "licence"]
    source_case: str = Field(description="the case on which it was checked")
    checked_by: str = Field(description="department code (`center`: a licence it issued)")
    checked_by_name: str
    checked_on: date
    valid_until: date | None = None
    licence_number: str | None = None


class MaterialPublic(BaseModel):
    code: str
    name: str | None
    ref: str | None = Field(description="where the shared file lives; submitted once")
    sha256: str | None = Field(default=None, description="SHA-256 of the file's content")
    reused: ProvenancePublic | None = Field(
        default=None, description="set when the material came from the applicant's library"
    )


class DepartmentProgressPublic(BaseModel):
    department: str
    name: str
    opinion_only: bool
    status: str = Field(description="pending (no task yet) | open | decided | …")
    outcome: str | None
    decided_at: datetime | None


class AttachmentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    # By reference only: a URI to where the department keeps the file, never the file.
    ref: str = Field(min_length=4, max_length=500, pattern=r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=20)


class CommentPublic(BaseModel):
    id: int
    author: str
    text: str
    attachments: list[AttachmentRef]
    created_at: datetime


class TaskDetailPublic(InboxItemPublic):
    department_name: str
    applicant: ApplicantPublic
    materials: list[MaterialPublic]
    missing_materials: list[str] = Field(description="owed under tolerant acceptance")
    departments: list[DepartmentProgressPublic] = Field(description="every reviewing department")
    comments: list[CommentPublic]

    @classmethod
    def from_detail(cls, detail: dict[str, Any]) -> TaskDetailPublic:
        case = detail["case"]
        applicant = ApplicantPublic(
            kind=case["applicant_kind"],
            name=case["applicant_name"],
            id_number=mask_id_number(case["applicant_id_number"]),
            phone=mask_phone(case["applicant_phone"]),
        )
        fields = {k: v for k, v in detail.items() if k in cls.model_fields}
        return cls.model_validate({**fields, "applicant": applicant})


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str = Field(min_length=1, max_length=128, description="the reviewer's token sub")


class AssignmentPublic(BaseModel):
    task_id: str
    assignee: str | None
