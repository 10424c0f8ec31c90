"""A consumer's look for partitions the broker lost runs beside its fetches, not in their way."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from aiokafka import TopicPartition

from entrypoints.consumers import LossCheck
from infra.broker_loss import identity
from infra.broker_probe import BrokerProbe
from tests.utils.eventually import eventually

P0, P1 = TopicPartition("t.decisions", 0), TopicPartition("t.decisions", 1)
A, B = identity(b'{"n": 1}'), identity(b'{"n": 2}')


class SlowProbe:
    """Answers `records_at` only once the test lets it (a broker taking its time)."""

    def __init__(self, holds: dict[tuple[str, int], str | None]) -> None:
        self.holds = holds
        self.asked: list[dict[tuple[str, int], int]] = []
        self.answer = asyncio.Event()

    async def records_at(self, offsets: Mapping[tuple[str, int], int]) -> dict[Any, Any]:
        self.asked.append(dict(offsets))
        await self.answer.wait()
        return {k: v for k, v in self.holds.items() if k in offsets}


def check_with(probe: SlowProbe) -> LossCheck:
    return LossCheck(cast(BrokerProbe, probe), every=0.0, topic="t.decisions")


async def test_a_slow_look_holds_up_nothing_and_reports_the_lost_partition_once() -> None:
    probe = SlowProbe({("t.decisions", 0): A, ("t.decisions", 1): None})  # 1 lost its record
    check = check_with(probe)
    last = {P0: (4, A), P1: (7, B)}
    assert check.lost(last) == []  # the look starts: the loop goes on at once
    await eventually(lambda: _asked(probe), what="the broker asked")
    assert check.lost(last) == []  # still looking: none started beside it
    assert probe.asked == [{("t.decisions", 0): 4, ("t.decisions", 1): 7}]
    probe.answer.set()
    found = await eventually(lambda: _lost(check, last), what="the look's answer")
    assert found == [P1]
    await check.cancel()


async def test_a_partition_that_still_holds_its_record_is_not_lost() -> None:
    probe = SlowProbe({("t.decisions", 0): A})
    probe.answer.set()
    check = check_with(probe)
    check.lost({P0: (4, A)})
    await eventually(lambda: _answered(probe, check), what="a finished look")
    assert check.lost({P0: (4, A)}) == []
    await check.cancel()


async def test_nothing_applied_yet_means_nothing_to_look_at() -> None:
    probe = SlowProbe({})
    check = check_with(probe)
    assert check.lost({}) == []
    assert probe.asked == []


async def _lost(check: LossCheck, last: dict[TopicPartition, tuple[int, str]]) -> Any:
    return check.lost(last) or None


async def _asked(probe: SlowProbe) -> bool:
    return bool(probe.asked)


async def _answered(probe: SlowProbe, check: LossCheck) -> bool:
    return bool(probe.asked) and check._task is not None and check._task.done()
