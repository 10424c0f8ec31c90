"""Temporal payloads are encrypted at rest: the server's history of a case holds no title or
reason in plain text, and the orchestrator still reads it (queries, the audit cross-check)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from infra.payload_crypto import ENCODING, EncryptionCodec, parse_keys
from services.auditors.verify import verify_case
from tests.e2e.test_api import SUBMISSION, case_when
from tests.stack import App
from tests.utils.auth import bearer
from tests.utils.eventually import eventually
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.e2e


def _payloads(node: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(where, encoding, decoded data) of every payload in a history's JSON."""
    if isinstance(node, dict):
        meta = node.get("metadata")
        if isinstance(meta, dict) and "encoding" in meta and "data" in node:
            data = base64.b64decode(node["data"]).decode("utf-8", "replace")
            yield path, base64.b64decode(meta["encoding"]).decode(), data
            return
        for key, value in node.items():
            yield from _payloads(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _payloads(value, f"{path}[{i}]")


async def test_a_case_history_holds_only_ciphertext(app: App) -> None:
    headers = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        r = await http.post("/cases", json=SUBMISSION)
        case_id = r.json()["case_id"]
        await case_when(http, case_id, lambda c: len(c["tasks"]) == 5)
    # Read the history as someone with server access but no key would. The read model shows the
    # tasks once the activity's transaction commits, a moment before Temporal records the
    # activity's result: wait for the input and the first step's result.
    keyless = await Client.connect(app.settings.temporal_address)

    async def history() -> list[tuple[str, str, str]]:
        fetched = await keyless.get_workflow_handle(case_id).fetch_history()
        return list(_payloads(json.loads(fetched.to_json())))

    def carried_by(found: list[tuple[str, str, str]]) -> list[str]:
        return [enc for where, enc, _ in found if ".input." in where or ".result." in where]

    found = await eventually(history, until=lambda f: len(carried_by(f)) >= 2, timeout=30)
    carried = carried_by(found)
    assert any(".input." in where for where, _, _ in found), found
    assert set(carried) == {ENCODING.decode()}, found
    # What stays plain (trace headers, patch and local-activity markers, search attributes)
    # carries no case data.
    title = str(SUBMISSION["title"])
    unsealed = [data for _, enc, data in found if enc != ENCODING.decode()]
    assert unsealed and not any(title in text or "集成电路" in text for text in unsealed)
    # With the key, everything still works.
    assert app.deps.temporal is not None
    state = await app.deps.temporal.get_workflow_handle(case_id).query(CaseWorkflow.state)
    assert state.status == "in_review"
    report = await verify_case(app.deps, case_id, anchors=False)
    assert report.ok, report.failures


async def test_old_plain_payloads_still_decode_and_unknown_keys_are_refused() -> None:
    codec = EncryptionCodec("new", parse_keys({"new": base64.b64encode(b"n" * 32).decode()}))
    old = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a": 1}')
    assert await codec.decode([old]) == [old]
    [sealed] = await codec.encode([old])
    assert sealed.data != old.data and await codec.decode([sealed]) == [old]
    other = EncryptionCodec("x", parse_keys({"x": base64.b64encode(b"x" * 32).decode()}))
    with pytest.raises(ValueError, match="not loaded"):
        await other.decode([sealed])
