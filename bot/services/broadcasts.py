"""Coordinators' announcements through the outbox: queueing one for an audience, the recent ones with how far
they got, cancelling a scheduled one; and the status a coordinator watches while any mass send goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Delivery
from bot.services import outbox
from bot.services.audience import Audience
from bot.services.outbox import Progress

KIND = "broadcast"


@dataclass(frozen=True)
class Sender:
    """Who queued a send, and where (chat, language) its status message goes."""

    created_by: int
    status_chat_id: int
    status_language: str


async def queue(session: AsyncSession, *, kind: str, content: dict[str, dict], audience: Audience, sender: Sender,
                send_at: datetime, now: datetime, ref_id: int | None = None) -> tuple[Delivery, int]:
    """Queues a mass send for every member of the audience, in the caller's transaction; returns the delivery
    and how many members it goes to."""
    delivery = await outbox.create(session, kind=kind, ref_id=ref_id, content=content, send_at=send_at,
                                   created_by=sender.created_by, status_chat_id=sender.status_chat_id,
                                   status_language=sender.status_language, now=now)
    return delivery, await outbox.add_audience(session, delivery, audience)


async def recent(session: AsyncSession, limit: int = 10) -> list[tuple[Delivery, Progress]]:
    """The latest broadcasts, scheduled ones included, newest first, each with its progress."""
    return [(d, await outbox.progress(session, d.id)) for d in await outbox.recent(session, kind=KIND, limit=limit)]


async def cancel_scheduled(session: AsyncSession, delivery_id: int, now: datetime) -> bool:
    """Cancels a broadcast that has not started going out; False if there is no such scheduled broadcast."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.kind != KIND or delivery.status != "scheduled":
        return False
    await outbox.cancel(session, delivery_id, now)
    return True


async def status(session: AsyncSession, delivery_id: int) -> tuple[Delivery, Progress] | None:
    """A mass send someone watches (its status_chat_id, status_message_id and status_language say where and how)
    with its progress; None if no one does (or it is gone)."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.status_chat_id is None:
        return None
    return delivery, await outbox.progress(session, delivery_id)


async def keep_status_message(session: AsyncSession, delivery_id: int, message_id: int) -> None:
    """Remembers the status message, to edit it as the send goes on."""
    delivery = await session.get(Delivery, delivery_id)
    delivery.status_message_id = message_id
