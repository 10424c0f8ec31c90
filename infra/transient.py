"""The errors that say a dependency is away for a moment, not that the work is wrong.

Temporal unreachable or frozen (`RPCError`, a bounded call timing out), the database away or
cut off (`DBAPIError`), the network between (`OSError`, `asyncio.TimeoutError`): the same work
succeeds once it is back. So whoever meets one retries in place (the consumers their record, the
background delivery its decisions), and never dead-letters it: a dead letter is for what would
fail again every time. The consumers add the broker's own errors (`entrypoints.consumers`).
"""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError
from temporalio.service import RPCError

TRANSIENT: tuple[type[Exception], ...] = (RPCError, DBAPIError, OSError, asyncio.TimeoutError)
