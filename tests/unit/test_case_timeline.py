"""A case's steps against their limits, worked out by hand across National Day 2026 (Oct 1–7
off, Sat Oct 10 a make-up working day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.case_timeline import Step, build_timeline

CAL = WorkingCalendar(load_builtin())
CST = timezone(timedelta(hours=8))
PROMISED, STATUTORY = date(2026, 11, 9), date(2026, 12, 24)


def at(day: str, hhmm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=CST).astimezone(UTC)


def event(event_type: str, when: datetime, **data: Any) -> dict[str, Any]:
    return {"event_type": event_type, "occurred_at": when, "data": data}


CASE: dict[str, Any] = {
    "case_id": "LB-1",
    "matter_code": "IND-CONSTRUCTION",
    "status": "issued",
    "outcome": "granted",
    "submitted_at": at("2026-09-28"),
    "accepted_at": at("2026-09-29"),
    "concluded_at": at("2026-11-12", "16:00"),
    "promised_due": PROMISED,
    "statutory_due": STATUTORY,
    "clock": {"paused_days": 8},
}


def task(dept: str, decided: datetime | None, status: str = "decided") -> dict[str, Any]:
    return {
        "department": dept,
        "status": status,
        "assigned_at": at("2026-09-29", "10:01"),
        "decided_at": decided,
        "due_date": PROMISED,
    }


TASKS = [task("env", at("2026-10-27")), task("fire", at("2026-11-12", "15:00"))]
EVENTS = [
    event(
        "ClockPaused",
        at("2026-10-15"),
        kind="expert_review",
        notice_ref="N-1",
        started_on="2026-10-15",
        expected_days=10,
    ),
    event("ClockResumed", at("2026-10-26"), notice_ref="N-1", ended_on="2026-10-26"),
    event("CaseWarningRaised", at("2026-11-06", "00:00"), level="yellow"),
    event("ExtensionGranted", at("2026-11-09", "15:00"), extension_days=15),
    event("LicenceIssued", at("2026-11-16")),
]


def steps(case: dict[str, Any] = CASE, tasks: Any = TASKS, events: Any = EVENTS) -> dict[str, Step]:
    timeline = build_timeline(case, tasks, events, CAL, date(2026, 11, 20))
    return {s.key: s for s in timeline.steps}


def test_acceptance_within_the_correction_notice_limit() -> None:
    s = steps()["acceptance"]
    # 5 working days after receipt on 9-28: 9-29, 9-30, 10-8, 10-9, Sat 10-10.
    assert (s.start, s.end, s.due) == (date(2026, 9, 28), date(2026, 9, 29), date(2026, 10, 10))
    assert (s.working_days, s.margin_days, s.status) == (1, 4, "early")


def test_each_review_against_its_due_date() -> None:
    env, fire = steps()["review:env"], steps()["review:fire"]
    # 9-30, 10-8, 10-9, 10-10, then 10-12 … 10-27: 16 working days; 9 to spare to 11-09.
    assert (env.working_days, env.margin_days, env.status) == (16, 9, "early")
    assert (fire.working_days, fire.margin_days, fire.status) == (28, -3, "overdue")


def test_a_pause_counts_both_its_days() -> None:
    p = steps()["pause:N-1"]
    # 10-15 … 10-26 holds 8 working days; 10 expected from 10-15 end on 10-28.
    assert (p.start, p.end, p.due) == (date(2026, 10, 15), date(2026, 10, 26), date(2026, 10, 28))
    assert (p.working_days, p.margin_days, p.status) == (8, 2, "early")


def test_decision_counts_without_pauses_and_issuance_has_its_own_clock() -> None:
    d, issue = steps()["decision"], steps()["issuance"]
    assert (d.working_days, d.paused_days, d.margin_days, d.status) == (20, 8, -3, "overdue")
    assert (d.due, d.hard_due) == (PROMISED, STATUTORY)
    # Art. 44: 10 working days from the decision on 11-12 is 11-26; issued on 11-16.
    assert (issue.due, issue.working_days, issue.margin_days) == (date(2026, 11, 26), 2, 8)


def test_order_and_markers() -> None:
    timeline = build_timeline(CASE, TASKS, EVENTS, CAL, date(2026, 11, 20))
    kinds = [s.kind for s in timeline.steps]
    assert kinds == ["acceptance", "review", "review", "pause", "decision", "issuance"]
    assert [(m.on, m.label) for m in timeline.markers] == [
        (date(2026, 11, 6), "yellow"),
        (date(2026, 11, 9), "ext. +15 wd"),
    ]


def test_a_running_case_turns_overdue_then_breaches() -> None:
    running = CASE | {"status": "in_review", "outcome": None, "concluded_at": None}
    open_tasks = [task("fire", None, status="open")]
    for today, status in (
        (date(2026, 11, 9), "running"),
        (date(2026, 11, 10), "overdue"),
        (date(2026, 12, 25), "breach"),
    ):
        t = build_timeline(running, open_tasks, [], CAL, today)
        decision = next(s for s in t.steps if s.key == "decision")
        assert (decision.end, decision.status) == (None, status)
    assert [s.key for s in t.steps] == ["acceptance", "review:fire", "decision"]


def test_not_accepted_and_withdrawn() -> None:
    refused = CASE | {"status": "not_accepted", "outcome": None, "accepted_at": None}
    t = build_timeline(refused, [], [event("CaseNotAccepted", at("2026-09-30"))], CAL, date.today())
    assert [(s.key, s.end) for s in t.steps] == [("acceptance", date(2026, 9, 30))]
    withdrawn = CASE | {"status": "withdrawn", "outcome": None, "concluded_at": at("2026-10-09")}
    got = steps(withdrawn, [task("fire", None, status="cancelled")], [])
    assert (got["review:fire"].status, got["review:fire"].end) == ("cancelled", date(2026, 10, 9))
    assert (got["decision"].status, got["decision"].end) == ("cancelled", date(2026, 10, 9))
    assert "issuance" not in got


def test_correction_notice_then_the_applicants_time() -> None:
    case = CASE | {"accepted_at": at("2026-10-12")}
    notice = event(
        "CorrectionRequested", at("2026-09-30"), requested_on="2026-09-30", items=["图纸"]
    )
    asked = event("DepartmentRequestedCorrections", at("2026-10-14"), department="fire")
    reopened = event("ReviewTaskReopened", at("2026-10-20"), department="fire")
    got = steps(case, TASKS, [notice, asked, reopened])
    # The notice went out on the 2nd of the 5 working days Art. 32 allows (9-29, 9-30).
    notice_step = got["acceptance"]
    assert (notice_step.label, notice_step.end, notice_step.working_days) == (
        "Correction notice",
        date(2026, 9, 30),
        2,
    )
    assert notice_step.status == "early"
    # Then the applicant's time, with no limit: 10-8, 10-9, Sat 10-10 and 10-12.
    window = got["applicant:window"]
    assert (window.start, window.end, window.working_days) == (
        date(2026, 9, 30),
        date(2026, 10, 12),
        4,
    )
    assert (window.kind, window.due, window.status) == ("applicant", None, "no_limit")
    fire = got["applicant:fire:1"]
    assert (fire.start, fire.end, fire.working_days) == (date(2026, 10, 14), date(2026, 10, 20), 4)
    still = steps(case, TASKS, [notice, asked])["applicant:fire:1"]
    assert (still.end, still.status) == (None, "no_limit")
