"""Issue 21, item 19, end to end: a title or a name with a bidirectional override or a
zero-width character is refused naming the field: `422` over HTTP, a dead letter with the
reason over Kafka, a refusal from `lianban users add`."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.e2e.kafka_util import (
    Produce,
    construction_submission,
    dead_letter_for,
    envelope,
    read_until,
)
from tests.e2e.test_api import SUBMISSION
from tests.e2e.test_sign_in import users
from tests.stack import App
from tests.utils.auth import bearer

pytestmark = pytest.mark.e2e


async def test_http_refuses_them_naming_the_field(app: App) -> None:
    clerk = bearer("clerk", settings=app.settings)
    applicant = {**SUBMISSION["applicant"], "name": "张\u200b伟"}  # type: ignore[dict-item]
    bodies = {
        "body.title": SUBMISSION | {"title": "厂房\u202egpj.exe"},
        "body.applicant.name": SUBMISSION | {"applicant": applicant},
    }
    async with httpx.AsyncClient(base_url=app.api_url, headers=clerk, timeout=30) as http:
        for field, body in bodies.items():
            r = await http.post("/cases", json=body)
            assert r.status_code == 422, r.text
            assert [d["field"] for d in r.json()["detail"]] == [field]
            assert "U+202E" in r.text or "U+200B" in r.text
        task = "LB-NONE.fire"
        comment = {"text": "ok", "attachments": [{"name": "图\u2066纸", "ref": "oss://a/b"}]}
        r = await http.post(
            f"/tasks/{task}/comments", json=comment, headers=bearer("reviewer", "fire")
        )
        assert r.status_code == 422 and r.json()["detail"][0]["field"].endswith(".name"), r.text


async def test_kafka_dead_letters_them_with_the_reason(app: App) -> None:
    cid = f"LB-BIDI-{uuid.uuid4().hex[:8].upper()}"
    data = construction_submission() | {"title": "新能源\u202e项目"}
    async with Produce(app.settings.kafka_bootstrap) as produce:
        source = await produce.event(
            app.settings.topics.submissions, envelope("ApplicationSubmitted", cid, data)
        )
    letter = await read_until(
        app.settings.kafka_bootstrap, app.settings.topics.dead_letters, dead_letter_for(source)
    )
    assert letter["data"]["error"] == "invalid_payload"
    assert letter["data"]["detail"].startswith("data.title: character U+202E")


async def test_a_staff_name_is_checked_too(app: App) -> None:
    code, out = await asyncio.to_thread(
        users,
        app,
        "add",
        f"u{uuid.uuid4().hex[:6]}",
        "--role",
        "operator",
        "--name",
        "值班员\u202e王芳",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert code != 0 and "name: character U+202E (RIGHT-TO-LEFT OVERRIDE)" in out
