"""Synthetic cases for the scale benchmark: rows as the services would have written them.

Half the cases are open (in review, dates spread around today: on time, yellow, red, a few
statutory breaches, some paused, some tasks idle past the stalled threshold) and half concluded
(granted or refused over the year so far). Each case carries its event log; `bench.scale_audit`
chains those events into the audit log. Pure: no I/O; a seeded `random.Random` makes runs
comparable.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bench import scale_events as ev
from domain.calendar import WorkingCalendar
from domain.case_clocks import CHINA, local_date
from domain.catalog import Catalog, Matter
from workflows.models import ClockView

# Restaurants and fire design reviews are the everyday matters; fire reviews three of the four,
# so its inbox is the busy one.
MATTER_MIX = {
    "RESTAURANT-OPENING": 40,
    "FIRE-DESIGN-REVIEW": 25,
    "IND-CONSTRUCTION": 20,
    "OUTDOOR-AD": 15,
}
ORCHESTRATOR = "lianban-orchestrator"
PAUSE_KINDS = ("inspection", "testing", "expert_review", "hearing", "appraisal")
FIRST_DAY = date(2026, 1, 5)  # the first working Monday of the year the closed cases span
TITLES = ("新建厂房项目", "老街面馆", "精密零件生产线", "社区便利店", "楼顶广告牌", "中央厨房")
NAMES = ("华创科技有限公司", "张伟", "李娜", "宏远制造有限公司", "王芳", "海川餐饮管理有限公司")


@dataclass(frozen=True)
class World:
    """What every case is generated against: the catalog, the calendar and 'now'."""

    catalog: Catalog
    cal: WorkingCalendar
    now: datetime
    yellow_days: int = 1

    @property
    def today(self) -> date:
        return local_date(self.now)

    @property
    def workday(self) -> date:
        """The last working day up to today: open cases were accepted on working days."""
        day = self.today
        return day if self.cal.is_working_day(day) else self.cal.previous_working_day(day)


@dataclass(frozen=True)
class Pause:
    kind: str
    notice_ref: str
    started_on: date
    ended_on: date | None
    expected_days: int | None
    days: int  # working days not counted (so far, while it runs)


@dataclass
class Event:
    event_id: str
    event_type: str
    occurred_at: datetime
    producer: str
    data: dict[str, Any]


@dataclass
class CaseRows:
    """One case: its `cases` row, tasks, events in order, and rows of other tables by name."""

    case: dict[str, Any]
    tasks: list[dict[str, Any]]
    events: list[Event]
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def new_uuid(rng: random.Random) -> str:
    """A random (version 4) UUID from the seeded generator, formatted by hand: `uuid.UUID`
    costs more than the rest of an event on a small machine."""
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def instant(day: date, rng: random.Random, start: int = 9, end: int = 17) -> datetime:
    """A moment during office hours of a local day, as UTC."""
    moment = time(rng.randint(start, end - 1), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, moment, tzinfo=CHINA).astimezone(UTC)


class CaseBuilder:
    """One case being built; the open and closed stories in `bench.scale_story` drive it."""

    def __init__(self, w: World, case_id: str, matter: Matter, rng: random.Random) -> None:
        self.w, self.case_id, self.matter, self.rng = w, case_id, matter, rng
        self.events: list[Event] = []
        self.tasks: list[dict[str, Any]] = []
        self.extra: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.row: dict[str, Any] = {}

    def emit(self, event_type: str, at: datetime, data: dict[str, Any], producer: str = "") -> str:
        event_id = new_uuid(self.rng)
        self.events.append(Event(event_id, event_type, at, producer or ORCHESTRATOR, data))
        return event_id

    def submit(self, accepted_on: date) -> datetime:
        """The case row as intake writes it, and the submission event."""
        rng, m = self.rng, self.matter
        citizen = rng.random() < 0.3
        optional = [x.code for x in m.materials if not x.essential]
        missing = [rng.choice(optional)] if optional and rng.random() < 0.1 else []
        at = instant(accepted_on, rng)
        self.row = {
            "case_id": self.case_id,
            "query_code": f"{rng.randint(0, 999_999):06d}",
            "matter_code": m.code,
            "title": rng.choice(TITLES),
            "applicant_kind": "citizen" if citizen else "enterprise",
            "applicant_name": rng.choice(NAMES),
            "applicant_id_number": f"1101011990{rng.randint(0, 99_999_999):08d}"
            if citizen
            else None,
            "applicant_phone": f"13{rng.randint(0, 999_999_999):09d}",
            "applicant_ref": None,
            "channel": "online" if rng.random() < 0.7 else "window",
            "materials": [
                {
                    "code": x.code,
                    "name": None,
                    "ref": f"oss://lianban/{self.case_id}/{x.code}.pdf",
                    # As `MaterialRef.model_dump` writes them (scale_events checks the shapes).
                    "sha256": None,
                    "library_id": None,
                }
                for x in m.materials
                if x.code not in missing
            ],
            "missing_materials": missing,
            "submitted_at": at,
        }
        producer = "lianban-api" if self.row["channel"] == "online" else "window-desk"
        self.emit("ApplicationSubmitted", at, ev.submitted(self.row), producer)
        return at

    def accept(self, accepted_on: date, at: datetime, view: ClockView) -> None:
        assert view.promised_due and view.statutory_due
        self.row |= {
            "accepted_at": at,
            "statutory_due": view.statutory_due,
            "promised_due": view.promised_due,
            "provisional": False,
            "extension_days": 0,
            "warning_level": view.warnings[-1][0] if view.warnings else "none",
            "paused": view.paused,
            "clock": view.model_dump(mode="json"),
        }
        self.emit("CaseAccepted", at, ev.accepted(self.row, self.matter, accepted_on))
        for d in self.matter.departments:
            task = self._task(d.code, list(d.checks), d.opinion_only, at, view)
            self.tasks.append(task)
            self.emit("ReviewTaskAssigned", task["assigned_at"], ev.task_assigned(task, self.row))

    def _task(
        self, dept: str, checks: list[str], opinion_only: bool, at: datetime, view: ClockView
    ) -> dict[str, Any]:
        """The task row as `publish_review_task` writes it, a moment after acceptance."""
        assigned = at + timedelta(seconds=2)
        return {
            "task_id": f"{self.case_id}.{dept}",
            "case_id": self.case_id,
            "department": dept,
            "status": "open",
            "checks": checks,
            "opinion_only": opinion_only,
            "outcome": None,
            "reasons": [],
            "conditions": [],
            "reviewer": None,
            "assigned_at": assigned,
            "decided_at": None,
            "due_date": view.promised_due,
            "last_activity_at": assigned,
            "case_warning_level": self.row["warning_level"],  # as activities/clocks.py keeps it
            "case_title": self.row["title"],
        }

    def pause_events(self, pause: Pause | None) -> None:
        if pause is None:
            return
        by = f"{self.matter.departments[0].code}-reviewer"
        start = instant(pause.started_on, self.rng)
        self.emit("ClockPaused", start, ev.paused(pause, by, self.row))
        if pause.ended_on is not None:
            end = instant(pause.ended_on, self.rng)
            self.emit("ClockResumed", max(end, start), ev.resumed(pause, by, self.row))

    def warning_events(self, view: ClockView) -> None:
        for level, due_at in view.warnings:
            fired = due_at + timedelta(seconds=self.rng.randint(1, 90))
            self.emit("CaseWarningRaised", fired, ev.warning(level, due_at, fired, self.row))

    def decide(self, task: dict[str, Any], day: date, outcome: str) -> datetime:
        """The department's decision: the task row, the decisions row and the event."""
        at = max(instant(day, self.rng), task["assigned_at"] + timedelta(minutes=5))
        at = min(at, self.w.now - timedelta(minutes=1))
        reasons = (
            ["材料不符合要求 materials do not meet the standard"] if outcome == "reject" else []
        )
        conditions = ["按图施工 build as approved"] if outcome == "approve_with_conditions" else []
        reviewer = f"{task['department']}-reviewer-{self.rng.randint(1, 12)}"
        task |= {
            "status": "decided",
            "outcome": outcome,
            "reasons": reasons,
            "conditions": conditions,
            "reviewer": reviewer,
            "decided_at": at,
            "last_activity_at": at,
        }
        decision_id = new_uuid(self.rng)
        self.extra["decisions"].append(
            {
                "case_id": self.case_id,
                "department": task["department"],
                "event_id": decision_id,
                "outcome": outcome,
                "reasons": reasons,
                "conditions": conditions,
                "reviewer": reviewer,
                "source": "kafka",
                "received_at": at,
            }
        )
        self.emit("DepartmentDecided", at, ev.decided(task, decision_id))
        return at

    def rows(self, status: str) -> CaseRows:
        self.events.sort(key=lambda e: e.occurred_at)
        self.row |= {
            "status": status,
            "outcome": self.row.get("outcome"),
            "reasons": self.row.get("reasons", []),
            "conditions": self.row.get("conditions", []),
            "concluded_at": self.row.get("concluded_at"),
            "licence_number": self.row.get("licence_number"),
            "traceparent": None,
            "updated_at": self.events[-1].occurred_at,
        }
        return CaseRows(self.row, self.tasks, self.events, dict(self.extra))
