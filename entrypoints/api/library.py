"""The materials library (证照库): an applicant's entries, one entry (docs/library.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.library_schemas import LibraryEntriesPublic, LibraryEntryPublic, LibrarySearch
from entrypoints.http.schemas import problem_responses
from infra.tokens import Principal, Role
from services.window import library

router = APIRouter(prefix="/library", tags=["library"])
READERS = (Role.clerk, Role.auditor, Role.admin)
LibraryId = Annotated[str, Path(pattern=r"^LIB-[0-9A-F]{20}$")]


@router.post(
    "/search",
    response_model=LibraryEntriesPublic,
    responses=problem_responses(401, 403, 422),
)
async def search_library(
    body: LibrarySearch, deps: DepsDep, user: Principal = require(*READERS)
) -> LibraryEntriesPublic:
    """An applicant's entries by ID number or credit code (clerk, auditor, admin)."""
    found = await library.entries_of(deps, body.id_number)
    return LibraryEntriesPublic(
        count=len(found), data=[LibraryEntryPublic.model_validate(e) for e in found]
    )


@router.get(
    "/{library_id}",
    response_model=LibraryEntryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def read_entry(
    library_id: LibraryId, deps: DepsDep, user: Principal = require(*READERS)
) -> LibraryEntryPublic:
    """One entry with its status now (valid, expired, revoked)."""
    return LibraryEntryPublic.model_validate(await library.entry(deps, library_id))
