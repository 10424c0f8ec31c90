"""`replay`: a case's state at any moment, folded from its audit entries, with its timeline
and each step measured against its limit as it stood then."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic_core import to_jsonable_python

from domain.audit import AuditEntry
from domain.audit_fold import CaseState, fold
from domain.audit_timeline import TimelineLine, timeline
from domain.calendar import working_calendar
from domain.case_clocks import CHINA, local_date
from domain.case_timeline import Timeline, build_timeline
from infra.bootstrap import Deps
from store import audit as store


@dataclass(frozen=True)
class Replay:
    case_id: str
    at: datetime | None
    state: CaseState
    lines: list[TimelineLine]
    steps: Timeline | None
    entries: list[AuditEntry]  # every entry of the case (not only those up to `at`)
    matter_name: str | None = None  # the catalog's name of the case's matter


def parse_at(text: str) -> datetime:
    """A moment to replay to: ISO date-time (no zone: Asia/Shanghai) or a date (its end).

    Raises:
        ValueError: Not an ISO date or date-time.
    """
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.max, tzinfo=CHINA)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def _steps(
    deps: Deps, state: CaseState, entries: list[AuditEntry], at: datetime | None
) -> Timeline | None:
    """The case's steps against their limits, computed from the audit record alone."""
    if state.matter_code is None:
        return None
    matter = deps.catalog.matter(state.matter_code)
    opinion = {d.code for d in matter.departments if d.opinion_only} if matter else set()
    tasks = [{**t, "opinion_only": t["department"] in opinion} for t in state.task_rows()]
    events = [
        {"event_type": e.event_type, "occurred_at": e.occurred_at, "data": e.data}
        for e in entries
        if at is None or e.occurred_at <= at
    ]
    today = local_date(at or datetime.now(UTC))
    cal = working_calendar(deps.calendar())
    return build_timeline(state.case_row(), tasks, events, cal, today)


async def load_entries(deps: Deps, case_id: str) -> list[AuditEntry]:
    """The case's entries; LookupError when it has none."""
    async with deps.sessions() as s:
        entries = await store.case_entries(s, case_id)
    if not entries:
        raise LookupError(f"no audit record of case {case_id!r}")
    return entries


async def replay(deps: Deps, case_id: str, at: datetime | None = None) -> Replay:
    """Fold the case's entries up to `at` (all when None).

    Raises:
        LookupError: The case has no audit entry.
    """
    entries = await load_entries(deps, case_id)
    state = fold(case_id, entries, at, known_years=frozenset(deps.calendar().years))
    steps = _steps(deps, state, entries, at)
    matter = deps.catalog.matter(state.matter_code) if state.matter_code else None
    name = matter.name if matter else None
    return Replay(case_id, at, state, timeline(entries, at), steps, entries, name)


def state_document(state: CaseState) -> dict[str, Any]:
    doc = asdict(state)
    doc["decided"] = state.decided
    doc["clocks"].pop("open_pauses", None)
    doc.pop("known_years", None)
    result: dict[str, Any] = to_jsonable_python(doc)
    return result


def replay_document(r: Replay) -> dict[str, Any]:
    """The replay as JSON-ready data: the state, the timeline and the steps."""
    return {
        "case_id": r.case_id,
        "at": r.at.isoformat() if r.at else None,
        "state": state_document(r.state),
        "timeline": to_jsonable_python([asdict(line) for line in r.lines]),
        "steps": to_jsonable_python(asdict(r.steps)) if r.steps else None,
    }
