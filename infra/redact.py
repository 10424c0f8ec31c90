"""Masks resident ID and mobile numbers in every log line of the process.

Responses mask from the database columns (`domain.privacy`); log lines can carry personal data
from anywhere (an exception quoting SQL parameters, a payload in a warning), so the message,
its arguments and the exception text are masked before any handler sees them.
"""

from __future__ import annotations

import logging
from typing import Any

from domain.privacy import mask_text

_installed = False


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
