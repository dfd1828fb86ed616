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

from bot.db import execute_direct
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
    """A member's stored answer to an event, and the message of theirs that shows it."""

    id: int
    event_id: int
    answer: str
    waitlisted: bool
    waitlisted_at: datetime | None
    message_id: int | None
    drawn: str | None
    redraw_at: datetime | None


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
    # Other members' invitations now show an out-of-date answer or place in the queue (see `claim_redraws`).
    redraws: bool = False
    # The stored answer, the member's message showing it and a fingerprint of what that message shows.
    rsvp_id: int | None = None
    message_id: int | None = None
    drawn: str | None = None
    redraw_pending: bool = False


def _shown(rsvp: AnswerView) -> dict:
    return {"rsvp_id": rsvp.id, "message_id": rsvp.message_id, "drawn": rsvp.drawn,
            "redraw_pending": rsvp.redraw_at is not None}


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
    rows, _ = await execute_direct(session, _PRESSED, {"event_id": event_id, "telegram_id": telegram_id})
    if not rows:
        return None, None, None
    row = rows[0]
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
    rows, _ = await execute_direct(session, _TAKE_SEAT, {"event_id": event_id})
    return rows[0][0] if rows else None


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
    rows, _ = await execute_direct(session, _RELEASE_SEAT, {"event_id": event_id})
    return rows[0][0] if rows else None


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
    promoted, promoted_rsvps = [], []
    while await take_seat(session, event.id) is not None:
        rsvp = await _claim_next_waiting(session, event.id, now)
        if rsvp is None:
            await release_seat(session, event.id)
            break
        promoted_rsvps.append(rsvp.id)
        delivery = await outbox.create(session, kind=PROMOTED_KIND, content=content(event), send_at=now,
                                       ref_id=rsvp.id, now=now)
        await outbox.add_query(session, delivery, select(Member.telegram_id, Member.id, Member.language)
                               .where(Member.id == rsvp.member_id, Member.reachable.is_(True)))
        promoted.append(rsvp.member_id)
    if promoted_rsvps:
        # The promoted now have a seat, and everyone still waiting has moved up the queue.
        await session.execute(update(Rsvp).where(
            Rsvp.event_id == event.id, Rsvp.message_id.is_not(None),
            or_(Rsvp.id.in_(promoted_rsvps), Rsvp.waitlisted.is_(True)))
            .values(redraw_at=now).execution_options(synchronize_session=False))
    if isinstance(event, Event):
        await session.refresh(event, ["seats_taken"])
    return promoted


async def view(session: AsyncSession, *, event_id: int, member_id: int, now: datetime) -> Outcome:
    """The event as one member sees it: whether it takes answers, and their answer and place in the queue."""
    event = await event_view(session, event_id)
    rsvp = await current(session, event_id, member_id) if event is not None else None
    if rsvp is None:
        return Outcome(availability(event, now), event)
    return Outcome(availability(event, now), event, rsvp.answer, rsvp.waitlisted, await position(session, rsvp),
                   **_shown(rsvp))


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
        return Outcome(Status.OK, event, answer, rsvp.waitlisted, await position(session, rsvp), changed=False,
                       **_shown(rsvp))
    outcome = Outcome(Status.OK, event, answer, changed=True, **(_shown(rsvp) if rsvp is not None else {}))
    rsvp_id = await _record(session, outcome, rsvp, event_id=event_id, member_id=member_id, now=now)
    if seated:
        outcome.promoted = await fill_seats(session, event, now, content)
        outcome.redraws = bool(outcome.promoted)
    elif outcome.waitlisted:
        outcome.position = await place_in_queue(session, event_id, now, rsvp_id)
    elif rsvp is not None and rsvp.waitlisted:
        outcome.redraws = await _queue_moved(session, rsvp, now)
    return outcome


async def _record(session: AsyncSession, outcome: Outcome, rsvp: AnswerView | None, *, event_id: int,
                  member_id: int, now: datetime) -> int:
    """Takes or frees the seat the changed answer needs and stores the answer; returns its row's id."""
    seated = rsvp is not None and rsvp.answer == GOING and not rsvp.waitlisted
    if outcome.answer == GOING:
        outcome.waitlisted = await take_seat(session, event_id) is None
    elif seated:
        await release_seat(session, event_id)
    values = {"new_answer": outcome.answer, "waiting": outcome.waitlisted,
              "waiting_since": now if outcome.waitlisted else None, "now": now}
    if rsvp is None:
        added, _ = await execute_direct(session, _NEW_ANSWER, values | {"for_event": event_id, "by_member": member_id})
        outcome.rsvp_id = added[0][0]
        return outcome.rsvp_id
    await execute_direct(session, _CHANGED_ANSWER, values | {"rsvp_id": rsvp.id})
    return rsvp.id


# ---------------------------------------------------------------- the member's message showing the answer
#
# The message a member last answered on (or opened) shows their answer and place in the queue. When either
# changes behind their back (a seat freed for them, the queue moved, the event edited or cancelled), the
# row is marked (`redraw_at`) in the same transaction, and that message is redrawn after the commit:
# scrolling back never contradicts the latest message. `drawn` fingerprints what the message shows, so a
# redraw that would change nothing is not sent.

_SHOWN = (update(_rsvps).where(_rsvps.c.id == bindparam("rsvp_id"))
          .values(message_id=bindparam("shown_in"), drawn=bindparam("fingerprint"), redraw_at=None))


async def shown(session: AsyncSession, outcome: Outcome, message_id: int, drawn: str) -> int | None:
    """Records that `message_id` now shows the member's answer (`drawn` fingerprints it); returns the message
    that showed it until now, if that was another one (it should no longer show an answer)."""
    if outcome.rsvp_id is None:
        return None
    if outcome.message_id == message_id and outcome.drawn == drawn and not outcome.redraw_pending:
        return None
    await execute_direct(session, _SHOWN, {"rsvp_id": outcome.rsvp_id, "shown_in": message_id, "fingerprint": drawn})
    return outcome.message_id if outcome.message_id not in (None, message_id) else None


async def _queue_moved(session: AsyncSession, left: AnswerView, now: datetime) -> bool:
    """A member left the waiting list: everyone waiting behind them moved up. Whether any message shows it."""
    result = await session.execute(
        update(Rsvp).where(Rsvp.event_id == left.event_id, Rsvp.waitlisted.is_(True), Rsvp.message_id.is_not(None),
                           tuple_(Rsvp.waitlisted_at, Rsvp.id) > tuple_(left.waitlisted_at, left.id))
        .values(redraw_at=now).execution_options(synchronize_session=False))
    return result.rowcount > 0


async def event_changed(session: AsyncSession, event_id: int, now: datetime) -> int:
    """Every answer to the event is to be redrawn (it was edited or cancelled); returns how many."""
    result = await session.execute(
        update(Rsvp).where(Rsvp.event_id == event_id, Rsvp.message_id.is_not(None))
        .values(redraw_at=now).execution_options(synchronize_session=False))
    return result.rowcount


@dataclass(frozen=True, slots=True)
class Redraw:
    """A member's message to bring up to date, claimed until `lease`."""

    rsvp_id: int
    event_id: int
    member_id: int
    chat_id: int
    language: str
    message_id: int
    drawn: str | None
    lease: datetime


_DUE = (select(Rsvp.id, Rsvp.event_id, Rsvp.member_id, Member.telegram_id, Member.language, Rsvp.message_id,
               Rsvp.drawn, Rsvp.redraw_at, Member.reachable)
        .join(Member, Member.id == Rsvp.member_id)
        .where(Rsvp.redraw_at <= bindparam("now")).order_by(Rsvp.redraw_at, Rsvp.id).limit(bindparam("limit")))


async def claim_redraws(session: AsyncSession, *, now: datetime, lease: datetime, limit: int) -> list[Redraw]:
    """Claims up to `limit` messages due for a redraw until `lease` (a claim of a process that died runs out,
    and the next pass takes the row back). Rows of members the bot can no longer reach are let go."""
    claimed: list[Redraw] = []
    while len(claimed) < limit:
        rows = (await session.execute(_DUE, {"now": now, "limit": limit - len(claimed)})).all()
        for row in rows:
            reachable = row.message_id is not None and row.reachable
            result = await session.execute(
                update(Rsvp).where(Rsvp.id == row.id, Rsvp.redraw_at == row.redraw_at)
                .values(redraw_at=lease if reachable else None).execution_options(synchronize_session=False))
            if reachable and result.rowcount == 1:
                claimed.append(Redraw(row.id, row.event_id, row.member_id, row.telegram_id, row.language,
                                      row.message_id, row.drawn, lease))
        if not rows:
            break
    return claimed


async def redrawn(session: AsyncSession, redraw: Redraw, *, drawn: str | None, message_id: int | None) -> bool:
    """Records what the message shows now (`message_id` None: it can no longer be edited); False if the answer
    changed again meanwhile (the row stays due and is drawn again)."""
    result = await session.execute(
        update(Rsvp).where(Rsvp.id == redraw.rsvp_id, Rsvp.redraw_at == redraw.lease)
        .values(redraw_at=None, drawn=drawn if message_id is not None else None, message_id=message_id)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1
