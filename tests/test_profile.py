"""What a registered member can do with their own data: see, correct, switch language, pause, delete."""

from __future__ import annotations

from bot.i18n import translator
from tests.helpers_members import count_members, member_of, register

km = translator("km")
en = translator("en")


async def test_profile_shows_the_members_details_and_edits_one_field(bot, telegram, db):
    user = telegram.user(201, "Sreymom")
    await register(user, en)
    await user.command("profile")
    assert en("<b>Your profile</b>").replace("<b>", "").replace("</b>", "") in user.last.text
    assert "Sreymom" in user.last.text and "Kampot" in user.last.text
    assert en("Member since {date}.").format(date="December 1, 2024") in user.last.text

    await user.press("✏️ " + en("Name"))
    await user.send("Sreymom Ly")
    assert "Sreymom Ly" in user.last.text and en("You receive announcements.") in user.last.text
    assert (await member_of(db, 201)).name == "Sreymom Ly"

    await user.press("✏️ " + en("Organisation"))
    await user.press(en("Keep as it is"))
    assert (await member_of(db, 201)).organisation is None


async def test_member_switches_language_and_everything_follows(bot, telegram, db):
    user = telegram.user(202, "Rithy")
    await register(user, en)
    await user.command("language")
    await user.press("ភាសាខ្មែរ")
    assert (await member_of(db, 202)).language == "km"
    assert km("Woman") in user.last.text  # the profile, now in Khmer
    await user.command("help")
    assert km("Here is what you can do:") in user.last.text


async def test_a_khmer_profile_shows_the_registration_date_in_khmer_digits(bot, telegram, db):
    user = telegram.user(208, "Sreyneang")
    await register(user, km)
    await user.command("profile")
    assert km("Member since {date}.").format(date="១ ធ្នូ ២០២៤") in user.last.text
    assert not any(ch in "0123456789" for ch in user.last.text)


async def test_phone_typed_with_khmer_digits_is_accepted(bot, telegram, db):
    user = telegram.user(203, "Sophea")
    await user.command("start")
    await user.press("ភាសាខ្មែរ")
    await user.press(km("Yes, I agree"))
    await user.send("Sophea")
    await user.press(km("Woman"))
    await user.press(km("Government"))
    await user.press(km("Skip"))
    await user.send("Phnom Penh")
    await user.send("០១២ ៣៤៥ ៦៧៨")
    assert (await member_of(db, 203)).phone == "012345678"
    await user.press("✏️ " + km("Phone"))
    await user.send("012 345 679")  # Latin digits are read all the same
    assert (await member_of(db, 203)).phone == "012345679"
    assert km("Please check your details:") in user.last.text


async def test_stop_pauses_announcements_and_start_resumes_them(bot, telegram, db):
    user = telegram.user(204, "Pisey")
    await register(user, km)
    await user.command("stop")
    assert (await member_of(db, 204)).receives_announcements is False
    assert "/start" in user.last.text
    await user.command("start")
    member = await member_of(db, 204)
    assert member.receives_announcements is True and member.registered_at is not None
    assert km("Welcome back! You will receive announcements again.") in user.last.text


async def test_deleting_ones_data_after_confirmation_removes_every_personal_field(bot, telegram, db):
    user = telegram.user(205, "Vuthy")
    await register(user, en, phone=None)
    await user.command("delete")
    await user.press(en("No, keep it"))
    assert await count_members(db) == 1
    await user.command("delete")
    await user.press(en("Yes, delete my data"))
    assert await count_members(db) == 0
    assert "/start" in user.last.text
    # The old confirmation button does nothing now.
    await user.press_data("me:delete:yes", message=user.messages[-2])
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")


async def test_blocking_the_bot_marks_the_member_unreachable_and_start_makes_them_reachable(bot, telegram, db):
    user = telegram.user(206, "Nary")
    await register(user, en)
    await user.block_bot()
    assert (await member_of(db, 206)).reachable is False
    telegram.unblock(206)
    await user.command("start")
    assert (await member_of(db, 206)).reachable is True


async def test_a_403_when_replying_marks_the_member_unreachable(bot, telegram, db):
    user = telegram.user(207, "Samnang")
    await register(user, en)
    telegram.block(207)
    await user.command("help")
    assert (await member_of(db, 207)).reachable is False
