"""The message catalog: `locale/<language>/LC_MESSAGES/lianban.po`, compiled in memory the
first time a word is asked for (so a fresh checkout needs no build step, and an edited `.po`
is what the next process shows), then kept for the life of the process.

Every function here answers in both languages, Chinese first ("已认领 Claimed"); when the two
are the same (a number, a code) it is said once. Values are `%(name)s` placeholders, filled
in each language after translation.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "lianban"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("zh_CN", "en")  # the order the pages show them in


@cache
def translations(language: str) -> Translations:
    """One language's catalog, compiled from its `.po` file."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _fill(text: str, values: dict[str, Any] | None) -> str:
    # Always formatted (as Jinja's newstyle gettext does), so "%%" means "%" everywhere;
    # None: left for the caller to fill (the templates' gettext fills after joining).
    return text if values is None else text % values


def _join(parts: list[str]) -> str:
    zh, en = parts
    return zh if zh == en else f"{zh} {en}"


def both(texts: dict[str, str], values: dict[str, Any] | None) -> str:
    """Already-translated texts by language, filled and joined as the pages show them."""
    return _join([_fill(texts[lang], values) for lang in LANGUAGES])


def gettext(message: str, **values: Any) -> str:
    """`message` (English, the msgid) in both languages."""
    return both({lang: translations(lang).gettext(message) for lang in LANGUAGES}, values)


_ = gettext


def N_(message: str) -> str:
    """Marks `message` for the catalog without translating it (translated where shown)."""
    return message


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    texts = {lang: translations(lang).ngettext(singular, plural, n) for lang in LANGUAGES}
    return both(texts, {"num": n, **values})


def pgettext(context: str, message: str, **values: Any) -> str:
    """`message` in `context` (a code: "task status" "open"), in both languages."""
    return both(
        {lang: str(translations(lang).pgettext(context, message)) for lang in LANGUAGES}, values
    )


def npgettext(context: str, singular: str, plural: str, n: int, **values: Any) -> str:
    texts = {lang: translations(lang).npgettext(context, singular, plural, n) for lang in LANGUAGES}
    return both(texts, {"num": n, **values})


def known(context: str, code: str) -> bool:
    """Whether every language's catalog names `code` in `context`."""
    return all(translations(lang).pgettext(context, code) != code for lang in LANGUAGES)


def _each(method: str, *args: Any) -> dict[str, str]:
    """`method` of every language's catalog (gettext, ngettext, pgettext, npgettext)."""
    return {lang: str(getattr(translations(lang), method)(*args)) for lang in LANGUAGES}


def unfilled() -> dict[str, Any]:
    """The callables Jinja's i18n extension installs (newstyle: it fills the placeholders
    itself, after these join the two languages)."""
    return {
        name: (lambda *args, _m=name: both(_each(_m, *args), None))
        for name in ("gettext", "ngettext", "pgettext", "npgettext")
    }


def label(context: str, code: str | None, fallback: str | None = None) -> str:
    """A stored code as a person reads it: the catalog's words for it in `context` ("task
    status", "department", "matter", "error", ...); for a code the catalog does not know (a
    matter from a center's own catalog file), `fallback` or the code itself."""
    if code is None or code == "":
        return "—"
    if known(context, code):
        return pgettext(context, code)
    return fallback or code
