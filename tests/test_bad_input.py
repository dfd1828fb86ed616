"""Bad input gets a clear answer in the member's language and changes nothing."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from bot.models import Draft
from bot.vocab import Step
from tests.helpers_groups import coordinator_in, count, make_group
from tests.helpers_members import member_of, register

km = translator("km")
en = translator("en")


async def at_name_step(user, _) -> None:
    await user.command("start")
    await user.press("ភាសាខ្មែរ" if _.language == "km" else "English")
    await user.press(_("Yes, I agree"))


async def test_a_5000_character_name_is_refused_and_nothing_changes(bot, telegram, db):
    user = telegram.user(301, "A")
    await at_name_step(user, km)
    await user.send("ក" * 5000)
    assert user.last.text == km("That is too long. Please keep it under {limit} characters.").format(limit="១០០")
    member = await member_of(db, 301)
    assert member.name is None and member.step == Step.NAME


async def test_empty_or_invisible_names_are_refused(bot, telegram, db):
    user = telegram.user(302, "B")
    await at_name_step(user, en)
    for text in ("   ", "\u200b\u200b", "\u2060\ufeff"):
        await user.send(text)
        assert user.last.text == en("That was empty. Please type some text.")
    assert (await member_of(db, 302)).name is None


async def test_names_with_html_like_text_emoji_and_zero_width_characters_are_kept_and_shown_escaped(bot, telegram, db):
    user = telegram.user(303, "C")
    await at_name_step(user, en)
    await user.send("<b>Dara</b> & Co 🌾\u200d\u2060 ")
    member = await member_of(db, 303)
    assert member.name == "<b>Dara</b> & Co 🌾\u200d"
    await user.press(en("Woman"))
    await user.press(en("Other"))
    await user.send("<script>alert(1)</script>")
    await user.send("Kandal")
    await user.send(en("Skip"))
    assert "&lt;b&gt;Dara&lt;/b&gt; &amp; Co 🌾" in user.last.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in user.last.text


async def test_someone_elses_contact_is_refused(bot, telegram, db):
    user = telegram.user(304, "D")
    await at_name_step(user, en)
    await user.send("D D")
    await user.press(en("Man"))
    await user.press(en("Media"))
    await user.press(en("Skip"))
    await user.send("Kep")
    await user.share_contact("+85599111222", user_id=999)
    assert user.last.text == en("Please share your own phone number with the button below, not someone else's contact.")
    await user.share_contact("+85599111222", user_id=None)
    member = await member_of(db, 304)
    assert member.phone is None and member.step == Step.PHONE


async def test_text_where_a_button_is_expected_gets_a_clear_answer_and_the_question_again(bot, telegram, db):
    user = telegram.user(305, "E")
    await at_name_step(user, km)
    await user.send("E")
    await user.send("ស្ត្រី ឬ បុរស?")
    texts = user.texts()
    assert texts[-2] == km("Please choose one of the buttons.")
    assert km("Woman") in user.last.button_texts()
    assert (await member_of(db, 305)).gender is None


async def test_forged_and_stale_button_data_change_nothing(bot, telegram, db):
    user = telegram.user(306, "F")
    await at_name_step(user, en)
    await user.send("F")
    gender_screen = user.last
    for data in ("reg:gender:robot", "reg:stake:farmer", "reg:confirm", "coord:remove:9000", "zz:unknown:1", "x" * 64):
        await user.press_data(data, message=gender_screen)
    member = await member_of(db, 306)
    assert member.gender is None and member.stakeholder is None and member.step == Step.GENDER
    answers = [a.get("text") for a in telegram.callback_answers[-6:]]
    assert answers[0] == en("Please choose one of the buttons.")
    assert answers[1] == en("This button is no longer active.")
    assert answers[2] == en("This button is no longer active.")
    assert answers[3] == en("This is for coordinators only.")
    assert answers[4:] == [en("This button is no longer active.")] * 2
    # A stale button from an earlier screen after the member moved on.
    await user.press(en("Woman"))
    await user.press_data("reg:gender:man", message=gender_screen)
    assert (await member_of(db, 306)).gender == "woman"


async def test_coordinator_commands_from_a_member_are_refused_in_their_language(bot, telegram, db):
    user = telegram.user(307, "G")
    await register(user, km)
    for command in ("members", "coordinators"):
        await user.command(command)
        assert user.last.text == km("This command is for coordinators only.")
    await user.press_data("coord:invite")
    assert telegram.callback_answers[-1]["text"] == km("This is for coordinators only.")


async def test_a_sticker_at_a_question_gets_a_clear_answer(bot, telegram, db):
    user = telegram.user(308, "H")
    await at_name_step(user, en)
    await user.send_update({"message": {
        "message_id": 1, "date": 0, "chat": {"id": 308, "type": "private", "first_name": "H"},
        "from": {"id": 308, "is_bot": False, "first_name": "H"},
        "sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512, "is_animated": False,
                    "is_video": False, "type": "regular"}}})
    assert en("Please answer with the buttons or by typing text.") in user.texts()
    assert (await member_of(db, 308)).step == Step.NAME


# ---------------------------------------------------------------- Cancel on a coordinator's form


async def _start_form(coordinator, form: str, db, clock) -> None:
    if form == "paper":
        group_id = await make_group(db, clock)
        await coordinator.press_data(f"grpa:paper:{group_id}")
    elif form == "consult":
        await coordinator.command(form)
        await coordinator.press_data("csa:new")
    else:
        await coordinator.command(form)


NOTHING_SAVED = "Cancelled. Nothing was saved."


@pytest.mark.parametrize(("form", "language", "said"), [
    ("newgroup", "en", NOTHING_SAVED), ("paper", "km", NOTHING_SAVED), ("consult", "km", NOTHING_SAVED),
    ("newsurvey", "en", NOTHING_SAVED), ("broadcast", "km", "The announcement was discarded. Nothing was sent."),
    ("newbrief", "en", "The brief was discarded. Nothing was sent."),
])
async def test_cancel_drops_a_coordinators_form_and_a_second_press_of_it_changes_nothing(
        bot, telegram, db, clock, form, language, said):
    _ = translator(language)
    coordinator = await coordinator_in(telegram, _)
    await _start_form(coordinator, form, db, clock)
    assert await count(db, Draft) == 1
    form_message = coordinator.last
    [cancel] = [b["callback_data"] for row in form_message.buttons() for b in row if b["text"] == _("Cancel")]

    await coordinator.press(_("Cancel"), message=form_message)

    assert coordinator.last.text == _(said)
    assert await count(db, Draft) == 0
    sent = len(coordinator.messages)

    await coordinator.press_data(cancel, message=form_message)  # the same Cancel, pressed again

    assert telegram.callback_answers[-1]["text"] == _("This button is no longer active.")
    assert len(coordinator.messages) == sent and coordinator.last.text == _(said)
