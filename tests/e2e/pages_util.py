"""What the page tests share: a world of real cases for every role to work on, staff accounts,
signing in through the form, screenshots, and the checks every page must pass (axe-core: no
serious or critical violation; nothing wider than the window)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from activities.clocks import ClockActivities
from services import signin
from store.schema import tasks
from tests.e2e.test_api import SUBMISSION, case_when
from tests.utils.auth import bearer
from workflows.models import ClockView, WarningInput

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "pages"
VIEWPORT = {"width": 1280, "height": 800}
AXE = Axe()
# Staff accounts of the walks: role → (department, display name).
ROLES: dict[str, tuple[str | None, str]] = {
    "reviewer": ("fire", "李工"),
    "dept_head": ("fire", "周科长"),
    "operator": (None, "运维小陈"),
    "auditor": (None, "审计老吴"),
    "leader": (None, "张主任"),
    "government_head": (None, "王区长"),
}


@dataclass
class World:
    """Real cases (submitted through the API, run by the workflow), one per purpose, each with
    a title word of its own so a search finds exactly it."""

    tag: str
    cases: dict[str, str] = field(default_factory=dict)  # purpose → case id
    words: dict[str, str] = field(default_factory=dict)  # purpose → a word of its title
    passwords: dict[str, str] = field(default_factory=dict)  # user name → password
    users: dict[str, str] = field(default_factory=dict)  # role → user name


async def _case(app: Any, http: httpx.AsyncClient, word: str) -> str:
    body = {**SUBMISSION, "title": f"{word}厂房新建工程 Plant {word}"}
    r = await http.post("/cases", json=body, headers=bearer("clerk", settings=app.settings))
    assert r.status_code == 202, r.text
    case_id: str = r.json()["case_id"]
    await case_when(http, case_id, lambda c: len(c["tasks"]) == 5)
    return case_id


async def _breach(app: Any, case_id: str) -> None:
    """The case's statutory limit breached (as the clocks' timer would record it): a
    supervision item opens for each department still on it."""
    d = app.deps
    now = datetime.now(UTC)
    await ClockActivities(d.sessions, d.catalog, d.topics, d.calendar).record_warning(
        WarningInput(
            case_id=case_id,
            level="breach",
            due_at=now - timedelta(hours=1),
            fired_at=now,
            clocks=ClockView(statutory_due=date.today(), promised_due=date.today()),
        )
    )


async def _idle(app: Any, task_id: str) -> None:
    """Nobody touched the task for a month: the operator's stalled list shows it."""
    async with app.deps.sessions() as s, s.begin():
        old = datetime.now(UTC) - timedelta(days=30)
        where = tasks.c.task_id == task_id
        await s.execute(sa.update(tasks).where(where).values(last_activity_at=old))


async def build_world(app: Any) -> World:
    """audit: the auditor and operator's case (its env task idle); head: the department head,
    the government head and the leader's (breached, so under supervision); decide: the
    reviewer's; a11y: the accessibility pages' (a comment, a decision)."""
    world = World(tag=uuid.uuid4().hex[:6])
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        for n, purpose in enumerate(("audit", "head", "decide", "a11y")):
            word = f"滨江{world.tag}{'甲乙丙丁'[n]}"
            world.words[purpose] = word
            world.cases[purpose] = await _case(app, http, word)
    await _idle(app, f"{world.cases['audit']}.env")
    await _breach(app, world.cases["head"])
    for role, (dept, name) in ROLES.items():
        username, password = f"{role}-{world.tag}", f"pw-{uuid.uuid4().hex}"
        await signin.add_user(app.deps, username, password, role, dept, name)
        world.users[role], world.passwords[username] = username, password
    return world


async def sign_in(page: Page, app: Any, world: World, role: str) -> None:
    """Through the sign-in form, as a person would."""
    username = world.users[role]
    await page.goto(f"{app.api_url}/login")
    await page.get_by_label("用户名 User name").fill(username)
    await page.get_by_label("密码 Password").fill(world.passwords[username])
    await page.get_by_role("button", name="登录 Sign in", exact=True).click()


async def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def places(page: Page) -> list[str]:
    """The navigation bar's pages, in order."""
    return await page.locator("nav.places [data-place]").evaluate_all(
        "links => links.map(a => a.dataset.place)"
    )


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    results = await AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def too_wide(page: Page) -> list[str]:
    """Elements reaching past the window's right edge (the page scrolls sideways), and the
    page's own width when it does."""
    return await page.evaluate(
        """() => {
          const root = document.documentElement, w = root.clientWidth, out = [];
          if (root.scrollWidth > w) out.push(`page ${root.scrollWidth} > ${w}`);
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
            if (r.width > 0 && r.right > w + 1) out.push(`${name} right ${Math.round(r.right)}`);
          }
          return out.slice(0, 10);
        }"""
    )


async def fits_and_passes(page: Page) -> None:
    assert not await too_wide(page), (page.url, await too_wide(page))
    assert not await serious_violations(page), (page.url, await serious_violations(page))


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)
