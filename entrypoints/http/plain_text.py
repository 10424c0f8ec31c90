"""Request bodies carry text for people (events/validators.py): no NUL or other control
characters (but tab and line breaks), no lone surrogates, no bidirectional controls or
zero-width characters. PostgreSQL stores no NUL in text or jsonb, so such a body failed at the
database with a 500, and an override made a title display reversed; it is a 422 naming the
field instead, as over Kafka (`events.registry`).

The check wraps each route's endpoint, so it runs after the route's dependencies (identity and
role checks: a caller the route is not for still gets its 401/403 first) and after FastAPI's
validation of the body, and before the endpoint writes anything.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from events.validators import UNSAFE_TEXT, describe

Path = tuple[str | int, ...]


def first_unsafe(node: Any, where: Path = ()) -> tuple[Path, str] | None:
    """The place of the first string (or key) with a character not allowed, and the character."""
    if isinstance(node, BaseModel):
        node = node.model_dump(by_alias=True)
    if isinstance(node, str):
        found = UNSAFE_TEXT.search(node)
        return (where, found.group()) if found else None
    if isinstance(node, dict):
        for key, value in node.items():
            bad = first_unsafe(key, where) or first_unsafe(value, (*where, key))
            if bad:
                return bad
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            bad = first_unsafe(value, (*where, i))
            if bad:
                return bad
    return None


def _refuse_unsafe(bodies: dict[str, Path], values: dict[str, Any]) -> None:
    for name, prefix in bodies.items():
        bad = first_unsafe(values.get(name), prefix)
        if bad is not None:
            where, char = bad
            raise RequestValidationError([{"loc": where, "msg": describe(char)}])


def _guarded(endpoint: Callable[..., Any], bodies: dict[str, Path]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def guarded_async(**values: Any) -> Any:
            _refuse_unsafe(bodies, values)
            return await endpoint(**values)

        return guarded_async

    @functools.wraps(endpoint)
    def guarded(**values: Any) -> Any:
        _refuse_unsafe(bodies, values)
        return endpoint(**values)

    return guarded


def install(routers: Iterable[APIRouter]) -> None:
    """Before the routers are included: each route that takes a body gets the check."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.dependant.body_params:
                continue
            if getattr(route.endpoint, "plain_text_checked", False):
                continue  # wrapped already (by an earlier app in this process)
            params = route.dependant.body_params
            # Where FastAPI itself places a body's errors: `body.<field>`, or `body.<param>.…`
            # when several body parameters are embedded.
            embed = len(params) > 1 or bool(getattr(params[0].field_info, "embed", False))
            bodies: dict[str, Path] = {
                p.name: ("body", p.alias) if embed else ("body",) for p in params
            }
            route.endpoint = _guarded(route.endpoint, bodies)
            route.endpoint.plain_text_checked = True  # type: ignore[attr-defined]
