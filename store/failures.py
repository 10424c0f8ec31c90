"""What a database error says about the database, in words an operator and a client can use.

A full disk is the failure that stays quiet: reads go on answering while every write fails.
SQLite says `database or disk is full` (SQLITE_FULL: the file system answered ENOSPC or took
part of a write) or `disk I/O error` (SQLITE_IOERR_WRITE: a write refused outright, e.g. past
the process's file-size limit); PostgreSQL answers SQLSTATE 53100 `disk_full` ("could not
extend file …"), and when it cannot write its own WAL it stops (PANIC) and every connection
fails. Each is a `StorageFailure` naming the cause, for the 503 the API answers, the ERROR line
in the log and the readiness probe.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

FULL_SQLSTATES = {"53100", "53200", "53300", "53400"}  # disk_full, out_of_memory, … (class 53)
FULL_WORDS = ("disk is full", "no space left", "disk full", "could not extend file")
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


@dataclass(frozen=True)
class StorageFailure:
    """`code`: `storage_full` (the database cannot write: disk full, file-size or quota limit,
    read-only file system) or `database_unavailable` (it does not answer)."""

    code: str
    detail: str

    @property
    def full(self) -> bool:
        return self.code == "storage_full"


def _sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE, wherever the driver and SQLAlchemy put it."""
    orig = getattr(exc, "orig", None)
    for err in (exc, orig, getattr(orig, "__cause__", None)):
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def _words(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)  # SQLITE_FULL, SQLITE_IOERR_WRITE, …
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"{name}: {text}" if name and name not in text else text


def _cannot_write(exc: BaseException, words: str) -> bool:
    name = str(getattr(getattr(exc, "orig", None), "sqlite_errorname", "") or "")
    if name == "SQLITE_FULL" or name.startswith(("SQLITE_IOERR_WRITE", "SQLITE_READONLY")):
        return True
    if _sqlstate(exc) in FULL_SQLSTATES:
        return True
    if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
        return True
    return any(w in words.lower() for w in FULL_WORDS)


def storage_failure(exc: BaseException) -> StorageFailure | None:
    """The cause, when `exc` is the database failing (not a bug in a statement); else None."""
    if not isinstance(exc, DBAPIError | OSError):
        return None
    words = _words(exc)
    if _cannot_write(exc, words):
        return StorageFailure(
            "storage_full", f"the database cannot write ({words}): is its disk full?"
        )
    if isinstance(exc, OperationalError | InterfaceError | OSError) or exc.connection_invalidated:
        return StorageFailure("database_unavailable", f"the database does not answer ({words})")
    return None
