"""SQLAlchemy's aiosqlite dialect with one trip to SQLite's thread per statement.

aiosqlite runs every call on the connection's own thread, and each call is a round trip: a
queue put, a thread wake-up, and a wake-up of the event loop with the result. SQLAlchemy's
adapter makes four of them for a query (open a cursor, execute, fetch the rows, close the
cursor) and three for a write. Each trip costs the process about 60 µs of CPU on these
machines, several times what SQLite takes to run a small statement (bench/RESULTS.md, wave 3
session 7). This cursor makes one: it opens the cursor, executes, reads every row and closes
the cursor in a single call on SQLite's thread, and keeps what SQLAlchemy asks of a cursor
afterwards (description, rowcount, lastrowid, the rows).

Only the ordinary (buffered) cursor changes; server-side cursors stay aiosqlite's, fetched in
steps. Errors are the same `sqlite3` exceptions, raised from the same call, and translated by
the same adapter. `make_engine` uses this dialect for every `sqlite+aiosqlite` URL.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT

DRIVER = "lianban_aiosqlite"

# What one statement leaves behind: description, rows, rowcount, lastrowid.
_Outcome = tuple[Any, list[Any], int, int | None]


def _run(raw: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On SQLite's thread: the whole statement, from opening its cursor to closing it."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_dbapi_cursor):
    """A buffered cursor whose statement is one call on aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No driver cursor is opened here (that was a trip of its own): `_run` opens one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _call(self, operation: str, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            conn = self._connection
            outcome = await conn._execute(_run, conn._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._call(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._call(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor closed with its statement."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise NotImplementedError("SQLite returns one result set a statement")

    def setinputsizes(self, *inputsizes: Any) -> None:
        """SQLite takes no input sizes (the DB-API allows a no-op)."""


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def rollback(self) -> None:
        # A session that only read leaves no transaction open (the sqlite3 module begins one
        # before a write, not a read): its rollback would do nothing, at the cost of a trip.
        # Read here, not on SQLite's thread: no statement of this connection is under way
        # when its pool takes it back.
        raw = self._connection._connection
        if raw is not None and not raw.in_transaction:
            return
        super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


class OneTripDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneTripDialect")


def one_trip_url(url: str) -> str:
    """`sqlite+aiosqlite://…` as this dialect's URL; any other URL unchanged."""
    prefix = "sqlite+aiosqlite:"
    return f"sqlite+{DRIVER}:{url[len(prefix) :]}" if url.startswith(prefix) else url
