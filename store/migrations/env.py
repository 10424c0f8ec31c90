"""Alembic's environment for Lianban: SQLite (aiosqlite) and PostgreSQL (asyncpg).

`store.migrate` runs migrations on a connection it already holds (`config.attributes`), so the
application never depends on the working directory; the `alembic` command line (alembic.ini at
the repository root, for `alembic check` and `alembic revision --autogenerate`) opens its own
from `LIANBAN_DATABASE_URL` or `-x url=…`.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from store.schema import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        compare_server_default=False,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_own_engine(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


def main() -> None:
    shared = context.config.attributes.get("connection")
    if shared is not None:
        _run(shared)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "LIANBAN_DATABASE_URL", "sqlite+aiosqlite:///var/lianban.db"
    )
    asyncio.run(_run_on_own_engine(url))


main()
