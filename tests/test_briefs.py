"""Briefs: upload with bilingual title and summary, push at a time, get again, react with one tap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import translator
from bot.services import briefs, drafts
from tests.conftest import COORDINATOR_ID
from tests.helpers_members import coordinator_ready, register, seed_members
from tests.helpers_outbox import latest_delivery, wait_done

en = translator("en")
km = translator("km")
PDF = b"%PDF-1.4\n% Second ALiSEA Policy Dialogue Workshop report\n"


async def send_document(user, telegram, content: bytes, filename: str, mime: str, size: int | None = None) -> None:
    file_id = telegram.add_file(content, filename, mime)
    document = {"file_id": file_id, "file_unique_id": file_id[-8:], "file_name": filename, "mime_type": mime,
                "file_size": size if size is not None else len(content)}
    await user.send_update({"message": {"message_id": 500 + len(user.messages), "date": 0, "chat": user.chat,
                                        "from": user.user_dict, "document": document}})


async def compose(coordinator, telegram) -> None:
    await coordinator.command("newbrief")
    await send_document(coordinator, telegram, PDF, "policy-brief.pdf", "application/pdf")
    await coordinator.send("Policy brief: agroecology <and> markets")
    await coordinator.send("សេចក្តីសង្ខេបគោលនយោបាយ៖ កសិអេកូឡូស៊ី និងទីផ្សារ")
    await coordinator.send("What the second Policy Dialogue Workshop asks of policy makers.")
    await coordinator.press(en("Use it for both languages"))
    await coordinator.press("✅ " + en("Done"))


async def test_a_brief_reaches_members_with_the_summary_in_their_language_and_collects_reactions(bot, telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 4)
    coordinator = await coordinator_ready(telegram)
    await compose(coordinator, telegram)
    previews = [m for m in coordinator.messages if m.document]
    assert previews[-2].text.startswith("<b>សេចក្តីសង្ខេបគោលនយោបាយ")
    assert previews[-1].text.startswith("<b>Policy brief: agroecology &lt;and&gt; markets</b>")
    await coordinator.press("📤 " + en("Send now"))
    await coordinator.press_data("br:send")  # double press: one brief
    delivery = await latest_delivery(db)
    await wait_done(bot, db, delivery.id)

    khmer_member, english_member = ids[1], ids[0]
    [received] = telegram.messages(khmer_member)
    assert received.document[1] == PDF
    assert "កសិអេកូឡូស៊ី" in received.text and "What the second Policy Dialogue Workshop" in received.text
    assert received.button_texts() == ["👍 " + km("Useful"), "❓ " + km("I have a question")]

    reader = telegram.user(khmer_member, "Member")
    await reader.press("👍 " + km("Useful"), message=received)
    await reader.press("👍 " + km("Useful"), message=received)
    assert telegram.callback_answers[-1]["text"] == km("You already said so. Thank you!")
    asker = telegram.user(english_member, "Member")
    await asker.press("❓ " + en("I have a question"), message=telegram.messages(english_member)[0])
    await asker.send("Does this cover <certification> costs?")
    assert asker.last.text == en("Thank you! Your question was sent to the coordinators.")

    await coordinator.command("briefs")
    assert en("useful: {useful} · questions: {questions}").format(useful="1", questions="1") in coordinator.last.text
    await coordinator.press("❓ " + "Policy brief: agroecology <and> markets"[:40])
    assert "Does this cover &lt;certification&gt; costs?" in coordinator.last.text


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_the_title_and_summary_are_asked_in_the_coordinators_language_first(bot, telegram, db, _):
    own, other = (_("English"), _("Khmer")) if _.language == "en" else (_("Khmer"), _("English"))
    title, summary, other_summary = (("Policy brief", "What the workshop asks.", "អ្វីដែលសិក្ខាសាលាស្នើ។")
                                     if _.language == "en" else
                                     ("សេចក្តីសង្ខេបគោលនយោបាយ", "អ្វីដែលសិក្ខាសាលាស្នើ។", "What the workshop asks."))
    coordinator = telegram.user(COORDINATOR_ID, "Sophal", language_code=_.language)
    await register(coordinator, _)
    await coordinator.command("newbrief")
    await send_document(coordinator, telegram, PDF, "policy-brief.pdf", "application/pdf")
    assert coordinator.last.text == _("Type the brief's title in {language}.").format(language=own)
    await coordinator.send(title)
    assert coordinator.last.text == _("{language}: {sentence}").format(language=own, sentence=f"<b>{title}</b>") + \
        "\n\n" + _("Type the title in {language}, or press the button to use the same title in both languages.").format(
            language=other)
    assert coordinator.last.button_texts() == [_("Use it for both languages"), _("Cancel")]
    await coordinator.press(_("Use it for both languages"))
    assert coordinator.last.text == _("Type a short summary in {language} (a few sentences).").format(language=own)
    await coordinator.send(summary)
    assert coordinator.last.text.endswith(_("Type the summary in {language}, or press the button to use the same "
                                            "summary in both languages.").format(language=other))
    await coordinator.send(other_summary)
    async with db.session() as session:
        data = (await drafts.get(session, COORDINATOR_ID, briefs.DRAFT_KIND)).data
    stored = (data["title_en"], data["title_km"], data[f"summary_{_.language}"], data["summary_" + (
        "km" if _.language == "en" else "en")])
    assert stored == (title, title, summary, other_summary)


async def test_a_use_the_english_button_sent_before_still_gives_the_title_in_both(bot, telegram, db):
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("newbrief")
    await send_document(coordinator, telegram, PDF, "policy-brief.pdf", "application/pdf")
    await coordinator.send("Policy brief")
    await coordinator.press_data("br:same")
    assert coordinator.last.text == en("Type a short summary in {language} (a few sentences).").format(
        language=en("English"))
    async with db.session() as session:
        data = (await drafts.get(session, COORDINATOR_ID, briefs.DRAFT_KIND)).data
    assert (data["title_en"], data["title_km"]) == ("Policy brief", "Policy brief")


async def test_members_get_recent_briefs_again(bot, telegram, db, clock):
    coordinator = await coordinator_ready(telegram)
    await compose(coordinator, telegram)
    await coordinator.press("📤 " + en("Send now"))
    await wait_done(bot, db, (await latest_delivery(db)).id)
    member = telegram.user(701, "Thida")
    await register(member, km)
    await member.command("briefs")
    await member.press("📄 សេចក្តីសង្ខេបគោលនយោបាយ៖ កសិអេកូឡូស៊ី និងទីផ្សារ")
    assert member.last.document[1] == PDF and "កសិអេកូឡូស៊ី" in member.last.text


async def test_a_scheduled_brief_waits_for_its_time(bot, telegram, db, clock):
    ids = await seed_members(db, telegram, clock, 2)
    coordinator = await coordinator_ready(telegram)
    await compose(coordinator, telegram)
    await coordinator.press("🕒 " + en("Schedule"))
    await coordinator.send("13/12/2024 17:00")
    when = datetime(2024, 12, 13, 10, 0, tzinfo=UTC)
    assert coordinator.last.text == en.ngettext(
        "The brief will be sent on {time} to {count} member.", "The brief will be sent on {time} to {count} members.",
        3).format(time=en.datetime(when, ZoneInfo("Asia/Phnom_Penh")), count="3")
    worker = bot.app.bot_data["services"].delivery
    assert await worker.run_once() == 0
    clock.advance(timedelta(days=13))
    assert await worker.run_once() == 3
    assert all(len(telegram.messages(i)) == 1 for i in ids)


async def test_wrong_files_and_long_texts_are_refused(bot, telegram, db, clock):
    coordinator = await coordinator_ready(telegram)
    await coordinator.command("newbrief")
    await send_document(coordinator, telegram, b"MZ", "setup.exe", "application/octet-stream")
    assert coordinator.last.text == en("Please send a PDF or DOCX file.")
    await send_document(coordinator, telegram, PDF, "big.pdf", "application/pdf", size=30 * 1024 * 1024)
    assert coordinator.last.text == en("That file is too large: at most 20 MB.")
    await coordinator.send("not a file")
    assert coordinator.last.text == en("Please send a PDF or DOCX file.")
    await send_document(coordinator, telegram, PDF, "brief.docx",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    await coordinator.send("T" * 151)
    assert coordinator.last.text == en("That is too long. Please keep it under {limit} characters.").format(
        limit=str(briefs.TITLE_MAX))


async def test_members_cannot_push_briefs_or_forge_reactions(bot, telegram, db):
    member = telegram.user(702, "Rotha")
    await register(member, en)
    await member.command("newbrief")
    assert member.last.text == en("This command is for coordinators only.")
    await member.press_data("br:questions:1")
    assert telegram.callback_answers[-1]["text"] == en("This is for coordinators only.")
    await member.press_data("br:useful:424242")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
