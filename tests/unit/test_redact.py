"""Personal data never reaches a log line: messages, arguments and tracebacks are masked."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from domain import privacy
from infra import redact

ID, PHONE = "110101199003077774", "13800138000"  # a valid GB 11643 check character


def test_mask_text_keeps_other_numbers() -> None:
    text = f"id {ID} phone {PHONE} offset 123456789012 case LB-20261127-0A1B"
    assert privacy.mask_text(text) == (
        "id 110101********7774 phone 138****8000 offset 123456789012 case LB-20261127-0A1B"
    )


def test_mask_data_masks_fields_and_text() -> None:
    applicant = {"id_number": "91310000MA1K000000", "phone": "010-1234"}
    data: dict[str, Any] = {"applicant": applicant, "n": 1, "note": [f"call {PHONE}"]}
    assert privacy.mask_data(data) == {
        "applicant": {"id_number": "913100********0000", "phone": "010*1234"},
        "n": 1,
        "note": ["call 138****8000"],
    }


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    redact.install()
    log = logging.getLogger("lianban.test")
    with caplog.at_level(logging.INFO, logger="lianban.test"):
        log.info("submitted %s %s", ID, {"phone": PHONE})
        log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", f"/x?p={PHONE}", "1.1", 200)
        try:
            raise ValueError(f"bad row ({ID!r}, {PHONE!r})")
        except ValueError:
            log.exception("failed")
    text = caplog.text
    assert ID not in text and PHONE not in text
    assert "110101********7774" in text and "138****8000" in text
    # uvicorn's access formatter unpacks the arguments: their shape is kept.
    assert caplog.records[1].args == ("127.0.0.1:1", "GET", "/x?p=138****8000", "1.1", 200)
