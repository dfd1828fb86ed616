"""Event reminders: planned as rows, one job each, sent once to members who are coming, rebuilt after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.event_text import when
from bot.i18n import translator
from bot.models import Delivery, Event, Member, Reminder
from bot.services import reminders, rsvps
from handlers.events import reminders as reminder_jobs
from handlers.events.reminders import reminder_content
from handlers.events.rsvp import promotion_content
from tests.helpers_events import PHNOM_PENH, TITLE_EN, TITLE_KM, VENUE, make_event, reminder_ids
from tests.helpers_members import seed_members
from tests.helpers_outbox import wait_done

en = translator("en")
km = translator("km")
START = datetime(2024, 12, 13, 8, 30, tzinfo=PHNOM_PENH).astimezone(UTC)
DAY_BEFORE, TWO_HOURS_BEFORE = START - timedelta(days=1), START - timedelta(hours=2)
MAP_URL = "https://www.openstreetmap.org/?mlat=11.556400&mlon=104.928200#map=17/11.556400/104.928200"


async def plan(db, clock, event_id: int) -> None:
    async with db.session() as session:
        await reminders.plan(session, await session.get(Event, event_id), clock.now())


async def rows(db, event_id: int) -> dict[int, tuple[str, datetime]]:
    """Minutes before the start -> (status, due time)."""
    async with db.session() as session:
        return {r.minutes_before: (r.status, r.due_at) for r in await reminders.of_event(session, event_id)}


async def answer(db, clock, telegram_id: int, event_id: int, value: str) -> None:
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
        await rsvps.answer(session, event_id=event_id, member_id=member.id, answer=value, now=clock.now(),
                           content=promotion_content)


async def published_with_answers(bot, telegram, db, clock, **fields) -> int:
    """An event with reminders planned and jobs scheduled, and members who answered each way.

    701 (en) and 702 (km) are going, 703 (km) maybe, 704 can't go, 705 waits for a seat, 706 blocked the bot.
    """
    event_id = await make_event(db, clock, capacity=3, **fields)
    await seed_members(db, telegram, clock, 1, start_id=701, language="en")
    await seed_members(db, telegram, clock, 2, start_id=702, language="km")
    await seed_members(db, telegram, clock, 3, start_id=704, language="en")
    for telegram_id, value in ((701, "going"), (702, "going"), (703, "maybe"), (704, "no"), (706, "going"),
                               (705, "going")):
        await answer(db, clock, telegram_id, event_id, value)
    async with db.session() as session:
        (await session.scalar(select(Member).where(Member.telegram_id == 706))).reachable = False
    await plan(db, clock, event_id)
    await reminder_jobs.sync_jobs(bot.app, event_id)
    return event_id


def reminder_job(bot, reminder_id: int):
    [job] = bot.app.job_queue.get_jobs_by_name(f"ev:reminder:{reminder_id}")
    return job


async def deliveries(db) -> list[Delivery]:
    async with db.session() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.kind == "reminder").order_by(Delivery.id)))


def reminder_messages(telegram, chat_id: int) -> list:
    return [m for m in telegram.messages(chat_id) if "⏰" in (m.text or "")]


# ---------------------------------------------------------------- planning


async def test_publishing_plans_a_reminder_a_day_and_two_hours_before_the_start(db, clock):
    event_id = await make_event(db, clock)

    await plan(db, clock, event_id)

    assert await rows(db, event_id) == {1440: ("scheduled", DAY_BEFORE), 120: ("scheduled", TWO_HOURS_BEFORE)}


async def test_changing_the_offsets_replaces_scheduled_reminders_and_keeps_sent_ones(db, clock):
    event_id = await make_event(db, clock)
    await plan(db, clock, event_id)
    async with db.session() as session:
        sent = await session.scalar(select(Reminder).where(Reminder.event_id == event_id, Reminder.minutes_before == 1440))
        sent.status = "sent"
        event = await session.get(Event, event_id)
        event.reminder_minutes = [1440, 30]
        event.starts_at = START + timedelta(hours=1)

    await plan(db, clock, event_id)

    assert await rows(db, event_id) == {1440: ("sent", DAY_BEFORE), 120: ("cancelled", TWO_HOURS_BEFORE),
                                        30: ("scheduled", START + timedelta(minutes=30))}


async def test_a_reminder_already_past_when_planned_is_not_created(db, clock):
    event_id = await make_event(db, clock)
    clock.set(START - timedelta(hours=5))

    await plan(db, clock, event_id)

    assert await rows(db, event_id) == {120: ("scheduled", TWO_HOURS_BEFORE)}


async def test_cancelling_an_event_cancels_its_scheduled_reminders(db, clock):
    event_id = await make_event(db, clock)
    await plan(db, clock, event_id)
    async with db.session() as session:
        (await session.get(Event, event_id)).status = "cancelled"

    await plan(db, clock, event_id)

    assert {m: s for m, (s, _due) in (await rows(db, event_id)).items()} == {1440: "cancelled", 120: "cancelled"}


# ---------------------------------------------------------------- jobs


async def test_publishing_schedules_one_job_per_reminder_at_its_time(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)

    for minutes, due in ((1440, DAY_BEFORE), (120, TWO_HOURS_BEFORE)):
        job = reminder_job(bot, ids[minutes])
        # The scheduler runs on the wall clock; the bot's clock is frozen, so the wait is what is left.
        expected = datetime.now(UTC) + (due - clock.now())
        assert abs(job.next_t - expected) < timedelta(seconds=30)
        assert job.data == ids[minutes]


async def test_jobs_are_rebuilt_from_the_rows_after_a_restart(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)

    await bot.restart()

    for minutes, due in ((1440, DAY_BEFORE), (120, TWO_HOURS_BEFORE)):
        expected = datetime.now(UTC) + (due - clock.now())
        assert abs(reminder_job(bot, ids[minutes]).next_t - expected) < timedelta(seconds=30)


async def test_a_removed_offset_loses_its_job(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)
    async with db.session() as session:
        event = await session.get(Event, event_id)
        event.reminder_minutes = [120]
        await reminders.plan(session, event, clock.now())

    await reminder_jobs.sync_jobs(bot.app, event_id)

    assert bot.app.job_queue.get_jobs_by_name(f"ev:reminder:{ids[1440]}") == ()
    assert reminder_job(bot, ids[120]).data == ids[120]


# ---------------------------------------------------------------- sending


async def test_a_due_reminder_reaches_members_who_are_coming_in_their_language(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)
    clock.set(DAY_BEFORE)

    await reminder_job(bot, ids[1440]).run(bot.app)

    [delivery] = await deliveries(db)
    assert (delivery.ref_id, delivery.total) == (ids[1440], 3)
    async with db.session() as session:
        event = await session.get(Event, event_id)
    await wait_done(bot, db, delivery.id)
    for chat_id, _, title in ((701, en, TITLE_EN), (702, km, TITLE_KM), (703, km, TITLE_KM)):
        [message] = reminder_messages(telegram, chat_id)
        soon = _.duration(timedelta(days=1), threshold=1.1, add_direction=True)
        assert message.text.startswith(_("⏰ Reminder: <b>{title}</b> starts {soon}.").format(title=title, soon=soon))
        assert "🗓 " + when(event, _) in message.text
        assert "📍 " + VENUE in message.text
        assert {"type": "text_link", "url": MAP_URL} in [
            {k: e[k] for k in ("type", "url") if k in e} for e in message.entities]
        assert message.button_texts() == [_("Going"), _("Maybe"), _("Can't go")]
    for chat_id in (704, 705, 706):
        assert reminder_messages(telegram, chat_id) == []
    assert (await rows(db, event_id))[1440][0] == "sent"


async def test_the_map_link_is_left_out_when_the_event_has_no_location(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock, latitude=None, longitude=None)
    clock.set(TWO_HOURS_BEFORE)

    await reminder_jobs.run_due(bot.app)

    [delivery] = await deliveries(db)
    await wait_done(bot, db, delivery.id)
    [message] = reminder_messages(telegram, 701)
    assert "openstreetmap" not in message.text and "<a href=" not in message.text
    assert message.text.startswith(en("⏰ Reminder: <b>{title}</b> starts {soon}.").format(title=TITLE_EN,
                                                                                          soon="in 2 hours"))


async def test_a_reminder_fired_twice_at_once_is_sent_once(db, clock):
    event_id = await make_event(db, clock)
    await plan(db, clock, event_id)
    clock.set(DAY_BEFORE)

    async def fire() -> reminders.Fired:
        async with db.session() as session:
            return await reminders.fire_due(session, clock.now(), reminder_content)

    first, second = await asyncio.gather(fire(), fire())

    assert sorted([len(first.sent), len(second.sent)]) == [0, 1]
    assert len(await deliveries(db)) == 1
    async with db.session() as session:
        assert len(await reminders.scheduled(session, event_id)) == 1  # the two-hour one is still to come


async def test_a_job_firing_early_waits_again_and_firing_twice_sends_once(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)
    job = reminder_job(bot, ids[1440])

    await job.run(bot.app)
    assert await deliveries(db) == []
    expected = datetime.now(UTC) + (DAY_BEFORE - clock.now())
    assert abs(reminder_job(bot, ids[1440]).next_t - expected) < timedelta(seconds=30)
    clock.set(DAY_BEFORE)
    await job.run(bot.app)
    await job.run(bot.app)

    assert len(await deliveries(db)) == 1
    assert bot.app.job_queue.get_jobs_by_name(f"ev:reminder:{ids[1440]}") == ()


async def test_a_cancelled_events_reminders_are_not_sent(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)
    async with db.session() as session:
        (await session.get(Event, event_id)).status = "cancelled"
    clock.set(DAY_BEFORE)

    await reminder_job(bot, ids[1440]).run(bot.app)

    assert await deliveries(db) == []
    assert (await rows(db, event_id))[1440][0] == "cancelled"


# ---------------------------------------------------------------- while the bot was down


async def test_a_reminder_missed_while_down_is_sent_on_restart_if_the_event_has_not_started(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    await bot.stop()
    clock.set(DAY_BEFORE + timedelta(hours=3))

    await bot.start()

    [delivery] = await deliveries(db)
    await wait_done(bot, db, delivery.id)
    assert len(reminder_messages(telegram, 702)) == 1
    assert {m: s for m, (s, _due) in (await rows(db, event_id)).items()} == {1440: "sent", 120: "scheduled"}

    await bot.restart()

    assert len(await deliveries(db)) == 1
    assert len(reminder_messages(telegram, 702)) == 1


async def test_when_both_reminders_were_missed_only_the_nearer_one_is_sent(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    ids = await reminder_ids(db, event_id)
    await bot.stop()
    clock.set(TWO_HOURS_BEFORE + timedelta(minutes=10))

    await bot.start()

    [delivery] = await deliveries(db)
    assert delivery.ref_id == ids[120]
    await wait_done(bot, db, delivery.id)
    assert len(reminder_messages(telegram, 701)) == 1
    assert {m: s for m, (s, _due) in (await rows(db, event_id)).items()} == {1440: "skipped", 120: "sent"}


async def test_a_reminder_missed_until_after_the_start_is_skipped(bot, telegram, db, clock):
    event_id = await published_with_answers(bot, telegram, db, clock)
    await bot.stop()
    clock.set(START + timedelta(minutes=5))

    await bot.start()

    assert await deliveries(db) == []
    assert {m: s for m, (s, _due) in (await rows(db, event_id)).items()} == {1440: "skipped", 120: "skipped"}
    assert [j for j in bot.app.job_queue.jobs() if j.name.startswith("ev:reminder:")] == []
    assert reminder_messages(telegram, 701) == []


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_member_can_answer_cant_go_from_the_reminder(bot, telegram, db, clock, _):
    event_id = await published_with_answers(bot, telegram, db, clock)
    clock.set(DAY_BEFORE)
    await reminder_jobs.run_due(bot.app)
    [delivery] = await deliveries(db)
    await wait_done(bot, db, delivery.id)
    chat_id = 701 if _.language == "en" else 702
    user = telegram.user(chat_id, "Member", language_code=_.language)

    await user.press(_("Can't go"), message=reminder_messages(telegram, chat_id)[0])

    assert user.last.text.startswith(_("You answered “Can't go” for <b>{title}</b>. Thank you for letting us know.")
                                     .format(title=TITLE_EN if _.language == "en" else TITLE_KM))
    async with db.session() as session:
        promoted = await session.scalar(select(Delivery).where(Delivery.kind == "waitlist_promoted"))
    assert promoted is not None and promoted.total == 1  # 705 got the freed seat
