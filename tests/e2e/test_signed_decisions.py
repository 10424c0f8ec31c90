"""Signed department decisions (docs/contracts.md): only a department's registered key
can decide for it over Kafka. Each forged or broken record is dead-lettered with its reason and
leaves the task open; a good one is applied, and its signature is kept with the decision and in
the audit chain, where anyone with the public key can check it again."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from examples.department_client import Signer
from services.operators.department_keys import register, revoke
from store.cases import get_task
from store.personal import decision_context, open_text
from store.schema import decisions
from tests.e2e.kafka_util import Produce, dead_letter_for, read_until
from tests.e2e.ops_util import (
    case_row,
    client,
    decision_doc,
    events_of,
    new_case_id,
    open_task,
    submit,
)
from tests.stack import App
from tests.utils.auth import bearer
from tests.utils.eventually import eventually
from tests.utils.history import local_steps
from tests.utils.signing import public_key_b64, signed_headers

pytestmark = pytest.mark.e2e
FIRE_MATERIALS = ["application-form", "fire-design"]


async def fire_case(app: App) -> str:
    cid = new_case_id()
    await submit(app, cid, "FIRE-DESIGN-REVIEW", FIRE_MATERIALS)
    await eventually(lambda: open_task(app, cid, "fire"), timeout=60)
    return cid


async def send(app: App, value: bytes, case_id: str, headers: Any) -> tuple[str, int, int]:
    async with Produce(app.settings.kafka_bootstrap) as produce:
        return await produce.raw(app.settings.topics.decisions, value, case_id, headers)


async def refused_as(app: App, source: tuple[str, int, int], error: str) -> dict[str, Any]:
    dl = await read_until(
        app.settings.kafka_bootstrap, app.settings.topics.dead_letters, dead_letter_for(source)
    )
    assert dl["data"]["error"] == error, dl["data"]
    return dict(dl["data"])


def record(
    case_id: str, department: str = "fire", producer: str | None = None, **data: Any
) -> bytes:
    doc = decision_doc(case_id, department, **data)
    return json.dumps(doc | ({"producer": producer} if producer else {})).encode()


def new_signer(key_id: str) -> tuple[Signer, str]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer(key_id, key), base64.b64encode(raw).decode()


async def test_forged_and_broken_signatures_are_dead_lettered_and_decide_nothing(
    app: App,
) -> None:
    cid = await fire_case(app)
    value = record(cid, outcome="reject", reasons=["伪造的否决"], producer="attacker-laptop")
    other, other_public = new_signer(f"fire-stolen-{cid.lower()}")
    await register(app.deps, "fire", other.key_id, other_public, "tests")
    await revoke(app.deps, other.key_id, "laptop stolen")
    tampered = record(cid, outcome="approve")
    attempts = [
        (value, None, "unsigned"),
        (value, signed_headers(value, "housing"), "not_your_department"),
        (value, signed_headers(tampered, "fire"), "bad_signature"),  # another record's signature
        (value, Signer("no-such-key", other.private_key).headers(value), "unknown_key"),
        (value, other.headers(value), "revoked_key"),
        (value, [("lianban-key-id", b"test-fire"), ("lianban-signature", b"!!")], "bad_signature"),
    ]
    for body, headers, error in attempts:
        data = await refused_as(app, await send(app, body, cid, headers), error)
        assert data["detail"]
    # Nothing was decided: the task is still open and the case still in review.
    assert await open_task(app, cid, "fire")
    assert not await events_of(app, cid, "DepartmentDecided")


async def test_a_signed_decision_keeps_its_signature_for_anyone_to_check(app: App) -> None:
    cid = await fire_case(app)
    value = record(cid)
    await send(app, value, cid, signed_headers(value, "fire"))
    [decided] = await eventually(lambda: events_of(app, cid, "DepartmentDecided"), timeout=60)
    proof = decided["data"]["signature"]
    assert proof["key_id"] == "test-fire"
    assert proof["record_sha256"] == hashlib.sha256(value).hexdigest()
    async with app.deps.sessions() as s:
        row = (
            (await s.execute(sa.select(decisions).where(decisions.c.case_id == cid))).one()._mapping
        )
    signed = _opened(app, row)
    assert signed == value and row["signature"] == proof["signature"]
    # Checked again from what is stored, with the registered public key only.
    async with client(app, "auditor") as http:
        keys = (await http.get("/audit/department-keys")).json()["data"]
    public = next(k["public_key"] for k in keys if k["key_id"] == "test-fire")
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
        base64.b64decode(row["signature"]), signed
    )


def _opened(app: App, row: Any) -> bytes:
    """The stored signed record, opened with the app's payload keyring (sealed at rest)."""
    context = decision_context(row["case_id"], row["department"])
    return open_text(
        app.deps.keyring, row["signed_record"], row["signed_record_kid"], context
    ).encode()


async def test_personal_data_in_a_signed_decision_is_masked_but_the_signed_bytes_kept(
    app: App,
) -> None:
    """The exception to "masked where it comes in": the signed record is kept byte for byte
    (`decisions.signed_record`), raw numbers included, so the signature can be checked again —
    sealed with the payload keyring like the applicant's contact, so no raw number is stored;
    the decision's reasons, its event and the case's outcome hold them masked."""
    cid = await fire_case(app)
    reason = "身份证 110101199003077774 与申请人不符，请致电 13800138000"
    value = record(cid, outcome="reject", reasons=[reason])
    await send(app, value, cid, signed_headers(value, "fire"))
    [decided] = await eventually(lambda: events_of(app, cid, "DepartmentDecided"), timeout=60)
    masked = "身份证 110101********7774 与申请人不符，请致电 138****8000"
    assert decided["data"]["reasons"] == [masked]
    async with app.deps.sessions() as s:
        row = (
            (await s.execute(sa.select(decisions).where(decisions.c.case_id == cid))).one()._mapping
        )
    assert list(row["reasons"]) == [masked]
    assert app.settings.payload_kid and row["signed_record_kid"] == app.settings.payload_kid
    assert "110101199003077774" not in row["signed_record"]
    signed = _opened(app, row)
    assert signed == value and b"110101199003077774" in signed
    public = base64.b64decode(public_key_b64("fire"))
    Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(row["signature"]), signed)


async def test_a_decision_signed_with_a_key_registered_later_is_redriven(app: App) -> None:
    cid = await fire_case(app)
    signer, public = new_signer(f"fire-new-{cid.lower()}")
    value = record(cid)
    await refused_as(app, await send(app, value, cid, signer.headers(value)), "unknown_key")
    async with client(app) as http:
        refused = await http.post(f"/ops/cases/{cid}/redrive", json={"reason": "key not yet in"})
        assert refused.status_code == 409, refused.text
        await register(app.deps, "fire", signer.key_id, public, "tests")
        done = await http.post(f"/ops/cases/{cid}/redrive", json={"reason": "key registered"})
    assert done.status_code == 200, done.text
    assert done.json()["detail"]["redriven"][0]["result"] == "accepted"
    [decided] = await eventually(lambda: events_of(app, cid, "DepartmentDecided"), timeout=60)
    assert decided["data"]["signature"]["key_id"] == signer.key_id


def sh(*args: str, env: dict[str, str] | None = None) -> bytes:
    return subprocess.run(args, check=True, capture_output=True, env=env).stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_a_client_outside_the_project_signs_with_openssl(app: App, tmp_path: Path) -> None:
    """docs/contracts.md's shell recipe, run as written: openssl makes the key and the signature,
    the `lianban keys add` command registers it, and a bare Kafka producer sends the bytes."""
    key, body = tmp_path / "fire.pem", tmp_path / "decision.json"
    await asyncio.to_thread(sh, "openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key))
    der = await asyncio.to_thread(
        sh, "openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"
    )
    public = base64.b64encode(der[-32:]).decode()  # the raw key is the DER's last 32 bytes
    cid = await fire_case(app)
    key_id = f"fire-openssl-{cid.lower()}"
    env = {"LIANBAN_DATABASE_URL": app.settings.database_url, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "entrypoints.cli.main", "keys", "add", "--department", "fire"]
    await asyncio.to_thread(sh, *cli, "--key-id", key_id, "--public-key", public, env=env)
    body.write_bytes(record(cid, outcome="approve_with_conditions", conditions=["按图施工"]))
    signature = await asyncio.to_thread(
        sh, "openssl", "pkeyutl", "-sign", "-inkey", str(key), "-rawin", "-in", str(body)
    )
    headers = [
        ("lianban-key-id", key_id.encode()),
        ("lianban-signature", base64.b64encode(signature)),
    ]
    await send(app, body.read_bytes(), cid, headers)
    [decided] = await eventually(lambda: events_of(app, cid, "DepartmentDecided"), timeout=60)
    assert decided["data"]["outcome"] == "approve_with_conditions"
    assert decided["data"]["signature"]["key_id"] == key_id
    await eventually(
        lambda: case_row(app, cid), until=lambda c: c and c["status"] in ("concluded", "issued")
    )


async def test_a_signed_decision_the_case_records_itself_keeps_its_proof(app: App) -> None:
    """A signed decision arriving while the task waits for the applicant's corrections is not
    recorded where it is received: the case's review records it (`record_decision`), opening
    the sealed record to put its digest in the audit chain."""
    cid = await fire_case(app)
    task = f"{cid}.fire"
    ask = {"outcome": "request_corrections", "reasons": ["图纸不全"], "items": ["消防平面图"]}
    headers = bearer("reviewer", "fire", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=headers) as http:
        r = await http.post(f"/tasks/{task}/decision", json=ask)
        assert r.status_code == 202, r.text

    async def waiting() -> str | None:
        async with app.deps.sessions() as s:
            row = await get_task(s, task)
        return row["status"] if row else None

    await eventually(waiting, until=lambda st: st == "corrections_requested", timeout=60)
    value = record(cid)
    await send(app, value, cid, signed_headers(value, "fire"))
    [decided] = await eventually(lambda: events_of(app, cid, "DepartmentDecided"), timeout=60)
    assert decided["data"]["signature"]["record_sha256"] == hashlib.sha256(value).hexdigest()
    assert app.deps.temporal is not None
    handle = app.deps.temporal.get_workflow_handle(cid)

    async def steps() -> list[str]:
        return local_steps(await handle.fetch_history())

    # The step's marker is in the history once its workflow task completes, which may be after
    # the event it wrote is in the database (the same task may go on to conclude the case).
    found = await eventually(steps, until=lambda s: "record_decision" in s, timeout=30)
    assert "record_decision" in found  # the case recorded it, not the consumer
