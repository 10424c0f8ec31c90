"""Creating the topics: at start-up (the embedded stack, tests) and again when the relay finds
that the broker lost them (`entrypoints.relay`).

tansu, the embedded broker, auto-creates any topic a client names in a metadata request
(produce, subscribe, describe) with 4 partitions, so this runs before clients touch the topics
when the partition count matters. Worse, after a restart it acknowledges records produced to a
topic that it no longer has, and drops them: the topics must exist again before anything is
published (see docs/contracts.md, "Acknowledgements and a broker that loses records").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

    from infra.kafka_client import KafkaTarget

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 4
# Kafka error code TOPIC_ALREADY_EXISTS (tansu returns it in the response, it doesn't raise).
TOPIC_ALREADY_EXISTS = 36
TOPIC_WAIT_TIMEOUT = 30.0


class TopicsError(RuntimeError):
    """The broker did not create the topics, or does not list them."""


async def ensure_topics(
    target: KafkaTarget,
    topics: list[str],
    partitions: int | Mapping[str, int] = DEFAULT_PARTITIONS,
) -> list[str]:
    """Create the missing topics and wait until broker metadata lists all of them; returns the
    ones it created.

    `partitions`: one count for every topic, or a count per topic (`DEFAULT_PARTITIONS` for the
    ones not named). Existing topics are not resized. Gives up after TOPIC_WAIT_TIMEOUT; wrap in
    `asyncio.timeout()` for a shorter limit.
    """
    from aiokafka.admin import NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    from infra import kafka_client

    counts = {t: _count(partitions, t) for t in topics}
    admin = kafka_client.admin(target, request_timeout_ms=5000)
    await admin.start()
    try:
        missing = sorted(set(topics) - set(await admin.list_topics()))
        if missing:
            new = [NewTopic(name, counts[name], 1) for name in missing]
            try:
                response = await admin.create_topics(new)
                _check_create_response(response)
            except TopicAlreadyExistsError:
                pass  # created concurrently by someone else: fine
        try:
            async with asyncio.timeout(TOPIC_WAIT_TIMEOUT):
                await _wait_topics_visible(admin, topics)
        except TimeoutError:
            raise TopicsError(f"topics {topics} not all in broker metadata") from None
        await _warn_partition_mismatch(admin, counts)
        return missing
    finally:
        await admin.close()


def _count(partitions: int | Mapping[str, int], topic: str) -> int:
    if isinstance(partitions, int):
        return partitions
    return partitions.get(topic, DEFAULT_PARTITIONS)


async def _warn_partition_mismatch(admin: AIOKafkaAdminClient, counts: Mapping[str, int]) -> None:
    # Existing topics (e.g. auto-created by an early client) are not resized.
    for meta in await admin.describe_topics(list(counts)):
        count, wanted = len(meta["partitions"]), counts.get(meta["topic"])
        if wanted is not None and count != wanted:
            log.warning("topic %s has %d partitions, wanted %d", meta["topic"], count, wanted)


def _check_create_response(response: object) -> None:
    errors = getattr(response, "topic_errors", [])
    bad = [(e[0], e[1], e[2]) for e in errors if e[1] not in (0, TOPIC_ALREADY_EXISTS)]
    if bad:
        raise TopicsError(f"creating topics failed: {bad}")


async def _wait_topics_visible(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    # list_topics (all topics) rather than a per-topic metadata request: the latter may
    # auto-create the topic with the broker's default partition count.
    while True:
        present = set(await admin.list_topics())
        if present.issuperset(topics):
            return
        await asyncio.sleep(0.1)  # polling the broker: there is nothing local to await
