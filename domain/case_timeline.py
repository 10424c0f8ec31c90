"""One case's steps against their limits, for an auditor checking "every step against its time
limit" (domain.md) and for the Gantt chart. Pure: rows in, a :class:`Timeline` out.

Steps and the limit each is held to:

* acceptance: receipt → acceptance (or refusal to accept); Art. 32, 5 working days;
* review, one per department: assignment → decision; the task's due date (the promised due);
* special procedures (Art. 45): start → end; the expected working days told to the applicant;
* decision: acceptance → conclusion; promised due, and the statutory due as the hard limit;
* issuance: decision → licence issued; Art. 44, 10 working days.

Status of a step: ``early`` (ended before its due day), ``on_time`` (on it), ``overdue`` (ended,
or still running, after it), ``breach`` (after the hard limit), ``running`` (still within it),
``no_limit``, ``cancelled`` (a review ended by a withdrawal or termination).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from domain.calendar import WorkingCalendar
from domain.case_clocks import local_date
from domain.clocks import ISSUANCE_LIMIT, correction_notice_deadline

StepKind = Literal["acceptance", "review", "pause", "decision", "issuance"]
Status = Literal["early", "on_time", "overdue", "breach", "running", "no_limit", "cancelled"]


@dataclass(frozen=True)
class Step:
    """One step; ``end`` is None while it runs. ``margin_days``: working days from the end
    (or today) to the due day: positive to spare, negative over."""

    key: str
    label: str
    kind: StepKind
    start: date
    end: date | None
    due: date | None
    hard_due: date | None
    working_days: int
    margin_days: int | None
    status: Status
    paused_days: int = 0  # decision: working days in clock-stopping pauses, not counted


@dataclass(frozen=True)
class Marker:
    """Something that happened on a day: a warning, an extension granted."""

    kind: str  # warning | extension
    on: date
    label: str  # the warning's level (yellow, red, breach), or "ext. +15 wd"


@dataclass(frozen=True)
class Timeline:
    case_id: str
    matter_code: str
    status: str
    outcome: str | None
    as_of: date
    statutory_due: date | None
    promised_due: date | None
    steps: tuple[Step, ...]
    markers: tuple[Marker, ...]


def _status(end: date | None, due: date | None, hard: date | None, today: date) -> Status:
    if due is None:
        return "no_limit"
    last = end if end is not None else today
    if hard is not None and last > hard:
        return "breach"
    if last > due:
        return "overdue"
    if end is None:
        return "running"
    return "early" if end < due else "on_time"


def make_step(
    key: str,
    label: str,
    kind: StepKind,
    span: tuple[date, date | None],
    due: tuple[date | None, date | None],
    cal: WorkingCalendar,
    today: date,
    paused: int = 0,
) -> Step:
    """A step from its (start, end) and (due, hard due), measured in working days in
    (start, end]: the start day is day 0, as the law counts (``paused`` of them not counted)."""
    start, end = span
    last = end if end is not None else today
    margin = cal.working_days_between(last, due[0]) if due[0] is not None else None
    return Step(
        key=key,
        label=label,
        kind=kind,
        start=start,
        end=end,
        due=due[0],
        hard_due=due[1],
        working_days=max(0, cal.working_days_between(start, last) - paused),
        paused_days=paused,
        margin_days=margin,
        status=_status(end, due[0], due[1], today),
    )


def _when(row: Mapping[str, Any], column: str) -> date | None:
    value = row.get(column)
    return local_date(value) if isinstance(value, datetime) else None


def _first(events: Iterable[Mapping[str, Any]], event_type: str) -> Mapping[str, Any] | None:
    return next((e for e in events if e["event_type"] == event_type), None)


def _acceptance(case: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> date | None:
    refused = _first(events, "CaseNotAccepted")
    return _when(case, "accepted_at") or (_when(refused, "occurred_at") if refused else None)


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
        if e["event_type"] == "ClockResumed"
    }
    steps = []
    for e in events:
        if e["event_type"] != "ClockPaused":
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
        if e["event_type"] == "CaseWarningRaised":
            out.append(Marker("warning", local_date(e["occurred_at"]), str(d["level"])))
        elif e["event_type"] == "ExtensionGranted":
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
        issued = _first(events, "LicenceIssued")
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
    received = _when(case, "submitted_at") or today
    accepted = _acceptance(case, events)
    limit = correction_notice_deadline(cal, received)
    steps = [
        make_step(
            "acceptance",
            "Acceptance",
            "acceptance",
            (received, accepted),
            (limit, None),
            cal,
            today,
        )
    ]
    if case.get("accepted_at") is not None and accepted is not None:
        ended = _when(case, "concluded_at")
        steps += _reviews(tasks, ended, cal, today) + _pauses(events, cal, today)
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
