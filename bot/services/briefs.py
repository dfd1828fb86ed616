"""Briefs: pushing a finished brief to an audience at a chosen time, and the reactions it gets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Delivery, Member
from bot.models.briefs import Brief, BriefReaction
from bot.services import outbox
from bot.services.audience import Audience
from bot.text import clean_line

TITLE_MAX = 150
SUMMARY_MAX = 700  # title and summary must fit Telegram's 1,024-character caption
QUESTION_MAX = 1000
ALLOWED_EXTENSIONS = (".pdf", ".docx")
MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram


class InvalidBrief(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_file(file_name: str | None, file_size: int | None) -> None:
    """Accepts PDF and DOCX files a bot can handle; raises InvalidBrief otherwise."""
    if not file_name or not file_name.lower().endswith(ALLOWED_EXTENSIONS):
        raise InvalidBrief("file_type")
    if file_size is not None and file_size > MAX_BYTES:
        raise InvalidBrief("file_size")


def clean_text(text: str, limit: int, *, multiline: bool = False) -> str:
    value = "\n".join(clean_line(line) for line in text.splitlines()).strip() if multiline else clean_line(text)
    if not value:
        raise InvalidBrief("empty")
    if len(value) > limit:
        raise InvalidBrief("too_long")
    return value


async def create(session: AsyncSession, data: dict, *, content: dict[str, dict] | None, created_by: int,
                 send_at: datetime, status_chat_id: int, status_language: str, now: datetime) -> tuple[Brief, int]:
    """Stores the brief and queues it for its audience, in one transaction. Returns (brief, recipients)."""
    brief = Brief(file_id=data["file_id"], file_name=data["file_name"], title_en=data["title_en"],
                  title_km=data["title_km"], summary_en=data.get("summary_en", ""),
                  summary_km=data.get("summary_km", ""), audience=data.get("audience", {}), send_at=send_at,
                  created_by=created_by, created_at=now)
    session.add(brief)
    await session.flush()
    delivery = await outbox.create(session, kind="brief", ref_id=brief.id, content=content or {}, send_at=send_at,
                                   created_by=created_by, status_chat_id=status_chat_id,
                                   status_language=status_language, now=now)
    brief.delivery_id = delivery.id
    count = await outbox.add_audience(session, delivery, Audience.from_json(brief.audience))
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
