"""Pre-review and the merge rule: pure functions over the catalog and the decisions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog import Matter
from events.contracts import CaseOutcome, DecisionOutcome

APPEAL_RIGHTS = (
    "如不服本决定，可自收到之日起六十日内申请行政复议，或者六个月内提起行政诉讼。"
    " You may apply for administrative reconsideration within 60 days or file an"
    " administrative lawsuit within 6 months of receiving this decision."
)


class PreReview(BaseModel):
    model_config = ConfigDict(frozen=True)

    accepted: bool
    tolerant: bool = False
    missing_optional: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)


def prereview(matter: Matter | None, matter_code: str, material_codes: list[str]) -> PreReview:
    """Unknown matter or a missing essential material: not accepted, with the reason.

    Missing non-essential materials: accepted under tolerant acceptance (容缺受理), listed.
    """
    if matter is None:
        return PreReview(accepted=False, reasons=[f"unknown matter {matter_code!r}"])
    have = set(material_codes)
    missing_essential = [m for m in matter.materials if m.essential and m.code not in have]
    if missing_essential:
        return PreReview(
            accepted=False,
            reasons=[f"missing essential material: {m.code} ({m.name})" for m in missing_essential],
        )
    missing_optional = [m.code for m in matter.materials if not m.essential and m.code not in have]
    return PreReview(
        accepted=True, tolerant=bool(missing_optional), missing_optional=missing_optional
    )


class Verdict(BaseModel):
    """One department's final decision on its review task."""

    model_config = ConfigDict(frozen=True)

    department: str
    outcome: DecisionOutcome
    reasons: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    reviewer: str = ""
    opinion_only: bool = False


class MergeResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: CaseOutcome
    reasons: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    opinions: list[str] = Field(default_factory=list)


def merge(verdicts: list[Verdict]) -> MergeResult:
    """Default rule: every deciding department approves -> granted; any rejection -> refused.

    Reasons of every rejecting department are kept (the applicant must hear all of them at
    once); conditions are collected from every approval with conditions; an opinion-only
    department's rejection becomes an opinion, not a refusal.
    """
    deciding = [v for v in verdicts if not v.opinion_only]
    if not deciding:
        raise ValueError("merge needs at least one deciding department")
    if any(v.outcome is DecisionOutcome.request_corrections for v in deciding):
        raise ValueError("a correction request is not a final verdict")
    rejected = [v for v in deciding if v.outcome is DecisionOutcome.reject]
    conditions = [f"[{v.department}] {c}" for v in verdicts for c in v.conditions]
    opinions = [f"[{v.department}] {r}" for v in verdicts if v.opinion_only for r in v.reasons]
    if rejected:
        reasons = [f"[{v.department}] {r}" for v in rejected for r in v.reasons]
        return MergeResult(outcome=CaseOutcome.refused, reasons=reasons, opinions=opinions)
    return MergeResult(outcome=CaseOutcome.granted, conditions=conditions, opinions=opinions)
