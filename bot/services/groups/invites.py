"""Invite links to a group's chat: handing them out, noticing who joined, and the used ones to revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import GroupInterest, Member, WorkingGroup
from bot.services.groups.catalog import group_of_chat
from bot.services.groups.interest import interest_of
from bot.services.groups.rules import APPROVED, INVITE_MARGIN


class InviteState(StrEnum):
    READY = "ready"  # a stored, unexpired link: hand it out again
    NEEDED = "needed"  # make a new single-use link
    IN_CHAT = "in_chat"
    NO_CHAT = "no_chat"
    NOT_APPROVED = "not_approved"


@dataclass(frozen=True)
class InviteCheck:
    state: InviteState
    group: WorkingGroup | None = None
    interest: GroupInterest | None = None


async def invite_check(session: AsyncSession, *, group_id: int, member_id: int, now: datetime) -> InviteCheck:
    """Whether an approved member gets their stored invite link, a new one, or none."""
    group = await session.get(WorkingGroup, group_id)
    interest = await interest_of(session, group_id, member_id)
    if group is None or interest is None or interest.status != APPROVED:
        return InviteCheck(InviteState.NOT_APPROVED, group, interest)
    if group.chat_id is None:
        return InviteCheck(InviteState.NO_CHAT, group, interest)
    if interest.in_chat:
        return InviteCheck(InviteState.IN_CHAT, group, interest)
    if interest.invite_link and interest.invite_expires_at and interest.invite_expires_at > now + INVITE_MARGIN:
        return InviteCheck(InviteState.READY, group, interest)
    return InviteCheck(InviteState.NEEDED, group, interest)


def invite_name(member_id: int) -> str:
    """The invite link's name, shown to the chat's admins: whose link it is (Telegram allows 32 characters)."""
    return f"Sahakor member {member_id}"[:32]


async def store_invite(session: AsyncSession, *, interest_id: int, link: str, expires_at: datetime,
                       now: datetime) -> None:
    await session.execute(update(GroupInterest).where(GroupInterest.id == interest_id)
                          .values(invite_link=link, invite_expires_at=expires_at, updated_at=now))


@dataclass(frozen=True)
class Membership:
    """What a join or a leave changed: the approved member's interest, and invite links to revoke."""

    interest: GroupInterest | None
    chat_id: int
    # Links that let someone in, or that the member who left had not used: each must stop working.
    revoke: tuple[str, ...]


async def chat_membership(session: AsyncSession, *, chat_id: int, telegram_id: int, present: bool,
                          used_link: str | None, now: datetime) -> Membership | None:
    """Records someone joining (or leaving) a working group's chat: an approved member's presence, and the bot's
    invite links that must stop working (Telegram's single use counts only people still in the chat).

    A member's used link stays stored until it is revoked (`forget_invite`), so a revoke that failed is retried.
    """
    group = await group_of_chat(session, chat_id)
    if group is None:
        return None
    interest = await session.scalar(
        select(GroupInterest).join(Member, Member.id == GroupInterest.member_id)
        .where(GroupInterest.group_id == group.id, Member.telegram_id == telegram_id,
               GroupInterest.status == APPROVED))
    revoke: list[str] = []
    if used_link:
        revoke.append(used_link)
        # Someone else's link (passed on): its owner gets a fresh one when they ask.
        owners = update(GroupInterest).where(GroupInterest.group_id == group.id, GroupInterest.invite_link == used_link)
        if interest is not None:
            owners = owners.where(GroupInterest.id != interest.id)
        await session.execute(owners.values(invite_link=None, invite_expires_at=None, updated_at=now)
                              .execution_options(synchronize_session=False))
    if interest is not None:
        interest.in_chat = present
        if present:
            interest.joined_at = interest.joined_at or now
        if interest.invite_link:
            revoke.append(interest.invite_link)
            if not present:
                interest.invite_link = interest.invite_expires_at = None
        interest.updated_at = now
    elif not revoke:
        return None
    return Membership(interest, chat_id, tuple(dict.fromkeys(revoke)))


async def forget_invite(session: AsyncSession, *, chat_id: int, link: str, now: datetime) -> None:
    """Forgets a link once Telegram revoked it."""
    group = await group_of_chat(session, chat_id)
    if group is not None:
        await session.execute(update(GroupInterest).where(GroupInterest.group_id == group.id,
                                                          GroupInterest.invite_link == link)
                              .values(invite_link=None, invite_expires_at=None, updated_at=now)
                              .execution_options(synchronize_session=False))


async def used_invites(session: AsyncSession) -> list[tuple[int, str]]:
    """(chat id, link) of the links of members now in their group's chat that are still to be revoked."""
    rows = await session.execute(
        select(WorkingGroup.chat_id, GroupInterest.invite_link)
        .join(WorkingGroup, WorkingGroup.id == GroupInterest.group_id)
        .where(GroupInterest.in_chat.is_(True), GroupInterest.invite_link.is_not(None),
               WorkingGroup.chat_id.is_not(None)))
    return [(chat_id, link) for chat_id, link in rows.all()]
