"""Realistic case events for the audit benchmark, built from the real payload models: a
restaurant case (submission → acceptance → four reviews → granted → licence, 12 events), and
a long one padded with pauses, operator actions and reads of personal data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from events.contracts import (
    Applicant,
    ApplicantKind,
    ApplicationSubmitted,
    CaseAccepted,
    CaseConcluded,
    CaseOutcome,
    CaseWarningRaised,
    ClockPaused,
    ClockResumed,
    DecisionOutcome,
    DepartmentDecided,
    LicenceIssued,
    MaterialRef,
    OperatorActionRecorded,
    Payload,
    PersonalDataAccessed,
    ReviewTaskAssigned,
)
from events.envelope import Envelope
from events.registry import make_envelope

DEPARTMENTS = ["samr", "fire", "env", "health"]
MATERIALS = ["application-form", "business-licence", "premises-lease", "floor-plan"]
ORCHESTRATOR = "lianban-orchestrator"


class Clock:
    """Event times one minute apart, so a replay `--at` has something to cut."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _env(case_id: str, payload: Payload, clock: Clock, producer: str = ORCHESTRATOR) -> Envelope:
    env = make_envelope(payload, case_id=case_id, producer=producer, event_id=uuid.uuid4())
    return env.model_copy(update={"occurred_at": clock.tick()})


def opening(case_id: str, clock: Clock) -> Iterator[Envelope]:
    sub = ApplicationSubmitted(
        matter_code="RESTAURANT-OPENING",
        title="老街面馆 Old street noodles",
        applicant=Applicant(
            kind=ApplicantKind.citizen, name="张伟", id_number="110101199003077774"
        ),
        materials=[MaterialRef(code=c, ref=f"oss://m/{c}.pdf") for c in MATERIALS],
        query_code="123456",
    )
    yield _env(case_id, sub, clock, producer="lianban-api")
    due = {"statutory_due": date(2026, 10, 27), "promised_due": date(2026, 10, 13)}
    accepted = CaseAccepted(
        matter_code="RESTAURANT-OPENING", departments=DEPARTMENTS, accepted_on=date(2026, 9, 29)
    )
    yield _env(case_id, accepted.model_copy(update=due), clock)
    for d in DEPARTMENTS:
        task = ReviewTaskAssigned(
            task_id=f"{case_id}.{d}",
            department=d,
            matter_code="RESTAURANT-OPENING",
            title="老街面馆",
            checks=["现场核查"],
            due_date=due["promised_due"],
        )
        yield _env(case_id, task, clock)


def closing(case_id: str, clock: Clock) -> Iterator[Envelope]:
    for d in DEPARTMENTS:
        decided = DepartmentDecided(
            department=d,
            outcome=DecisionOutcome.approve,
            reviewer=f"{d}-王工",
            decision_event_id=str(uuid.uuid4()),
        )
        yield _env(case_id, decided, clock)
    yield _env(case_id, CaseConcluded(outcome=CaseOutcome.granted), clock)
    issued = LicenceIssued(licence_number=f"XK-{case_id}", issued_at=datetime.now(UTC))
    yield _env(case_id, issued, clock)


def _padding(case_id: str, clock: Clock, i: int) -> Iterator[Envelope]:
    """Five events: a read of personal data, two operator actions, a pause and its end."""
    read = PersonalDataAccessed(actor="clerk-1", role="clerk", fields=["phone"], purpose="call")
    yield _env(case_id, read, clock, producer="lianban-api")
    for action in ("remind", "escalate"):
        act = OperatorActionRecorded(
            action=action, actor="ops-李", role="operator", reason="逾期", result="done"
        )
        yield _env(case_id, act, clock, producer="lianban-operations")
    ref = f"检测-{i}"
    started = ClockPaused(
        kind="testing", notice_ref=ref, started_on=date(2026, 10, 8), requested_by="fire-王工"
    )
    yield _env(case_id, started, clock)
    ended = ClockResumed(
        notice_ref=ref, ended_on=date(2026, 10, 9), paused_days=i + 1, requested_by="fire-王工"
    )
    yield _env(case_id, ended, clock)


def case_events(case_id: str, start: datetime, events: int = 12) -> list[Envelope]:
    """A granted restaurant case of about `events` events (at least 12)."""
    clock = Clock(start)
    out = list(opening(case_id, clock))
    if events > 12:
        extra = events - 13  # the 12 of every case and one warning
        for i in range(extra // 5):
            out += _padding(case_id, clock, i)
        for _ in range(extra % 5):
            read = PersonalDataAccessed(
                actor="clerk-2", role="clerk", fields=["id_number"], purpose="id"
            )
            out.append(_env(case_id, read, clock, producer="lianban-api"))
        warning = CaseWarningRaised(level="yellow", due_at=clock.now, fired_at=clock.now)
        out.append(_env(case_id, warning, clock))
    return out + list(closing(case_id, clock))
