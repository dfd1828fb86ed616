"""Members' interest in a group (and paper sign-ups), the people list coordinators page through, and decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Delivery, Event, GroupInterest, Member, OutboxMessage, WorkingGroup
from bot.services import outbox
from bot.services.groups.reach import attended, member_recipient, queue
from bot.services.groups.rules import (
    APPROVED,
    DECISION_KIND,
    DECLINED,
    INTERESTED,
    InvalidInput,
    OPEN,
    ORGANISATION_MAX,
    PAGE_SIZE,
    PAPER_NAME_MAX,
    REASON_MAX,
    WITHDRAWN,
    clean_single_line,
    clean_text,
)
from bot.vocab import GENDERS, STAKEHOLDERS


class Expressed(StrEnum):
    NEW = "new"
    ALREADY = "already"  # interested or approved before
    DECLINED = "declined"
    CLOSED = "closed"  # no such open group


async def interest_of(session: AsyncSession, group_id: int, member_id: int) -> GroupInterest | None:
    return await session.scalar(select(GroupInterest).where(GroupInterest.group_id == group_id,
                                                            GroupInterest.member_id == member_id))


async def statuses_of(session: AsyncSession, member_id: int) -> dict[int, str]:
    """The member's standing in each group they showed interest in."""
    rows = await session.execute(select(GroupInterest.group_id, GroupInterest.status)
                                 .where(GroupInterest.member_id == member_id))
    return dict(rows.all())


async def express(session: AsyncSession, *, group_id: int, member: Member, event_id: int | None = None,
                  now: datetime) -> tuple[Expressed, GroupInterest | None]:
    """Records a member's interest in an open group (again, after they withdrew); it counts as coming from an event
    only if the member attended it."""
    group = await session.get(WorkingGroup, group_id)
    if group is None or group.status != OPEN:
        return Expressed.CLOSED, None
    if event_id is not None and (await session.get(Event, event_id) is None
                                 or not await attended(session, event_id, member.id)):
        event_id = None
    interest = await interest_of(session, group_id, member.id)
    if interest is not None:
        if interest.status == DECLINED:
            return Expressed.DECLINED, interest
        if interest.status != WITHDRAWN:
            return Expressed.ALREADY, interest
        interest.status = INTERESTED
        interest.reason_text = interest.reason_voice_file_id = interest.reason_voice_seconds = None
        interest.decided_by = interest.decided_at = None
        interest.created_at = interest.updated_at = now
        if event_id is not None:
            interest.source, interest.event_id = "event", event_id
        return Expressed.NEW, interest
    interest = GroupInterest(group_id=group_id, member_id=member.id, source="event" if event_id else "bot",
                             event_id=event_id, status=INTERESTED, in_chat=False, created_at=now, updated_at=now)
    session.add(interest)
    await session.flush()
    return Expressed.NEW, interest


async def give_reason(session: AsyncSession, *, group_id: int, member_id: int, text: str | None = None,
                      voice_file_id: str | None = None, voice_seconds: int | None = None,
                      now: datetime) -> GroupInterest | None:
    """Adds the member's reason (typed, or a voice note) to their interest; None if there is no interest to add it to."""
    interest = await interest_of(session, group_id, member_id)
    if interest is None or interest.status not in (INTERESTED, APPROVED):
        return None
    if voice_file_id:
        interest.reason_voice_file_id, interest.reason_voice_seconds = voice_file_id, voice_seconds
        interest.reason_text = None
    else:
        interest.reason_text = clean_text(text, REASON_MAX)
        interest.reason_voice_file_id = interest.reason_voice_seconds = None
    interest.updated_at = now
    return interest


@dataclass(frozen=True)
class Withdrawal:
    interest: GroupInterest
    # An unused invite link to revoke, so it can't be passed on.
    revoke_link: str | None
    chat_id: int | None


async def withdraw(session: AsyncSession, *, group_id: int, member_id: int, now: datetime) -> Withdrawal | None:
    """Withdraws a member's interest (or membership); None if there was nothing to withdraw."""
    interest = await interest_of(session, group_id, member_id)
    if interest is None or interest.status not in (INTERESTED, APPROVED):
        return None
    group = await session.get(WorkingGroup, group_id)
    link = interest.invite_link
    interest.status = WITHDRAWN
    interest.invite_link = interest.invite_expires_at = None
    interest.updated_at = now
    return Withdrawal(interest, link, group.chat_id if group else None)


async def add_paper(session: AsyncSession, *, group_id: int, name: str, gender: str | None, stakeholder: str | None,
                    organisation: str | None, now: datetime) -> GroupInterest:
    """Adds someone who signed up on paper (no Telegram): counted in the funnel like anyone else."""
    if gender not in GENDERS or stakeholder not in STAKEHOLDERS:
        raise InvalidInput("choice")
    interest = GroupInterest(
        group_id=group_id, member_id=None, source="paper", name=clean_single_line(name, PAPER_NAME_MAX),
        gender=gender, stakeholder=stakeholder,
        organisation=clean_single_line(organisation, ORGANISATION_MAX) if organisation else None,
        status=INTERESTED, in_chat=False, created_at=now, updated_at=now)
    session.add(interest)
    await session.flush()
    return interest


@dataclass(frozen=True)
class Person:
    """One row of a group's interest list: the interest and, for a member, their profile."""

    interest: GroupInterest
    member: Member | None

    @property
    def name(self) -> str:
        return (self.member.name if self.member else self.interest.name) or ""

    @property
    def gender(self) -> str | None:
        return self.member.gender if self.member else self.interest.gender

    @property
    def stakeholder(self) -> str | None:
        return self.member.stakeholder if self.member else self.interest.stakeholder

    @property
    def organisation(self) -> str | None:
        return self.member.organisation if self.member else self.interest.organisation


def people_query(group_id: int) -> Select:
    """Everyone interested in the group who has not withdrawn, with their member row (None for paper sign-ups)."""
    return (select(GroupInterest, Member).outerjoin(Member, Member.id == GroupInterest.member_id)
            .where(GroupInterest.group_id == group_id, GroupInterest.status != WITHDRAWN))


async def people(session: AsyncSession, group_id: int, *, page: int = 0) -> tuple[list[Person], int, int]:
    """One page of the people interested in a group, oldest first; also how many there are and the page shown
    (a page past the end shows the last one)."""
    total = await session.scalar(select(func.count()).select_from(GroupInterest).where(
        GroupInterest.group_id == group_id, GroupInterest.status != WITHDRAWN)) or 0
    page = min(max(page, 0), max(0, (total - 1) // PAGE_SIZE))
    rows = await session.execute(people_query(group_id).order_by(GroupInterest.created_at, GroupInterest.id)
                                 .offset(page * PAGE_SIZE).limit(PAGE_SIZE))
    return [Person(i, m) for i, m in rows.all()], total, page


async def person(session: AsyncSession, group_id: int, interest_id: int) -> Person | None:
    """One interest row of this group (None for another group's or a withdrawn one)."""
    row = (await session.execute(people_query(group_id).where(GroupInterest.id == interest_id))).first()
    return Person(*row) if row else None


class Decided(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    MISSING = "missing"
    TOLD = "told"  # the member already received the earlier decision: it stands


@dataclass(frozen=True)
class Decision:
    outcome: Decided
    person: Person | None = None
    revoke_link: str | None = None


def _decision_messages(group_id: int, interest: GroupInterest) -> Select:
    """The outbox rows telling this member a decision about this request (since they last asked to join)."""
    return (select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.delivery_id)
            .join(Delivery, Delivery.id == OutboxMessage.delivery_id)
            .where(Delivery.kind == DECISION_KIND, Delivery.ref_id == group_id,
                   OutboxMessage.member_id == interest.member_id, Delivery.created_at >= interest.created_at))


async def _take_back_decision(session: AsyncSession, group_id: int, interest: GroupInterest, now: datetime) -> bool:
    """Cancels the member's decision message if it has not gone out; False if it has (or is going out now)."""
    if interest.member_id is None:
        return True
    # Locked, so the outbox (which skips locked rows) can't start sending one while it is cancelled.
    rows = (await session.execute(_decision_messages(group_id, interest).with_for_update(of=OutboxMessage))).all()
    if any(status in (outbox.SENDING, outbox.SENT) for _id, status, _delivery in rows):
        return False
    for delivery_id in {delivery for _id, status, delivery in rows if status == outbox.PENDING}:
        await outbox.cancel(session, delivery_id, now)
    return True


async def told(session: AsyncSession, group_id: int, interest_ids: list[int]) -> set[int]:
    """Those of these interests whose decision has reached the member (or is on its way): it can't be changed."""
    if not interest_ids:
        return set()
    query = (select(GroupInterest.id).distinct()
             .join(OutboxMessage, OutboxMessage.member_id == GroupInterest.member_id)
             .join(Delivery, Delivery.id == OutboxMessage.delivery_id)
             .where(GroupInterest.id.in_(interest_ids), GroupInterest.status.in_((APPROVED, DECLINED)),
                    Delivery.kind == DECISION_KIND, Delivery.ref_id == group_id,
                    Delivery.created_at >= GroupInterest.created_at,
                    OutboxMessage.status.in_((outbox.SENDING, outbox.SENT))))
    return set(await session.scalars(query))


async def decide(session: AsyncSession, *, group_id: int, interest_id: int, approve: bool, by: int,
                 now: datetime) -> Decision:
    """Approves or declines someone's interest in this group; a change of mind is allowed only until the member has
    been told (the untold decision is then never sent), and a withdrawal is final."""
    found = await person(session, group_id, interest_id)
    if found is None:
        return Decision(Decided.MISSING)
    wanted = APPROVED if approve else DECLINED
    interest = found.interest
    if interest.status == wanted:
        return Decision(Decided.UNCHANGED, found)
    if interest.status in (APPROVED, DECLINED) and not await _take_back_decision(session, group_id, interest, now):
        return Decision(Decided.TOLD, found)
    # A conditional update, so two coordinators deciding at once don't both notify the member.
    result = await session.execute(
        update(GroupInterest).where(GroupInterest.id == interest.id, GroupInterest.status == interest.status)
        .values(status=wanted, decided_by=by, decided_at=now, updated_at=now,
                invite_link=None if not approve else GroupInterest.invite_link,
                invite_expires_at=None if not approve else GroupInterest.invite_expires_at)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return Decision(Decided.UNCHANGED, found)
    revoke = interest.invite_link if not approve else None
    await session.refresh(interest)
    return Decision(Decided.CHANGED, found, revoke)


async def tell_decision(session: AsyncSession, decision: Decision, group_id: int, *, content: dict[str, dict], by: int,
                        now: datetime) -> None:
    """Queues the message telling a member the decision on their request (a paper sign-up is told nothing)."""
    if decision.person.member is not None:
        await queue(session, member_recipient(decision.person.member.id), kind=DECISION_KIND, content=content,
                    ref_id=group_id, by=by, now=now)
