"""A press that would redraw a screen exactly as it is sends no edit: Telegram refuses those ("message is
not modified") and each refusal costs a slot of the sending budget. The second tap of a double tap comes
with the message already redrawn by the first."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from handlers.events.inplace import rendered
from tests.conftest import COORDINATOR_ID
from bot.fakeapi import parse_html
from tests.helpers_events import TITLE_EN, coordinator_in, edit_calls, only_event, quick_event, refused_edits
from tests.helpers_workshop import WORKSHOP_START, coordinator, create_event

en = translator("en")
km = translator("km")


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_double_tap_on_a_coordinators_event_sends_one_edit(bot, telegram, db, clock, _):
    coordinator_user = await coordinator_in(telegram, _)
    await quick_event(coordinator_user, _)
    event = await only_event(db)
    await coordinator_user.command("events")
    listing = next(m for m in reversed(coordinator_user.messages) if _("Upcoming events") in (m.text or ""))
    await coordinator_user.press(f"{_.number(1)}. {TITLE_EN}", message=listing)
    assert listing.edit_count == 1 and edits_of(telegram, listing) == 1

    await coordinator_user.press_data(f"evm:open:{event.id}", message=listing)
    await coordinator_user.press_data("evm:list", message=listing)
    await coordinator_user.press_data("evm:list", message=listing)

    assert listing.edit_count == 2 and edits_of(telegram, listing) == 2


def edits_of(telegram, message) -> int:
    """Edits asked of one message (the delivery reports edit messages of their own in the same chat)."""
    return sum(1 for method in ("editMessageText", "editMessageReplyMarkup") for call in telegram.calls(method)
               if call.get("message_id") == message.message_id and call.get("chat_id") == message.chat_id)


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_double_tap_on_the_check_in_menu_sends_one_edit(bot, telegram, db, clock, _):
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, _.language)
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    listing = boss.last
    calls = edit_calls(telegram)

    await boss.press_data(f"ci:ev:{event.id}", message=listing)
    await boss.press_data(f"ci:ev:{event.id}", message=listing)

    assert edit_calls(telegram) == calls + 1
    assert refused_edits(telegram, COORDINATOR_ID) == 0


@pytest.mark.parametrize("html", [
    "<b>សិក្ខាសាលា</b>\n\n🗓 Fri, 08:30 – 17:00\n📍 Rice &amp; &lt;b&gt;Beans&lt;/b&gt;",
    '⏰ <b>Reminder</b> 😀 <a href="https://example.org/?a=1&amp;b=2">map</a> <i>x</i>',
    "Nothing formatted at all",
])
def test_html_is_read_as_telegram_reads_it(html):
    plain, entities = parse_html(html)
    assert rendered(html) == (plain, sorted((e["type"], e["offset"], e["length"], e.get("url")) for e in entities))
