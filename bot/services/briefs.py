"""Briefs: pushing a finished brief to an audience at a chosen time, and the reactions it gets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import forms
from bot.models import Delivery, Member
from bot.models.briefs import Brief, BriefReaction
from bot.services import broadcasts
from bot.services.audience import Audience

TITLE_MAX = 150
SUMMARY_MAX = 700  # title and summary must fit Telegram's 1,024-character caption
QUESTION_MAX = 1000
ALLOWED_EXTENSIONS = (".pdf", ".docx")
MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram


# The draft kind of a brief being composed (the event report opens one with its PDF).
DRAFT_KIND = "brief"
# A brief that cannot be taken: forms.Invalid with "file_type", "file_size", "empty" or "too_long".
InvalidBrief = forms.Invalid


@dataclass
class BriefForm:
    """A brief being composed: the file, the title and summary in each language, and the audience."""

    file_id: str = ""
    file_name: str = ""
    title_en: str = ""
    title_km: str = ""
    summary_en: str = ""
    summary_km: str = ""
    audience: dict = field(default_factory=dict)

    def title(self, language: str) -> str:
        return (self.title_km if language == "km" else self.title_en) or self.title_en

    def summary(self, language: str) -> str:
        return (self.summary_km if language == "km" else self.summary_en) or self.summary_en


def form_of(brief: Brief) -> BriefForm:
    """A brief already pushed, as the composer's answers (to show it again)."""
    return BriefForm(brief.file_id, brief.file_name, brief.title_en, brief.title_km, brief.summary_en,
                     brief.summary_km, brief.audience)


def check_file(file_name: str | None, file_size: int | None) -> None:
    """Accepts PDF and DOCX files a bot can handle; raises InvalidBrief otherwise."""
    if not file_name or not file_name.lower().endswith(ALLOWED_EXTENSIONS):
        raise InvalidBrief("file_type")
    if file_size is not None and file_size > MAX_BYTES:
        raise InvalidBrief("file_size")


def clean_text(text: str, limit: int, *, multiline: bool = False) -> str:
    """Typed text cleaned as every form cleans it; raises InvalidBrief("empty") or InvalidBrief("too_long")."""
    return forms.clean_text(text, limit, multiline=multiline)


async def create(session: AsyncSession, form: BriefForm, *, sender: broadcasts.Sender, send_at: datetime,
                 now: datetime) -> tuple[Brief, int]:
    """Stores the brief and queues it for its audience, in one transaction (its content is set once the brief
    has an id, with `set_content`). Returns (brief, recipients)."""
    brief = Brief(file_id=form.file_id, file_name=form.file_name, title_en=form.title_en, title_km=form.title_km,
                  summary_en=form.summary_en, summary_km=form.summary_km, audience=form.audience, send_at=send_at,
                  created_by=sender.created_by, created_at=now)
    session.add(brief)
    await session.flush()
    delivery, count = await broadcasts.queue(session, kind="brief", ref_id=brief.id, content={},
                                             audience=Audience.from_json(brief.audience), sender=sender,
                                             send_at=send_at, now=now)
    brief.delivery_id = delivery.id
    return brief, count


async def set_content(session: AsyncSession, brief: Brief, content: dict[str, dict]) -> None:
    """The message content can only be written once the brief has an id (its buttons carry it)."""
    delivery = await session.get(Delivery, brief.delivery_id)
    delivery.content = content


async def get(session: AsyncSession, brief_id: int) -> Brief | None:
    return await session.get(Brief, brief_id)


async def sent(session: AsyncSession, now: datetime, limit: int = 10) -> list[Brief]:
    """Briefs already pushed (not cancelled), newest first."""
    rows = await session.scalars(
        select(Brief).join(Delivery, Delivery.id == Brief.delivery_id)
        .where(Brief.send_at <= now, Delivery.status != "cancelled")
        .order_by(Brief.send_at.desc(), Brief.id.desc()).limit(limit))
    return list(rows)


async def available(session: AsyncSession, brief_id: int, now: datetime) -> Brief | None:
    """A brief members may get again: one of the latest fifty pushed."""
    brief = await session.get(Brief, brief_id)
    return brief if brief is not None and brief in await sent(session, now, limit=50) else None


async def react_useful(session: AsyncSession, brief: Brief, member: Member, now: datetime) -> bool:
    """Records that the member found the brief useful; False if they already said so."""
    existing = await session.scalar(select(BriefReaction.id).where(
        BriefReaction.brief_id == brief.id, BriefReaction.member_id == member.id, BriefReaction.kind == "useful"))
    if existing is not None:
        return False
    session.add(BriefReaction(brief_id=brief.id, member_id=member.id, kind="useful", created_at=now))
    return True


async def ask(session: AsyncSession, brief: Brief, member: Member, question: str, now: datetime) -> None:
    session.add(BriefReaction(brief_id=brief.id, member_id=member.id, kind="question",
                              question=clean_text(question, QUESTION_MAX, multiline=True), created_at=now))


@dataclass(frozen=True)
class Question:
    member_name: str
    organisation: str
    text: str
    asked_at: datetime


async def reactions(session: AsyncSession, brief_id: int) -> tuple[Counter, list[Question]]:
    """Counts of each reaction, and the questions with who asked them."""
    counts = Counter(dict((await session.execute(
        select(BriefReaction.kind, func.count()).where(BriefReaction.brief_id == brief_id)
        .group_by(BriefReaction.kind))).all()))
    rows = await session.execute(
        select(Member.name, Member.organisation, BriefReaction.question, BriefReaction.created_at)
        .join(Member, Member.id == BriefReaction.member_id)
        .where(BriefReaction.brief_id == brief_id, BriefReaction.kind == "question")
        .order_by(BriefReaction.created_at, BriefReaction.id))
    return counts, [Question(name or "", org or "", text or "", at) for name, org, text, at in rows]
