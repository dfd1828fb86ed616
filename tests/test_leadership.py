"""The leader runs the scheduled jobs and polls; another process takes over when it stops."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from apscheduler.schedulers.base import STATE_PAUSED

from handlers import system
from tests.conftest import PG_URL, BotRunner, make_settings
from tests.helpers_events import make_event, reminder_ids


async def test_the_leader_schedules_reminders_planned_by_another_process(bot, db, clock):
    """A reminder planned elsewhere (its row written by another replica) gets its job at the next rebuild."""
    from bot.models import Event
    from bot.services import reminders

    event_id = await make_event(db, clock, starts_at=clock.now() + timedelta(days=3),
                                ends_at=clock.now() + timedelta(days=3, hours=8))
    async with db.session() as session:
        await reminders.plan(session, await session.get(Event, event_id), clock.now())
    ids = await reminder_ids(db, event_id)
    assert not bot.app.job_queue.get_jobs_by_name(f"ev:reminder:{ids[120]}")
    await system.rebuild(bot.app)
    assert bot.app.job_queue.get_jobs_by_name(f"ev:reminder:{ids[120]}")
    assert bot.app.job_queue.get_jobs_by_name("system:resync")


@pytest.mark.skipif(not PG_URL, reason="several processes need PostgreSQL")
async def test_only_the_leader_polls_and_another_takes_over_when_it_stops(telegram, db, clock):
    settings = make_settings(telegram, db, leader_check_interval=0.1, inbox_sweep_interval=0.1)
    first, second = BotRunner(telegram, db, clock, settings), BotRunner(telegram, db, clock, settings)
    await first.start()
    await second.start()
    try:
        leaders = [r.app.bot_data["services"].leadership.is_leader for r in (first, second)]
        assert leaders == [True, False]
        assert second.app.job_queue.scheduler.state == STATE_PAUSED  # the follower runs no jobs
        user = telegram.user(801, "Dara")
        telegram.add_chat(801)
        update_id = user.server.push_update({"message": user._message(text="/start", entities=[
            {"type": "bot_command", "offset": 0, "length": 6}])})
        await first.settle(update_id)
        await first.stop()
        async def taken_over() -> None:
            while not second.app.bot_data["services"].leadership.is_leader:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(taken_over(), 5)
        update_id = user.server.push_update({
            "message": user._message(text="/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}])})
        await second.settle(update_id)
        assert "/profile" in user.last.text
        assert telegram.stats["methods"].get("getUpdates", {}).get("4xx", 0) == 0  # no 409 Conflict
    finally:
        await second.stop()
