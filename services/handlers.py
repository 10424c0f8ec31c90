"""The routing table: each incoming event type and the use case that applies it.

Both ways an event comes in use it: the Kafka consumers (`entrypoints.consumers`) and the
re-drive of a dead letter (`services.operators.redrive`), so a re-driven event is applied by
exactly the code that would have applied it the first time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from events.contracts import ApplicationSubmitted, DecisionMade, Payload
from events.registry import Decoded, inbound
from infra.bootstrap import Deps
from services.departments.decision_batch import apply_decisions
from services.departments.decisions import apply_decision
from services.departments.signatures import check_signature
from services.errors import UnexpectedEvent
from services.window.intake import handle_submission
from services.window.submission_batch import apply_submissions

Handler = Callable[[Deps, Decoded], Awaitable[object]]
# Applies the events of one fetch together; returns the indexes left to apply one at a time.
BatchHandler = Callable[[Deps, Sequence[Decoded]], Awaitable[list[int]]]


async def submitted(deps: Deps, ev: Decoded) -> object:
    """A portal or window submission: store the case and start its workflow."""
    assert isinstance(ev.payload, ApplicationSubmitted)
    return await handle_submission(deps, ev.envelope, ev.payload)


async def decided(deps: Deps, ev: Decoded) -> object:
    """A department's decision from its own system, signed with the department's key."""
    assert isinstance(ev.payload, DecisionMade)
    signed = await check_signature(deps, ev, ev.payload.department)
    return await apply_decision(
        deps,
        ev.envelope.case_id,
        ev.payload,
        event_id=ev.envelope.event_id,
        source="kafka",
        decided_at=ev.envelope.occurred_at,
        traceparent=ev.envelope.traceparent,
        signed=signed,
    )


# One a type the consumers read (`events.registry.inbound`; a unit test checks they agree).
HANDLERS: dict[type[Payload], Handler] = {
    ApplicationSubmitted: submitted,
    DecisionMade: decided,
}


# The types whose consumer applies a fetch in one transaction (`Handler` for what is left).
BATCH_HANDLERS: dict[type[Payload], BatchHandler] = {
    ApplicationSubmitted: apply_submissions,
    DecisionMade: apply_decisions,
}


def batch_handler_for_topic(deps: Deps, topic: str) -> BatchHandler | None:
    expected = topic_events(deps).get(topic)
    return BATCH_HANDLERS.get(expected) if expected is not None else None


def handler_for_topic(deps: Deps, topic: str) -> Handler | None:
    """The handler of the one event type a topic carries (None: nothing comes in on it)."""
    expected = topic_events(deps).get(topic)
    if expected is None:
        return None
    name = topic.rsplit(".", 1)[-1]

    async def handle(deps: Deps, ev: Decoded) -> object:
        if not isinstance(ev.payload, expected):
            raise UnexpectedEvent(f"{ev.envelope.event_type} does not belong on the {name} topic")
        return await HANDLERS[expected](deps, ev)

    return handle


def topic_events(deps: Deps) -> dict[str, type[Payload]]:
    """Which event type each incoming topic carries (`Payload.INBOUND`), by its full name."""
    return {deps.topics.name(topic): cls for topic, cls in inbound().items()}
