"""Electronic licences: public status, the signed document and signature, the center's
public keys (no token); revocation (admin, or the head of a reviewing department)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.library_schemas import (
    LicenceKeysPublic,
    LicenceRevoke,
    LicenceRevokedPublic,
    LicenceStatusPublic,
)
from entrypoints.http.schemas import Responses, problem_responses
from infra.tokens import Principal, Role
from services.applicants import licences
from services.departments import licences as revocation

router = APIRouter(tags=["licences"])
Number = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")]
KeyId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
NOT_FOUND: Responses = problem_responses(404)
Endpoint = Callable[..., Any]


@router.get(
    "/public/licences/{number}/status", response_model=LicenceStatusPublic, responses=NOT_FOUND
)
async def licence_status(number: Number, deps: DepsDep) -> LicenceStatusPublic:
    """A licence's public facts and its status now (valid, expired, revoked); no token."""
    found = await licences.verify(deps, number)
    doc = found.document
    base = f"/public/licences/{number}"
    return LicenceStatusPublic(
        licence_number=number,
        status=found.status,  # type: ignore[arg-type]
        licence=doc["licence"],
        matter=doc["matter"],
        holder=doc["holder"],
        conditions=doc["conditions"],
        issued_at=found.issued_at,
        valid_from=doc["valid_from"],
        valid_until=found.valid_until,
        key_id=found.key_id,
        revoked_at=found.revoked_at,
        revoked_reason=found.revoked_reason,
        links={
            "page": base,
            "document": f"{base}/licence.json",
            "signature": f"{base}/licence.sig",
            "key": f"/public/licence-keys/{found.key_id}.pem",
        },
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


def _file_route(path: str, media_type: str, what: str) -> Callable[[Endpoint], Endpoint]:
    """A public GET that answers with a file's bytes (`what`), or a problem when not found."""
    responses = {200: {"content": {media_type: {}}, "description": what}, **NOT_FOUND}
    return router.get(path, response_class=Response, responses=responses)


@_file_route(
    "/public/licences/{number}/licence.json", "application/json", "the document's exact bytes"
)
async def licence_document(number: Number, deps: DepsDep) -> Response:
    """The signed document, its exact bytes (what the signature is over); no token."""
    document, _ = await licences.signed_files(deps, number)
    return _download(document, "application/json", f"{number}.json")


@_file_route("/public/licences/{number}/licence.sig", "application/octet-stream", "64 bytes")
async def licence_signature(number: Number, deps: DepsDep) -> Response:
    """The Ed25519 signature over the document: 64 raw bytes; no token."""
    _, signature = await licences.signed_files(deps, number)
    return _download(signature, "application/octet-stream", f"{number}.sig")


@router.get("/public/licence-keys", response_model=LicenceKeysPublic)
async def licence_keys(deps: DepsDep) -> LicenceKeysPublic:
    """Every key the center signed licences with (old ones keep verifying); no token."""
    return LicenceKeysPublic.model_validate({"data": await licences.published_keys(deps)})


@_file_route(
    "/public/licence-keys/{key_id}.pem", "application/x-pem-file", "SubjectPublicKeyInfo PEM"
)
async def licence_key_pem(key_id: KeyId, deps: DepsDep) -> Response:
    """One public key as PEM (SubjectPublicKeyInfo), for `openssl pkeyutl -verify`."""
    for key in await licences.published_keys(deps):
        if key["key_id"] == key_id:
            return _download(key["pem"].encode(), "application/x-pem-file", f"{key_id}.pem")
    raise licences.NoSuchLicence(f"no licence key {key_id!r}")


@router.post(
    "/licences/{number}/revoke",
    response_model=LicenceRevokedPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def revoke_licence(
    number: Number,
    body: LicenceRevoke,
    deps: DepsDep,
    user: Principal = require(Role.admin, Role.dept_head),
) -> LicenceRevokedPublic:
    """Revoke an issued licence with a reason (audited on its case)."""
    done = await revocation.revoke(deps, user, number, body.reason.strip())
    return LicenceRevokedPublic(
        licence_number=number, status="revoked", reason=done.reason, by=done.actor
    )
