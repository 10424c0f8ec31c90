"""The two stories of the scale benchmark's cases: still in review, and concluded.

Proportions are a busy service center's, not measured ones: most open cases inside their
promise, ~15% past it, ~3% past the statutory limit, ~11% with a special procedure, a quarter
of the open tasks untouched since assignment (the stalled list's `idle_task`).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from bench import scale_events as ev
from bench.scale_data import (
    FIRST_DAY,
    MATTER_MIX,
    PAUSE_KINDS,
    CaseBuilder,
    CaseRows,
    Pause,
    World,
)
from domain.case_clocks import start_of_day
from domain.catalog import Matter
from workflows.models import ClockView

RATINGS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
RATING_WEIGHTS = (60, 25, 9, 4, 2)


def clock_view(
    w: World, m: Matter, accepted_on: date, pause: Pause | None, as_of: date
) -> ClockView:
    """The clocks as the workflow would report them on `as_of`, warnings fired by then."""
    days = pause.days if pause else 0
    promised = w.cal.add_working_days(accepted_on, m.promised_days + days)
    statutory = w.cal.add_working_days(accepted_on, m.statutory_days + days)
    limits = (
        ("yellow", w.cal.subtract_working_days(promised, w.yellow_days)),
        ("red", promised + timedelta(days=1)),
        ("breach", statutory + timedelta(days=1)),
    )
    return ClockView(
        accepted_on=accepted_on,
        statutory_due=statutory,
        promised_due=promised,
        paused=bool(pause and pause.ended_on is None),
        paused_days=days,
        warnings=[(level, start_of_day(day)) for level, day in limits if as_of >= day],
    )


def _pause(w: World, rng: random.Random, accepted_on: date, last: date, may_run: bool) -> Any:
    """A special procedure for ~11% of cases; ~6% still running when the case is open."""
    span = w.cal.working_days_between(accepted_on, last)
    roll = rng.random()
    if span < 2 or roll >= 0.11:
        return None
    start = w.cal.add_working_days(accepted_on, rng.randint(1, span - 1))
    kind, expected = rng.choice(PAUSE_KINDS), rng.choice((None, 5, 10, 15))
    ref = f"{kind}-{rng.randint(1000, 9999)}"
    if may_run and roll < 0.06:
        return Pause(kind, ref, start, None, expected, w.cal.working_days_between(start, last))
    days = rng.randint(1, max(1, min(5, w.cal.working_days_between(start, last))))
    return Pause(kind, ref, start, w.cal.add_working_days(start, days), expected, days)


def _open_elapsed(m: Matter, rng: random.Random) -> int:
    """Working days since acceptance of an open case."""
    roll = rng.random()
    if roll < 0.03:
        return rng.randint(m.statutory_days + 1, m.statutory_days + 8)
    if roll < 0.18:
        return rng.randint(m.promised_days + 1, m.statutory_days)
    return rng.randint(0, m.promised_days)


def _pending(c: CaseBuilder, task: dict[str, Any]) -> None:
    """An undecided task: recently worked on (maybe claimed, commented) or idle since assigned."""
    rng, now = c.rng, c.w.now
    if rng.random() < 0.25:
        return  # untouched: last_activity_at stays the assignment instant
    at = max(task["assigned_at"], now - timedelta(hours=rng.uniform(0.5, 30)))
    task["last_activity_at"] = at
    if rng.random() < 0.5:
        who = f"{task['department']}-reviewer-{rng.randint(1, 12)}"
        c.extra["task_assignments"].append(
            {"task_id": task["task_id"], "assignee": who, "assigned_by": who, "assigned_at": at}
        )
        if rng.random() < 0.2:
            note = {"author": who, "text": "已联系申请人核实 called the applicant"}
            c.extra["task_comments"].append(
                {"task_id": task["task_id"], **note, "attachments": [], "created_at": at}
            )


def _follow_up(c: CaseBuilder) -> None:
    """An operator reminded the department of ~40% of the warned open cases."""
    level = c.row["warning_level"]
    if level == "none" or c.rng.random() >= 0.4:
        return
    at = c.w.now - timedelta(hours=c.rng.uniform(1, 20))
    row = {
        "case_id": c.case_id,
        "action": "remind",
        "actor": "ops-李",
        "role": "operator",
        "reason": "预警跟进 warning follow-up",
        "target": c.tasks[0]["department"],
        "result": "done",
        "warning_level": level,
        "created_at": at,
    }
    c.extra["operator_actions"].append(row)
    c.emit("OperatorActionRecorded", at, ev.operator_action(row), "lianban-operations")


def open_case(c: CaseBuilder) -> CaseRows:
    w, m, rng = c.w, c.matter, c.rng
    elapsed = _open_elapsed(m, rng)
    accepted_on = w.cal.subtract_working_days(w.workday, elapsed) if elapsed else w.workday
    pause = _pause(w, rng, accepted_on, w.workday, may_run=True)
    view = clock_view(w, m, accepted_on, pause, w.today)
    at = c.submit(accepted_on)
    c.accept(accepted_on, at + timedelta(minutes=rng.randint(1, 30)), view)
    c.pause_events(pause)
    c.warning_events(view)
    share = min(0.85, 0.15 + 0.5 * elapsed / m.promised_days)
    deciding = [t for t in c.tasks if rng.random() < share]
    if len(deciding) == len(c.tasks):
        deciding.pop(rng.randrange(len(deciding)))  # an open case waits for someone
    for task in c.tasks:
        if task in deciding:
            day = w.cal.add_working_days(accepted_on, rng.randint(0, elapsed))
            c.decide(task, min(day, w.workday), _open_outcome(rng))
        else:
            _pending(c, task)
    _follow_up(c)
    return c.rows("in_review")


def _open_outcome(rng: random.Random) -> str:
    return rng.choices(("approve", "approve_with_conditions", "reject"), (80, 17, 3))[0]


def _closed_elapsed(m: Matter, rng: random.Random) -> int:
    """Working days from acceptance to conclusion: mostly on time, some late, a few breached."""
    roll = rng.random()
    if roll < 0.02:
        return rng.randint(m.statutory_days + 1, m.statutory_days + 5)
    if roll < 0.12:
        return rng.randint(m.promised_days + 1, m.statutory_days)
    return rng.randint(1, m.promised_days)


def _conclude(c: CaseBuilder, refused: bool, last_decision: datetime) -> None:
    at = min(last_decision + timedelta(minutes=c.rng.randint(1, 60)), c.w.now)
    conditions = [x for t in c.tasks for x in t["conditions"]]
    reasons = [x for t in c.tasks if t["outcome"] == "reject" for x in t["reasons"]]
    c.row |= {
        "outcome": "refused" if refused else "granted",
        "reasons": reasons,
        "conditions": [] if refused else conditions,
        "concluded_at": at,
    }
    c.emit("CaseConcluded", at, ev.concluded(c.row))
    if not refused:
        number = f"XK-{c.case_id}"
        c.row["licence_number"] = number
        issued = at + timedelta(seconds=5)
        c.emit("LicenceIssued", issued, ev.licence(number, issued))


def _rate(c: CaseBuilder) -> None:
    """~30% of applicants rate the service; a bad rating opens a follow-up."""
    if c.rng.random() >= 0.3:
        return
    level = c.rng.choices(RATINGS, RATING_WEIGHTS)[0]
    at = c.row["concluded_at"] + timedelta(hours=c.rng.randint(1, 72))
    at = min(at, c.w.now)
    comment = "办事很快 quick" if level in RATINGS[:3] else "等了很久 took too long"
    c.extra["ratings"].append(
        {"case_id": c.case_id, "level": level, "comment": comment, "created_at": at}
    )
    c.emit("ServiceRated", at, ev.rated(level, comment), "lianban-api")
    if level in RATINGS[3:]:
        done = c.rng.random() < 0.6
        c.extra["follow_ups"].append(
            {
                "case_id": c.case_id,
                "kind": "bad_rating",
                "detail": comment,
                "status": "resolved" if done else "open",
                "created_at": at,
                "resolved_by": "ops-李" if done else None,
                "resolved_at": at + timedelta(hours=4) if done else None,
            }
        )


def closed_case(c: CaseBuilder) -> CaseRows:
    w, m, rng = c.w, c.matter, c.rng
    span = w.cal.working_days_between(FIRST_DAY, w.workday) - 20
    accepted_on = w.cal.add_working_days(FIRST_DAY, rng.randint(1, span))
    elapsed = _closed_elapsed(m, rng)
    pause = _pause(w, rng, accepted_on, w.cal.add_working_days(accepted_on, elapsed), may_run=False)
    concluded_on = w.cal.add_working_days(accepted_on, elapsed + (pause.days if pause else 0))
    concluded_on = min(concluded_on, w.workday)
    view = clock_view(w, m, accepted_on, pause, concluded_on)
    at = c.submit(accepted_on)
    c.accept(accepted_on, at + timedelta(minutes=rng.randint(1, 30)), view)
    c.pause_events(pause)
    c.warning_events(view)
    refused = rng.random() < 0.12
    rejecting = rng.choice([d.code for d in m.departments if not d.opinion_only])
    last = c.row["accepted_at"]
    for task in c.tasks:
        day = w.cal.add_working_days(accepted_on, rng.randint(0, elapsed))
        outcome = "reject" if refused and task["department"] == rejecting else _granted_outcome(rng)
        last = max(last, c.decide(task, min(day, concluded_on), outcome))
    _conclude(c, refused, last)
    _rate(c)
    return c.rows("concluded" if refused else "issued")


def _granted_outcome(rng: random.Random) -> str:
    return rng.choices(("approve", "approve_with_conditions"), (80, 20))[0]


def make_case(w: World, i: int, rng: random.Random) -> CaseRows:
    """Case number `i`: even ones are open, odd ones concluded."""
    code = rng.choices(list(MATTER_MIX), list(MATTER_MIX.values()))[0]
    matter = w.catalog.matter(code)
    assert matter is not None, f"{code} is not in the catalog"
    builder = CaseBuilder(w, f"LB-S{i:07d}", matter, rng)
    return open_case(builder) if i % 2 == 0 else closed_case(builder)


def payloads(case: CaseRows) -> list[tuple[str, dict[str, Any]]]:
    return [(e.event_type, e.data) for e in case.events]
