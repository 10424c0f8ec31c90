"""A failpoint kills its process with SIGKILL on the armed pass, and does nothing unarmed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

SCRIPT = (
    "from infra.failpoints import failpoint\n"
    "for i in range(3):\n"
    "    failpoint('here')\n"
    "    print('passed', i, flush=True)\n"
)


def _run(armed: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("LIANBAN_FAILPOINTS", None)
    if armed is not None:
        env["LIANBAN_FAILPOINTS"] = armed
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


def test_unarmed_does_nothing() -> None:
    done = _run(None)
    assert done.returncode == 0 and done.stdout.count("passed") == 3


def test_armed_kills_on_the_chosen_pass() -> None:
    done = _run("elsewhere, here@2")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.splitlines() == ["passed 0"]
