"""PostgreSQL: a relay is woken by another process's commit that wrote outbox rows (a NOTIFY
from the outbox's trigger), not only by its own process's, so a department's acknowledgement
written by the consumers goes out at once rather than at the relay's next poll. Two `Deps`
stand for two processes: separate engines, separate in-process signals."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from entrypoints.devstack.postgres import postgres_database
from entrypoints.relay import LISTENER, OutboxRelay
from events.contracts import CaseConcluded, CaseOutcome
from events.envelope import Envelope
from events.registry import make_envelope
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from store import outbox as box
from store.records import enqueue_all
from store.schema import outbox
from tests.utils.eventually import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Deps, Deps]]:
    """The relay's process and a writer's, on one new PostgreSQL database (migrated)."""
    async with contextlib.AsyncExitStack() as scope:
        url = await scope.enter_async_context(postgres_database())
        made = []
        for _ in range(2):
            deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
            scope.push_async_callback(deps.close)
            made.append(deps)
        yield made[0], made[1]


async def _listening(deps: Deps) -> bool:
    async with deps.sessions() as s:
        found = await s.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
            {"n": LISTENER},
        )
    return bool(found.scalar_one())


async def _drain(deps: Deps) -> None:
    """Whatever set the relay's signal so far (its first connection does) is consumed."""
    while await deps.outbox.wait(0.2):
        pass


def _event(case_id: str) -> tuple[Envelope, str]:
    payload = CaseConcluded(outcome=CaseOutcome.granted)
    return make_envelope(payload, case_id=case_id, producer="tests"), "case-events"


async def test_another_process_writing_rows_wakes_the_relay(pair: tuple[Deps, Deps]) -> None:
    relay_deps, writer = pair
    # Apart from the writers, as in production; on PostgreSQL it needs no quick poll.
    relay = OutboxRelay(relay_deps, producer=None, writers_here=False)  # never publishes here
    assert relay.idle_seconds == relay_deps.settings.relay_idle_seconds == 1.0
    listener = relay._listener()
    assert listener is not None
    try:
        await eventually(lambda: _listening(relay_deps), timeout=10, what="relay listening")
        await _drain(relay_deps)

        async with writer.sessions() as s, s.begin():  # written, not yet committed
            await enqueue_all(s, [_event(f"LB-{uuid.uuid4().hex[:8]}")])
            assert not await relay_deps.outbox.wait(0.2), "woken before the commit"
        assert await relay_deps.outbox.wait(10), "the commit did not wake the relay"

        # A sent row put back to be sent again (an acknowledgement asked for again) too.
        async with writer.sessions() as s, s.begin():
            await s.execute(sa.update(outbox).values(sent_at=datetime.now(UTC)))
        await _drain(relay_deps)
        async with writer.sessions() as s, s.begin():
            assert await box.resend_since(s, datetime(2000, 1, 1, tzinfo=UTC)) == 1
        assert await relay_deps.outbox.wait(10), "a row sent again did not wake the relay"
    finally:
        await listener.close()
