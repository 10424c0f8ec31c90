"""The message catalog and the time formatter: every word a page marks has its Chinese and
English in the catalog, every stored code people read is named, times are Beijing time to the
minute."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

import services
from domain.case_status import CaseStatus
from domain.supervision import ItemStatus
from domain.urgency import ORDER
from events.contracts import ApplicantKind, CaseOutcome, Channel, DecisionOutcome
from events.registry import PAYLOADS
from infra.i18n import LANGUAGES, _, label, local_minute, local_minute_or_dash, translations
from infra.i18n.catalog import LOCALE_DIR
from infra.i18n.codes import MARKED
from infra.tokens import Role
from services.applicants.progress import RATING_LEVELS
from services.departments.inbox import VIEWS
from services.errors import Refused
from services.operators.stalled import REASONS

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2)}


def _marked() -> set[tuple[str | None, str]]:
    """(context, msgid) of every word marked in the code and templates, as `make messages`
    extracts them."""
    with (LOCALE_DIR.parent / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[tuple[str | None, str]] = set()
    for top in ("entrypoints", "infra", "services"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / top, method_map, options_map, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))
    return found


def _entries(language: str) -> dict[tuple[str | None, str], str]:
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "lianban.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id}


def test_every_marked_word_is_in_both_catalogs() -> None:
    marked = _marked()
    assert len(marked) > 150
    zh, en = _entries("zh_CN"), _entries("en")
    assert not sorted(m for m in marked if not zh.get(m)), "no Chinese: run `make messages`"
    assert not sorted(m for m in marked if m not in en), "not in the English catalog"
    # A code (with a context) has no English of its own: the catalog must say it.
    assert not sorted(m for m in marked if m[0] and not en[m]), "code without English words"


def _refusal_codes() -> set[str]:
    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)

    def below(cls: type[Refused]) -> set[type[Refused]]:
        return {s for c in cls.__subclasses__() for s in {c, *below(c)}}

    # SignatureRefused names its code per refusal (a dead letter's reason), not per class.
    return {Refused.code} | {c.code for c in below(Refused) if isinstance(c.code, str)}


def test_every_stored_code_people_read_is_marked() -> None:
    shipped = yaml.safe_load((ROOT / "domain" / "matters.yaml").read_text(encoding="utf-8"))
    expected = {
        "role": {r.value for r in Role},
        "department": set(shipped["departments"]),
        "matter": {m["code"] for m in shipped["matters"]},
        "case status": {s.value for s in CaseStatus},
        "case outcome": {o.value for o in CaseOutcome},
        "task status": {"open", "corrections_requested", "decided", "cancelled", "pending"},
        "outcome": {o.value for o in DecisionOutcome},
        "urgency": set(ORDER),
        "inbox view": set(VIEWS),
        "rating": set(RATING_LEVELS),
        "channel": {c.value for c in Channel},
        "applicant kind": {k.value for k in ApplicantKind},
        "supervision status": {s.value for s in ItemStatus},
        "stalled reason": set(REASONS),
        "event": set(PAYLOADS),
        "error": _refusal_codes(),
    }
    marked: dict[str, set[str]] = {}
    for context, code in MARKED:
        marked.setdefault(context, set()).add(code)
    for context, codes in expected.items():
        assert codes <= marked.get(context, set()), (context, codes - marked.get(context, set()))


def test_words_in_both_languages_chinese_first() -> None:
    assert _("Inbox") == "待办 Inbox"
    assert _("There is no page at %(path)s", path="/x") == "没有此页面：/x There is no page at /x"
    assert label("task status", "decided") == "已决定 Decided"
    assert label("department", "fire") == "消防救援支队 Fire & Rescue"
    # A code the catalog does not know (a center's own matter): what the caller knows of it.
    assert label("matter", "MY-OWN", fallback="我的事项 My matter") == "我的事项 My matter"
    assert label("matter", "MY-OWN") == "MY-OWN"
    assert label("case status", None) == "—"
    assert set(LANGUAGES) == {"zh_CN", "en"}
    assert translations("zh_CN").gettext("Sign out") == "退出"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # The finding: the task page showed 11:35:07.818962+00:00 (UTC).
        (datetime(2026, 10, 15, 11, 35, 7, 818962, tzinfo=UTC), "2026-10-15 19:35"),
        (datetime(2026, 10, 15, 20, 5, tzinfo=UTC), "2026-10-16 04:05"),  # the next local day
        ("2026-10-15T11:35:07.818962+00:00", "2026-10-15 19:35"),
        (date(2026, 10, 15), "2026-10-15"),  # a due date is already the center's day
        ("2026-10-15", "2026-10-15"),
        (None, "—"),
    ],
)
def test_times_in_the_centers_zone_to_the_minute(value: object, shown: str) -> None:
    assert local_minute_or_dash(value) == shown  # type: ignore[arg-type]


def test_naive_instants_are_read_as_utc_as_stored() -> None:
    assert local_minute(datetime(2026, 1, 1, 0, 0)) == "2026-01-01 08:00"
