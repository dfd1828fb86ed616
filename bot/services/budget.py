"""The send budget every bot process on one database shares: Telegram's messages-per-second limit kept as
one moving mark, the earliest moment (seconds since the epoch) the next message may go out.

A process takes several send slots at once in one statement, so processes never hand out the same slot
and the database is asked once per window of sends, not once per message.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import SendBudget

TELEGRAM = "telegram"


def _upsert(session: AsyncSession, name: str, fresh: float, existing):
    """INSERT … ON CONFLICT (name) DO UPDATE SET next_at = `existing` RETURNING next_at, in the session's dialect
    (the row is made if it is missing, so an emptied table costs nothing)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SendBudget).values(name=name, next_at=fresh)
    return statement.on_conflict_do_update(index_elements=[SendBudget.name], set_={"next_at": existing}) \
        .returning(SendBudget.next_at)


def _greatest(session: AsyncSession, a, b):
    return func.greatest(a, b) if session.bind.dialect.name == "postgresql" else func.max(a, b)


async def reserve(session: AsyncSession, *, now: float, count: int, interval: float, catch_up: float,
                  name: str = TELEGRAM) -> float:
    """Takes `count` slots `interval` apart from the budget; returns the moment after the last one.

    A budget left idle restarts at most `catch_up` seconds in the past, so a short stall is made up for
    without a burst. The slots taken are the `count` intervals just before the moment returned.
    """
    start = now - catch_up
    moved = _greatest(session, SendBudget.next_at, start) + count * interval
    return await session.scalar(_upsert(session, name, start + count * interval, moved))


async def push_back(session: AsyncSession, *, until: float, name: str = TELEGRAM) -> float:
    """Telegram asked to slow down: no process sends before `until`; returns the budget's mark."""
    return await session.scalar(_upsert(session, name, until, _greatest(session, SendBudget.next_at, until)))
