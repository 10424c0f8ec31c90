"""The SQLite file read as bytes beside open connections (tests/utils/sqlite_files.py): read
in this process, the read's close drops our lock and the next `lianban` command to finish
deletes the -wal and -shm under our connections; read by a child process, nothing changes.
This is what failed the supervision breach test in the full e2e run ("disk I/O error" once
the personal-data test had read the file and the openssl test had run `lianban keys add`)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from store.db import make_engine
from tests.utils.sqlite_files import file_bytes

pytestmark = pytest.mark.integration

# What a `lianban` command does to the database: open it, read, close its only connection.
_COMMAND = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    "c.execute('select count(*) from sqlite_master').fetchall(); c.close()"
)


async def _in_this_process(path: Path) -> bytes:
    return await asyncio.to_thread(path.read_bytes)


async def _another_command(db: Path) -> None:
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", _COMMAND, str(db))
    assert await child.wait() == 0


@pytest.mark.parametrize(
    ("read", "kept"), [(file_bytes, True), (_in_this_process, False)], ids=["child", "here"]
)
async def test_reading_the_file_keeps_the_wal_under_open_connections(
    tmp_path: Path, read: Callable[[Path], Awaitable[bytes]], kept: bool
) -> None:
    db = tmp_path / "lianban.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.connect() as held:  # the app's pooled connection, open throughout
            await held.exec_driver_sql("CREATE TABLE t (v TEXT)")
            await held.exec_driver_sql("INSERT INTO t VALUES ('written')")
            await held.commit()
            assert b"SQLite format 3" in await read(db)
            await _another_command(db)
            assert await asyncio.to_thread(Path(f"{db}-wal").exists) is kept
            if kept:  # a connection opened now (a burst beyond the pool) reads what was written
                async with engine.connect() as fresh:
                    assert (await fresh.execute(sa.text("SELECT v FROM t"))).scalar() == "written"
    finally:
        await engine.dispose()
