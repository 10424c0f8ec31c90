"""What the scale benchmark times: the functions the API routes call, then the routes themselves
over an in-process ASGI transport (auth, validation and serialisation included, no socket)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from infra.bootstrap import Deps
from infra.tokens import Role, mint
from services.auditors import verify
from services.auditors.anchors import verify_anchors
from services.departments import inbox
from services.leaders.dashboard import dashboard
from services.leaders.reports import sla_report
from services.operators.stalled import find_stalled
from services.operators.stalled_model import StalledFilter

BUSY_DEPARTMENT = "fire"  # reviews three of the four shipped matters
INBOX_PAGE = 100  # the API's default `limit`


@dataclass(frozen=True)
class Probe:
    """One thing timed: `runs` calls after `warmup`, judged on `worst` (p99 or max)."""

    name: str
    runs: int
    target_ms: float | None  # None: shown to explain another figure, not judged
    worst: str
    call: Callable[[], Awaitable[object]]
    warmup: int = 2


@dataclass(frozen=True)
class Figure:
    probe: Probe
    ms: list[float]

    def pct(self, p: float) -> float:
        """Nearest-rank percentile (as `bench.latency.pct`)."""
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def worst_ms(self) -> float:
        return max(self.ms) if self.probe.worst == "max" else self.pct(99)

    @property
    def met(self) -> bool | None:
        target = self.probe.target_ms
        return None if target is None else self.worst_ms <= target


async def run(probe: Probe) -> Figure:
    for _ in range(probe.warmup):
        await probe.call()
    ms = []
    for _ in range(probe.runs):
        t0 = time.perf_counter()
        await probe.call()
        ms.append((time.perf_counter() - t0) * 1000)
    return Figure(probe, ms)


def _probes(
    inbox_open: Callable[[], Awaitable[object]],
    inbox_all: Callable[[], Awaitable[object]],
    stalled: Callable[[], Awaitable[object]],
    sla: Callable[[], Awaitable[object]],
    audit: Callable[[], Awaitable[object]],
    where: str,
) -> list[Probe]:
    return [
        Probe(f"inbox {BUSY_DEPARTMENT}, view=open ({where})", 200, 20, "p99", inbox_open),
        Probe(f"inbox {BUSY_DEPARTMENT}, no view ({where})", 200, 20, "p99", inbox_all),
        Probe(f"stalled list, read model ({where})", 20, 200, "p99", stalled),
        Probe(f"SLA report, all ({where})", 5, 2000, "max", sla, warmup=1),
        Probe(f"audit verify, 200 events ({where})", 50, 50, "p99", audit),
    ]


def service_probes(deps: Deps, case_id: str) -> list[Probe]:
    """The functions the routes call, with the routes' defaults."""

    async def checked_verify() -> None:
        report = await verify.verify_case(deps, case_id, temporal=False)
        assert report.ok, [str(f) for f in report.failures]

    probes = _probes(
        lambda: inbox.inbox(deps, BUSY_DEPARTMENT, "open", INBOX_PAGE),
        lambda: inbox.inbox(deps, BUSY_DEPARTMENT, None, INBOX_PAGE),
        # live=False: no Temporal here; live lookups describe only the few listed workflows.
        lambda: find_stalled(deps, StalledFilter(), live=False),
        lambda: sla_report(deps),
        checked_verify,
        "service",
    )
    # Recomputing the anchors' digest reads every case's head: `verify --all` and the anchor
    # job do it, a one-case verify reports their last result. Timed alone for the record.
    anchors = Probe(
        "  anchors' digest recomputed (verify --all, anchor job)",
        10,
        None,
        "p99",
        lambda: verify_anchors(deps, digest=True),
    )
    return [*probes, anchors]


def http_probes(http: httpx.AsyncClient, deps: Deps, case_id: str) -> list[Probe]:
    """The same through the routes, with tokens minted by the project's own helper."""
    settings = deps.settings
    reviewer = mint(settings, Role.reviewer, dept=BUSY_DEPARTMENT)
    operator, auditor = mint(settings, Role.operator), mint(settings, Role.auditor)

    def get(path: str, token: str) -> Callable[[], Awaitable[object]]:
        async def call() -> None:
            r = await http.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            if path.startswith("/audit/"):
                assert r.json()["ok"], r.text[:500]

        return call

    tasks = f"/departments/{BUSY_DEPARTMENT}/tasks"
    return _probes(
        get(f"{tasks}?view=open", reviewer),
        get(tasks, reviewer),
        get("/ops/stalled?live=false", operator),
        get("/reports/sla", operator),
        get(f"/audit/cases/{case_id}/verify?temporal=false", auditor),
        "HTTP",
    )


def dashboard_probes(http: httpx.AsyncClient, deps: Deps) -> list[Probe]:
    """The leadership dashboard (issue 16: <= 1 s at 100,000 cases), all matters and
    departments, no period: the report's reads and the warnings read side by side; then the
    page itself (HTML) as a leader, checked to show a section for every table of the service
    (the service is asked once, in the warm-up call)."""
    token = mint(deps.settings, Role.leader)

    async def page() -> None:
        r = await http.get("/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        # Every table the service makes is on the page, each in its own section.
        tables = (await dashboard(deps)).tables if not names else []
        names.extend(t.name for t in tables)
        missing = [n for n in names if f'data-table="{n}"' not in r.text]
        assert names and not missing, (missing, r.text[:300])

    names: list[str] = []

    return [
        Probe("dashboard, all (service)", 5, 1000, "max", lambda: dashboard(deps), warmup=1),
        Probe("dashboard page /dashboard (HTML)", 5, 1000, "max", page, warmup=1),
    ]


def web_inbox_probe(http: httpx.AsyncClient, deps: Deps) -> Probe:
    """The reviewer's inbox page (HTML), as it opens: the open view's first page (50 rows),
    every view's count, the department's supervision items (issue 22: p99 <= 50 ms)."""
    return _page_probe(http, deps, "", 200, 50, "inbox page /inbox, fire (HTML)")


# The inbox page narrowed every way it can be (issue 22: each p99 <= 100 ms). The searches:
# a common title word (many matches), one in no title (every open task is read), the start
# of case numbers (ten cases), a whole case number.
INBOX_FILTERS = (
    ("view=due_soon", "due soon"),
    ("view=overdue", "overdue"),
    ("view=decided", "decided"),
    ("urgency=red", "urgency red"),
    ("urgency=none", "urgency none (on track)"),
    ("matter=FIRE-DESIGN-REVIEW", "one matter"),
    ("claimed=mine", "claimed by me"),
    ("claimed=unclaimed", "unclaimed"),
    ("q=面馆", "search, common title word"),
    ("q=不存在的工程", "search, no match"),
    ("q=LB-S00001", "search, case number start"),
    ("q=LB-S0000101", "search, whole case number"),
    ("sort=received", "newest received first"),
    ("page=20", "page 20"),
    ("view=overdue&matter=IND-CONSTRUCTION&claimed=unclaimed&sort=received", "combined"),
)


def web_filter_probes(http: httpx.AsyncClient, deps: Deps) -> list[Probe]:
    return [
        _page_probe(http, deps, f"?{query}", 100, 100, f"  /inbox {name}")
        for query, name in INBOX_FILTERS
    ]


def _page_probe(
    http: httpx.AsyncClient, deps: Deps, query: str, runs: int, target: float, name: str
) -> Probe:
    # A reviewer who holds some of the synthetic claims (bench.scale_story: fire-reviewer-N).
    token = mint(deps.settings, Role.reviewer, dept=BUSY_DEPARTMENT, sub="fire-reviewer-3")

    async def call() -> None:
        r = await http.get(f"/inbox{query}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and "data-department" in r.text, (r.status_code, r.text[:300])

    return Probe(name, runs, target, "p99", call)


def web_case_probes(http: httpx.AsyncClient, deps: Deps, case_id: str) -> list[Probe]:
    """The staff search (a clerk: every case) and the case page of the 200-event case."""
    clerk = mint(deps.settings, Role.clerk)

    def get(path: str, status: int = 200) -> Callable[[], Awaitable[object]]:
        async def call() -> None:
            r = await http.get(path, headers={"Authorization": f"Bearer {clerk}"})
            assert r.status_code == status, (path, r.status_code, r.text[:300])

        return call

    return [
        Probe("search /search?q=面馆 (HTML, clerk)", 50, 100, "p99", get("/search?q=面馆")),
        Probe("  /search, no match", 50, 100, "p99", get("/search?q=不存在的工程")),
        Probe("  /search, case number start", 50, 100, "p99", get("/search?q=LB-S00001")),
        Probe(f"case page /case/{case_id} (HTML)", 50, None, "p99", get(f"/case/{case_id}")),
    ]
