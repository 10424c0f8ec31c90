"""The unit of work the use cases write through: one transaction, its records, an explicit commit.

    async with unit_of_work(deps) as uow:
        case = await uow.records.case(case_id)
        ...
        await uow.commit()          # leaving without it rolls back

`Records` names what the decision and intake use cases read and write, in their words; the SQL
implementation (`SqlUnitOfWork`) does it with the `store` functions in one session and one
transaction. A unit test gives the use cases an in-memory one instead (`tests/utils/fake_uow.py`)
through `Deps.unit_of_work`, so their rules are tested without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, cast

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from activities.cases import decide_open_tasks, write_decision
from events.contracts import ApplicationSubmitted, DecisionSignature
from events.envelope import Envelope
from infra.bootstrap import Deps
from store import deliveries
from store.cases import (
    decided_keys,
    get_case,
    get_cases,
    get_decision,
    get_task,
    submission_event_id,
    submission_event_ids,
)
from store.db import insert_ignore
from store.outbox import resend_events
from store.schema import decisions
from workflows.models import DecisionSignal

if TYPE_CHECKING:  # the intake module writes through this one
    from services.window.intake import NewSubmission


@dataclass(frozen=True)
class Decided:
    """A final decision whose open task is decided, with its `DepartmentDecided`, at receipt."""

    case_id: str
    signal: DecisionSignal
    proof: DecisionSignature | None
    traceparent: str | None = None  # its event's trace: by default the current one


@dataclass(frozen=True)
class Resend:
    """Which sent events to publish again (`store.outbox.resend_events`): those of `keys` on
    `topic` of one of `event_types` whose data has these values, last published before
    `sent_before` (None: whenever). One case's, or a batch's."""

    topic: str
    keys: tuple[str, ...]
    event_types: tuple[str, ...]
    data: Mapping[str, Any]
    sent_before: datetime | None

    @classmethod
    def acknowledgement(
        cls, deps: Deps, keys: Iterable[str], event_types: Iterable[str], data: Mapping[str, Any]
    ) -> Resend:
        """The acknowledgement on case-events that a sender asks for again by re-sending:
        published again at most once per `ack_again_seconds` however many re-sends come."""
        sent_before = deps.settings.ack_again_before(datetime.now(UTC))
        return cls(deps.topics.case_events, tuple(keys), tuple(event_types), data, sent_before)


class Records(Protocol):
    """What the decision and intake use cases read and write inside one unit of work."""

    async def case(self, case_id: str) -> dict[str, Any] | None: ...

    async def cases(self, case_ids: Collection[str]) -> dict[str, dict[str, Any]]: ...

    async def decision(self, case_id: str, department: str) -> dict[str, Any] | None: ...

    async def task(self, task_id: str) -> dict[str, Any] | None: ...

    async def decided(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (case, department) have a decision recorded."""
        ...

    async def add_decisions(self, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        """Insert the decisions whose (case, department) has none yet; those inserted."""
        ...

    async def decide_open_tasks(self, topic: str, decided: Sequence[Decided]) -> set[str]:
        """Decide each one's task if it is open, writing its `DepartmentDecided` (case log,
        audit chain, outbox); the task ids decided."""
        ...

    async def resend(self, what: Resend) -> int:
        """Queue `what` to be published again; how many events."""
        ...

    async def mark_delivered(
        self, delivered: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        """(case, department, event id) each: the case has the decision (or has ended)."""
        ...

    async def decided_event_written(self, case_id: str, department: str) -> bool: ...

    async def store_submission(
        self, deps: Deps, envelope: Envelope, sub: ApplicationSubmitted, query_code: str
    ) -> bool: ...

    async def submission_event_id(self, case_id: str) -> str | None: ...

    async def store_submissions(self, deps: Deps, new: Sequence[NewSubmission]) -> set[str]:
        """Store these new cases (a batch), each as `store_submission` does; the case ids
        stored (not: one that exists, one the library refuses)."""
        ...

    async def submission_event_ids(self, case_ids: Collection[str]) -> dict[str, str]:
        """`submission_event_id` of each (absent: none logged)."""
        ...


class UnitOfWork(Protocol):
    records: Records

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


def unit_of_work(deps: Deps) -> UnitOfWork:
    """A new unit of work: `Deps.unit_of_work`'s (a test's fake) or one on the database."""
    if deps.unit_of_work is not None:
        return cast("UnitOfWork", deps.unit_of_work())
    return SqlUnitOfWork(deps)


class SqlRecords:
    """`Records` in one SQLAlchemy session (the unit of work's transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.queued = 0  # outbox rows written: the relay is woken once they are committed

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return await get_case(self.s, case_id)

    async def cases(self, case_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        return await get_cases(self.s, list(case_ids))

    async def decision(self, case_id: str, department: str) -> dict[str, Any] | None:
        return await get_decision(self.s, case_id, department)

    async def task(self, task_id: str) -> dict[str, Any] | None:
        return await get_task(self.s, task_id)

    async def decided(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return await decided_keys(self.s, keys)

    async def add_decisions(self, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
        if not rows:
            return set()
        dialect = self.s.get_bind().dialect.name
        if len(rows) == 1:  # the usual single decision: no RETURNING to build
            stmt = insert_ignore(dialect, decisions, "case_id", "department")
            result = await self.s.execute(stmt, dict(rows[0]))
            new = cast("CursorResult[Any]", result).rowcount
            return {(rows[0]["case_id"], rows[0]["department"])} if new else set()
        stmt = insert_ignore(dialect, decisions, "case_id", "department").returning(
            decisions.c.case_id, decisions.c.department
        )
        result = await self.s.execute(stmt, [dict(r) for r in rows])
        return {(r.case_id, r.department) for r in result}

    async def decide_open_tasks(self, topic: str, decided: Sequence[Decided]) -> set[str]:
        if len(decided) == 1:
            one = decided[0]
            written = await write_decision(
                self.s, topic, one.case_id, one.signal, one.proof, only_open=True
            )
            tasks = {f"{one.case_id}.{one.signal.department}"} if written else set()
        else:
            tasks = await decide_open_tasks(
                self.s, topic, [(d.case_id, d.signal, d.proof, d.traceparent) for d in decided]
            )
        self.queued += len(tasks)  # a `DepartmentDecided` each
        return tasks

    async def resend(self, what: Resend) -> int:
        again = await resend_events(
            self.s,
            topic=what.topic,
            keys=what.keys,
            event_types=what.event_types,
            data=what.data,
            sent_before=what.sent_before,
        )
        self.queued += again
        return again

    async def mark_delivered(
        self, delivered: Sequence[tuple[str, str, str]], now: datetime
    ) -> None:
        await deliveries.mark_all_delivered(self.s, delivered, now)

    async def decided_event_written(self, case_id: str, department: str) -> bool:
        return await deliveries.decided_event_written(self.s, case_id, department)

    async def store_submission(
        self, deps: Deps, envelope: Envelope, sub: ApplicationSubmitted, query_code: str
    ) -> bool:
        # Imported here: the intake module writes through this one.
        from services.window.intake import store_submission

        return await store_submission(self.s, deps, envelope, sub, query_code)

    async def submission_event_id(self, case_id: str) -> str | None:
        return await submission_event_id(self.s, case_id)

    async def store_submissions(self, deps: Deps, new: Sequence[NewSubmission]) -> set[str]:
        from services.window.intake import store_submissions  # as `store_submission`

        return await store_submissions(self.s, deps, new)

    async def submission_event_ids(self, case_ids: Collection[str]) -> dict[str, str]:
        return await submission_event_ids(self.s, case_ids)


class SqlUnitOfWork:
    """One session and one transaction; rolled back on leaving unless `commit` was called."""

    records: Records
    _records: SqlRecords

    def __init__(self, deps: Deps) -> None:
        self._sessions = deps.sessions
        self._notify_outbox = deps.notify_outbox
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.records = self._records = SqlRecords(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            await self._session.rollback()  # nothing when committed
        finally:
            await self._session.close()
            self._session = None

    async def commit(self) -> None:
        """Commit; then, if outbox rows were written, wake the relay in this process so it
        publishes them now rather than at its next poll (up to `relay_idle_seconds` later: a
        department waits for its `DepartmentDecided`). A relay elsewhere finds them anyway."""
        assert self._session is not None
        await self._session.commit()
        if self._records.queued:
            self._records.queued = 0
            self._notify_outbox()
