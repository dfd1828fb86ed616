"""Background loops the bot runs beside the handlers (inbox sweeps, leadership checks)."""

from __future__ import annotations

import asyncio


async def cancel(task: asyncio.Task | None) -> None:
    """Ends a background loop and waits until it has ended."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
