"""Bearer tokens from an identity provider: RS256/ES256 checked against a JWKS this test serves
itself, keys generated here; rotation by an unknown kid; Lianban's own tokens still work."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError

from entrypoints.http.app import create_app
from infra import oidc
from infra.bootstrap import bootstrap
from infra.oidc import verify_bearer
from infra.settings import Settings
from infra.tokens import InvalidToken, Role, mint

ISSUER = "https://idp.example/realms/center"
AUDIENCE = "lianban"


class Jwks:
    """A JWKS endpoint on a free port; `keys` can change while it runs."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key: Any, kid: str) -> dict[str, Any]:
    algo = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    jwk = algo.to_jwk(key.public_key(), as_dict=True)
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


def _token(key: Any, kid: str, **claims: Any) -> str:
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1", "iat": now, "exp": now + 300}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, alg, {"kid": kid})


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.close()
    oidc._CLIENTS.pop(server.url, None)


@pytest.fixture
def settings(jwks: Jwks) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=jwks.url,
        oidc_role_map={"center-ops": "operator"},
        calendar_dir=None,
    )


async def test_rs256_and_es256_tokens(jwks: Jwks, settings: Settings) -> None:
    rsa_key, ec_key = _rsa(), ec.generate_private_key(ec.SECP256R1())
    jwks.keys = [_jwk(rsa_key, "r1"), _jwk(ec_key, "e1")]
    p = await verify_bearer(settings, _token(rsa_key, "r1", lianban_role="center-ops", name="王"))
    assert (p.sub, p.role, p.dept, p.name) == ("oidc:u-1", Role.operator, None, "王")
    p = await verify_bearer(
        settings, _token(ec_key, "e1", lianban_role=["reviewer", "x"], lianban_dept="fire")
    )
    assert (p.role, p.dept) == (Role.reviewer, "fire")
    assert jwks.fetches == 1  # the key set is cached


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "other"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"lianban_role": None}, "exactly one Lianban role"),
        ({"lianban_role": "superuser"}, "exactly one Lianban role"),
        ({"lianban_role": ["operator", "auditor"]}, "exactly one Lianban role"),
        ({"lianban_role": "reviewer"}, "department"),
    ],
)
async def test_refused_claims(
    jwks: Jwks, settings: Settings, claims: dict[str, Any], reason: str
) -> None:
    key = _rsa()
    jwks.keys = [_jwk(key, "r1")]
    token = _token(key, "r1", **{"lianban_role": "operator", **claims})
    with pytest.raises(InvalidToken, match=f"(?i){reason}"):
        await verify_bearer(settings, token)


async def test_forged_signature_and_unknown_kid(jwks: Jwks, settings: Settings) -> None:
    key = _rsa()
    jwks.keys = [_jwk(key, "r1")]
    with pytest.raises(InvalidToken, match=r"(?i)signature"):
        await verify_bearer(settings, _token(_rsa(), "r1", lianban_role="operator"))
    with pytest.raises(InvalidToken, match="nope"):
        await verify_bearer(settings, _token(_rsa(), "nope", lianban_role="operator"))
    # Within the cool-down an unknown kid does not refetch: junk tokens cannot hammer the IdP.
    assert jwks.fetches == 1


async def test_rotation_refetches_on_an_unknown_kid(
    jwks: Jwks, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oidc, "REFETCH_COOLDOWN", 0.0)  # the rotation comes at once here
    old, new = _rsa(), _rsa()
    jwks.keys = [_jwk(old, "k-old")]
    await verify_bearer(settings, _token(old, "k-old", lianban_role="auditor"))
    assert jwks.fetches == 1
    jwks.keys = [_jwk(new, "k-new")]  # the IdP rotated
    p = await verify_bearer(settings, _token(new, "k-new", lianban_role="auditor"))
    assert p.role == Role.auditor and jwks.fetches == 2


async def test_own_tokens_still_accepted_and_hs256_confusion_refused(
    jwks: Jwks, settings: Settings
) -> None:
    key = _rsa()
    jwks.keys = [_jwk(key, "r1")]
    own = await verify_bearer(settings, mint(settings, "auditor"))
    assert own.role == Role.auditor
    # An HS256 token naming the IdP's kid goes the HS256 path and is refused there.
    hs = jwt.encode({"sub": "x"}, "k" * 40, "HS256", {"kid": "r1"})
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verify_bearer(settings, hs)


def test_partial_settings_refused() -> None:
    with pytest.raises(ValidationError, match="LIANBAN_OIDC_JWKS_URL"):
        Settings(_env_file=None, oidc_issuer=ISSUER, oidc_audience=AUDIENCE)  # type: ignore[call-arg]


async def test_through_http(jwks: Jwks, settings: Settings, tmp_path: Any) -> None:
    key = _rsa()
    jwks.keys = [_jwk(key, "r1")]
    settings = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'o.db'}"}
    )
    deps = await bootstrap(settings, temporal=False, migrate=True)
    try:
        transport = httpx.ASGITransport(app=create_app(deps))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            body: dict[str, list[object]] = {"payloads": []}
            ops = {"Authorization": f"Bearer {_token(key, 'r1', lianban_role='center-ops')}"}
            r = await http.post("/codec/decode", json=body, headers=ops)
            assert r.status_code == 200, r.text
            head = _token(key, "r1", lianban_role="dept_head", lianban_dept="fire")
            r = await http.post(
                "/codec/decode", json=body, headers={"Authorization": f"Bearer {head}"}
            )
            assert r.status_code == 403
            bad = _token(key, "r1", lianban_role="center-ops", aud="x")
            r = await http.post(
                "/codec/decode", json=body, headers={"Authorization": f"Bearer {bad}"}
            )
            assert r.status_code == 401 and "audience" in r.text.lower()
    finally:
        await deps.close()
