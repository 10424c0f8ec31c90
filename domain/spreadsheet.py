"""CSV that a spreadsheet opens as data, never as formulas.

A cell beginning with `=`, `+`, `-` or `@` is a formula to Excel, LibreOffice and WPS (tab and
carriage return too, which some strip before looking): `=HYPERLINK("http://…","click")` from a
hostile input would become a live link in a leader's export. Such a text cell gets a leading
`'`, which the spreadsheet shows as text (OWASP's "CSV injection" advice). Numbers are written
as numbers: a negative figure stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value`, or a text that starts like a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Every CSV the app produces goes through here: RFC 4180 lines, formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
