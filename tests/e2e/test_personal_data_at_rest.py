"""Issue 13, finding 5: after a full case whose applicant's ID number and phone are also typed
into the title, a reviewer's comment and the departments' decisions (reasons, conditions, the
items of a request for corrections), neither raw value is anywhere: not in the database (the
SQLite file's bytes; every row of every table on PostgreSQL), not in any topic's records, not
in the log, not in the Temporal history read without the key nor decoded with it. The audited
personal-data route still returns them, unsealed.

The decisions also quote the sample resident ID (`SAMPLE_ID`, the one every factory-built
submission carries): it is looked for in the database, the log and the history, not in the
topics, where other tests' portal submissions carry it raw by contract (`ApplicationSubmitted`
on the submissions topic holds the applicant's numbers as the portal sent them)."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition

from domain.privacy import is_resident_id
from infra.payload_crypto import EncryptionCodec, parse_keys
from tests.e2e.kafka_util import CONSTRUCTION_DEPTS
from tests.e2e.test_api import SUBMISSION, case_when
from tests.stack import App
from tests.utils.auth import bearer, reviewer_of
from tests.utils.sqlite_files import file_bytes

pytestmark = pytest.mark.e2e

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SAMPLE_ID = "110101199003077774"


def _fresh_values() -> tuple[str, str]:
    """An ID number (valid check character) and a mobile number no other test uses."""
    body = (
        f"3301061985{random.randint(1, 12):02d}{random.randint(10, 28)}{random.randint(100, 999)}"
    )
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _W, strict=True)) % 11]
    phone = f"139{random.randint(10_000_000, 99_999_999)}"
    assert is_resident_id(body + check)
    return body + check, phone


async def _full_case(app: App, id_number: str, phone: str) -> str:
    clerk = bearer("clerk", settings=app.settings)
    submission = {
        **SUBMISSION,
        "title": f"厂房 申请人{id_number} 联系{phone}",
        "applicant": {**SUBMISSION["applicant"], "id_number": id_number, "phone": phone},  # type: ignore[dict-item]
    }
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        r = await http.post("/cases", json=submission, headers=clerk)
        assert r.status_code == 202, r.text
        case_id: str = r.json()["case_id"]
        await case_when(http, case_id, lambda c: len(c["tasks"]) == 5)
        for i, dept in enumerate(CONSTRUCTION_DEPTS):
            task = f"{case_id}.{dept}"
            if i == 0:
                note = {"text": f"已电话 {phone} 核对身份证 {id_number}", "attachments": []}
                c = await http.post(f"/tasks/{task}/comments", json=note, headers=reviewer_of(task))
                assert c.status_code in (200, 201), c.text
                decision = {
                    "outcome": "approve_with_conditions",
                    "reasons": [f"身份证 {SAMPLE_ID} 与申请人 {id_number} 不符，已致电 {phone}"],
                    "conditions": [f"开工前联系 {phone} 复核 {id_number}"],
                }
            elif i == 1:
                await _corrections_owed(http, clerk, task, id_number, phone)
                decision = {"outcome": "approve"}
            else:
                decision = {"outcome": "approve"}
            d = await http.post(f"/tasks/{task}/decision", json=decision, headers=reviewer_of(task))
            assert d.status_code == 202, d.text
        case = await case_when(http, case_id, lambda c: c["status"] == "issued")
        shown = json.dumps(case, ensure_ascii=False)
        assert id_number not in shown and phone not in shown and SAMPLE_ID not in shown
        # Masked where the decision came in, not dropped: the department's words are kept.
        assert f"{id_number[:6]}********{id_number[-4:]}" in shown
        assert f"{phone[:3]}****{phone[-4:]}" in shown and "110101********7774" in shown
        personal = await http.get(f"/cases/{case_id}/personal-data", headers=clerk)
        assert personal.json()["id_number"] == id_number and personal.json()["phone"] == phone
    return case_id


async def _corrections_owed(
    http: httpx.AsyncClient, clerk: dict[str, str], task: str, id_number: str, phone: str
) -> None:
    """The department asks for corrections quoting the numbers; the applicant supplies."""
    ask = {
        "outcome": "request_corrections",
        "reasons": [f"申请人 {id_number} 材料不全"],
        "items": [f"请 {phone} 联系人补交身份证 {id_number} 复印件"],
    }
    r = await http.post(f"/tasks/{task}/decision", json=ask, headers=reviewer_of(task))
    assert r.status_code == 202, r.text
    case_id = task.rpartition(".")[0]
    await case_when(http, case_id, lambda c: _task_status(c, task) == "corrections_requested")
    body = {"material_codes": ["application-form"], "submitted_by": "申请人"}
    s = await http.post(f"/cases/{case_id}/supplement", json=body, headers=clerk)
    assert s.status_code == 202, s.text
    await case_when(http, case_id, lambda c: _task_status(c, task) == "open")


def _task_status(case: Any, task: str) -> str:
    return next(t["status"] for t in case["tasks"] if t["task_id"] == task)


async def _topic_texts(app: App) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=app.settings.kafka_bootstrap)
    await consumer.start()
    texts = []
    try:
        parts = [
            TopicPartition(t, p)
            for t in app.settings.topics.all()
            for p in (consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        for tp in parts:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    texts.append((record.value or b"").decode("utf-8", "replace"))
                    texts.extend(v.decode("utf-8", "replace") for _, v in record.headers)
    finally:
        await consumer.stop()
    assert texts
    return texts


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or {0}


async def _history_texts(app: App, case_id: str) -> list[str]:
    from temporalio.client import Client

    keyless = await Client.connect(app.settings.temporal_address)
    history = await keyless.get_workflow_handle(case_id).fetch_history()
    raw = history.to_json()
    codec = EncryptionCodec(str(app.settings.payload_kid), parse_keys(app.settings.payload_keys))
    decoded = []
    for event in history.events:
        for field in (
            "workflow_execution_started_event_attributes",
            "activity_task_scheduled_event_attributes",
            "activity_task_completed_event_attributes",
            "workflow_execution_signaled_event_attributes",
            "workflow_execution_completed_event_attributes",
            "marker_recorded_event_attributes",
        ):
            if not event.HasField(field):
                continue
            attrs: Any = getattr(event, field)
            for name in ("input", "result"):
                if attrs.DESCRIPTOR.fields_by_name.get(name) and attrs.HasField(name):
                    for p in await codec.decode(getattr(attrs, name).payloads):
                        decoded.append(p.data.decode("utf-8", "replace"))
    assert decoded
    return [raw, *decoded]


def _raw_in(values: tuple[str, ...], texts: list[str]) -> list[str]:
    return [t[:300] for t in texts if any(v in t for v in values)]


async def test_no_raw_id_number_or_phone_anywhere_sqlite(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    values = _fresh_values()
    with caplog.at_level(logging.INFO):
        case_id = await _full_case(app, *values)
    everywhere_but_topics = (*values, SAMPLE_ID)
    async with app.deps.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        kid = (
            await conn.execute(
                sa.text("SELECT applicant_contact_kid FROM cases WHERE case_id = :c"),
                {"c": case_id},
            )
        ).scalar()
    assert kid == app.settings.payload_kid
    db = Path(str(app.deps.engine.url.database))
    files = [p for p in (db, Path(f"{db}-wal")) if p.exists()]
    for path in files:
        blob = await file_bytes(path)  # not read_bytes(): see tests/utils/sqlite_files.py
        for v in everywhere_but_topics:
            assert v.encode() not in blob, f"{v} in {path}"
    assert _raw_in(values, await _topic_texts(app)) == []
    assert _raw_in(everywhere_but_topics, [r.getMessage() for r in caplog.records]) == []
    assert _raw_in(everywhere_but_topics, caplog.text.splitlines()) == []
    assert _raw_in(everywhere_but_topics, await _history_texts(app, case_id)) == []


async def test_no_raw_id_number_or_phone_anywhere_postgresql(pg_app: App) -> None:
    values = _fresh_values()
    case_id = await _full_case(pg_app, *values)
    rows: list[str] = []
    async with pg_app.deps.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        for table in tables:  # every column of every row, as text (a dump would hold the same)
            result = await conn.exec_driver_sql(f'SELECT t::text FROM "{table}" t')
            rows.extend(str(r[0]) for r in result)
    assert any(case_id in r for r in rows)
    assert _raw_in((*values, SAMPLE_ID), rows) == []
    assert _raw_in(values, await _topic_texts(pg_app)) == []
    assert _raw_in((*values, SAMPLE_ID), await _history_texts(pg_app, case_id)) == []
