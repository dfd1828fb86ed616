"""Coordinators' events: /newevent from the first question to the invitations, /events with counts,
changing, postponing and cancelling; members' /events; the date parsing and counts behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.event_text import deep_link, invitation_text, when
from bot.i18n import translator
from bot.models import CheckIn, Delivery, Event, Member, OutboxMessage, Reminder, Rsvp
from bot.services import events, rsvps
from bot.services.events import InvalidInput
from handlers.events import callbacks
from handlers.events.screens import reminders_text, rsvp_buttons
from tests.conftest import COORDINATOR_ID
from tests.helpers_events import (
    END,
    PHNOM_PENH,
    START,
    TITLE_EN,
    TITLE_KM,
    VENUE,
    coordinator_in,
    draft_of,
    only_event,
    quick_event,
)
from tests.helpers_members import register, seed_members
from tests.helpers_outbox import wait_done

en = translator("en")
km = translator("km")
DESCRIPTION_EN = "Farmers, civil society and government discuss agroecology policy in Cambodia."
DESCRIPTION_KM = "កសិករ សង្គមស៊ីវិល និងរដ្ឋាភិបាល ពិភាក្សាអំពីគោលនយោបាយកសិអេកូឡូស៊ីនៅកម្ពុជា។"
CAMBODIANA = (11.5564, 104.9282)
AGENDA = ("08:30 Registration\n09:00 Opening remarks\n09:30 Agroecology policy in Cambodia\n"
          "13:30 Group discussions by theme\n16:30 Next steps: a Policy Working Group")


def workshop_time() -> Event:
    return Event(starts_at=START, ends_at=END, timezone="Asia/Phnom_Penh")


async def send_location(user, latitude: float, longitude: float) -> int:
    """A map location shared with 📎 → Location."""
    return await user.send_update({"message": user._message(location={"latitude": latitude, "longitude": longitude})})


async def deliveries(db, kind: str) -> list[Delivery]:
    async with db.session() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


async def answer(db, clock, event_id: int, member_telegram_id: int, reply: str, waitlisted: bool = False) -> None:
    """An answer to the invitation, straight in the database."""
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == member_telegram_id))
        session.add(Rsvp(event_id=event_id, member_id=member.id, answer=reply, waitlisted=waitlisted,
                         waitlisted_at=clock.now() if waitlisted else None, created_at=clock.now(),
                         updated_at=clock.now()))


# ---------------------------------------------------------------- /newevent end to end


async def test_coordinator_creates_the_workshop_in_khmer_and_only_the_chosen_segment_is_invited(
        bot, telegram, db, clock):
    members = await seed_members(db, telegram, clock, 6, province="12")
    women = [i for i in members if i % 3 == 0]  # seed_members makes every third member a woman
    coordinator = await coordinator_in(telegram, km)

    await coordinator.command("newevent")
    assert coordinator.last.text == km("What is the event's title in {language}? (Up to {limit} characters.)").format(
        language=km("Khmer"), limit="២០០")
    await coordinator.send(TITLE_KM)
    assert km("Use it for both languages") in coordinator.last.button_texts()
    assert TITLE_KM in coordinator.last.text
    await coordinator.send(TITLE_EN)
    await coordinator.send(DESCRIPTION_KM)
    await coordinator.press(km("Use it for both languages"))

    await coordinator.send("១៣/១២/២០២៤ ០៨:៣០")
    await coordinator.send("១៧:០០")
    assert coordinator.last.text == "🗓 " + when(workshop_time(), km) + "\n\n" + km("Is this the right date and time?")
    await coordinator.press("✅ " + km("Yes, that's right"))
    await coordinator.send(VENUE)
    await send_location(coordinator, *CAMBODIANA)
    await coordinator.send("៦០")
    await coordinator.send("១០/១២/២០២៤ ១៧:០០")
    await coordinator.send(AGENDA)
    planned = Event(starts_at=START, ends_at=END, timezone="Asia/Phnom_Penh", reminder_minutes=[1440, 120])
    assert reminders_text(planned, clock.now(), km) in coordinator.last.text
    await coordinator.press("✅ " + km("Done"))

    # The audience: women in Phnom Penh (the coordinator, a woman in Kampot, is left out).
    assert km("All members") in coordinator.last.text
    await coordinator.press(km("Woman"))
    assert "✓ " + km("Woman") in coordinator.last.button_texts()
    await coordinator.press("📍 " + km("Provinces") + " ▸")
    await coordinator.press("រាជធានីភ្នំពេញ")
    assert "✓ រាជធានីភ្នំពេញ" in coordinator.last.button_texts()
    await coordinator.press("◀ " + km("Back"))
    picker = coordinator.last
    assert km.ngettext("{count} member: {languages}", "{count} members: {languages}", 2).format(
        count="២", languages="ភាសាខ្មែរ ១ · English ១") in picker.text
    assert "📍 " + km("Provinces ({count} chosen)").format(count="១") + " ▸" in picker.button_texts()
    await coordinator.press("✅ " + km("Done"))

    # The preview: each language's invitation exactly as members get it, then the rest and the actions.
    header, preview_km, preview_en, summary = coordinator.messages[-4:]
    event = await only_event(db)
    assert event.status == "draft"
    assert header.text == km("<b>Preview</b>: this is the invitation exactly as members will see it, in each language.")
    assert preview_km.text == invitation_text(event, km) and preview_en.text == invitation_text(event, en)
    assert "📍 " + VENUE in preview_km.text and DESCRIPTION_KM in preview_en.text
    assert preview_km.button_texts() == [label for row in rsvp_buttons(event.id, km) for label, _d in row]
    assert preview_en.button_texts() == [en("Going"), en("Maybe"), en("Can't go")]
    assert "09:30 Agroecology policy in Cambodia" in summary.text
    assert km("Map location: {latitude}, {longitude}").format(latitude=11.5564, longitude=104.9282) in summary.text
    await coordinator.press(en("Going"), message=preview_en)
    assert telegram.callback_answers[-1]["text"] == km("This is a preview: members will answer with these buttons.")

    await coordinator.press("🚀 " + km("Publish"))
    event = await only_event(db)
    assert (event.status, event.title_km, event.title_en) == ("published", TITLE_KM, TITLE_EN)
    assert (event.description_en, event.description_km) == (DESCRIPTION_KM, DESCRIPTION_KM)
    assert (event.starts_at, event.ends_at, event.timezone) == (START, END, "Asia/Phnom_Penh")
    assert (event.latitude, event.longitude, event.capacity) == (*CAMBODIANA, 60)
    assert event.rsvp_deadline == datetime(2024, 12, 10, 17, 0, tzinfo=PHNOM_PENH).astimezone(UTC)
    assert event.agenda == AGENDA
    assert event.audience == {"genders": ["woman"], "provinces": ["12"]}
    published = telegram.message(COORDINATOR_ID, summary.message_id)
    assert deep_link(telegram.bot_username, event) in published.text
    assert km.ngettext("The invitation is being sent to {count} member. You will see the progress below.",
                       "The invitation is being sent to {count} members. You will see the progress below.",
                       2).format(count="២") in published.text

    [delivery] = await deliveries(db, "invitation")
    await wait_done(bot, db, delivery.id)
    for i in members:
        received = telegram.messages(i)
        if i not in women:
            assert received == []
            continue
        _ = km if i % 2 else en
        [invitation] = received
        assert invitation.text == invitation_text(event, _)
        assert [b["callback_data"] for row in invitation.buttons() for b in row] == [
            callbacks.ANSWER.data(event.id, "y"), callbacks.ANSWER.data(event.id, "m"),
            callbacks.ANSWER.data(event.id, "n")]
        assert invitation.button_texts() == [_("Going"), _("Maybe"), _("Can't go")]
    # The delivery report follows the last window of the delivery, in the background.
    await telegram.wait_for(lambda: km("Delivery report") in (coordinator.last.text or ""))
    async with db.session() as session:
        planned = (await session.scalars(select(Reminder).order_by(Reminder.minutes_before))).all()
    assert [(r.minutes_before, r.due_at, r.status) for r in planned] == [
        (120, START - timedelta(hours=2), "scheduled"), (1440, START - timedelta(days=1), "scheduled")]
    assert await draft_of(db, COORDINATOR_ID) is None


async def test_coordinator_creates_an_event_in_english_and_every_wrong_answer_is_explained(bot, telegram, db, clock):
    await seed_members(db, telegram, clock, 3)
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("newevent")
    await coordinator.send("<b>Policy</b> & <Dialogue>")
    assert "&lt;b&gt;Policy&lt;/b&gt; &amp; &lt;Dialogue&gt;" in coordinator.last.text
    await coordinator.send(TITLE_KM)

    too_long = "ក" * 3000
    await coordinator.send(too_long)
    assert coordinator.last.text == en(
        "That is too long ({length} characters). Please keep it to {limit} characters or fewer.").format(
        length="3,000", limit="2,000")
    assert (await draft_of(db, COORDINATOR_ID)).step == "description_en"
    await coordinator.send(DESCRIPTION_EN)
    await coordinator.send(DESCRIPTION_KM)

    for typed, reason in (("31/02/2024 08:30", "impossible"), ("next Friday", "format"),
                          ("01/11/2024 08:30", "past")):
        await coordinator.send(typed)
        assert coordinator.last.text == en(
            {"impossible": "There is no such date or time. Please check the day, the month and the hour.",
             "format": "I could not read that date. Please type it like this: 13/12/2024 08:30",
             "past": "That time has already passed. Please type a date and time still to come."}[reason])
        draft = await draft_of(db, COORDINATOR_ID)
        assert draft.step == "start" and "starts_at" not in draft.data
    await coordinator.send("13/12/2024 08:30")
    await coordinator.send("07:00")
    assert coordinator.last.text == en("The end must be after the start ({start}). Please type the end again.").format(
        start=en.datetime(START, PHNOM_PENH, "short"))
    await coordinator.send("17:00")

    # Changing the time from the confirmation asks both again.
    await coordinator.press("✏️ " + en("Change it"))
    await coordinator.send("13/12/2024 08:00")
    await coordinator.send("13/12/2024 17:00")
    earlier = Event(starts_at=START - timedelta(minutes=30), ends_at=END, timezone="Asia/Phnom_Penh")
    assert coordinator.last.text.startswith("🗓 " + when(earlier, en))
    await coordinator.press("✏️ " + en("Change it"))
    await coordinator.send("13/12/2024 08:30")
    await coordinator.send("17:00")
    await coordinator.press("✅ " + en("Yes, that's right"))

    await coordinator.send(VENUE)
    await coordinator.send("the hotel by the river")
    assert coordinator.last.text == en(
        "Please send a location: tap 📎, then Location. Or press “No map location”.")
    await coordinator.press(en("No map location"))
    await coordinator.send("sixty")
    assert coordinator.last.text == en("Please type the number of seats as a whole number, for example 60.")
    await coordinator.send("60")
    await coordinator.send("14/12/2024 08:00")
    assert coordinator.last.text == en("The deadline must be before the start ({start}). Please type it again.").format(
        start=en.datetime(START, PHNOM_PENH, "short"))
    await coordinator.press(en("No deadline"))
    await coordinator.press(en("No agenda"))
    await coordinator.send("keep them")
    assert coordinator.last.text == en("I could not read that. Please type a time like 17:00, or a date and time "
                                       "like 14/12/2024 12:00.")
    await coordinator.press("🔕 " + en("No reminders"))
    await coordinator.press("✅ " + en("Done"))

    _header, preview_km, preview_en, summary = coordinator.messages[-4:]
    assert "<b>&lt;b&gt;Policy&lt;/b&gt; &amp; &lt;Dialogue&gt;</b>" in preview_en.text
    assert preview_en.plain_text.startswith("<b>Policy</b> & <Dialogue>")
    assert preview_km.plain_text.startswith(TITLE_KM)
    assert en("No reminders") in summary.text and en("No agenda") in summary.text

    # Correcting one part from the preview comes back to the preview.
    await coordinator.press("✏️ " + en("Edit a field"))
    await coordinator.press(en("Venue"))
    await coordinator.send("Cambodiana Hotel, 313 Sisowath Quay, Phnom Penh")
    _header, _km, preview_en, summary = coordinator.messages[-4:]
    assert "📍 Cambodiana Hotel, 313 Sisowath Quay, Phnom Penh" in preview_en.text
    await coordinator.press("✏️ " + en("Edit a field"))
    await coordinator.press(en("Title"))
    await coordinator.press(en("Keep as it is"))
    await coordinator.press(en("Keep as it is"))
    assert coordinator.messages[-2].plain_text.startswith("<b>Policy</b> & <Dialogue>")

    await coordinator.press("🚀 " + en("Publish"))
    event = await only_event(db)
    assert event.status == "published" and event.title_en == "<b>Policy</b> & <Dialogue>"
    assert event.reminder_minutes == [] and event.venue == "Cambodiana Hotel, 313 Sisowath Quay, Phnom Penh"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Reminder)) == 0
    [delivery] = await deliveries(db, "invitation")
    await wait_done(bot, db, delivery.id)
    assert delivery.total == 4  # the three members and the coordinator, everyone


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_the_title_is_asked_in_the_coordinators_language_then_in_the_other_with_one_for_both(
        bot, telegram, db, _):
    own, other = (_("English"), _("Khmer")) if _.language == "en" else (_("Khmer"), _("English"))
    title = TITLE_EN if _.language == "en" else TITLE_KM
    coordinator = await coordinator_in(telegram, _)
    await coordinator.command("newevent")
    assert coordinator.last.text == _("What is the event's title in {language}? (Up to {limit} characters.)").format(
        language=own, limit=_.number(events.TITLE_MAX))
    await coordinator.send(title)
    assert coordinator.last.text == _("{language}: {sentence}").format(language=own, sentence=f"<b>{title}</b>") + \
        "\n\n" + _("Type the title in {language}, or press the button to use the same title in both languages.").format(
            language=other)
    assert coordinator.last.button_texts() == [_("Use it for both languages")]
    await coordinator.press(_("Use it for both languages"))
    assert coordinator.last.text.startswith(_("Type a description in {language}: what the event is about and who "
                                              "should come (up to {limit} characters).").format(
        language=own, limit=_.number(events.DESCRIPTION_MAX)))
    assert coordinator.last.button_texts() == [_("No description")]
    draft = await draft_of(db, COORDINATOR_ID)
    assert (draft.step, draft.data["title_en"], draft.data["title_km"]) == (f"description_{_.language}", title, title)


async def test_same_and_skip_buttons_sent_before_they_named_their_question_still_answer_it(bot, telegram, db):
    coordinator = await coordinator_in(telegram, km)
    await coordinator.command("newevent")
    await coordinator.send(TITLE_KM)
    await coordinator.press_data("evn:both")
    await coordinator.press_data("evn:skip:desc")
    draft = await draft_of(db, COORDINATOR_ID)
    assert (draft.step, draft.data["title_en"], draft.data["description_km"], draft.data["description_en"]) == (
        "start", TITLE_KM, "", "")


async def test_a_long_title_is_refused_and_the_question_stays(bot, telegram, db):
    coordinator = await coordinator_in(telegram, km)
    await coordinator.command("newevent")
    await coordinator.send("ក" * 201)
    assert coordinator.last.text == km(
        "That is too long ({length} characters). Please keep it to {limit} characters or fewer.").format(
        length="២០១", limit="២០០")
    assert (await draft_of(db, COORDINATOR_ID)).data["title_km"] == ""


async def test_a_restart_in_the_middle_of_newevent_resumes_where_the_coordinator_was(bot, telegram, db):
    coordinator = await coordinator_in(telegram, km)
    await coordinator.command("newevent")
    await coordinator.send(TITLE_KM)
    await coordinator.press(km("Use it for both languages"))
    await coordinator.press(km("No description"))
    await coordinator.send("13/12/2024 08:30")

    await bot.restart()
    await coordinator.send("17:00")
    assert coordinator.last.text.startswith("🗓 " + when(workshop_time(), km))

    await bot.restart()
    await coordinator.command("newevent")
    assert coordinator.last.text.startswith(km("You have an unfinished event. Continue it, or start again?"))
    await coordinator.press("▶ " + km("Continue"))
    assert coordinator.last.text.startswith("🗓 " + when(workshop_time(), km))
    await coordinator.press("✅ " + km("Yes, that's right"))
    await coordinator.send(VENUE)
    draft = await draft_of(db, COORDINATOR_ID)
    assert (draft.step, draft.data["title_en"], draft.data["venue"]) == ("location", TITLE_KM, VENUE)

    # Starting again forgets the unfinished one.
    await coordinator.command("newevent")
    await coordinator.press("🔄 " + km("Start again"))
    draft = await draft_of(db, COORDINATOR_ID)
    assert (draft.step, draft.data["title_km"], draft.data["venue"]) == ("title_km", "", "")


async def test_discarding_the_preview_sends_nothing_and_leaves_no_event(bot, telegram, db, clock):
    await seed_members(db, telegram, clock, 2)
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("newevent")
    await coordinator.send(TITLE_EN)
    await coordinator.press(en("Use it for both languages"))
    await coordinator.press(en("No description"))
    await coordinator.send("13/12/2024 08:30")
    await coordinator.send("17:00")
    await coordinator.press("✅ " + en("Yes, that's right"))
    await coordinator.send(VENUE)
    await coordinator.press(en("No map location"))
    await coordinator.press(en("No limit"))
    await coordinator.press(en("No deadline"))
    await coordinator.press(en("No agenda"))
    await coordinator.press("✅ " + en("Done"))
    await coordinator.press("✅ " + en("Done"))
    summary = coordinator.last
    await coordinator.press("🗑 " + en("Discard"))
    assert telegram.message(COORDINATOR_ID, summary.message_id).text == en("The draft was discarded. Nothing was sent.")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0
    assert await draft_of(db, COORDINATOR_ID) is None
    await coordinator.press_data("evn:publish:1", message=summary)
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")


async def test_pressing_publish_twice_publishes_once_and_invites_each_member_once(bot, telegram, db, clock):
    members = await seed_members(db, telegram, clock, 4)
    coordinator = await coordinator_in(telegram, en)
    await quick_event(coordinator, en)
    event = await only_event(db)
    summary = next(m for m in coordinator.messages if deep_link(telegram.bot_username, event) in (m.text or ""))
    await coordinator.press_data(f"evn:publish:{event.id}", message=summary)
    assert telegram.callback_answers[-1]["text"] == en("This event is already published.")

    [delivery] = await deliveries(db, "invitation")
    await wait_done(bot, db, delivery.id)
    for i in members:
        assert len(telegram.messages(i)) == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Reminder)) == 2


async def test_an_event_whose_start_passed_while_in_preview_is_not_published(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("newevent")
    await coordinator.send(TITLE_EN)
    await coordinator.press(en("Use it for both languages"))
    await coordinator.press(en("No description"))
    await coordinator.send("02/12/2024 08:30")
    await coordinator.send("17:00")
    await coordinator.press("✅ " + en("Yes, that's right"))
    await coordinator.send(VENUE)
    for label in (en("No map location"), en("No limit"), en("No deadline"), en("No agenda"),
                  "✅ " + en("Done"), "✅ " + en("Done")):
        await coordinator.press(label)
    clock.advance(timedelta(days=2))
    await coordinator.press("🚀 " + en("Publish"))
    assert telegram.callback_answers[-1]["text"] == en(
        "The start time has passed. Please change the date and time before publishing.")
    assert (await only_event(db)).status == "draft"


# ---------------------------------------------------------------- who may do what


async def test_members_cannot_create_events_or_use_coordinator_buttons(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    await quick_event(coordinator, en)
    event = await only_event(db)
    member = telegram.user(301, "Dara", language_code="km")
    await register(member, km)

    await member.command("newevent")
    assert member.last.text == km("This command is for coordinators only.")
    assert await draft_of(db, 301) is None
    for forged in (f"evm:cancelyes:{event.id}", f"evm:open:{event.id}", f"evn:publish:{event.id}",
                   "evn:aud:l:km", f"evm:field:{event.id}:venue"):
        await member.press_data(forged)
        assert telegram.callback_answers[-1]["text"] == km("This is for coordinators only.")
    assert (await only_event(db)).status == "published"


async def test_forged_or_stale_coordinator_buttons_change_nothing(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("newevent")
    for forged in ("evn:skip:capacity", "evn:time:ok", "evn:aud:done", "evn:both", "evn:keep", "evn:field:venue",
                   "evm:open:999", "evm:cancelyes:999", "evm:save:1", "evn:aud:p:99", "evm:nothing:1"):
        await coordinator.press_data(forged)
        assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    draft = await draft_of(db, COORDINATOR_ID)
    assert draft.step == "title_en" and draft.data["capacity"] is None


# ---------------------------------------------------------------- /events


async def test_coordinator_events_list_shows_invitations_answers_and_check_ins(bot, telegram, db, clock):
    members = await seed_members(db, telegram, clock, 6)
    coordinator = await coordinator_in(telegram, en)
    await quick_event(coordinator, en)
    event = await only_event(db)
    [delivery] = await deliveries(db, "invitation")
    await wait_done(bot, db, delivery.id)
    for member_id, reply, waiting in ((members[0], "going", False), (members[1], "going", False),
                                      (members[2], "maybe", False), (members[3], "no", False),
                                      (members[4], "going", True)):
        await answer(db, clock, event.id, member_id, reply, waiting)
    async with db.session() as session:
        session.add(CheckIn(event_id=event.id, method="walkin", name="Walk-in guest", checked_in_at=clock.now()))

    await coordinator.command("events")
    counts = en("Invited {invited} · Going {going} · Maybe {maybe} · Can't go {no} · Waiting list {waitlisted} · "
                "Checked in {checked_in}").format(invited="7", going="2", maybe="1", no="1", waitlisted="1",
                                                  checked_in="1")
    assert en("Upcoming events") in coordinator.last.text and counts in coordinator.last.text
    await coordinator.press(f"1. {TITLE_EN}")
    details = coordinator.last
    assert counts in details.text and deep_link(telegram.bot_username, event) in details.text
    assert details.button_texts() == ["✏️ " + en("Edit"), "⏩ " + en("Postpone"), "❌ " + en("Cancel the event"),
                                      "◀ " + en("All events")]

    # Once the event is over it is listed under past events and can no longer be changed.
    clock.advance(timedelta(days=13))
    await coordinator.command("events")
    assert en("Past events") in coordinator.last.text and en("Upcoming events") not in coordinator.last.text
    await coordinator.press(f"1. {TITLE_EN}")
    assert coordinator.last.button_texts() == ["◀ " + en("All events")]
    await coordinator.press_data(f"evm:postpone:{event.id}")
    assert telegram.callback_answers[-1]["text"] == en(
        "This event is cancelled or over, so it can no longer be changed.")


async def test_a_member_sees_their_upcoming_events_with_their_answer_and_opens_the_invitation(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    member = telegram.user(302, "Sokha", language_code="km")
    await register(member, km)
    outsider = telegram.user(303, "Vannak")
    await member.command("events")
    assert member.last.text == km("You have no upcoming events. When you are invited to one, it will appear here.")

    await quick_event(coordinator, en)
    event = await only_event(db)
    [delivery] = await deliveries(db, "invitation")
    await wait_done(bot, db, delivery.id)
    await member.command("events")
    assert "❔ " + km("You have not answered yet.") in member.last.text
    await answer(db, clock, event.id, 302, "maybe")
    await member.command("events")
    listing = member.last
    assert TITLE_EN in listing.text and "🗓 " + when(event, km) in listing.text
    assert "✅ " + km("Your answer: {answer}").format(answer=km("Maybe")) in listing.text
    await member.press(f"{km.number(1)}. {TITLE_EN}")
    assert member.last.text.startswith(invitation_text(event, km))
    assert [b["callback_data"] for row in member.last.buttons() for b in row] == [
        callbacks.ANSWER.data(event.id, "y"), callbacks.ANSWER.data(event.id, "m"),
        callbacks.ANSWER.data(event.id, "n")]

    await register(outsider, en)  # registered after the invitation went out: not invited
    await outsider.command("events")
    assert outsider.last.text == en("You have no upcoming events. When you are invited to one, it will appear here.")
    await outsider.press_data(f"evl:open:{event.id}", message=outsider.last)
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")


# ---------------------------------------------------------------- changing a published event


async def published_with_answers(bot, telegram, db, clock, coordinator, *, capacity: str | None = None, _=en):
    """The workshop published to four members, two of whom answered (one in Khmer, one in English)."""
    members = await seed_members(db, telegram, clock, 4)
    await quick_event(coordinator, _, capacity=capacity)
    event = await only_event(db)
    [delivery] = await deliveries(db, "invitation")
    await wait_done(bot, db, delivery.id)
    await answer(db, clock, event.id, members[1], "going")  # odd id: Khmer
    await answer(db, clock, event.id, members[2], "no")  # even id: English
    return event, members


async def test_postponing_tells_members_who_answered_in_their_language_and_moves_the_reminders(
        bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    event, members = await published_with_answers(bot, telegram, db, clock, coordinator)
    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("⏩ " + en("Postpone"))
    assert coordinator.last.text.startswith(en("Postponing <b>{title}</b>.").format(title=TITLE_EN))
    await coordinator.send("20/12/2024 08:30")
    await coordinator.send("12:00")
    new_time = Event(starts_at=START + timedelta(days=7), ends_at=START + timedelta(days=7, hours=3, minutes=30),
                     timezone="Asia/Phnom_Penh")
    assert f"<b>{en('Date and time')}:</b> {when(new_time, en)}" in coordinator.last.text
    assert en.ngettext("{count} member who answered will be told.", "{count} members who answered will be told.",
                       2).format(count="2") in coordinator.last.text
    await coordinator.press("✅ " + en("Save"))

    event = await only_event(db)
    assert (event.starts_at, event.ends_at) == (new_time.starts_at, new_time.ends_at)
    [update] = await deliveries(db, "event_update")
    assert update.ref_id == event.id
    await wait_done(bot, db, update.id)
    for i, _ in ((members[1], km), (members[2], en)):
        notice = telegram.messages(i)[-1]
        assert notice.text == _("🔔 <b>{title}</b> has been postponed.").format(title=TITLE_EN) + "\n\n" + \
            invitation_text(event, _)
        assert "🗓 " + when(new_time, _) in notice.text
        assert notice.button_texts() == [_("Going"), _("Maybe"), _("Can't go")]
    for i in (members[0], members[3]):
        assert len(telegram.messages(i)) == 1  # the invitation only
    async with db.session() as session:
        planned = (await session.scalars(select(Reminder).order_by(Reminder.minutes_before))).all()
    assert [(r.due_at, r.status) for r in planned] == [
        (new_time.starts_at - timedelta(hours=2), "scheduled"), (new_time.starts_at - timedelta(days=1), "scheduled")]
    jobs = {job.name for job in bot.app.job_queue.jobs()}
    assert {f"ev:reminder:{r.id}" for r in planned} <= jobs


async def test_a_new_venue_is_announced_and_seats_are_changed_quietly(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, km)
    event, members = await published_with_answers(bot, telegram, db, clock, coordinator, capacity="60", _=km)
    await coordinator.command("events")
    await coordinator.press(f"១. {TITLE_EN}")
    await coordinator.press("✏️ " + km("Edit"))
    await coordinator.press(km("Venue"))
    await coordinator.send("Sokha Hotel, Phnom Penh")
    await coordinator.press("✅ " + km("Save"))
    [update] = await deliveries(db, "event_update")
    await wait_done(bot, db, update.id)
    notice = telegram.messages(members[1])[-1]
    assert notice.text.startswith(km("🔔 The venue of <b>{title}</b> has changed.").format(title=TITLE_EN))
    assert "📍 Sokha Hotel, Phnom Penh" in notice.text

    # One member holds a seat: the seats can't go below that; a bigger number is saved without telling anyone.
    async with db.session() as session:
        (await session.get(Event, event.id)).seats_taken = 5
    await coordinator.command("events")
    await coordinator.press(f"១. {TITLE_EN}")
    await coordinator.press("✏️ " + km("Edit"))
    await coordinator.press(km("Seats"))
    await coordinator.send("0")
    assert coordinator.last.text == km("Please type the number of seats as a whole number, for example 60.")
    await coordinator.send("៣")
    assert coordinator.last.text == km(
        "{taken} seats are already taken, so there cannot be fewer seats than that.").format(taken="៥")
    await coordinator.send("៨០")
    assert coordinator.last.text == f"<b>{TITLE_EN}</b>\n\n<b>{km('Seats')}:</b> ៨០\n\n" + km("Save this change?")
    await coordinator.press("✅ " + km("Save"))
    assert (await only_event(db)).capacity == 80
    assert km("Seats taken: {taken} of {capacity}").format(taken="៥", capacity="៨០") in coordinator.last.text
    assert len(await deliveries(db, "event_update")) == 1


async def test_more_seats_give_the_first_waiting_member_a_seat(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    event, members = await published_with_answers(bot, telegram, db, clock, coordinator, capacity="1")
    async with db.session() as session:
        (await session.get(Event, event.id)).seats_taken = 1
    await answer(db, clock, event.id, members[3], "going", waitlisted=True)
    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("✏️ " + en("Edit"))
    await coordinator.press(en("Seats"))
    await coordinator.send("2")
    await coordinator.press("✅ " + en("Save"))

    [promotion] = await deliveries(db, rsvps.PROMOTED_KIND)
    await wait_done(bot, db, promotion.id)
    reader = km if members[3] % 2 else en  # seeded members with odd ids read Khmer
    assert telegram.messages(members[3])[-1].text.startswith(reader(
        "🎉 A seat has become free for you at <b>{title}</b>: you are now going!").format(title=TITLE_EN))
    event = await only_event(db)
    assert (event.capacity, event.seats_taken) == (2, 2)
    assert await deliveries(db, "event_update") == []


async def test_editing_the_english_title_keeps_the_khmer_one_and_html_stays_text(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    event, members = await published_with_answers(bot, telegram, db, clock, coordinator)
    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("✏️ " + en("Edit"))
    await coordinator.press(en("Title in English"))
    await coordinator.send("2nd Policy Dialogue <Workshop>")
    await coordinator.press("✅ " + en("Save"))
    event = await only_event(db)
    assert (event.title_en, event.title_km) == ("2nd Policy Dialogue <Workshop>", TITLE_EN)
    [update] = await deliveries(db, "event_update")
    await wait_done(bot, db, update.id)
    notice = telegram.messages(members[2])[-1]
    assert notice.text.startswith(en("🔔 The invitation to <b>{title}</b> has been updated.").format(
        title="2nd Policy Dialogue &lt;Workshop&gt;"))


async def test_cancelling_tells_members_who_answered_and_stops_reminders_and_answers(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    event, members = await published_with_answers(bot, telegram, db, clock, coordinator)
    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("❌ " + en("Cancel the event"))
    assert en.ngettext("{count} member who answered will be told, and no more reminders will be sent.",
                       "{count} members who answered will be told, and no more reminders will be sent.",
                       2).format(count="2") in coordinator.last.text
    await coordinator.press("◀ " + en("No, keep it"))
    assert (await only_event(db)).status == "published"
    await coordinator.press("❌ " + en("Cancel the event"))
    await coordinator.press("❌ " + en("Yes, cancel the event"))

    event = await only_event(db)
    assert event.status == "cancelled"
    [notice_delivery] = await deliveries(db, "event_cancelled")
    await wait_done(bot, db, notice_delivery.id)
    for i, _ in ((members[1], km), (members[2], en)):
        assert telegram.messages(i)[-1].text == _(
            "❌ <b>{title}</b> ({when}) has been cancelled. We are sorry for any inconvenience.").format(
            title=TITLE_EN, when=when(event, _))
    assert len(telegram.messages(members[0])) == 1
    async with db.session() as session:
        statuses = set(await session.scalars(select(Reminder.status)))
    assert statuses == {"cancelled"}
    assert not [job for job in bot.app.job_queue.jobs() if job.name.startswith("ev:reminder:")]

    # The invitation's answer buttons now say the event is cancelled.
    member = telegram.user(members[0], "Member")
    await member.press(en("Going"))
    assert telegram.callback_answers[-1]["text"] == en("This event has been cancelled.")
    # Cancelling again, or changing it, is refused.
    await coordinator.press_data(f"evm:cancelyes:{event.id}")
    assert telegram.callback_answers[-1]["text"] == en(
        "This event is cancelled or over, so it can no longer be changed.")
    await coordinator.command("events")
    assert "❌ " + en("Cancelled") in coordinator.last.text


async def test_a_postponement_to_a_past_time_is_refused_and_changes_nothing(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    event, members = await published_with_answers(bot, telegram, db, clock, coordinator)
    await coordinator.command("events")
    await coordinator.press(f"1. {TITLE_EN}")
    await coordinator.press("⏩ " + en("Postpone"))
    await coordinator.send("30/02/2025 08:30")
    assert coordinator.last.text == en("There is no such date or time. Please check the day, the month and the hour.")
    await coordinator.send("30/11/2024 08:30")
    assert coordinator.last.text == en("That time has already passed. Please type a date and time still to come.")
    await coordinator.press(en("Keep as it is"))
    assert await draft_of(db, COORDINATOR_ID, "event_edit") is None
    assert (await only_event(db)).starts_at == START
    assert await deliveries(db, "event_update") == []


# ---------------------------------------------------------------- the services


TZ = ZoneInfo("Asia/Phnom_Penh")
NOW = datetime(2024, 12, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["13/12/2024 08:30", "១៣/១២/២០២៤ ០៨:៣០", "13-12-2024 8:30", "13.12.24 08.30",
                                   " 13/12/2024, 08:30 "])
def test_a_typed_date_and_time_is_read_in_the_event_zone(typed):
    assert events.parse_moment(typed, TZ) == datetime(2024, 12, 13, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("typed, reason", [
    ("31/02/2024 08:30", "impossible"), ("29/02/2023 10:00", "impossible"), ("13/13/2024 08:30", "impossible"),
    ("13/12/2024 24:00", "impossible"), ("13/12/2024 08:60", "impossible"), ("13/12/2024", "format"),
    ("tomorrow", "format"), ("", "format"), ("១៣/១២/២០២៤", "format"),
])
def test_impossible_or_unreadable_dates_are_refused_with_a_reason(typed, reason):
    with pytest.raises(InvalidInput) as caught:
        events.parse_moment(typed, TZ)
    assert caught.value.reason == reason


def test_a_leap_day_exists_in_a_leap_year():
    assert events.parse_moment("29/02/2028 10:00", TZ) == datetime(2028, 2, 29, 3, 0, tzinfo=UTC)


def test_the_end_may_be_just_a_time_on_the_start_day_and_must_follow_the_start():
    start = events.parse_start("13/12/2024 08:30", TZ, NOW)
    assert events.parse_end("១៧:០០", start, TZ) == datetime(2024, 12, 13, 10, 0, tzinfo=UTC)
    assert events.parse_end("14/12/2024 12:00", start, TZ) == datetime(2024, 12, 14, 5, 0, tzinfo=UTC)
    for typed in ("08:30", "07:00", "12/12/2024 09:00"):
        with pytest.raises(InvalidInput) as caught:
            events.parse_end(typed, start, TZ)
        assert caught.value.reason == "end_before_start"


def test_a_start_or_deadline_in_the_past_and_a_deadline_after_the_start_are_refused():
    with pytest.raises(InvalidInput) as caught:
        events.parse_start("01/12/2024 09:00", TZ, NOW)  # 02:00 UTC is 09:00 in Phnom Penh: not still to come
    assert caught.value.reason == "past"
    assert events.parse_start("01/12/2024 09:01", TZ, NOW) == NOW + timedelta(minutes=1)
    start = datetime(2024, 12, 13, 1, 30, tzinfo=UTC)
    assert events.parse_deadline("10/12/2024 17:00", start, TZ, NOW) == datetime(2024, 12, 10, 10, 0, tzinfo=UTC)
    for typed, reason in (("30/11/2024 17:00", "past"), ("13/12/2024 08:30", "deadline_after_start"),
                          ("14/12/2024 08:00", "deadline_after_start")):
        with pytest.raises(InvalidInput) as caught:
            events.parse_deadline(typed, start, TZ, NOW)
        assert caught.value.reason == reason


def test_seats_texts_and_locations_are_checked():
    assert events.parse_capacity("៦០") == 60 and events.parse_capacity(" 1,000 ") == 1000
    for typed, taken, reason in (("0", 0, "capacity"), ("-5", 0, "capacity"), ("sixty", 0, "capacity"),
                                 ("2.5", 0, "capacity"), ("10", 12, "below_taken")):
        with pytest.raises(InvalidInput) as caught:
            events.parse_capacity(typed, taken)
        assert caught.value.reason == reason
    assert events.clean_title("  <b>Workshop</b>\u200b& more ") == "<b>Workshop</b> & more"
    assert events.clean_agenda("08:30 Welcome\n\n\n09:00 Talks \n") == "08:30 Welcome\n09:00 Talks"
    assert events.clean_description("Line one\n\n\n\nLine two") == "Line one\n\nLine two"
    for clean, typed, reason in ((events.clean_title, "x" * 201, "too_long"), (events.clean_title, " \u200b ", "empty"),
                                 (events.clean_description, "x" * 2001, "too_long"),
                                 (events.clean_venue, "", "empty")):
        with pytest.raises(InvalidInput) as caught:
            clean(typed)
        assert caught.value.reason == reason
    assert events.check_location(11.55641234567, 104.928) == (11.556412, 104.928)
    with pytest.raises(InvalidInput):
        events.check_location(95.0, 104.9)


async def test_publishing_is_conditional_on_the_draft_status(db, clock):
    data = {**events.new_draft_data("en", "Asia/Phnom_Penh"), "title_en": TITLE_EN, "title_km": TITLE_KM,
            "starts_at": START.isoformat(), "ends_at": END.isoformat(), "venue": VENUE}
    async with db.session() as session:
        event = await events.save_draft(session, data, created_by=COORDINATOR_ID, now=clock.now())
        event_id = event.id
    async with db.session() as session:
        first = await events.publish(session, event_id, clock.now())
        second = await events.publish(session, event_id, clock.now())
        await events.discard_draft(session, event_id)
    assert first is not None and first.status == "published" and first.published_at == clock.now()
    assert second is None
    async with db.session() as session:
        assert (await session.get(Event, event_id)).status == "published"
        assert await events.cancel(session, event_id, clock.now()) is not None
        assert await events.cancel(session, event_id, clock.now()) is None
        assert await events.change(session, event_id, {"venue": "Elsewhere"}, clock.now()) is None


async def test_counts_come_from_invitations_answers_and_check_ins(db, telegram, clock):
    members = await seed_members(db, telegram, clock, 5)
    data = {**events.new_draft_data("en", "Asia/Phnom_Penh"), "title_en": TITLE_EN, "title_km": TITLE_KM,
            "starts_at": START.isoformat(), "ends_at": END.isoformat()}
    async with db.session() as session:
        event = await events.save_draft(session, data, created_by=COORDINATOR_ID, now=clock.now())
        event = await events.publish(session, event.id, clock.now())
        invited = await events.invite(session, event, {"en": {"text": "x"}}, coordinator_chat=COORDINATOR_ID,
                                      language="en", now=clock.now())
        other = await events.save_draft(session, data, created_by=COORDINATOR_ID, now=clock.now())
    assert invited == 5
    for member_id, reply, waiting in ((members[0], "going", False), (members[1], "going", True),
                                      (members[2], "no", False)):
        await answer(db, clock, event.id, member_id, reply, waiting)
    async with db.session() as session:
        session.add(CheckIn(event_id=event.id, method="qr", checked_in_at=clock.now()))
    async with db.session() as session:
        counts = await events.counts(session, [event.id, other.id])
        assert await events.count_answered(session, event.id) == 3
        first_member = await session.scalar(select(Member.id).where(Member.telegram_id == members[0]))
        mine = await events.for_member(session, first_member, clock.now())
    assert counts[event.id] == events.Counts(invited=5, going=1, maybe=0, no=1, waitlisted=1, checked_in=1)
    assert counts[other.id] == events.Counts()
    assert [(item.event.id, item.answer) for item in mine] == [(event.id, "going")]


async def test_an_invitation_to_nobody_leaves_no_delivery_waiting(db, clock):
    data = {**events.new_draft_data("en", "Asia/Phnom_Penh"), "title_en": TITLE_EN, "title_km": TITLE_KM,
            "starts_at": START.isoformat(), "ends_at": END.isoformat()}
    async with db.session() as session:
        event = await events.save_draft(session, data, created_by=COORDINATOR_ID, now=clock.now())
        event = await events.publish(session, event.id, clock.now())
        assert await events.invite(session, event, {"en": {"text": "x"}}, coordinator_chat=COORDINATOR_ID,
                                   language="en", now=clock.now()) == 0
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
