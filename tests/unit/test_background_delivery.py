"""The decisions consumer does not wait for a decision's signal to its case: recorded and
acknowledged, the decision is told in the background (`infra.background`), tried again while
Temporal is away, and a bounded number at once so that an absent Temporal holds the consumer
back. On the fake unit of work; a `Deps` without a `Background` keeps the waiting behaviour
(tests/unit/test_use_cases_fake_uow.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import REGISTRY
from temporalio.service import RPCError, RPCStatusCode

from events.contracts import DecisionMade, DecisionOutcome, DepartmentDecided
from events.registry import Decoded, make_envelope
from infra import metrics
from infra.background import Background
from infra.bootstrap import Deps
from services.departments.decision_batch import apply_decisions
from services.departments.decisions import apply_decision
from tests.utils.eventually import eventually
from tests.utils.fake_uow import FakeTemporal, State, fake_deps

DEPTS = ["nrp", "housing", "fire", "env", "cad"]
ACK = DepartmentDecided.EVENT_TYPE
AWAY = RPCError("away", RPCStatusCode.UNAVAILABLE, b"")


def approve(dept: str) -> DecisionMade:
    return DecisionMade(department=dept, outcome=DecisionOutcome.approve, reviewer="r1")


def decoded(case_id: str, d: DecisionMade) -> Decoded:
    return Decoded(make_envelope(d, case_id=case_id, producer="dept"), d)


def deps_with(state: State, temporal: FakeTemporal, limit: int = 8) -> Deps:
    made = fake_deps(state, temporal, require_signed_decisions=False)
    return dataclasses.replace(made, background=Background(limit))


@pytest.fixture
def state() -> State:
    made = State()
    made.add_case("LB-1", DEPTS)
    return made


async def _delivered(state: State) -> int:
    return sum(r["delivered_at"] is not None for r in state.decisions.values())


async def test_a_decision_from_kafka_is_acknowledged_before_its_case_is_told(
    state: State,
) -> None:
    temporal = FakeTemporal(down=AWAY)
    deps = deps_with(state, temporal)
    receipt = await apply_decision(deps, "LB-1", approve("fire"), event_id="e1", source="kafka")
    # Returned although Temporal is away: recorded and acknowledged, the signal under way.
    assert receipt.status == "accepted"
    assert len(state.waiting(ACK)) == 1
    assert state.decisions[("LB-1", "fire")]["delivered_at"] is None
    assert deps.background is not None and deps.background.pending == 1
    temporal.down = None  # back: the background attempt, tried again, gets through
    assert await eventually(lambda: _delivered(state), until=lambda n: n == 1, timeout=10)
    assert [s.event_id for _, s in temporal.signals] == ["e1"]
    assert await deps.background.drain(1.0) == 0


async def test_a_batch_is_told_in_the_background_and_tried_again(state: State) -> None:
    temporal = FakeTemporal(down=AWAY)
    deps = deps_with(state, temporal)
    left = await apply_decisions(deps, [decoded("LB-1", approve(d)) for d in ("fire", "env")])
    assert left == []  # no error reaches the consumer: it commits and goes on
    assert len(state.waiting(ACK)) == 2
    assert await _delivered(state) == 0
    temporal.down = None
    assert await eventually(lambda: _delivered(state), until=lambda n: n == 2, timeout=10)
    assert sorted(s.department for _, s in temporal.signals) == ["env", "fire"]
    assert deps.background is not None
    await eventually(lambda: _pending(deps), until=lambda n: n == 0, timeout=10)
    # Again: both decided already, so both are left to go alone and no task is started.
    again = await apply_decisions(deps, [decoded("LB-1", approve(d)) for d in ("fire", "env")])
    assert again == [0, 1] and deps.background.pending == 0


async def _pending(deps: Deps) -> int:
    assert deps.background is not None
    return deps.background.pending


@dataclass
class PartlyAway(FakeTemporal):
    """Temporal refusing the signals of the decisions of `away` (by department) only; every
    signal tried is in `tried`."""

    away: set[str] = field(default_factory=set)
    tried: list[str] = field(default_factory=list)

    def get_workflow_handle(self, workflow_id: str) -> Any:
        return _PartlyAwayHandle(self, workflow_id)


@dataclass
class _PartlyAwayHandle:
    temporal: PartlyAway
    workflow_id: str

    async def signal(self, _signal: Any, arg: Any, **_: Any) -> None:
        self.temporal.tried.append(arg.department)
        if arg.department in self.temporal.away:
            raise AWAY
        self.temporal.signals.append((self.workflow_id, arg))


async def test_a_retry_signals_only_the_decisions_not_yet_told(state: State) -> None:
    temporal = PartlyAway(away={"env"})
    deps = deps_with(state, temporal)
    left = await apply_decisions(deps, [decoded("LB-1", approve(d)) for d in ("fire", "env")])
    assert left == []
    # fire told and marked at the first attempt; env refused, tried again (0.2 s later)
    assert await eventually(
        lambda: _tried(temporal), until=lambda t: t.count("env") >= 2, timeout=10
    )
    assert state.decisions[("LB-1", "fire")]["delivered_at"] is not None
    assert state.decisions[("LB-1", "env")]["delivered_at"] is None
    temporal.away.clear()
    assert await eventually(lambda: _delivered(state), until=lambda n: n == 2, timeout=10)
    assert deps.background is not None
    await eventually(lambda: _pending(deps), until=lambda n: n == 0, timeout=10)
    # fire was signalled once: the attempts after the first were env's alone
    assert temporal.tried.count("fire") == 1
    assert [s.department for _, s in temporal.signals] == ["fire", "env"]


async def _tried(temporal: PartlyAway) -> list[str]:
    return list(temporal.tried)


async def test_an_api_decision_still_waits_for_its_case(state: State) -> None:
    temporal = FakeTemporal(down=AWAY)
    deps = deps_with(state, temporal)
    with pytest.raises(RPCError):
        await apply_decision(deps, "LB-1", approve("fire"), event_id="e1", source="api")
    assert deps.background is not None and deps.background.pending == 0


async def test_at_most_the_limit_is_under_way_and_the_rest_wait() -> None:
    background = Background(2)
    release = asyncio.Event()
    done: list[int] = []

    def work(i: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await release.wait()
            done.append(i)

        return run

    await background.start(work(1), "w1")
    await background.start(work(2), "w2")
    third = asyncio.create_task(background.start(work(3), "w3"))
    await asyncio.sleep(0.05)  # let the third try for a slot: there is none
    assert not third.done() and background.pending == 2
    release.set()
    await third
    assert await background.drain(5.0) == 0
    assert sorted(done) == [1, 2, 3]


async def test_drain_cancels_what_outlives_it_and_a_failure_frees_its_slot() -> None:
    background = Background(1)

    async def fails() -> None:
        raise ValueError("a bug")

    async def forever() -> None:
        await asyncio.Event().wait()

    await background.start(fails, "fails")
    await background.start(forever, "forever")  # the failure's slot was freed
    assert await background.drain(0.1) == 1
    assert background.pending == 0


def _gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


async def test_the_pending_gauge_follows_work_started_and_finished() -> None:
    assert metrics.enabled()
    background = Background(3)
    assert _gauge("lianban_background_limit") == 3
    assert _gauge("lianban_background_pending") == 0
    release = asyncio.Event()

    async def waits() -> None:
        await release.wait()

    async def fails() -> None:
        raise ValueError("a bug")

    await background.start(waits, "w1")
    await background.start(waits, "w2")
    assert _gauge("lianban_background_pending") == 2
    await background.start(fails, "fails")  # a failure is finished work too
    await eventually(lambda: _pending_gauge(), until=lambda n: n == 2, timeout=5)
    release.set()
    await eventually(lambda: _pending_gauge(), until=lambda n: n == 0, timeout=5)
    await background.start(waits, "w3")  # released already: done at once
    assert await background.drain(5.0) == 0
    assert _gauge("lianban_background_pending") == 0


async def _pending_gauge() -> float | None:
    return _gauge("lianban_background_pending")
