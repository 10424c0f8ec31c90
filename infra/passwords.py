"""argon2id off the event loop: hashing and checking staff passwords in a small thread pool.

One argon2id check takes ~0.15 s of CPU and 64 MiB. Run in the event loop, every sign-in held
up every other request of the process (64 sign-ins took `/public/stats` from 0.08 s to 2.6 s);
run without a bound, a flood would take as many cores and 64 MiB blocks as it sends requests.
So at most `workers` run at once, in their own threads (argon2-cffi releases the GIL while it
hashes), at most `waiting` more wait their turn, and the rest are refused at once (`Busy`).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, the library's recommended parameters
_T = TypeVar("_T")


class Busy(Exception):
    """More password checks are running and waiting than the pool takes."""


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """The hash checked when the account is unknown, locked or disabled: made with the same
    parameters as real ones, so its check costs the same. Made once a process: by
    `PasswordPool.prepare` where sign-ins are served, else on the first refusal (a hash is
    ~0.15 s of CPU: made in every `PasswordPool`, it cost each worker, consumer and relay
    process that never signs anyone in, and each test's bootstrap)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verifies_nothing(password: str) -> bool:
    return _verifies(_dummy_hash(), password)


class PasswordPool:
    """Checks and hashes passwords in `workers` threads, with `waiting` more queued at most."""

    def __init__(self, workers: int = 2, waiting: int = 64) -> None:
        self.workers = workers
        self.waiting = waiting
        self.checks = 0  # argon2 checks run: every sign-in that got this far costs one
        self.compared = 0  # of which against an account's hash (not the dummy's)
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight = 0

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="argon2")
        return self._pool

    def prepare(self) -> Future[str]:
        """Make the dummy hash now, in a pool thread: the first refusal then costs what the
        others do (one check, no hash), so no answer stands out by its time."""
        return self._executor().submit(_dummy_hash)

    @property
    def in_flight(self) -> int:
        """Checks and hashes running or waiting now."""
        return self._in_flight

    async def _run(self, fn: Callable[..., _T], *args: str) -> _T:
        if self._in_flight >= self.workers + self.waiting:
            raise Busy(f"{self._in_flight} password checks are under way")
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor(), fn, *args)
        finally:
            self._in_flight -= 1

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` is the one `password_hash` was made from."""
        result = await self._check(password_hash, password)
        self.compared += 1
        return result

    async def verify_nothing(self, password: str) -> None:
        """A check that costs what `verify` costs and proves nothing: a refusal that must not
        answer sooner than a wrong password (an unknown name, a locked account)."""
        await self._counted(_verifies_nothing, password)

    async def _check(self, password_hash: str, password: str) -> bool:
        return await self._counted(_verifies, password_hash, password)

    async def _counted(self, check: Callable[..., bool], *args: str) -> bool:
        result = await self._run(check, *args)
        self.checks += 1
        return result

    async def hash(self, password: str) -> str:
        return await self._run(_hasher.hash, password)

    @staticmethod
    def needs_rehash(password_hash: str) -> bool:
        return _hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
