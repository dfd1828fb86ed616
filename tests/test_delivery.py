"""The outbox and its worker: one path for every mass send, paced, retried, and safe across restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.i18n import translator
from bot.models import Delivery, Member, OutboxMessage
from bot.services import outbox
from bot.services.audience import Audience
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import seed_members
from tests.helpers_outbox import CONTENT, create_delivery, delivery_status, statuses, wait_done

en = translator("en")
km = translator("km")


async def wait_done_elsewhere(telegram, db, delivery_id: int, timeout: float = 60.0) -> None:
    """Waits until a bot in another process has finished the delivery, re-checking as its sends arrive."""
    async def loop() -> None:
        while await delivery_status(db, delivery_id) != "done":
            seen = telegram.sent_count
            try:
                await telegram.wait_for(lambda: telegram.sent_count > seen, timeout=0.5)
            except AssertionError:
                pass

    await asyncio.wait_for(loop(), timeout)


async def test_a_delivery_reaches_each_member_in_their_language_and_reports_to_the_coordinator(bot, telegram, db, clock):
    ids = await seed_members(bot.db, telegram, clock, 40)
    telegram.add_chat(COORDINATOR_ID)
    delivery_id = await create_delivery(db, clock, status_chat_id=COORDINATOR_ID)
    bot.app.bot_data["services"].delivery.wake()
    await wait_done(bot, db, delivery_id)

    for i in ids:
        [message] = telegram.messages(i)
        assert message.text == CONTENT["km" if i % 2 else "en"]["text"]
    assert await statuses(db, delivery_id) == Counter({"sent": 40})
    delivered = en("Delivered: {count}").format(count="40")
    await telegram.wait_for(lambda: any(delivered in (m.text or "") for m in telegram.messages(COORDINATOR_ID)))
    assert en("Delivery report") in telegram.messages(COORDINATOR_ID)[-1].text


async def test_blocked_members_are_marked_unreachable_and_never_retried_and_errors_are_recorded(bot, telegram, db, clock):
    ids = await seed_members(bot.db, telegram, clock, 6)
    telegram.block(ids[0])
    telegram.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    telegram.fail_next("sendMessage", status=502, description="Bad Gateway")
    telegram.drop_next("sendMessage")
    async with db.session() as session:  # a member whose chat Telegram does not know
        session.add(Member(telegram_id=55, language="en", step=None, editing=False, registered_at=clock.now(),
                           receives_announcements=True, reachable=True, created_at=clock.now(),
                           updated_at=clock.now()))
    delivery_id = await create_delivery(db, clock)
    worker = bot.app.bot_data["services"].delivery
    # Retries are due later; move the clock on so the test need not wait for the backoff.
    for _ in range(6):
        clock.advance(timedelta(minutes=15))
        await worker.run_once()
    assert await statuses(db, delivery_id) == Counter({"sent": 5, "blocked": 1, "failed": 1})
    for i in ids[1:]:
        assert len(telegram.messages(i)) == 1
    async with db.session() as session:
        blocked = await session.scalar(select(Member).where(Member.telegram_id == ids[0]))
        failed = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == 55))
    assert blocked.reachable is False
    assert "chat not found" in failed.error.lower()
    assert len(telegram.calls("sendMessage")) >= 9  # the blocked member was tried once only


async def test_paused_members_and_other_segments_are_left_out(bot, telegram, db, clock):
    await seed_members(bot.db, telegram, clock, 4, start_id=100)
    await seed_members(bot.db, telegram, clock, 2, start_id=200, receives_announcements=False)
    await seed_members(bot.db, telegram, clock, 2, start_id=300, province="07")
    delivery_id = await create_delivery(db, clock, audience=Audience(provinces=frozenset({"12"})))
    async with db.session() as session:
        assert (await session.get(Delivery, delivery_id)).total == 4
    bot.app.bot_data["services"].delivery.wake()
    await wait_done(bot, db, delivery_id)
    assert [len(telegram.messages(i)) for i in (100, 101, 102, 103, 200, 201, 300, 301)] == [1, 1, 1, 1, 0, 0, 0, 0]


async def test_a_scheduled_delivery_waits_for_its_time_and_can_be_cancelled(bot, telegram, db, clock):
    ids = await seed_members(bot.db, telegram, clock, 3)
    later = await create_delivery(db, clock, send_at=clock.now() + timedelta(hours=2))
    cancelled = await create_delivery(db, clock, send_at=clock.now() + timedelta(hours=2))
    worker = bot.app.bot_data["services"].delivery
    assert await worker.run_once() == 0
    async with db.session() as session:
        assert await outbox.cancel(session, cancelled, clock.now()) == 3
    clock.advance(timedelta(hours=2))
    assert await worker.run_once() == 3
    assert await statuses(db, later) == Counter({"sent": 3})
    assert await statuses(db, cancelled) == Counter({"cancelled": 3})
    assert all(len(telegram.messages(i)) == 1 for i in ids)


async def test_recipients_are_written_once_even_if_added_twice(db, clock, telegram):
    await seed_members(db, telegram, clock, 5)
    async with db.session() as session:
        delivery = await outbox.create(session, kind="broadcast", content=CONTENT, send_at=clock.now(), now=clock.now())
        assert await outbox.add_audience(session, delivery, Audience()) == 5
        assert await outbox.add_audience(session, delivery, Audience()) == 0
        assert delivery.total == 5


async def test_a_clean_stop_mid_delivery_finishes_what_is_in_flight_and_nothing_is_sent_twice(telegram, db, clock):
    from bot.delivery import DeliveryWorker, Limits

    ids = await seed_members(db, telegram, clock, 60)
    delivery_id = await create_delivery(db, clock)
    bot_api = DeliveryWorker.make_bot(telegram.token, telegram.base_url, telegram.base_file_url)
    worker = DeliveryWorker(db, bot_api, clock, Limits(per_second=100.0))
    await worker.start()
    await telegram.wait_for(lambda: telegram.sent_count >= 20, timeout=10)
    await worker.stop()
    assert (await statuses(db, delivery_id))["sending"] == 0

    worker = DeliveryWorker(db, DeliveryWorker.make_bot(telegram.token, telegram.base_url, telegram.base_file_url),
                            clock, Limits(per_second=None))
    await worker.start()
    assert worker.recovered == 0
    await telegram.wait_for(lambda: telegram.sent_count >= 60, timeout=10)
    await worker.stop()
    assert sorted(len(telegram.messages(i)) for i in ids) == [1] * 60


def _bot_process(telegram, db_url: str, env_extra: dict) -> subprocess.Popen:
    # A short lease: on PostgreSQL the bot started after a SIGKILL waits for the dead one's lease to run out.
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_API_BASE_URL=telegram.base_url,
               DATABASE_URL=db_url, LOG_LEVEL="WARNING", LEASE_SECONDS="2", **env_extra)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


async def _broadcast_across_a_stop(telegram, db, clock, sig: int) -> tuple[list[int], int]:
    ids = await seed_members(db, telegram, clock, 150)
    delivery_id = await create_delivery(db, clock)
    process = _bot_process(telegram, db.url, {"SEND_RATE_PER_SECOND": "60"})
    try:
        await telegram.wait_for(lambda: telegram.sent_count >= 40, timeout=60)
        process.send_signal(sig)
        await asyncio.get_running_loop().run_in_executor(None, process.wait, 30)
    finally:
        if process.poll() is None:
            process.kill()
    after_stop = await statuses(db, delivery_id)
    process = _bot_process(telegram, db.url, {"SEND_RATE_PER_SECOND": "0"})
    try:
        await wait_done_elsewhere(telegram, db, delivery_id)
    finally:
        process.terminate()
        await asyncio.get_running_loop().run_in_executor(None, process.wait, 30)
    counts = [len(telegram.messages(i)) for i in ids]
    return counts, after_stop["sending"]


async def test_sigkill_mid_broadcast_loses_no_one_and_resends_at_most_what_was_in_flight(telegram, db, clock):
    counts, in_flight = await _broadcast_across_a_stop(telegram, db, clock, signal.SIGKILL)
    assert min(counts) == 1  # nobody lost
    duplicates = sum(c - 1 for c in counts)
    assert duplicates <= in_flight <= 15  # a quarter second's worth at 60 messages/s


async def test_sigterm_mid_broadcast_sends_nothing_twice(telegram, db, clock):
    counts, in_flight = await _broadcast_across_a_stop(telegram, db, clock, signal.SIGTERM)
    assert in_flight == 0
    assert counts == [1] * len(counts)


async def test_content_changed_while_sending_reaches_the_rest_of_the_audience(telegram, db, clock):
    from bot.delivery import DeliveryWorker, Limits

    ids = await seed_members(db, telegram, clock, 40)
    delivery_id = await create_delivery(db, clock)
    worker = DeliveryWorker(db, DeliveryWorker.make_bot(telegram.token, telegram.base_url, telegram.base_file_url),
                            clock, Limits(per_second=None, window=10))
    await worker.bot.initialize()
    assert await worker.run_once() == 10
    changed = {"en": {"text": "Moved to <b>14 December</b>"}, "km": {"text": "ប្តូរទៅ <b>ថ្ងៃទី១៤ ខែធ្នូ</b>"}}
    async with db.session() as session:
        (await session.get(Delivery, delivery_id)).content = changed
    while await worker.run_once():
        pass
    await worker.bot.shutdown()
    texts = Counter(telegram.messages(i)[-1].text for i in ids)
    assert sum(texts.values()) == 40
    assert texts["Moved to <b>14 December</b>"] + texts["ប្តូរទៅ <b>ថ្ងៃទី១៤ ខែធ្នូ</b>"] == 30


async def test_a_delivery_with_no_one_to_send_to_is_done_at_once(db, clock):
    async with db.session() as session:
        delivery = await outbox.create(session, kind="reminder", content=CONTENT, send_at=clock.now(), now=clock.now())
        assert await outbox.add_query(session, delivery, select(Member.telegram_id, Member.id, Member.language)
                                      .where(Member.id == -1)) == 0
    assert await delivery_status(db, delivery.id) == "done"


async def test_replies_sent_meanwhile_push_the_next_mass_send_back_one_interval_each():
    from bot import delivery

    clock = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock[0] += seconds

    pacer = delivery.Pacer(10.0, monotonic=lambda: clock[0], sleep=sleep)  # one mass send every 0.1 s
    await pacer.wait()
    assert slept == []
    pacer.make_room()
    pacer.make_room()  # two replies went out on the same budget
    await pacer.wait()
    assert slept == [0.2]  # without them the next send was due at once
    for _ in range(100):
        pacer.make_room()  # a flood of replies delays mass sends by 5 s at most
    await pacer.wait()
    assert slept[-1] == 5.0
    unlimited = delivery.Pacer(None, monotonic=lambda: clock[0], sleep=sleep)
    unlimited.make_room()
    await unlimited.wait()
    assert len(slept) == 2
