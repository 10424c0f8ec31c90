"""A small OpenID Connect identity provider for tests: the authorization-code flow with PKCE,
an RS256 id_token, its JWKS. `user` is who signs in (the IdP asks nothing: it redirects back at
once); `tamper_nonce` makes it answer with another nonce."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import RedirectResponse

from entrypoints.devstack.stack import free_port

CLIENT_ID, CLIENT_SECRET = "lianban-pages", "idp-test-secret"


@dataclass
class IdentityProvider:
    port: int = field(default_factory=free_port)
    user: dict[str, Any] = field(default_factory=dict)
    tamper_nonce: bool = False
    jwks_fetches: int = 0
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, app_url: str) -> dict[str, str]:
        """The LIANBAN_SSO_* settings for an app at `app_url`."""
        return {
            "sso_issuer": self.issuer,
            "sso_client_id": CLIENT_ID,
            "sso_client_secret": CLIENT_SECRET,
            "sso_authorize_url": f"{self.issuer}/authorize",
            "sso_token_url": f"{self.issuer}/token",
            "sso_jwks_url": f"{self.issuer}/jwks",
            "sso_redirect_url": f"{app_url}/login/sso/callback",
        }

    def app(self) -> FastAPI:
        idp = FastAPI()

        @idp.get("/authorize")
        async def authorize(
            client_id: str,
            redirect_uri: str,
            state: str,
            nonce: str,
            code_challenge: str,
            code_challenge_method: str,
            response_type: str,
        ) -> RedirectResponse:
            assert response_type == "code" and code_challenge_method == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "nonce": nonce,
                "challenge": code_challenge,
            }
            return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

        @idp.post("/token")
        async def token(
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            client_id: str = Form(),
            code_verifier: str = Form(),
            client_secret: str = Form(),
        ) -> dict[str, str]:
            issued = self.codes.pop(code, None)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if (
                issued is None
                or grant_type != "authorization_code"
                or client_secret != CLIENT_SECRET
                or issued["client_id"] != client_id
                or issued["redirect_uri"] != redirect_uri
                or issued["challenge"] != challenge
            ):
                raise HTTPException(400, "invalid_grant")
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": client_id,
                "iat": now,
                "exp": now + 300,
                "nonce": "not-yours" if self.tamper_nonce else issued["nonce"],
                **self.user,
            }
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return {"id_token": id_token, "token_type": "Bearer"}

        @idp.get("/jwks")
        async def jwks() -> dict[str, Any]:
            self.jwks_fetches += 1
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [public | {"kid": "k1", "use": "sig", "alg": "RS256"}]}

        return idp


@contextlib.asynccontextmanager
async def identity_provider() -> AsyncIterator[IdentityProvider]:
    idp = IdentityProvider()
    config = uvicorn.Config(idp.app(), host="127.0.0.1", port=idp.port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                await asyncio.sleep(0.05)
        yield idp
    finally:
        server.should_exit = True
        await task
