"""An in-memory unit of work (`services.unit_of_work.UnitOfWork`) and a Temporal stand-in, so
the decision and intake use cases' rules run in unit tests without a database or a server.

What it keeps is what the use cases read and write: cases, tasks, decisions, the outbox (what
is waiting to go and when each row was last sent) and submissions. A unit of work left without
`commit` leaves the state as it found it, as a rolled-back transaction does.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace, TracebackType
from typing import Any, Self, cast

from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.calendar_source import load_builtin
from domain.case_status import CaseStatus
from domain.catalog import load_catalog
from events.contracts import ApplicationSubmitted, DepartmentDecided
from events.envelope import Envelope
from infra.bootstrap import Deps
from infra.settings import Settings
from services.unit_of_work import Decided, Resend
from services.window.intake import NewSubmission
from store.cases import CASE_WORKFLOW


@dataclass
class OutboxRow:
    event_type: str
    key: str
    data: dict[str, Any]
    sent_at: datetime | None = None  # None: waiting for the relay


@dataclass
class State:
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    decisions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    submissions: dict[str, str] = field(default_factory=dict)  # case -> first event id
    # Cases whose submission the library refuses in a batch (`store_submissions` leaves them)
    refused: set[str] = field(default_factory=set)
    commits: int = 0

    def add_case(self, case_id: str, departments: Iterable[str], **more: Any) -> None:
        """An accepted `CaseWorkflow` case of IND-CONSTRUCTION with each task open."""
        self.cases[case_id] = {
            "case_id": case_id,
            "matter_code": "IND-CONSTRUCTION",
            "status": CaseStatus.in_review,
            "traceparent": None,
            "workflow_type": CASE_WORKFLOW,
            "materials": [],
            **more,
        }
        for dept in departments:
            self.tasks[f"{case_id}.{dept}"] = {"status": "open", "department": dept}

    def sent_all(self, at: datetime) -> None:
        """The relay published everything waiting, at `at`."""
        for row in self.outbox:
            row.sent_at = row.sent_at or at

    def waiting(self, event_type: str) -> list[OutboxRow]:
        return [r for r in self.outbox if r.event_type == event_type and r.sent_at is None]


class FakeRecords:
    def __init__(self, state: State) -> None:
        self.st = state

    async def case(self, case_id: str) -> dict[str, Any] | None:
        found = self.st.cases.get(case_id)
        return dict(found) if found else None

    async def cases(self, case_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        return {c: dict(self.st.cases[c]) for c in case_ids if c in self.st.cases}

    async def decision(self, case_id: str, department: str) -> dict[str, Any] | None:
        found = self.st.decisions.get((case_id, department))
        return dict(found) if found else None

    async def task(self, task_id: str) -> dict[str, Any] | None:
        found = self.st.tasks.get(task_id)
        return dict(found) if found else None

    async def decided(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return {k for k in keys if k in self.st.decisions}

    async def add_decisions(self, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        new = set()
        for row in rows:
            key = (row["case_id"], row["department"])
            if key not in self.st.decisions:
                self.st.decisions[key] = {**row, "delivered_at": None}
                new.add(key)
        return new

    async def decide_open_tasks(self, topic: str, decided: Sequence[Decided]) -> set[str]:
        done = set()
        for d in decided:
            task_id = f"{d.case_id}.{d.signal.department}"
            task = self.st.tasks.get(task_id)
            if task is None or task["status"] != "open":
                continue
            task.update(status="decided", outcome=d.signal.outcome.value)
            data = {"department": d.signal.department, "decision_event_id": d.signal.event_id}
            self.st.outbox.append(OutboxRow(DepartmentDecided.EVENT_TYPE, d.case_id, data))
            done.add(task_id)
        return done

    async def resend(self, what: Resend) -> int:
        again = [
            r
            for r in self.st.outbox
            if r.key in what.keys
            and r.event_type in set(what.event_types)
            and all(r.data.get(k) == v for k, v in what.data.items())
            and r.sent_at is not None
            and (what.sent_before is None or r.sent_at < what.sent_before)
        ]
        for row in again:
            row.sent_at = None
        return len(again)

    async def mark_delivered(
        self, delivered: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        for case_id, dept, event_id in delivered:
            row = self.st.decisions.get((case_id, dept))
            if row is not None and row["event_id"] == event_id and row["delivered_at"] is None:
                row["delivered_at"] = now

    async def decided_event_written(self, case_id: str, department: str) -> bool:
        return any(
            r.key == case_id
            and r.event_type == DepartmentDecided.EVENT_TYPE
            and r.data["department"] == department
            for r in self.st.outbox
        )

    async def store_submission(
        self, deps: Deps, envelope: Envelope, sub: ApplicationSubmitted, query_code: str
    ) -> bool:
        if envelope.case_id in self.st.cases:
            return False
        self.st.cases[envelope.case_id] = {
            "case_id": envelope.case_id,
            "matter_code": sub.matter_code,
            "status": CaseStatus.submitted,
            "traceparent": envelope.traceparent,
            "workflow_type": CASE_WORKFLOW,
            "materials": [{"code": m.code} for m in sub.materials],
        }
        self.st.submissions[envelope.case_id] = str(envelope.event_id)
        return True

    async def submission_event_id(self, case_id: str) -> str | None:
        return self.st.submissions.get(case_id)

    async def store_submissions(self, deps: Deps, new: Sequence[NewSubmission]) -> set[str]:
        stored = set()
        for n in new:
            if n.envelope.case_id in self.st.refused:
                continue
            if await self.store_submission(deps, n.envelope, n.sub, n.query_code):
                stored.add(n.envelope.case_id)
        return stored

    async def submission_event_ids(self, case_ids: Collection[str]) -> dict[str, str]:
        return {c: self.st.submissions[c] for c in case_ids if c in self.st.submissions}


class FakeUnitOfWork:
    """One unit of work on `state`: its changes stay only if it commits."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.records = FakeRecords(state)
        self._before: State | None = None

    async def __aenter__(self) -> Self:
        self._before = copy.deepcopy(self.state)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._before is not None:  # not committed: as it was
            for f in dataclasses.fields(State):
                if f.name != "commits":
                    setattr(self.state, f.name, getattr(self._before, f.name))

    async def commit(self) -> None:
        self._before = None
        self.state.commits += 1


@dataclass
class FakeTemporal:
    """What the use cases call on a Temporal client: signals and workflow starts, recorded.
    `down`: every call raises it (Temporal away)."""

    signals: list[tuple[str, Any]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    down: Exception | None = None

    def get_workflow_handle(self, workflow_id: str) -> _Handle:
        return _Handle(self, workflow_id)

    async def start_workflow(self, _run: Any, _inp: Any, *, id: str, **_: Any) -> None:
        if self.down is not None:
            raise self.down
        if id in self.started:
            raise WorkflowAlreadyStartedError(id, "CaseWorkflow")
        self.started.append(id)


@dataclass
class _Handle:
    temporal: FakeTemporal
    workflow_id: str

    async def signal(self, _signal: Any, arg: Any, **_: Any) -> None:
        if self.temporal.down is not None:
            raise self.temporal.down
        self.temporal.signals.append((self.workflow_id, arg))


def fake_deps(state: State, temporal: FakeTemporal, **settings: Any) -> Deps:
    """Deps whose use cases write to `state` and signal `temporal`; no engine behind them."""
    return Deps(
        Settings(**settings),
        # No database: an engine that names no dialect, so the key cache never listens.
        engine=cast("Any", SimpleNamespace(dialect=SimpleNamespace(name="none"))),
        sessions=cast("Any", None),
        catalog=load_catalog(),
        calendar=load_builtin,  # the shipped calendar: the intake gives each case its years
        temporal=cast("Any", temporal),
        unit_of_work=lambda: FakeUnitOfWork(state),
    )
