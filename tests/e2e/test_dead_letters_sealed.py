"""Issue 21, item 12: a dead letter keeps the record it could not apply, sealed with the payload
keyring, never in plain text: the tester found 8 rows with ID and phone numbers in
`dead_letters.raw` (and in the `too_large` excerpts). The operators' views show it masked, and
re-drive still opens the sealed record and applies it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from services.operators.deadletters import SourceRecord, dead_letter
from store.personal import open_dead_letter
from store.schema import dead_letters
from tests.e2e.kafka_util import Produce, envelope
from tests.e2e.ops_util import (
    client,
    dead_lettered,
    decide,
    decision_doc,
    events_of,
    new_case_id,
    open_task,
    submit,
)
from tests.e2e.test_ops_recovery import stalled
from tests.e2e.test_personal_data_at_rest import _fresh_values
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e


async def _letters(app: App, case_id: str) -> list[dict[str, Any]]:
    async with app.deps.sessions() as s:
        rows = await s.execute(sa.select(dead_letters).where(dead_letters.c.case_id == case_id))
    return [dict(r._mapping) for r in rows]


async def test_a_dead_letter_is_sealed_shown_masked_and_still_redriven(app: App) -> None:
    id_number, phone = _fresh_values()
    cid = new_case_id()
    # A decision that came before its case, its condition quoting the applicant's numbers.
    early = decision_doc(
        cid,
        "fire",
        outcome="approve_with_conditions",
        conditions=[f"联系 {phone} 核对 {id_number}"],
    )
    await decide(app, early)
    await eventually(lambda: dead_lettered(app, cid), timeout=60)
    [row] = await _letters(app, cid)
    assert id_number not in row["raw"] and phone not in row["raw"]
    assert row["raw_kid"] == app.settings.payload_kid
    assert json.loads(open_dead_letter(app.deps.keyring, row))["event_id"] == early["event_id"]

    await submit(app, cid, "FIRE-DESIGN-REVIEW", ["application-form", "fire-design"])
    await eventually(lambda: open_task(app, cid, "fire"), timeout=60)
    # The operators' list reads the department out of the sealed record.
    [item] = await eventually(lambda: stalled(app, cid, "dead_letter"), timeout=60, every=0.2)
    assert item["department"] == "fire"
    async with client(app) as http:
        page = await http.get("/ops", params={"reason": "dead_letter"})
        assert id_number not in page.text and phone not in page.text
        done = await http.post(f"/ops/cases/{cid}/redrive", json={"reason": "受理后补投"})
    assert done.status_code == 200, done.text
    assert done.json()["detail"]["redriven"][0]["result"] == "accepted"
    [decided] = await events_of(app, cid, "DepartmentDecided")
    assert id_number not in json.dumps(decided["data"], ensure_ascii=False)


async def test_an_oversized_records_excerpt_is_sealed_too(app: App) -> None:
    id_number, phone = _fresh_values()
    cid = f"BIG-{uuid.uuid4().hex[:8].upper()}"
    doc = envelope("DecisionMade", cid, {"department": "fire", "reviewer": f"{id_number} {phone}"})
    doc["data"]["padding"] = "x" * 300_000  # over the 256 KiB limit: only an excerpt is kept
    async with Produce(app.settings.kafka_bootstrap) as produce:
        await produce.raw(app.settings.topics.decisions, json.dumps(doc).encode(), cid)

    async def letter() -> list[dict[str, Any]]:
        async with app.deps.sessions() as s:
            query = sa.select(dead_letters).where(dead_letters.c.key == cid)
            return [dict(r._mapping) for r in await s.execute(query)]

    [row] = await eventually(letter, timeout=60, what="the too_large dead letter")
    assert row["error"] == "too_large"
    assert id_number not in row["raw"] and row["raw_kid"] == app.settings.payload_kid
    assert id_number in open_dead_letter(app.deps.keyring, row)


async def test_a_dead_letters_detail_is_masked_where_it_is_stored(app: App) -> None:
    """A refusal's detail may quote the input: it is masked before it is stored or published."""
    id_number, phone = _fresh_values()
    topic = f"t{uuid.uuid4().hex[:8]}.decisions"
    rec = SourceRecord(topic, 0, 1, b"LB-MASK", f'{{"x": "{id_number}"}}'.encode())
    await dead_letter(app.deps, rec, "refused", f"no applicant {id_number} / {phone}")
    async with app.deps.sessions() as s:
        detail = await s.scalar(
            sa.select(dead_letters.c.detail).where(dead_letters.c.source_topic == topic)
        )
    assert detail is not None and id_number not in detail and phone not in detail
    assert f"{phone[:3]}****{phone[-4:]}" in detail
