"""Knowing when the broker lost records: what the relay published and saw, against what the
broker holds now.

In one incarnation of a topic a partition's offsets only grow. So the relay keeps, per
partition, the least end offset the broker must have: one past the highest offset the broker
acknowledged to the relay's producer, and at least the end offset a previous check saw. The
broker lost records (a restart of the embedded broker, which keeps topics in memory; a real
cluster's topic deleted and recreated, or an unclean leader election) when

- one of the topics it had is missing,
- a partition's end offset is below that floor,
- the producer is given an offset below it (the first publish after the loss tells), or
- at the first look at a topic the relay has published to (per the outbox), it holds no
  record at all (the relay restarted together with the broker).

Pure bookkeeping: the relay asks the broker and decides what to re-publish
(`entrypoints.relay`); health shows the `RecoveryLog`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

Partition = tuple[str, int]  # (topic, partition)


class BrokerLedger:
    """Per partition, the end offset the broker must at least have."""

    def __init__(self) -> None:
        self._floor: dict[Partition, int] = {}
        self.regressions: list[str] = []  # produce offsets that went backwards, since `reset`

    def published(self, topic: str, partition: int, offset: int) -> bool:
        """The broker acknowledged a record at `offset`; True when that offset went backwards
        (the partition is not the one it was: records were lost)."""
        key = (topic, partition)
        floor = self._floor.get(key)
        if floor is not None and offset < floor:
            self.regressions.append(f"{topic}[{partition}] took offset {offset}, below {floor}")
            return True
        self._floor[key] = offset + 1
        return False

    def known(self, topic: str) -> bool:
        return any(t == topic for t, _ in self._floor)

    def partitions(self) -> dict[str, int]:
        """The partition count of each topic seen."""
        counts: dict[str, int] = {}
        for topic, partition in self._floor:
            counts[topic] = max(counts.get(topic, 0), partition + 1)
        return counts

    def check(
        self,
        expected: Collection[str],
        present: Collection[str],
        ends: Mapping[Partition, int],
        published_to: Collection[str] = (),
    ) -> str | None:
        """Compare the broker's topics and end offsets with the floors: why records were lost,
        or None (then the floors rise to `ends`).

        `expected`: our topics; `present`: the topics the broker lists; `ends`: end offsets of
        the partitions of the present ones; `published_to`: topics the outbox says we published
        to (only needed for topics not seen before).
        """
        reasons = list(self.regressions)
        for topic in expected:
            if topic not in present:
                if self.known(topic) or topic in published_to:
                    reasons.append(f"topic {topic} is missing")
            elif not self.known(topic) and topic in published_to:
                mine = [end for (t, _), end in ends.items() if t == topic]
                if not any(mine):
                    reasons.append(f"topic {topic} holds no record, though events were sent to it")
        for key, floor in sorted(self._floor.items()):
            end = ends.get(key)
            if key[0] in present and end is not None and end < floor:
                reasons.append(f"{key[0]}[{key[1]}] ends at {end}, below {floor}")
        if reasons:
            return "; ".join(reasons)
        for key, end in ends.items():
            self._floor[key] = max(self._floor.get(key, 0), end)
        return None

    def reset(self, ends: Mapping[Partition, int]) -> None:
        """A new incarnation: start again from what the broker holds now."""
        self._floor = dict(ends)
        self.regressions = []


@dataclass
class RecoveryLog:
    """What a relay did about lost records; `/readyz` shows it in the `broker` check."""

    recoveries: int = 0
    republished: int = 0
    last_at: datetime | None = None
    last_reason: str = ""

    def record(self, at: datetime, reason: str, republished: int) -> None:
        self.recoveries += 1
        self.republished += republished
        self.last_at = at
        self.last_reason = reason

    def summary(self) -> str:
        if not self.recoveries:
            return ""
        when = self.last_at.isoformat(timespec="seconds") if self.last_at else "?"
        return (
            f"recovered from {self.recoveries} broker loss(es), last at {when} "
            f"({self.last_reason[:200]}); {self.republished} events re-published"
        )


# One log per (bootstrap, topic prefix): the relay and the health check of one process share it
# (tests run several apps, each on its own topics, in one process).
_LOGS: dict[tuple[str, str], RecoveryLog] = {}


def recovery_log(bootstrap: str, topic_prefix: str) -> RecoveryLog:
    return _LOGS.setdefault((bootstrap, topic_prefix), RecoveryLog())
