"""/eventreport: the bilingual report of the 2nd ALiSEA Policy Dialogue Workshop, as Word and PDF, pushed as a brief."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select, update

from bot.i18n import translator
from bot.models import Delivery, Event, GroupInterest, Member, OutboxMessage, SurveyAnswer, SurveyResponse
from bot.posters import FONT_FAMILY
from bot.reportdocs import html_page
from bot.services import consultations, eventreport, surveys
from handlers import eventreport as feature
from handlers.attendance_report import donor_sentence
from tests.conftest import COORDINATOR_ID
from tests.test_attendance_report import add_walkins, check_in
from tests.test_checkin import TITLE_EN, TITLE_KM, WORKSHOP_START, add_member, coordinator, create_event
from tests.test_consultations import open_consultation
from tests.test_delivery import wait_done
from tests.test_groups import NAME_EN, NAME_KM, make_group

km = translator("km")
en = translator("en")
DESCRIPTION_EN = "Farmers, NGOs and ministries discuss what agroecology policy should bring."
DESCRIPTION_KM = "កសិករ អង្គការ និងក្រសួង ពិភាក្សាអំពីគោលនយោបាយកសិអេកូឡូស៊ី។"
AGENDA = "08:30 Welcome\n09:00 Policy updates from MAFF\n10:30 Farmer stories"
SURVEY_EN = "Post-workshop feedback"
SURVEY_KM = "មតិយោបល់ក្រោយសិក្ខាសាលា"
OPTIONS = [{"en": "Policy panel", "km": "វគ្គពិភាក្សាគោលនយោបាយ"}, {"en": "Group work", "km": "ការងារក្រុម"}]
SECTIONS = ("purpose", "agenda", "attendance", "groups", "surveys", "needs", "organisations")
MEMBERS = 12
BYSTANDER = 20_500


def section(name: str, _) -> str:
    return _(feature.SECTIONS[name])


async def describe(db, event_id: int, *, description: bool = True, agenda: bool = True) -> None:
    async with db.session() as session:
        await session.execute(update(Event).where(Event.id == event_id).values(
            description_en=DESCRIPTION_EN if description else "", description_km=DESCRIPTION_KM if description else "",
            agenda=AGENDA if agenda else ""))


async def seed_interest(db, clock, event_id: int, member_ids: list[int]) -> int:
    """Five attendees (three women) interested from the workshop; one withdrawn and one from elsewhere don't count."""
    group_id = await make_group(db, clock)
    now = clock.now()
    async with db.session() as session:
        for n, member_id in enumerate(member_ids[:7]):
            session.add(GroupInterest(group_id=group_id, member_id=member_id, source="event",
                                      event_id=None if n == 6 else event_id,
                                      status="withdrawn" if n == 5 else "interested", in_chat=False,
                                      created_at=now, updated_at=now))
    return group_id


async def seed_consultation(db, clock, event_id: int, member_ids: list[int]) -> None:
    consultation_id, themes = await open_consultation(db, clock, event_id=event_id)
    inputs = [("Market linkage", "Buyers for organic vegetables in Phnom Penh"),
              ("Market linkage", "ទីផ្សារសម្រាប់ផលិតផលកសិអេកូឡូស៊ី"),
              ("Market linkage", None),
              ("Seeds", "Local <b>seed</b> banks & exchange")]
    async with db.session() as session:
        for n, (theme, text) in enumerate(inputs):
            member = await session.get(Member, member_ids[n])
            await consultations.add_input(session, consultation_id=consultation_id, theme_id=themes[theme],
                                          submitted_by=member.telegram_id, member=member, text=text,
                                          voice_file_id=None if text else "voice-1", voice_seconds=None if text else 9,
                                          now=clock.now())


async def seed_survey(db, clock, event_id: int, member_ids: list[int]) -> None:
    """The feedback survey sent to the attendees: four sent, three answered (two women)."""
    now = clock.now()
    questions = [surveys.built_question(0, "select_one", {"en": "Most useful session", "km": "វគ្គដែលមានប្រយោជន៍បំផុត"},
                                        OPTIONS),
                 surveys.built_question(1, "rating", {"en": "How useful was the workshop?",
                                                      "km": "តើសិក្ខាសាលាមានប្រយោជន៍ប៉ុណ្ណា?"}),
                 surveys.built_question(2, "text", {"en": "Anything else?", "km": "មានអ្វីផ្សេងទៀតទេ?"})]
    async with db.session() as session:
        survey = await surveys.create(session, title={"en": SURVEY_EN, "km": SURVEY_KM}, questions=questions,
                                      source="chat", created_by=COORDINATOR_ID, now=now)
        delivery = Delivery(kind="survey", ref_id=survey.id, created_by=COORDINATOR_ID, created_at=now, send_at=now,
                            status="done", content={}, total=4)
        session.add(delivery)
        await session.flush()
        survey.event_id, survey.status, survey.delivery_id, survey.sent_at = event_id, "closed", delivery.id, now
        for n, member_id in enumerate(member_ids[:4]):
            session.add(OutboxMessage(delivery_id=delivery.id, chat_id=20_000 + n, member_id=member_id,
                                      language="en", status="sent", attempts=1, due_at=now))
        for n, (choice, rating) in enumerate([("c1", 5), ("c2", 4), ("c1", 3)]):
            response = SurveyResponse(survey_id=survey.id, member_id=member_ids[n * 4], current=None, started_at=now,
                                      updated_at=now, completed_at=now + timedelta(minutes=n))
            session.add(response)
            await session.flush()
            for name, value in (("q1", choice), ("q2", rating), ("q3", "More farmer stories")):
                session.add(SurveyAnswer(response_id=response.id, question=name, value=value, answered_at=now))


async def seed_workshop(db, telegram, clock) -> tuple[Event, list[int]]:
    """12 members and 3 walk-ins checked in, 6 of them women, with group interest, a consultation and a survey."""
    event = await create_event(db, clock)
    await describe(db, event.id)
    organisations = ["CEDAC", "cedac ", "MAFF", None] * 3
    ids = [await add_member(db, telegram, clock, 20_000 + n, language="km" if n % 2 else "en",
                            gender="woman" if n % 4 == 0 or n == 1 else "man", organisation=organisations[n],
                            stakeholder=("farmer", "ngo", "government")[n % 3]) for n in range(MEMBERS)]
    await add_member(db, telegram, clock, BYSTANDER)
    await check_in(db, event.id, ids)
    await add_walkins(db, event.id)
    await seed_interest(db, clock, event.id, [ids[0], ids[4], ids[8], ids[2], ids[3], ids[5], ids[6]])
    await seed_consultation(db, clock, event.id, ids)
    await seed_survey(db, clock, event.id, ids)
    return event, ids


def docx_texts(content: bytes) -> list[str]:
    """Every paragraph of the Word file, tables included, in order."""
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


async def make_report(bot, boss, event_id: int):
    """Asks for the report and waits for the files (charts and PDF layout take seconds on a busy machine)."""
    await boss.command("eventreport")
    assert boss.last.text == km("Choose the event to write the report of:")
    settle, boss.server.settle = boss.server.settle, None
    try:
        update_id = await boss.press(f"erp:ev:{event_id}")
    finally:
        boss.server.settle = settle
    await bot.settle(update_id, timeout=120)
    return boss.messages[-3:]


async def test_khmer_coordinator_gets_the_workshop_report_in_both_languages_as_word_and_pdf(bot, telegram, db, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "km")
    clock.set(WORKSHOP_START + timedelta(days=2))

    word, pdf, summary = await make_report(bot, boss, event.id)
    assert word.document[0] == f"event-report-{event.id}-2024-12-13.docx"
    assert pdf.document[0] == f"event-report-{event.id}-2024-12-13.pdf"
    assert pdf.document[1].startswith(b"%PDF-") and pdf.document[1].rstrip().endswith(b"%%EOF")
    assert word.text == pdf.text == f"<b>{TITLE_KM}</b>"
    assert donor_sentence(15, 6, km) in summary.text and donor_sentence(15, 6, en) in summary.text
    assert summary.button_texts() == ["📣 " + km("Send the report as a brief to the attendees"),
                                      "📣 " + km("Send the report as a brief to other members")]

    texts = docx_texts(word.document[1])
    khmer, english = texts.index(TITLE_KM), texts.index(TITLE_EN)
    assert khmer < english, "the coordinator's language comes first"
    for _, part in ((km, texts[khmer:english]), (en, texts[english:])):
        assert donor_sentence(15, 6, _) in part
        for name in SECTIONS:
            assert section(name, _) in part
        assert _.ngettext("{count} person expressed interest in the {group}.",
                          "{count} people expressed interest in the {group}, {women} of them women.", 5).format(
            count=_.number(5), group=NAME_KM if _ is km else NAME_EN, women=_.number(3)) in part
        assert _("{group} ({count})").format(group="CEDAC", count=_.number(6)) in part
        assert _("{group} ({count})").format(group="Radio FM 105", count=_.number(1)) in part
        assert _("{group} ({count})").format(group=_("Market linkage"), count=_.number(3)) in part
        assert _.ngettext("{count} voice note", "{count} voice notes", 1).format(count=_.number(1)) in part
        assert "Local <b>seed</b> banks & exchange" in part
        assert "09:00 Policy updates from MAFF" in part
        assert (SURVEY_KM if _ is km else SURVEY_EN) in part
    assert DESCRIPTION_KM in texts[khmer:english] and DESCRIPTION_EN in texts[english:]


async def test_the_word_file_names_the_khmer_font_for_complex_scripts_and_carries_it(bot, telegram, db, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "km")
    word, _pdf, _summary = await make_report(bot, boss, event.id)

    document = Document(io.BytesIO(word.document[1]))
    run = next(r for p in document.paragraphs for r in p.runs if r.text == TITLE_KM)
    fonts = run._element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:cs")) == fonts.get(qn("w:ascii")) == FONT_FAMILY
    assert run._element.rPr.find(qn("w:lang")).get(qn("w:bidi")) == "km-KH"
    parts = {str(part.partname): part for part in document.part.package.iter_parts()}
    assert len(parts["/word/fonts/font1.odttf"].blob) > 100_000
    assert FONT_FAMILY in parts["/word/fontTable.xml"].blob.decode()


async def test_the_pdf_page_escapes_member_text_and_embeds_the_khmer_font(db, telegram, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    async with db.session() as session:
        report = await eventreport.collect(session, event.id)
    parts = feature.report_parts(report, "en", clock.now())
    assert [part.language for part in parts] == ["en", "km"]
    page = html_page(parts, title=TITLE_EN)
    assert "Local &lt;b&gt;seed&lt;/b&gt; banks &amp; exchange" in page and "<b>seed" not in page
    assert page.index(donor_sentence(15, 6, en)) < page.index(donor_sentence(15, 6, km))
    assert "@font-face" in page and "file:///" in page and "NotoSansKhmer" in page
    assert page.count("data:image/png;base64,") == 2 * (1 + 2)  # attendance, and two charted questions, per language
    for name in SECTIONS:
        assert section(name, en) in page and section(name, km) in page


async def test_an_event_without_groups_surveys_or_consultations_leaves_those_sections_out(bot, telegram, db, clock):
    event = await create_event(db, clock, title_en="Field day", title_km="ទិវាស្រែ")
    await describe(db, event.id, description=False)
    member = await add_member(db, telegram, clock, 20_100, gender="woman")
    await check_in(db, event.id, [member])
    quiet = await create_event(db, clock, title_en="Quiet day", title_km="ថ្ងៃស្ងាត់")
    boss = await coordinator(db, telegram, clock, "km")

    word, _pdf, _summary = await make_report(bot, boss, event.id)
    texts = docx_texts(word.document[1])
    for _ in (km, en):
        assert section("attendance", _) in texts and section("agenda", _) in texts
        assert donor_sentence(1, 1, _) in texts
        for name in ("purpose", "groups", "surveys", "needs", "organisations"):
            assert section(name, _) not in texts

    word, _pdf, summary = await make_report(bot, boss, quiet.id)
    texts = docx_texts(word.document[1])
    assert section("attendance", km) not in texts and section("agenda", km) not in texts
    assert "ថ្ងៃស្ងាត់" in texts and "Quiet day" in texts
    assert summary.button_texts() == ["📣 " + km("Send the report as a brief to other members")]


async def test_members_are_refused_and_forged_buttons_get_a_clear_answer(bot, telegram, db, clock):
    event = await create_event(db, clock)
    await add_member(db, telegram, clock, 20_200)
    member = telegram.user(20_200, "Rotha")
    await member.command("eventreport")
    assert member.last.text == en("This command is for coordinators only.")
    await member.press_data(f"erp:ev:{event.id}")
    assert telegram.callback_answers[-1]["text"] == en("This is for coordinators only.")
    assert all(m.document is None for m in member.messages)

    boss = await coordinator(db, telegram, clock, "km")
    await boss.command("eventreport")
    await boss.press_data("erp:ev:999999")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")
    await boss.press_data(f"erp:br:{event.id}:a")
    assert telegram.callback_answers[-1]["text"] == km("This button is no longer active.")
    assert all(m.document is None for m in boss.messages)


async def test_the_report_is_pushed_as_a_brief_to_the_attendees(bot, telegram, db, clock):
    event, ids = await seed_workshop(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "km")
    _word, pdf, _summary = await make_report(bot, boss, event.id)

    await boss.press("📣 " + km("Send the report as a brief to the attendees"))
    assert boss.messages[-2].text == km(
        "The audience is set to the members who checked in at {event}. You can narrow it down below, then press "
        "Done.").format(event=f"<b>{TITLE_KM}</b>")
    assert km.ngettext("{count} chosen member", "{count} chosen members", MEMBERS).format(
        count=km.number(MEMBERS)) in boss.last.text
    await boss.press("✅ " + km("Done"))
    previews = [m for m in boss.messages[-3:] if m.document]
    assert [m.document[1] for m in previews] == [pdf.document[1]] * 2
    assert previews[0].text.startswith("<b>" + km("Report: {title}").format(title=TITLE_KM) + "</b>")
    assert donor_sentence(15, 6, km) in previews[0].text
    await boss.press("📤 " + km("Send now"))

    async with db.session() as session:
        delivery = await session.scalar(select(Delivery).where(Delivery.kind == "brief"))
    await wait_done(bot, db, delivery.id)
    assert delivery.total == MEMBERS
    english_reader = telegram.messages(20_000)[-1]
    assert english_reader.document == pdf.document
    assert english_reader.text.startswith("<b>" + en("Report: {title}").format(title=TITLE_EN) + "</b>")
    assert donor_sentence(15, 6, en) in english_reader.text
    assert telegram.messages(20_001)[-1].document == pdf.document
    assert telegram.messages(BYSTANDER) == []


async def test_the_report_can_go_to_any_audience_through_the_picker(bot, telegram, db, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "km")
    await make_report(bot, boss, event.id)
    await boss.press("📣 " + km("Send the report as a brief to other members"))
    assert "👥 " + km("All members") in boss.last.text
    await boss.press("✅ " + km("Done"))
    everyone = MEMBERS + 2  # the bystander and the coordinator too
    assert boss.last.text == km.ngettext("Send this brief to {count} member?", "Send this brief to {count} members?",
                                         everyone).format(count=km.number(everyone))
