"""Unfinished multi-step conversations, kept in the database so a restart resumes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Draft


async def get(session: AsyncSession, telegram_id: int, kind: str) -> Draft | None:
    return await session.scalar(select(Draft).where(Draft.telegram_id == telegram_id, Draft.kind == kind))


async def begin(session: AsyncSession, telegram_id: int, kind: str, *, step: str | None, data: dict | None = None,
                now: datetime) -> Draft:
    """Starts a conversation of this kind afresh (an unfinished one of the same kind is replaced)."""
    await discard(session, telegram_id, kind)
    draft = Draft(telegram_id=telegram_id, kind=kind, step=step, data=dict(data or {}), created_at=now, updated_at=now)
    session.add(draft)
    await session.flush()
    return draft


def advance(draft: Draft, *, step: str | None, now: datetime, **values) -> None:
    """Stores answers and moves to the next question. (The JSON column is replaced, not mutated, so it is saved.)"""
    draft.data = {**(draft.data or {}), **values}
    draft.step = step
    draft.updated_at = now


async def awaiting_input(session: AsyncSession, telegram_id: int) -> Draft | None:
    """The most recently touched conversation that is waiting for something typed or sent."""
    return await session.scalar(
        select(Draft).where(Draft.telegram_id == telegram_id, Draft.step.is_not(None))
        .order_by(Draft.updated_at.desc(), Draft.id.desc()).limit(1))


async def discard(session: AsyncSession, telegram_id: int, kind: str) -> bool:
    """Drops the conversation of this kind; whether there was one."""
    result = await session.execute(delete(Draft).where(Draft.telegram_id == telegram_id, Draft.kind == kind))
    return result.rowcount > 0
