"""The password pool (infra/passwords.py): argon2 in threads, a bounded queue, one cost."""

from __future__ import annotations

import asyncio

import pytest

from infra.passwords import Busy, PasswordPool, _dummy_hash
from tests.utils.eventually import eventually


async def test_checks_past_the_queue_are_refused_at_once() -> None:
    pool = PasswordPool(workers=1, waiting=1)
    try:
        made = await pool.hash("correct horse battery")
        running = [asyncio.create_task(pool.verify(made, "wrong")) for _ in range(2)]

        async def placed() -> bool:  # one running, one waiting
            return pool.in_flight == 2

        await eventually(placed, what="both checks under way")
        with pytest.raises(Busy):
            await pool.verify(made, "correct horse battery")
        assert await asyncio.gather(*running) == [False, False]
        assert await pool.verify(made, "correct horse battery") is True
        assert pool.in_flight == 0
    finally:
        pool.close()


async def test_a_dummy_check_is_counted_as_a_check_not_a_comparison() -> None:
    pool = PasswordPool(workers=1)
    try:
        made = await pool.hash("correct horse battery")
        await pool.verify_nothing("anything at all")
        assert (pool.checks, pool.compared) == (1, 0)
        assert await pool.verify(made, "nope") is False
        assert (pool.checks, pool.compared) == (2, 1)
    finally:
        pool.close()


async def test_the_dummy_hash_is_made_once_a_process_and_ahead_where_asked() -> None:
    """Not in every pool (each cost ~0.15 s of CPU at start); the API asks for it at start, in
    a pool thread, so the first refused sign-in costs one check like the others."""
    _dummy_hash.cache_clear()
    pool = PasswordPool(workers=1)
    try:
        assert _dummy_hash.cache_info().currsize == 0  # making a pool made no hash
        made = await asyncio.wrap_future(pool.prepare())
        await pool.verify_nothing("anything at all")
        assert _dummy_hash() == made
        assert _dummy_hash.cache_info().misses == 1  # made once, then only read
    finally:
        pool.close()
