"""The center's licence signing keys: rotate (a new key signs from now on; the old ones stay
published, so every licence signed with them still verifies) and list."""

from __future__ import annotations

from typing import Any

from infra.bootstrap import Deps
from services.applicants.licences import published_keys
from store.licences import create_key


async def rotate(deps: Deps, by: str) -> str:
    """A new signing key; returns its id."""
    async with deps.sessions() as s, s.begin():
        return await create_key(s, deps.keyring, by)


async def keys(deps: Deps) -> list[dict[str, Any]]:
    return await published_keys(deps)
