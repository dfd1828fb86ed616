"""Deliveries for tests: one made straight in the outbox, its rows' statuses, and waiting until it is done."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from bot.models import Delivery, OutboxMessage
from bot.services import outbox
from bot.services.audience import Audience


CONTENT = {"en": {"text": "Workshop on <b>13 December</b>"}, "km": {"text": "សិក្ខាសាលា <b>ថ្ងៃទី១៣ ខែធ្នូ</b>"}}


async def create_delivery(db, clock, *, audience=Audience(), send_at=None, status_chat_id=None) -> int:
    async with db.session() as session:
        delivery = await outbox.create(session, kind="broadcast", content=CONTENT, send_at=send_at or clock.now(),
                                       status_chat_id=status_chat_id, status_language="en", now=clock.now())
        await outbox.add_audience(session, delivery, audience)
        return delivery.id


async def statuses(db, delivery_id: int) -> Counter:
    async with db.session() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count())
                                     .where(OutboxMessage.delivery_id == delivery_id).group_by(OutboxMessage.status))
        return Counter(dict(rows.all()))


async def delivery_status(db, delivery_id: int) -> str:
    async with db.session() as session:
        return (await session.get(Delivery, delivery_id)).status


async def wait_done(bot, db, delivery_id: int, timeout: float = 20.0) -> None:
    """Waits until the in-process worker has finished the delivery (woken after each window)."""
    worker = bot.app.bot_data["services"].delivery

    async def loop() -> None:
        while await delivery_status(db, delivery_id) not in ("done", "cancelled"):
            async with worker.window_done:
                try:  # a window may end between the look and the wait: look again soon regardless
                    await asyncio.wait_for(worker.window_done.wait(), 0.5)
                except TimeoutError:
                    pass

    await asyncio.wait_for(loop(), timeout)


async def latest_delivery(db) -> Delivery | None:
    async with db.session() as session:
        return await session.scalar(select(Delivery).order_by(Delivery.id.desc()).limit(1))


async def last_delivery(db, kind: str) -> Delivery:
    async with db.session() as session:
        return await session.scalar(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id.desc()))
