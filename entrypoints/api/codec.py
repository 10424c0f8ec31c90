"""/codec: Temporal's codec-server protocol, so the Temporal Web UI and CLI can show the
payloads Lianban encrypts (infra/payload_crypto.py) to operators and auditors.

POST /codec/decode and /codec/encode take and return Payloads as protobuf JSON:
{"payloads": [{"metadata": {"encoding": "<base64>", …}, "data": "<base64>"}]}. Cross-origin
calls from the Web UI are allowed only from LIANBAN_CODEC_CORS_ORIGINS (`CodecCors`).
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, HTTPException, Request, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from entrypoints.http.auth import require
from entrypoints.http.middleware import HttpMiddleware
from entrypoints.http.peer import client_address
from entrypoints.http.schemas import Responses, problem_responses
from infra.payload_crypto import EncryptionCodec, UnknownPayloadKey, parse_keys
from infra.settings import Settings
from infra.tokens import Principal, Role
from services.auditors.codec_reads import record_decode

PREFIX = "/codec"
# Decoding shows case titles, reasons and personal data in the clear: the people who look at
# workflow histories, nobody acting for a department or an applicant.
CODEC_ROLES = (Role.operator, Role.auditor)
router = APIRouter(prefix=PREFIX, tags=["codec"])
# Who the security log names for a decode through the path key (`lianban dev`'s own Web UI,
# which can send no token): the key grants what an operator may read.
EMBEDDED_UI = Principal(sub="temporal-ui", role=Role.operator, name="Temporal Web UI (path key)")
ERRORS: Responses = problem_responses(401, 403, 413, 422)
BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["payloads"],
                    "properties": {
                        "payloads": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "metadata": {
                                        "type": "object",
                                        "additionalProperties": {
                                            "type": "string",
                                            "format": "byte",
                                        },
                                    },
                                    "data": {"type": "string", "format": "byte"},
                                },
                            },
                        }
                    },
                }
            }
        },
    }
}


def _codec(settings: Settings) -> EncryptionCodec | None:
    """The payload codec with every configured key; None when there are none."""
    keys = parse_keys(settings.payload_keys)
    if not keys:
        return None
    # With no current key nothing is encrypted; any loaded key serves for decoding.
    return EncryptionCodec(settings.payload_kid or next(iter(keys)), keys)


async def _payloads(request: Request) -> Payloads:
    body = await request.body()
    try:
        parsed = json_format.Parse(body, Payloads())
    except (json_format.ParseError, DecodeError, UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(422, f"not Payloads in protobuf JSON: {exc}") from exc
    if not isinstance(parsed, Payloads):  # pragma: no cover - Parse returns its argument
        raise HTTPException(422, "not Payloads")
    return parsed


def _answer(payloads: list[Any]) -> Response:
    text = json_format.MessageToJson(Payloads(payloads=payloads), indent=None)
    return Response(text, media_type="application/json")


async def _decode(request: Request, user: Principal) -> Response:
    """Decrypt payloads (ones not encrypted come back unchanged); recorded in the security log."""
    payloads = await _payloads(request)
    codec = _codec(request.app.state.deps.settings)
    decoded = list(payloads.payloads)
    if codec is not None:
        try:
            decoded = await codec.decode(payloads.payloads)
        except UnknownPayloadKey as exc:
            raise HTTPException(422, str(exc)) from exc
        except (InvalidTag, DecodeError, ValueError) as exc:
            raise HTTPException(422, "a payload does not decrypt with its key (altered?)") from exc
    if decoded:
        await record_decode(
            request.app.state.deps,
            user,
            [(p.metadata.get("encoding", b""), p.data) for p in decoded],
            namespace=request.headers.get("x-namespace", "")[:100] or None,
            source=client_address(request),
        )
    return _answer(decoded)


async def _encode(request: Request) -> Response:
    payloads = await _payloads(request)
    settings: Settings = request.app.state.deps.settings
    codec = _codec(settings)
    if codec is None or not settings.payload_kid:
        return _answer(list(payloads.payloads))
    return _answer(await codec.encode(payloads.payloads))


@router.post("/decode", responses=ERRORS, openapi_extra=BODY)
async def decode(request: Request, user: Principal = require(*CODEC_ROLES)) -> Response:
    """Decrypt payloads; ones not encrypted come back unchanged. Recorded in the security log."""
    return await _decode(request, user)


@router.post("/encode", responses=ERRORS, openapi_extra=BODY)
async def encode(request: Request, _: Principal = require(*CODEC_ROLES)) -> Response:
    """Encrypt payloads with the current key, as a worker would (unchanged if none is set)."""
    return await _encode(request)


def _path_key(request: Request, key: str) -> None:
    """A Web UI that sends no credentials carries LIANBAN_CODEC_PATH_KEY in the path; a wrong
    key, or none configured, is the same 404 as a route that does not exist."""
    expected = request.app.state.deps.settings.codec_path_key
    if expected is None or not secrets.compare_digest(
        key.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(404, "Not Found")


@router.post("/ui/{key}/decode", include_in_schema=False)
async def decode_for_ui(request: Request, key: str) -> Response:
    """`decode` for a Web UI configured with `<api>/codec/ui/<key>` (no token)."""
    _path_key(request, key)
    return await _decode(request, EMBEDDED_UI)


@router.post("/ui/{key}/encode", include_in_schema=False)
async def encode_for_ui(request: Request, key: str) -> Response:
    """`encode` for a Web UI configured with `<api>/codec/ui/<key>` (no token)."""
    _path_key(request, key)
    return await _encode(request)


class CodecCors(HttpMiddleware):
    """ASGI middleware: CORS for /codec only, and only for the configured Web UI origins; the
    rest of the API stays same-origin. The UI sends the Authorization and X-Namespace headers
    and may include credentials."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(app)
        self.origins = frozenset(o.rstrip("/") for o in origins)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not scope["path"].startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
        allowed = origin in self.origins
        if scope["method"] == "OPTIONS" and allowed:
            headers = [*self._headers(origin), (b"access-control-max-age", b"600")]
            headers += [
                (b"access-control-allow-methods", b"POST, OPTIONS"),
                (b"access-control-allow-headers", b"authorization, content-type, x-namespace"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._headers(origin)]
            await send(message)

        await self.app(scope, receive, with_cors)

    @staticmethod
    def _headers(origin: str) -> list[tuple[bytes, bytes]]:
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
