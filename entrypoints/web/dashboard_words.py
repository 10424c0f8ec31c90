"""The dashboard's words from the message catalog: every table's title, chart title, column
and figure name, each overview figure's definition and the report's notes, marked here for
`make messages` (context "dashboard": the English half of the domain's label; "dashboard
definition"; "dashboard note"), and the rows' codes named (departments, "ALL", the center).

The tables themselves (domain/dashboard.py) stay as the CSV export writes them; the page shows
`in_words(table)`. tests/unit/test_dashboard_words.py checks every word of every table is here.
"""

from __future__ import annotations

from dataclasses import replace

from domain.dashboard import Chart, Column, Table, Value
from infra.i18n import _, label, pgettext, translations
from infra.i18n.codes import NP_

MARKED = (
    NP_("dashboard", "Matter"),
    NP_("dashboard", "Name"),
    NP_("dashboard", "Cases"),
    NP_("dashboard", "Concluded"),
    NP_("dashboard", "On time"),
    NP_("dashboard", "Early"),
    NP_("dashboard", "Overdue"),
    NP_("dashboard", "Overdue rate"),
    NP_("dashboard", "Breached"),
    NP_("dashboard", "Avg days"),
    NP_("dashboard", "Promised"),
    NP_("dashboard", "Compression"),
    NP_("dashboard", "Immediate"),
    NP_("dashboard", "Online"),
    NP_("dashboard", "Visits/case"),
    NP_("dashboard", "Materials"),
    NP_("dashboard", "Satisfaction"),
    NP_("dashboard", "Follow-up"),
    NP_("dashboard", "Department"),
    NP_("dashboard", "Tasks"),
    NP_("dashboard", "Decided"),
    NP_("dashboard", "Yellow"),
    NP_("dashboard", "Red"),
    NP_("dashboard", "Of which provisional"),
    NP_("dashboard", "Owner"),
    NP_("dashboard", "Open"),
    NP_("dashboard", "Escalated"),
    NP_("dashboard", "Week of"),
    NP_("dashboard", "Case volume"),
    NP_("dashboard", "Settled"),
    NP_("dashboard", "On-time rate"),
    NP_("dashboard", "Reused"),
    NP_("dashboard", "Not brought"),
    NP_("dashboard", "Verified"),
    NP_("dashboard", "Figure"),
    NP_("dashboard", "Value"),
    NP_("dashboard", "Definition"),
    NP_("dashboard", "Early-completion rate"),
    NP_("dashboard", "Statutory breaches"),
    NP_("dashboard", "Avg working days"),
    NP_("dashboard", "Promised-time compression"),
    NP_("dashboard", "Immediate share"),
    NP_("dashboard", "Online handling rate"),
    NP_("dashboard", "In-person visits per case"),
    NP_("dashboard", "Materials per matter"),
    NP_("dashboard", "Bad-rating follow-up rate"),
    NP_("dashboard", "Open supervision items"),
    NP_("dashboard", "Supervision now"),
    NP_("dashboard", "Rates"),
    NP_("dashboard", "Overview"),
    NP_("dashboard", "Avg working days by matter"),
    NP_("dashboard", "By matter: time limits"),
    NP_("dashboard", "Online rate and satisfaction by matter"),
    NP_("dashboard", "By matter: service"),
    NP_("dashboard", "Avg working days by department"),
    NP_("dashboard", "By department"),
    NP_("dashboard", "All"),
    NP_("dashboard", "Running cases now: yellow, red, breached"),
    NP_("dashboard", "Warnings now"),
    NP_("dashboard", "Weekly case volume and on-time rate"),
    NP_("dashboard", "Weekly trend"),
    NP_("dashboard", "Materials once: reused, not brought, licences verified"),
    NP_("dashboard", "Materials library"),
    NP_("dashboard definition", "applications submitted in the period"),
    NP_("dashboard definition", "granted or refused"),
    NP_("dashboard definition", "on time / settled"),
    NP_("dashboard definition", "early / settled"),
    NP_("dashboard definition", "late against the promise, done or still open"),
    NP_("dashboard definition", "overdue / settled"),
    NP_("dashboard definition", "late against the statutory limit"),
    NP_("dashboard definition", "acceptance → conclusion"),
    NP_("dashboard definition", "(statutory − promised) / statutory"),
    NP_("dashboard definition", "cases of immediate matters / cases"),
    NP_("dashboard definition", "submitted online / cases"),
    NP_("dashboard definition", "window submissions / cases (a lower bound)"),
    NP_("dashboard definition", "catalog materials (mean)"),
    NP_("dashboard definition", "ratings not bad / ratings"),
    NP_("dashboard definition", "bad ratings followed up / bad ratings"),
    NP_(
        "dashboard note",
        "in-person visits per case: only a submission at the window is recorded as a visit "
        "(in_person_per_case, a lower bound); supplements and collection record no channel",
    ),
)
TOTAL = "ALL"
# The tables whose rows are keyed by a department (the rest: by a matter, or a week).
BY_DEPARTMENT = frozenset({"supervision"})


def has_words(context: str, english: str) -> bool:
    """Whether the catalog has Chinese for `english` (its English is the msgid itself)."""
    return translations("zh_CN").pgettext(context, english) != english


def _say(context: str, english: str, fallback: str) -> str:
    return pgettext(context, english) if has_words(context, english) else fallback


def word(text: str) -> str:
    """A domain label ("办件量 Case volume") in the catalog's words, by its English half; a label
    the catalog does not know, as the domain wrote it."""
    return _say("dashboard", text.split(" ", 1)[-1], text)


def _cell(table: Table, column: Column, value: Value) -> Value:
    if column.key == "definition" and isinstance(value, str):
        return _say("dashboard definition", value, value)
    if column.key == "label" and isinstance(value, str):
        return word(value)
    if column.key != "key" or not isinstance(value, str):
        return value
    if value == TOTAL:
        return _("All")
    if table.name in BY_DEPARTMENT:
        return _("The center") if value == "center" else label("department", value)
    return value


def in_words(table: Table) -> Table:
    """`table` as the page shows it: the catalog's words for its titles, columns and figures;
    departments named, the total row "全部 All"; a code column hidden where a name is beside
    it (the CSV keeps both)."""
    named = any(c.key == "name" for c in table.columns)
    columns = tuple(
        replace(c, label=word(c.label), shown=c.shown and not (named and c.key == "key"))
        for c in table.columns
    )
    rows = tuple(
        tuple(_cell(table, c, v) for c, v in zip(table.columns, row, strict=True))
        for row in table.rows
    )
    chart: Chart = replace(table.chart, title=word(table.chart.title))
    return replace(table, title=word(table.title), columns=columns, rows=rows, chart=chart)


def note(text: str) -> str:
    return _say("dashboard note", text, text)
