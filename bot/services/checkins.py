"""Check-in at the venue: by the event's QR code, by a coordinator, or as a walk-in without Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import forms
from bot.models import CheckIn, Event, Member
from bot.services import members
from bot.text import normalize_digits
from bot.vocab import GENDERS, STAKEHOLDERS

PUBLISHED = "published"
# Coordinators may still record people (from a paper sign-in sheet, say) for a few days after the end.
RECORDING_GRACE = timedelta(days=3)
EVENTS_SHOWN = 10
RESULTS_SHOWN = 10
QUERY_MAX = 100
TOKEN_PREFIX = "ci_"


class Outcome(StrEnum):
    """What became of an attempt to check someone in."""

    CHECKED_IN = "checked_in"
    # The window is open, nothing recorded yet (a coordinator may go on to search or add a walk-in).
    OPEN = "open"
    ALREADY = "already"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    INVALID = "invalid"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    event: Event | None = None
    opens_at: datetime | None = None


def opens_at(event: Event) -> datetime:
    return event.starts_at - timedelta(minutes=event.checkin_opens_minutes or 0)


def window_outcome(event: Event, now: datetime, *, closes_at: datetime) -> Outcome | None:
    """NOT_OPEN or CLOSED when `now` is outside the check-in window; None inside it."""
    if now < opens_at(event):
        return Outcome.NOT_OPEN
    if now > closes_at:
        return Outcome.CLOSED
    return None


def recording_closes_at(event: Event) -> datetime:
    return event.ends_at + RECORDING_GRACE


async def events_open_to_coordinators(session: AsyncSession, now: datetime) -> list[Event]:
    """Published events that have not ended (or ended in the last few days), soonest first."""
    result = await session.scalars(
        select(Event).where(Event.status == PUBLISHED, Event.ends_at >= now - RECORDING_GRACE)
        .order_by(Event.starts_at, Event.id).limit(EVENTS_SHOWN))
    return list(result)


async def coordinator_event(session: AsyncSession, event_id: int, now: datetime) -> Event | None:
    """The event if coordinators may work on its check-in now (published, not long over); else None."""
    event = await session.get(Event, event_id)
    if event is None or event.status != PUBLISHED or now > recording_closes_at(event):
        return None
    return event


async def count(session: AsyncSession, event_id: int) -> int:
    """Everyone checked in to the event: members and walk-ins."""
    return await session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event_id))


async def _record_member(session: AsyncSession, event: Event, member_id: int, *, method: str, by: int | None,
                         now: datetime) -> Outcome:
    # ON CONFLICT DO NOTHING: two scans racing (or a double tap) leave one row, and neither fails.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CheckIn).values(
        event_id=event.id, member_id=member_id, method=method, checked_in_by=by, checked_in_at=now,
    ).on_conflict_do_nothing(index_elements=[CheckIn.event_id, CheckIn.member_id])
    result = await session.execute(statement)
    return Outcome.CHECKED_IN if result.rowcount == 1 else Outcome.ALREADY


async def check_in_by_token(session: AsyncSession, payload: str, *, member_id: int, now: datetime) -> Result:
    """Checks a member in from the event's QR link, inside the window from opening until the event ends."""
    token = payload.removeprefix(TOKEN_PREFIX)
    event = await session.scalar(select(Event).where(Event.checkin_token == token))
    if event is None or event.status != PUBLISHED:
        return Result(Outcome.INVALID)
    refused = window_outcome(event, now, closes_at=event.ends_at)
    if refused is not None:
        return Result(refused, event, opens_at(event))
    return Result(await _record_member(session, event, member_id, method="qr", by=None, now=now), event)


async def check_in_by_coordinator(session: AsyncSession, event_id: int, member_id: int, *, by: int,
                                  now: datetime) -> tuple[Result, Member | None]:
    """Checks in a registered member a coordinator picked from the search results."""
    event = await coordinator_event(session, event_id, now)
    member = await session.get(Member, member_id)
    if event is None or member is None or member.registered_at is None:
        return Result(Outcome.INVALID), None
    refused = window_outcome(event, now, closes_at=recording_closes_at(event))
    if refused is not None:
        return Result(refused, event, opens_at(event)), member
    return Result(await _record_member(session, event, member.id, method="manual", by=by, now=now), event), member


async def coordinator_window(session: AsyncSession, event_id: int, now: datetime) -> Result:
    """Whether coordinators may record people at the event right now (before searching or adding a walk-in)."""
    event = await coordinator_event(session, event_id, now)
    if event is None:
        return Result(Outcome.INVALID)
    refused = window_outcome(event, now, closes_at=recording_closes_at(event))
    if refused is not None:
        return Result(refused, event, opens_at(event))
    return Result(Outcome.OPEN, event)


@dataclass(frozen=True)
class Walkin:
    """A walk-in's details as typed and chosen by the coordinator."""

    name: str
    gender: str
    stakeholder: str
    organisation: str | None


def clean_walkin_name(name: str | None) -> str:
    """A walk-in's typed name, as a member's name is checked; raises forms.Invalid if it does not fit."""
    return forms.clean_text(name, members.NAME_MAX, multiline=False)


def clean_walkin(name: str, gender: str, stakeholder: str, organisation: str | None) -> Walkin:
    """Validates a walk-in's details; raises forms.Invalid (the reason, and the limit broken) if one does not fit."""
    if gender not in GENDERS or stakeholder not in STAKEHOLDERS:
        raise forms.Invalid("choice")
    return Walkin(clean_walkin_name(name), gender, stakeholder, None if organisation is None else
                  forms.clean_text(organisation, members.ORGANISATION_MAX, multiline=False))


async def add_walkin(session: AsyncSession, event_id: int, walkin: Walkin, *, by: int, now: datetime) -> Result:
    """Records someone in the room who has no Telegram, so the count matches the room."""
    window = await coordinator_window(session, event_id, now)
    if window.outcome != Outcome.OPEN:
        return window
    session.add(CheckIn(event_id=event_id, member_id=None, method="walkin", name=walkin.name, gender=walkin.gender,
                        stakeholder=walkin.stakeholder, organisation=walkin.organisation, checked_in_by=by,
                        checked_in_at=now))
    await session.flush()
    return Result(Outcome.CHECKED_IN, window.event)


def _phone_fragments(query: str) -> list[str]:
    """The digits to look for in phone numbers, if the query looks like (part of) one."""
    raw = normalize_digits(query)
    if any(ch not in "0123456789+-(). " for ch in raw):
        return []
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) < 3:
        return []
    # Numbers shared from Telegram are international (+855 12 ...); people type the local 012 ...
    return [digits, digits[1:]] if digits.startswith("0") and len(digits) > 3 else [digits]


def clean_query(query: str) -> str:
    """The typed search, tidied; raises forms.Invalid if it is empty or too long."""
    return forms.clean_text(query, QUERY_MAX, multiline=False)


@dataclass(frozen=True)
class Match:
    member: Member
    checked_in: bool


async def search(session: AsyncSession, event_id: int, query: str) -> tuple[list[Match], bool]:
    """Registered members whose name or phone contains the query; (first matches, whether there are more)."""
    text = clean_query(query)
    conditions = [func.lower(Member.name).contains(text.lower(), autoescape=True)]
    conditions += [Member.phone.contains(fragment, autoescape=True) for fragment in _phone_fragments(text)]
    found = list(await session.scalars(
        select(Member).where(Member.registered_at.is_not(None), or_(*conditions))
        .order_by(Member.name, Member.id).limit(RESULTS_SHOWN + 1)))
    shown = found[:RESULTS_SHOWN]
    checked = set(await session.scalars(
        select(CheckIn.member_id).where(CheckIn.event_id == event_id, CheckIn.member_id.in_([m.id for m in shown]))))
    return [Match(m, m.id in checked) for m in shown], len(found) > RESULTS_SHOWN
