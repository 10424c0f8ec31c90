"""A nudge from the code that writes outbox rows to the relay that publishes them."""

from __future__ import annotations

import asyncio


class OutboxSignal:
    """Writers `notify()` after committing outbox rows; a relay in the same process `wait()`s
    on it between polls and so publishes them at once. With no relay in the process the
    notification goes unheard, and the relay elsewhere finds the rows at its next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """Until notified or `timeout` seconds have passed (False); resets the signal."""
        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._event.clear()
