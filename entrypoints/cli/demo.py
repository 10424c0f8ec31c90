"""`lianban demo`: one industrial construction case through all five departments."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape

from entrypoints.cli.client import Api
from infra.settings import get_settings
from infra.tokens import mint

MATTER = "IND-CONSTRUCTION"
MATERIALS = [
    "application-form",
    "business-licence",
    "land-certificate",
    "design-drawings",
    "eia-report",
    "fire-design",
    "cad-plan",
]
CONDITIONS = {"env": ["施工期间夜间22:00至次日6:00禁止高噪声作业 no noisy work at night"]}


def demo_departments() -> list[str]:
    """The departments reviewing the demo's matter in the configured catalog."""
    from entrypoints.cli.catalog import configured_catalog

    matter = configured_catalog().matter(MATTER)
    return [d.code for d in matter.departments] if matter else []


def _wait(what: str, probe: Callable[[], Any], timeout: float, clock: Callable[[], float]) -> Any:
    deadline = clock() + timeout
    while clock() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def _case_if(api: Api, case_id: str, ready: Callable[[dict[str, Any]], bool]) -> Any:
    case = api.case(case_id)
    return case if ready(case) else None


def _decision(dept: str, reject: str | None) -> dict[str, Any]:
    if dept == reject:
        return {"outcome": "reject", "reasons": ["不符合专项规划要求 does not meet the plan"]}
    if dept in CONDITIONS:
        return {"outcome": "approve_with_conditions", "conditions": CONDITIONS[dept]}
    return {"outcome": "approve"}


def _as(api: Api, role: str, dept: str | None = None) -> Api:
    """The demo plays the window clerk and each department's reviewer: with the development
    key it mints their tokens itself (the API must share the key, as `make run` does)."""
    return api.as_token(mint(get_settings(), role, dept=dept, name=f"{dept or role}-演示"))


def run_demo(
    api: Api, console: Console, *, reject: str | None, timeout: float, clock: Callable[[], float]
) -> dict[str, Any]:
    api = _as(api, "clerk")
    sub = api.submit(
        {
            "matter_code": MATTER,
            "title": "高新区智能装备产业园一期 Smart equipment park, phase 1",
            "applicant": {
                "kind": "enterprise",
                "name": "星河智造有限公司 Xinghe Smart Manufacturing Co.",
                "id_number": "91310000MA1K000000",
                "phone": "13800138000",
            },
            "materials": [{"code": c, "ref": f"oss://materials/{c}.pdf"} for c in MATERIALS],
        }
    )
    case_id = sub["case_id"]
    console.print(f"submitted [bold]{case_id}[/] (query code {sub['query_code']})")
    case = _wait(
        "the departments' review tasks",
        lambda: _case_if(api, case_id, lambda c: len(c["tasks"]) == 5),
        timeout,
        clock,
    )
    console.print(f"accepted; distributed to {', '.join(t['department'] for t in case['tasks'])}")
    for task in case["tasks"]:
        body = {"reviewer": f"{task['department']}-审查员", **_decision(task["department"], reject)}
        receipt = _as(api, "reviewer", task["department"]).decide(task["task_id"], body)
        console.print(f"  {task['department']:8} {body['outcome']:24} {receipt['status']}")
    final = _wait(
        "the conclusion",
        lambda: _case_if(api, case_id, lambda c: c["status"] in ("issued", "concluded")),
        timeout,
        clock,
    )
    console.print(f"concluded: [bold]{final['outcome']}[/] (status {final['status']})")
    for line in final["reasons"] + final["conditions"]:
        console.print(f"  • {escape(line)}")
    if final["licence_number"]:
        console.print(f"licence {final['licence_number']}")
    return dict(final)
