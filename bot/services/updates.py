"""Telegram update ids already handled, so a redelivered update does nothing the second time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ProcessedUpdate

# Telegram keeps undelivered updates for 24 hours; a week leaves a wide margin.
KEEP_FOR = timedelta(days=7)


async def seen(session: AsyncSession, update_id: int) -> bool:
    return await session.scalar(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)) is not None


async def highest(session: AsyncSession) -> int:
    """The highest update id handled so far (0 if none)."""
    return await session.scalar(select(func.max(ProcessedUpdate.update_id))) or 0


# Built once: this insert runs for every update the bot handles.
_RECORD = insert(ProcessedUpdate.__table__).values(update_id=bindparam("update_id"), processed_at=bindparam("at"))


async def record(session: AsyncSession, update_id: int, now: datetime) -> None:
    """Stores the update id; a second time, the primary key refuses it (IntegrityError)."""
    await session.execute(_RECORD, {"update_id": update_id, "at": now})


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - KEEP_FOR))
    return result.rowcount
