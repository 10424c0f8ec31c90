"""One case's steps against their limits, for an auditor checking "every step against its time
limit" and for the Gantt chart. Pure: rows in, a :class:`Timeline` out.

Steps and the limit each is held to:

* acceptance: receipt → the window's first answer (acceptance, refusal, or a correction
  notice); Art. 32, 5 working days. After a notice, the applicant's time to correct follows;
* review, one per department: assignment → decision; the task's due date (the promised due);
* special procedures (Art. 45): start → end; the expected working days told to the applicant;
* corrections a department asked for: request → task reopened (the applicant's time, no limit);
* decision: acceptance → conclusion; promised due, and the statutory due as the hard limit;
* issuance: decision → licence issued; Art. 44, 10 working days.

Status of a step: ``early`` (ended before its due day), ``on_time`` (on it), ``overdue`` (ended,
or still running, after it), ``breach`` (after the hard limit), ``running`` (still within it),
``no_limit``, ``cancelled`` (a review ended by a withdrawal or termination).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import WorkingCalendar
from domain.case_clocks import local_date
from domain.clocks import ISSUANCE_LIMIT, correction_notice_deadline
from domain.timeline_model import Marker, Step, Timeline, make_step
from events.contracts import (
    CaseNotAccepted,
    CaseWarningRaised,
    ClockPaused,
    ClockResumed,
    CorrectionRequested,
    DepartmentRequestedCorrections,
    ExtensionGranted,
    LicenceIssued,
    Payload,
    ReviewTaskReopened,
)

__all__ = ["Marker", "Step", "Timeline", "build_timeline", "make_step"]


def _when(row: Mapping[str, Any], column: str) -> date | None:
    value = row.get(column)
    return local_date(value) if isinstance(value, datetime) else None


def _first(
    events: Iterable[Mapping[str, Any]], event_type: type[Payload]
) -> Mapping[str, Any] | None:
    return next((e for e in events if e["event_type"] == event_type.EVENT_TYPE), None)


def _acceptance(case: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> date | None:
    refused = _first(events, CaseNotAccepted)
    return _when(case, "accepted_at") or (_when(refused, "occurred_at") if refused else None)


def _pre_review(
    case: Mapping[str, Any], events: Sequence[Mapping[str, Any]], cal: WorkingCalendar, today: date
) -> list[Step]:
    """Receipt → the window's first answer, held to Art. 32's 5 working days; after a
    correction notice, the applicant's time until acceptance (or refusal)."""
    received = _when(case, "submitted_at") or today
    answered = _acceptance(case, events)
    limit = (correction_notice_deadline(cal, received), None)
    notice = _first(events, CorrectionRequested)
    if notice is None:
        span = (received, answered)
        return [make_step("acceptance", "Acceptance", "acceptance", span, limit, cal, today)]
    noticed = date.fromisoformat(str(notice["data"]["requested_on"]))
    return [
        make_step(
            "acceptance", "Correction notice", "acceptance", (received, noticed), limit, cal, today
        ),
        make_step(
            "applicant:window",
            "Applicant corrects",
            "applicant",
            (noticed, answered),
            (None, None),
            cal,
            today,
        ),
    ]


def _applicant_rounds(
    events: Sequence[Mapping[str, Any]], cal: WorkingCalendar, today: date
) -> list[Step]:
    """Each department's request for corrections → the task reopened when they came."""
    rounds: list[tuple[str, date, date | None]] = []
    for e in events:
        kind, dept = e["event_type"], str(e["data"].get("department"))
        if kind == DepartmentRequestedCorrections.EVENT_TYPE:
            rounds.append((dept, local_date(e["occurred_at"]), None))
        elif kind == ReviewTaskReopened.EVENT_TYPE:
            # The department's oldest request still waiting is the one answered.
            i = next((i for i, r in enumerate(rounds) if r[0] == dept and r[2] is None), None)
            if i is not None:
                rounds[i] = (dept, rounds[i][1], local_date(e["occurred_at"]))
    return [
        make_step(
            f"applicant:{dept}:{n}",
            f"Applicant corrects for {dept}",
            "applicant",
            (asked, supplied),
            (None, None),
            cal,
            today,
        )
        for n, (dept, asked, supplied) in enumerate(rounds, 1)
    ]


def _reviews(
    tasks: Iterable[Mapping[str, Any]], ended: date | None, cal: WorkingCalendar, today: date
) -> list[Step]:
    steps = []
    for t in tasks:
        start = _when(t, "assigned_at") or today
        end = _when(t, "decided_at")
        cancelled = t.get("status") == "cancelled"
        step = make_step(
            f"review:{t['department']}",
            f"Review {t['department']}" + (" (opinion)" if t.get("opinion_only") else ""),
            "review",
            (start, ended if cancelled and end is None else end),
            (t.get("due_date"), None),
            cal,
            today,
        )
        steps.append(replace(step, status="cancelled") if cancelled else step)
    return steps


def _pauses(events: Sequence[Mapping[str, Any]], cal: WorkingCalendar, today: date) -> list[Step]:
    """Special procedures from ClockPaused / ClockResumed, matched by notice reference."""
    ends = {
        e["data"]["notice_ref"]: date.fromisoformat(e["data"]["ended_on"])
        for e in events
        if e["event_type"] == ClockResumed.EVENT_TYPE
    }
    steps = []
    for e in events:
        if e["event_type"] != ClockPaused.EVENT_TYPE:
            continue
        d = e["data"]
        start = date.fromisoformat(d["started_on"])
        # A pause holds both its first and last day: count from the day before it starts.
        eve = start - timedelta(days=1)
        expected = d.get("expected_days")
        due = cal.add_working_days(eve, expected) if expected else None
        stops = "" if d.get("stops_clock", True) else ", clock runs"
        label = f"{d['kind'].replace('_', ' ').capitalize()} {d['notice_ref']}{stops}"
        step = make_step(
            f"pause:{d['notice_ref']}",
            label,
            "pause",
            (eve, ends.get(d["notice_ref"])),
            (due, None),
            cal,
            today,
        )
        steps.append(replace(step, start=start))
    return steps


def _markers(events: Iterable[Mapping[str, Any]]) -> list[Marker]:
    out = []
    for e in events:
        d = e["data"]
        if e["event_type"] == CaseWarningRaised.EVENT_TYPE:
            out.append(Marker("warning", local_date(e["occurred_at"]), str(d["level"])))
        elif e["event_type"] == ExtensionGranted.EVENT_TYPE:
            label = f"ext. +{d['extension_days']} wd"
            out.append(Marker("extension", local_date(e["occurred_at"]), label))
    return out


def _closing(
    case: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    accepted: date,
    cal: WorkingCalendar,
    today: date,
) -> list[Step]:
    """The decision step, and issuance once a granted case has a decision."""
    decided = _when(case, "concluded_at") if case.get("outcome") else None
    dues = (case.get("promised_due"), case.get("statutory_due"))
    # The workflow's own count of paused working days (its ClockView), as the clock counts.
    clock = case.get("clock") or {}
    paused = int(clock.get("paused_days") or 0)
    ended = _when(case, "concluded_at") if not case.get("outcome") else None
    span = (accepted, decided or ended)
    decision = make_step("decision", "Decision", "decision", span, dues, cal, today, paused)
    # Withdrawn or terminated: the case ended without a decision.
    steps = [replace(decision, status="cancelled") if ended else decision]
    if decided is not None and case.get("outcome") == "granted":
        issued = _first(events, LicenceIssued)
        end = _when(issued, "occurred_at") if issued else None
        due = cal.add_working_days(decided, ISSUANCE_LIMIT)
        span = (decided, end)
        steps.append(make_step("issuance", "Issuance", "issuance", span, (due, None), cal, today))
    return steps


def build_timeline(
    case: Mapping[str, Any],
    tasks: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    cal: WorkingCalendar,
    today: date,
) -> Timeline:
    """The case's steps in process order, with warnings and extensions as markers.

    Args:
        case: The case row (submitted_at, accepted_at, concluded_at, outcome, due dates …).
        tasks: Its task rows (department, status, assigned_at, decided_at, due_date …).
        events: Its event log rows (event_type, occurred_at, data), oldest first.
        cal: The working calendar.
        today: Local date "now": running steps are measured up to it.
    """
    steps = _pre_review(case, events, cal, today)
    accepted = _acceptance(case, events)
    if case.get("accepted_at") is not None and accepted is not None:
        ended = _when(case, "concluded_at")
        steps += _reviews(tasks, ended, cal, today) + _pauses(events, cal, today)
        steps += _applicant_rounds(events, cal, today)
        steps += _closing(case, events, accepted, cal, today)
    return Timeline(
        case_id=str(case["case_id"]),
        matter_code=str(case["matter_code"]),
        status=str(case["status"]),
        outcome=case.get("outcome"),
        as_of=today,
        statutory_due=case.get("statutory_due"),
        promised_due=case.get("promised_due"),
        steps=tuple(steps),
        markers=tuple(_markers(events)),
    )
