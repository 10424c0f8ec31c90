"""The materials library's end-to-end story, over Kafka as a portal and the departments' own
systems would drive it: an enterprise's food business case issues a licence; its opening
check (another matter, which needs that licence and the business licence) arrives without
either and is accepted with both filled from the library. Shared by the e2e tests of the
library, the provenance pages and the licences (tests/e2e/test_materials_library.py)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from tests.e2e.kafka_util import Produce, envelope, read_until

# A unified social credit code (统一社会信用代码): the enterprise's library key.
CREDIT_CODE = "91310115MA1K4XQ27C"
ENTERPRISE = {"kind": "enterprise", "name": "味之源餐饮管理有限公司", "id_number": CREDIT_CODE}
QUERY_CODE = "482913"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def file(code: str, case_tag: str) -> dict[str, Any]:
    """A material as a portal sends it: where the file lives and its content's hash."""
    ref = f"oss://portal/{case_tag}/{code}.pdf"
    return {"code": code, "ref": ref, "sha256": sha256(f"content of {ref}")}


def submission(matter: str, title: str, materials: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "matter_code": matter,
        "title": title,
        "applicant": ENTERPRISE,
        "materials": materials,
        "query_code": QUERY_CODE,
    }


def on_case(case_id: str, event_type: str, **data: Any) -> Any:
    def match(doc: dict[str, Any]) -> bool:
        return bool(
            doc["case_id"] == case_id
            and doc["event_type"] == event_type
            and all(doc["data"].get(k) == v for k, v in data.items())
        )

    return match


@dataclass
class Story:
    case1: str
    case2: str
    licence: dict[str, Any]  # case 1's LicenceIssued data
    business_licence_sha: str
    accepted: dict[str, Any]  # case 2's CaseAccepted data
    reused: dict[str, Any]  # case 2's MaterialsReused data
    tasks: dict[str, dict[str, Any]]  # case 2's ReviewTaskAssigned data by department


async def submit(produce: Produce, app: Any, case_id: str, body: dict[str, Any]) -> Any:
    doc = envelope("ApplicationSubmitted", case_id, body, "portal", schema_version=2)
    return await produce.event(app.settings.topics.submissions, doc)


async def decide(produce: Produce, app: Any, case_id: str, department: str) -> None:
    decision = {"department": department, "outcome": "approve", "reviewer": f"{department}-sys"}
    doc = envelope("DecisionMade", case_id, decision, f"{department}-system")
    await produce.event(app.settings.topics.decisions, doc)  # signed with its test key


async def run_story(app: Any) -> Story:
    bootstrap, topics = app.settings.kafka_bootstrap, app.settings.topics
    tag = uuid.uuid4().hex[:10].upper()
    case1, case2 = f"FB-{tag}", f"CO-{tag}"
    first = [file(c, case1) for c in ("application-form", "business-licence", "premises-lease")]
    async with Produce(bootstrap) as produce:
        await submit(produce, app, case1, submission("FOOD-BUSINESS", "味之源 食品经营许可", first))
        await read_until(bootstrap, topics.review_tasks, on_case(case1, "ReviewTaskAssigned"))
        await decide(produce, app, case1, "samr")
        issued = await read_until(bootstrap, topics.case_events, on_case(case1, "LicenceIssued"))
        # Case 2 brings neither the business licence nor the food business licence.
        second = [file(c, case2) for c in ("application-form", "floor-plan")]
        await submit(produce, app, case2, submission("CATERING-OPENING", "味之源 开业核查", second))
        accepted = await read_until(bootstrap, topics.case_events, on_case(case2, "CaseAccepted"))
        reused = await read_until(bootstrap, topics.case_events, on_case(case2, "MaterialsReused"))
        tasks = {
            d: (
                await read_until(
                    bootstrap,
                    topics.review_tasks,
                    on_case(case2, "ReviewTaskAssigned", department=d),
                )
            )["data"]
            for d in ("fire", "env")
        }
    return Story(
        case1=case1,
        case2=case2,
        licence=issued["data"],
        business_licence_sha=first[1]["sha256"],
        accepted=accepted["data"],
        reused=reused["data"],
        tasks=tasks,
    )
