"""Submissions a fetch at a time (services/window/submission_batch.py) on the in-memory unit of
work: what the batch takes together, what it leaves to apply alone and in which order, and
that a case is stored and started once however often its submission comes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.case_status import CaseStatus
from events.contracts import ApplicationSubmitted, CaseAccepted, DecisionMade, DecisionOutcome
from events.registry import Decoded, make_envelope
from infra.bootstrap import Deps
from services.errors import DuplicateCase
from services.unit_of_work import unit_of_work
from services.window.intake import handle_submission
from services.window.submission_batch import apply_submissions
from tests.utils.fake_uow import FakeRecords, FakeTemporal, OutboxRow, State, fake_deps

ACK = CaseAccepted.EVENT_TYPE


def submitted(case_id: str, event_id: uuid.UUID | None = None) -> Decoded:
    sub = ApplicationSubmitted.model_validate(
        {
            "matter_code": "IND-CONSTRUCTION",
            "title": "t",
            "applicant": {"kind": "enterprise", "name": "A Ltd"},
            "materials": [{"code": "application-form"}],
        }
    )
    return Decoded(make_envelope(sub, case_id=case_id, producer="portal", event_id=event_id), sub)


async def apply_alone(deps: Deps, ev: Decoded) -> bool:
    assert isinstance(ev.payload, ApplicationSubmitted)
    return await handle_submission(deps, ev.envelope, ev.payload)


async def test_a_batch_stores_its_new_cases_together_and_leaves_the_rest_in_order() -> None:
    state, temporal = State(), FakeTemporal()
    deps = fake_deps(state, temporal, ack_again_seconds=10.0)
    # LB-API: stored by the API, its submission on the topic next (what the consumer sees
    # of every submission made online); its answer went out a minute ago.
    api = submitted("LB-API")
    assert isinstance(api.payload, ApplicationSubmitted)
    async with unit_of_work(deps) as uow:
        await uow.records.store_submission(deps, api.envelope, api.payload, "123456")
        await uow.commit()
    state.outbox.append(OutboxRow(ACK, "LB-API", {}, datetime.now(UTC) - timedelta(minutes=1)))
    # LB-OLD: stored by another event before the batch.
    old = submitted("LB-OLD")
    await apply_alone(deps, old)
    state.refused.add("LB-REF")  # the library refuses what LB-REF names
    commits, started = state.commits, list(temporal.started)
    a, b = submitted("LB-A"), submitted("LB-B")
    decision = DecisionMade(department="fire", outcome=DecisionOutcome.approve, reviewer="r")
    batch = [
        a,  # 0: new: together
        submitted("LB-OLD"),  # 1: another event for a stored case: alone (duplicate_case)
        b,  # 2: new: together
        a,  # 3: the same event again: alone, after 0 (applies once)
        submitted("LB-REF"),  # 4: refused by the library: alone, with its reason
        api,  # 5: the API's submission: together, started and answered again
        Decoded(make_envelope(decision, case_id="LB-A", producer="x"), decision),  # 6: alone
        submitted("LB-B"),  # 7: another event for a case of the batch: alone, after 2
    ]
    left = await apply_submissions(deps, batch)
    assert left == [1, 3, 4, 6, 7]
    assert state.commits == commits + 1  # the whole batch in one transaction
    assert set(state.cases) == {"LB-API", "LB-OLD", "LB-A", "LB-B"}
    assert state.cases["LB-A"]["status"] == CaseStatus.submitted
    assert state.submissions["LB-A"] == str(a.envelope.event_id)
    assert sorted(temporal.started) == sorted([*started, "LB-A", "LB-B", "LB-API"])
    assert len(state.waiting(ACK)) == 1  # the API case's answer, asked again once
    # What was left, alone and in order, as the consumer applies it.
    with pytest.raises(DuplicateCase):
        await apply_alone(deps, batch[1])
    assert await apply_alone(deps, batch[3]) is False  # no second case, no second start
    with pytest.raises(DuplicateCase):
        await apply_alone(deps, batch[7])
    assert temporal.started.count("LB-A") == 1 and temporal.started.count("LB-B") == 1
    assert state.submissions["LB-B"] == str(b.envelope.event_id)
    assert len(state.waiting(ACK)) == 1


async def test_a_batch_whose_workflows_cannot_start_is_started_when_tried_again() -> None:
    state, temporal = State(), FakeTemporal()
    deps = fake_deps(state, temporal)
    batch = [submitted("LB-1"), submitted("LB-2")]
    temporal.down = RPCError("away", RPCStatusCode.UNAVAILABLE, b"")
    with pytest.raises(RPCError):
        await apply_submissions(deps, batch)
    assert set(state.cases) == {"LB-1", "LB-2"} and not temporal.started  # stored, not started
    # The consumer tries the batch again: stored by these very events, so started now.
    temporal.down = None
    assert await apply_submissions(deps, batch) == []
    assert sorted(temporal.started) == ["LB-1", "LB-2"] and len(state.cases) == 2
    # And once more (a redelivery after a crash before the commit of the offsets): nothing new.
    assert await apply_submissions(deps, batch) == []
    assert sorted(temporal.started) == ["LB-1", "LB-2"] and len(state.cases) == 2


async def test_a_batch_that_fails_before_its_commit_stores_and_starts_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, temporal = State(), FakeTemporal()
    deps = fake_deps(state, temporal)
    store = FakeRecords.store_submissions

    async def store_then_fail(self: FakeRecords, deps: Deps, new: Any) -> set[str]:
        await store(self, deps, new)
        raise RuntimeError("a bug after the insert")

    monkeypatch.setattr(FakeRecords, "store_submissions", store_then_fail)
    with pytest.raises(RuntimeError):
        await apply_submissions(deps, [submitted("LB-1"), submitted("LB-2")])
    # Rolled back, and no workflow started for a case that is not stored: the consumer then
    # applies each record alone.
    assert not state.cases and not state.submissions and not temporal.started
