"""Several members' updates at once: each member's in order, SQLite sessions taking turns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.app import TracingUpdateProcessor
from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Services
from bot.db import async_url
from bot.models import Member
from bot.services import members
from telegram import Chat, Message, Update, User

NOW = datetime(2024, 12, 1, 2, 0, tzinfo=UTC)


def text_update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "Dara", is_bot=False)
    message = Message(update_id, NOW, Chat(user_id, Chat.PRIVATE), from_user=user, text="hello")
    return Update(update_id, message=message)


async def test_a_members_updates_keep_their_order_while_another_members_go_ahead(db):
    processor = TracingUpdateProcessor(Services(Settings(token="t"), db, FrozenClock(NOW)), max_concurrent_updates=8)
    await processor.initialize()
    gate = asyncio.Event()
    log: list[str] = []

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} begins")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} ends")

    first = asyncio.create_task(processor.process_update(text_update(1, 501), handle("A1", gate)))
    second = asyncio.create_task(processor.process_update(text_update(2, 501), handle("A2")))
    other = asyncio.create_task(processor.process_update(text_update(3, 777), handle("B1")))
    await asyncio.wait_for(other, 5)
    # B went ahead while A's first update was still in hand; A's second waited for it.
    assert log == ["A1 begins", "B1 begins", "B1 ends"]
    gate.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert log[3:] == ["A1 ends", "A2 begins", "A2 ends"]
    assert processor._queues == {}


async def test_concurrent_units_of_work_each_read_then_write_without_a_lock_error(db):
    async with db.session() as session:
        for telegram_id in range(100, 130):
            await members.start(session, telegram_id=telegram_id, payload=None, now=NOW)

    async def rename(telegram_id: int) -> None:
        async with db.session() as session:
            member = await members.get(session, telegram_id)
            await asyncio.sleep(0)  # let the others start their own transactions
            member.name = f"Member {telegram_id}"

    await asyncio.wait_for(asyncio.gather(*(rename(i) for i in range(100, 130))), 20)
    async with db.session() as session:
        names = set(await session.scalars(select(Member.name)))
    assert names == {f"Member {i}" for i in range(100, 130)}


async def test_a_session_opened_inside_another_does_not_wait_for_it(db):
    async def nested() -> int:
        async with db.session() as outer:
            await members.start(outer, telegram_id=42, payload=None, now=NOW)
        async with db.session() as outer:
            member = await members.get(outer, 42)
            async with db.session() as inner:
                assert await members.get(inner, 42) is not None
            return member.telegram_id

    assert await asyncio.wait_for(nested(), 5) == 42


def test_plain_sqlite_urls_run_in_the_loop_and_named_drivers_are_kept():
    assert async_url("sqlite:///data/bot.sqlite3") == "sqlite+inloop:///data/bot.sqlite3"
    assert async_url("sqlite+aiosqlite:///bot.sqlite3") == "sqlite+aiosqlite:///bot.sqlite3"
    url = "postgresql+asyncpg://sahakor:secret@db:5432/sahakor"
    assert async_url(url) == url


async def test_a_unit_of_work_that_only_looked_leaves_the_update_to_the_one_that_acts(bot, db):
    from bot.context import AppContext, DuplicateUpdate
    from bot.models import InboxUpdate
    from bot.services import inbox

    async with db.session() as session:
        await inbox.store(session, [text_update(4242, 501).to_dict()], NOW)

    async def seen() -> bool:
        async with db.session() as session:
            return await session.scalar(select(InboxUpdate.handled_at).where(InboxUpdate.update_id == 4242)) is not None

    context = AppContext(bot.app)
    context.update_id = 4242
    async with context.unit_of_work():
        context.record_later()  # e.g. a typed text that registration passes on to a survey
    assert not await seen()
    async with context.unit_of_work():
        pass  # the survey stores the answer
    assert await seen()

    again = AppContext(bot.app)
    again.update_id = 4242
    with pytest.raises(DuplicateUpdate):
        async with again.unit_of_work():
            pass
