"""Words and times people read.

The words come from one message catalog (gettext `.po` files under `locale/`, Chinese and
English); pages show both, Chinese first, as the center's staff and applicants read them. The
times are all in the center's time zone, to the minute (`infra.i18n.times`).

In code and templates a message is marked with the usual gettext names, so `pybabel extract`
(`make messages`) finds it: `_("Claimed")` gives "已认领 Claimed"; `pgettext(context, msgid)`
for a word with a context; `label(kind, code)` names a stored code (a status, an outcome, a
department, a matter, an error) as a person reads it.
"""

from __future__ import annotations

from infra.i18n.catalog import (
    LANGUAGES,
    N_,
    _,
    both,
    gettext,
    known,
    label,
    ngettext,
    npgettext,
    pgettext,
    translations,
)
from infra.i18n.times import local_minute, local_minute_or_dash

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "both",
    "gettext",
    "known",
    "label",
    "local_minute",
    "local_minute_or_dash",
    "ngettext",
    "npgettext",
    "pgettext",
    "translations",
]
