"""Surveys end to end: an XLSForm uploaded and sent, answered in Khmer and English with skip logic, a
restart and voice notes; the survey built in the chat; the post-event trigger and its reminder; results,
charts and the Kobo-style export; and bad input of every kind."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.i18n import translator
from bot.models import CheckIn, Delivery, Member, Survey, SurveyResponse
from bot.services import surveys
import handlers.surveys.callbacks as routes
from handlers.surveys import managing as survey_handlers
from tests.conftest import COORDINATOR_ID
from tests.helpers_events import make_event
from tests.helpers_members import seed_members
from tests.helpers_outbox import wait_done
from tests.helpers_surveys import XLSX, alerts, answers_of, latest_survey, people, send_and_deliver, workbook

en = translator("en")
km = translator("km")
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "post_workshop_feedback.xlsx"


async def upload_example(coordinator) -> None:
    await coordinator.command("newsurvey")
    await coordinator.send_document(EXAMPLE.read_bytes(), "post_workshop_feedback.xlsx", XLSX)


async def answer_in_khmer(bot, member) -> None:
    """The Khmer member's path: attended before (so the count is asked), picks 'other' (so it is asked), won't join."""
    await member.press("▶ " + km("Start"))
    assert member.last.text.startswith("📋 មតិយោបល់ក្រោយសិក្ខាសាលា")
    assert "សូមអរគុណដែលបានចូលរួមសិក្ខាសាលា" in member.last.text
    await member.press(km("Next") + " ▶")
    assert km("Question {number} of {total}").format(number="១", total="១០") in member.last.text
    assert member.last.button_texts()[:5] == ["១", "២", "៣", "៤", "៥"]  # Khmer digits; the answer stays 4
    await member.press("៤")
    await member.press("បាទ/ចាស")
    assert "តើអ្នកធ្លាប់ចូលរួមសិក្ខាសាលារបស់ ALiSEA ប៉ុន្មានដងពីមុន?" in member.last.text
    await member.send("៧០")
    assert member.last.text == "សូមវាយលេខពី ១ ដល់ ៥០។"
    await member.send("ច្រើន")
    assert member.last.text == km("Please type a whole number, for example 12.")
    await member.send("៣")
    assert "តើវគ្គណាខ្លះមានប្រយោជន៍បំផុតសម្រាប់អ្នក?" in member.last.text
    # The bot restarts mid-survey: the member carries on at the same question.
    await bot.restart()
    await member.press("⬜ វគ្គផ្សេងទៀត")
    assert "☑️ វគ្គផ្សេងទៀត" in member.last.button_texts()
    await member.press("⬜ ការងារក្រុមតាមប្រធានបទ")
    await member.press("✅ " + km("Done"))
    assert "តើវគ្គផ្សេងទៀតណាដែលមានប្រយោជន៍?" in member.last.text
    await member.send("<b>ផ្សារ</b> & កសិករ")
    await member.press("ទេ")
    assert "តើអ្វីដែលនឹងធ្វើឱ្យក្រុមការងារនេះមានតម្លៃសម្រាប់អ្នកក្នុងការចូលរួម?" in member.last.text
    await member.send_voice(12)
    assert "តើអ្នកធ្វើដំណើរប៉ុន្មានម៉ោងដើម្បីមកដល់សិក្ខាសាលា?" in member.last.text
    await member.press(km("Skip") + " ⏭")
    await member.press("៥")
    await member.send("ចង់បានពេលច្រើនសម្រាប់ការងារក្រុម")
    assert member.last.text.startswith(km("✅ Thank you! Your answers to <b>{title}</b> have been saved.").format(
        title="មតិយោបល់ក្រោយសិក្ខាសាលា"))


async def answer_in_english(member) -> None:
    """The English member's path: never attended (count skipped), no 'other', joins; goes back once."""
    await member.press("▶ " + en("Start"))
    await member.press(en("Next") + " ▶")
    await member.press("3")
    await member.press("No")
    assert "Which sessions were most useful to you?" in member.last.text
    await member.press("✅ " + en("Done"))
    assert member.server.callback_answers[-1]["text"] == en("Please choose at least one answer.")
    await member.press("⬜ Farmers' stories")
    await member.press("✅ " + en("Done"))
    assert "Would you like to join the new Policy Working Group?" in member.last.text
    await member.press("Yes")
    assert "How many hours did you travel to reach the workshop?" in member.last.text
    await member.send("2.5")
    await member.press("◀ " + en("Back"))
    assert en("Your answer so far: {answer}").format(answer="2.5") in member.last.text
    await member.press("✅ " + en("Keep my answer"))
    await member.press("4")
    await member.press(en("Skip") + " ⏭")
    assert en("✅ Thank you! Your answers to <b>{title}</b> have been saved.").format(
        title="Post-workshop feedback") in member.last.text


async def test_the_example_form_is_answered_in_khmer_and_english_with_skip_logic_a_restart_and_a_voice_note(
        bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    assert en("The form was read. Questions to answer: {count}.").format(count="10") in coordinator.messages[-2].text
    assert "Post-workshop feedback" in coordinator.last.text and en("All members") in coordinator.last.text
    survey = await send_and_deliver(bot, db, coordinator)
    assert survey.status == surveys.OPEN
    assert km.ngettext("A short survey of {count} question. Your answers help the network plan its work.",
                       "A short survey of {count} questions. Your answers help the network plan its work.",
                       10).format(count="១០") in sokha.last.text
    assert dara.last.button_texts() == ["▶ " + en("Start")]

    await answer_in_khmer(bot, sokha)
    await answer_in_english(dara)

    khmer = await answers_of(db, 501)
    assert khmer == {"usefulness": 4, "attended_before": "yes", "times_before": 3,
                     "useful_sessions": ["group_work", "other"], "other_session": "<b>ផ្សារ</b> & កសិករ",
                     "join_group": "no", "join_reason": ("voice", khmer["join_reason"][1]), "facilitation": 5,
                     "suggestions": "ចង់បានពេលច្រើនសម្រាប់ការងារក្រុម"}
    assert await answers_of(db, 502) == {"usefulness": 3, "attended_before": "no",
                                         "useful_sessions": ["farmer_stories"], "join_group": "yes",
                                         "travel_hours": 2.5, "facilitation": 4}
    # An answered question stays in the chat with the member's choice, its buttons gone.
    assert "<b>តើវគ្គណាខ្លះមានប្រយោជន៍បំផុតសម្រាប់អ្នក?</b>\n✅ ការងារក្រុមតាមប្រធានបទ, វគ្គផ្សេងទៀត" in sokha.texts()


async def test_a_question_answered_with_a_button_gives_way_to_the_next_in_the_same_message(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    await send_and_deliver(bot, db, coordinator)
    await dara.press("▶ " + en("Start"))
    question = dara.last
    next_data = question.buttons()[0][0]["callback_data"]
    await dara.press(en("Next") + " ▶")
    await dara.press("3")
    assert dara.last.message_id == question.message_id and len(dara.messages) == 2
    assert "Had you attended an ALiSEA workshop before this one?" in dara.last.text
    # A question answered by typing comes below; the one answered before it stays with its answer.
    await dara.press("Yes")
    assert dara.messages[-2].message_id == question.message_id
    assert dara.messages[-2].text == "<b>Had you attended an ALiSEA workshop before this one?</b>\n✅ Yes"
    assert "How many ALiSEA workshops had you attended before?" in dara.last.text
    await dara.send("2")
    assert dara.messages[-2].text == "<b>How many ALiSEA workshops had you attended before?</b>\n✅ 2"
    # The old message's buttons changed nothing once it showed the next question.
    await dara.press_data(next_data, message=question)
    assert alerts(telegram)[-1] == en("This button is no longer active.")
    assert await answers_of(db, 502) == {"usefulness": 3, "attended_before": "yes", "times_before": 2}


async def test_a_member_who_finished_can_change_answers_and_skip_logic_drops_what_no_longer_applies(
        bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    await send_and_deliver(bot, db, coordinator)
    await answer_in_khmer(bot, sokha)
    await sokha.press("✏️ " + km("Change my answers"))
    await sokha.press(km("Next") + " ▶")
    assert "✅៤" in sokha.last.button_texts()
    await sokha.press("✅៤")
    await sokha.press("ទេ")  # now never attended: the count question no longer applies
    await sokha.press("✅ " + km("Done"))
    await sokha.send("ទីផ្សារ")
    await sokha.press("បាទ/ចាស")
    await sokha.press(km("Skip") + " ⏭")
    await sokha.press("✅៥")
    await sokha.press("✅ " + km("Keep my answer"))
    answers = await answers_of(db, 501)
    assert "times_before" not in answers and "join_reason" not in answers
    assert answers["attended_before"] == "no" and answers["other_session"] == "ទីផ្សារ"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


async def test_forged_stale_and_double_pressed_buttons_change_nothing(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    survey = await send_and_deliver(bot, db, coordinator)
    await sokha.press("▶ " + km("Start"))
    await sokha.press(km("Next") + " ▶")
    rating = sokha.last
    four = rating.buttons()[0][3]["callback_data"]
    await sokha.press("៤")
    # The same button again (a double press), and the question before it: no longer active.
    await sokha.press_data(four, message=rating)
    async with db.session() as session:
        response = await session.scalar(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))
    await sokha.press_data(f"sv:b:{response.id}:1")
    assert alerts(telegram)[-2:] == [km("This button is no longer active.")] * 2
    # Another member's response, another survey, nonsense.
    await dara.press("▶ " + en("Start"))
    await dara.press_data(f"sv:c:{response.id}:{response.current}:0")
    await dara.press_data(f"sv:start:{survey.id + 99}")
    await dara.press_data(f"sv:c:{response.id}:{response.current}")
    assert alerts(telegram)[-3:] == [en("This survey could not be found. The button may be out of date."),
                                     en("This survey could not be found. The button may be out of date."),
                                     en("This button is no longer active.")]
    assert await answers_of(db, 501) == {"usefulness": 4}
    assert await answers_of(db, 502) == {}
    # A member the survey was not sent to.
    await seed_members(db, telegram, clock, 1, start_id=503, language="en")
    outsider = telegram.user(503, "Outsider")
    await outsider.press_data(f"sv:start:{survey.id}", message=sokha.messages[0])
    assert alerts(telegram)[-1] == en("This survey was not sent to you.")


async def test_wrong_answer_types_get_the_reason_in_the_members_language(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await coordinator.command("newsurvey")
    data = workbook([["date", "visit", "When did you visit?", "តើអ្នកមកលេងនៅថ្ងៃណា?", "yes", "", ". <= today()"],
                     ["decimal", "yield_t", "Yield (tonnes)?", "ទិន្នផល (តោន)?", "yes"],
                     ["select_one yes_no", "ok", "OK?", "យល់ព្រម?", "yes"]])
    await coordinator.send_document(data, "form.xlsx", XLSX)
    await send_and_deliver(bot, db, coordinator)
    await dara.press("▶ " + en("Start"))
    for typed, expected in (("yesterday", en("Please type a date as day/month/year, for example 13/12/2024.")),
                            ("31/02/2024", en("Please type a date as day/month/year, for example 13/12/2024.")),
                            ("13/12/2099", en("This answer is not accepted. Please check it and try again."))):
        await dara.send(typed)
        assert dara.last.text == expected
    await dara.send("28/11/2024")
    await dara.send("two")
    assert dara.last.text == en("Please type a number, for example 2.5.")
    await sokha.press("▶ " + km("Start"))
    await sokha.send("៣០/១១/២០២៤")
    await sokha.send("១,៥")
    await sokha.send("typed instead of a button")
    assert sokha.messages[-2].text == km("Please answer with the buttons.")
    assert sokha.last.button_texts()[0] == "បាទ/ចាស"
    assert [m for m in sokha.messages if "បាទ/ចាស" in m.button_texts()] == [sokha.last]
    await sokha.send_voice(3)
    assert sokha.messages[-2].text == km(
        "A voice note can only answer a question that asks you to type. Please use the buttons.")
    assert await answers_of(db, 501) == {"visit": "2024-11-30", "yield_t": 1.5}
    assert await answers_of(db, 502) == {"visit": "2024-11-28"}


async def test_after_closing_buttons_and_typing_say_the_survey_is_closed(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    await coordinator.press("⏰ " + en("Closing time"))
    await coordinator.send("01/12/2024 08:00")
    assert coordinator.last.text == en("That moment has already passed. Please choose a later one.")
    await coordinator.press("⏰ " + en("Closing time"))
    await coordinator.send("02/12/2024 17:00")
    assert en("Closes on {moment}").format(moment=en.datetime(
        datetime(2024, 12, 2, 10, 0, tzinfo=UTC), PHNOM_PENH)) in coordinator.last.text
    await send_and_deliver(bot, db, coordinator)
    await dara.press("▶ " + en("Start"))
    await dara.press(en("Next") + " ▶")
    clock.advance(timedelta(days=2))
    await dara.press("3")
    assert alerts(telegram)[-1] == en("This survey is closed. Thank you for your interest.")
    assert dara.last.buttons() == []
    await dara.send("5")
    assert dara.last.text == en("This survey is closed. Thank you for your interest.")
    await sokha.press("▶ " + km("Start"))
    assert alerts(telegram)[-1] == km("This survey is closed. Thank you for your interest.")
    await dara.command("surveys")
    assert dara.last.text == en("There is no open survey for you at the moment.")
    assert await answers_of(db, 502) == {}


async def test_surveys_command_lists_open_surveys_with_where_the_member_stands(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    await send_and_deliver(bot, db, coordinator)
    await sokha.command("surveys")
    assert km("Not started") in sokha.last.text
    await sokha.press("▶ មតិយោបល់ក្រោយសិក្ខាសាលា")
    await sokha.press(km("Next") + " ▶")
    await sokha.press("២")
    await sokha.command("surveys")
    assert km("In progress: question {number} of {total}").format(number="២", total="១០") in sokha.last.text
    await sokha.press("▶ មតិយោបល់ក្រោយសិក្ខាសាលា")
    assert "តើអ្នកធ្លាប់ចូលរួមសិក្ខាសាលារបស់ ALiSEA ពីមុនដែរឬទេ?" in sokha.last.text


async def test_a_hostile_or_malformed_upload_is_refused_with_rows_and_reasons_and_nothing_is_saved(
        bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await coordinator.command("newsurvey")
    await coordinator.send_document(b"MZ\x90", "setup.exe", "application/octet-stream")
    assert coordinator.last.text == en("Please send the form as an Excel file (.xlsx or .xls), as a document.")
    bad = workbook([["text", "a", "=1+1", "ក", "", "${b} = 'x'"], ["text", "b", "B", "ខ", "", "${a} = 'y'"],
                    ["geopoint", "where", "<i>Where</i>", "នៅឯណា"]])
    await coordinator.send_document(bad, "form.xlsx", XLSX)
    text = coordinator.last.text
    assert text.startswith("❌ <b>" + en("This form can't be used yet.") + "</b>")
    # The formula without a stored value, and the form's real problems, in one message.
    assert "• <b>" + en("Sheet “{sheet}”, row {row}").format(sheet="survey", row="2") + ":</b> " + en(
        "{cells}: a formula with no stored value. Open the file in Excel or LibreOffice and save it again, or type "
        "the value itself.").format(cells="C2") in text
    assert en("The relevant columns of {questions} refer to each other in a circle, so none of these questions "
              "can be asked first.").format(questions="“a” (row 2), “b” (row 3)") in text
    assert en("The question type “{type}” is not supported.").format(type="geopoint") in text
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Survey)) == 0
    # The coordinator can still send a good one.
    await coordinator.send_document(EXAMPLE.read_bytes(), "post_workshop_feedback.xlsx", XLSX)
    assert (await latest_survey(db)).status == surveys.DRAFT


async def test_members_cannot_use_coordinator_survey_commands_or_buttons(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    survey = await latest_survey(db)
    for command in ("newsurvey", "results"):
        await dara.command(command)
        assert dara.last.text == en("This command is for coordinators only.")
    await dara.press_data(f"svm:send:{survey.id}", message=dara.last)
    assert alerts(telegram)[-1] == en("This is for coordinators only.")
    assert (await latest_survey(db)).status == surveys.DRAFT


async def test_a_short_survey_built_in_the_chat_goes_to_a_segment_and_is_answered(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await coordinator.command("newsurvey")
    await coordinator.press("💬 " + en("Build a short survey here"))
    await coordinator.send("Seed needs\nតម្រូវការគ្រាប់ពូជ")
    await coordinator.press(en("🔘 Choices"))
    await coordinator.send("Which seeds do you need?\nតើអ្នកត្រូវការគ្រាប់ពូជអ្វី?")
    await coordinator.send("Rice | ស្រូវ")
    assert coordinator.last.text == en("Please give between {low} and {high} options.").format(low="2", high="12")
    await coordinator.send("Rice | ស្រូវ\nVegetables | បន្លែ\nFruit trees | ដើមឈើហូបផ្លែ")
    await coordinator.press(en("⭐ Rating 1–5"))
    await coordinator.send("How good were last year's seeds?")
    await coordinator.press(en("✍️ Free text"))
    await coordinator.send("Anything else?\nមានអ្វីផ្សេងទៀតទេ?")
    assert "3. Anything else?" in coordinator.last.text
    await coordinator.press("✅ " + en("Finish"))
    assert en("built in the chat") in coordinator.last.text
    await coordinator.press("👥 " + en("Members"))
    await coordinator.press(en("Woman"))
    await coordinator.press("✅ " + en("Done"))
    assert "Gender: Woman" in coordinator.last.text
    survey = await send_and_deliver(bot, db, coordinator)
    assert survey.source == "chat" and telegram.messages(502) == []
    await sokha.press("▶ " + km("Start"))
    assert "តើអ្នកត្រូវការគ្រាប់ពូជអ្វី?" in sokha.last.text
    await sokha.press("បន្លែ")
    assert "How good were last year's seeds?" in sokha.last.text  # no Khmer given: the English is shown
    await sokha.press("៥")
    await sokha.press(km("Skip") + " ⏭")
    assert await answers_of(db, 501) == {"q1": "c2", "q2": 5}


async def test_the_post_event_survey_goes_to_checked_in_attendees_when_the_event_ends_with_one_reminder(
        bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await seed_members(db, telegram, clock, 1, start_id=503, language="en")
    event_id = await make_event(db, clock)
    async with db.session() as session:
        for telegram_id in (501, 502):
            member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
            session.add(CheckIn(event_id=event_id, member_id=member.id, method="qr", checked_in_at=clock.now()))
    await upload_example(coordinator)
    await coordinator.press("🗓 " + en("Event attendees"))
    await coordinator.press(next(t for t in coordinator.last.button_texts() if t.startswith("2nd ALiSEA")))
    assert en("To the checked-in attendees of {event}").format(event="2nd ALiSEA Policy Dialogue Workshop") in \
        coordinator.last.text
    await coordinator.press("🔔 " + en("Reminder"))
    await coordinator.press("🔔 " + en("Reminder"))  # 6 hours, then 1 day
    await coordinator.press("📤 " + en("Send"))
    assert coordinator.last.text.startswith("📅 ")
    assert (await latest_survey(db)).status == surveys.SCHEDULED

    # Before the end nothing goes out; at 17:00 on 13 December it does.
    clock.set(datetime(2024, 12, 13, 16, 59, tzinfo=PHNOM_PENH))
    assert (await survey_handlers.run_due(bot.app)).sent == []
    clock.set(datetime(2024, 12, 13, 17, 0, tzinfo=PHNOM_PENH))
    due = await survey_handlers.run_due(bot.app)
    survey = await latest_survey(db)
    assert due.sent == [survey.id]
    await wait_done(bot, db, survey.delivery_id)
    assert sokha.last.button_texts() == ["▶ " + km("Start")] and dara.last.button_texts() == ["▶ " + en("Start")]
    assert telegram.messages(503) == []

    await dara.press("▶ " + en("Start"))
    await dara.press(en("Next") + " ▶")
    await dara.press("3")
    # After a restart the reminder is still due one day after sending, and only once.
    await bot.restart()
    clock.advance(timedelta(hours=23))
    assert (await survey_handlers.run_due(bot.app)).reminded == []
    clock.advance(timedelta(hours=1))
    await bot.restart()  # the start-up pass sends what fell due while the bot was down
    async with db.session() as session:
        reminder = await session.scalar(select(Delivery).where(
            Delivery.kind == surveys.REMINDER_KIND))
    await wait_done(bot, db, reminder.id)
    assert reminder.total == 2
    assert km("🔔 Reminder: you have not finished the survey <b>{title}</b> yet. It only takes a few minutes.").format(
        title="មតិយោបល់ក្រោយសិក្ខាសាលា") == sokha.last.text
    await dara.press("▶ " + en("Continue"))
    assert "Had you attended an ALiSEA workshop before this one?" in dara.last.text
    assert (await survey_handlers.run_due(bot.app)).reminded == []


async def test_results_show_counts_rates_and_breakdowns_with_charts_and_a_kobo_style_export(bot, telegram, db, clock):
    coordinator, sokha, dara = await people(db, telegram, clock)
    await upload_example(coordinator)
    survey = await send_and_deliver(bot, db, coordinator)
    await answer_in_khmer(bot, sokha)
    await answer_in_english(dara)

    await coordinator.command("results")
    await coordinator.press(routes.RESULTS.data(survey.id))  # its button in /results (tests/test_results_list.py)
    text = "\n".join(m.text for m in coordinator.messages[-2:])
    assert en("Sent to {sent} · {complete} responses ({rate}) · {started} started but not finished").format(
        sent="3", complete="2", rate="67%", started="0") in text
    assert "• Yes — 1 (50%)" in text and "• No — 1 (50%)" in text
    assert en("Mean: {mean}").format(mean="3.5") in text
    assert "<i>" + en("By gender") + ":</i> Woman (1): " + en("mean {mean}").format(mean="4") + "; Man (1): " + en(
        "mean {mean}").format(mean="3") in text

    await coordinator.press("📥 " + en("Excel in {language}").format(language="English"))
    filename, content = coordinator.last.document
    assert filename == "post_workshop_feedback-2024-12-01-en.xlsx"
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:6] == ("start", "end", "usefulness", "attended_before", "times_before", "useful_sessions")
    assert header[6:11] == ("useful_sessions/policy_panel", "useful_sessions/farmer_stories",
                            "useful_sessions/group_work", "useful_sessions/market_access", "useful_sessions/other")
    assert header[11:15] == ("other_session", "join_group", "join_reason", "join_reason_URL")
    assert header[-9:] == ("_member_name", "_gender", "_stakeholder", "_organisation", "_province", "_language",
                           "_id", "_submission_time", "_index")
    khmer_row = dict(zip(header, rows[1], strict=True))
    assert khmer_row["start"] == "2024-12-01T09:00:00.000+07:00"
    assert khmer_row["usefulness"] == 4 and khmer_row["attended_before"] == "Yes"
    assert khmer_row["times_before"] == 3
    assert khmer_row["useful_sessions"] == "Group work by theme, Another session"
    assert (khmer_row["useful_sessions/group_work"], khmer_row["useful_sessions/policy_panel"]) == (1, 0)
    assert khmer_row["other_session"] == "<b>ផ្សារ</b> & កសិករ"
    assert khmer_row["join_reason"] == en("Voice note")
    assert khmer_row["join_reason_URL"].startswith(f"https://t.me/{telegram.bot_username}?start=sv_voice_")
    assert khmer_row["travel_hours"] is None and khmer_row["_member_name"] == "សុខា"
    assert (khmer_row["_gender"], khmer_row["_stakeholder"], khmer_row["_language"]) == (
        "Woman", "Farmer / producer", "ភាសាខ្មែរ")
    english_row = dict(zip(header, rows[2], strict=True))
    assert english_row["times_before"] is None and english_row["travel_hours"] == 2.5
    assert english_row["join_reason_URL"] is None and english_row["_index"] == 2
    assert len(rows) == 3

    await coordinator.press("📥 " + en("Excel in {language}").format(language="ភាសាខ្មែរ"))
    rows = list(load_workbook(io.BytesIO(coordinator.last.document[1])).active.iter_rows(values_only=True))
    khmer_row = dict(zip(rows[0], rows[1], strict=True))
    assert khmer_row["useful_sessions"] == "ការងារក្រុមតាមប្រធានបទ, វគ្គផ្សេងទៀត"
    assert khmer_row["attended_before"] == "បាទ/ចាស"

    # The voice-note link sends the audio to a coordinator only.
    payload = khmer_row["join_reason_URL"].split("start=")[1]
    await dara.command("start", payload)
    assert dara.last.text == en("This link is for coordinators only.")
    await coordinator.command("start", payload)
    assert coordinator.last.method == "sendVoice" and coordinator.last.voice[1] == b"OggS voice"
    assert "សុខា" in coordinator.last.text

    await coordinator.press("📊 " + en("Charts"))
    photos = [m for m in coordinator.messages if m.photo]
    assert [m.plain_text for m in photos] == [
        "Overall, how useful was the workshop for your work?", "Had you attended an ALiSEA workshop before this one?",
        "Which sessions were most useful to you?", "Would you like to join the new Policy Working Group?",
        "How would you rate the facilitation?"]
    assert all(m.photo[1].startswith(b"\x89PNG") for m in photos)
    assert survey.status == surveys.OPEN


# ---------------------------------------------------------------- the service on its own


def test_typed_answers_accept_khmer_digits_and_are_stored_by_type():
    assert surveys.parse_typed({"type": "integer"}, " ១២ ") == 12
    assert surveys.parse_typed({"type": "decimal"}, "២,៥") == 2.5
    assert surveys.parse_typed({"type": "decimal"}, "3") == 3
    assert surveys.parse_typed({"type": "date"}, "១៣/១២/២០២៤") == "2024-12-13"
    assert surveys.parse_typed({"type": "date"}, "2024-12-13") == "2024-12-13"
    assert surveys.parse_typed({"type": "text"}, "  two\nlines \u200b ") == "two\nlines"
    for kind, text, reason in (("integer", "12.5", "integer"), ("decimal", "1e9", "decimal"),
                               ("date", "31/02/2024", "date"), ("text", " \n ", "empty"),
                               ("text", "x" * 1001, "too_long"), ("select_one", "yes", "buttons")):
        try:
            surveys.parse_typed({"type": kind}, text)
        except surveys.InvalidInput as exc:
            assert exc.reason == reason
        else:
            raise AssertionError(f"{text!r} accepted as {kind}")


async def test_the_scheduled_pass_closes_surveys_at_their_closing_time_and_knows_what_is_next(db, clock):
    await seed_members(db, _NoChats(), clock, 2, start_id=700, language="en")
    question = surveys.built_question(0, "rating", {"en": "Rate", "km": "វាយតម្លៃ"})
    async with db.session() as session:
        survey = await surveys.create(session, title={"en": "T", "km": "T"}, questions=[question], source="chat",
                                      created_by=COORDINATOR_ID, now=clock.now())
        survey.reminder_minutes = 60
        surveys.set_closing(survey, clock.now() + timedelta(hours=2), clock.now())
        assert await surveys.send(session, survey, now=clock.now(), content=survey_handlers.intro_content) \
            is surveys.Sent.SENT
        assert await surveys.next_due(session) == clock.now() + timedelta(hours=1)
    clock.advance(timedelta(hours=2))
    async with db.session() as session:
        due = await surveys.run_due(session, clock.now(), content=survey_handlers.intro_content,
                                    reminder_content=survey_handlers.reminder_content)
        # The reminder fell due before the closing but the bot only looked after it: no reminder to a closed survey.
        assert (due.reminded, due.closed, due.deliveries) == ([], [survey.id], [])
        assert await surveys.next_due(session) is None
        stored = await session.get(Survey, survey.id)
        assert stored.status == surveys.CLOSED and stored.closed_at == clock.now()


async def test_a_survey_that_would_reach_no_one_is_not_sent(db, clock):
    async with db.session() as session:
        survey = await surveys.create(session, title={"en": "T", "km": "T"}, source="chat", created_by=1,
                                      questions=[surveys.built_question(0, "text", {"en": "Q", "km": "Q"})],
                                      now=clock.now())
        outcome = await surveys.send(session, survey, now=clock.now(), content=survey_handlers.intro_content)
        assert (outcome, survey.status, survey.delivery_id) == (surveys.Sent.NOBODY, surveys.DRAFT, None)


class _NoChats:
    """Stands in for the fake server where a test needs members in the database only."""

    def add_chat(self, chat_id: int) -> None:
        pass
