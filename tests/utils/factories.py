"""Builders for test inputs: realistic submissions and decisions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.catalog import Catalog
from events.contracts import (
    Applicant,
    ApplicantKind,
    ApplicationSubmitted,
    DecisionOutcome,
    MaterialRef,
)
from events.envelope import Envelope
from events.registry import make_envelope
from workflows.models import DecisionSignal, JointApprovalInput


def new_case_id() -> str:
    return f"LB-T{uuid.uuid4().hex[:10].upper()}"


def submission(
    catalog: Catalog, matter_code: str, *, case_id: str | None = None, drop: tuple[str, ...] = ()
) -> tuple[Envelope, ApplicationSubmitted]:
    matter = catalog.matter(matter_code)
    codes = [m.code for m in matter.materials] if matter else ["application-form"]
    payload = ApplicationSubmitted(
        matter_code=matter_code,
        title="高新区智能装备产业园一期 Smart equipment park phase 1",
        applicant=Applicant(
            kind=ApplicantKind.enterprise,
            name="星河智造有限公司",
            id_number="110101199003077774",
            phone="13800138000",
        ),
        materials=[
            MaterialRef(code=c, ref=f"oss://materials/{c}.pdf") for c in codes if c not in drop
        ],
    )
    env = make_envelope(payload, case_id=case_id or new_case_id(), producer="tests")
    return env, payload


def workflow_input(env: Envelope, sub: ApplicationSubmitted) -> JointApprovalInput:
    return JointApprovalInput(
        case_id=env.case_id,
        matter_code=sub.matter_code,
        title=sub.title,
        material_codes=[m.code for m in sub.materials],
        received_at=env.occurred_at,
    )


def decision(
    department: str,
    outcome: DecisionOutcome = DecisionOutcome.approve,
    *,
    reasons: list[str] | None = None,
    conditions: list[str] | None = None,
    event_id: str | None = None,
) -> DecisionSignal:
    return DecisionSignal(
        event_id=event_id or str(uuid.uuid4()),
        department=department,
        outcome=outcome,
        reasons=reasons or [],
        conditions=conditions or [],
        reviewer=f"{department}-reviewer",
        decided_at=datetime.now(UTC),
    )
