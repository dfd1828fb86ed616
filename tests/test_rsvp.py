"""Answering invitations: Going / Maybe / Can't go, the waiting list, calendar files and event links."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select

from bot.event_text import moment
from bot.i18n import translator
from bot.models import Delivery, Event, Member, Rsvp
from bot.services import outbox, rsvps
from bot.services.rsvps import Status
from handlers.events.rsvp import promotion_content
from handlers.events.screens import invitation_content
from tests.helpers_events import PHNOM_PENH, TITLE_EN, TITLE_KM, VENUE, invite, make_event, members_of, title_in
from tests.helpers_members import register, seed_members
from tests.helpers_outbox import wait_done

en = translator("en")
km = translator("km")


async def answers(db, event_id: int) -> dict[int, tuple[str, bool]]:
    """Telegram id -> (answer, waitlisted)."""
    async with db.session() as session:
        rows = await session.execute(select(Member.telegram_id, Rsvp.answer, Rsvp.waitlisted)
                                     .join(Rsvp, Rsvp.member_id == Member.id).where(Rsvp.event_id == event_id))
        return {t: (a, w) for t, a, w in rows}


async def seats_taken(db, event_id: int) -> int:
    async with db.session() as session:
        return (await session.get(Event, event_id)).seats_taken


async def member_id(db, telegram_id: int) -> int:
    async with db.session() as session:
        return await session.scalar(select(Member.id).where(Member.telegram_id == telegram_id))


def waiting_text(_, position: int) -> str:
    return _("<b>{title}</b> is full. You are number {position} on the waiting list; "
             "we will send you a message as soon as a seat is free for you.").format(
        title=title_in(_), position=_.number(position))


def last_answer(telegram) -> dict:
    return telegram.callback_answers[-1]


# ---------------------------------------------------------------- answering


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_going_is_shown_on_the_invitation_and_confirmed_with_a_calendar_file(bot, telegram, db, clock, _):
    [user] = await members_of(db, telegram, clock, _.language, 501)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [501])
    invitation = user.last
    sent_before = len(user.messages)

    await user.press(_("Going"))

    edited = telegram.message(501, invitation.message_id)
    assert edited.edit_count == 1
    assert _("✅ Your answer: {answer}").format(answer=_("Going")) in edited.text
    assert edited.button_texts() == ["✅ " + _("Going"), _("Maybe"), _("Can't go")]
    assert last_answer(telegram)["text"] == _("Your answer: {answer}").format(answer=_("Going"))
    assert len(user.messages) == sent_before + 1
    confirmation = user.last
    assert confirmation.method == "sendDocument" and confirmation.document[0] == f"event-{event_id}.ics"
    title = title_in(_)
    assert confirmation.text.startswith(
        _("You are going to <b>{title}</b>. See you there! "
          "Open the calendar file to add the event to your phone's calendar.").format(title=title))
    assert await answers(db, event_id) == {501: ("going", False)}
    assert await seats_taken(db, event_id) == 1


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_member_changes_their_answer_and_the_seat_is_given_back(bot, telegram, db, clock, _):
    [user] = await members_of(db, telegram, clock, _.language, 502)
    event_id = await make_event(db, clock, capacity=40)
    await invite(bot, db, clock, event_id, [502])
    invitation = user.last

    await user.press(_("Going"))
    await user.press(_("Can't go"), message=telegram.message(502, invitation.message_id))

    assert await answers(db, event_id) == {502: ("no", False)}
    assert await seats_taken(db, event_id) == 0
    assert user.last.method == "sendMessage" and user.last.document is None
    assert user.last.text.startswith(_("You answered “Can't go” for <b>{title}</b>. Thank you for letting us know.")
                                     .format(title=title_in(_)))
    assert telegram.message(502, invitation.message_id).button_texts() == [_("Going"), _("Maybe"), "✅ " + _("Can't go")]

    await user.press(_("Maybe"), message=telegram.message(502, invitation.message_id))
    assert await answers(db, event_id) == {502: ("maybe", False)}
    assert user.last.method == "sendDocument"
    assert user.last.text.startswith(
        _("You answered “Maybe” for <b>{title}</b>. "
          "Open the calendar file to add the event to your phone's calendar.").format(title=title_in(_)))


async def test_pressing_the_same_answer_again_sends_nothing_new(bot, telegram, db, clock):
    [user] = await members_of(db, telegram, clock, "en", 503)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [503])
    await user.press(en("Going"))
    sent = len(user.messages)

    await user.press("✅ " + en("Going"))

    assert len(user.messages) == sent
    assert last_answer(telegram)["text"] == en("Your answer is unchanged.")
    assert await seats_taken(db, event_id) == 1


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_after_the_deadline_pressing_says_so_and_changes_nothing(bot, telegram, db, clock, _):
    [user] = await members_of(db, telegram, clock, _.language, 504)
    deadline = datetime(2024, 12, 10, 17, 0, tzinfo=PHNOM_PENH).astimezone(UTC)
    event_id = await make_event(db, clock, rsvp_deadline=deadline)
    await invite(bot, db, clock, event_id, [504])
    await user.press(_("Going"))
    sent = len(user.messages)
    clock.set(deadline + timedelta(minutes=1))

    await user.press(_("Can't go"))

    async with db.session() as session:
        event = await session.get(Event, event_id)
    answer = last_answer(telegram)
    assert answer["show_alert"] is True
    assert answer["text"] == _("Answers for this event closed on {deadline}. Your answer was not changed.").format(
        deadline=moment(deadline, event, _))
    assert await answers(db, event_id) == {504: ("going", False)}
    assert await seats_taken(db, event_id) == 1
    assert len(user.messages) == sent


async def test_without_a_deadline_answers_close_at_the_start(bot, telegram, db, clock):
    [user] = await members_of(db, telegram, clock, "km", 505)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [505])
    start = datetime(2024, 12, 13, 8, 30, tzinfo=PHNOM_PENH)
    clock.set(start)

    await user.press(km("Going"))

    async with db.session() as session:
        event = await session.get(Event, event_id)
    assert last_answer(telegram)["text"] == km(
        "Answers for this event closed on {deadline}. Your answer was not changed.").format(
        deadline=moment(start, event, km))
    assert await answers(db, event_id) == {}


@pytest.mark.parametrize(("status", "message"), [
    ("cancelled", "This event has been cancelled."),
    ("draft", "This event is not open for answers yet."),
])
async def test_a_cancelled_or_unpublished_event_takes_no_answer(bot, telegram, db, clock, status, message):
    [user] = await members_of(db, telegram, clock, "km", 506)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [506])
    async with db.session() as session:
        (await session.get(Event, event_id)).status = status
    sent = len(user.messages)

    await user.press(km("Going"))

    assert (last_answer(telegram)["text"], last_answer(telegram)["show_alert"]) == (km(message), True)
    assert await answers(db, event_id) == {}
    assert len(user.messages) == sent


async def test_forged_buttons_get_a_clear_answer_and_change_nothing(bot, telegram, db, clock):
    [user] = await members_of(db, telegram, clock, "en", 507)
    event_id = await make_event(db, clock, capacity=1)
    draft_id = await make_event(db, clock, status="draft")
    await invite(bot, db, clock, event_id, [507])
    sent = len(user.messages)

    await user.press_data("ev:rsvp:999999:y")
    assert last_answer(telegram)["text"] == en(
        "This event could not be found. The link or button may be wrong or out of date.")
    await user.press_data(f"ev:rsvp:{draft_id}:y")
    assert last_answer(telegram)["text"] == en("This event is not open for answers yet.")
    for nonsense in (f"ev:rsvp:{event_id}:x", f"ev:rsvp:{event_id}:yes", f"ev:rsvp:{event_id}", "ev:rsvp:abc:y",
                     f"ev:rsvp:{event_id}:y:extra", "ev:rsvp:99999999999999999999:y", f"ev:ics:{event_id}"):
        await user.press_data(nonsense)
        assert last_answer(telegram)["text"] == en("This button is no longer active."), nonsense

    assert await answers(db, event_id) == {}
    assert await seats_taken(db, event_id) == 0
    assert len(user.messages) == sent


async def test_someone_who_is_not_a_member_is_asked_to_register_first(bot, telegram, db, clock):
    event_id = await make_event(db, clock)
    stranger = telegram.user(508, "Stranger", language_code="km")
    await stranger.command("start")

    await stranger.press_data(f"ev:rsvp:{event_id}:y")

    assert last_answer(telegram)["text"] == km("Please register first: send /start.")
    assert await answers(db, event_id) == {}


async def test_html_in_an_event_title_is_shown_as_text(bot, telegram, db, clock):
    [user] = await members_of(db, telegram, clock, "en", 509)
    event_id = await make_event(db, clock, title_en="Rice & <b>Beans</b>")
    await invite(bot, db, clock, event_id, [509])

    await user.press(en("Can't go"))

    assert "Rice &amp; &lt;b&gt;Beans&lt;/b&gt;" in user.last.text
    assert "Rice & <b>Beans</b>" in user.last.plain_text


# ---------------------------------------------------------------- the calendar file


def parse_calendar(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    [entry] = calendar.walk("VEVENT")
    return calendar, entry


@pytest.mark.parametrize(("_", "title"), [(en, TITLE_EN), (km, TITLE_KM)], ids=["en", "km"])
async def test_the_calendar_file_shows_0830_phnom_penh_time_at_the_venue(bot, telegram, db, clock, _, title):
    [user] = await members_of(db, telegram, clock, _.language, 510)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [510])

    await user.press(_("Maybe"))

    calendar, entry = parse_calendar(user.last.document[1])
    assert entry.decoded("dtstart") == datetime(2024, 12, 13, 8, 30, tzinfo=PHNOM_PENH)
    assert entry["dtstart"].params["TZID"] == "Asia/Phnom_Penh"
    assert entry.decoded("dtend") == datetime(2024, 12, 13, 17, 0, tzinfo=PHNOM_PENH)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Phnom_Penh"
    assert str(zone.walk("STANDARD")[0]["tzoffsetto"].to_ical()) == "+0700"
    assert str(entry["summary"]) == title
    assert str(entry["location"]) == VENUE
    assert (entry["geo"].latitude, entry["geo"].longitude) == (11.5564, 104.9282)
    assert str(entry["uid"]) == f"event-{event_id}@sahakor"


# ---------------------------------------------------------------- capacity and the waiting list


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_full_event_puts_members_on_the_waiting_list_and_promotes_them_when_a_seat_frees(
        bot, telegram, db, clock, _):
    seated, first, second = await members_of(db, telegram, clock, _.language, 511, 512, 513)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [511, 512, 513])

    await seated.press(_("Going"))
    await first.press(_("Going"))
    await second.press(_("Going"))

    for user, position in ((first, 1), (second, 2)):
        assert user.last.method == "sendMessage"
        assert user.last.text.startswith(waiting_text(_, position))
        assert _("⏳ The event is full: you are number {position} on the waiting list.").format(
            position=_.number(position)) in user.messages[-2].text
    assert last_answer(telegram)["text"] == _("The event is full: you are on the waiting list.")
    assert await answers(db, event_id) == {511: ("going", False), 512: ("going", True), 513: ("going", True)}

    await seated.press(_("Can't go"), message=seated.messages[0])

    async with db.session() as session:
        [delivery] = (await session.scalars(select(Delivery).where(Delivery.kind == "waitlist_promoted"))).all()
    await wait_done(bot, db, delivery.id)
    promotion = first.last
    assert promotion.text.startswith(_("🎉 A seat has become free for you at <b>{title}</b>: you are now going!").format(
        title=title_in(_)))
    assert promotion.button_texts() == [_("📅 Add to my calendar"), _("Going"), _("Maybe"), _("Can't go")]
    assert await answers(db, event_id) == {511: ("no", False), 512: ("going", False), 513: ("going", True)}
    assert await seats_taken(db, event_id) == 1
    assert len(telegram.messages(513)) == 2  # the invitation and its confirmation: no promotion

    await first.press(_("📅 Add to my calendar"))
    assert first.last.document[0] == f"event-{event_id}.ics"

    await user_opens_event(second, event_id)
    assert _("⏳ The event is full: you are number {position} on the waiting list.").format(
        position=_.number(1)) in second.last.text


async def user_opens_event(user, event_id: int) -> None:
    await user.command("start", f"ev_{event_id}")


async def test_a_waiting_member_who_gives_up_leaves_the_queue(bot, telegram, db, clock):
    seated, waiting, behind = await members_of(db, telegram, clock, "en", 514, 515, 516)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [514, 515, 516])
    for user in (seated, waiting, behind):
        await user.press(en("Going"), message=user.messages[0])

    await waiting.press(en("Can't go"), message=waiting.messages[0])

    assert await answers(db, event_id) == {514: ("going", False), 515: ("no", False), 516: ("going", True)}
    assert await seats_taken(db, event_id) == 1
    await user_opens_event(behind, event_id)
    assert en("⏳ The event is full: you are number {position} on the waiting list.").format(position="1") in behind.last.text


async def test_raising_the_capacity_promotes_waiting_members_in_order(db, clock):
    event_id = await make_event(db, clock, capacity=1)
    ids = await seed_members(db, _NoChats(), clock, 4, start_id=520)
    member_ids = [await member_id(db, i) for i in ids]
    for i, m in enumerate(member_ids):
        clock.advance(timedelta(seconds=1))
        async with db.session() as session:
            outcome = await rsvps.answer(session, event_id=event_id, member_id=m, answer="going", now=clock.now(),
                                         content=promotion_content)
        assert (outcome.waitlisted, outcome.position) == ((False, None) if i == 0 else (True, i))

    async with db.session() as session:
        event = await session.get(Event, event_id)
        event.capacity = 3
        promoted = await rsvps.fill_seats(session, event, clock.now(), promotion_content)
        deliveries = (await session.scalars(select(Delivery).where(Delivery.kind == "waitlist_promoted")
                                            .order_by(Delivery.id))).all()

    assert promoted == member_ids[1:3]
    assert [d.total for d in deliveries] == [1, 1]
    assert await seats_taken(db, event_id) == 3
    waiting = {t: w for t, (_a, w) in (await answers(db, event_id)).items()}
    assert waiting == {520: False, 521: False, 522: False, 523: True}


class _NoChats:
    """Stands in for the fake server where a service test seeds members without a bot."""

    def add_chat(self, _chat_id: int) -> None:
        return None


async def test_two_members_pressing_for_the_last_seat_at_once_get_exactly_one_seat(bot, telegram, db, clock):
    a, b = await members_of(db, telegram, clock, "km", 531, 532)
    event_id = await make_event(db, clock, capacity=1)
    await invite(bot, db, clock, event_id, [531, 532])

    await asyncio.gather(a.press(km("Going")), b.press(km("Going")))

    result = await answers(db, event_id)
    assert sorted(result.values()) == [("going", False), ("going", True)]
    assert await seats_taken(db, event_id) == 1
    winner, loser = (a, b) if result[531] == ("going", False) else (b, a)
    assert winner.last.method == "sendDocument"
    assert loser.last.method == "sendMessage" and loser.last.text.startswith(waiting_text(km, 1))


@pytest.mark.parametrize(("capacity", "pressing"), [(1, 2), (3, 12)])
async def test_concurrent_answers_on_separate_sessions_never_take_more_seats_than_there_are(db, clock, capacity, pressing):
    event_id = await make_event(db, clock, capacity=capacity)
    ids = await seed_members(db, _NoChats(), clock, pressing, start_id=540)
    member_ids = [await member_id(db, i) for i in ids]

    async def press(m: int) -> rsvps.Outcome:
        async with db.session() as session:
            return await rsvps.answer(session, event_id=event_id, member_id=m, answer="going", now=clock.now(),
                                      content=promotion_content)

    outcomes = await asyncio.gather(*(press(m) for m in member_ids))

    assert [o.status for o in outcomes] == [Status.OK] * pressing
    assert sum(not o.waitlisted for o in outcomes) == capacity
    assert await seats_taken(db, event_id) == capacity
    stored = await answers(db, event_id)
    assert sum(not waitlisted for _a, waitlisted in stored.values()) == capacity


async def test_a_waiting_member_is_not_promoted_twice_when_two_seats_free_at_once(db, clock):
    event_id = await make_event(db, clock, capacity=2)
    ids = await seed_members(db, _NoChats(), clock, 3, start_id=560)
    member_ids = [await member_id(db, i) for i in ids]
    for m in member_ids:
        clock.advance(timedelta(seconds=1))
        async with db.session() as session:
            await rsvps.answer(session, event_id=event_id, member_id=m, answer="going", now=clock.now(),
                               content=promotion_content)

    async def leave(m: int) -> rsvps.Outcome:
        async with db.session() as session:
            return await rsvps.answer(session, event_id=event_id, member_id=m, answer="no", now=clock.now(),
                                      content=promotion_content)

    outcomes = await asyncio.gather(leave(member_ids[0]), leave(member_ids[1]))

    assert sorted(p for o in outcomes for p in o.promoted) == [member_ids[2]]
    assert await seats_taken(db, event_id) == 1
    async with db.session() as session:
        deliveries = (await session.scalars(select(Delivery).where(Delivery.kind == "waitlist_promoted"))).all()
    assert len(deliveries) == 1


# ---------------------------------------------------------------- the event link


async def test_a_newcomer_opening_an_event_link_registers_first_then_sees_the_invitation(bot, telegram, db, clock):
    event_id = await make_event(db, clock)
    user = telegram.user(570, "Sreymom", language_code="km")
    await user.command("start", f"ev_{event_id}")
    assert km("Going") not in user.last.button_texts()

    await register(user, km)

    invitation = user.last
    assert invitation.text.startswith(f"<b>{TITLE_KM}</b>")
    assert invitation.button_texts() == [km("Going"), km("Maybe"), km("Can't go")]
    await user.press(km("Going"))
    assert await answers(db, event_id) == {570: ("going", False)}


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_member_opening_an_event_link_sees_the_invitation_with_their_answer(bot, telegram, db, clock, _):
    [user] = await members_of(db, telegram, clock, _.language, 571)
    event_id = await make_event(db, clock)

    await user.command("start", f"ev_{event_id}")
    assert user.last.button_texts() == [_("Going"), _("Maybe"), _("Can't go")]
    await user.press(_("Maybe"))
    await user.command("start", f"ev_{event_id}")

    assert _("✅ Your answer: {answer}").format(answer=_("Maybe")) in user.last.text
    assert user.last.button_texts() == [_("Going"), "✅ " + _("Maybe"), _("Can't go")]


async def test_an_event_link_after_the_deadline_shows_the_event_without_buttons(bot, telegram, db, clock):
    [user] = await members_of(db, telegram, clock, "en", 572)
    event_id = await make_event(db, clock, rsvp_deadline=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=2))

    await user.command("start", f"ev_{event_id}")

    assert user.last.text.endswith(en("Answers for this event are closed."))
    assert not user.last.has_inline_keyboard


@pytest.mark.parametrize(("status", "message"), [
    (None, "This event could not be found. The link or button may be wrong or out of date."),
    ("draft", "This event is not open for answers yet."),
    ("cancelled", "This event has been cancelled."),
])
async def test_an_unknown_unpublished_or_cancelled_event_link_says_so(bot, telegram, db, clock, status, message):
    [user] = await members_of(db, telegram, clock, "km", 573)
    event_id = await make_event(db, clock, status=status) if status else 999_999

    await user.command("start", f"ev_{event_id}")

    assert user.last.text == km(message)
    assert not user.last.has_inline_keyboard


async def test_the_calendar_file_is_uploaded_once_per_language_and_then_sent_by_its_file_id(bot, telegram, db, clock):
    first, second = await members_of(db, telegram, clock, "km", 530, 531)
    english = (await members_of(db, telegram, clock, "en", 532))[0]
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [530, 531, 532])

    await first.press(km("Going"))
    await second.press(km("Going"))
    await english.press(en("Going"))

    documents = [call["document"] for call in telegram.calls("sendDocument")]
    assert len(documents) == 3
    uploaded_km, reused, uploaded_en = documents
    assert not isinstance(uploaded_km, str) and not isinstance(uploaded_en, str)  # uploads
    assert isinstance(reused, str)  # the file id Telegram gave the first upload
    assert second.last.document == first.last.document  # the same file, in Khmer
    assert parse_calendar(english.last.document[1])[1]["summary"] == TITLE_EN


async def test_invitations_still_going_out_take_the_events_new_text(db, clock):
    from bot.services import events

    event_id = await make_event(db, clock)
    async with db.session() as session:
        event = await session.get(Event, event_id)
        pending = await outbox.create(session, kind="invitation", content=invitation_content(event),
                                      send_at=clock.now(), ref_id=event_id, now=clock.now())
        event.venue = "Sunway Hotel, Phnom Penh"
        assert await events.refresh_invitations(session, event, invitation_content(event)) == 1
    async with db.session() as session:
        content = (await session.get(Delivery, pending.id)).content
    assert "Sunway Hotel" in content["en"]["text"] and "Sunway Hotel" in content["km"]["text"]


async def test_an_edit_made_in_the_same_instant_is_shown_on_the_next_answer_and_its_calendar_file(
        bot, telegram, db, clock):
    """Texts and calendar files are kept per version of the event: by its words, not by its updated_at,
    which an edit made in the same instant as the last one leaves as it was."""
    from bot.services import events

    [user] = await members_of(db, telegram, clock, "en", 535)
    event_id = await make_event(db, clock)
    await invite(bot, db, clock, event_id, [535])
    invitation = user.last
    await user.press(en("Going"))
    assert VENUE in telegram.message(535, invitation.message_id).text

    async with db.session() as session:
        before = (await session.get(Event, event_id)).updated_at
        result = await events.apply_change(session, event_id, {"venue": "Sunway Hotel, Phnom Penh"}, clock.now())
        assert result.status == "saved" and result.event.updated_at == before  # the clock has not moved
    await user.press(en("Maybe"))

    redrawn = telegram.message(535, invitation.message_id)
    assert "Sunway Hotel, Phnom Penh" in redrawn.text and VENUE not in redrawn.text
    uploads = [call["document"] for call in telegram.calls("sendDocument")]
    assert len(uploads) == 2 and not isinstance(uploads[1], str)  # a new file, not the first one's id
    assert parse_calendar(user.last.document[1])[1]["location"] == "Sunway Hotel, Phnom Penh"
