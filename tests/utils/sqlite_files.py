"""Reading an SQLite database's files as bytes while this process has it open.

Closing any descriptor of a file drops every POSIX lock the process holds on it, so a plain
`Path.read_bytes()` of `lianban.db` silently takes away the shared lock behind the app's open
connections (SQLite's own bookkeeping still counts it held). The next other process to close
its last connection — a `lianban` command — then gets the exclusive lock, believes it is the
last user, checkpoints and deletes the -wal and -shm files under the open connections; every
connection opened afterwards fails with "disk I/O error" (https://sqlite.org/howtocorrupt.html,
2.2). A child process has locks of its own: it reads the file and its close drops nothing here.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

_CAT = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"


async def file_bytes(path: Path) -> bytes:
    """The file's bytes, read by a child process (this process's SQLite locks stay held)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CAT,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate()
    if child.returncode != 0:
        raise OSError(f"reading {path}: {err.decode(errors='replace')}")
    return out
