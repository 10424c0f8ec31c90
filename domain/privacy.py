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


# 18-character resident ID (last may be X) and mainland mobile numbers, not inside longer digit
# runs (an event offset or a timestamp is not a phone number).
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    """Mask every resident ID and mobile number in `text`."""
    text = _ID.sub(lambda m: mask_id_number(m.group()) or "", text)
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
