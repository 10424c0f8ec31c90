"""Who read decrypted workflow payloads through the codec server: a line in the security log.

`POST /codec/decode` shows case titles, reasons and personal data in the clear, so each call
that decoded something is recorded (`security_events`): who (name and role), from where, how
many payloads, and which cases' workflows they belong to. The codec protocol does not say which
workflow the payloads come from; the decoded payloads do: Lianban's workflow inputs, results,
signals and activity arguments name their case (`case_id`, or a `task_id` of `CASE.dept`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from infra.bootstrap import Deps
from infra.tokens import Principal
from store.security import record_event

ROUTE = "/codec/decode"
SHOWN = 5  # case numbers written into the line; the rest are counted
_DEPTH = 4  # how far into a payload's JSON a case number is looked for


def _walk(node: Any, found: dict[str, None], depth: int) -> None:
    if depth > _DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("case_id", "workflow_id") and isinstance(value, str) and value:
                found[value[:64]] = None
            elif key == "task_id" and isinstance(value, str) and "." in value:
                found[value.rpartition(".")[0][:64]] = None
            else:
                _walk(value, found, depth + 1)
    elif isinstance(node, list):
        for item in node[:100]:
            _walk(item, found, depth + 1)


def cases_named(payloads: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The case numbers the decoded payloads (encoding, data) name, in order of appearance."""
    found: dict[str, None] = {}
    for encoding, data in payloads:
        if encoding != b"json/plain":
            continue
        try:
            _walk(json.loads(data), found, 0)
        except ValueError:
            continue
    return list(found)


def _reason(count: int, cases: list[str], namespace: str | None) -> str:
    where = f" in namespace {namespace}" if namespace else ""
    if not cases:
        return f"decoded {count} payload(s){where}, naming no case"
    shown = ", ".join(cases[:SHOWN])
    more = f" and {len(cases) - SHOWN} more" if len(cases) > SHOWN else ""
    return f"decoded {count} payload(s){where} of case {shown}{more}"


async def record_decode(
    deps: Deps,
    user: Principal,
    payloads: list[tuple[bytes, bytes]],
    *,
    namespace: str | None = None,
    source: str | None = None,
) -> None:
    """Write who decoded which cases' payloads to the security log."""
    cases = cases_named(payloads)
    async with deps.sessions() as s, s.begin():
        await record_event(
            s,
            role=user.role.value,
            subject=user.display,
            route=ROUTE,
            reason=_reason(len(payloads), cases, namespace),
            source=source,
            case_id=cases[0] if len(cases) == 1 else None,
        )
