"""What the health check and the metrics read: how much waits to be sent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import OutboxMessage


async def outbox_unsent(session: AsyncSession) -> int:
    """Outbox messages waiting or in flight."""
    return await session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status.in_(("pending", "sending")))) or 0
