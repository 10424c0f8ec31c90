"""The one route that shows the applicant's unmasked ID and phone, to the roles that contact
the applicant; every call is recorded on the case as `PersonalDataAccessed`."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from entrypoints.api.guards import CaseAccess, case_for
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import problem_responses
from services.access import SEE_PERSONAL_DATA
from services.access_log import record_access
from store.personal import open_contact

router = APIRouter(prefix="/cases/{case_id}", tags=["cases"])
FIELDS = ["id_number", "phone"]


class PersonalDataPublic(BaseModel):
    case_id: str
    kind: str
    name: str
    id_number: str | None
    phone: str | None


@router.get(
    "/personal-data",
    response_model=PersonalDataPublic,
    responses=problem_responses(401, 403, 404),
)
async def read_personal_data(
    response: Response, deps: DepsDep, seen: CaseAccess = case_for(*SEE_PERSONAL_DATA)
) -> PersonalDataPublic:
    """The applicant's contact data, unmasked (window clerk, operator); the access is audited."""
    case = seen.case
    async with deps.sessions() as s, s.begin():
        # Recorded before the data leaves: a failed write means no data.
        await record_access(
            s, seen.user.sub, seen.user.role.value, seen.case_id, FIELDS, "GET personal-data"
        )
    response.headers["Cache-Control"] = "no-store"
    id_number, phone = open_contact(deps.keyring, case)  # the one place they are unsealed
    return PersonalDataPublic(
        case_id=seen.case_id,
        kind=case["applicant_kind"],
        name=case["applicant_name"],
        id_number=id_number,
        phone=phone,
    )
