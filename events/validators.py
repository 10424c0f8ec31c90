"""What text from outside may hold, for every way in (Kafka records, HTTP bodies, the pages'
forms that build events): one rule, so no way in is more lenient than another.

Refused anywhere in a text:
- control characters but tab and line breaks, and lone surrogates: PostgreSQL stores no NUL in
  text or jsonb, so such a record would fail at the database on every retry and hold up its
  partition (a 500 over HTTP);
- bidirectional controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates,
  U+200E/U+200F/U+061C marks) and zero-width characters (U+200B–U+200D, U+2060, U+FEFF,
  U+180E): they make a title or a name display as something other than what it is (an
  override turns "申请人gpj.exe" around; a zero-width space makes two names that look alike
  differ), in the inbox, the case page and every export.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff"
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff\u180e"
UNSAFE_TEXT = re.compile(f"[{_CONTROL}{_BIDI}{_ZERO_WIDTH}]")
ALLOWED = (
    "no control characters but tab and line breaks, no bidirectional controls or zero-width "
    "characters"
)


def describe(char: str) -> str:
    """Why `char` is refused, naming it: `character U+202E (RIGHT-TO-LEFT OVERRIDE) …`."""
    name = unicodedata.name(char, "")
    named = f" ({name})" if name else ""
    return f"character U+{ord(char):04X}{named} is not allowed ({ALLOWED})"


def plain(text: str) -> str:
    """`text` if it holds no character refused above; ValueError naming the first otherwise."""
    found = UNSAFE_TEXT.search(text)
    if found:
        raise ValueError(describe(found.group()))
    return text


# A title or a name: checked where the model is built (pydantic names the field).
PlainText = Annotated[str, AfterValidator(plain)]
