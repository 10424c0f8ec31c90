"""Response bodies of /reports and /cases/{id}/timeline (`...Public` out)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    # Built from the domain's dataclasses; their properties (the rates) are read too.
    model_config = ConfigDict(from_attributes=True)


class SlaRowPublic(_Out):
    key: str = Field(description="matter code, department code, or ALL")
    name: str
    cases: int = Field(description="cases submitted in the period (department: review tasks)")
    accepted: int
    not_accepted: int
    ended: int = Field(description="withdrawn or terminated (department: tasks cancelled)")
    concluded: int = Field(description="decided: granted or refused (department: decided)")
    open: int
    open_not_due: int = Field(description="open and not past the promised due date")
    on_time: int = Field(description="concluded on or before the promised due date")
    early: int = Field(description="concluded before the promised due date")
    overdue: int = Field(description="concluded after the promised due date, or open past it")
    breached: int = Field(description="the same against the statutory due date")
    settled: int = Field(description="on_time + overdue: the denominator of the rates")
    on_time_rate: float | None
    early_rate: float | None
    overdue_rate: float | None
    avg_working_days: float | None = Field(
        description="cases: acceptance → conclusion, paused working days excluded; "
        "departments: assignment → decision"
    )
    compression: float | None = Field(description="(Σ statutory − Σ promised) / Σ statutory")
    promised_days: int | None = Field(description="the matter's promised limit (matter rows)")
    online: int
    online_rate: float | None
    immediate: int
    immediate_share: float | None
    materials: float | None = Field(description="materials the catalog lists for the matter")
    rated: int
    bad_ratings: int
    followed_up: int = Field(description="bad ratings whose follow-up was resolved")
    satisfaction: float | None
    follow_up_rate: float | None
    corrections: int = Field(description="corrections departments asked for during review")
    corrections_per_case: float | None = Field(description="per accepted case (department: task)")
    correction_notices: int = Field(description="correction notices of the window (Art. 32)")


class SlaReportPublic(_Out):
    as_of: date = Field(description="the day open cases were judged on (Asia/Shanghai)")
    start: date | None
    end: date | None
    matter: str | None
    department: str | None = Field(description="set when the report is one department's own")
    matters: list[SlaRowPublic]
    departments: list[SlaRowPublic]
    total: SlaRowPublic | None
    not_measured: list[str] = Field(description="measures the read model cannot give yet")


class StepPublic(_Out):
    key: str
    label: str
    kind: str = Field(
        description="acceptance | applicant (to correct) | review | pause | decision | issuance"
    )
    start: date
    end: date | None = Field(description="null while the step runs")
    due: date | None = Field(description="the step's limit")
    hard_due: date | None = Field(description="the statutory limit (decision)")
    working_days: int = Field(description="working days used, paused ones excluded")
    paused_days: int
    margin_days: int | None = Field(description="working days to spare (negative: over)")
    status: str = Field(description="early | on_time | overdue | breach | running | …")


class MarkerPublic(_Out):
    kind: str
    on: date
    label: str


class TimelinePublic(_Out):
    case_id: str
    matter_code: str
    status: str
    outcome: str | None
    as_of: date
    statutory_due: date | None
    promised_due: date | None
    steps: list[StepPublic]
    markers: list[MarkerPublic]
