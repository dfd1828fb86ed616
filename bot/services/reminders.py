"""Event reminders: rows planned from the event's offsets, fired once each through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Member, Reminder, Rsvp
from bot.services import outbox

SCHEDULED, SENT, SKIPPED, CANCELLED = "scheduled", "sent", "skipped", "cancelled"
KIND = "reminder"
# Who is reminded: members who said they are coming or might, not those still waiting for a seat.
REMINDED_ANSWERS = ("going", "maybe")

# Renders a reminder of an event in every language (the handler's job; services don't write words).
ContentBuilder = Callable[[Event, datetime], dict[str, dict]]


async def plan(session: AsyncSession, event: Event, now: datetime) -> None:
    """Creates or replaces the event's scheduled reminders from its offsets; sent ones stay as they were."""
    rows = {r.minutes_before: r for r in await session.scalars(select(Reminder).where(Reminder.event_id == event.id))}
    wanted = set() if event.status != "published" else {int(m) for m in event.reminder_minutes or []}
    for minutes, reminder in rows.items():
        if reminder.status == SCHEDULED and minutes not in wanted:
            reminder.status, reminder.processed_at = CANCELLED, now
    for minutes in sorted(wanted):
        due_at = event.starts_at - timedelta(minutes=minutes)
        reminder = rows.get(minutes)
        if reminder is not None and reminder.status == SENT:
            continue
        if due_at <= now:
            # Planned too late to be of use: the member already has the invitation in front of them.
            if reminder is not None and reminder.status == SCHEDULED:
                reminder.status, reminder.processed_at = CANCELLED, now
            continue
        if reminder is None:
            session.add(Reminder(event_id=event.id, minutes_before=minutes, due_at=due_at, status=SCHEDULED))
        else:
            reminder.due_at, reminder.status, reminder.processed_at = due_at, SCHEDULED, None
            reminder.delivery_id = None
    await session.flush()


async def scheduled(session: AsyncSession, event_id: int | None = None) -> list[Reminder]:
    """Reminders still waiting to go out (of one event, or of all), soonest first."""
    query = select(Reminder).where(Reminder.status == SCHEDULED).order_by(Reminder.due_at, Reminder.id)
    if event_id is not None:
        query = query.where(Reminder.event_id == event_id)
    return list(await session.scalars(query))


async def of_event(session: AsyncSession, event_id: int) -> list[Reminder]:
    """Every reminder of an event, whatever its status."""
    return list(await session.scalars(select(Reminder).where(Reminder.event_id == event_id).order_by(Reminder.id)))


async def get(session: AsyncSession, reminder_id: int) -> Reminder | None:
    """One reminder, or None if there is no such reminder."""
    return await session.get(Reminder, reminder_id)


def recipients(event_id: int):
    """(chat id, member id, language) of the members to remind: going or maybe, not waitlisted, reachable."""
    return (select(Member.telegram_id, Member.id, Member.language)
            .join(Rsvp, and_(Rsvp.member_id == Member.id, Rsvp.event_id == event_id))
            .where(Rsvp.answer.in_(REMINDED_ANSWERS), Rsvp.waitlisted.is_(False), Member.reachable.is_(True))
            .order_by(Member.id))


@dataclass
class Fired:
    """What one pass over the due reminders did, by reminder id."""

    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


async def _settle(session: AsyncSession, reminder: Reminder, status: str, now: datetime) -> bool:
    """Moves a reminder from scheduled to `status`; False if someone else already did."""
    result = await session.execute(
        update(Reminder).where(Reminder.id == reminder.id, Reminder.status == SCHEDULED)
        .values(status=status, processed_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


async def fire_due(session: AsyncSession, now: datetime, content: ContentBuilder) -> Fired:
    """Sends every reminder that is due: once each, never after the event started, never for a cancelled event."""
    fired = Fired()
    due = list(await session.scalars(
        select(Reminder).where(Reminder.status == SCHEDULED, Reminder.due_at <= now)
        .order_by(Reminder.event_id, Reminder.minutes_before)))
    latest_per_event: set[int] = set()
    for reminder in due:
        event = await session.get(Event, reminder.event_id)
        if event is None or event.status != "published":
            if await _settle(session, reminder, CANCELLED, now):
                fired.cancelled.append(reminder.id)
        elif event.starts_at <= now or reminder.event_id in latest_per_event:
            # Sorted by offset, so after a long outage only the reminder closest to the start goes out.
            if await _settle(session, reminder, SKIPPED, now):
                fired.skipped.append(reminder.id)
        elif await _settle(session, reminder, SENT, now):
            latest_per_event.add(reminder.event_id)
            delivery = await outbox.create(session, kind=KIND, content=content(event, now), send_at=now,
                                           ref_id=reminder.id, now=now)
            await outbox.add_query(session, delivery, recipients(event.id))
            await session.execute(update(Reminder).where(Reminder.id == reminder.id)
                                  .values(delivery_id=delivery.id).execution_options(synchronize_session=False))
            fired.sent.append(reminder.id)
            fired.deliveries.append(delivery.id)
        else:
            continue
        # The row was updated behind the session's back; load the new state next time it is read.
        session.expire(reminder)
    return fired
