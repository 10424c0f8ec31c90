"""Masking of sensitive personal information (resident ID, phone): first 6 and last 4 kept."""

from __future__ import annotations

import re
from typing import Any


def mask_id_number(value: str | None) -> str | None:
    """110101199003077777 -> 110101********7777 (the common form)."""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """13800138000 -> 138****8000."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# 18-character resident ID (last may be X) and mainland mobile numbers, each a token of its own:
# not inside a longer run of digits or letters (an event offset, a timestamp or a SHA-256 hex
# digest is not a phone number; CI once saw "…c14262962742f…" in a record's hash masked).
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# GB 11643-1999: the 18th character is a check over the first 17 (ISO 7064 MOD 11-2).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def is_resident_id(value: str) -> bool:
    """An 18-character resident ID whose check character is right (GB 11643)."""
    if not _ID.fullmatch(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17].upper()


def _mask_id_match(m: re.Match[str]) -> str:
    # Only a real resident ID: an 18-digit order or account number is left as it is.
    return (mask_id_number(m.group()) or "") if is_resident_id(m.group()) else m.group()


def mask_text(text: str) -> str:
    """Mask every resident ID (checksum valid) and mainland mobile number in `text`."""
    if len(text) < 11:  # shorter than a mobile number: most values of an event (codes, states)
        return text
    text = _ID.sub(_mask_id_match, text)
    return _PHONE.sub(lambda m: mask_phone(m.group()) or "", text)


def mask_secret(value: str | None) -> str | None:
    """A secret shown to nobody (the applicant's query code): only its length."""
    return "*" * len(value) if value else value


# Keys whose values are personal data or a secret, wherever they appear in an event payload:
# the query code is enough to rate the service as the applicant, so staff never see it.
_SENSITIVE_KEYS = {"id_number": mask_id_number, "phone": mask_phone, "query_code": mask_secret}


def mask_data(value: Any) -> Any:
    """A JSON-like value with every `id_number`/`phone` field and every ID or mobile number in
    text masked (event payloads shown to people, e.g. `ApplicationSubmitted.applicant`)."""
    if isinstance(value, dict):
        return {
            k: _SENSITIVE_KEYS[k](v)
            if k in _SENSITIVE_KEYS and isinstance(v, str)
            else mask_data(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    return mask_text(value) if isinstance(value, str) else value


def mask_name(value: str | None) -> str | None:
    """A person's name shown to the public: the first character kept (张三 -> 张*)."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
