"""Bad input over Kafka: each poison event is dead-lettered with its source and reason, and the
consumer keeps applying what comes after it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.kafka_util import (
    CONSTRUCTION_DEPTS,
    Produce,
    construction_submission,
    dead_letter_for,
    envelope,
    read_all,
    read_until,
)


def case_id() -> str:
    return f"BAD-{uuid.uuid4().hex[:10].upper()}"


async def started_case(app: Any, produce: Produce) -> str:
    cid = case_id()
    doc = envelope("ApplicationSubmitted", cid, construction_submission())
    await produce.event(app.settings.topics.submissions, doc)
    await read_until(
        app.settings.kafka_bootstrap,
        app.settings.topics.review_tasks,
        lambda d: d["case_id"] == cid and d["data"]["department"] == "cad",
    )
    return cid


async def expect_dead_letter(app: Any, source: tuple[str, int, int], error: str) -> dict[str, Any]:
    dl = await read_until(
        app.settings.kafka_bootstrap, app.settings.topics.dead_letters, dead_letter_for(source)
    )
    assert dl["event_type"] == "DeadLettered"
    assert dl["data"]["error"] == error, dl["data"]
    assert dl["data"]["detail"]
    return dl


@pytest.mark.parametrize(
    ("value", "error", "fragment"),
    [
        (b"{not json", "malformed_json", "not valid UTF-8 JSON"),
        (b"[1, 2]", "malformed_json", "must be a JSON object"),
        (b'{"event_type": "DecisionMade"}', "invalid_envelope", "schema_version"),
    ],
)
async def test_unparseable_decisions_are_dead_lettered(
    app: Any, value: bytes, error: str, fragment: str
) -> None:
    async with Produce(app.settings.kafka_bootstrap) as produce:
        source = await produce.raw(app.settings.topics.decisions, value, key="whatever")
    dl = await expect_dead_letter(app, source, error)
    assert fragment in dl["data"]["detail"]
    assert dl["data"]["raw"] == value.decode()


async def test_unknown_type_and_version_are_dead_lettered(app: Any) -> None:
    topic = app.settings.topics.decisions
    async with Produce(app.settings.kafka_bootstrap) as produce:
        unknown = await produce.event(topic, envelope("DecisionRevoked", case_id(), {}))
        future = envelope(
            "DecisionMade",
            case_id(),
            {"department": "fire", "outcome": "approve", "reviewer": "x"},
            schema_version=9,
        )
        newer = await produce.event(topic, future)
    await expect_dead_letter(app, unknown, "unknown_event_type")
    dl = await expect_dead_letter(app, newer, "unsupported_schema_version")
    assert "schema_version 9" in dl["data"]["detail"]


async def test_decision_for_unknown_case_or_department(app: Any) -> None:
    topic = app.settings.topics.decisions
    async with Produce(app.settings.kafka_bootstrap) as produce:
        cid = await started_case(app, produce)
        no_case = await produce.event(
            topic,
            envelope(
                "DecisionMade",
                case_id(),
                {"department": "fire", "outcome": "approve", "reviewer": "x"},
            ),
        )
        no_dept = await produce.event(
            topic,
            envelope(
                "DecisionMade", cid, {"department": "samr", "outcome": "approve", "reviewer": "x"}
            ),
        )
    await expect_dead_letter(app, no_case, "unknown_case")
    dl = await expect_dead_letter(app, no_dept, "unknown_department")
    assert dl["case_id"] == cid


async def test_conflicting_decision_refused_duplicate_ignored_and_consumer_goes_on(
    app: Any,
) -> None:
    topic = app.settings.topics.decisions
    bootstrap = app.settings.kafka_bootstrap
    async with Produce(bootstrap) as produce:
        cid = await started_case(app, produce)
        reject = envelope(
            "DecisionMade",
            cid,
            {
                "department": "fire",
                "outcome": "reject",
                "reasons": ["疏散宽度不足"],
                "reviewer": "fire-1",
            },
        )
        await produce.event(topic, reject)
        await produce.event(topic, reject)  # the same event redelivered
        conflicting = await produce.event(
            topic,
            envelope(
                "DecisionMade",
                cid,
                {"department": "fire", "outcome": "approve", "reviewer": "fire-2"},
            ),
        )
        await produce.raw(topic, b"\xff\xfe garbage", key=cid)  # poison in the middle
        for dept in CONSTRUCTION_DEPTS:
            if dept != "fire":
                await produce.event(
                    topic,
                    envelope(
                        "DecisionMade",
                        cid,
                        {"department": dept, "outcome": "approve", "reviewer": f"{dept}-1"},
                    ),
                )
    dl = await expect_dead_letter(app, conflicting, "conflicting_decision")
    assert "already decided" in dl["data"]["detail"]
    concluded = await read_until(
        bootstrap,
        app.settings.topics.case_events,
        lambda d: d["case_id"] == cid and d["event_type"] == "CaseConcluded",
    )
    assert concluded["data"]["outcome"] == "refused"
    assert concluded["data"]["reasons"] == ["[fire] 疏散宽度不足"]
    decided = await read_all(
        bootstrap,
        app.settings.topics.case_events,
        lambda d: d["case_id"] == cid and d["event_type"] == "DepartmentDecided",
    )
    # At least once on the topic (docs/contracts.md): a copy of an event has its event id;
    # one per department.
    by_event = {d["event_id"]: d["data"]["department"] for d in decided}
    assert sorted(by_event.values()) == sorted(CONSTRUCTION_DEPTS)


async def test_duplicate_submission_starts_one_case(app: Any) -> None:
    cid = case_id()
    doc = envelope("ApplicationSubmitted", cid, construction_submission())
    async with Produce(app.settings.kafka_bootstrap) as produce:
        await produce.event(app.settings.topics.submissions, doc)
        await produce.event(app.settings.topics.submissions, doc)  # redelivered
        # The same case number again under a new event id: still one case, and that second
        # submission is refused (dead letter duplicate_case, since the fault-suite issue).
        again = await produce.event(
            app.settings.topics.submissions, doc | {"event_id": str(uuid.uuid4())}
        )
    await read_until(
        app.settings.kafka_bootstrap,
        app.settings.topics.review_tasks,
        lambda d: d["case_id"] == cid and d["data"]["department"] == "cad",
    )
    accepted = await read_all(
        app.settings.kafka_bootstrap,
        app.settings.topics.case_events,
        lambda d: d["case_id"] == cid and d["event_type"] == "CaseAccepted",
    )
    assert len(accepted) == 1
    await expect_dead_letter(app, again, "duplicate_case")


async def test_a_second_submission_for_a_case_is_refused_and_changes_nothing(app: Any) -> None:
    from sqlalchemy import func, select

    from services.auditors.verify import verify_case
    from store.schema import case_events, dead_letters

    async with Produce(app.settings.kafka_bootstrap) as produce:
        cid = case_id()
        first = envelope("ApplicationSubmitted", cid, construction_submission())
        await produce.event(app.settings.topics.submissions, first)
        await read_until(
            app.settings.kafka_bootstrap,
            app.settings.topics.review_tasks,
            lambda d: d["case_id"] == cid and d["data"]["department"] == "cad",
        )

        async def logged() -> int:
            async with app.deps.sessions() as s:
                query = select(func.count()).where(case_events.c.case_id == cid)
                return int(await s.scalar(query) or 0)

        before = await logged()
        again = envelope("ApplicationSubmitted", cid, construction_submission())  # new event id
        dl = await expect_dead_letter(
            app, await produce.event(app.settings.topics.submissions, again), "duplicate_case"
        )
        assert first["event_id"] in dl["data"]["detail"]
        # The first submission re-sent as it was (a portal's retry) is not an error: nothing is
        # dead-lettered for it. The record after it, on the same partition, proves it was read.
        resent = await produce.event(app.settings.topics.submissions, first)
        later = envelope("ApplicationSubmitted", cid, construction_submission())
        await expect_dead_letter(
            app, await produce.event(app.settings.topics.submissions, later), "duplicate_case"
        )
    async with app.deps.sessions() as s:
        query = select(func.count()).where(
            dead_letters.c.source_topic == resent[0],
            dead_letters.c.partition == resent[1],
            dead_letters.c.offset == resent[2],
        )
        assert await s.scalar(query) == 0
    assert await logged() == before
    report = await verify_case(app.deps, cid, anchors=False)
    assert report.ok, report.failures
