"""Answers to invitations: going / maybe / can't go, the seats they take, and the waiting list.

Seats are only ever taken with a conditional UPDATE on the event row (the database decides who wins
the last seat, on SQLite and PostgreSQL alike). Writes touch the event row before any answer row, so
two transactions never wait on each other in opposite orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.models import Event, Member, Rsvp
from bot.services import outbox

GOING, MAYBE, NO = "going", "maybe", "no"
ANSWERS = (GOING, MAYBE, NO)
PROMOTED_KIND = "waitlist_promoted"

# Renders the "a seat is yours" message in every language (the handler's job; services don't write words).
PromotionContent = Callable[[Event], dict[str, dict]]


class Status(StrEnum):
    """Whether an answer could be taken, and if not, why."""

    OK = "ok"
    NOT_FOUND = "not_found"  # no such event (a forged or very old button)
    NOT_OPEN = "not_open"  # still a draft
    CANCELLED = "cancelled"
    CLOSED = "closed"  # the deadline (or the start) has passed


@dataclass
class Outcome:
    """What became of a member's answer."""

    status: Status
    event: Event | None = None
    answer: str | None = None
    waitlisted: bool = False
    # 1 for the first member waiting; None when not waiting.
    position: int | None = None
    changed: bool = False
    # Members who got a seat because this answer freed one.
    promoted: list[int] = field(default_factory=list)


def deadline(event: Event) -> datetime:
    """When answers stop being taken: the RSVP deadline, or the start."""
    return event.rsvp_deadline or event.starts_at


def availability(event: Event | None, now: datetime) -> Status:
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


async def current(session: AsyncSession, event_id: int, member_id: int) -> Rsvp | None:
    return await session.scalar(select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.member_id == member_id))


_PRESSED = (
    select(Member, Rsvp, Event)
    .outerjoin(Rsvp, and_(Rsvp.member_id == Member.id, Rsvp.event_id == bindparam("event_id")))
    .outerjoin(Event, Event.id == bindparam("event_id"))
    .where(Member.telegram_id == bindparam("telegram_id")))


async def pressed(session: AsyncSession, telegram_id: int, event_id: int) -> tuple[Member | None, Rsvp | None, Event | None]:
    """The member who pressed an answer button, their answer to the event if any, and the event, in one query."""
    row = (await session.execute(_PRESSED, {"event_id": event_id, "telegram_id": telegram_id})).first()
    return (row[0], row[1], row[2]) if row is not None else (None, None, None)


async def position(session: AsyncSession, rsvp: Rsvp) -> int | None:
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
_events = Event.__table__
_TAKE_SEAT = (update(_events).where(_events.c.id == bindparam("event_id"),
                                    or_(_events.c.capacity.is_(None), _events.c.seats_taken < _events.c.capacity))
              .values(seats_taken=_events.c.seats_taken + 1).returning(_events.c.seats_taken))
_RELEASE_SEAT = (update(_events).where(_events.c.id == bindparam("event_id"), _events.c.seats_taken > 0)
                 .values(seats_taken=_events.c.seats_taken - 1).returning(_events.c.seats_taken))


async def take_seat(session: AsyncSession, event_id: int) -> int | None:
    """Takes one seat if one is free; the seats now taken if this transaction won it, else None."""
    return (await session.execute(_TAKE_SEAT, {"event_id": event_id})).scalar_one_or_none()


_rsvps = Rsvp.__table__
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


async def fill_seats(session: AsyncSession, event: Event, now: datetime, content: PromotionContent) -> list[int]:
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
    await session.refresh(event, ["seats_taken"])
    return promoted


async def view(session: AsyncSession, *, event_id: int, member_id: int, now: datetime) -> Outcome:
    """The event as one member sees it: whether it takes answers, and their answer and place in the queue."""
    event = await session.get(Event, event_id)
    rsvp = await current(session, event_id, member_id) if event is not None else None
    if rsvp is None:
        return Outcome(availability(event, now), event)
    return Outcome(availability(event, now), event, rsvp.answer, rsvp.waitlisted, await position(session, rsvp))


UNKNOWN = object()


async def answer(session: AsyncSession, *, event_id: int, member_id: int, answer: str, now: datetime,
                 content: PromotionContent, rsvp: Rsvp | None | object = UNKNOWN,
                 event: Event | None | object = UNKNOWN) -> Outcome:
    """Records a member's answer: a seat if one is free, else the waiting list; a freed seat goes to the next waiting.

    `rsvp` (the member's current answer) and `event` may be given when the caller has already read them
    (`pressed`). The answer row is written with prebuilt statements: this runs for every button press.
    """
    if answer not in ANSWERS:
        raise ValueError(answer)
    if event is UNKNOWN:
        event = await session.get(Event, event_id)
    status = availability(event, now)
    if status is not Status.OK:
        return Outcome(status, event)
    if rsvp is UNKNOWN:
        rsvp = await current(session, event_id, member_id)
    seated = rsvp is not None and rsvp.answer == GOING and not rsvp.waitlisted
    if rsvp is not None and rsvp.answer == answer:
        return Outcome(Status.OK, event, answer, rsvp.waitlisted, await position(session, rsvp), changed=False)
    outcome = Outcome(Status.OK, event, answer, changed=True)
    taken = UNKNOWN
    if answer == GOING:
        taken = await take_seat(session, event_id)
        outcome.waitlisted = taken is None
    elif seated:
        taken = await release_seat(session, event_id)
    if isinstance(taken, int):
        # The count the UPDATE returned: no need to read the event again.
        set_committed_value(event, "seats_taken", taken)
    values = {"new_answer": answer, "waiting": outcome.waitlisted,
              "waiting_since": now if outcome.waitlisted else None, "now": now}
    if rsvp is None:
        rsvp_id = (await session.execute(_NEW_ANSWER, values | {"for_event": event_id, "by_member": member_id})).scalar_one()
    else:
        rsvp_id = rsvp.id
        await session.execute(_CHANGED_ANSWER, values | {"rsvp_id": rsvp_id})
        # The loaded row, kept in step with the one just written.
        for name, value in (("answer", answer), ("waitlisted", outcome.waitlisted),
                            ("waitlisted_at", values["waiting_since"]), ("updated_at", now)):
            set_committed_value(rsvp, name, value)
    if seated:
        outcome.promoted = await fill_seats(session, event, now, content)
    elif outcome.waitlisted:
        await session.refresh(event, ["seats_taken"])
        outcome.position = await place_in_queue(session, event_id, now, rsvp_id)
    return outcome
