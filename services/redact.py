"""Masks resident ID and mobile numbers in every log line of the process.

Responses mask from the database columns (`domain.privacy`); log lines can carry personal data
from anywhere (an exception quoting SQL parameters, a payload in a warning), so the message,
its arguments and the exception text are masked before any handler sees them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from domain.privacy import mask_id_number, mask_phone

# 18-character resident ID (last may be X) and mainland mobile numbers, not inside longer digit
# runs (an event offset or a timestamp is not a phone number).
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_installed = False


def mask_text(text: str) -> str:
    """Mask every resident ID and mobile number in `text`."""
    text = _ID.sub(lambda m: mask_id_number(m.group()) or "", text)
    return _PHONE.sub(lambda m: mask_phone(m.group()) or "", text)


def _mask_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, int | float):
        return value
    # An object (a payload, a dict) is replaced by its masked text only when it carries
    # personal data, so "%d"-style formatting of ordinary values keeps working.
    text = str(value)
    masked = mask_text(text)
    return value if masked == text else masked


def _mask_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = mask_text(record.msg)
    # Arguments keep their shape: some formatters (uvicorn's access log) unpack them.
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when set, so the traceback is masked once, here.
        record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))


def install() -> None:
    """Mask every log record created from now on, in this process (idempotent)."""
    global _installed
    if _installed:
        return
    factory = logging.getLogRecordFactory()

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(masking_factory)
    _installed = True


_SENSITIVE_KEYS = {"id_number": mask_id_number, "phone": mask_phone}


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
