"""LIANBAN_TRUSTED_PROXIES (issue 21, item 10): addresses or networks, nothing else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.settings import Settings


def test_addresses_and_networks_are_taken() -> None:
    s = Settings(trusted_proxies=["10.0.0.5", "10.1.0.0/16", "::1"])
    assert s.trusted_proxies == ["10.0.0.5", "10.1.0.0/16", "::1"]
    assert Settings().trusted_proxies == []  # by default no one's X-Forwarded-For is believed


@pytest.mark.parametrize("bad", ["*", "proxy.example", "10.1.0.1/16", ""])
def test_anything_else_is_refused_naming_the_setting(bad: str) -> None:
    with pytest.raises(ValidationError, match="LIANBAN_TRUSTED_PROXIES"):
        Settings(trusted_proxies=[bad])
