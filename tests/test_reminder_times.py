"""Choosing when members are reminded in /newevent: preset times as buttons, a typed one, and only the
reminders that will really be sent are ever listed (one whose time has passed is not)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import translator
from bot.models import Event, Reminder
from handlers.events.screens import before_text, reminders_text
from tests.conftest import COORDINATOR_ID
from tests.helpers_events import END, PHNOM_PENH, START, TITLE_EN, VENUE, coordinator_in, draft_of, only_event, up_to_the_reminders

en = translator("en")
km = translator("km")


def workshop(*minutes: int) -> Event:
    return Event(starts_at=START, ends_at=END, timezone="Asia/Phnom_Penh", reminder_minutes=list(minutes))


def preset_buttons(message) -> list[str]:
    return message.button_texts()[:-2]


async def planned(db) -> list[tuple[int, str]]:
    async with db.session() as session:
        rows = await session.scalars(select(Reminder).order_by(Reminder.minutes_before))
        return [(r.minutes_before, r.status) for r in rows]


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_an_event_two_hours_away_lists_only_reminders_still_to_come(bot, telegram, db, clock, _):
    coordinator = await coordinator_in(telegram, _)
    await coordinator.command("newevent")
    await coordinator.send(TITLE_EN)
    await coordinator.press(_("Use it for both languages"))
    await coordinator.press(_("No description"))
    await coordinator.send("13/12/2024 08:30")
    clock.set(START - timedelta(hours=2))
    await coordinator.send("17:00")
    await coordinator.press("✅ " + _("Yes, that's right"))
    await coordinator.send(VENUE)
    for label in (_("No map location"), _("No limit"), _("No deadline"), _("No agenda")):
        await coordinator.press(label)

    screen = coordinator.last
    # The default day-before and two-hours-before reminders can no longer be sent: neither is promised.
    assert "⏰ " + _("No reminders") in screen.text
    assert preset_buttons(screen) == [before_text(60, _), before_text(30, _)]
    assert screen.button_texts()[-2:] == ["🔕 " + _("No reminders"), "✅ " + _("Done")]

    await coordinator.press(before_text(60, _))
    screen = coordinator.last
    assert reminders_text(workshop(60), clock.now(), _) in screen.text
    assert preset_buttons(screen) == ["✓ " + before_text(60, _), before_text(30, _)]
    await coordinator.press("✅ " + _("Done"))
    await coordinator.press("✅ " + _("Done"))

    summary = coordinator.last
    assert "⏰ " + reminders_text(workshop(60), clock.now(), _) in summary.text
    await coordinator.press("🚀 " + _("Publish"))
    assert await planned(db) == [(60, "scheduled")]
    assert (await only_event(db)).reminder_minutes == [60]


def test_the_reminder_lines_say_when_each_goes_out():
    now = START - timedelta(days=3)
    assert reminders_text(workshop(1440, 120), now, en) == "\n".join([
        "Reminders:",
        "• Thu, Dec 12, 2024, 08:30 (1 day before the start)",
        "• Fri, Dec 13, 2024, 06:30 (2 hours before the start)"])
    assert reminders_text(workshop(1440, 120), START - timedelta(hours=5), en) == "\n".join([
        "Reminders:", "• Fri, Dec 13, 2024, 06:30 (2 hours before the start)"])
    assert reminders_text(workshop(), now, en) == "No reminders"
    assert before_text(870, en) == "14 hours, 30 minutes"
    assert before_text(1530, km) == "១ ថ្ងៃ ១ ម៉ោង ៣០ នាទី"


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_typed_reminder_time_is_added_and_wrong_ones_are_explained(bot, telegram, db, clock, _):
    coordinator = await coordinator_in(telegram, _)
    await up_to_the_reminders(coordinator, _)
    assert reminders_text(workshop(1440, 120), clock.now(), _) in coordinator.last.text
    assert preset_buttons(coordinator.last) == [
        before_text(10080, _), "✓ " + before_text(1440, _), before_text(180, _), "✓ " + before_text(120, _),
        before_text(60, _), before_text(30, _)]

    await coordinator.send("១២/១២/២០២៤ ១៨:០០")  # the evening before, typed in Khmer digits
    assert reminders_text(workshop(1440, 870, 120), clock.now(), _) in coordinator.last.text
    await coordinator.send("07:00")  # a time alone is on the day of the start
    assert reminders_text(workshop(1440, 870, 120, 90), clock.now(), _) in coordinator.last.text

    for typed, expected in (
            ("09:00", _("A reminder must come before the start ({start}). Please type another time.").format(
                start=_.datetime(START, PHNOM_PENH, "short"))),
            ("30/11/2024 10:00", _("That time has already passed. Please type a date and time still to come.")),
            ("tomorrow", _("I could not read that. Please type a time like 17:00, or a date and time like "
                           "14/12/2024 12:00."))):
        await coordinator.send(typed)
        assert coordinator.last.text == expected
    assert (await draft_of(db, COORDINATOR_ID)).data["reminder_minutes"] == [1440, 870, 120, 90]

    await coordinator.press(before_text(30, _))
    await coordinator.press(before_text(60, _))
    await coordinator.press(before_text(180, _))
    assert telegram.callback_answers[-1]["text"] == _(
        "There can be at most {limit} reminders. Remove one before adding another.").format(limit=_.number(6))
    await coordinator.send("12/12/2024 12:00")
    assert coordinator.last.text == _(
        "There can be at most {limit} reminders. Remove one before adding another.").format(limit=_.number(6))
    await coordinator.press("✓ " + before_text(1440, _))
    await coordinator.press("✅ " + _("Done"))

    assert (await draft_of(db, COORDINATOR_ID)).data["reminder_minutes"] == [870, 120, 90, 60, 30]


async def test_reminders_already_sent_or_passed_are_no_longer_listed_for_a_published_event(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    await up_to_the_reminders(coordinator, en)
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("🚀 " + en("Publish"))

    clock.set(START - timedelta(hours=3))
    await coordinator.command("events")
    listing = next(m for m in reversed(coordinator.messages) if en("Upcoming events") in (m.text or ""))
    await coordinator.press(f"1. {TITLE_EN}", message=listing)

    details = telegram.message(COORDINATOR_ID, listing.message_id).text
    assert en("Link to the invitation:") in details
    assert "⏰ " + reminders_text(workshop(120), clock.now(), en) in details
    assert "(1 day" not in details


async def test_the_keep_button_of_an_earlier_reminders_screen_still_moves_on(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    await up_to_the_reminders(coordinator, en)

    await coordinator.press_data("evn:rem:keep")

    draft = await draft_of(db, COORDINATOR_ID)
    assert (draft.step, draft.data["reminder_minutes"]) == ("audience", [1440, 120])
