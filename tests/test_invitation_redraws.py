"""A member's invitation keeps showing where they stand: redrawn when a seat frees for them, when the queue
moves, when the event is changed or cancelled; only one message shows their answer; and no edit is sent
that would change nothing (Telegram refuses those, and each refusal costs sending budget)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.event_text import invitation_text
from bot.i18n import translator
from bot.models import Delivery, Event, Rsvp
from bot.services import events, rsvps
from handlers.events.redraws import redraw_due, redraws_done
from tests.helpers_events import (
    TITLE_EN,
    VENUE,
    coordinator_in,
    edit_calls,
    invite,
    make_event,
    members_of,
    refused_edits,
    title_in,
)
from tests.helpers_outbox import wait_done

en = translator("en")
km = translator("km")


def going(_, position: int | None = None) -> str:
    if position is None:
        return _("✅ Your answer: {answer}").format(answer=_("Going"))
    return _("⏳ The event is full: you are number {position} on the waiting list.").format(
        position=_.number(position))


async def promotion_sent(bot, db) -> None:
    async with db.session() as session:
        deliveries = (await session.scalars(select(Delivery).where(Delivery.kind == rsvps.PROMOTED_KIND))).all()
    for delivery in deliveries:
        await wait_done(bot, db, delivery.id)


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_promoted_member_and_the_queue_behind_see_their_invitations_redrawn(bot, telegram, db, clock, _):
    seated, first, second = await members_of(db, telegram, clock, _.language, 601, 602, 603)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [601, 602, 603])
    invitations = {user.id: user.last.message_id for user in (seated, first, second)}
    for user in (seated, first, second):
        await user.press(_("Going"), message=telegram.message(user.id, invitations[user.id]))

    waiting = telegram.message(602, invitations[602])
    assert going(_, 1) in waiting.text
    assert waiting.button_texts() == ["⏳ " + _("Waiting list"), _("Maybe"), _("Can't go")]
    assert going(_, 2) in telegram.message(603, invitations[603]).text
    edits_before = len(telegram.calls("editMessageText"))

    await seated.press(_("Can't go"), message=telegram.message(601, invitations[601]))
    await redraws_done(bot.app)
    await promotion_sent(bot, db)

    promoted = telegram.message(602, invitations[602])
    assert promoted.text == invitation_text(await event_of(db, event_id), _) + "\n\n" + going(_)
    assert promoted.button_texts() == ["✅ " + _("Going"), _("Maybe"), _("Can't go")]
    assert going(_, 1) in telegram.message(603, invitations[603]).text
    # The seated member's own press, then one redraw for the promoted member and one for the one behind.
    assert len(telegram.calls("editMessageText")) == edits_before + 3
    assert refused_edits(telegram, 601, 602, 603) == 0
    assert first.last.text.startswith(_("🎉 A seat has become free for you at <b>{title}</b>: you are now going!")
                                      .format(title=title_in(_)))


async def event_of(db, event_id: int) -> Event:
    async with db.session() as session:
        return await session.get(Event, event_id)


async def test_a_waiting_member_who_gives_up_moves_the_one_behind_up_on_their_invitation(bot, telegram, db, clock):
    seated, leaving, behind = await members_of(db, telegram, clock, "km", 611, 612, 613)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [611, 612, 613])
    invitation = {user.id: user.last.message_id for user in (seated, leaving, behind)}
    for user in (seated, leaving, behind):
        await user.press(km("Going"), message=telegram.message(user.id, invitation[user.id]))

    await leaving.press(km("Can't go"), message=telegram.message(612, invitation[612]))
    await redraws_done(bot.app)

    assert going(km, 1) in telegram.message(613, invitation[613]).text
    assert telegram.message(612, invitation[612]).button_texts() == [km("Going"), km("Maybe"), "✅ " + km("Can't go")]
    assert going(km) in telegram.message(611, invitation[611]).text  # the seated member's invitation is untouched
    assert telegram.message(611, invitation[611]).edit_count == 1
    assert refused_edits(telegram, 611, 612, 613) == 0


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_pressing_the_same_answer_again_sends_no_edit(bot, telegram, db, clock, _):
    [user] = await members_of(db, telegram, clock, _.language, 621)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [621])
    await user.press(_("Going"))
    calls = edit_calls(telegram)

    await user.press("✅ " + _("Going"))
    await user.press("✅ " + _("Going"))

    assert edit_calls(telegram) == calls
    assert telegram.callback_answers[-1]["text"] == _("Your answer is unchanged.")
    assert refused_edits(telegram, 621) == 0

    # The same for a member on the waiting list pressing their ⏳ button.
    [waiting] = await members_of(db, telegram, clock, _.language, 622)
    await invite(bot, db, clock, event_id, [622])
    await waiting.press(_("Going"))
    calls = edit_calls(telegram)
    await waiting.press("⏳ " + _("Waiting list"))
    assert edit_calls(telegram) == calls
    assert refused_edits(telegram, 621, 622) == 0


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_changed_venue_redraws_the_invitations_of_members_who_answered(bot, telegram, db, clock, _):
    coordinator = await coordinator_in(telegram, en)
    answered, silent = await members_of(db, telegram, clock, _.language, 631, 632)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [631, 632])
    invitation = answered.last
    await answered.press(_("Maybe"))

    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("✏️ " + en("Edit"))
    await coordinator.press(en("Venue"))
    await coordinator.send("Sokha Hotel, Phnom Penh")
    await coordinator.press("✅ " + en("Save"))
    await redraws_done(bot.app)

    redrawn = telegram.message(631, invitation.message_id)
    assert "📍 Sokha Hotel, Phnom Penh" in redrawn.text and VENUE not in redrawn.text
    assert _("✅ Your answer: {answer}").format(answer=_("Maybe")) in redrawn.text
    assert redrawn.button_texts() == [_("Going"), "✅ " + _("Maybe"), _("Can't go")]
    assert telegram.messages(632)[0].edit_count == 0  # no answer, nothing shown to redraw
    assert refused_edits(telegram, 631, 632) == 0


async def test_a_change_that_leaves_a_members_invitation_as_it_was_sends_no_edit(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    english, khmer = await members_of(db, telegram, clock, "en", 641) + await members_of(db, telegram, clock, "km", 642)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [641, 642])
    for user in (english, khmer):
        await user.press(translator(user.language_code)("Going"))
    edits = {user.id: user.messages[0].edit_count for user in (english, khmer)}

    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("✏️ " + en("Edit"))
    await coordinator.press(en("Title in Khmer"))
    await coordinator.send("សិក្ខាសាលាថ្មី")
    await coordinator.press("✅ " + en("Save"))
    await redraws_done(bot.app)

    assert english.messages[0].edit_count == edits[641]  # the English invitation reads as before
    assert khmer.messages[0].edit_count == edits[642] + 1
    assert khmer.messages[0].text.startswith("<b>សិក្ខាសាលាថ្មី</b>")
    assert refused_edits(telegram, 641, 642) == 0


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_cancelled_event_shows_so_on_the_invitation_without_answer_buttons(bot, telegram, db, clock, _):
    coordinator = await coordinator_in(telegram, en)
    [user] = await members_of(db, telegram, clock, _.language, 651)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [651])
    invitation = user.last
    await user.press(_("Going"))

    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("❌ " + en("Cancel the event"))
    await coordinator.press("❌ " + en("Yes, cancel the event"))
    await redraws_done(bot.app)

    redrawn = telegram.message(651, invitation.message_id)
    assert redrawn.text.endswith(going(_) + "\n\n❌ " + _("This event has been cancelled."))
    assert not redrawn.has_inline_keyboard


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_only_the_latest_message_shows_the_answer(bot, telegram, db, clock, _):
    [user] = await members_of(db, telegram, clock, _.language, 661)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [661])
    invitation = user.last
    await user.press(_("Maybe"))

    await user.command("start", f"ev_{event_id}")
    opened = user.last
    assert _("✅ Your answer: {answer}").format(answer=_("Maybe")) in opened.text

    event = await event_of(db, event_id)
    first = telegram.message(661, invitation.message_id)
    assert first.text == invitation_text(event, _)
    assert first.button_texts() == [_("Going"), _("Maybe"), _("Can't go")]

    # A change the member did not make reaches the message that shows their answer.
    async with db.session() as session:
        await events.apply_change(session, event_id, {"venue": "Sunway Hotel, Phnom Penh"}, clock.now())
        await rsvps.event_changed(session, event_id, clock.now())
    await redraw_due(bot.app)
    assert "Sunway Hotel" in telegram.message(661, opened.message_id).text
    assert telegram.message(661, invitation.message_id).text == invitation_text(event, _)
    assert refused_edits(telegram, 661) == 0


async def test_redraws_left_by_a_stopped_bot_are_done_at_the_next_start(bot, telegram, db, clock):
    [user] = await members_of(db, telegram, clock, "en", 671)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [671])
    invitation = user.last
    await user.press(en("Going"))
    await bot.stop()
    async with db.session() as session:
        await events.apply_change(session, event_id, {"venue": "Sunway Hotel, Phnom Penh"}, clock.now())
        assert await rsvps.event_changed(session, event_id, clock.now()) == 1
    # A pass that claimed the row and died leaves it claimed until its lease runs out.
    async with db.session() as session:
        await session.execute(update(Rsvp).values(redraw_at=clock.now() + timedelta(seconds=30)))
    clock.advance(timedelta(seconds=31))

    await bot.start()
    await telegram.wait_for(lambda: "Sunway Hotel" in (telegram.message(671, invitation.message_id).text or ""))
    await redraws_done(bot.app)  # the edit is out; the pass records it next

    async with db.session() as session:
        assert (await session.scalar(select(Rsvp))).redraw_at is None
    assert refused_edits(telegram, 671) == 0
