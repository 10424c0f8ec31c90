"""The pages' shell: which pages a signed-in person may use (the navigation bar shows exactly
these, and each page checks the same list), where each role lands after signing in, and the
breadcrumbs. A page is added here once, with the roles that may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from entrypoints.web.page_errors import PageError
from infra.i18n import N_, _
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services import access


@dataclass(frozen=True)
class Place:
    key: str
    path: str
    title: str  # msgid: shown through the catalog
    roles: frozenset[Role]


# The order of the navigation bar.
PLACES: tuple[Place, ...] = (
    Place("inbox", "/inbox", N_("Inbox"), frozenset({*DEPARTMENT_ROLES, *access.READ_EVERY_INBOX})),
    Place(
        "search",
        "/search",
        N_("Case search"),
        frozenset({*DEPARTMENT_ROLES, *access.READ_EVERY_CASE}),
    ),
    Place("ops", "/ops", N_("Operations"), frozenset({Role.operator, Role.admin})),
    Place("auditor", "/auditor", N_("Audit"), frozenset({Role.auditor, Role.admin})),
    Place(
        "dashboard",
        "/dashboard",
        N_("Dashboard"),
        frozenset({Role.leader, Role.auditor, Role.admin}),
    ),
    Place("extensions", "/extensions", N_("Extensions"), frozenset({Role.government_head})),
    Place(
        "supervision",
        "/supervision/board",
        N_("Supervision"),
        frozenset({Role.operator, Role.auditor, Role.leader, Role.admin}),
    ),
)
BY_KEY = {p.key: p for p in PLACES}

# Where each role lands after signing in: the page of its daily work.
HOME = {
    Role.reviewer: "inbox",
    Role.dept_head: "inbox",
    Role.operator: "ops",
    Role.admin: "ops",
    Role.auditor: "auditor",
    Role.leader: "dashboard",
    Role.government_head: "extensions",
    Role.clerk: "search",
}


def places_for(user: Principal) -> list[Place]:
    """The pages `user` may use, in the navigation bar's order."""
    return [p for p in PLACES if user.role in p.roles]


def may_use(user: Principal, key: str) -> bool:
    return user.role in BY_KEY[key].roles


def require(user: Principal, key: str) -> None:
    """403 for a page not in the person's navigation bar."""
    if not may_use(user, key):
        raise PageError(403, _("This page is not for your role (%(role)s)", role=user.role.value))


def home_for(user: Principal) -> str:
    """The page a person lands on after signing in; the public progress page for a role with
    no staff page (an applicant)."""
    key = HOME.get(user.role)
    return BY_KEY[key].path if key else "/progress"


@dataclass(frozen=True)
class Crumb:
    title: str  # already in both languages
    href: str | None


def crumbs(user: Principal, *trail: tuple[str, str | None]) -> list[Crumb]:
    """The breadcrumbs: the person's home page, then `trail` ((text, link), the last one the
    page itself, unlinked)."""
    key = HOME.get(user.role)
    first = [Crumb(_(BY_KEY[key].title), BY_KEY[key].path)] if key else []
    rest = [Crumb(text, href) for text, href in trail]
    if first and rest and rest[0].title == first[0].title:  # the trail starts at home
        first = []
    return first + rest
