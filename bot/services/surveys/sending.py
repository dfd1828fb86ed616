"""Sending a survey now or at its time, closing and discarding it, and the scheduled pass after an
event: the intro to those who checked in, a reminder to those who have not finished, closing on time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Delivery, Event, Member, OutboxMessage, Survey, SurveyResponse
from bot.services import outbox
from bot.services.audience import Audience
from bot.services.surveys.defining import CLOSED, DRAFT, KIND, OPEN, REMINDER_KIND, SCHEDULED, ContentBuilder


def recipients(survey: Survey):
    """(chat id, member id, language) of whoever the survey goes to."""
    if survey.event_id is not None:
        return (select(Member.telegram_id, Member.id, Member.language)
                .join(CheckIn, and_(CheckIn.member_id == Member.id, CheckIn.event_id == survey.event_id))
                .where(Member.registered_at.is_not(None), Member.reachable.is_(True)).order_by(Member.id))
    return Audience.from_json(survey.audience).where(select(Member.telegram_id, Member.id, Member.language))


class Sent(StrEnum):
    SENT = "sent"
    SCHEDULED = "scheduled"
    NOT_DRAFT = "not_draft"
    NOBODY = "nobody"  # no one would receive it now; nothing was changed


async def send(session: AsyncSession, survey: Survey, *, now: datetime, content: ContentBuilder,
               status_chat_id: int | None = None, status_language: str | None = None) -> Sent:
    """Sends the intro with its Start button now, or, for an event still going on, when the event ends."""
    if survey.status != DRAFT:
        return Sent.NOT_DRAFT
    if survey.event_id is not None:
        event = await session.get(Event, survey.event_id)
        if event is not None and event.ends_at > now:
            survey.status = SCHEDULED
            return Sent.SCHEDULED
    if not await session.scalar(select(func.count()).select_from(recipients(survey).subquery())):
        return Sent.NOBODY
    await _send_now(session, survey, now=now, content=content, status_chat_id=status_chat_id,
                    status_language=status_language)
    return Sent.SENT


async def _send_now(session: AsyncSession, survey: Survey, *, now: datetime, content: ContentBuilder,
                    status_chat_id: int | None = None, status_language: str | None = None) -> Delivery:
    survey.status, survey.sent_at = OPEN, now
    survey.reminder_due_at = now + timedelta(minutes=survey.reminder_minutes) if survey.reminder_minutes else None
    delivery = await outbox.create(session, kind=KIND, content=content(survey), send_at=now, ref_id=survey.id,
                                   created_by=survey.created_by, status_chat_id=status_chat_id,
                                   status_language=status_language, now=now)
    await outbox.add_query(session, delivery, recipients(survey))
    survey.delivery_id = delivery.id
    return delivery


async def close(session: AsyncSession, survey: Survey, now: datetime) -> bool:
    """Closes an open (or still scheduled) survey: answers are no longer taken. False if it was not open."""
    if survey.status not in (OPEN, SCHEDULED):
        return False
    survey.status, survey.closed_at = CLOSED, now
    return True


async def discard(session: AsyncSession, survey: Survey) -> bool:
    """Deletes a survey that was never sent."""
    if survey.status != DRAFT:
        return False
    await session.delete(survey)
    return True


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.status == OPEN and (survey.closes_at is None or now < survey.closes_at)




@dataclass
class Due:
    """What one pass over due survey work did, by survey id."""

    sent: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def _not_finished(survey: Survey):
    """Recipients of the survey who have not finished it (reminders go to them)."""
    finished = exists().where(SurveyResponse.survey_id == survey.id, SurveyResponse.member_id == Member.id,
                              SurveyResponse.completed_at.is_not(None))
    return (select(Member.telegram_id, Member.id, Member.language)
            .join(OutboxMessage, and_(OutboxMessage.member_id == Member.id,
                                      OutboxMessage.delivery_id == survey.delivery_id))
            .where(OutboxMessage.status == outbox.SENT, Member.reachable.is_(True), ~finished)
            .order_by(Member.id))


async def run_due(session: AsyncSession, now: datetime, *, content: ContentBuilder,
                  reminder_content: ContentBuilder) -> Due:
    """Sends surveys whose event has ended, the one reminder of each that is due, and closes those past closing."""
    due = Due()
    scheduled = await session.scalars(
        select(Survey).join(Event, Event.id == Survey.event_id)
        .where(Survey.status == SCHEDULED, Event.ends_at <= now).order_by(Survey.id))
    for survey in list(scheduled):
        delivery = await _send_now(session, survey, now=now, content=content)
        due.sent.append(survey.id)
        due.deliveries.append(delivery.id)
    reminders = await session.scalars(
        select(Survey).where(Survey.status == OPEN, Survey.reminded_at.is_(None), Survey.reminder_due_at <= now)
        .order_by(Survey.id))
    for survey in list(reminders):
        survey.reminded_at = now
        if survey.closes_at is not None and survey.closes_at <= now:
            continue
        delivery = await outbox.create(session, kind=REMINDER_KIND, content=reminder_content(survey), send_at=now,
                                       ref_id=survey.id, now=now)
        if await outbox.add_query(session, delivery, _not_finished(survey)):
            due.deliveries.append(delivery.id)
        due.reminded.append(survey.id)
    closing = await session.scalars(select(Survey).where(Survey.status == OPEN, Survey.closes_at <= now))
    for survey in list(closing):
        survey.status, survey.closed_at = CLOSED, survey.closes_at
        due.closed.append(survey.id)
    await session.flush()
    return due


async def next_due(session: AsyncSession) -> datetime | None:
    """The next moment run_due has something to do (an event ending, a reminder, a closing), if any."""
    moments = [
        await session.scalar(select(func.min(Event.ends_at)).join(Survey, Survey.event_id == Event.id)
                             .where(Survey.status == SCHEDULED)),
        await session.scalar(select(func.min(Survey.reminder_due_at))
                             .where(Survey.status == OPEN, Survey.reminded_at.is_(None))),
        await session.scalar(select(func.min(Survey.closes_at)).where(Survey.status == OPEN)),
    ]
    found = [m for m in moments if m is not None]
    if not found:
        return None
    # min() over values from func.min loses the UTC type on some backends; normalise.
    return min(m if m.tzinfo else m.replace(tzinfo=ZoneInfo("UTC")) for m in found)
