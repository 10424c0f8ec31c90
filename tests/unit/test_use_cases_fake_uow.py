"""The decision and intake use cases' rules, on the in-memory unit of work (no database, no
Temporal server): what is written, committed, signalled and acknowledged again, and when."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.case_status import CaseStatus
from events.contracts import (
    ApplicationSubmitted,
    CaseAccepted,
    DecisionMade,
    DecisionOutcome,
    DepartmentDecided,
)
from events.envelope import Envelope
from events.registry import Decoded, make_envelope
from infra.bootstrap import Deps
from services.departments.decision_batch import apply_decisions
from services.departments.decisions import DecisionReceipt, apply_decision
from services.errors import (
    CaseClosed,
    ConflictingDecision,
    DuplicateCase,
    UnknownCase,
    UnknownDepartment,
)
from services.window.intake import handle_submission
from tests.utils.fake_uow import FakeTemporal, OutboxRow, State, fake_deps

DEPTS = ["nrp", "housing", "fire", "env", "cad"]
ACK = DepartmentDecided.EVENT_TYPE
World = tuple[State, FakeTemporal]


def approve(dept: str = "fire") -> DecisionMade:
    return DecisionMade(department=dept, outcome=DecisionOutcome.approve, reviewer="r1")


async def decide(
    deps: Deps, case_id: str, d: DecisionMade, event_id: str | None = None
) -> DecisionReceipt:
    return await apply_decision(
        deps, case_id, d, event_id=event_id or str(uuid.uuid4()), source="kafka"
    )


@pytest.fixture
def world() -> tuple[State, FakeTemporal]:
    state = State()
    state.add_case("LB-1", DEPTS)
    return state, FakeTemporal()


async def test_a_decision_is_recorded_acknowledged_and_delivered(
    world: tuple[State, FakeTemporal],
) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal)
    receipt = await decide(deps, "LB-1", approve(), "e1")
    assert receipt.status == "accepted"
    row = state.decisions[("LB-1", "fire")]
    assert row["event_id"] == "e1" and row["delivered_at"] is not None
    assert state.tasks["LB-1.fire"]["status"] == "decided"
    assert [r.data for r in state.waiting(ACK)] == [
        {"department": "fire", "decision_event_id": "e1"}
    ]
    [(case_id, signal)] = temporal.signals
    assert case_id == "LB-1" and signal.event_id == "e1" and signal.recorded
    assert state.commits == 2  # the decision with its acknowledgement; then its delivery


async def test_a_repeat_is_applied_once_and_acknowledged_again_once_per_interval(
    world: tuple[State, FakeTemporal],
) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal, ack_again_seconds=10.0)
    await decide(deps, "LB-1", approve(), "e1")
    again = await decide(deps, "LB-1", approve(), "e1-resent")
    assert (again.status, again.event_id) == ("duplicate", "e1")
    assert len(temporal.signals) == 1  # delivered already: not signalled again
    assert len(state.waiting(ACK)) == 1  # not sent yet: nothing to queue again
    state.sent_all(datetime.now(UTC) - timedelta(seconds=11))  # published a while ago
    for _ in range(3):  # a burst of re-sends: one acknowledgement again
        await decide(deps, "LB-1", approve(), "e1-resent")
    assert len(state.waiting(ACK)) == 1
    assert len(state.decisions) == 1 and state.tasks["LB-1.fire"]["status"] == "decided"


async def test_a_repeat_of_an_undelivered_decision_is_signalled_again(
    world: tuple[State, FakeTemporal],
) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal)
    temporal.down = RPCError("away", RPCStatusCode.UNAVAILABLE, b"")
    with pytest.raises(RPCError):
        await decide(deps, "LB-1", approve(), "e1")
    # Committed before the signal: acknowledged, undelivered (the sweeper's to deliver).
    assert state.decisions[("LB-1", "fire")]["delivered_at"] is None
    assert len(state.waiting(ACK)) == 1
    temporal.down = None
    receipt = await decide(deps, "LB-1", approve(), "e1")
    assert receipt.status == "duplicate"
    assert [s.event_id for _, s in temporal.signals] == ["e1"]
    assert state.decisions[("LB-1", "fire")]["delivered_at"] is not None


async def test_a_different_second_decision_is_refused_and_changes_nothing(
    world: tuple[State, FakeTemporal],
) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal)
    await decide(deps, "LB-1", approve(), "e1")
    before = (dict(state.decisions), len(state.outbox), state.commits)
    reject = DecisionMade(
        department="fire", outcome=DecisionOutcome.reject, reasons=["no"], reviewer="r1"
    )
    with pytest.raises(ConflictingDecision):
        await decide(deps, "LB-1", reject, "e2")
    assert (dict(state.decisions), len(state.outbox), state.commits) == before


async def test_unknown_case_and_department_are_refused(world: World) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal)
    with pytest.raises(UnknownCase):
        await decide(deps, "LB-404", approve())
    with pytest.raises(UnknownDepartment):
        await decide(deps, "LB-1", approve("customs"))
    assert not state.decisions and not temporal.signals and state.commits == 0


async def test_a_closed_case_takes_no_new_decision_but_acknowledges_its_own(
    world: tuple[State, FakeTemporal],
) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal, ack_again_seconds=10.0)
    await decide(deps, "LB-1", approve(), "e1")
    state.cases["LB-1"]["status"] = CaseStatus.concluded
    state.sent_all(datetime.now(UTC) - timedelta(seconds=60))
    receipt = await decide(deps, "LB-1", approve(), "e1")
    assert receipt.status == "duplicate" and len(state.waiting(ACK)) == 1
    with pytest.raises(CaseClosed):
        await decide(deps, "LB-1", approve("env"), "e3")
    assert ("LB-1", "env") not in state.decisions


async def test_corrections_are_signalled_not_recorded(world: World) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal)
    ask = DecisionMade(
        department="fire",
        outcome=DecisionOutcome.request_corrections,
        items=["plan"],
        reasons=["the plan is missing"],
        reviewer="r1",
    )
    receipt = await decide(deps, "LB-1", ask, "c1")
    assert receipt.status == "accepted" and not state.decisions and state.commits == 0
    assert [s.event_id for _, s in temporal.signals] == ["c1"]
    state.tasks["LB-1.fire"]["status"] = "corrections_requested"
    with pytest.raises(ConflictingDecision):
        await decide(deps, "LB-1", ask, "c2")


def submission(
    case_id: str, event_id: uuid.UUID | None = None
) -> tuple[Envelope, ApplicationSubmitted]:
    sub = ApplicationSubmitted.model_validate(
        {
            "matter_code": "IND-CONSTRUCTION",
            "title": "t",
            "applicant": {"kind": "enterprise", "name": "A Ltd"},
            "materials": [{"code": "application-form"}],
        }
    )
    return make_envelope(sub, case_id=case_id, producer="portal", event_id=event_id), sub


async def test_a_submission_stores_the_case_and_starts_it_once() -> None:
    state, temporal = State(), FakeTemporal()
    deps = fake_deps(state, temporal, ack_again_seconds=10.0)
    envelope, sub = submission("LB-2")
    assert await handle_submission(deps, envelope, sub) is True
    assert state.cases["LB-2"]["status"] == CaseStatus.submitted
    assert temporal.started == ["LB-2"]
    # The same submission again (a portal's re-send): no second case; its answer again, once.
    state.outbox.append(
        OutboxRow(CaseAccepted.EVENT_TYPE, "LB-2", {}, datetime.now(UTC) - timedelta(minutes=1))
    )
    assert await handle_submission(deps, envelope, sub) is False
    assert await handle_submission(deps, envelope, sub) is False
    assert len(state.waiting(CaseAccepted.EVENT_TYPE)) == 1
    assert temporal.started == ["LB-2"] and len(state.cases) == 1


async def test_another_submission_for_a_case_number_is_refused() -> None:
    state, temporal = State(), FakeTemporal()
    deps = fake_deps(state, temporal)
    envelope, sub = submission("LB-3")
    await handle_submission(deps, envelope, sub)
    commits = state.commits
    other, _ = submission("LB-3", uuid.uuid4())
    with pytest.raises(DuplicateCase):
        await handle_submission(deps, other, sub)
    assert state.commits == commits and state.submissions["LB-3"] == str(envelope.event_id)


def decoded(case_id: str, d: DecisionMade) -> Decoded:
    return Decoded(make_envelope(d, case_id=case_id, producer="dept"), d)


async def test_a_batch_records_its_plain_decisions_together_and_leaves_the_rest_in_order(
    world: World,
) -> None:
    state, temporal = world
    state.add_case("LB-2", DEPTS)
    state.add_case("LB-3", DEPTS)
    deps = fake_deps(state, temporal, require_signed_decisions=False)
    await decide(deps, "LB-3", approve("nrp"), "before")  # LB-3/nrp decided before the batch
    commits = state.commits
    batch = [
        decoded("LB-1", approve("fire")),  # 0: together
        decoded("LB-2", approve("fire")),  # 1: together
        decoded("LB-404", approve("fire")),  # 2: no such case: refused alone, cuts nothing
        decoded("LB-1", approve("env")),  # 3: together
        decoded("LB-3", approve("nrp")),  # 4: decided before: alone, and LB-3 from here on
        decoded("LB-3", approve("fire")),  # 5: alone, after 4 (as one at a time)
        decoded("LB-2", approve("cad")),  # 6: named twice: alone...
        decoded("LB-2", approve("cad")),  # 7: ...both, in order
    ]
    left = await apply_decisions(deps, batch)
    assert left == [2, 4, 5, 6, 7]
    assert state.commits == commits + 2  # one for the batch, one marking it delivered
    assert {k for k in state.decisions} == {
        ("LB-3", "nrp"),
        ("LB-1", "fire"),
        ("LB-2", "fire"),
        ("LB-1", "env"),
    }
    assert all(r["delivered_at"] is not None for r in state.decisions.values())
    assert len(state.waiting(ACK)) == 4
    assert len(temporal.signals) == 4


async def test_a_batch_that_cannot_be_told_stays_recorded_for_the_sweeper(world: World) -> None:
    state, temporal = world
    deps = fake_deps(state, temporal, require_signed_decisions=False)
    temporal.down = RPCError("away", RPCStatusCode.UNAVAILABLE, b"")
    with pytest.raises(RPCError):
        await apply_decisions(deps, [decoded("LB-1", approve(d)) for d in ("fire", "env")])
    assert [r["delivered_at"] for r in state.decisions.values()] == [None, None]
    assert len(state.waiting(ACK)) == 2
    # The consumer tries the batch again: both are decided already, so both go alone.
    temporal.down = None
    left = await apply_decisions(deps, [decoded("LB-1", approve(d)) for d in ("fire", "env")])
    assert left == [0, 1]
