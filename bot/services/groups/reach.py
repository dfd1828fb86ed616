"""Whom a group's messages and asks reach, and the gathered notice of new requests to its coordinators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import BigInteger, Integer, Select, String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Delivery, Event, GroupInterest, Member, OutboxMessage, Rsvp, WorkingGroup
from bot.services import coordinators, outbox
from bot.services.groups.rules import (
    APPROVED,
    INTERESTED,
    NOTICE_DELAY,
    NOTICE_KIND,
    NOTICE_MARGIN,
    OPEN,
    PAGE_SIZE,
    WITHDRAWN,
)

CHAT_KIND = "group_chat"
MESSAGE_KIND = "group_message"


def approved_recipients(group_id: int) -> Select:
    """(chat id, member id, language) of the group's approved members who can be reached."""
    return (select(Member.telegram_id, Member.id, Member.language)
            .join(GroupInterest, GroupInterest.member_id == Member.id)
            .where(GroupInterest.group_id == group_id, GroupInterest.status == APPROVED,
                   Member.registered_at.is_not(None), Member.reachable.is_(True)))


def member_recipient(member_id: int) -> Select:
    """(chat id, member id, language) of one member, told of a decision on their request."""
    return select(Member.telegram_id, Member.id, Member.language).where(Member.id == member_id)


def attendee_ids(event_id: int) -> Select:
    """Member ids of an event's attendees: those checked in, once check-in was used for the event; until then, those
    who answered Going (not waitlisted). A Going that never came is not an attendee."""
    checked_in = select(CheckIn.member_id.label("member_id")).where(CheckIn.event_id == event_id,
                                                                    CheckIn.member_id.is_not(None))
    check_in_used = select(CheckIn.id).where(CheckIn.event_id == event_id).exists()
    going = select(Rsvp.member_id.label("member_id")).where(Rsvp.event_id == event_id, Rsvp.answer == "going",
                                                            Rsvp.waitlisted.is_(False), ~check_in_used)
    return checked_in.union(going)


async def attended(session: AsyncSession, event_id: int, member_id: int) -> bool:
    """Whether the member is one of the event's attendees (see `attendee_ids`)."""
    rows = attendee_ids(event_id).subquery()
    return bool(await session.scalar(select(func.count()).select_from(rows).where(rows.c.member_id == member_id)))


def approved_outside_chat(group_id: int) -> Select:
    """(chat id, member id, language) of approved members not (yet) in the group's chat."""
    return approved_recipients(group_id).where(GroupInterest.in_chat.is_(False))


def event_prospects(group_id: int, event_id: int, *, kind: str, asked_by: int | None = None) -> Select:
    """(chat id, member id, language) of an event's attendees not yet interested in the group nor already asked.

    `kind` names the earlier deliveries of this ask, whose recipients are left out; so is the coordinator asking.
    """
    interested = select(GroupInterest.member_id).where(GroupInterest.group_id == group_id,
                                                        GroupInterest.member_id.is_not(None),
                                                        GroupInterest.status != WITHDRAWN)
    asked = (select(OutboxMessage.chat_id).join(Delivery, Delivery.id == OutboxMessage.delivery_id)
             .where(Delivery.kind == kind, Delivery.ref_id == group_id))
    query = (select(Member.telegram_id, Member.id, Member.language)
             .where(Member.id.in_(attendee_ids(event_id)), Member.id.not_in(interested),
                    Member.telegram_id.not_in(asked),
                    Member.registered_at.is_not(None), Member.reachable.is_(True),
                    Member.receives_announcements.is_(True)))
    return query if asked_by is None else query.where(Member.telegram_id != asked_by)


async def count_query(session: AsyncSession, query: Select) -> int:
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def queue(session: AsyncSession, recipients: Select, *, kind: str, content: dict[str, dict], ref_id: int,
                by: int | None, now: datetime, report_in: str | None = None) -> Delivery:
    """Queues a message (its content in every language) to go out now to the people `recipients` finds; with
    `report_in` (a language), the coordinator who sent it (`by`) is told in their chat how the delivery went."""
    delivery = await outbox.create(session, kind=kind, content=content, send_at=now, created_by=by, ref_id=ref_id,
                                   status_chat_id=by if report_in else None, status_language=report_in, now=now)
    await outbox.add_query(session, delivery, recipients)
    return delivery


async def ask(session: AsyncSession, prospects: Select, *, send: bool, kind: str, content: dict[str, dict],
              ref_id: int, by: int, now: datetime, report_in: str | None = None) -> int:
    """How many people `prospects` finds; with `send`, the message is queued for them (see `queue`), if anyone."""
    count = await count_query(session, prospects)
    if send and count:
        await queue(session, prospects, kind=kind, content=content, ref_id=ref_id, by=by, now=now, report_in=report_in)
    return count


async def announce_chat(session: AsyncSession, group_id: int, *, content: dict[str, dict], by: int,
                        now: datetime) -> int:
    """Tells the approved members not yet in the group's chat that it now has one; how many are told."""
    return await ask(session, approved_outside_chat(group_id), send=True, kind=CHAT_KIND, content=content,
                     ref_id=group_id, by=by, now=now)


async def message_members(session: AsyncSession, group_id: int, *, content: dict[str, dict], by: int,
                          report_in: str, now: datetime) -> Delivery:
    """Queues a coordinator's message to the group's approved members; the coordinator hears how it went."""
    return await queue(session, approved_recipients(group_id), kind=MESSAGE_KIND, content=content, ref_id=group_id,
                       by=by, now=now, report_in=report_in)


def ask_kind(event_id: int) -> str:
    """Deliveries of one group's ask to one event's attendees, so nobody is asked twice."""
    return f"group_ask:{event_id}"


async def ask_attendees(session: AsyncSession, group: WorkingGroup, event_id: int, *, send: bool,
                        content: dict[str, dict], by: int, report_in: str, now: datetime) -> int:
    """How many of the event's attendees could be asked to join the group (not interested nor asked yet, nor the
    coordinator asking); with `send`, an open group asks them."""
    prospects = event_prospects(group.id, event_id, kind=ask_kind(event_id), asked_by=by)
    return await ask(session, prospects, send=send and group.status == OPEN, kind=ask_kind(event_id), content=content,
                     ref_id=group.id, by=by, now=now, report_in=report_in)


async def recent_events(session: AsyncSession, *, limit: int = 8) -> list[Event]:
    """Events a coordinator may pick (newest first; cancelled ones left out)."""
    return list(await session.scalars(select(Event).where(Event.status != "cancelled")
                                      .order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit)))


NoticeContent = Callable[[WorkingGroup, int, int], dict]


async def group_coordinators(session: AsyncSession, group: WorkingGroup, configured: frozenset[int]) -> list[int]:
    """The group's coordinators: whoever created it or decided on its requests, if still a coordinator; all
    coordinators when none of them is."""
    everyone = await coordinators.all_ids(session, configured)
    involved = set(await session.scalars(select(GroupInterest.decided_by).where(
        GroupInterest.group_id == group.id, GroupInterest.decided_by.is_not(None)).distinct()))
    involved.add(group.created_by)
    return [i for i in everyone if i in involved] or everyone


async def _recipients(session: AsyncSession, telegram_ids: list[int]) -> Select:
    """(chat id, member id, language) of these people, registered or not (English for those who are not)."""
    known = {telegram_id: (member_id, language) for telegram_id, member_id, language in (await session.execute(
        select(Member.telegram_id, Member.id, Member.language).where(Member.telegram_id.in_(telegram_ids)))).all()}
    rows = []
    for telegram_id in telegram_ids:
        member_id, language = known.get(telegram_id, (None, "en"))
        rows.append(select(literal(telegram_id, BigInteger).label("chat_id"),
                           literal(member_id, Integer).label("member_id"),
                           literal(language, String).label("language")))
    return union_all(*rows) if len(rows) > 1 else rows[0]


async def note_requests(session: AsyncSession, *, group_id: int, configured: frozenset[int], content: NoticeContent,
                        now: datetime, new: bool) -> Delivery | None:
    """Keeps the notice of requests still waiting up to date: after a member asks to join (`new`), the notice
    gathering this window's requests is made (going out NOTICE_DELAY after the first) or its count raised; after a
    withdrawal or a decision, its count is lowered, and it is cancelled when none is left waiting.

    `content(group, count, page)` renders the notice; `page` is the list's page with the first of them.
    """
    # Taken in turn per group, so requests arriving together share one notice.
    group = await session.scalar(select(WorkingGroup).where(WorkingGroup.id == group_id).with_for_update())
    if group is None:
        return None
    notice = await session.scalar(
        select(Delivery).where(Delivery.kind == NOTICE_KIND, Delivery.ref_id == group_id,
                               Delivery.status == "scheduled", Delivery.send_at > now + NOTICE_MARGIN)
        .order_by(Delivery.id.desc()).limit(1))
    if notice is None:
        if not new:
            return None
        ids = await group_coordinators(session, group, configured)
        if not ids:
            return None
        notice = await outbox.create(session, kind=NOTICE_KIND, content={}, send_at=now + NOTICE_DELAY,
                                     ref_id=group_id, now=now)
        await outbox.add_query(session, notice, await _recipients(session, ids))
    waiting = (GroupInterest.group_id == group_id, GroupInterest.member_id.is_not(None),
               GroupInterest.status == INTERESTED, GroupInterest.created_at >= notice.created_at)
    count = await session.scalar(select(func.count()).select_from(GroupInterest).where(*waiting)) or 0
    if count == 0:
        await outbox.cancel(session, notice.id, now)
        return None
    before = await session.scalar(select(func.count()).select_from(GroupInterest).where(
        GroupInterest.group_id == group_id, GroupInterest.status != WITHDRAWN,
        GroupInterest.created_at < notice.created_at)) or 0
    notice.content = content(group, count, before // PAGE_SIZE)
    return notice
