"""Consultations, through the fake Bot API server: inputs by theme, re-themed, merged and exported, in both languages."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.i18n import translator
from bot.models import CheckIn, Consultation, ConsultationInput, ConsultationTheme, Delivery, Member, Rsvp
from bot.services import consultations, drafts
from handlers.consultations.screens import POLICY_THEMES
from tests.conftest import COORDINATOR_ID
from tests.helpers_groups import (
    QUESTION_EN,
    QUESTION_KM,
    add_member,
    coordinator_in,
    count,
    make_event,
    open_consultation,
)
from tests.helpers_outbox import last_delivery, wait_done

en = translator("en")
km = translator("km")
EVENT_TITLE = "2nd ALiSEA Policy Dialogue Workshop"


async def give(user, _, theme: str, text: str | None = None, *, voice: int | None = None) -> None:
    """From the consultation screen the user is on: choose a theme, then type or record the input."""
    await user.press(_(theme))
    if voice is not None:
        await user.send_voice(voice, content=f"OggS {user.id} {theme}".encode())
    else:
        await user.send(text)


async def inputs(db) -> list[ConsultationInput]:
    async with db.session() as session:
        return list(await session.scalars(select(ConsultationInput).order_by(ConsultationInput.id)))


async def test_inputs_from_several_members_are_grouped_rethemed_merged_and_exported(bot, telegram, db, clock):
    event_id = await make_event(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("consult")
    assert en("There are no consultations yet.") in coordinator.last.text
    await coordinator.press("➕ " + en("New consultation"))
    await coordinator.send(QUESTION_EN)
    await coordinator.send(QUESTION_KM)
    assert en("Capacity building") in coordinator.last.text
    await coordinator.press("✅ " + en("Use the agroecology policy themes"))
    assert any(EVENT_TITLE in label for label in coordinator.last.button_texts())
    await coordinator.press_data(f"csa:f:ev:{event_id}")
    await coordinator.send("13/12/2024 17:00")
    assert en("The consultation is open.") in coordinator.texts()
    screen = coordinator.last.text
    assert "https://t.me/sahakor_test_bot?start=cs_1" in screen
    assert en("Event: {event}").format(event=EVENT_TITLE) in screen
    assert en("Open until {time}.").format(time="13/12/2024 17:00") in screen
    async with db.session() as session:
        consultation = await session.get(Consultation, 1)
        themes = {t.label_en: t for t in await consultations.themes(session, 1)}
    assert (consultation.question_km, consultation.event_id) == (QUESTION_KM, event_id)
    assert list(themes) == list(POLICY_THEMES) and themes["Seeds"].label_km == km("Seeds")

    sokha = await add_member(db, telegram, clock, 1001, language="km", name="Sokha", gender="woman",
                             organisation="Kampot Co-op", province="07")
    dara = await add_member(db, telegram, clock, 1002, name="Dara <Sok>", gender="man", stakeholder="ngo",
                            province="12")
    notes = await add_member(db, telegram, clock, 1003, name="Note Taker", gender="woman", stakeholder="research")
    await sokha.command("start", "cs_1")
    assert sokha.last.text.startswith(f"<b>{QUESTION_KM}</b>")
    clock.advance(timedelta(minutes=5))
    await give(sokha, km, "Capacity building", "វគ្គបណ្តុះបណ្តាលអំពីជីធម្មជាតិ")
    assert km("Thank you! Your input under “{theme}” was saved.").format(theme=km("Capacity building")) in sokha.texts()
    clock.advance(timedelta(minutes=5))
    await give(sokha, km, "Market linkage", "តម្លៃបន្លែទាបពេក")
    await dara.command("start", "cs_1")
    clock.advance(timedelta(minutes=5))
    await give(dara, en, "Capacity building", "Training on natural fertiliser")
    await give(dara, en, "Insurance", "Seed banks in every commune")
    await give(dara, en, "Access to finance", "Low-interest loans for <organic> farmers & co-ops")
    await give(dara, en, "Seeds", voice=45)
    await notes.command("start", "cs_1")
    await notes.press("📝 " + en("Notes for a discussion table"))
    await give(notes, en, "Land and water", "Irrigation for the dry season")
    rows = await inputs(db)
    assert [(r.submitted_by, themes_by_id(themes)[r.theme_id], r.language, r.table_notes) for r in rows] == [
        (1001, "Capacity building", "km", False), (1001, "Market linkage", "km", False),
        (1002, "Capacity building", "en", False), (1002, "Insurance", "en", False),
        (1002, "Access to finance", "en", False), (1002, "Seeds", "en", False),
        (1003, "Land and water", "en", True)]
    training, seed_banks, voice = rows[0].id, rows[3].id, rows[5].id

    await coordinator.command("inputs")
    await coordinator.press(QUESTION_EN)
    grouped = coordinator.last.text
    assert en("{count} inputs, by theme:").format(count="7") in grouped
    assert "• Capacity building: 2\n• Market linkage: 1\n• Access to finance: 1\n• Insurance: 1\n" in grouped

    await coordinator.press("Insurance (1)")
    assert f"<b>#{seed_banks}</b> Seed banks in every commune" in coordinator.last.text
    await coordinator.press(f"#{seed_banks}")
    await coordinator.press("🔀 " + en("Move to another theme"))
    await coordinator.press(en("Seeds"))
    assert telegram.callback_answers[-1]["text"] == en("Moved.")
    assert coordinator.last.text.startswith(f"<b>#{seed_banks}</b> · Seeds")

    await coordinator.press("◀ " + en("Back to the theme"))
    await coordinator.press("◀ " + en("All themes"))
    await coordinator.press("Capacity building (2)")
    assert "Dara &lt;Sok&gt;" in coordinator.last.text
    await coordinator.press(f"#{rows[2].id}")
    await coordinator.press("🧩 " + en("Merge into another input"))
    await coordinator.press(f"#{training} វគ្គបណ្តុះបណ្តាលអំពីជីធម្មជាតិ")
    assert telegram.callback_answers[-1]["text"] == en("Merged.")
    assert en("Merged into #{number}: it is not counted.").format(number=training) in coordinator.last.text
    await coordinator.press("◀ " + en("Back to the theme"))
    await coordinator.press("◀ " + en("All themes"))
    assert "• Seeds: 2\n• Capacity building: 1\n• Market linkage: 1\n• Access to finance: 1\n• Land and water: 1\n" \
           "• Studies and research: 0" in coordinator.last.text

    await coordinator.press("📥 " + en("Export (XLSX)"))
    name, data = coordinator.last.document
    assert name == "consultation-1-2024-12-01.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == en("Inputs")
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    link = f"https://t.me/sahakor_test_bot?start=vn_{voice}"
    assert cells == [
        ["#", "Theme", "Input", "Language", "Name", "Gender", "Stakeholder type", "Organisation", "Province", "Time",
         "Voice note", "Discussion table notes", "Merged into"],
        [training, "Capacity building", "វគ្គបណ្តុះបណ្តាលអំពីជីធម្មជាតិ", "ភាសាខ្មែរ", "Sokha", "Woman",
         "Farmer / producer", "Kampot Co-op", "Kampot", "2024-12-01 09:05", None, None, None],
        [rows[2].id, "Capacity building", "Training on natural fertiliser", "English", "Dara <Sok>", "Man", "NGO / CSO",
         None, "Phnom Penh", "2024-12-01 09:15", None, None, training],
        [rows[1].id, "Market linkage", "តម្លៃបន្លែទាបពេក", "ភាសាខ្មែរ", "Sokha", "Woman", "Farmer / producer",
         "Kampot Co-op", "Kampot", "2024-12-01 09:10", None, None, None],
        [rows[4].id, "Access to finance", "Low-interest loans for <organic> farmers & co-ops", "English", "Dara <Sok>",
         "Man", "NGO / CSO", None, "Phnom Penh", "2024-12-01 09:15", None, None, None],
        [rows[6].id, "Land and water", "Irrigation for the dry season", "English", "Note Taker", "Woman",
         "Research / academia", None, "Phnom Penh", "2024-12-01 09:15", None, "Yes", None],
        [seed_banks, "Seeds", "Seed banks in every commune", "English", "Dara <Sok>", "Man", "NGO / CSO", None,
         "Phnom Penh", "2024-12-01 09:15", None, None, None],
        [voice, "Seeds", None, "English", "Dara <Sok>", "Man", "NGO / CSO", None, "Phnom Penh", "2024-12-01 09:15",
         link, None, None],
    ]

    async with db.session() as session:
        needs = await consultations.needs_by_theme(session, event_id)
    assert needs == [
        ("Seeds", km("Seeds"), 2, ["Seed banks in every commune"]),
        ("Capacity building", km("Capacity building"), 1, ["វគ្គបណ្តុះបណ្តាលអំពីជីធម្មជាតិ"]),
        ("Market linkage", km("Market linkage"), 1, ["តម្លៃបន្លែទាបពេក"]),
        ("Access to finance", km("Access to finance"), 1, ["Low-interest loans for <organic> farmers & co-ops"]),
        ("Land and water", km("Land and water"), 1, ["Irrigation for the dry season"]),
    ]

    await coordinator.command("start", f"vn_{voice}")
    assert coordinator.last.method == "sendVoice" and coordinator.last.voice[1] == b"OggS 1002 Seeds"
    await dara.command("start", f"vn_{voice}")
    assert dara.last.method == "sendMessage" and dara.last.text == en("This command is for coordinators only.")


def themes_by_id(themes: dict[str, ConsultationTheme]) -> dict[int, str]:
    return {t.id: label for label, t in themes.items()}


async def test_members_see_and_delete_only_their_own_inputs(bot, telegram, db, clock):
    consultation_id, themes = await open_consultation(db, clock)
    sokha = await add_member(db, telegram, clock, 1101, language="km")
    dara = await add_member(db, telegram, clock, 1102)
    await sokha.command("start", f"cs_{consultation_id}")
    await give(sokha, km, "Seeds", "ពូជស្រូវក្នុងស្រុក")
    await give(sokha, km, "Insurance", "ធានារ៉ាប់រងដំណាំ")
    await dara.command("start", f"cs_{consultation_id}")
    await give(dara, en, "Seeds", "Local rice seed")
    rows = await inputs(db)
    async with db.session() as session:
        await consultations.merge(session, rows[2].id, rows[0].id, clock.now())

    await sokha.press("🗂 " + km("My inputs"))
    mine = sokha.last.text
    assert "ពូជស្រូវក្នុងស្រុក" in mine and "ធានារ៉ាប់រងដំណាំ" in mine and "Local rice seed" not in mine
    await sokha.press_data(f"cs:del:{rows[2].id}")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")
    assert len(await inputs(db)) == 3

    await sokha.press("🗑 " + km.number(1))
    assert telegram.callback_answers[-1]["text"] == km("Deleted.")
    assert "ពូជស្រូវក្នុងស្រុក" not in sokha.last.text and "ធានារ៉ាប់រងដំណាំ" in sokha.last.text
    left = await inputs(db)
    assert [r.id for r in left] == [rows[1].id, rows[2].id] and left[1].merged_into_id is None
    await sokha.press_data(f"cs:del:{rows[0].id}")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")


async def test_a_closed_consultation_refuses_input_with_a_clear_message(bot, telegram, db, clock):
    consultation_id, themes = await open_consultation(db, clock, closes_in=timedelta(hours=2))
    coordinator = await coordinator_in(telegram, km)
    member = await add_member(db, telegram, clock, 1201)
    await member.command("start", f"cs_{consultation_id}")
    await member.press(en("Seeds"))
    await coordinator.command("consult")
    await coordinator.press(QUESTION_KM)
    await coordinator.press("🔒 " + km("Close it"))
    assert km("Closed: it takes no more input.") in coordinator.last.text

    await member.send("Too late?")
    assert member.last.text == en("This consultation is closed. Thank you for your interest.")
    await member.press_data(f"cs:t:{consultation_id}:{themes['Seeds']}")
    assert telegram.callback_answers[-1]["text"] == en("This consultation is closed. Thank you for your interest.")
    await member.command("start", f"cs_{consultation_id}")
    assert en("This consultation is closed. Thank you for your interest.") in member.last.text
    assert member.last.button_texts() == ["🗂 " + en("My inputs")]
    assert await inputs(db) == []

    await coordinator.press("🔓 " + km("Reopen it"))
    await member.command("start", f"cs_{consultation_id}")
    await give(member, en, "Seeds", "Open again")
    clock.advance(timedelta(hours=3))
    await member.press(en("Seeds"))
    assert telegram.callback_answers[-1]["text"] == en("This consultation is closed. Thank you for your interest.")
    assert [r.text for r in await inputs(db)] == ["Open again"]


async def test_empty_huge_html_and_long_voice_inputs_are_refused_or_escaped(bot, telegram, db, clock):
    consultation_id, themes = await open_consultation(db, clock)
    coordinator = await coordinator_in(telegram, en)
    member = await add_member(db, telegram, clock, 1301, language="km")
    await member.command("start", f"cs_{consultation_id}")
    await member.press(km("Seeds"))
    await member.send(" \u200b ")
    assert member.last.text == km("That was empty. Please type some text.")
    await member.send("ក" * 1001)
    assert member.last.text == km("That is too long. Please keep it under {limit} characters.").format(
        limit=km.number(1000))
    await member.send_voice(180)
    assert member.last.text == km("That voice note is longer than {minutes} minutes. Please record a shorter one.").format(
        minutes=km.number(2))
    assert await inputs(db) == []
    await member.send("<b>ពូជ</b> & <a href='x'>link</a>")
    [row] = await inputs(db)
    assert row.text == "<b>ពូជ</b> & <a href='x'>link</a>" and row.language == "km"

    await coordinator.command("inputs")
    await coordinator.press(QUESTION_EN)
    await coordinator.press("Seeds (1)")
    assert "&lt;b&gt;ពូជ&lt;/b&gt; &amp; &lt;a href='x'&gt;link&lt;/a&gt;" in coordinator.last.text


async def test_members_cannot_run_coordinator_actions_or_reach_other_consultations_themes(bot, telegram, db, clock):
    first_id, first_themes = await open_consultation(db, clock)
    second_id, second_themes = await open_consultation(db, clock, themes=[("Water", "ទឹក")])
    member = await add_member(db, telegram, clock, 1401)
    await member.command("start", f"cs_{first_id}")
    await give(member, en, "Seeds", "Mine")
    [row] = await inputs(db)
    for data in (f"csa:x:{first_id}", f"csa:g:{first_id}", f"csa:mvt:{row.id}:{first_themes['Insurance']}",
                 f"csa:mgi:{row.id}:{row.id}", f"csa:close:{first_id}", f"csa:askgo:{first_id}", f"csa:v:{row.id}",
                 "csa:new", "csa:f:preset"):
        await member.press_data(data)
        assert telegram.callback_answers[-1]["text"] == en("This is for coordinators only."), data
    for command in ("consult", "inputs"):
        await member.command(command)
        assert member.last.text == en("This command is for coordinators only.")
    await member.press_data(f"cs:t:{first_id}:{second_themes['Water']}")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    await member.command("start", "cs_999")
    assert member.last.text == en("That link is not valid or has expired.")
    assert [(r.theme_id, r.text) for r in await inputs(db)] == [(first_themes["Seeds"], "Mine")]

    coordinator = await coordinator_in(telegram, en)
    await coordinator.press_data(f"csa:mvt:{row.id}:{second_themes['Water']}")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    assert (await inputs(db))[0].theme_id == first_themes["Seeds"]


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_the_question_is_asked_in_the_coordinators_language_first_and_can_serve_both(bot, telegram, db, _):
    own, other = (_("English"), _("Khmer")) if _.language == "en" else (_("Khmer"), _("English"))
    question = QUESTION_EN if _.language == "en" else QUESTION_KM
    coordinator = await coordinator_in(telegram, _)
    await coordinator.command("consult")
    await coordinator.press("➕ " + _("New consultation"))
    assert coordinator.last.text == _("What question do you want to ask, in {language}? For example: “What support do "
                                      "farmers need most for agroecology?” (Up to {limit} characters.)").format(
        language=own, limit=_.number(consultations.QUESTION_MAX))
    assert coordinator.last.button_texts() == [_("Cancel")]
    await coordinator.send(question)
    assert coordinator.last.text == _("{language}: {sentence}").format(language=own, sentence=f"<b>{question}</b>") + \
        "\n\n" + _("Type the question in {language}, or press the button to use the same question in both "
                    "languages.").format(language=other)
    assert coordinator.last.button_texts() == [_("Use it for both languages"), _("Cancel")]
    await coordinator.press(_("Use it for both languages"))
    assert _("Capacity building") in coordinator.last.text
    async with db.session() as session:
        draft = await drafts.get(session, COORDINATOR_ID, "consult_new")
    assert (draft.step, draft.data["question_en"], draft.data["question_km"]) == ("themes", question, question)


async def test_a_skip_english_button_sent_before_still_lets_the_question_be_typed_in_khmer(bot, telegram, db):
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("consult")
    await coordinator.press("➕ " + en("New consultation"))
    await coordinator.press_data("csa:f:skip:question_en")
    assert coordinator.last.button_texts() == [en("Cancel")]
    await coordinator.send(QUESTION_KM)
    async with db.session() as session:
        draft = await drafts.get(session, COORDINATOR_ID, "consult_new")
    assert (draft.step, draft.data["question_en"], draft.data["question_km"]) == ("themes", "", QUESTION_KM)


async def test_khmer_coordinator_opens_one_with_typed_themes_and_asks_every_member_once(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, km)
    others = [await add_member(db, telegram, clock, 1500 + n, language="km" if n % 2 else "en") for n in range(3)]
    await coordinator.command("consult")
    await coordinator.press("➕ " + km("New consultation"))
    await coordinator.send(QUESTION_KM)
    await coordinator.press(km("Use it for both languages"))
    await coordinator.send("Seeds / គ្រាប់ពូជ\nStudies/research\nទឹក\n" + "x" * 61)
    assert coordinator.last.text == km("That is too long. Please keep it under {limit} characters.").format(
        limit=km.number(60))
    await coordinator.send("Seeds / គ្រាប់ពូជ\nStudies/research\nទឹក")
    await coordinator.press(km("No event"))
    await coordinator.send("32/13/2024")
    assert coordinator.last.text == km("I could not read that date. Please type it like 13/12/2024 17:00.")
    await coordinator.send("30/11/2024 10:00")
    assert coordinator.last.text == km("That time has already passed. Please give a later one.")
    await coordinator.press(km("No closing time"))
    assert km("Open, with no closing time.") in coordinator.last.text
    async with db.session() as session:
        consultation = await session.get(Consultation, 1)
        found = [(t.label_en, t.label_km) for t in await consultations.themes(session, 1)]
    assert (consultation.question_en, consultation.closes_at, consultation.event_id) == (QUESTION_KM, None, None)
    assert found == [("Seeds", "គ្រាប់ពូជ"), ("Studies/research", "Studies/research"), ("ទឹក", "ទឹក")]

    await coordinator.press("📣 " + km("Ask members for input"))
    assert coordinator.last.text == km.ngettext("Ask {count} member for input?", "Ask {count} members for input?",
                                                3).format(count=km.number(3))
    await coordinator.press("📣 " + km("Send"))
    delivery = await last_delivery(db, consultations.ASK_KIND)
    await wait_done(bot, db, delivery.id)
    assert delivery.total == 3
    assert not any(km("We would like to hear from you") in (m.text or "") for m in coordinator.messages)
    member = others[1]
    assert member.last.text.startswith("<b>" + km("We would like to hear from you") + "</b>")
    await member.press("💬 " + km("Give my input"))
    await give(member, km, "គ្រាប់ពូជ", voice=30)
    assert (await inputs(db))[0].voice_seconds == 30

    [asked] = [m for m in coordinator.messages if m.text == km(
        "The requests are on their way. I will report here when they have been delivered.")]
    await coordinator.press_data("csa:askgo:1", message=asked)
    assert telegram.message(COORDINATOR_ID, asked.message_id).text == km(
        "There is no one to ask: everyone it is meant for has been asked already.")
    assert await count(db, Delivery, Delivery.kind == consultations.ASK_KIND) == 1


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_an_events_consultation_asks_those_who_came_and_never_the_coordinator_asking(bot, telegram, db, clock, _):
    event_id = await make_event(db, clock)
    consultation_id, _themes = await open_consultation(db, clock, event_id=event_id)
    coordinator = await coordinator_in(telegram, _)
    came = await add_member(db, telegram, clock, 1601, language="km")
    no_show = await add_member(db, telegram, clock, 1602)
    async with db.session() as session:
        ids = dict((await session.execute(select(Member.telegram_id, Member.id))).all())
        for telegram_id in (1601, 1602, COORDINATOR_ID):
            session.add(Rsvp(event_id=event_id, member_id=ids[telegram_id], answer="going", waitlisted=False,
                             created_at=clock.now(), updated_at=clock.now()))
    attendees = ("Ask {count} attendee of the event for input?", "Ask {count} attendees of the event for input?")
    await coordinator.press_data(f"csa:ask:{consultation_id}")
    assert coordinator.last.text == _.ngettext(*attendees, 2).format(count=_.number(2))

    async with db.session() as session:
        for telegram_id in (1601, COORDINATOR_ID):
            session.add(CheckIn(event_id=event_id, member_id=ids[telegram_id], method="qr", checked_in_at=clock.now()))
    await coordinator.press_data(f"csa:ask:{consultation_id}")
    assert coordinator.last.text == _.ngettext(*attendees, 1).format(count=_.number(1))
    await coordinator.press("📣 " + _("Send"))
    delivery = await last_delivery(db, consultations.ASK_KIND)
    await wait_done(bot, db, delivery.id)
    assert delivery.total == 1 and no_show.messages == []
    assert came.last.text.startswith("<b>" + km("We would like to hear from you") + "</b>")
    assert not any(_("We would like to hear from you") in (m.text or "") for m in coordinator.messages)


async def test_merging_follows_chains_and_moving_takes_duplicates_along(db, clock):
    now = clock.now()
    async with db.session() as session:
        member = Member(telegram_id=7, language="en", step=None, editing=False, receives_announcements=True,
                        reachable=True, created_at=now, updated_at=now)
        session.add(member)
        consultation = await consultations.create(session, question_en="Q", question_km="", themes=[("A", ""), ("B", "")],
                                                  event_id=None, closes_at=None, created_by=1, now=now)
        a, b = await consultations.themes(session, consultation.id)
        made = [await consultations.add_input(session, consultation_id=consultation.id, theme_id=a.id, submitted_by=7,
                                              member=member, text=f"need {n}", now=now) for n in range(3)]
        first, second, third = made
        assert await consultations.merge(session, second.id, third.id, now) is not None
        assert await consultations.merge(session, third.id, second.id, now) is None
        assert await consultations.merge(session, third.id, first.id, now) is not None
        await session.refresh(second)
        assert second.merged_into_id == first.id
        assert await consultations.move(session, first.id, b.id, now) is not None
        await session.refresh(second)
        await session.refresh(third)
        assert {second.theme_id, third.theme_id} == {b.id}
        assert [(c.theme.label_en, c.count) for c in await consultations.counts(session, consultation.id)] == [("A", 0), ("B", 1)]
        assert await consultations.add_input(session, consultation_id=consultation.id, theme_id=b.id, submitted_by=7,
                                             member=member, text="ok", now=now)
        consultation.status = "closed"
        try:
            await consultations.add_input(session, consultation_id=consultation.id, theme_id=b.id, submitted_by=7,
                                          member=member, text="late", now=now)
        except consultations.InputRefused as exc:
            assert exc.reason == consultations.Refused.CLOSED
        else:
            raise AssertionError("a closed consultation took input")
