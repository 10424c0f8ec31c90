"""/audit: replay, verify and export a case's audit record (auditors and admins, read-only);
the auditor's pages are `entrypoints.web.audit_pages`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse

from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Responses, problem_responses
from infra.tokens import Principal, Role
from services.auditors import dossier, replay, verify
from services.auditors.anchors import verify_anchors
from services.operators import department_keys as signing_keys

AUDIT_ROLES = (Role.auditor, Role.admin)
api = APIRouter(prefix="/audit", tags=["audit"])
ERRORS: Responses = problem_responses(401, 403, 404, 422)
At = Annotated[
    str | None, Query(description="ISO date-time (Asia/Shanghai if no zone) or a date (its end)")
]


def _moment(at: str | None) -> datetime | None:
    try:
        return replay.parse_at(at) if at else None
    except ValueError as exc:
        raise HTTPException(422, f"at: {exc}") from exc


@api.get("/cases/{case_id}", responses=ERRORS)
async def replay_case(
    case_id: str, deps: DepsDep, at: At = None, _: Principal = require(*AUDIT_ROLES)
) -> dict[str, Any]:
    """A case's state at a moment, folded from its audit entries, with its timeline."""
    try:
        result = await replay.replay(deps, case_id, _moment(at))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    return replay.replay_document(result)


@api.get("/cases/{case_id}/verify", responses=ERRORS)
async def verify_one(
    case_id: str,
    deps: DepsDep,
    temporal: bool = True,
    digest: bool = False,
    _: Principal = require(*AUDIT_ROLES),
) -> dict[str, Any]:
    """Verify a case: chain, head, anchors, read model and (by default) Temporal.

    The anchors' digest covers the whole log: the last recomputation of it (by `/verify` or
    the anchor job) is reported, unless `digest=true` asks to recompute it now.
    """
    try:
        report = await verify.verify_case(deps, case_id, temporal=temporal, digest=digest)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    return report.document()


@api.get("/verify", responses=ERRORS)
async def verify_every(
    deps: DepsDep, temporal: bool = False, _: Principal = require(*AUDIT_ROLES)
) -> dict[str, Any]:
    """Verify every case and the anchors (Temporal cross-check off unless asked)."""
    return (await verify.verify_all(deps, temporal=temporal)).document()


@api.get("/anchors", responses=ERRORS)
async def anchors_check(deps: DepsDep, _: Principal = require(*AUDIT_ROLES)) -> dict[str, Any]:
    """The anchors' own check: their chain, the anchor file, the latest digest."""
    count, findings = await verify_anchors(deps)
    return {"anchors": count, "findings": [str(f) for f in findings]}


async def _dossier(deps: Any, case_id: str) -> dict[str, Any]:
    try:
        return await dossier.dossier(deps, case_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc


@api.get("/cases/{case_id}/dossier.json", responses=ERRORS)
async def dossier_json(
    case_id: str, deps: DepsDep, _: Principal = require(*AUDIT_ROLES)
) -> JSONResponse:
    """The case's dossier: state, steps, timeline, verification and every entry with hashes."""
    doc = await _dossier(deps, case_id)
    disposition = f'attachment; filename="{case_id}.dossier.json"'
    return JSONResponse(doc, headers={"Content-Disposition": disposition})


@api.get("/cases/{case_id}/dossier.html", response_class=HTMLResponse, responses=ERRORS)
async def dossier_page(
    case_id: str, deps: DepsDep, _: Principal = require(*AUDIT_ROLES)
) -> HTMLResponse:
    """The dossier as one self-contained HTML page to archive."""
    doc = await _dossier(deps, case_id)
    return HTMLResponse(dossier.dossier_html(doc))


router = api


@api.get("/department-keys", responses=ERRORS)
async def department_keys(
    deps: DepsDep,
    department: str | None = Query(default=None, max_length=64),
    _: Principal = require(*AUDIT_ROLES, Role.operator),
) -> dict[str, Any]:
    """The departments' public signing keys, revoked ones too: with them anyone can check a
    decision's signature kept in the case (docs/contracts.md "Signing decisions")."""
    rows = await signing_keys.keys(deps, department)
    return {
        "data": [
            {
                "key_id": r["key_id"],
                "department": r["department"],
                "public_key": r["public_key"],
                "created_at": r["created_at"].isoformat(),
                "created_by": r["created_by"],
                "revoked_at": r["revoked_at"].isoformat() if r["revoked_at"] else None,
                "revoked_reason": r["revoked_reason"],
            }
            for r in rows
        ]
    }
