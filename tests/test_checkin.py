"""Check-in at the venue: the QR link members scan, coordinators checking people in, walk-ins, the poster."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

import pytest
import segno
from PIL import Image
from sqlalchemy import func, select

from bot import event_text, posters
from bot.i18n import translator
from bot.models import CheckIn, Event, Member
from bot.services import checkins
from handlers.events import callbacks
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import register_after_start
from tests.helpers_workshop import TITLE_EN, TITLE_KM, WORKSHOP_START, add_member, coordinator, create_event

km = translator("km")
en = translator("en")


async def check_ins(db, event_id: int | None = None) -> list[CheckIn]:
    async with db.session() as session:
        query = select(CheckIn).order_by(CheckIn.id)
        if event_id is not None:
            query = query.where(CheckIn.event_id == event_id)
        return list(await session.scalars(query))


async def count_check_ins(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(CheckIn))


def qr_payload(event: Event) -> str:
    return f"ci_{event.checkin_token}"


def stale_answers(telegram) -> list[str]:
    return [a.get("text") for a in telegram.callback_answers]


# ---------------------------------------------------------------- members scanning the QR code


@pytest.mark.parametrize("language", ["km", "en"])
async def test_member_scanning_the_qr_code_in_the_window_is_checked_in_once(bot, telegram, db, clock, language):
    _ = translator(language)
    event = await create_event(db, clock)
    member_id = await add_member(db, telegram, clock, 301, language=language)
    user = telegram.user(301, "Sokha")
    clock.set(WORKSHOP_START - timedelta(minutes=30))

    await user.command("start", qr_payload(event))
    title = TITLE_KM if language == "km" else TITLE_EN
    assert user.last.text == _("✅ You are checked in to {title}. Welcome!").format(title=title)

    await user.command("start", qr_payload(event))
    assert user.last.text == _("You are already checked in to {title}.").format(title=title)
    rows = await check_ins(db)
    assert [(r.event_id, r.member_id, r.method, r.checked_in_at) for r in rows] == [
        (event.id, member_id, "qr", WORKSHOP_START - timedelta(minutes=30))]


async def test_scanning_before_the_window_says_in_khmer_when_check_in_opens(bot, telegram, db, clock):
    event = await create_event(db, clock)
    await add_member(db, telegram, clock, 302, language="km")
    user = telegram.user(302, "Dara")
    clock.set(WORKSHOP_START - timedelta(minutes=121))

    await user.command("start", qr_payload(event))
    opens = event_text.moment(WORKSHOP_START - timedelta(minutes=120), event, km)
    assert user.last.text == km("Check-in for {title} opens at {time}.").format(title=TITLE_KM, time=opens)
    assert "០៦:៣០" in opens
    assert await count_check_ins(db) == 0

    clock.set(WORKSHOP_START - timedelta(minutes=120))
    await user.command("start", qr_payload(event))
    assert user.last.text == km("✅ You are checked in to {title}. Welcome!").format(title=TITLE_KM)


async def test_scanning_after_the_event_ended_says_check_in_has_closed(bot, telegram, db, clock):
    event = await create_event(db, clock)
    await add_member(db, telegram, clock, 303, language="en")
    user = telegram.user(303, "Vanna")
    clock.set(event.ends_at + timedelta(minutes=1))

    await user.command("start", qr_payload(event))
    assert user.last.text == en("Check-in for {title} has closed.").format(title=TITLE_EN)
    assert await count_check_ins(db) == 0


@pytest.mark.parametrize("language", ["km", "en"])
async def test_a_guessed_token_or_the_token_of_a_cancelled_or_draft_event_is_not_valid(bot, telegram, db, clock,
                                                                                       language):
    _ = translator(language)
    cancelled = await create_event(db, clock, status="cancelled")
    draft = await create_event(db, clock, status="draft")
    await create_event(db, clock)
    await add_member(db, telegram, clock, 304, language=language)
    user = telegram.user(304, "Bopha")
    clock.set(WORKSHOP_START)

    for payload in ("ci_" + secrets.token_urlsafe(16), qr_payload(cancelled), qr_payload(draft), "ci_<b>guess</b>"):
        await user.command("start", payload)
        assert user.last.text == _("That link is not valid or has expired.")
    assert await count_check_ins(db) == 0


async def test_the_token_of_another_event_checks_in_to_that_event_only(bot, telegram, db, clock):
    last_month = await create_event(db, clock, starts_at=WORKSHOP_START - timedelta(days=30), title_en="Field day")
    workshop = await create_event(db, clock)
    await add_member(db, telegram, clock, 305, language="en")
    user = telegram.user(305, "Malis")
    clock.set(WORKSHOP_START + timedelta(hours=1))

    await user.command("start", qr_payload(last_month))
    assert user.last.text == en("Check-in for {title} has closed.").format(title="Field day")
    assert await count_check_ins(db) == 0

    await user.command("start", qr_payload(workshop))
    assert [r.event_id for r in await check_ins(db)] == [workshop.id]


async def test_newcomer_opening_the_check_in_link_registers_then_is_checked_in(bot, telegram, db, clock):
    event = await create_event(db, clock)
    clock.set(WORKSHOP_START)
    newcomer = telegram.user(306, "Srey", language_code="km")

    await newcomer.command("start", qr_payload(event))
    assert "ភាសាខ្មែរ" in newcomer.last.button_texts()
    assert await count_check_ins(db) == 0
    await register_after_start(newcomer, km)

    assert newcomer.last.text == km("✅ You are checked in to {title}. Welcome!").format(title=TITLE_KM)
    [row] = await check_ins(db)
    async with db.session() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == 306))
    assert (row.event_id, row.member_id, row.method) == (event.id, member.id, "qr")


async def test_check_in_does_not_need_an_rsvp_and_a_title_with_html_is_escaped(bot, telegram, db, clock):
    event = await create_event(db, clock, title_en="Seeds <& soil>")
    await add_member(db, telegram, clock, 307, language="en")
    user = telegram.user(307, "Rith")
    clock.set(WORKSHOP_START)

    await user.command("start", qr_payload(event))
    assert user.last.text == "✅ You are checked in to Seeds &lt;&amp; soil&gt;. Welcome!"
    assert user.last.plain_text == "✅ You are checked in to Seeds <& soil>. Welcome!"


# ---------------------------------------------------------------- coordinators only


async def test_members_trying_checkin_and_report_or_their_buttons_are_refused(bot, telegram, db, clock):
    event = await create_event(db, clock)
    member_id = await add_member(db, telegram, clock, 308, language="km")
    user = telegram.user(308, "Kanha")
    clock.set(WORKSHOP_START)

    await user.command("checkin")
    assert user.last.text == km("This command is for coordinators only.")
    await user.command("report")
    assert user.last.text == km("This command is for coordinators only.")
    for data in (f"ci:ev:{event.id}", f"ci:qr:{event.id}", f"ci:find:{event.id}", f"ci:walk:{event.id}",
                 f"ci:m:{event.id}:{member_id}", f"ci:wg:{event.id}:woman", f"ci:wo:{event.id}", "ci:done",
                 f"rep:ev:{event.id}"):
        await user.press_data(data)
        assert telegram.callback_answers[-1]["text"] == km("This is for coordinators only.")
    assert await count_check_ins(db) == 0
    assert all(m.document is None for m in user.messages)


async def test_forged_buttons_for_other_events_or_people_change_nothing(bot, telegram, db, clock):
    cancelled = await create_event(db, clock, status="cancelled")
    draft = await create_event(db, clock, status="draft")
    long_ago = await create_event(db, clock, starts_at=WORKSHOP_START - timedelta(days=60))
    event = await create_event(db, clock)
    member_id = await add_member(db, telegram, clock, 309)
    unregistered = await add_member(db, telegram, clock, 310)
    async with db.session() as session:
        (await session.get(Member, unregistered)).registered_at = None
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START)
    await boss.command("checkin")

    forged = [f"ci:{action}:{other.id}" for other in (cancelled, draft, long_ago)
              for action in ("ev", "qr", "find", "walk")]
    forged += [f"ci:m:{other.id}:{member_id}" for other in (cancelled, draft, long_ago)]
    forged += [f"ci:m:{event.id}:{unregistered}", f"ci:m:{event.id}:999999", "ci:ev:424242", "ci:m:1:2:3",
               f"ci:wg:{event.id}:woman", f"ci:ws:{event.id}:farmer", f"ci:wo:{event.id}", f"rep:ev:{cancelled.id}",
               f"rep:ev:{draft.id}", "rep:ev:999"]
    before = len(boss.messages)
    for data in forged:
        await boss.press_data(data)
        assert telegram.callback_answers[-1]["text"] == en("This button is no longer active."), data
    assert await count_check_ins(db) == 0
    assert len(boss.messages) == before


# ---------------------------------------------------------------- the poster


def black_box(image: Image.Image) -> Image.Image:
    """The part of the poster in pure black: only the QR code's modules are (text is dark grey or green)."""
    gray = image.convert("L")
    return gray.crop(gray.point(lambda v: 255 if v == 0 else 0).getbbox())


def expected_qr(link: str, size: int) -> Image.Image:
    rows = list(segno.make(link, error="m", micro=False).matrix_iter(scale=1, border=0))
    image = Image.new("L", (len(rows), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    return image.resize((size, size), Image.Resampling.NEAREST)


@pytest.mark.parametrize("language", ["km", "en"])
async def test_coordinator_gets_a_printable_qr_poster_that_encodes_the_check_in_link(bot, telegram, db, clock,
                                                                                    language):
    _ = translator(language)
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, language)

    await boss.command("checkin")
    assert boss.last.text == _("Choose the event to check people in to:")
    title = posters.shorten(TITLE_KM if language == "km" else TITLE_EN, 40)
    assert boss.last.button_texts() == [f"{title} · {_.date(WORKSHOP_START, event_text.zone(event), 'medium')}"]
    await boss.press(callbacks.CHECKIN_EVENT.data(event.id))
    assert _.ngettext("{count} person checked in so far.", "{count} people checked in so far.", 0).format(
        count=_.number(0)) in boss.last.text
    await boss.press("🖨 " + _("QR poster"))

    filename, content = boss.last.document
    assert filename == f"checkin-poster-{event.id}.png"
    poster = Image.open(io.BytesIO(content))
    assert (poster.format, poster.size) == ("PNG", (1240, 1754))
    code = black_box(poster)
    link = f"https://t.me/{telegram.bot_username}?start=ci_{event.checkin_token}"
    assert code.width == code.height and code.width >= 500
    assert code.tobytes() == expected_qr(link, code.width).tobytes()


async def test_poster_for_a_long_title_still_fits_the_page(bot, telegram, db, clock):
    long_km = "សិក្ខាសាលាពិគ្រោះយោបល់ស្តីពីគោលនយោបាយកសិកម្មអេកូឡូស៊ី និងសិទ្ធិស្ត្រីកសិករ ជាមួយក្រសួងកសិកម្ម " * 3
    event = await create_event(db, clock, title_en="Policy " * 28, title_km=long_km[:200])
    boss = await coordinator(db, telegram, clock, "en")
    await boss.command("checkin")

    await boss.press_data(f"ci:qr:{event.id}")
    poster = Image.open(io.BytesIO(boss.last.document[1]))
    assert poster.size == (1240, 1754)
    assert black_box(poster).width >= 300


# ---------------------------------------------------------------- checking in by name or phone


async def seed_people(db, telegram, clock) -> dict[str, int]:
    people = {
        "sokha": await add_member(db, telegram, clock, 401, name="Sokha Chan", organisation="CEDAC",
                                  phone="+85512345678", gender="woman"),
        "sok": await add_member(db, telegram, clock, 402, name="Sok Dara", organisation="<Farmers & Co>"),
        "khmer": await add_member(db, telegram, clock, 403, name="សុខា ចាន់", phone="098765432"),
        "other": await add_member(db, telegram, clock, 404, name="Vanna Kim"),
    }
    return people


async def test_coordinator_checks_in_a_member_found_by_name_or_by_phone_typed_in_khmer_digits(bot, telegram, db,
                                                                                             clock):
    event = await create_event(db, clock)
    people = await seed_people(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START)

    await boss.command("checkin")
    await boss.press(callbacks.CHECKIN_EVENT.data(event.id))
    await boss.press("🔎 " + en("Check someone in"))
    assert boss.last.text == en("Type the name or phone number of the person to check in to {title}.").format(
        title=TITLE_EN)

    await boss.send("SOK")
    assert boss.last.text == en("2 members match “{query}”. Press a name to check them in.").format(query="SOK")
    assert boss.last.button_texts() == ["Sok Dara · <Farmers & Co>", "Sokha Chan · CEDAC", en("Done")]
    await boss.press("Sokha Chan · CEDAC")
    assert boss.last.text.splitlines()[:2] == [en("✅ {name} is checked in.").format(name="Sokha Chan"),
                                               en("1 person checked in so far.")]

    await boss.send("០១២ ៣៤៥ ៦៧៨")
    assert boss.last.button_texts() == ["✅ Sokha Chan · CEDAC", en("Done")]
    await boss.press("✅ Sokha Chan · CEDAC")
    assert boss.last.text.splitlines()[0] == en("{name} was already checked in.").format(name="Sokha Chan")

    await boss.send("សុខា")
    assert boss.last.button_texts() == ["សុខា ចាន់", en("Done")]
    await boss.press("សុខា ចាន់")
    await boss.send("098 765")
    assert boss.last.button_texts() == ["✅ សុខា ចាន់", en("Done")]

    rows = await check_ins(db, event.id)
    assert [(r.member_id, r.method, r.checked_in_by) for r in rows] == [
        (people["sokha"], "manual", COORDINATOR_ID), (people["khmer"], "manual", COORDINATOR_ID)]

    await boss.press(en("Done"))
    assert boss.last.text == en("Closed. Send /checkin to check in more people.")
    await boss.send("Vanna")
    assert boss.last.text == en("I did not understand that. Send /help to see what I can do.")


async def test_search_in_khmer_with_no_match_or_bad_input_says_so_and_changes_nothing(bot, telegram, db, clock):
    event = await create_event(db, clock)
    await seed_people(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "km")
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:find:{event.id}")

    await boss.send("Nobody <b>")
    assert boss.last.text == km("No member matches “{query}”. Try another spelling or a phone number, or add the "
                                "person as a walk-in.").format(query="Nobody &lt;b&gt;")
    assert boss.last.button_texts() == ["➕ " + km("Add a walk-in"), km("Done")]
    await boss.send("x" * 5000)
    assert boss.last.text == km("That is too long. Please keep it under {limit} characters.").format(limit="១០០")
    await boss.send("\u200b")
    assert boss.last.text == km("That was empty. Please type some text.")
    await boss.send("%")
    assert boss.last.text == km("No member matches “{query}”. Try another spelling or a phone number, or add the "
                                "person as a walk-in.").format(query="%")
    assert await count_check_ins(db) == 0


async def test_search_shows_at_most_ten_people_and_says_there_are_more(bot, telegram, db, clock):
    event = await create_event(db, clock)
    for i in range(12):
        await add_member(db, telegram, clock, 500 + i, name=f"Chan {i:02d}")
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:find:{event.id}")

    await boss.send("chan")
    assert boss.last.button_texts() == [f"Chan {i:02d}" for i in range(10)] + [en("Done")]
    assert en("Only the first {count} are shown; type more of the name to narrow the search.").format(
        count="10") in boss.last.text


async def test_coordinator_cannot_check_people_in_before_the_window_opens(bot, telegram, db, clock):
    event = await create_event(db, clock)
    member_id = await add_member(db, telegram, clock, 405)
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START - timedelta(days=1))
    await boss.command("checkin")

    await boss.press_data(f"ci:find:{event.id}")
    opens = event_text.moment(WORKSHOP_START - timedelta(minutes=120), event, en)
    assert boss.last.text == en("Check-in for {title} opens at {time}.").format(title=TITLE_EN, time=opens)
    await boss.press_data(f"ci:walk:{event.id}")
    assert boss.last.text == en("Check-in for {title} opens at {time}.").format(title=TITLE_EN, time=opens)
    await boss.press_data(f"ci:m:{event.id}:{member_id}")
    assert boss.last.text == en("Check-in for {title} opens at {time}.").format(title=TITLE_EN, time=opens)
    assert await count_check_ins(db) == 0

    clock.set(event.ends_at + timedelta(days=1))
    await boss.press_data(f"ci:m:{event.id}:{member_id}")
    assert [r.member_id for r in await check_ins(db)] == [member_id]


# ---------------------------------------------------------------- walk-ins


async def test_walk_in_is_recorded_in_khmer_after_bad_names_are_refused(bot, telegram, db, clock):
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, "km")
    clock.set(WORKSHOP_START + timedelta(minutes=10))
    await boss.command("checkin")
    await boss.press(callbacks.CHECKIN_EVENT.data(event.id))
    await boss.press("➕ " + km("Add a walk-in"))
    assert boss.last.text == km("Adding a walk-in to {title}. What is the person's name? Please type it.").format(
        title=TITLE_KM)

    await boss.send("   \u200b ")
    assert boss.last.text == km("That was empty. Please type some text.")
    await boss.send("ស" * 5000)
    assert boss.last.text == km("That is too long. Please keep it under {limit} characters.").format(limit="១០០")
    await boss.send("<b>Srey</b> & Co")
    assert boss.last.text == km("What is {name}'s gender?").format(name="&lt;b&gt;Srey&lt;/b&gt; &amp; Co")

    await boss.send("woman")
    assert boss.last.text == km("Please choose one of the buttons.")
    await boss.press_data(f"ci:wg:{event.id}:robot")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")
    await boss.press(km("Woman"))
    assert boss.last.text == km("Which of these describes {name} best?").format(
        name="&lt;b&gt;Srey&lt;/b&gt; &amp; Co")
    await boss.press_data(f"ci:wg:{event.id}:man")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")
    await boss.press(km("Farmer / producer"))
    await boss.press(km("Skip"))
    assert boss.last.text.splitlines() == [
        km("✅ Walk-in {name} is recorded.").format(name="&lt;b&gt;Srey&lt;/b&gt; &amp; Co"),
        km.ngettext("{count} person checked in so far.", "{count} people checked in so far.", 1).format(count="១")]

    await boss.press("➕ " + km("Add another walk-in"))
    await boss.send("Chea Sophal")
    await boss.press(km("Man"))
    await boss.press(km("Government"))
    await boss.send("o" * 201)
    assert boss.last.text == km("That is too long. Please keep it under {limit} characters.").format(limit="២០០")
    await boss.send("ក្រសួងកសិកម្ម")
    assert boss.last.text.startswith(km("✅ Walk-in {name} is recorded.").format(name="Chea Sophal"))

    rows = await check_ins(db, event.id)
    details = [(r.member_id, r.method, r.name, r.gender, r.stakeholder, r.organisation, r.checked_in_by) for r in rows]
    assert details == [
        (None, "walkin", "<b>Srey</b> & Co", "woman", "farmer", None, COORDINATOR_ID),
        (None, "walkin", "Chea Sophal", "man", "government", "ក្រសួងកសិកម្ម", COORDINATOR_ID)]
    await boss.press_data(f"ci:wo:{event.id}")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")
    assert len(await check_ins(db)) == 2


async def test_walk_in_cancelled_halfway_records_nothing(bot, telegram, db, clock):
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:walk:{event.id}")
    await boss.send("Lina")
    await boss.press(en("Woman"))
    await boss.press(en("Cancel"))

    assert boss.last.text == en("Closed. Send /checkin to check in more people.")
    await boss.press_data(f"ci:ws:{event.id}:farmer")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    assert await count_check_ins(db) == 0


async def test_walk_in_for_an_event_cancelled_meanwhile_is_refused(bot, telegram, db, clock):
    event = await create_event(db, clock)
    boss = await coordinator(db, telegram, clock, "en")
    clock.set(WORKSHOP_START)
    await boss.command("checkin")
    await boss.press_data(f"ci:walk:{event.id}")
    await boss.send("Lina")
    await boss.press(en("Woman"))
    await boss.press(en("NGO / CSO"))
    async with db.session() as session:
        (await session.get(Event, event.id)).status = "cancelled"

    await boss.send("CEDAC")
    assert boss.last.text == en("This event is no longer open for check-in.")
    assert await count_check_ins(db) == 0


async def test_a_coordinator_not_yet_registered_is_asked_to_register_before_typing_names(bot, telegram, db, clock):
    event = await create_event(db, clock)
    clock.set(WORKSHOP_START)
    boss = telegram.user(COORDINATOR_ID, "Coordinator", language_code="km")
    await boss.command("checkin")

    await boss.press_data(f"ci:walk:{event.id}")
    assert boss.last.text == km("Please finish registering with /start first.")


# ---------------------------------------------------------------- the service


async def test_the_window_opens_the_set_minutes_before_the_start_and_closes_at_the_end(db, clock):
    event = await create_event(db, clock)
    async with db.session() as session:
        member = Member(telegram_id=1, language="en", editing=False, receives_announcements=True, reachable=True,
                        registered_at=clock.now(), created_at=clock.now(), updated_at=clock.now())
        session.add(member)
        stored = await session.get(Event, event.id)
        stored.checkin_opens_minutes = 30
        await session.flush()
        early = await checkins.check_in_by_token(session, qr_payload(event), member_id=member.id,
                                                 now=WORKSHOP_START - timedelta(minutes=31))
        first = await checkins.check_in_by_token(session, qr_payload(event), member_id=member.id,
                                                 now=WORKSHOP_START - timedelta(minutes=30))
        again = await checkins.check_in_by_token(session, qr_payload(event), member_id=member.id,
                                                 now=event.ends_at)
        late = await checkins.check_in_by_token(session, qr_payload(event), member_id=member.id,
                                                now=event.ends_at + timedelta(seconds=1))
    assert (early.outcome, early.opens_at) == (checkins.Outcome.NOT_OPEN, WORKSHOP_START - timedelta(minutes=30))
    assert [first.outcome, again.outcome, late.outcome] == [
        checkins.Outcome.CHECKED_IN, checkins.Outcome.ALREADY, checkins.Outcome.CLOSED]
