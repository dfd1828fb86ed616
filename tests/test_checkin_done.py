"""Done after checking someone in leaves the confirmation readable, in both languages."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from tests.conftest import COORDINATOR_ID
from tests.helpers_workshop import WORKSHOP_START, add_member, coordinator, create_event

en = translator("en")
km = translator("km")


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_done_after_a_check_in_by_name_keeps_the_confirmation_visible(bot, telegram, db, clock, _):
    event = await create_event(db, clock)
    await add_member(db, telegram, clock, 406, name="Piseth Long")
    boss = await coordinator(db, telegram, clock, _.language)
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:find:{event.id}")
    await boss.send("Piseth")
    await boss.press("Piseth Long")
    confirmation = boss.last
    said = confirmation.text
    assert said.startswith(_("✅ {name} is checked in.").format(name="Piseth Long"))

    await boss.press(_("Done"))

    kept = telegram.message(COORDINATOR_ID, confirmation.message_id)
    assert kept.text == said
    assert not kept.has_inline_keyboard
    assert boss.last.message_id != confirmation.message_id
    assert boss.last.text == _("Closed. Send /checkin to check in more people.")
    await boss.send("Vanna")
    assert boss.last.text == _("I did not understand that. Send /help to see what I can do.")


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_done_after_a_walk_in_keeps_the_record_visible(bot, telegram, db, clock, _):
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, _.language)
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:walk:{event.id}")
    await boss.send("Lina Sok")
    await boss.press(_("Woman"))
    await boss.press(_("Farmer / producer"))
    await boss.press(_("Skip"))
    record = boss.last
    said = record.text

    await boss.press(_("Done"))

    kept = telegram.message(COORDINATOR_ID, record.message_id)
    assert kept.text == said and said.startswith(_("✅ Walk-in {name} is recorded.").format(name="Lina Sok"))
    assert not kept.has_inline_keyboard
    assert boss.last.text == _("Closed. Send /checkin to check in more people.")


async def test_done_under_a_question_still_replaces_the_question(bot, telegram, db, clock):
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:find:{event.id}")
    question = boss.last

    await boss.press(en("Done"))

    assert telegram.message(COORDINATOR_ID, question.message_id).text == en(
        "Closed. Send /checkin to check in more people.")
    assert boss.last.message_id == question.message_id
