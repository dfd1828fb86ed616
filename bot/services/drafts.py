"""Unfinished multi-step conversations, kept in the database so a restart resumes them."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Draft


async def get(session: AsyncSession, telegram_id: int, kind: str) -> Draft | None:
    return await session.scalar(select(Draft).where(Draft.telegram_id == telegram_id, Draft.kind == kind))


async def begin(session: AsyncSession, telegram_id: int, kind: str, *, step: str | None, data: dict | None = None,
                now: datetime) -> Draft:
    """Starts a conversation of this kind afresh (an unfinished one of the same kind is replaced)."""
    await discard(session, telegram_id, kind)
    draft = Draft(telegram_id=telegram_id, kind=kind, step=step, data=dict(data or {}), created_at=now, updated_at=now)
    session.add(draft)
    await session.flush()
    return draft


def advance(draft: Draft, *, step: str | None, now: datetime, **values) -> None:
    """Stores answers and moves to the next question. (The JSON column is replaced, not mutated, so it is saved.)"""
    draft.data = {**(draft.data or {}), **values}
    draft.step = step
    draft.updated_at = now


F = TypeVar("F")


def read(draft: Draft | None, form: type[F]) -> F:
    """A draft's answers as the feature's form: a dataclass whose fields (all with defaults) are the answers.

    Each feature declares its form once, so no handler reads or writes `draft.data` by string key:

        @dataclass
        class GroupForm:
            name_en: str = ""
            name_km: str = ""

        answers = drafts.read(draft, GroupForm)
        drafts.write(draft, replace(answers, name_en=text), step="name_km", now=now)

    Keys the form does not know (written by an earlier version) are left out here and kept by `write`."""
    known = {f.name for f in fields(form)}
    return form(**{k: v for k, v in ((draft.data if draft else None) or {}).items() if k in known})


def write(draft: Draft, answers: Any, *, step: str | None, now: datetime) -> None:
    """Stores the answers of a form (see `read`) that differ from those stored, and moves to the next question:
    a question not reached yet keeps no value at all."""
    stored = asdict(read(draft, type(answers)))
    advance(draft, step=step, now=now, **{k: v for k, v in asdict(answers).items() if v != stored[k]})


async def awaiting_input(session: AsyncSession, telegram_id: int) -> Draft | None:
    """The most recently touched conversation that is waiting for something typed or sent."""
    return await session.scalar(
        select(Draft).where(Draft.telegram_id == telegram_id, Draft.step.is_not(None))
        .order_by(Draft.updated_at.desc(), Draft.id.desc()).limit(1))


async def discard(session: AsyncSession, telegram_id: int, kind: str) -> bool:
    """Drops the conversation of this kind; whether there was one."""
    result = await session.execute(delete(Draft).where(Draft.telegram_id == telegram_id, Draft.kind == kind))
    return result.rowcount > 0
