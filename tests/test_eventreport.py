"""The bilingual report of the 2nd ALiSEA Policy Dialogue Workshop, as Word and PDF: sent by itself to the
coordinators when the event ends, or asked for with /eventreport, and pushed as a brief."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pypdf
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select, update

from bot import reportpdf
from bot.event_text import zone as event_text_zone
from bot.i18n import translator
from bot.models import (Delivery, Event, EventReportSend, GroupInterest, Member, OutboxMessage, SurveyAnswer,
                        SurveyResponse)
from bot.posters import FONT_FAMILY
from bot.reportdocs import Bullets, Heading, Paragraph, Part, Table
from bot.services import consultations, coordinators, eventreport, surveys
from bot.vocab import GENDERS
from handlers.eventreport import automatic, callbacks, document, screens
from handlers.ui.tallies import donor_sentence
from tests.conftest import COORDINATOR_ID
from tests.helpers_groups import NAME_EN, NAME_KM, make_group, open_consultation
from tests.helpers_outbox import wait_done
from tests.helpers_workshop import (
    TITLE_EN,
    TITLE_KM,
    WORKSHOP_START,
    add_member,
    add_walkins,
    check_in,
    coordinator,
    create_event,
)

km = translator("km")
en = translator("en")
DESCRIPTION_EN = "Farmers, NGOs and ministries discuss what agroecology policy should bring."
DESCRIPTION_KM = "កសិករ អង្គការ និងក្រសួង ពិភាក្សាអំពីគោលនយោបាយកសិអេកូឡូស៊ី។"
AGENDA = "08:30 Welcome\n09:00 Policy updates from MAFF\n10:30 Farmer stories"
SURVEY_EN = "Post-workshop feedback"
SURVEY_KM = "មតិយោបល់ក្រោយសិក្ខាសាលា"
OPTIONS = [{"en": "Policy panel", "km": "វគ្គពិភាក្សាគោលនយោបាយ"}, {"en": "Group work", "km": "ការងារក្រុម"}]
SECTIONS = ("summary", "purpose", "agenda", "attendance", "groups", "surveys", "needs", "organisations")
OPEN_QUESTION = {"en": "Anything else?", "km": "មានអ្វីផ្សេងទៀតទេ?"}
SUGGESTIONS = ["More farmer stories", "ចង់បានដំណើរទស្សនកិច្ចនៅកសិដ្ឋាន", "Shorter <i>speeches</i> & more Q&A"]
KHMER_WORDS = ("ស្ត្រី", "សិក្ខាសាលា", "គោលនយោបាយ", "ក្រុម", "អ្នកចូលរួម")
MEMBERS = 12
BYSTANDER = 20_500


def section(name: str, _) -> str:
    return _(document.SECTIONS[name])


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


async def seed_survey(db, clock, event_id: int, member_ids: list[int], *, status: str = "closed") -> None:
    """The feedback survey sent to the attendees: four sent, three answered (two women), each with a suggestion."""
    now = clock.now()
    questions = [surveys.built_question(0, "select_one", {"en": "Most useful session", "km": "វគ្គដែលមានប្រយោជន៍បំផុត"},
                                        OPTIONS),
                 surveys.built_question(1, "rating", {"en": "How useful was the workshop?",
                                                      "km": "តើសិក្ខាសាលាមានប្រយោជន៍ប៉ុណ្ណា?"}),
                 surveys.built_question(2, "text", OPEN_QUESTION)]
    async with db.session() as session:
        survey = await surveys.create(session, title={"en": SURVEY_EN, "km": SURVEY_KM}, questions=questions,
                                      source="chat", created_by=COORDINATOR_ID, now=now)
        delivery = Delivery(kind="survey", ref_id=survey.id, created_by=COORDINATOR_ID, created_at=now, send_at=now,
                            status="done", content={}, total=4)
        session.add(delivery)
        await session.flush()
        survey.event_id, survey.status, survey.delivery_id, survey.sent_at = event_id, status, delivery.id, now
        for n, member_id in enumerate(member_ids[:4]):
            session.add(OutboxMessage(delivery_id=delivery.id, chat_id=20_000 + n, member_id=member_id,
                                      language="en", status="sent", attempts=1, due_at=now))
        for n, (choice, rating) in enumerate([("c1", 5), ("c2", 4), ("c1", 3)]):
            response = SurveyResponse(survey_id=survey.id, member_id=member_ids[n * 4], current=None, started_at=now,
                                      updated_at=now, completed_at=now + timedelta(minutes=n))
            session.add(response)
            await session.flush()
            for name, value in (("q1", choice), ("q2", rating), ("q3", SUGGESTIONS[n])):
                session.add(SurveyAnswer(response_id=response.id, question=name, value=value, answered_at=now))


async def seed_workshop(db, telegram, clock, *, survey_status: str | None = "closed") -> tuple[Event, list[int]]:
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
    if survey_status is not None:
        await seed_survey(db, clock, event.id, ids, status=survey_status)
    return event, ids


async def seed_long_survey(db, clock, event_id: int, member_ids: list[int]) -> None:
    """A second survey of 12 questions (eight choices of four, two ratings, two open), answered by every attendee."""
    now = clock.now()
    kinds = ["select_one"] * 8 + ["rating"] * 2 + ["text"] * 2
    options = [{"en": f"Option {n} with a longer label", "km": f"ជម្រើសទី {n} សម្រាប់សិក្ខាសាលា"} for n in range(1, 5)]
    questions = [surveys.built_question(n, kind, {"en": f"Question {n + 1} of the long survey",
                                                  "km": f"សំណួរទី {n + 1} នៃការស្ទង់មតិ"},
                                        options if kind == "select_one" else None)
                 for n, kind in enumerate(kinds)]
    async with db.session() as session:
        survey = await surveys.create(session, title={"en": "Long survey", "km": "ការស្ទង់មតិវែង"},
                                      questions=questions, source="chat", created_by=COORDINATOR_ID, now=now)
        survey.event_id, survey.status, survey.sent_at = event_id, "closed", now
        await session.flush()
        for index, member_id in enumerate(member_ids):
            response = SurveyResponse(survey_id=survey.id, member_id=member_id, current=None, started_at=now,
                                      updated_at=now, completed_at=now)
            session.add(response)
            await session.flush()
            for question in questions:
                value = {"select_one": f"c{index % 4 + 1}", "rating": index % 5 + 1,
                         "text": f"Idea {index} ({question['name']})"}[question["type"]]
                session.add(SurveyAnswer(response_id=response.id, question=question["name"], value=value,
                                         answered_at=now))


def docx_texts(content: bytes) -> list[str]:
    """Every paragraph of the Word file, tables included, in order."""
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


def pdf_text(content: bytes) -> str:
    """What copying all the PDF's text gives (pypdf), spaces and line ends as single spaces."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def poppler_text(content: bytes) -> str | None:
    """The same with poppler's pdftotext, where it is installed."""
    if shutil.which("pdftotext") is None:
        return None
    out = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def page_count(content: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


async def make_report(bot, boss, event_id: int):
    """Asks for the report and waits for the files (charts and PDF layout take seconds on a busy machine)."""
    await boss.command("eventreport")
    assert boss.last.text == km("Choose the event to write the report of:")
    settle, boss.server.settle = boss.server.settle, None
    try:
        update_id = await boss.press(callbacks.EVENT.data(event_id))
    finally:
        boss.server.settle = settle
    await bot.settle(update_id, timeout=120)
    return boss.messages[-3:]


def after(texts: list[str], heading: str, count: int) -> list[str]:
    """The `count` paragraphs that follow a heading."""
    index = texts.index(heading)
    return texts[index + 1:index + 1 + count]


async def test_khmer_coordinator_gets_the_workshop_report_in_both_languages_as_word_and_pdf(bot, telegram, db, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    boss = await coordinator(db, telegram, clock, "km")
    # Long enough after the end that the report no longer goes out by itself.
    clock.set(WORKSHOP_START + eventreport.CATCH_UP + timedelta(days=1))

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
        assert part.index(section("summary", _)) < part.index(section("purpose", _)), "the summary comes first"
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
        assert _.ngettext("{survey}: {count} response.", "{survey}: {count} responses.", 3).format(
            survey=SURVEY_KM if _ is km else SURVEY_EN, count=_.number(3)) in part
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


async def test_open_text_answers_appear_under_their_question_in_both_languages(db, telegram, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    async with db.session() as session:
        report = await eventreport.collect(session, event.id, clock.now())
    files = document.render(report, "km", clock.now())

    texts = docx_texts(files.docx)
    khmer, english = texts.index(TITLE_KM), texts.index(TITLE_EN)
    assert after(texts[khmer:english], OPEN_QUESTION["km"], 3) == SUGGESTIONS
    assert after(texts[english:], OPEN_QUESTION["en"], 3) == SUGGESTIONS
    extracted = pdf_text(files.pdf)
    for suggestion in SUGGESTIONS:
        assert extracted.count(suggestion) == 2, suggestion


async def test_the_pdf_gives_back_the_khmer_it_shows_when_copied(db, telegram, clock):
    event, _ids = await seed_workshop(db, telegram, clock)
    async with db.session() as session:
        report = await eventreport.collect(session, event.id, clock.now())
    pdf = document.render(report, "km", clock.now()).pdf

    words = [TITLE_KM, DESCRIPTION_KM, SURVEY_KM, NAME_KM, "ទីផ្សារសម្រាប់ផលិតផលកសិអេកូឡូស៊ី", OPTIONS[0]["km"],
             donor_sentence(15, 6, km), km(GENDERS["woman"]), *[section(name, km) for name in SECTIONS],
             TITLE_EN, donor_sentence(15, 6, en), "Local <b>seed</b> banks & exchange", *KHMER_WORDS]
    for extracted in (pdf_text(pdf), poppler_text(pdf)):
        if extracted is None:
            continue
        for words_shown in words:
            assert " ".join(words_shown.split()) in extracted, words_shown


def test_a_khmer_sentence_reads_back_word_for_word_from_the_pdf():
    sentence = "ស្ត្រី សិក្ខាសាលា គោលនយោបាយ ក្រុម អ្នកចូលរួម ៤១ នាក់"
    blocks = [Heading(sentence), Paragraph(sentence, strong=True), Bullets([sentence]), Table([sentence], [[sentence]])]
    pdf = reportpdf.pdf([Part("km", sentence, [sentence], blocks)], title=sentence)
    for extracted in (pdf_text(pdf), poppler_text(pdf)):
        if extracted is not None:
            # Title, line under it, heading, paragraph, list item, table header and cell; then the page number.
            assert extracted.replace("•", "").split() == sentence.split() * 7 + ["1"]


async def test_a_twelve_question_survey_keeps_the_report_short(db, telegram, clock):
    event, ids = await seed_workshop(db, telegram, clock, survey_status=None)
    await seed_long_survey(db, clock, event.id, ids)
    async with db.session() as session:
        report = await eventreport.collect(session, event.id, clock.now())
    files = document.render(report, "en", clock.now())

    assert page_count(files.pdf) <= 8
    extracted = pdf_text(files.pdf)
    for number in range(12):
        assert extracted.count(f"Question {number + 1} of the long survey") == 1
        assert extracted.count(f"សំណួរទី {number + 1} នៃការស្ទង់មតិ") == 1
    # One compact chart per charted question and one of attendance, in each language.
    pages = pypdf.PdfReader(io.BytesIO(files.pdf)).pages
    assert sum(page.get_contents().get_data().count(b" Do Q") for page in pages) == 2 * (10 + 1)


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


# ---------------------------------------------------------------- sent by itself when the event ends


def due_job(bot):
    [job] = bot.app.job_queue.get_jobs_by_name(automatic.DUE_JOB)
    return job


async def sends(db) -> list[EventReportSend]:
    async with db.session() as session:
        return list(await session.scalars(select(EventReportSend).order_by(EventReportSend.id)))


async def test_when_the_event_ends_its_coordinators_get_the_report_once_even_across_a_restart(
        bot, telegram, db, clock):
    event, _ids = await seed_workshop(db, telegram, clock, survey_status="open")
    boss = await coordinator(db, telegram, clock, "km")
    await add_member(db, telegram, clock, 9001, language="en", name="Sophea")
    async with db.session() as session:
        await coordinators.add(session, 9001, added_by=COORDINATOR_ID, now=clock.now())
    sophea = telegram.user(9001, "Sophea")
    assert due_job(bot).job.trigger.interval <= timedelta(minutes=1)

    clock.set(event.ends_at - timedelta(minutes=1))
    await due_job(bot).run(bot.app)
    assert boss.messages == [] and sophea.messages == [] and await sends(db) == []
    clock.set(event.ends_at + timedelta(seconds=30))
    await due_job(bot).run(bot.app)
    ended = clock.now()

    word, pdf, summary = boss.messages
    assert (word.document[0], pdf.document[0]) == (f"event-report-{event.id}-2024-12-13.docx",
                                                   f"event-report-{event.id}-2024-12-13.pdf")
    assert word.text == pdf.text == f"<b>{TITLE_KM}</b>"
    assert summary.text.startswith("🏁 " + km("The event has ended. Here is its report."))
    assert summary.button_texts() == ["📣 " + km("Send the report as a brief to the attendees"),
                                      "📣 " + km("Send the report as a brief to other members")]
    texts = docx_texts(word.document[1])
    assert texts.index(TITLE_KM) < texts.index(TITLE_EN)
    zone = event_text_zone(event)
    for _ in (km, en):
        assert _("Still collecting answers: these are the answers received by {date}.").format(
            date=_.datetime(ended, zone)) in texts
        assert _.ngettext("{survey}: {count} response so far; still collecting answers.",
                          "{survey}: {count} responses so far; still collecting answers.", 3).format(
            survey=SURVEY_KM if _ is km else SURVEY_EN, count=_.number(3)) in texts
    english = sophea.messages
    assert [m.document[0] for m in english[:2]] == [word.document[0], pdf.document[0]]
    assert english[2].text.startswith("🏁 " + en("The event has ended. Here is its report."))
    english_texts = docx_texts(english[0].document[1])
    assert english_texts.index(TITLE_EN) < english_texts.index(TITLE_KM)

    await bot.restart()
    await due_job(bot).run(bot.app)
    clock.advance(timedelta(hours=1))
    await due_job(bot).run(bot.app)
    assert len(boss.messages) == 3 and len(sophea.messages) == 3
    [sent] = await sends(db)
    assert (sent.status, sent.sent_to) == (eventreport.SENT, [COORDINATOR_ID, 9001])

    await boss.press("📣 " + km("Send the report as a brief to the attendees"), message=summary)
    assert boss.messages[-2].text == km(
        "The audience is set to the members who checked in at {event}. You can narrow it down below, then press "
        "Done.").format(event=f"<b>{TITLE_KM}</b>")
    await boss.press("✅ " + km("Done"))
    previews = [m for m in boss.messages[-3:] if m.document]
    assert [m.document[1] for m in previews] == [pdf.document[1]] * 2


async def test_an_event_that_ended_while_the_bot_was_down_gets_its_report_once_at_start(bot, telegram, db, clock):
    event = await create_event(db, clock, title_en="Field day", title_km="ទិវាស្រែ")
    member = await add_member(db, telegram, clock, 20_100, gender="woman")
    await check_in(db, event.id, [member])
    boss = await coordinator(db, telegram, clock, "en")
    unreachable = 9100  # a coordinator who never opened the bot
    async with db.session() as session:
        await coordinators.add(session, unreachable, added_by=COORDINATOR_ID, now=clock.now())

    await bot.stop()
    clock.set(event.ends_at + timedelta(hours=5))
    await bot.start()
    word, pdf, summary = boss.messages
    assert summary.button_texts() == ["📣 " + en("Send the report as a brief to the attendees"),
                                      "📣 " + en("Send the report as a brief to other members")]
    assert "ទិវាស្រែ" in pdf_text(pdf.document[1])

    await bot.restart()
    await due_job(bot).run(bot.app)
    assert len(boss.messages) == 3
    [sent] = await sends(db)
    assert (sent.status, sent.sent_to) == (eventreport.SENT, [COORDINATOR_ID, unreachable])


async def test_events_that_ended_long_ago_or_were_cancelled_get_no_report_by_themselves(bot, telegram, db, clock):
    await create_event(db, clock, starts_at=clock.now() - eventreport.CATCH_UP - timedelta(days=1))
    await create_event(db, clock, starts_at=clock.now() - timedelta(days=1), status="cancelled")
    boss = await coordinator(db, telegram, clock, "en")
    await due_job(bot).run(bot.app)
    assert boss.messages == [] and await sends(db) == []


async def test_member_text_with_markup_and_control_characters_is_written_as_it_was_typed(db, telegram, clock):
    event = await create_event(db, clock, title_en="Seeds & <markets>", title_km="គ្រាប់ពូជ & <ទីផ្សារ>")
    member = await add_member(db, telegram, clock, 20_100, gender="woman", organisation="Farmers\x01 <b>Union</b>\x1b")
    await check_in(db, event.id, [member])
    async with db.session() as session:
        report = await eventreport.collect(session, event.id, clock.now())
    files = document.render(report, "en", clock.now())

    texts = docx_texts(files.docx)
    assert "Seeds & <markets>" in texts and "គ្រាប់ពូជ & <ទីផ្សារ>" in texts
    assert en("{group} ({count})").format(group="Farmers <b>Union</b>", count=en.number(1)) in texts
    assert "Farmers <b>Union</b>" in pdf_text(files.pdf)
    assert "<b>Seeds &amp; &lt;markets&gt;</b>" in screens.summary_text(report, en)
