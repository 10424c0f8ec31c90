"""Processes started together on a new database (worker, API, consumers) all create the schema:
whichever loses the race must start anyway, with every table there once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from store.db import make_engine
from store.schema import metadata

CREATE = """
import asyncio, sys
from store.db import create_schema, make_engine

async def main() -> None:
    engine = make_engine(sys.argv[1])
    await create_schema(engine)
    await engine.dispose()

asyncio.run(main())
"""


def test_processes_creating_the_schema_together_all_start(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CREATE, url], stderr=subprocess.PIPE, cwd=Path.cwd()
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(errors)

    async def tables() -> set[str]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        await engine.dispose()
        return names

    assert asyncio.run(tables()) == set(metadata.tables)
