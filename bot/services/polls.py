"""Quick polls: a question sent as a native Telegram poll, one message per member in their language,
through the outbox; answers arrive as poll_answer updates and are counted across all the messages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import forms
from bot.i18n import LANGUAGES
from bot.models import Member, Poll, PollMessage, PollVote
from bot.services import outbox
from bot.services.audience import Audience

OPEN, CLOSED = "open", "closed"
KIND = "poll"
# Telegram's limits for a poll.
QUESTION_MAX = 300
OPTION_MAX = 100
OPTIONS_MIN, OPTIONS_MAX = 2, 12


def clean_question(text: str | None) -> dict[str, str]:
    """'English', or 'English' then 'Khmer' on the next line; each 1–300 characters. Raises forms.Invalid."""
    return forms.clean_lines_pair(text, QUESTION_MAX)


def clean_options(text: str | None) -> list[dict[str, str]]:
    """One option a line, 'English | Khmer' (the Khmer part optional): 2–12 options of 1–100 characters, no
    repeats. Raises forms.Invalid."""
    return forms.clean_options(text, OPTION_MAX, (OPTIONS_MIN, OPTIONS_MAX))


def content(poll: Poll) -> dict[str, dict]:
    """The poll for the outbox in every language (the coordinator's own words; nothing to translate)."""
    return {language: {"poll": {"question": poll.question_km if language == "km" else poll.question_en,
                                "options": [o[language] for o in poll.options]}}
            for language in LANGUAGES}


async def create(session: AsyncSession, *, question: dict[str, str], options: list[dict[str, str]],
                 audience: Audience, created_by: int, now: datetime, status_chat_id: int | None = None,
                 status_language: str | None = None) -> Poll:
    """Stores the poll and queues one poll message per member of the audience."""
    poll = Poll(question_en=question["en"], question_km=question["km"], options=options,
                audience=audience.to_json(), status=OPEN, created_by=created_by, created_at=now)
    session.add(poll)
    await session.flush()
    delivery = await outbox.create(session, kind=KIND, content=content(poll), send_at=now, ref_id=poll.id,
                                   created_by=created_by, status_chat_id=status_chat_id,
                                   status_language=status_language, now=now)
    await outbox.add_audience(session, delivery, audience)
    poll.delivery_id = delivery.id
    return poll


@dataclass(frozen=True)
class SentPoll:
    """A poll message the delivery worker sent: where, and Telegram's id for that poll."""

    delivery_id: int
    chat_id: int
    message_id: int
    telegram_poll_id: str


async def record_sent(session: AsyncSession, sent: list[SentPoll], now: datetime) -> None:
    """Remembers which Telegram poll went to which member, so their answers can be counted."""
    for item in sent:
        poll = await session.scalar(select(Poll).where(Poll.delivery_id == item.delivery_id))
        if poll is None:
            continue
        member_id = await session.scalar(select(Member.id).where(Member.telegram_id == item.chat_id))
        row = await session.scalar(select(PollMessage).where(PollMessage.poll_id == poll.id,
                                                             PollMessage.chat_id == item.chat_id))
        if row is None:
            session.add(PollMessage(poll_id=poll.id, member_id=member_id, chat_id=item.chat_id,
                                    message_id=item.message_id, telegram_poll_id=item.telegram_poll_id, sent_at=now))
        else:
            # Sent again after a crash: the newest message is the one that counts.
            row.message_id, row.telegram_poll_id, row.sent_at = item.message_id, item.telegram_poll_id, now
    await session.flush()


class Vote(StrEnum):
    COUNTED = "counted"
    RETRACTED = "retracted"
    IGNORED = "ignored"  # an unknown poll, a poll not sent to this person, a closed poll, or bad options


async def vote(session: AsyncSession, *, telegram_poll_id: str, user_id: int, option_ids: list[int],
               now: datetime) -> Vote:
    """Counts (or takes back) a member's answer to the poll message they were sent; anything else is ignored."""
    message = await session.scalar(select(PollMessage).where(PollMessage.telegram_poll_id == telegram_poll_id))
    # A forwarded poll keeps its id: only the member it was sent to is counted.
    if message is None or message.chat_id != user_id or message.member_id is None:
        return Vote.IGNORED
    poll = await session.get(Poll, message.poll_id)
    if poll is None or poll.status != OPEN:
        return Vote.IGNORED
    if any(not isinstance(i, int) or not 0 <= i < len(poll.options) for i in option_ids):
        return Vote.IGNORED
    existing = await session.scalar(select(PollVote).where(PollVote.poll_id == poll.id,
                                                           PollVote.member_id == message.member_id))
    if not option_ids:
        if existing is not None:
            await session.delete(existing)
        return Vote.RETRACTED
    if existing is None:
        session.add(PollVote(poll_id=poll.id, member_id=message.member_id, option_ids=sorted(set(option_ids)),
                             voted_at=now))
    else:
        existing.option_ids, existing.voted_at = sorted(set(option_ids)), now
    return Vote.COUNTED


async def get(session: AsyncSession, poll_id: int) -> Poll | None:
    return await session.get(Poll, poll_id)


async def results_of(session: AsyncSession, poll_id: int) -> PollResults | None:
    """The results of a poll; None if there is no such poll."""
    poll = await get(session, poll_id)
    return await results(session, poll) if poll is not None else None


async def recent(session: AsyncSession, limit: int = 10) -> list[Poll]:
    return list(await session.scalars(select(Poll).order_by(Poll.created_at.desc(), Poll.id.desc()).limit(limit)))


async def close(session: AsyncSession, poll_id: int, now: datetime) -> Poll | None:
    """Stops counting answers and leaves nothing still to send; None if the poll was not open."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status != OPEN:
        return None
    poll.status, poll.closed_at = CLOSED, now
    if poll.delivery_id is not None:
        await outbox.cancel(session, poll.delivery_id, now)
    return poll


async def to_stop(session: AsyncSession, limit: int = 50) -> list[PollMessage]:
    """Poll messages of closed polls still open in Telegram."""
    return list(await session.scalars(
        select(PollMessage).join(Poll, Poll.id == PollMessage.poll_id)
        .where(Poll.status == CLOSED, PollMessage.stopped_at.is_(None)).order_by(PollMessage.id).limit(limit)))


async def mark_stopped(session: AsyncSession, ids: list[int], now: datetime) -> None:
    if ids:
        await session.execute(update(PollMessage).where(PollMessage.id.in_(ids)).values(stopped_at=now))


@dataclass
class PollResults:
    poll: Poll
    sent: int
    voters: int
    counts: Counter
    by_gender: dict[str, Counter] = field(default_factory=dict)
    by_stakeholder: dict[str, Counter] = field(default_factory=dict)
    voters_by_gender: Counter = field(default_factory=Counter)
    voters_by_stakeholder: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.voters / self.sent if self.sent else None


async def results(session: AsyncSession, poll: Poll) -> PollResults:
    """Votes per option over every poll message sent, and by gender and stakeholder type."""
    sent = await session.scalar(select(func.count()).select_from(PollMessage).where(PollMessage.poll_id == poll.id))
    rows = await session.execute(select(PollVote.option_ids, Member.gender, Member.stakeholder)
                                 .join(Member, Member.id == PollVote.member_id).where(PollVote.poll_id == poll.id))
    outcome = PollResults(poll, sent or 0, 0, Counter())
    for option_ids, gender, stakeholder in rows:
        outcome.voters += 1
        outcome.counts.update(option_ids)
        outcome.by_gender.setdefault(gender or "", Counter()).update(option_ids)
        outcome.by_stakeholder.setdefault(stakeholder or "", Counter()).update(option_ids)
        outcome.voters_by_gender[gender or ""] += 1
        outcome.voters_by_stakeholder[stakeholder or ""] += 1
    return outcome

