"""Working groups: creating them, members' interest, coordinators' decisions, invite links and the funnel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, Integer, Select, String, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Delivery, Event, GroupInterest, Member, OutboxMessage, Rsvp, WorkingGroup
from bot.services import coordinators, outbox
from bot.text import clean_line
from bot.vocab import GENDERS, STAKEHOLDERS

NAME_MAX = 100
DESCRIPTION_MAX = 1000
REASON_MAX = 500
PAPER_NAME_MAX = 100
ORGANISATION_MAX = 200
VOICE_MAX_SECONDS = 120
VOICE_MAX_BYTES = 5 * 1024 * 1024
# A member's invite link lasts a week; one about to expire is replaced rather than handed out again.
INVITE_LIFETIME = timedelta(days=7)
INVITE_MARGIN = timedelta(hours=1)
PAGE_SIZE = 8
# Members' requests to join are gathered for a few minutes into one notice to the group's coordinators; a notice
# about to go out is left alone (the outbox may be sending it) and later requests start the next one.
NOTICE_DELAY = timedelta(minutes=10)
NOTICE_MARGIN = timedelta(minutes=1)
NOTICE_KIND = "group_requests"
DECISION_KIND = "group_decision"

OPEN, CLOSED = "open", "closed"
INTERESTED, APPROVED, DECLINED, WITHDRAWN = "interested", "approved", "declined", "withdrawn"


class InvalidInput(ValueError):
    """Typed or sent input that does not fit; `reason` says why as a short code, `limit` the bound broken."""

    def __init__(self, reason: str, limit: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


# ---------------------------------------------------------------- cleaning input


def clean_text(value: str | None, limit: int) -> str:
    """Typed text with invisible characters dropped and line breaks kept; raises InvalidInput if empty or too long."""
    lines = [clean_line(line) for line in (value or "").replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if not text:
        raise InvalidInput("empty")
    if len(text) > limit:
        raise InvalidInput("too_long", limit)
    return text


def clean_single_line(value: str | None, limit: int) -> str:
    """One line of typed text (a name); raises InvalidInput if empty or too long."""
    text = clean_line(value or "")
    if not text:
        raise InvalidInput("empty")
    if len(text) > limit:
        raise InvalidInput("too_long", limit)
    return text


def check_voice(seconds: int | None, size: int | None) -> int:
    """Accepts a voice note of at most two minutes and 5 MB; returns its length in seconds."""
    if seconds is not None and seconds > VOICE_MAX_SECONDS:
        raise InvalidInput("voice_too_long", VOICE_MAX_SECONDS)
    if size is not None and size > VOICE_MAX_BYTES:
        raise InvalidInput("voice_too_big", VOICE_MAX_BYTES)
    return int(seconds or 0)


def both_languages(english: str | None, khmer: str | None) -> tuple[str, str]:
    """A text given in one language only is used for both."""
    english, khmer = english or "", khmer or ""
    return english or khmer, khmer or english


# ---------------------------------------------------------------- groups


def name(group: WorkingGroup, language: str) -> str:
    return (group.name_km if language == "km" else group.name_en) or group.name_en or group.name_km


def description(group: WorkingGroup, language: str) -> str:
    return (group.description_km if language == "km" else group.description_en) or group.description_en or ""


async def create(session: AsyncSession, *, name_en: str, name_km: str, description_en: str = "",
                 description_km: str = "", created_by: int, now: datetime) -> WorkingGroup:
    """Creates an open working group; a name or description given in one language serves both."""
    name_en, name_km = both_languages(name_en, name_km)
    if not name_en:
        raise InvalidInput("empty")
    description_en, description_km = both_languages(description_en, description_km)
    group = WorkingGroup(name_en=name_en, name_km=name_km, description_en=description_en,
                         description_km=description_km, status=OPEN, created_by=created_by,
                         created_at=now, updated_at=now)
    session.add(group)
    await session.flush()
    return group


async def get(session: AsyncSession, group_id: int) -> WorkingGroup | None:
    return await session.get(WorkingGroup, group_id)


async def rename(session: AsyncSession, group: WorkingGroup, *, name_en: str, name_km: str, now: datetime) -> None:
    group.name_en, group.name_km = both_languages(name_en, name_km)
    group.updated_at = now


async def describe(session: AsyncSession, group: WorkingGroup, *, description_en: str, description_km: str,
                   now: datetime) -> None:
    group.description_en, group.description_km = both_languages(description_en, description_km)
    group.updated_at = now


async def set_open(session: AsyncSession, group: WorkingGroup, is_open: bool, now: datetime) -> None:
    """Closes a group to new interest (members stop seeing it), or opens it again."""
    group.status = OPEN if is_open else CLOSED
    group.closed_at = None if is_open else now
    group.updated_at = now


async def listed(session: AsyncSession, *, include_closed: bool) -> list[WorkingGroup]:
    query = select(WorkingGroup).order_by(WorkingGroup.status.desc(), WorkingGroup.name_en, WorkingGroup.id)
    if not include_closed:
        query = query.where(WorkingGroup.status == OPEN)
    return list(await session.scalars(query))


class LinkOutcome(StrEnum):
    LINKED = "linked"
    TAKEN = "taken"  # the chat already serves another group
    MISSING = "missing"


async def link_chat(session: AsyncSession, group_id: int, chat_id: int, title: str, now: datetime) -> LinkOutcome:
    """Makes a Telegram group chat the working group's chat (one chat per group, one group per chat)."""
    group = await session.get(WorkingGroup, group_id)
    if group is None:
        return LinkOutcome.MISSING
    other = await session.scalar(select(WorkingGroup).where(WorkingGroup.chat_id == chat_id))
    if other is not None and other.id != group.id:
        return LinkOutcome.TAKEN
    group.chat_id = chat_id
    group.chat_title = clean_line(title)[:200] or None
    group.updated_at = now
    await session.flush()
    return LinkOutcome.LINKED


async def unlink_chat(session: AsyncSession, chat_id: int, now: datetime) -> WorkingGroup | None:
    """Forgets a chat the bot was removed from (invite links to it could no longer be made)."""
    group = await session.scalar(select(WorkingGroup).where(WorkingGroup.chat_id == chat_id))
    if group is not None:
        group.chat_id = None
        group.chat_title = None
        group.updated_at = now
    return group


async def group_of_chat(session: AsyncSession, chat_id: int) -> WorkingGroup | None:
    return await session.scalar(select(WorkingGroup).where(WorkingGroup.chat_id == chat_id))


# ---------------------------------------------------------------- interest


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


def _people(group_id: int) -> Select:
    return (select(GroupInterest, Member).outerjoin(Member, Member.id == GroupInterest.member_id)
            .where(GroupInterest.group_id == group_id, GroupInterest.status != WITHDRAWN))


async def people(session: AsyncSession, group_id: int, *, page: int = 0) -> tuple[list[Person], int, int]:
    """One page of the people interested in a group, oldest first; also how many there are and the page shown
    (a page past the end shows the last one)."""
    total = await session.scalar(select(func.count()).select_from(GroupInterest).where(
        GroupInterest.group_id == group_id, GroupInterest.status != WITHDRAWN)) or 0
    page = min(max(page, 0), max(0, (total - 1) // PAGE_SIZE))
    rows = await session.execute(_people(group_id).order_by(GroupInterest.created_at, GroupInterest.id)
                                 .offset(page * PAGE_SIZE).limit(PAGE_SIZE))
    return [Person(i, m) for i, m in rows.all()], total, page


async def person(session: AsyncSession, group_id: int, interest_id: int) -> Person | None:
    """One interest row of this group (None for another group's or a withdrawn one)."""
    row = (await session.execute(_people(group_id).where(GroupInterest.id == interest_id))).first()
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


# ---------------------------------------------------------------- invite links


class InviteState(StrEnum):
    READY = "ready"  # a stored, unexpired link: hand it out again
    NEEDED = "needed"  # make a new single-use link
    IN_CHAT = "in_chat"
    NO_CHAT = "no_chat"
    NOT_APPROVED = "not_approved"


@dataclass(frozen=True)
class InviteCheck:
    state: InviteState
    group: WorkingGroup | None = None
    interest: GroupInterest | None = None


async def invite_check(session: AsyncSession, *, group_id: int, member_id: int, now: datetime) -> InviteCheck:
    """Whether an approved member gets their stored invite link, a new one, or none."""
    group = await session.get(WorkingGroup, group_id)
    interest = await interest_of(session, group_id, member_id)
    if group is None or interest is None or interest.status != APPROVED:
        return InviteCheck(InviteState.NOT_APPROVED, group, interest)
    if group.chat_id is None:
        return InviteCheck(InviteState.NO_CHAT, group, interest)
    if interest.in_chat:
        return InviteCheck(InviteState.IN_CHAT, group, interest)
    if interest.invite_link and interest.invite_expires_at and interest.invite_expires_at > now + INVITE_MARGIN:
        return InviteCheck(InviteState.READY, group, interest)
    return InviteCheck(InviteState.NEEDED, group, interest)


def invite_name(member_id: int) -> str:
    """The invite link's name, shown to the chat's admins: whose link it is (Telegram allows 32 characters)."""
    return f"Sahakor member {member_id}"[:32]


async def store_invite(session: AsyncSession, *, interest_id: int, link: str, expires_at: datetime,
                       now: datetime) -> None:
    await session.execute(update(GroupInterest).where(GroupInterest.id == interest_id)
                          .values(invite_link=link, invite_expires_at=expires_at, updated_at=now))


@dataclass(frozen=True)
class Membership:
    """What a join or a leave changed: the approved member's interest, and invite links to revoke."""

    interest: GroupInterest | None
    chat_id: int
    # Links that let someone in, or that the member who left had not used: each must stop working.
    revoke: tuple[str, ...]


async def chat_membership(session: AsyncSession, *, chat_id: int, telegram_id: int, present: bool,
                          used_link: str | None, now: datetime) -> Membership | None:
    """Records someone joining (or leaving) a working group's chat: an approved member's presence, and the bot's
    invite links that must stop working (Telegram's single use counts only people still in the chat).

    A member's used link stays stored until it is revoked (`forget_invite`), so a revoke that failed is retried.
    """
    group = await group_of_chat(session, chat_id)
    if group is None:
        return None
    interest = await session.scalar(
        select(GroupInterest).join(Member, Member.id == GroupInterest.member_id)
        .where(GroupInterest.group_id == group.id, Member.telegram_id == telegram_id,
               GroupInterest.status == APPROVED))
    revoke: list[str] = []
    if used_link:
        revoke.append(used_link)
        # Someone else's link (passed on): its owner gets a fresh one when they ask.
        owners = update(GroupInterest).where(GroupInterest.group_id == group.id, GroupInterest.invite_link == used_link)
        if interest is not None:
            owners = owners.where(GroupInterest.id != interest.id)
        await session.execute(owners.values(invite_link=None, invite_expires_at=None, updated_at=now)
                              .execution_options(synchronize_session=False))
    if interest is not None:
        interest.in_chat = present
        if present:
            interest.joined_at = interest.joined_at or now
        if interest.invite_link:
            revoke.append(interest.invite_link)
            if not present:
                interest.invite_link = interest.invite_expires_at = None
        interest.updated_at = now
    elif not revoke:
        return None
    return Membership(interest, chat_id, tuple(dict.fromkeys(revoke)))


async def forget_invite(session: AsyncSession, *, chat_id: int, link: str, now: datetime) -> None:
    """Forgets a link once Telegram revoked it."""
    group = await group_of_chat(session, chat_id)
    if group is not None:
        await session.execute(update(GroupInterest).where(GroupInterest.group_id == group.id,
                                                          GroupInterest.invite_link == link)
                              .values(invite_link=None, invite_expires_at=None, updated_at=now)
                              .execution_options(synchronize_session=False))


async def used_invites(session: AsyncSession) -> list[tuple[int, str]]:
    """(chat id, link) of the links of members now in their group's chat that are still to be revoked."""
    rows = await session.execute(
        select(WorkingGroup.chat_id, GroupInterest.invite_link)
        .join(WorkingGroup, WorkingGroup.id == GroupInterest.group_id)
        .where(GroupInterest.in_chat.is_(True), GroupInterest.invite_link.is_not(None),
               WorkingGroup.chat_id.is_not(None)))
    return [(chat_id, link) for chat_id, link in rows.all()]


# ---------------------------------------------------------------- reaching members


def approved_recipients(group_id: int) -> Select:
    """(chat id, member id, language) of the group's approved members who can be reached."""
    return (select(Member.telegram_id, Member.id, Member.language)
            .join(GroupInterest, GroupInterest.member_id == Member.id)
            .where(GroupInterest.group_id == group_id, GroupInterest.status == APPROVED,
                   Member.registered_at.is_not(None), Member.reachable.is_(True)))


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


async def recent_events(session: AsyncSession, *, limit: int = 8) -> list[Event]:
    """Events a coordinator may pick (newest first; cancelled ones left out)."""
    return list(await session.scalars(select(Event).where(Event.status != "cancelled")
                                      .order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit)))


# ---------------------------------------------------------------- funnel


@dataclass(frozen=True)
class Stage:
    """How many people reached one step, by gender and by stakeholder type."""

    total: int
    by_gender: Counter
    by_stakeholder: Counter

    @property
    def women(self) -> int:
        return self.by_gender["woman"]


@dataclass(frozen=True)
class Funnel:
    interested: Stage
    approved: Stage
    joined: Stage


def _stage(people: list[Person]) -> Stage:
    return Stage(total=len(people), by_gender=Counter(p.gender or "undisclosed" for p in people),
                 by_stakeholder=Counter(p.stakeholder or "other" for p in people))


async def funnel(session: AsyncSession, group_id: int) -> Funnel:
    """Expressed interest → approved → in the chat now, each by gender and stakeholder type (withdrawals left out)."""
    rows = await session.execute(_people(group_id))
    everyone = [Person(i, m) for i, m in rows.all()]
    approved = [p for p in everyone if p.interest.status == APPROVED]
    joined = [p for p in approved if p.interest.in_chat]
    return Funnel(_stage(everyone), _stage(approved), _stage(joined))


async def interest_counts(session: AsyncSession) -> dict[int, int]:
    """People interested (not withdrawn) per group, for the coordinator's list."""
    rows = await session.execute(select(GroupInterest.group_id, func.count()).where(
        GroupInterest.status != WITHDRAWN).group_by(GroupInterest.group_id))
    return dict(rows.all())


# ---------------------------------------------------------------- telling coordinators of new requests


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
