"""Commands run by the platform team on the configured database directly (`lianban keys`,
`lianban users`), not through the API like the rest of the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from entrypoints.cli.client import fail
from infra.bootstrap import Deps, bootstrap
from infra.settings import get_settings
from services.errors import Refused

T = TypeVar("T")


def on_database(action: Callable[[Deps], Awaitable[T]]) -> T:
    """Run `action` with dependencies on the configured database (no Temporal); a refusal
    is printed on stderr and exits 1."""

    async def go() -> T:
        deps = await bootstrap(get_settings(), temporal=False)
        try:
            return await action(deps)
        finally:
            await deps.close()

    try:
        return asyncio.run(go())
    except Refused as exc:
        raise fail(exc.detail) from None
