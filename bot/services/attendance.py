"""The attendance report of an event: who was invited, who answered what, who came."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Delivery, Event, Member, OutboxMessage, Rsvp

PUBLISHED = "published"
EVENTS_SHOWN = 10
INVITATION = "invitation"
WOMAN = "woman"


@dataclass(frozen=True)
class Person:
    """The fields a report breaks counts down by; None where unknown (walk-ins have no province)."""

    gender: str | None
    stakeholder: str | None
    province: str | None


@dataclass(frozen=True)
class Tally:
    """A count of people, with its breakdowns."""

    total: int = 0
    by_gender: Counter = field(default_factory=Counter)
    by_stakeholder: Counter = field(default_factory=Counter)
    by_province: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, people: Iterable[Person]) -> Tally:
        people = list(people)
        return cls(total=len(people), by_gender=Counter(p.gender for p in people),
                   by_stakeholder=Counter(p.stakeholder for p in people),
                   by_province=Counter(p.province for p in people))

    def by(self, dimension: str) -> Counter:
        return {"gender": self.by_gender, "stakeholder": self.by_stakeholder, "province": self.by_province}[dimension]


@dataclass(frozen=True)
class Attendee:
    """One person checked in: a member (details from their profile) or a walk-in (details typed at the door)."""

    name: str
    gender: str | None
    stakeholder: str | None
    organisation: str | None
    province: str | None
    phone: str | None
    rsvp: str | None
    waitlisted: bool
    method: str
    checked_in_at: datetime


@dataclass(frozen=True)
class Report:
    event: Event
    invited: Tally
    going: Tally
    maybe: Tally
    no: Tally
    waitlisted: Tally
    checked_in: Tally
    # Checked-in members who had answered Going: the numerator of the show-up rate.
    showed_up: Tally
    walkins: int
    attendees: list[Attendee]

    @property
    def women(self) -> int:
        return self.checked_in.by_gender[WOMAN]

    @staticmethod
    def rate(showed_up: int, going: int) -> float | None:
        """Share of those who said Going who came; None when no one said Going."""
        return showed_up / going if going else None

    @property
    def show_up_rate(self) -> float | None:
        return self.rate(self.showed_up.total, self.going.total)


async def events_for_report(session: AsyncSession) -> list[Event]:
    """Published events, latest first."""
    result = await session.scalars(
        select(Event).where(Event.status == PUBLISHED).order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(EVENTS_SHOWN))
    return list(result)


def _person(member: Member | None) -> Person:
    if member is None:
        return Person(None, None, None)
    return Person(member.gender, member.stakeholder, member.province)


async def _invited(session: AsyncSession, event_id: int) -> Tally:
    rows = await session.execute(
        select(OutboxMessage.chat_id, Member)
        .join(Delivery, Delivery.id == OutboxMessage.delivery_id)
        .outerjoin(Member, Member.id == OutboxMessage.member_id)
        .where(Delivery.kind == INVITATION, Delivery.ref_id == event_id))
    # An event invited in several rounds counts each recipient once.
    people = {chat_id: _person(member) for chat_id, member in rows}
    return Tally.of(people.values())


async def report(session: AsyncSession, event_id: int) -> Report | None:
    """Counts and the attendee list of a published event; None if there is no such event."""
    event = await session.get(Event, event_id)
    if event is None or event.status != PUBLISHED:
        return None
    answers = list(await session.execute(
        select(Rsvp, Member).join(Member, Member.id == Rsvp.member_id).where(Rsvp.event_id == event_id)))
    rsvp_of = {rsvp.member_id: rsvp for rsvp, _member in answers}
    checks = list(await session.execute(
        select(CheckIn, Member).outerjoin(Member, Member.id == CheckIn.member_id).where(CheckIn.event_id == event_id)
        .order_by(CheckIn.checked_in_at, CheckIn.id)))
    people = [_walkin_person(check) if check.method == "walkin" else _person(member) for check, member in checks]
    going_ids = {rsvp.member_id for rsvp, _m in answers if rsvp.answer == "going" and not rsvp.waitlisted}
    return Report(
        event=event,
        invited=await _invited(session, event_id),
        going=Tally.of(_person(m) for r, m in answers if r.member_id in going_ids),
        maybe=Tally.of(_person(m) for r, m in answers if r.answer == "maybe"),
        no=Tally.of(_person(m) for r, m in answers if r.answer == "no"),
        waitlisted=Tally.of(_person(m) for r, m in answers if r.waitlisted and r.answer == "going"),
        checked_in=Tally.of(people),
        showed_up=Tally.of(_person(m) for check, m in checks if check.member_id in going_ids),
        walkins=sum(1 for check, _m in checks if check.method == "walkin"),
        attendees=[_attendee(check, member, rsvp_of.get(check.member_id)) for check, member in checks],
    )


def _walkin_person(check: CheckIn) -> Person:
    return Person(check.gender, check.stakeholder, None)


def _attendee(check: CheckIn, member: Member | None, rsvp: Rsvp | None) -> Attendee:
    if check.method == "walkin" or member is None:
        return Attendee(name=check.name or "", gender=check.gender, stakeholder=check.stakeholder,
                        organisation=check.organisation, province=None, phone=None, rsvp=None, waitlisted=False,
                        method=check.method, checked_in_at=check.checked_in_at)
    return Attendee(name=member.name or "", gender=member.gender, stakeholder=member.stakeholder,
                    organisation=member.organisation, province=member.province, phone=member.phone,
                    rsvp=rsvp.answer if rsvp else None, waitlisted=bool(rsvp and rsvp.waitlisted),
                    method=check.method, checked_in_at=check.checked_in_at)
