"""Registration, through the fake Bot API server, in both languages."""

from __future__ import annotations


from bot.i18n import translator
from bot.vocab import Step
from handlers.registration import consent_screen
from tests.helpers_members import count_members, member_of

km = translator("km")
en = translator("en")


async def test_newcomer_registers_in_khmer_from_first_screen_to_welcome(bot, telegram, db):
    user = telegram.user(101, "Sokha", last_name="Chan", language_code="km")

    await user.command("start")
    first = user.last
    assert first.button_texts() == ["ភាសាខ្មែរ", "English"]
    greeting = "Welcome to Sahakor, the network's assistant. Please choose your language."
    assert km(greeting) in first.text and greeting in first.text

    await user.press("ភាសាខ្មែរ")
    assert km("Yes, I agree") in user.last.button_texts()
    assert user.last.text == consent_screen(km)[0] and "/delete" in user.last.text

    await user.press(km("Yes, I agree"))
    assert user.last.text == km("What is your name? Type it, or press the button to use the name on your Telegram profile.")
    await user.press(km("Use “{name}”").format(name="Sokha Chan"))
    assert km("Woman") in user.last.button_texts()
    await user.press(km("Woman"))
    await user.press(km("Farmer organisation / agricultural cooperative"))
    await user.send("សហគមន៍កសិកម្ម <Ta & Ke>")
    await user.send("កំពត")
    assert any(b.get("request_contact") for row in user.last.buttons() for b in row)
    await user.share_contact("+855 12 345 678")

    summary = user.last
    assert km("Please check your details:") in summary.text
    assert "សហគមន៍កសិកម្ម &lt;Ta &amp; Ke&gt;" in summary.text
    assert "កំពត" in summary.text and km("Woman") in summary.text
    await user.press("✅ " + km("Confirm"))
    assert km("Welcome, {name}! You are now registered.").format(name="Sokha Chan") in user.last.text

    member = await member_of(db, 101)
    assert (member.language, member.name, member.gender, member.stakeholder) == ("km", "Sokha Chan", "woman", "farmer_org")
    assert (member.organisation, member.province, member.phone) == ("សហគមន៍កសិកម្ម <Ta & Ke>", "07", "+85512345678")
    assert member.registered_at is not None and member.step is None


async def test_newcomer_registers_in_english_and_fixes_a_field_from_the_summary(bot, telegram, db):
    user = telegram.user(102, "Dara", language_code="en")
    await user.command("start")
    await user.press("English")
    await user.press(en("Yes, I agree"))
    await user.send("Dara Sok")
    await user.press(en("Man"))
    await user.press(en("NGO / CSO"))
    await user.send("Helping Hands")
    await user.press(en("More") + " ▶")
    await user.press(en("More") + " ▶")
    await user.press("Takeo")
    await user.send(en("Skip"))
    assert en("Please check your details:") in user.last.text

    await user.press("✏️ " + en("Gender"))
    await user.press(en("Woman"))
    assert en("Please check your details:") in user.last.text and en("Woman") in user.last.text
    await user.press("✅ " + en("Confirm"))

    member = await member_of(db, 102)
    assert (member.name, member.gender, member.stakeholder, member.organisation) == ("Dara Sok", "woman", "ngo", "Helping Hands")
    assert (member.province, member.phone, member.language) == ("21", None, "en")


async def test_declining_consent_stores_nothing_and_says_how_to_come_back(bot, telegram, db):
    user = telegram.user(103, "Vanna")
    await user.command("start")
    await user.press("English")
    await user.press(en("No, thanks"))
    assert "/start" in user.last.text
    assert await count_members(db) == 0


async def test_restart_in_the_middle_of_registration_resumes_at_the_same_question(bot, telegram, db):
    user = telegram.user(104, "Bopha")
    await user.command("start")
    await user.press("ភាសាខ្មែរ")
    await user.press(km("Yes, I agree"))
    await user.send("Bopha Keo")
    await user.press(km("Woman"))

    await bot.restart()

    await user.command("start")
    assert km("Which of these describes you best?") in user.last.text
    await user.press(km("Research / academia"))
    assert (await member_of(db, 104)).stakeholder == "research"
    assert km("Which organisation, farmer group or cooperative are you part of? Type its name, or skip.") in user.last.text


async def test_an_update_delivered_twice_has_its_effect_once(bot, telegram, db):
    user = telegram.user(105, "Kosal")
    await user.command("start")
    await user.press("English")
    await user.press(en("Yes, I agree"))
    await user.send("Kosal")
    sent_before = len(user.messages)
    update = {
        "update_id": 777,
        "callback_query": {
            "id": "cb-twice", "from": {"id": 105, "is_bot": False, "first_name": "Kosal"},
            "chat_instance": "1", "data": "reg:gender:man",
            "message": {"message_id": user.last.message_id, "date": 0,
                        "chat": {"id": 105, "type": "private", "first_name": "Kosal"},
                        "from": {"id": telegram.bot_id, "is_bot": True, "first_name": "Sahakor"},
                        "text": user.last.text},
        },
    }
    await user.send_update(update)
    await user.send_update(dict(update))
    member = await member_of(db, 105)
    assert member.gender == "man" and member.step == Step.STAKEHOLDER
    assert len(user.messages) == sent_before  # the screen was edited in place once, nothing new sent


async def test_registration_survives_a_restart_of_the_real_polling_loop_mid_flow(bot, telegram, db):
    user = telegram.user(106, "Chenda", language_code="km")
    await user.command("start")
    await user.press("ភាសាខ្មែរ")
    await bot.restart()
    await user.press(km("Yes, I agree"))
    await bot.restart()
    await user.send("Chenda")
    await user.press(km("Prefer not to say"))
    assert (await member_of(db, 106)).gender == "undisclosed"
