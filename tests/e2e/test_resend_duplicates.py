"""Re-sends of a decision already applied do not multiply: its `DepartmentDecided` is published
again at most once per `LIANBAN_ACK_AGAIN_SECONDS`, however many copies come, even after the
case has concluded; a duplicate of a decision its case already has is not signalled again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from store.records import step_event_id
from store.schema import decisions, outbox
from tests.e2e.test_audit import concluded_case, http
from tests.stack import App
from tests.utils.eventually import eventually


async def _ack_row(app: App, case_id: str) -> Any:
    event_id = str(step_event_id(case_id, "decided/samr"))
    async with app.deps.sessions() as s:
        row = (await s.execute(sa.select(outbox).where(outbox.c.event_id == event_id))).one()
    return row


async def _send_again(app: App, case_id: str, times: int) -> None:
    async with http(app, "reviewer", "samr") as reviewer:
        for _ in range(times):
            r = await reviewer.post(f"/tasks/{case_id}.samr/decision", json={"outcome": "approve"})
            assert r.status_code == 202 and r.json()["status"] == "duplicate", r.text


async def test_duplicates_of_a_concluded_case_are_acknowledged_at_most_once_per_interval(
    app: App,
) -> None:
    case_id = await concluded_case(app)
    async with app.deps.sessions() as s:
        delivered = await s.scalar(
            sa.select(decisions.c.delivered_at).where(
                decisions.c.case_id == case_id, decisions.c.department == "samr"
            )
        )
    assert delivered is not None  # the case took it: a duplicate needs no signal
    first = await _ack_row(app, case_id)
    assert first.sent_at is not None and first.queued_at is None

    # Published moments ago (well within the interval): five re-sends publish nothing.
    await _send_again(app, case_id, 5)
    assert await _ack_row(app, case_id) == first

    # Last published longer ago than the interval: the next re-send queues it once, the rest
    # of the burst find it queued or just published.
    long_ago = datetime.now(UTC) - timedelta(seconds=app.settings.ack_again_seconds * 2)
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.update(outbox).where(outbox.c.id == first.id).values(sent_at=long_ago))
    asked = datetime.now(UTC)
    await _send_again(app, case_id, 5)

    async def published() -> Any:
        row = await _ack_row(app, case_id)
        return row if row.sent_at is not None and row.sent_at > long_ago else None

    again = await eventually(published, what="the acknowledgement published again")
    assert again.queued_at is not None and asked <= again.queued_at <= again.sent_at
    await _send_again(app, case_id, 3)  # it has just gone: not again
    assert (await _ack_row(app, case_id)).queued_at == again.queued_at
