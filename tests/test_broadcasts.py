"""/broadcast: compose in two languages, pick the audience, preview, send now or later, cancel."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.i18n import translator
from bot.models import Delivery
from tests.helpers_members import coordinator_ready, register, seed_members
from tests.helpers_outbox import latest_delivery, statuses, wait_done

en = translator("en")
km = translator("km")


async def test_a_bilingual_broadcast_reaches_each_member_in_their_language_with_a_live_status(bot, telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 6)
    paused = await seed_members(db, telegram, clock, 2, start_id=500, receives_announcements=False)
    coordinator = await coordinator_ready(telegram)

    await coordinator.command("broadcast")
    await coordinator.send("Workshop report <out> now & free")
    await coordinator.send("របាយការណ៍សិក្ខាសាលា បានចេញហើយ")
    assert "7 members" in coordinator.last.text  # six seeded members and the coordinator
    await coordinator.press("✅ " + en("Done"))
    previews = coordinator.texts()[-5:]
    assert previews[0] == "👁 " + en("Preview for {language} ({count} members):").format(language="Khmer", count="3")
    assert previews[1] == "របាយការណ៍សិក្ខាសាលា បានចេញហើយ"
    assert previews[3] == "Workshop report &lt;out&gt; now &amp; free"
    assert coordinator.last.text == en("Send this to {count} members?").format(count="7")

    await coordinator.press("📤 " + en("Send now"))
    await coordinator.press_data("bc:send")  # a second press sends nothing more
    delivery = await latest_delivery(db)
    await wait_done(bot, db, delivery.id)
    for i in ids:
        [message] = telegram.messages(i)
        assert message.text == ("របាយការណ៍សិក្ខាសាលា បានចេញហើយ" if i % 2 else "Workshop report &lt;out&gt; now &amp; free")
    assert all(telegram.messages(i) == [] for i in paused)
    report = en("Delivered: {count}").format(count="7")
    await telegram.wait_for(lambda: any(report in (m.text or "") for m in coordinator.messages))
    # One status message, edited in place: no stale "Sending…" message is left behind.
    status = [m.text for m in coordinator.messages if en("Delivery report") in (m.text or "") or "░" in (m.text or "")]
    assert len(status) == 1 and report in status[0]
    async with db.session() as session:
        assert len((await session.scalars(select(Delivery))).all()) == 1


async def test_one_text_can_go_to_everyone_and_the_audience_can_be_narrowed(bot, telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 6)
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("broadcast")
    await coordinator.press(en("Write it in Khmer only"))
    await coordinator.send("សេចក្តីជូនដំណឹងសម្រាប់ស្ត្រី")
    await coordinator.press(en("Woman"))
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("📤 " + en("Send now"))
    delivery = await latest_delivery(db)
    await wait_done(bot, db, delivery.id)
    women = [i for i in ids if i % 3 == 0]
    for i in ids:
        expected = ["សេចក្តីជូនដំណឹងសម្រាប់ស្ត្រី"] if i in women else []
        assert [m.text for m in telegram.messages(i)] == expected


async def test_a_scheduled_broadcast_waits_refuses_past_times_and_can_be_cancelled(bot, telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 3)
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("broadcast")
    await coordinator.send("Reminder: policy working group meets on Friday")
    await coordinator.press(en("Send the English text to everyone"))
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("🕒 " + en("Schedule"))
    await coordinator.send("01/11/2024 08:00")
    assert coordinator.last.text == en("That time has already passed. Please type a time in the future.")
    await coordinator.send("31/02/2025 08:00")
    assert coordinator.last.text == en("Please type the date and time like this: 13/12/2024 08:30.")
    await coordinator.send("០២/១២/២០២៤ ០៩:០០")  # Khmer digits; the clock says 1 Dec 2024, 09:00 in Phnom Penh
    assert "4 members" in coordinator.last.text and "/broadcasts" in coordinator.last.text

    worker = bot.app.bot_data["services"].delivery
    assert await worker.run_once() == 0
    await coordinator.command("broadcasts")
    delivery = await latest_delivery(db)
    await coordinator.press("✖ " + en("Cancel #{number}").format(number=delivery.id))
    clock.advance(timedelta(days=2))
    assert await worker.run_once() == 0
    assert await statuses(db, delivery.id) == Counter({"cancelled": 4})
    assert all(telegram.messages(i) == [] for i in ids)


async def test_a_scheduled_broadcast_goes_out_at_its_time(bot, telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 2)
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("broadcast")
    await coordinator.send("Field day tomorrow")
    await coordinator.press(en("Send the English text to everyone"))
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("🕒 " + en("Schedule"))
    await coordinator.send("01/12/2024 18:00")
    worker = bot.app.bot_data["services"].delivery
    await bot.restart()  # scheduled sends are rows: a restart loses nothing
    worker = bot.app.bot_data["services"].delivery
    clock.advance(timedelta(hours=10))
    assert await worker.run_once() == 3
    assert all([m.text for m in telegram.messages(i)] == ["Field day tomorrow"] for i in ids)


async def test_an_empty_audience_is_refused(bot, telegram, db, clock):
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("broadcast")
    await coordinator.send("Only for Mondul Kiri")
    await coordinator.press(en("Send the English text to everyone"))
    await coordinator.press("ភាសាខ្មែរ")  # the only member (the coordinator) reads English
    await coordinator.press("✅ " + en("Done"))
    assert en("No member matches this audience. Please choose another one.") in coordinator.texts()
    assert await latest_delivery(db) is None


async def test_members_cannot_broadcast_or_press_broadcast_buttons(bot, telegram, db):
    member = telegram.user(601, "Kanha")
    await register(member, km)
    await member.command("broadcast")
    assert member.last.text == km("This command is for coordinators only.")
    await member.press_data("bc:send")
    assert telegram.callback_answers[-1]["text"] == km("This is for coordinators only.")
    assert await latest_delivery(db) is None


async def test_a_sticker_is_not_an_announcement(bot, telegram, db):
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("broadcast")
    await coordinator.send_update({"message": {
        "message_id": 99, "date": 0, "chat": coordinator.chat, "from": coordinator.user_dict,
        "sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512, "is_animated": False,
                    "is_video": False, "type": "regular"}}})
    assert coordinator.last.text == en("Please send a text, a photo or a document.")
