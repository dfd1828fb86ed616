"""Who may run coordinator commands, and single-use invitations to become one."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Coordinator, CoordinatorInvite, Member

INVITE_LIFETIME = timedelta(days=7)
INVITE_PREFIX = "coord_"


async def is_coordinator(session: AsyncSession, telegram_id: int, configured: frozenset[int]) -> bool:
    """True for ids from COORDINATOR_IDS and for coordinators added in the chat."""
    if telegram_id in configured:
        return True
    return await session.get(Coordinator, telegram_id) is not None


async def all_ids(session: AsyncSession, configured: frozenset[int]) -> list[int]:
    added = await session.scalars(select(Coordinator.telegram_id))
    return sorted(set(added) | set(configured))


async def listing(session: AsyncSession, configured: frozenset[int]) -> list[tuple[int, Member | None]]:
    """Every coordinator's Telegram id with their member row (None for one not registered yet), by id."""
    ids = await all_ids(session, configured)
    rows = {m.telegram_id: m for m in await session.scalars(select(Member).where(Member.telegram_id.in_(ids)))}
    return [(telegram_id, rows.get(telegram_id)) for telegram_id in ids]


async def add(session: AsyncSession, telegram_id: int, *, added_by: int | None, now: datetime) -> bool:
    """Makes someone a coordinator; False if they already were one."""
    if await session.get(Coordinator, telegram_id) is not None:
        return False
    session.add(Coordinator(telegram_id=telegram_id, added_by=added_by, added_at=now))
    await session.flush()
    return True


async def remove(session: AsyncSession, telegram_id: int) -> bool:
    """Takes the role back from a coordinator added in the chat; False if there was nothing to remove."""
    result = await session.execute(delete(Coordinator).where(Coordinator.telegram_id == telegram_id))
    return result.rowcount > 0


async def create_invite(session: AsyncSession, *, created_by: int, now: datetime) -> str:
    """Creates a single-use invitation and returns the deep-link payload for it."""
    token = secrets.token_urlsafe(12)
    session.add(CoordinatorInvite(token=token, created_by=created_by, created_at=now, expires_at=now + INVITE_LIFETIME))
    await session.flush()
    return INVITE_PREFIX + token


async def redeem_invite(session: AsyncSession, payload: str, *, telegram_id: int, now: datetime) -> bool:
    """Makes the holder of a valid, unused, unexpired invitation a coordinator. False otherwise."""
    if not payload.startswith(INVITE_PREFIX):
        return False
    token = payload[len(INVITE_PREFIX):]
    # A conditional update claims the invitation, so two people racing for one link can't both win.
    claimed = await session.execute(
        update(CoordinatorInvite)
        .where(CoordinatorInvite.token == token, CoordinatorInvite.used_by.is_(None),
               CoordinatorInvite.expires_at > now)
        .values(used_by=telegram_id, used_at=now)
    )
    if claimed.rowcount != 1:
        return False
    await add(session, telegram_id, added_by=None, now=now)
    return True
