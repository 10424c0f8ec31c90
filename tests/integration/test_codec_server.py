"""The Temporal codec server (/codec/encode, /codec/decode) over HTTP: a round trip compatible
with the workers' payload codec, who may call it, CORS for the Web UI, limits and bad bodies."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from entrypoints.http.app import create_app
from infra.bootstrap import Deps, bootstrap
from infra.payload_crypto import EncryptionCodec, parse_keys
from infra.settings import Settings
from tests.utils.auth import bearer

KEYS = {"p1": base64.b64encode(b"1" * 32).decode(), "p0": base64.b64encode(b"0" * 32).decode()}
UI = "https://temporal-ui.example"
SECRET_TEXT = "申请人 张三 的营业执照"


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Deps]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'codec.db'}",
        calendar_dir=None,
        payload_keys=KEYS,
        payload_kid="p1",
        codec_cors_origins=[UI],
        codec_max_body_bytes=512 * 1024,
    )
    d = await bootstrap(settings, temporal=False, migrate=True)
    yield d
    await d.close()


@pytest.fixture
async def http(deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def _json(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


def _payload(doc: dict[str, Any]) -> Payload:
    return Payload(
        metadata={k: base64.b64decode(v) for k, v in doc.get("metadata", {}).items()},
        data=base64.b64decode(doc.get("data", "")),
    )


def _plain() -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([{"title": SECRET_TEXT}])[0]


async def test_round_trip_through_http(http: httpx.AsyncClient, deps: Deps) -> None:
    plain = _plain()
    operator = bearer("operator", settings=deps.settings)
    r = await http.post("/codec/encode", json={"payloads": [_json(plain)]}, headers=operator)
    assert r.status_code == 200, r.text
    (sealed,) = r.json()["payloads"]
    sealed_payload = _payload(sealed)
    assert sealed_payload.metadata["encoding"] == b"binary/encrypted"
    assert sealed_payload.metadata["encryption-key-id"] == b"p1"
    assert SECRET_TEXT.encode() not in sealed_payload.data

    auditor = bearer("auditor", settings=deps.settings)
    r = await http.post("/codec/decode", json={"payloads": [sealed]}, headers=auditor)
    assert r.status_code == 200, r.text
    (opened,) = r.json()["payloads"]
    assert _payload(opened) == plain


async def test_decodes_what_workers_wrote_with_an_older_key(
    http: httpx.AsyncClient, deps: Deps
) -> None:
    # A history written by a worker whose current key was p0; p1 is current now.
    worker = EncryptionCodec("p0", parse_keys(KEYS))
    written = await worker.encode([_plain(), _plain()])
    unencrypted = _plain()  # written before encryption was turned on: passes through
    body = {"payloads": [_json(p) for p in [*written, unencrypted]]}
    r = await http.post(
        "/codec/decode", json=body, headers=bearer("operator", settings=deps.settings)
    )
    assert r.status_code == 200, r.text
    assert [_payload(p) for p in r.json()["payloads"]] == [_plain()] * 3


@pytest.mark.parametrize("path", ["/codec/decode", "/codec/encode"])
async def test_who_may_call(http: httpx.AsyncClient, deps: Deps, path: str) -> None:
    body = {"payloads": [_json(_plain())]}
    r = await http.post(path, json=body)
    assert r.status_code == 401, r.text
    r = await http.post(path, json=body, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    for role, dept in [
        ("reviewer", "fire"),
        ("dept_head", "fire"),
        ("applicant", None),
        ("clerk", None),
        ("leader", None),
    ]:
        r = await http.post(path, json=body, headers=bearer(role, dept, settings=deps.settings))
        assert r.status_code == 403, (role, r.text)
        assert r.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"payloads": "x"}',
        b'{"payloads": [{"data": "!!! not base64 !!!"}]}',
        b'{"payloads": [{"metadata": {"encoding": 5}}]}',
        b'{"payload": []}',
        b"\xff\xfe",
    ],
)
async def test_malformed_bodies_are_422(http: httpx.AsyncClient, deps: Deps, body: bytes) -> None:
    headers = {**bearer("operator", settings=deps.settings), "Content-Type": "application/json"}
    for path in ("/codec/decode", "/codec/encode"):
        r = await http.post(path, content=body, headers=headers)
        assert r.status_code == 422, (path, body, r.text)
        assert r.json()["error"] in ("error", "invalid_request"), r.text


async def test_altered_or_unknown_key_is_422(http: httpx.AsyncClient, deps: Deps) -> None:
    headers = bearer("operator", settings=deps.settings)
    (sealed,) = await EncryptionCodec("p1", parse_keys(KEYS)).encode([_plain()])
    # The last byte flipped, so it always differs (setting it to 0 left one run in 256 unaltered).
    altered = Payload(
        metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    )
    r = await http.post("/codec/decode", json={"payloads": [_json(altered)]}, headers=headers)
    assert r.status_code == 422, r.text
    (other,) = await EncryptionCodec("px", {"px": b"x" * 32}).encode([_plain()])
    r = await http.post("/codec/decode", json={"payloads": [_json(other)]}, headers=headers)
    assert r.status_code == 422 and "'px'" in r.text


async def test_body_limit_is_the_codec_setting(http: httpx.AsyncClient, deps: Deps) -> None:
    headers = bearer("operator", settings=deps.settings)
    # Over the API's general 256 KiB limit, under the codec's 512 KiB: accepted.
    big = Payload(metadata={"encoding": b"binary/plain"}, data=b"a" * 300_000)
    r = await http.post("/codec/encode", json={"payloads": [_json(big)]}, headers=headers)
    assert r.status_code == 200, r.text[:200]
    huge = Payload(metadata={"encoding": b"binary/plain"}, data=b"a" * 600_000)
    r = await http.post("/codec/encode", json={"payloads": [_json(huge)]}, headers=headers)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


async def test_cors_only_for_the_configured_ui(http: httpx.AsyncClient, deps: Deps) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    r = await http.options("/codec/decode", headers=preflight)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == UI
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in r.headers["access-control-allow-headers"]
    assert "POST" in r.headers["access-control-allow-methods"]

    r = await http.options("/codec/decode", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers

    body = {"payloads": [_json(_plain())]}
    headers = {**bearer("auditor", settings=deps.settings), "Origin": UI, "X-Namespace": "default"}
    r = await http.post("/codec/decode", json=body, headers=headers)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == UI
    # A refusal carries the header too, so the UI can show why.
    r = await http.post("/codec/decode", json=body, headers={"Origin": UI})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == UI
    # The rest of the API is not opened to the UI's origin.
    r = await http.options("/cases", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    r = await http.post(
        "/codec/decode", json=body, headers={**headers, "Origin": "https://x.example"}
    )
    assert "access-control-allow-origin" not in r.headers


async def test_the_path_key_serves_a_ui_that_sends_no_token(
    http: httpx.AsyncClient, deps: Deps, tmp_path: Path
) -> None:
    sealed = await EncryptionCodec("p1", parse_keys(KEYS)).encode([_plain()])
    body = {"payloads": [_json(p) for p in sealed]}
    # No key configured: the route does not exist for anyone.
    assert (await http.post(f"/codec/ui/{'k' * 40}/decode", json=body)).status_code == 404
    keyed = deps.settings.model_copy(
        update={"codec_path_key": SecretStr("k" * 40), "database_url": deps.settings.database_url}
    )
    other = await bootstrap(keyed, temporal=False, migrate=True)
    try:
        transport = httpx.ASGITransport(app=create_app(other))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as ui:
            r = await ui.post(f"/codec/ui/{'k' * 40}/decode", json=body, headers={"Origin": UI})
            assert r.status_code == 200, r.text
            assert [_payload(p) for p in r.json()["payloads"]] == [_plain()]
            assert r.headers["access-control-allow-origin"] == UI
            # A wrong key is the same 404; the token route still wants its token.
            wrong = await ui.post(f"/codec/ui/{'x' * 40}/decode", json=body)
            assert wrong.status_code == 404
            assert (await ui.post("/codec/decode", json=body)).status_code == 401
    finally:
        await other.close()


async def test_who_decoded_which_cases_is_in_the_security_log(
    http: httpx.AsyncClient, deps: Deps
) -> None:
    """Issue 21, item 17: a decode was never recorded. Now each one is, with the cases its
    payloads belong to (read from the decoded payloads: the protocol names no workflow)."""
    from store.security import recent_refusals
    from workflows.models import JointApprovalInput

    codec = EncryptionCodec("p1", parse_keys(KEYS))
    convert = pydantic_data_converter.payload_converter.to_payloads
    case_input = {"case_id": "LB-20261201-AAAA0001", "title": SECRET_TEXT}
    signal = {"task_id": "LB-20261201-BBBB0002.fire", "outcome": "approve"}
    assert "case_id" in JointApprovalInput.model_fields  # what a case's workflow input names
    sealed = await codec.encode(convert([case_input, signal]))
    auditor = bearer("auditor", settings=deps.settings, name="审计员 李四")
    headers = auditor | {"X-Namespace": "lianban"}
    body = {"payloads": [_json(p) for p in sealed]}
    r = await http.post("/codec/decode", json=body, headers=headers)
    assert r.status_code == 200, r.text
    async with deps.sessions() as s:
        [line] = [e for e in await recent_refusals(s) if e["route"] == "/codec/decode"]
    assert (line["role"], line["subject"]) == ("auditor", "审计员 李四")
    assert "decoded 2 payload(s) in namespace lianban" in line["reason"]
    assert "LB-20261201-AAAA0001" in line["reason"] and "LB-20261201-BBBB0002" in line["reason"]
    assert SECRET_TEXT not in line["reason"]  # who and which, never what
    # Encoding shows nothing: not recorded; a refused decode is no read either.
    await http.post("/codec/encode", json=body, headers=auditor)
    clerk = bearer("clerk", settings=deps.settings)
    assert (await http.post("/codec/decode", json=body, headers=clerk)).status_code == 403
    async with deps.sessions() as s:
        assert len([e for e in await recent_refusals(s) if e["route"] == "/codec/decode"]) == 1
