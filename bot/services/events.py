"""Events from the coordinator's side: typed answers checked, drafts turned into events, publishing,
changes, cancelling, and the counts and lists shown in /events."""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import forms
from bot.models import CheckIn, Delivery, Event, Member, OutboxMessage, Rsvp
from bot.services import outbox
from bot.services.audience import Audience
from bot.text import clean_line, normalize_digits, parse_int

DRAFT, PUBLISHED, CANCELLED = "draft", "published", "cancelled"
INVITATION, UPDATE, CANCELLATION = "invitation", "event_update", "event_cancelled"

TITLE_MAX = 200
# With the title, time, venue and seats, a 2,000-character description keeps the invitation far below
# Telegram's 4,096-character limit in either language.
DESCRIPTION_MAX = 2000
VENUE_MAX = 200
AGENDA_MAX = 1000
CAPACITY_MAX = 100_000
DEFAULT_REMINDERS = [1440, 120]
REMINDERS_MAX = 6

# Draft values that are datetimes (kept as ISO text in the draft's JSON).
DATETIME_FIELDS = ("starts_at", "ends_at", "rsvp_deadline")
EVENT_FIELDS = ("title_en", "title_km", "description_en", "description_km", "starts_at", "ends_at", "timezone",
                "venue", "latitude", "longitude", "capacity", "rsvp_deadline", "agenda", "reminder_minutes",
                "audience")


InvalidInput = forms.Invalid  # a typed answer that does not fit; `reason` says why, as a short code


# ---------------------------------------------------------------- typed answers

_DATE = r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})"
_TIME = r"(\d{1,2})\s*[:.]\s*(\d{2})"
_MOMENT = re.compile(_DATE + r"\s*[,\s]\s*" + _TIME)
_TIME_ONLY = re.compile(_TIME)


def _local(year: int, month: int, day: int, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    if year < 100:
        year += 2000
    try:
        return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise InvalidInput("impossible") from None


def parse_moment(text: str, tz: ZoneInfo) -> datetime:
    """Reads '13/12/2024 08:30' (ASCII or Khmer digits) in the event's zone; returns UTC."""
    match = _MOMENT.fullmatch(normalize_digits(clean_line(text)))
    if match is None:
        raise InvalidInput("format")
    day, month, year, hour, minute = (int(g) for g in match.groups())
    return _local(year, month, day, hour, minute, tz)


def parse_start(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """The start: a date and time still to come."""
    start = parse_moment(text, tz)
    if start <= now:
        raise InvalidInput("past")
    return start


def _on_start_day(text: str, start: datetime, tz: ZoneInfo) -> datetime:
    """A date and time, or just a time meaning the start's day (in the event's zone)."""
    cleaned = normalize_digits(clean_line(text))
    match = _TIME_ONLY.fullmatch(cleaned)
    if match is None:
        return parse_moment(cleaned, tz)
    day = start.astimezone(tz)
    return _local(day.year, day.month, day.day, int(match.group(1)), int(match.group(2)), tz)


def parse_end(text: str, start: datetime, tz: ZoneInfo) -> datetime:
    """The end: a date and time, or just a time meaning the start's day; after the start."""
    end = _on_start_day(text, start, tz)
    if end <= start:
        raise InvalidInput("end_before_start")
    return end


def parse_deadline(text: str, start: datetime, tz: ZoneInfo, now: datetime) -> datetime:
    """The last moment to answer: still to come, and before the start."""
    deadline = parse_moment(text, tz)
    if deadline <= now:
        raise InvalidInput("past")
    if deadline >= start:
        raise InvalidInput("deadline_after_start")
    return deadline


def parse_reminder(text: str, start: datetime, tz: ZoneInfo, now: datetime) -> int:
    """When to remind, typed as a date and time or as just a time on the start's day; returned as whole minutes
    before the start. It must still be to come and before the start."""
    moment = _on_start_day(text, start, tz)
    if moment <= now:
        raise InvalidInput("past")
    minutes = int((start - moment).total_seconds() // 60)
    if minutes < 1:
        raise InvalidInput("reminder_after_start")
    return minutes


def upcoming_reminders(minutes: list | None, start: datetime, now: datetime) -> list[int]:
    """The reminder offsets whose time is still to come, latest before the start first: the ones that will be
    sent (one whose time has passed never is)."""
    return sorted({int(m) for m in minutes or [] if start - timedelta(minutes=int(m)) > now}, reverse=True)


def add_reminder(minutes: list | None, text: str, start: datetime, tz: ZoneInfo, now: datetime) -> list[int]:
    """The reminders still to come with a typed one added; refused past REMINDERS_MAX."""
    current = upcoming_reminders(minutes, start, now)
    added = parse_reminder(text, start, tz, now)
    if added not in current and len(current) >= REMINDERS_MAX:
        raise InvalidInput("too_many_reminders")
    return sorted({*current, added}, reverse=True)


def clean_title(text: str) -> str:
    return forms.clean_text(text, TITLE_MAX, multiline=False)


def clean_block(text: str, limit: int) -> str:
    """Several lines of text: each line cleaned, runs of blank lines folded into one (a lone carriage return
    breaks a line too)."""
    return forms.clean_text(text.replace("\r\n", "\n").replace("\r", "\n"), limit)


def clean_description(text: str) -> str:
    return clean_block(text, DESCRIPTION_MAX)


def clean_agenda(text: str) -> str:
    """One line per presentation; blank lines dropped."""
    block = clean_block(text, AGENDA_MAX)
    return "\n".join(line for line in block.split("\n") if line)


def clean_venue(text: str) -> str:
    return forms.clean_text(text, VENUE_MAX, multiline=False)


def parse_capacity(text: str, seats_taken: int = 0) -> int:
    """A whole number of seats, at least one and not fewer than the seats already taken."""
    value = parse_int(text)
    if value is None or not 1 <= value <= CAPACITY_MAX:
        raise InvalidInput("capacity")
    if value < seats_taken:
        raise InvalidInput("below_taken")
    return value


def check_location(latitude: float, longitude: float) -> tuple[float, float]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("location")
    return round(latitude, 6), round(longitude, 6)


# ---------------------------------------------------------------- drafts and events


def to_json(field: str, value):
    """A value as the draft's JSON keeps it."""
    if field in DATETIME_FIELDS and isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def from_json(field: str, value):
    if field in DATETIME_FIELDS and isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(UTC)
    return value


def new_draft_data(first_language: str, timezone: str) -> dict:
    """What a new event starts with: no texts yet, the default reminders, everyone invited."""
    return {"first": first_language, "timezone": timezone, "title_en": "", "title_km": "", "description_en": "",
            "description_km": "", "venue": "", "latitude": None, "longitude": None, "capacity": None,
            "rsvp_deadline": None, "agenda": "", "reminder_minutes": list(DEFAULT_REMINDERS), "audience": {}}


def sketch(data: dict) -> Event:
    """An unsaved event built from a draft's answers, to show the coordinator how it will read."""
    values = {f: from_json(f, data.get(f)) for f in EVENT_FIELDS if data.get(f) is not None}
    event = Event(**values)
    event.id = data.get("event_id") or 0
    event.status = DRAFT
    return event


async def save_draft(session: AsyncSession, data: dict, *, created_by: int, now: datetime) -> Event:
    """Writes the draft's answers to its event row (status draft), creating it the first time."""
    event = await session.get(Event, data["event_id"]) if data.get("event_id") else None
    if event is None or event.status != DRAFT:
        event = Event(status=DRAFT, created_by=created_by, created_at=now, seats_taken=0,
                      checkin_token=secrets.token_hex(16))
        session.add(event)
    for field in EVENT_FIELDS:
        setattr(event, field, from_json(field, data.get(field)))
    event.updated_at = now
    await session.flush()
    return event


async def discard_draft(session: AsyncSession, event_id: int | None) -> None:
    """Removes an unpublished event row (a published one is never touched)."""
    if event_id:
        await session.execute(delete(Event).where(Event.id == event_id, Event.status == DRAFT))


async def get(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def publish(session: AsyncSession, event_id: int, now: datetime) -> Event | None:
    """Moves a draft event to published; None if it is not a draft any more (pressed twice, or discarded)."""
    result = await session.execute(
        update(Event).where(Event.id == event_id, Event.status == DRAFT)
        .values(status=PUBLISHED, published_at=now, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    return await session.get(Event, event_id, populate_existing=True)


async def invite(session: AsyncSession, event: Event, content: dict[str, dict], *, coordinator_chat: int,
                 language: str, now: datetime) -> int:
    """Queues the invitation for the event's audience; returns how many members it goes to."""
    audience = Audience.from_json(event.audience)
    audience = Audience(languages=audience.languages, genders=audience.genders, stakeholders=audience.stakeholders,
                        provinces=audience.provinces, announcements=True)
    delivery = await outbox.create(session, kind=INVITATION, content=content, send_at=now, created_by=coordinator_chat,
                                   ref_id=event.id, status_chat_id=coordinator_chat, status_language=language, now=now)
    count = await outbox.add_audience(session, delivery, audience)
    if count == 0:
        # Nobody to send to: no delivery left waiting forever for recipients.
        await session.delete(delivery)
    return count


def answered(event_id: int) -> Select:
    """(chat id, member id, language) of every reachable member who answered the invitation, whatever the answer."""
    return (select(Member.telegram_id, Member.id, Member.language)
            .join(Rsvp, and_(Rsvp.member_id == Member.id, Rsvp.event_id == event_id))
            .where(Member.reachable.is_(True)).order_by(Member.id))


async def count_answered(session: AsyncSession, event_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(answered(event_id).subquery()))


async def tell_answered(session: AsyncSession, event: Event, *, kind: str, content: dict[str, dict],
                        coordinator_chat: int, language: str, now: datetime) -> int:
    """Queues one message to every member who answered; returns how many (no delivery when nobody did)."""
    if not await count_answered(session, event.id):
        return 0
    delivery = await outbox.create(session, kind=kind, content=content, send_at=now, created_by=coordinator_chat,
                                   ref_id=event.id, status_chat_id=coordinator_chat, status_language=language, now=now)
    return await outbox.add_query(session, delivery, answered(event.id))


async def change(session: AsyncSession, event_id: int, values: dict, now: datetime) -> Event | None:
    """Applies a coordinator's change to a published event; None if it is no longer published or the new
    capacity is below the seats already taken (checked in the same statement, so a late RSVP can't slip in)."""
    values = {field: from_json(field, value) for field, value in values.items()}
    conditions = [Event.id == event_id, Event.status == PUBLISHED]
    if values.get("capacity") is not None:
        conditions.append(Event.seats_taken <= values["capacity"])
    result = await session.execute(update(Event).where(*conditions).values(**values, updated_at=now)
                                   .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    return await session.get(Event, event_id, populate_existing=True)


@dataclass(frozen=True)
class Change:
    """What became of a change to a published event: saved, or why not (closed / past / below_taken)."""

    status: str
    event: Event | None
    deadline_dropped: bool = False


async def apply_change(session: AsyncSession, event_id: int, values: dict, now: datetime) -> Change:
    """Saves new values of a published event that has not ended; a new start must still be to come, and an
    answer deadline no longer before it is removed."""
    current = await session.get(Event, event_id)
    if current is None or current.status == DRAFT:
        return Change("not_found", None)
    if not is_open(current, now):
        return Change("closed", current)
    values = dict(values)
    dropped = False
    if "starts_at" in values:
        start = from_json("starts_at", values["starts_at"])
        if start <= now:
            return Change("past", current)
        if current.rsvp_deadline is not None and current.rsvp_deadline >= start:
            values["rsvp_deadline"], dropped = None, True
    event = await change(session, event_id, values, now)
    if event is None:
        return Change("below_taken", await session.get(Event, event_id, populate_existing=True))
    return Change("saved", event, dropped)


async def refresh_invitations(session: AsyncSession, event: Event, content: dict[str, dict]) -> int:
    """Gives invitations still going out the event's new text; returns how many deliveries were changed."""
    result = await session.execute(update(Delivery).where(
        Delivery.kind == INVITATION, Delivery.ref_id == event.id, Delivery.status.in_(("scheduled", "sending")))
        .values(content=content).execution_options(synchronize_session=False))
    return result.rowcount


async def cancel(session: AsyncSession, event_id: int, now: datetime) -> Event | None:
    """Cancels a published event and any invitations not yet sent; None if it was not published."""
    result = await session.execute(update(Event).where(Event.id == event_id, Event.status == PUBLISHED)
                                   .values(status=CANCELLED, updated_at=now)
                                   .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    pending = await session.scalars(select(Delivery.id).where(
        Delivery.kind == INVITATION, Delivery.ref_id == event_id, Delivery.status.in_(("scheduled", "sending"))))
    for delivery_id in list(pending):
        await outbox.cancel(session, delivery_id, now)
    return await session.get(Event, event_id, populate_existing=True)


# ---------------------------------------------------------------- lists and counts


@dataclass(frozen=True)
class Counts:
    """Where an event stands: invitations, answers and people in the room."""

    invited: int = 0
    going: int = 0
    maybe: int = 0
    no: int = 0
    waitlisted: int = 0
    checked_in: int = 0


async def counts(session: AsyncSession, event_ids: list[int]) -> dict[int, Counts]:
    """Counts for several events at once (three grouped queries, whatever the number of events)."""
    if not event_ids:
        return {}
    values: dict[int, dict[str, int]] = defaultdict(dict)
    invited = await session.execute(
        select(Delivery.ref_id, func.count()).join(OutboxMessage, OutboxMessage.delivery_id == Delivery.id)
        .where(Delivery.kind == INVITATION, Delivery.ref_id.in_(event_ids)).group_by(Delivery.ref_id))
    for event_id, n in invited:
        values[event_id]["invited"] = n
    answers = await session.execute(
        select(Rsvp.event_id, Rsvp.answer, Rsvp.waitlisted, func.count()).where(Rsvp.event_id.in_(event_ids))
        .group_by(Rsvp.event_id, Rsvp.answer, Rsvp.waitlisted))
    for event_id, answer, waitlisted, n in answers:
        key = "waitlisted" if waitlisted else answer
        if key in ("going", "maybe", "no", "waitlisted"):
            values[event_id][key] = values[event_id].get(key, 0) + n
    checked = await session.execute(select(CheckIn.event_id, func.count()).where(CheckIn.event_id.in_(event_ids))
                                    .group_by(CheckIn.event_id))
    for event_id, n in checked:
        values[event_id]["checked_in"] = n
    return {event_id: Counts(**values.get(event_id, {})) for event_id in event_ids}


async def overview(session: AsyncSession, now: datetime, *, upcoming_limit: int = 10,
                   past_limit: int = 5) -> tuple[list[Event], list[Event]]:
    """The network's events for coordinators: not yet ended (soonest first), then ended (latest first)."""
    shown = Event.status.in_((PUBLISHED, CANCELLED))
    upcoming = await session.scalars(select(Event).where(shown, Event.ends_at >= now)
                                     .order_by(Event.starts_at, Event.id).limit(upcoming_limit))
    past = await session.scalars(select(Event).where(shown, Event.ends_at < now)
                                 .order_by(Event.starts_at.desc(), Event.id.desc()).limit(past_limit))
    return list(upcoming), list(past)


@dataclass(frozen=True)
class MemberEvent:
    """An upcoming event in a member's list, with their answer (None if they have not answered)."""

    event: Event
    answer: str | None
    waitlisted: bool


def _member_events(member_id: int, now: datetime) -> Select:
    invited = (select(Delivery.ref_id).join(OutboxMessage, OutboxMessage.delivery_id == Delivery.id)
               .where(Delivery.kind == INVITATION, OutboxMessage.member_id == member_id))
    return (select(Event, Rsvp.answer, Rsvp.waitlisted)
            .outerjoin(Rsvp, and_(Rsvp.event_id == Event.id, Rsvp.member_id == member_id))
            .where(Event.status == PUBLISHED, Event.ends_at >= now, or_(Rsvp.id.is_not(None), Event.id.in_(invited))))


async def for_member(session: AsyncSession, member_id: int, now: datetime, limit: int = 10) -> list[MemberEvent]:
    """Upcoming published events the member was invited to or answered, soonest first."""
    rows = await session.execute(_member_events(member_id, now).order_by(Event.starts_at, Event.id).limit(limit))
    return [MemberEvent(event, answer, bool(waitlisted)) for event, answer, waitlisted in rows]


async def is_members(session: AsyncSession, event_id: int, member_id: int, now: datetime) -> bool:
    """Whether the event is in the member's list (upcoming, and they were invited or answered)."""
    rows = await session.execute(_member_events(member_id, now).where(Event.id == event_id))
    return rows.first() is not None


def is_open(event: Event, now: datetime) -> bool:
    """A published event that has not ended yet may still be changed or cancelled."""
    return event.status == PUBLISHED and event.ends_at > now


def drop_deadline_if_late(values: dict) -> bool:
    """Clears an answer deadline that is no longer before the start; True if it did."""
    deadline = from_json("rsvp_deadline", values.get("rsvp_deadline"))
    start = from_json("starts_at", values.get("starts_at"))
    if deadline is not None and start is not None and deadline >= start:
        values["rsvp_deadline"] = None
        return True
    return False

