"""What was wrong with a form or a query, said next to its field in both languages.

FastAPI and pydantic describe a bad field with an error type and a location; a person reads
the catalog's sentence for that type, with the limit it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.i18n import N_, gettext

# pydantic's error types, as a person reads them; `%(…)s` take the error's context.
MESSAGES = {
    "missing": N_("This field is required"),
    "string_too_long": N_("At most %(max_length)s characters"),
    "string_too_short": N_("At least %(min_length)s characters"),
    "too_long": N_("At most %(max_length)s entries"),
    "too_short": N_("At least %(min_length)s entries"),
    "literal_error": N_("Must be one of: %(expected)s"),
    "enum": N_("Must be one of: %(expected)s"),
    "int_parsing": N_("Must be a whole number"),
    "int_type": N_("Must be a whole number"),
    "bool_parsing": N_("Must be true or false"),
    "date_parsing": N_("Must be a date like 2026-10-15"),
    "date_from_datetime_parsing": N_("Must be a date like 2026-10-15"),
    "greater_than_equal": N_("Must be at least %(ge)s"),
    "less_than_equal": N_("Must be at most %(le)s"),
    "greater_than": N_("Must be more than %(gt)s"),
    "less_than": N_("Must be less than %(lt)s"),
    "string_pattern_mismatch": N_("Not in the expected form"),
    "url_parsing": N_("Must be a link, e.g. https://… or oss://…"),
}
OTHER = N_("Not accepted: %(detail)s")


@dataclass(frozen=True)
class Problem:
    field: str  # the form or query field's name ("" for the whole form)
    message: str  # in both languages


def field_name(loc: Iterable[Any]) -> str:
    """`("query", "view")` → `view`; `("body", "reasons", 0)` → `reasons`."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if parts and parts[0] in ("query", "body", "path", "form", "header", "cookie"):
        parts = parts[1:]
    return parts[0] if parts else ""


def say(error: Mapping[str, Any]) -> str:
    """One pydantic error in both languages."""
    message = MESSAGES.get(str(error.get("type")))
    if message is None:
        return gettext(OTHER, detail=error.get("msg", ""))
    context = dict(error.get("ctx") or {})
    try:
        return gettext(message, **{k: str(v) for k, v in context.items()})
    except (KeyError, TypeError, ValueError):  # a context without the value the text names
        return gettext(OTHER, detail=error.get("msg", ""))


def problems(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    return [Problem(field_name(e.get("loc", ())), say(e)) for e in errors]


def by_field(found: Iterable[Problem]) -> dict[str, str]:
    """Each field's problems, joined, for showing next to it."""
    out: dict[str, str] = {}
    for p in found:
        out[p.field] = f"{out[p.field]}；{p.message}" if p.field in out else p.message
    return out
