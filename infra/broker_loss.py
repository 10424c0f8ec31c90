"""Knowing when the broker lost records: what the relay published, against what the broker holds.

In one incarnation of a topic a partition's offsets only grow, and a record stays at its
offset. So the relay remembers, per partition, the highest offset the broker acknowledged and
which record it put there. The broker lost records (a restart of the embedded broker, which
keeps topics in memory; a real cluster's topic deleted and recreated, or an unclean leader
election) when

- the producer is given an offset below one it was given before (the first publish after the
  loss tells, at once),
- one of the topics it had is missing,
- the record last published to a partition (or, before this relay published there, the last
  one the partition held) is no longer at its offset (gone, or another one there: the
  partition was recreated and grew again), or
- at the first look at a topic the relay has published to (per the outbox), it holds no
  record at all (the relay restarted together with the broker).

End offsets are not compared: the embedded broker reports a partition's end as one past the
first record of its last batch, so they understate what it holds.

Pure bookkeeping: the relay asks the broker and decides what to publish again
(`entrypoints.relay`); health shows the `RecoveryLog`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

Partition = tuple[str, int]  # (topic, partition)


def identity(value: bytes | None) -> str:
    """What tells one record from another at the same offset: a digest of its bytes."""
    return hashlib.sha1(value or b"", usedforsecurity=False).hexdigest()


class BrokerLedger:
    """Per partition, the last record the broker acknowledged: its offset and identity."""

    def __init__(self) -> None:
        self._last: dict[Partition, tuple[int, str]] = {}
        self._seen: set[str] = set()  # topics found on the broker since the last loss
        self.regressions: list[str] = []  # produce offsets that went backwards, since `reset`

    def published(self, topic: str, partition: int, offset: int, ident: str) -> bool:
        """The broker acknowledged the record `ident` at `offset`; True when that offset went
        backwards (the partition is not the one it was: records were lost)."""
        key = (topic, partition)
        last = self._last.get(key)
        if last is not None and offset <= last[0]:
            self.regressions.append(f"{topic}[{partition}] took offset {offset} after {last[0]}")
            return True
        self._last[key] = (offset, ident)
        return False

    def adopt(self, topic: str, partition: int, offset: int, ident: str) -> None:
        """Watch a record the relay did not publish in this process (it restarted): the last
        one a partition held when the broker was whole, so a loss shows while idle too."""
        self._last.setdefault((topic, partition), (offset, ident))

    def known(self, topic: str) -> bool:
        return topic in self._seen or any(t == topic for t, _ in self._last)

    def last_records(self) -> dict[Partition, int]:
        """Where to look: the offset of the last record published to each partition."""
        return {key: offset for key, (offset, _) in self._last.items()}

    def partitions(self) -> dict[str, int]:
        """The partition count of each topic published to (at least)."""
        counts: dict[str, int] = {}
        for topic, partition in self._last:
            counts[topic] = max(counts.get(topic, 0), partition + 1)
        return counts

    def check(
        self,
        expected: Collection[str],
        present: Collection[str],
        found: Mapping[Partition, str | None],
        empty: Collection[str] = (),
        published_to: Collection[str] = (),
        last: Mapping[Partition, tuple[int, str]] | None = None,
    ) -> str | None:
        """Why records were lost, or None.

        `expected`: our topics; `present`: the topics the broker lists; `found`: for the
        offsets of `last_records`, the identity of the record there now (None: no record
        there; left out: cannot tell, e.g. deleted by retention); `empty`: present topics
        holding no record; `published_to`: of the missing or empty topics not seen before,
        those the outbox says were published to.
        """
        reasons = list(self.regressions)
        for topic in expected:
            if topic not in present:
                if self.known(topic) or topic in published_to:
                    reasons.append(f"topic {topic} is missing")
            elif topic in empty and not self.known(topic) and topic in published_to:
                reasons.append(f"topic {topic} holds no record, though events were sent to it")
        # `last`: the records as they were when `found` was read (publishing may go on meanwhile).
        for key, (offset, ident) in sorted((self._last if last is None else last).items()):
            if key[0] in present and key in found and found[key] != ident:
                what = "is gone" if found[key] is None else "is another record"
                reasons.append(f"{key[0]}[{key[1]}]: the record published at {offset} {what}")
        if reasons:
            return "; ".join(reasons)
        self._seen.update(t for t in expected if t in present)
        return None

    def snapshot(self) -> dict[Partition, tuple[int, str]]:
        """The last record per partition (offset, identity), as of now."""
        return dict(self._last)

    def reset(self, topics: Collection[str]) -> None:
        """A new incarnation, with `topics` on the broker again: start afresh."""
        self._last = {}
        self._seen = set(topics)
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
