"""Masking of sensitive personal information (resident ID, phone): first 6 and last 4 kept."""

from __future__ import annotations


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
