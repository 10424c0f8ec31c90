"""The materials library's figures (docs/reports.md): materials reused, materials the
applicants did not have to bring, licences verified — by matter and in total. Pure.

* ``reused``: materials of cases taken from the applicant's library, named by the submission
  or filled by the center, counted when the case was submitted.
* ``not_brought``: of those, the ones the center filled on its own (免提交): the applicant
  neither brought the file nor named the entry.
* ``verified``: views of a licence's public verify page (or its status route) in the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.dashboard import MATTER_KEY, Chart, Column, Table, totals


@dataclass(frozen=True)
class LibraryRow:
    key: str  # the matter code ("ALL": the total)
    name: str
    reused: int = 0
    not_brought: int = 0
    verified: int = 0


LIBRARY_COLUMNS = (
    *MATTER_KEY,
    Column("reused", "复用 Reused", "count"),
    Column("not_brought", "免提交 Not brought", "count"),
    Column("verified", "核验 Verified", "count"),
)


def library_rows(
    reuses: Mapping[str, Mapping[str, int]],
    verified: Mapping[str, int],
    names: Mapping[str, str],
) -> list[LibraryRow]:
    """One row per matter with any figure, then the total. `reuses`: {matter: {how: n}}
    (how: named | filled); `verified`: {matter: n}."""
    rows = []
    for code in sorted({*reuses, *verified}):
        by_how = reuses.get(code, {})
        rows.append(
            LibraryRow(
                code,
                names.get(code, code),
                reused=sum(by_how.values()),
                not_brought=by_how.get("filled", 0),
                verified=verified.get(code, 0),
            )
        )
    total = LibraryRow("ALL", "全部 All", **totals(rows, ("reused", "not_brought", "verified")))
    return [*rows, total]


def library_table(rows: list[LibraryRow]) -> Table:
    chart = Chart(
        "证照复用 Materials once: reused, not brought, licences verified",
        "key",
        ("reused", "not_brought", "verified"),
    )
    return Table.of("library", "证照库 Materials library", LIBRARY_COLUMNS, rows, chart)
