"""Telegram update ids already handled, so a redelivered update does nothing the second time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ProcessedUpdate

# Telegram keeps undelivered updates for 24 hours; a week leaves a wide margin.
KEEP_FOR = timedelta(days=7)


async def seen(session: AsyncSession, update_id: int) -> bool:
    return await session.scalar(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)) is not None


async def highest(session: AsyncSession) -> int:
    """The highest update id handled so far (0 if none)."""
    return await session.scalar(select(func.max(ProcessedUpdate.update_id))) or 0


def record(session: AsyncSession, update_id: int, now: datetime) -> None:
    session.add(ProcessedUpdate(update_id=update_id, processed_at=now))


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - KEEP_FOR))
    return result.rowcount
