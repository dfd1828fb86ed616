"""Nothing lost through a crash: the bot killed with SIGKILL while members write, then started again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.models import InboxUpdate, Member, Reminder
from tests.helpers import BotProcess, wait_until
from tests.helpers_events import event_with_a_reminder, reminder_messages

MEMBERS = range(30_000, 30_100)


def first_screens(telegram, user_id: int) -> int:
    """How many times the member was shown the language choice."""
    return sum(1 for m in telegram.messages(user_id) if "English" in m.button_texts())


async def inbox_counts(db) -> tuple[int, int]:
    async with db.session() as session:
        total = await session.scalar(select(func.count()).select_from(InboxUpdate))
        waiting = await session.scalar(select(func.count()).select_from(InboxUpdate)
                                       .where(InboxUpdate.handled_at.is_(None)))
    return total, waiting


async def test_sigkill_while_100_members_write_loses_no_update_and_a_missed_reminder_goes_once(telegram, db, clock):
    await event_with_a_reminder(db, telegram, clock)
    bot = BotProcess(telegram, db.url, SEND_RATE_PER_SECOND="0", LEASE_SECONDS="2").start()
    try:
        users = [telegram.user(i, f"Member {i}") for i in MEMBERS]
        for user in users:
            await user.command("start")  # no test bot in this process: returns once Telegram has it
        await telegram.wait_for(lambda: sum(first_screens(telegram, i) for i in MEMBERS) >= 20 or not bot.alive, timeout=60)
        assert bot.alive, bot.log()
        await bot.kill()
    finally:
        if bot.alive:
            await bot.kill()
    answered_before = sum(1 for i in MEMBERS if first_screens(telegram, i))
    assert answered_before < len(MEMBERS), "the kill came too late to test anything"
    # While the bot is down, the reminder falls due.
    async with db.session() as session:
        await session.execute(update(Reminder).values(due_at=datetime.now(UTC) - timedelta(minutes=1)))

    bot = BotProcess(telegram, db.url, SEND_RATE_PER_SECOND="0", LEASE_SECONDS="2").start()
    try:
        async def all_handled() -> bool:
            return await inbox_counts(db) == (len(MEMBERS), 0)

        await wait_until(telegram, all_handled)
        await telegram.wait_for(lambda: all(reminder_messages(telegram, i) for i in (31_000, 31_001)), timeout=30)
        async with db.session() as session:
            registered = await session.scalar(select(func.count()).select_from(Member)
                                              .where(Member.telegram_id.in_(list(MEMBERS))))
        assert registered == len(MEMBERS)  # every /start had its effect: none lost
        # A reply cut off by the kill after its update's commit is sent when the bot is back: the member is
        # shown the question they are on.
        await telegram.wait_for(lambda: all(first_screens(telegram, i) for i in MEMBERS), timeout=30)
        shown = [first_screens(telegram, i) for i in MEMBERS]
        twice = sum(n - 1 for n in shown)
        # At most the updates in hand at the kill (32 at once) and those finished just before it whose marks were
        # still waiting for their batch (written every 10 ms: at most about as many again).
        assert twice <= 2 * 32
        print(f"\n{answered_before} answered before the kill; every member answered after the restart; "
              f"{twice} saw the first screen twice")
    finally:
        await bot.stop()
    assert [reminder_messages(telegram, i) for i in (31_000, 31_001)] == [1, 1]
