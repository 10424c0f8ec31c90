"""Event payloads of the scale benchmark's synthetic cases, as plain dicts.

Built by hand rather than through the payload models because a million pydantic round trips
cost a minute on a small machine; `check_shapes` validates the first payload of every type
against its model (`events.registry.PAYLOADS`), so a contract change fails the load instead of
silently loading events the services would not have written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.catalog import Matter
from domain.review import APPEAL_RIGHTS
from events.registry import PAYLOADS


def iso(value: date | datetime) -> str:
    """Dates and instants as pydantic's JSON mode writes them (UTC instants end in Z)."""
    text = value.isoformat()
    return text.replace("+00:00", "Z") if isinstance(value, datetime) else text


def submitted(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "matter_code": case["matter_code"],
        "title": case["title"],
        "applicant": {
            "kind": case["applicant_kind"],
            "name": case["applicant_name"],
            "id_number": case["applicant_id_number"],
            "phone": case["applicant_phone"],
        },
        "channel": case["channel"],
        "materials": case["materials"],
        "query_code": case["query_code"],
    }


def accepted(case: dict[str, Any], matter: Matter, accepted_on: date) -> dict[str, Any]:
    return {
        "matter_code": matter.code,
        "tolerant": bool(case["missing_materials"]),
        "missing_materials": case["missing_materials"],
        "departments": [d.code for d in matter.departments],
        "statutory_due": iso(case["statutory_due"]),
        "promised_due": iso(case["promised_due"]),
        "provisional": False,
        "accepted_on": iso(accepted_on),
        "deemed": False,
    }


def task_assigned(task: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_id": task["task_id"],
        "department": task["department"],
        "matter_code": case["matter_code"],
        "title": case["title"],
        "checks": task["checks"],
        "materials": [
            {"code": m["code"], "name": None, "ref": None, "sha256": None, "provenance": None}
            for m in case["materials"]
        ],
        "due_date": iso(task["due_date"]),
    }


def decided(task: dict[str, Any], decision_event_id: str) -> dict[str, Any]:
    return {
        "department": task["department"],
        "outcome": task["outcome"],
        "reasons": task["reasons"],
        "conditions": task["conditions"],
        "reviewer": task["reviewer"],
        "decision_event_id": decision_event_id,
        # Synthetic decisions came over the API, not Kafka: no department signature (as the
        # model writes it since signed decisions).
        "signature": None,
    }


def concluded(case: dict[str, Any]) -> dict[str, Any]:
    refused = case["outcome"] == "refused"
    return {
        "outcome": case["outcome"],
        "reasons": case["reasons"],
        "conditions": case["conditions"],
        "appeal_rights": APPEAL_RIGHTS if refused else None,
    }


def licence(number: str, issued_at: datetime) -> dict[str, Any]:
    return {
        "licence_number": number,
        "issued_at": iso(issued_at),
        "key_id": None,
        "document_sha256": None,
        "valid_until": None,
        "library_id": None,
    }


def warning(
    level: str, due_at: datetime, fired_at: datetime, case: dict[str, Any]
) -> dict[str, Any]:
    return {
        "level": level,
        "due_at": iso(due_at),
        "fired_at": iso(fired_at),
        "promised_due": iso(case["promised_due"]),
        "statutory_due": iso(case["statutory_due"]),
        "provisional": False,
        "supervision": level == "breach",
    }


def paused(pause: Any, by: str, case: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": pause.kind,
        "notice_ref": pause.notice_ref,
        "started_on": iso(pause.started_on),
        "expected_days": pause.expected_days,
        "stops_clock": True,
        "requested_by": by,
        "statutory_due": iso(case["statutory_due"]),
        "promised_due": iso(case["promised_due"]),
    }


def resumed(pause: Any, by: str, case: dict[str, Any]) -> dict[str, Any]:
    return {
        "notice_ref": pause.notice_ref,
        "ended_on": iso(pause.ended_on),
        "paused_days": pause.days,
        "requested_by": by,
        "statutory_due": iso(case["statutory_due"]),
        "promised_due": iso(case["promised_due"]),
    }


def operator_action(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("action", "actor", "role", "reason", "target", "result")
    return {k: row[k] for k in keys} | {"detail": {}}


def rated(level: str, comment: str) -> dict[str, Any]:
    return {"level": level, "comment": comment, "follow_up_id": None}


def check_shapes(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Each payload must be exactly what its model writes (`model_dump(mode="json")`)."""
    seen: set[str] = set()
    for event_type, data in events:
        if event_type in seen:
            continue
        seen.add(event_type)
        written = PAYLOADS[event_type].model_validate(data).model_dump(mode="json")
        if written != data:
            raise AssertionError(f"{event_type}: generated {data!r}, the model writes {written!r}")
