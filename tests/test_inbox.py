"""The inbox: a repeat is recognised only within its window, claims keep each sender's order, old rows go."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.models import InboxUpdate
from bot.services import inbox
from tests.helpers import BotProcess

WALL = 1_000_000.0


def message(update_id: int, user_id: int, text: str = "/start") -> dict:
    chat = {"id": user_id, "type": "private", "first_name": "Dara"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "chat": chat,
                                                "from": {"id": user_id, "is_bot": False, "first_name": "Dara"},
                                                "text": text}}


async def store(db, clock, *raws) -> int:
    async with db.session() as session:
        return await inbox.store(session, list(raws), clock.now())


async def claim(db, me: str, wall: float = WALL, limit: int = 100) -> list[int]:
    async with db.session() as session:
        rows = await inbox.claim(session, me=me, wall=wall, lease=30, limit=limit, skip_locked=False)
    return [row.update_id for row in rows]


async def handle(db, clock, *update_ids: int) -> None:
    async with db.session() as session:
        for update_id in update_ids:
            assert await inbox.mark_handled(session, update_id, clock.now())


async def test_a_repeat_within_the_window_is_dropped_and_a_reused_id_after_a_quiet_week_is_new(db, clock):
    assert await store(db, clock, *(message(i, 500 + i) for i in range(1, 6))) == 5
    assert await store(db, clock, message(3, 503)) == 0  # Telegram delivering the same update again
    await claim(db, "a")
    await handle(db, clock, 1, 2, 3, 4, 5)
    # Over a week without updates, Telegram's ids start again: the same numbers are five new members' /start.
    clock.advance(timedelta(days=8))
    assert await store(db, clock, *(message(i, 600 + i) for i in range(1, 6))) == 5
    assert await claim(db, "a") == [1, 2, 3, 4, 5]
    async with db.session() as session:
        senders = await session.scalars(select(InboxUpdate.payload).order_by(InboxUpdate.update_id))
        assert [json.loads(p)["message"]["from"]["id"] for p in senders] == [601, 602, 603, 604, 605]


async def test_a_senders_updates_are_claimed_together_and_never_split_between_processes(db, clock):
    await store(db, clock, message(1, 501), message(2, 777), message(3, 501))
    assert await claim(db, "a", limit=1) == [1, 3]  # 501's first update with the one behind it
    assert await claim(db, "b") == [2]
    await store(db, clock, message(4, 501))
    assert await claim(db, "b") == []  # 501 still has updates in a's hands
    await handle(db, clock, 1, 3)
    assert await claim(db, "b") == [4]


async def test_a_dead_processes_claims_are_taken_over_when_the_lease_runs_out(db, clock):
    await store(db, clock, message(1, 501), message(2, 502))
    assert await claim(db, "a") == [1, 2]
    assert await claim(db, "b", wall=WALL + 29) == []
    assert await claim(db, "b", wall=WALL + 31) == [1, 2]


async def test_a_failed_update_is_tried_again_and_set_aside_after_three_failures(db, clock):
    await store(db, clock, message(1, 501))
    for attempt in range(1, 4):
        assert await claim(db, "a", wall=WALL + attempt * 10) == [1]
        async with db.session() as session:
            set_aside = await inbox.release(session, 1, wall=WALL + attempt * 10, retry_in=1, now=clock.now())
        assert set_aside == (attempt == 3)
    assert await claim(db, "a", wall=WALL + 100) == []


async def test_handled_updates_are_pruned_after_the_window_and_waiting_ones_kept(db, clock):
    await store(db, clock, message(1, 501), message(2, 502))
    await claim(db, "a")
    await handle(db, clock, 1)
    clock.advance(inbox.KEEP_FOR + timedelta(hours=1))
    async with db.session() as session:
        assert await inbox.prune(session, clock.now()) == 1
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 1
        depth = await inbox.depth(session)
    assert depth.waiting == 1 and depth.oldest is not None


def test_sender_is_the_user_or_else_the_chat():
    assert inbox.sender_of(message(1, 501)) == 501
    assert inbox.sender_of({"update_id": 2, "callback_query": {"id": "x", "from": {"id": 9}}}) == 9
    assert inbox.sender_of({"update_id": 3, "channel_post": {"chat": {"id": -100}}}) == -100
    assert inbox.sender_of({"update_id": 4, "poll": {"id": "p"}}) is None


async def test_updates_stored_before_a_stop_are_handled_first_and_in_order(bot, telegram, db, clock):
    await bot.stop()
    user = telegram.user(501, "Dara")
    telegram.add_chat(501)
    # Stored while the bot was down (taken in, never handled), then a newer one comes by polling.
    await store(db, clock, message(9001, 501, "/start"))
    await bot.start()
    await bot.settle(9001)
    assert "English" in user.last.button_texts()
    await user.press("English")
    assert "Yes, I agree" in user.last.button_texts()
    async with db.session() as session:
        assert (await inbox.depth(session)).waiting == 0


async def test_a_second_bot_process_on_the_same_sqlite_file_refuses_to_start(telegram, db):
    if not db.url.startswith("sqlite"):
        return
    first = BotProcess(telegram, db.url).start()
    try:
        await telegram.wait_for(lambda: telegram.calls("getUpdates"), timeout=30)
        second = BotProcess(telegram, db.url).start()
        assert await second.wait() == 2
        assert "SQLite supports one bot process" in second.log()
        assert first.alive
    finally:
        await first.stop()
