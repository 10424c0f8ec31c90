"""The one thing a request is about, read in a session of its own, or a refusal naming it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from infra.bootstrap import Deps
from services.errors import Refused

T = TypeVar("T")


async def one_or_refuse(
    deps: Deps, read: Callable[[AsyncSession], Awaitable[T | None]], missing: Refused
) -> T:
    """What `read` finds; `missing` (a 404 refusal, as a rule) when it finds nothing."""
    async with deps.sessions() as s:
        found = await read(s)
    if found is None:
        raise missing
    return found
