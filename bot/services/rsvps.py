"""Answers to invitations: going / maybe / can't go, the seats they take, and the waiting list.

Seats are only ever taken with a conditional UPDATE on the event row (the database decides who wins
the last seat, on SQLite and PostgreSQL alike). Writes touch the event row before any answer row, so
two transactions never wait on each other in opposite orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Member, Rsvp
from bot.services import outbox

GOING, MAYBE, NO = "going", "maybe", "no"
ANSWERS = (GOING, MAYBE, NO)
PROMOTED_KIND = "waitlist_promoted"

# Renders the "a seat is yours" message in every language (the handler's job; services don't write words).
PromotionContent = Callable[["Event | EventView"], dict[str, dict]]


class Status(StrEnum):
    """Whether an answer could be taken, and if not, why."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such event (a forged or very old button)
    NOT_OPEN = "not_open"  # still a draft
    CANCELLED = "cancelled"
    CLOSED = "closed"  # the deadline (or the start) has passed


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as answering its invitation needs it (its words, time, place, capacity and state), read
    with one plain query instead of through the ORM: this runs on every button press."""

    id: int
    title_en: str
    title_km: str
    description_en: str
    description_km: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    latitude: float | None
    longitude: float | None
    capacity: int | None
    rsvp_deadline: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class MemberView:
    """Who pressed: enough to answer them in their language."""

    id: int
    language: str
    registered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AnswerView:
    """A member's stored answer to an event."""

    id: int
    event_id: int
    answer: str
    waitlisted: bool
    waitlisted_at: datetime | None


def _names(view: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(view))


_members, _rsvps, _events = Member.__table__, Rsvp.__table__, Event.__table__
_EVENT_COLUMNS = [_events.c[name] for name in _names(EventView)]
_ANSWER_COLUMNS = [_rsvps.c[name] for name in _names(AnswerView)]
_MEMBER_COLUMNS = [_members.c[name] for name in _names(MemberView)]


@dataclass
class Outcome:
    """What became of a member's answer."""

    status: Status
    event: EventView | None = None
    answer: str | None = None
    waitlisted: bool = False
    # 1 for the first member waiting; None when not waiting.
    position: int | None = None
    changed: bool = False
    # Members who got a seat because this answer freed one.
    promoted: list[int] = field(default_factory=list)


def deadline(event: Event | EventView) -> datetime:
    """When answers stop being taken: the RSVP deadline, or the start."""
    return event.rsvp_deadline or event.starts_at


def availability(event: Event | EventView | None, now: datetime) -> Status:
    """Whether the event takes answers now."""
    if event is None:
        return Status.NOT_FOUND
    if event.status == "cancelled":
        return Status.CANCELLED
    if event.status != "published":
        return Status.NOT_OPEN
    if now >= deadline(event):
        return Status.CLOSED
    return Status.OK


_EVENT = select(*_EVENT_COLUMNS).where(_events.c.id == bindparam("event_id"))
_CURRENT = select(*_ANSWER_COLUMNS).where(_rsvps.c.event_id == bindparam("event_id"),
                                          _rsvps.c.member_id == bindparam("member_id"))
# The member who pressed, their answer to the event if any, and the event: one query per press.
_PRESSED = (
    select(*_MEMBER_COLUMNS, *_ANSWER_COLUMNS, *_EVENT_COLUMNS)
    .select_from(_members
                 .outerjoin(_rsvps, and_(_rsvps.c.member_id == _members.c.id,
                                         _rsvps.c.event_id == bindparam("event_id")))
                 .outerjoin(_events, _events.c.id == bindparam("event_id")))
    .where(_members.c.telegram_id == bindparam("telegram_id")))
_ANSWER_AT = len(_MEMBER_COLUMNS)
_EVENT_AT = _ANSWER_AT + len(_ANSWER_COLUMNS)


async def event_view(session: AsyncSession, event_id: int) -> EventView | None:
    row = (await session.execute(_EVENT, {"event_id": event_id})).first()
    return EventView(*row) if row is not None else None


async def current(session: AsyncSession, event_id: int, member_id: int) -> AnswerView | None:
    row = (await session.execute(_CURRENT, {"event_id": event_id, "member_id": member_id})).first()
    return AnswerView(*row) if row is not None else None


async def pressed(session: AsyncSession, telegram_id: int,
                  event_id: int) -> tuple[MemberView | None, AnswerView | None, EventView | None]:
    """The member who pressed an answer button, their answer to the event if any, and the event, in one query."""
    row = (await session.execute(_PRESSED, {"event_id": event_id, "telegram_id": telegram_id})).first()
    if row is None:
        return None, None, None
    answer = AnswerView(*row[_ANSWER_AT:_EVENT_AT]) if row[_ANSWER_AT] is not None else None
    event = EventView(*row[_EVENT_AT:]) if row[_EVENT_AT] is not None else None
    return MemberView(*row[:_ANSWER_AT]), answer, event


async def position(session: AsyncSession, rsvp: AnswerView) -> int | None:
    """Where a waiting member stands in the queue (1 = next to get a seat)."""
    if not rsvp.waitlisted:
        return None
    return await place_in_queue(session, rsvp.event_id, rsvp.waitlisted_at, rsvp.id)


async def place_in_queue(session: AsyncSession, event_id: int, waitlisted_at: datetime, rsvp_id: int) -> int:
    """1 + the members waiting since before this answer."""
    ahead = await session.scalar(
        select(func.count()).select_from(Rsvp).where(
            Rsvp.event_id == event_id, Rsvp.waitlisted.is_(True),
            tuple_(Rsvp.waitlisted_at, Rsvp.id) < tuple_(waitlisted_at, rsvp_id)))
    return ahead + 1


# Seat counting runs on every Going press: built once, on the table (no ORM bookkeeping needed).
_TAKE_SEAT = (update(_events).where(_events.c.id == bindparam("event_id"),
                                    or_(_events.c.capacity.is_(None), _events.c.seats_taken < _events.c.capacity))
              .values(seats_taken=_events.c.seats_taken + 1).returning(_events.c.seats_taken))
_RELEASE_SEAT = (update(_events).where(_events.c.id == bindparam("event_id"), _events.c.seats_taken > 0)
                 .values(seats_taken=_events.c.seats_taken - 1).returning(_events.c.seats_taken))


async def take_seat(session: AsyncSession, event_id: int) -> int | None:
    """Takes one seat if one is free; the seats now taken if this transaction won it, else None."""
    return (await session.execute(_TAKE_SEAT, {"event_id": event_id})).scalar_one_or_none()


_NEW_ANSWER = (insert(_rsvps).values(event_id=bindparam("for_event"), member_id=bindparam("by_member"),
                                     answer=bindparam("new_answer"), waitlisted=bindparam("waiting"),
                                     waitlisted_at=bindparam("waiting_since"), created_at=bindparam("now"),
                                     updated_at=bindparam("now"))
               .returning(_rsvps.c.id))
_CHANGED_ANSWER = (update(_rsvps).where(_rsvps.c.id == bindparam("rsvp_id"))
                   .values(answer=bindparam("new_answer"), waitlisted=bindparam("waiting"),
                           waitlisted_at=bindparam("waiting_since"), updated_at=bindparam("now")))


async def release_seat(session: AsyncSession, event_id: int) -> int | None:
    """Frees one seat; the seats now taken (None if none were)."""
    return (await session.execute(_RELEASE_SEAT, {"event_id": event_id})).scalar_one_or_none()


async def _claim_next_waiting(session: AsyncSession, event_id: int, now: datetime) -> Rsvp | None:
    """Moves the first waiting member onto a seat already taken for them; None if nobody waits."""
    while True:
        candidate = await session.scalar(
            select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.waitlisted.is_(True), Rsvp.answer == GOING)
            .order_by(Rsvp.waitlisted_at, Rsvp.id).limit(1))
        if candidate is None:
            return None
        # Conditional, in case that member changed their mind in a transaction that just committed.
        result = await session.execute(
            update(Rsvp).where(Rsvp.id == candidate.id, Rsvp.waitlisted.is_(True), Rsvp.answer == GOING)
            .values(waitlisted=False, waitlisted_at=None, updated_at=now).execution_options(synchronize_session=False))
        await session.refresh(candidate)
        if result.rowcount == 1:
            return candidate


async def fill_seats(session: AsyncSession, event: Event | EventView, now: datetime,
                     content: PromotionContent) -> list[int]:
    """Gives free seats to waiting members in the order they asked, each told through the outbox; returns their ids."""
    promoted = []
    while await take_seat(session, event.id) is not None:
        rsvp = await _claim_next_waiting(session, event.id, now)
        if rsvp is None:
            await release_seat(session, event.id)
            break
        delivery = await outbox.create(session, kind=PROMOTED_KIND, content=content(event), send_at=now,
                                       ref_id=rsvp.id, now=now)
        await outbox.add_query(session, delivery, select(Member.telegram_id, Member.id, Member.language)
                               .where(Member.id == rsvp.member_id, Member.reachable.is_(True)))
        promoted.append(rsvp.member_id)
    if isinstance(event, Event):
        await session.refresh(event, ["seats_taken"])
    return promoted


async def view(session: AsyncSession, *, event_id: int, member_id: int, now: datetime) -> Outcome:
    """The event as one member sees it: whether it takes answers, and their answer and place in the queue."""
    event = await event_view(session, event_id)
    rsvp = await current(session, event_id, member_id) if event is not None else None
    if rsvp is None:
        return Outcome(availability(event, now), event)
    return Outcome(availability(event, now), event, rsvp.answer, rsvp.waitlisted, await position(session, rsvp))


UNKNOWN = object()


async def answer(session: AsyncSession, *, event_id: int, member_id: int, answer: str, now: datetime,
                 content: PromotionContent, rsvp: AnswerView | None | object = UNKNOWN,
                 event: EventView | None | object = UNKNOWN) -> Outcome:
    """Records a member's answer: a seat if one is free, else the waiting list; a freed seat goes to the next waiting.

    `rsvp` (the member's current answer) and `event` may be given when the caller has already read them
    (`pressed`). Everything here runs on plain statements built once: this is every button press.
    """
    if answer not in ANSWERS:
        raise ValueError(answer)
    if event is UNKNOWN:
        event = await event_view(session, event_id)
    status = availability(event, now)
    if status is not Status.OK:
        return Outcome(status, event)
    if rsvp is UNKNOWN:
        rsvp = await current(session, event_id, member_id)
    seated = rsvp is not None and rsvp.answer == GOING and not rsvp.waitlisted
    if rsvp is not None and rsvp.answer == answer:
        return Outcome(Status.OK, event, answer, rsvp.waitlisted, await position(session, rsvp), changed=False)
    outcome = Outcome(Status.OK, event, answer, changed=True)
    if answer == GOING:
        outcome.waitlisted = await take_seat(session, event_id) is None
    elif seated:
        await release_seat(session, event_id)
    values = {"new_answer": answer, "waiting": outcome.waitlisted,
              "waiting_since": now if outcome.waitlisted else None, "now": now}
    if rsvp is None:
        added = await session.execute(_NEW_ANSWER, values | {"for_event": event_id, "by_member": member_id})
        rsvp_id = added.scalar_one()
    else:
        rsvp_id = rsvp.id
        await session.execute(_CHANGED_ANSWER, values | {"rsvp_id": rsvp_id})
    if seated:
        outcome.promoted = await fill_seats(session, event, now, content)
    elif outcome.waitlisted:
        outcome.position = await place_in_queue(session, event_id, now, rsvp_id)
    return outcome
