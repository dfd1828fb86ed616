"""Creating, renaming, describing, opening and closing working groups, and linking each to its Telegram chat."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import WorkingGroup
from bot.services.groups.rules import CLOSED, InvalidInput, OPEN, both_languages
from bot.text import clean_line


def name(group: WorkingGroup, language: str) -> str:
    return (group.name_km if language == "km" else group.name_en) or group.name_en or group.name_km


def description(group: WorkingGroup, language: str) -> str:
    return (group.description_km if language == "km" else group.description_en) or group.description_en or ""


async def create(session: AsyncSession, *, name_en: str, name_km: str, description_en: str = "",
                 description_km: str = "", created_by: int, now: datetime) -> WorkingGroup:
    """Creates an open working group; a name or description given in one language serves both."""
    name_en, name_km = both_languages(name_en, name_km)
    if not name_en:
        raise InvalidInput("empty")
    description_en, description_km = both_languages(description_en, description_km)
    group = WorkingGroup(name_en=name_en, name_km=name_km, description_en=description_en,
                         description_km=description_km, status=OPEN, created_by=created_by,
                         created_at=now, updated_at=now)
    session.add(group)
    await session.flush()
    return group


async def get(session: AsyncSession, group_id: int) -> WorkingGroup | None:
    return await session.get(WorkingGroup, group_id)


async def rename(session: AsyncSession, group: WorkingGroup, *, name_en: str, name_km: str, now: datetime) -> None:
    group.name_en, group.name_km = both_languages(name_en, name_km)
    group.updated_at = now


async def describe(session: AsyncSession, group: WorkingGroup, *, description_en: str, description_km: str,
                   now: datetime) -> None:
    group.description_en, group.description_km = both_languages(description_en, description_km)
    group.updated_at = now


async def set_open(session: AsyncSession, group: WorkingGroup, is_open: bool, now: datetime) -> None:
    """Closes a group to new interest (members stop seeing it), or opens it again."""
    group.status = OPEN if is_open else CLOSED
    group.closed_at = None if is_open else now
    group.updated_at = now


async def listed(session: AsyncSession, *, include_closed: bool) -> list[WorkingGroup]:
    query = select(WorkingGroup).order_by(WorkingGroup.status.desc(), WorkingGroup.name_en, WorkingGroup.id)
    if not include_closed:
        query = query.where(WorkingGroup.status == OPEN)
    return list(await session.scalars(query))


class LinkOutcome(StrEnum):
    LINKED = "linked"
    TAKEN = "taken"  # the chat already serves another group
    MISSING = "missing"


async def link_chat(session: AsyncSession, group_id: int, chat_id: int, title: str, now: datetime) -> LinkOutcome:
    """Makes a Telegram group chat the working group's chat (one chat per group, one group per chat)."""
    group = await session.get(WorkingGroup, group_id)
    if group is None:
        return LinkOutcome.MISSING
    other = await session.scalar(select(WorkingGroup).where(WorkingGroup.chat_id == chat_id))
    if other is not None and other.id != group.id:
        return LinkOutcome.TAKEN
    group.chat_id = chat_id
    group.chat_title = clean_line(title)[:200] or None
    group.updated_at = now
    await session.flush()
    return LinkOutcome.LINKED


async def unlink_chat(session: AsyncSession, chat_id: int, now: datetime) -> WorkingGroup | None:
    """Forgets a chat the bot was removed from (invite links to it could no longer be made)."""
    group = await session.scalar(select(WorkingGroup).where(WorkingGroup.chat_id == chat_id))
    if group is not None:
        group.chat_id = None
        group.chat_title = None
        group.updated_at = now
    return group


async def group_of_chat(session: AsyncSession, chat_id: int) -> WorkingGroup | None:
    return await session.scalar(select(WorkingGroup).where(WorkingGroup.chat_id == chat_id))
