"""Working groups, through the fake Bot API server: interest, approval, invite links, the funnel, in both languages."""

from __future__ import annotations


import pytest
from sqlalchemy import select

from bot.i18n import translator
from bot.models import CheckIn, Delivery, GroupInterest, Member, OutboxMessage, Rsvp, WorkingGroup
from bot.services import groups
from tests.conftest import COORDINATOR_ID
from tests.helpers_groups import (
    ABOUT_EN,
    ABOUT_KM,
    CHAT_ID,
    CHAT_TITLE,
    NAME_EN,
    NAME_KM,
    add_member,
    coordinator_in,
    count,
    interest,
    link_chat,
    make_event,
    make_group,
    refused_entry,
)
from tests.helpers_outbox import last_delivery, wait_done

en = translator("en")
km = translator("km")


# ---------------------------------------------------------------- helpers


async def open_people(coordinator, _, name: str = NAME_EN) -> None:
    await coordinator.command("groups")
    await coordinator.press(f"{name} ({_.number(1)})")
    await coordinator.press("👥 " + _("People interested"))


# ---------------------------------------------------------------- creating


async def test_coordinator_creates_a_group_in_both_languages_and_members_read_it_in_theirs(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("newgroup")
    assert coordinator.last.text == en("What is the working group's name in English? (Up to {limit} characters.)").format(limit="100")
    await coordinator.send(NAME_EN)
    assert en("Use it for both languages") in coordinator.last.button_texts()
    await coordinator.send(NAME_KM)
    await coordinator.send(ABOUT_EN)
    await coordinator.send(ABOUT_KM)
    assert en("The working group was created.") in coordinator.texts()
    assert NAME_KM in coordinator.last.text and en("No Telegram group chat is linked yet.") in coordinator.last.text

    khmer = await add_member(db, telegram, clock, 501, language="km")
    await khmer.command("groups")
    assert khmer.last.button_texts() == [NAME_KM]
    await khmer.press(NAME_KM)
    assert khmer.last.text == f"<b>{NAME_KM}</b>\n\n{ABOUT_KM}"
    assert khmer.last.button_texts() == ["🙋 " + km("I'm interested"), "◀ " + km("All working groups")]
    english = await add_member(db, telegram, clock, 502, language="en")
    await english.command("groups")
    await english.press(NAME_EN)
    assert ABOUT_EN in english.last.text


async def test_a_name_given_only_in_khmer_serves_both_languages_and_an_empty_one_is_refused(bot, telegram, db, clock):
    coordinator = await coordinator_in(telegram, km)
    await coordinator.command("newgroup")
    assert km("Use it for both languages") not in coordinator.last.button_texts()
    await coordinator.send("   ")
    assert coordinator.last.text == km("That was empty. Please type some text.")
    await coordinator.send("ក" * 101)
    assert coordinator.last.text == km("That is too long. Please keep it under {limit} characters.").format(
        limit=km.number(100))
    await coordinator.send(NAME_KM)
    await coordinator.press(km("Use it for both languages"))
    await coordinator.press(km("No description"))
    async with db.session() as session:
        [group] = (await session.scalars(select(WorkingGroup))).all()
    assert (group.name_en, group.name_km, group.description_en, group.description_km) == (NAME_KM, NAME_KM, "", "")


@pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
async def test_a_group_is_named_in_the_coordinators_language_first_and_the_other_offers_one_for_both(
        bot, telegram, db, _):
    own, other = (_("English"), _("Khmer")) if _.language == "en" else (_("Khmer"), _("English"))
    name = NAME_EN if _.language == "en" else NAME_KM
    coordinator = await coordinator_in(telegram, _)
    await coordinator.command("newgroup")
    assert coordinator.last.text == _(
        "What is the working group's name in {language}? (Up to {limit} characters.)").format(
        language=own, limit=_.number(groups.NAME_MAX))
    assert coordinator.last.button_texts() == [_("Cancel")]
    await coordinator.send(name)
    assert coordinator.last.text == _("{language}: {sentence}").format(language=own, sentence=f"<b>{name}</b>") + \
        "\n\n" + _("Type the name in {language}, or press the button to use the same name in both languages.").format(
            language=other)
    assert coordinator.last.button_texts() == [_("Use it for both languages"), _("Cancel")]
    await coordinator.press(_("Use it for both languages"))
    assert coordinator.last.text == _("Describe the working group in {language}: what it does and who should join. "
                                      "(Up to {limit} characters.)").format(
        language=own, limit=_.number(groups.DESCRIPTION_MAX))
    assert coordinator.last.button_texts() == [_("No description"), _("Cancel")]
    await coordinator.press(_("No description"))
    assert _("The working group was created.") in coordinator.texts()
    async with db.session() as session:
        [group] = (await session.scalars(select(WorkingGroup))).all()
    assert (group.name_en, group.name_km, group.description_en, group.description_km) == (name, name, "", "")


async def test_buttons_sent_by_the_english_first_form_still_skip_the_english_or_use_it_for_both(bot, telegram, db):
    coordinator = await coordinator_in(telegram, en)
    await coordinator.command("newgroup")
    await coordinator.press_data("grpa:f:n:skip:name_en")  # "Skip English: I will write it in Khmer"
    await coordinator.send(NAME_KM)
    await coordinator.send(ABOUT_EN)
    await coordinator.press_data("grpa:f:n:same:desc_km")
    async with db.session() as session:
        [group] = (await session.scalars(select(WorkingGroup))).all()
    assert (group.name_en, group.name_km, group.description_en, group.description_km) == (
        NAME_KM, NAME_KM, ABOUT_EN, ABOUT_EN)


async def test_coordinator_renames_closes_and_reopens_a_group(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    member = await add_member(db, telegram, clock, 503)
    await coordinator.command("groups")
    await coordinator.press(f"{NAME_EN} ({en.number(0)})")
    await coordinator.press("✏️ " + en("Name"))
    await coordinator.send("Policy & Advocacy <WG>")
    await coordinator.press(en("Use it for both languages"))
    assert en("Saved.") in coordinator.texts()
    assert "<b>Policy &amp; Advocacy &lt;WG&gt;</b>" in coordinator.last.text
    await coordinator.press("🔒 " + en("Close the group"))
    assert en("Status: closed to new interest.") in coordinator.last.text

    await member.command("groups")
    assert member.last.text.endswith(en("There are no working groups yet."))
    await member.press_data(f"grp:int:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en("This working group is not open for new members.")
    assert await count(db, GroupInterest) == 0

    await coordinator.press("🔓 " + en("Reopen the group"))
    await member.command("groups")
    assert member.last.button_texts() == ["Policy & Advocacy <WG>"]


# ---------------------------------------------------------------- interest, approval, invite link


async def test_khmer_member_is_approved_and_gets_a_single_use_invite_link_that_is_the_same_when_asked_twice(
        bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await link_chat(coordinator, en)
    assert en("{chat} is now the chat of the {group}. Approved members can get their own invite link.").format(
        chat=f"<b>{CHAT_TITLE}</b>", group=NAME_EN) == coordinator.last.text
    member = await add_member(db, telegram, clock, 601, language="km", name="Sokha Chan", gender="woman",
                              organisation="Kampot Farmers", province="07", phone="+85512345678")

    await member.command("groups")
    await member.press(NAME_KM)
    await member.press("🙋 " + km("I'm interested"))
    assert km("Thank you! Your interest in the {group} is noted.").format(group=f"<b>{NAME_KM}</b>") in member.last.text
    await member.send("ខ្ញុំចង់ចូលរួមកែលម្អគោលនយោបាយ <b>កសិកម្ម</b>")
    assert member.last.text == km("Thank you, your reason was added. A coordinator will look at your request.")
    await member.press_data(f"grp:int:{group_id}")
    assert telegram.callback_answers[-1]["text"] == km("You have already expressed interest in this working group.")

    await open_people(coordinator, en)
    page = coordinator.last.text
    assert "<b>Sokha Chan</b> · Woman · Farmer / producer · Kampot Farmers · Kampot · 📞 +85512345678" in page
    assert "“ខ្ញុំចង់ចូលរួមកែលម្អគោលនយោបាយ &lt;b&gt;កសិកម្ម&lt;/b&gt;”" in page
    await coordinator.press("✅ 1")
    assert telegram.callback_answers[-1]["text"] == en("{name} is approved.").format(name="Sokha Chan")
    assert "✅ 1" not in coordinator.last.button_texts() and "✖ 1" in coordinator.last.button_texts()
    delivery = await last_delivery(db, "group_decision")
    await wait_done(bot, db, delivery.id)
    assert delivery.total == 1
    notice = member.last
    assert notice.text.startswith(km("Good news! Your request to join the {group} was approved. Welcome!").format(
        group=f"<b>{NAME_KM}</b>"))

    await member.press("🔗 " + km("Join the group chat"), message=notice)
    [created] = telegram.calls("createChatInviteLink")
    assert created["member_limit"] == 1 and created["chat_id"] == CHAT_ID
    member_id = (await interest(db, group_id, 601)).member_id
    assert str(member_id) in created["name"]
    link = member.last.buttons()[0][0]["url"]
    assert link in member.last.text and link in telegram.invite_links
    assert not telegram.calls("exportChatInviteLink")

    await member.press("🔗 " + km("Join the group chat"), message=notice)
    assert len(telegram.calls("createChatInviteLink")) == 1
    assert member.last.buttons()[0][0]["url"] == link

    await member.join_group(CHAT_ID, CHAT_TITLE, invite_link=link)
    stored = await interest(db, group_id, 601)
    assert stored.in_chat and stored.joined_at == clock.now() and stored.invite_link is None
    assert telegram.invite_links[link]["is_revoked"] is True
    stranger = telegram.user(602, "Stranger")
    await refused_entry(stranger, link)
    await member.press("🔗 " + km("Join the group chat"), message=notice)
    assert telegram.callback_answers[-1]["text"] == km("You are already in the group chat.")


async def test_english_member_gives_a_voice_reason_the_coordinator_listens_to_and_is_declined(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, km)
    member = await add_member(db, telegram, clock, 611, name="Dara Sok")
    await member.command("groups")
    await member.press(NAME_EN)
    await member.press("🙋 " + en("I'm interested"))
    await member.send_voice(121)
    assert member.last.text == en("That voice note is longer than {minutes} minutes. Please record a shorter one.").format(
        minutes="2")
    await member.send_voice(30, size=6 * 1024 * 1024)
    assert member.last.text == en("That voice note is larger than {size} MB. Please record a shorter one.").format(size="5")
    assert (await interest(db, group_id, 611)).reason_voice_file_id is None
    await member.send_voice(90, content=b"OggS Dara explains")
    assert member.last.text == en("Thank you, your reason was added. A coordinator will look at your request.")

    await open_people(coordinator, km, NAME_KM)
    assert "🎤 " + km("voice note ({length})").format(length=km.digits("1:30")) in coordinator.last.text
    await coordinator.press("🔊 " + km.number(1))
    voice = coordinator.last
    assert voice.method == "sendVoice" and voice.voice[1] == b"OggS Dara explains" and "Dara Sok" in voice.text

    await coordinator.press("✖ " + km.number(1), message=coordinator.messages[-2])
    await coordinator.press("✖ " + km("Yes, decline"))
    delivery = await last_delivery(db, "group_decision")
    await wait_done(bot, db, delivery.id)
    assert member.last.text == en("Thank you for your interest in the {group}. The coordinators could not accept your "
                                  "request this time.").format(group=f"<b>{NAME_EN}</b>")
    await member.press_data(f"grp:int:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en("Your request to join this working group was not accepted.")
    await member.press_data(f"grp:inv:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en(
        "Only approved members of a working group get an invite link to its chat.")
    assert telegram.calls("createChatInviteLink") == []


async def test_a_decision_pressed_twice_notifies_the_member_once(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    member = await add_member(db, telegram, clock, 621)
    await member.command("groups")
    await member.press(NAME_EN)
    await member.press("🙋 " + en("I'm interested"))
    await member.press(en("Skip"))
    await open_people(coordinator, en)
    people = coordinator.last
    iid = (await interest(db, group_id, 621)).id
    await coordinator.press("✅ 1", message=people)
    await coordinator.press_data(f"grpa:ok:{group_id}:{iid}:0", message=people)
    await wait_done(bot, db, (await last_delivery(db, "group_decision")).id)
    assert await count(db, Delivery, Delivery.kind == "group_decision") == 1
    assert [m.text for m in member.messages].count(
        en("Good news! Your request to join the {group} was approved. Welcome!").format(group=f"<b>{NAME_EN}</b>")) == 1


async def test_withdrawing_after_approval_revokes_the_unused_invite_link(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await link_chat(coordinator, en)
    member = await add_member(db, telegram, clock, 631)
    await member.command("groups")
    await member.press(NAME_EN)
    await member.press("🙋 " + en("I'm interested"))
    await member.press(en("Skip"))
    await open_people(coordinator, en)
    await coordinator.press("✅ 1")
    await wait_done(bot, db, (await last_delivery(db, "group_decision")).id)
    await member.press("🔗 " + en("Join the group chat"))
    link = member.last.buttons()[0][0]["url"]

    await member.command("groups")
    await member.press("✅ " + NAME_EN)
    await member.press(en("Leave the working group"))
    assert member.last.text == en("You have withdrawn from the {group}.").format(group=f"<b>{NAME_EN}</b>")
    assert telegram.invite_links[link]["is_revoked"] is True
    assert (await interest(db, group_id, 631)).status == "withdrawn"
    await member.press_data(f"grp:wd:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")


# ---------------------------------------------------------------- the chat


async def test_the_chat_is_offered_only_to_coordinators_and_only_when_the_bot_may_invite(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    member = await add_member(db, telegram, clock, 641)
    await member.add_bot_to_group(CHAT_ID, CHAT_TITLE)
    assert member.messages == []

    coordinator = await coordinator_in(telegram, en)
    await coordinator.add_bot_to_group(CHAT_ID, CHAT_TITLE, can_invite_users=False)
    assert en("I was added to {chat}, but I am not an admin allowed to invite users there.").format(
        chat=f"<b>{CHAT_TITLE}</b>") in coordinator.last.text
    await coordinator.press_data(f"grpa:link:{group_id}:{CHAT_ID}")
    assert telegram.callback_answers[-1]["text"] == en("I am not an admin allowed to invite users in that chat.")
    await coordinator.press_data(f"grpa:link:{group_id}:-100999")
    async with db.session() as session:
        assert (await session.get(WorkingGroup, group_id)).chat_id is None

    await link_chat(coordinator, en)
    await member.command("groups")
    await member.press_data(f"grpa:link:{group_id}:{CHAT_ID}")
    assert telegram.callback_answers[-1]["text"] == en("This is for coordinators only.")
    async with db.session() as session:
        assert (await session.get(WorkingGroup, group_id)).chat_id == CHAT_ID

    other_id = await make_group(db, clock, name_en="Seed Group", name_km="ក្រុមគ្រាប់ពូជ")
    await coordinator.press_data(f"grpa:link:{other_id}:{CHAT_ID}")
    assert telegram.callback_answers[-1]["text"] == en("That chat is already linked to another working group.")

    await coordinator.remove_bot_from_group(CHAT_ID, CHAT_TITLE)
    async with db.session() as session:
        assert (await session.get(WorkingGroup, group_id)).chat_id is None


async def test_approved_members_hear_when_a_chat_is_linked_later(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    member = await add_member(db, telegram, clock, 651, language="km")
    await member.command("groups")
    await member.press(NAME_KM)
    await member.press("🙋 " + km("I'm interested"))
    await member.press(km("Skip"))
    await open_people(coordinator, en)
    await coordinator.press("✅ 1")
    await wait_done(bot, db, (await last_delivery(db, "group_decision")).id)
    assert member.last.button_texts() == []

    await link_chat(coordinator, en)
    await wait_done(bot, db, (await last_delivery(db, "group_chat")).id)
    assert member.last.text == km("The {group} now has a Telegram chat. Press the button below to get your own "
                                  "invite link.").format(group=f"<b>{NAME_KM}</b>")
    await member.press("🔗 " + km("Join the group chat"))
    assert member.last.buttons()[0][0]["url"].startswith("https://t.me/+")
    assert (await interest(db, group_id, 651)).invite_link == member.last.buttons()[0][0]["url"]


# ---------------------------------------------------------------- from an event, paper, the funnel


async def test_funnel_from_an_event_and_paper_sign_ups_counts_14_interested_6_women_in_both_languages(
        bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    event_id = await make_event(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await link_chat(coordinator, en)
    # 12 members from the workshop (5 women) checked in; two more answered Going but never came.
    genders = ["woman"] * 5 + ["man"] * 7
    kinds = ["farmer", "farmer", "ngo", "farmer_org", "research", "farmer", "ngo", "government", "farmer",
             "farmer_org", "ngo", "private"]
    attendees = []
    for n in range(12):
        attendees.append(await add_member(db, telegram, clock, 700 + n, language="km" if n % 2 else "en",
                                          gender=genders[n], stakeholder=kinds[n]))
    bystander = await add_member(db, telegram, clock, 799)
    no_shows = [await add_member(db, telegram, clock, 790 + n) for n in range(2)]
    async with db.session() as session:
        ids = dict((await session.execute(select(Member.telegram_id, Member.id))).all())
        now = clock.now()
        for n in range(12):
            session.add(CheckIn(event_id=event_id, member_id=ids[700 + n], method="qr" if n < 8 else "manual",
                                checked_in_at=now))
        for telegram_id in (700, 701, 790, 791):
            session.add(Rsvp(event_id=event_id, member_id=ids[telegram_id], answer="going", waitlisted=False,
                             created_at=now, updated_at=now))
        session.add(Rsvp(event_id=event_id, member_id=ids[799], answer="no", waitlisted=False, created_at=now,
                         updated_at=now))

    await coordinator.command("groups")
    await coordinator.press(f"{NAME_EN} ({en.number(0)})")
    await coordinator.press("📣 " + en("Ask an event's attendees"))
    await coordinator.press_data(f"grpa:ev:{group_id}:{event_id}")
    assert coordinator.last.text == en("Ask {count} people from {event} to join the {group}?").format(
        count="12", event="<b>2nd ALiSEA Policy Dialogue Workshop</b>", group=f"<b>{NAME_EN}</b>")
    await coordinator.press("📣 " + en("Send"))
    ask = await last_delivery(db, f"group_ask:{event_id}")
    await wait_done(bot, db, ask.id)
    assert ask.total == 12 and bystander.messages == [] and all(user.messages == [] for user in no_shows)
    for user in attendees:
        _ = km if user.id % 2 else en
        await user.press("🙋 " + _("I'm interested"))
        await user.press(_("Skip"))
    assert (await interest(db, group_id, 700)).event_id == event_id
    await coordinator.press_data(f"grpa:evgo:{group_id}:{event_id}")
    assert coordinator.last.text == en("There is no one to ask: every attendee of {event} has been asked already or "
                                       "has expressed interest.").format(
        event="<b>2nd ALiSEA Policy Dialogue Workshop</b>")
    assert await count(db, Delivery, Delivery.kind == f"group_ask:{event_id}") == 1

    # Two who signed up on paper: one woman, one man.
    for name, gender in (("Chantha <Paper>", "Woman"), ("Vuthy", "Man")):
        await coordinator.press_data(f"grpa:paper:{group_id}")
        await coordinator.send(name)
        await coordinator.press(en(gender))
        await coordinator.press(en("NGO / CSO"))
        await coordinator.press(en("Skip"))
    assert en("{name} was added to the people interested in the {group}.").format(
        name="<b>Vuthy</b>", group=NAME_EN) == coordinator.last.text

    # Approve six (three women); three of them join the chat.
    people = sorted([await interest(db, group_id, 700 + n) for n in range(12)], key=lambda i: i.id)
    for row in people[:3] + people[5:8]:
        await coordinator.press_data(f"grpa:ok:{group_id}:{row.id}:0")
    for n in (0, 1, 5):
        user = attendees[n]
        _ = km if user.id % 2 else en
        await wait_done(bot, db, (await last_delivery(db, "group_decision")).id)
        await user.press("🔗 " + _("Join the group chat"))
        await user.join_group(CHAT_ID, CHAT_TITLE, invite_link=user.last.buttons()[0][0]["url"])

    async with db.session() as session:
        funnel = await groups.funnel(session, group_id)
    assert (funnel.interested.total, funnel.interested.women) == (14, 6)
    assert (funnel.approved.total, funnel.approved.women) == (6, 3)
    assert (funnel.joined.total, funnel.joined.women) == (3, 2)
    assert funnel.interested.by_stakeholder["ngo"] == 5

    await coordinator.command("groups")
    await coordinator.press(f"{NAME_EN} ({en.number(14)})")
    assert en("Interested: {interested} · Approved: {approved} · Joined the chat: {joined}").format(
        interested="14", approved="6", joined="3") in coordinator.last.text
    await coordinator.press("📊 " + en("Funnel"))
    report = coordinator.last.text
    assert "14 people expressed interest in the Policy Working Group, 6 of them women." in report
    khmer = km.ngettext("{count} person expressed interest in the {group}.",
                        "{count} people expressed interest in the {group}, {women} of them women.",
                        14).format(count=km.number(14), group=NAME_KM, women=km.number(6))
    assert en("{language}: {sentence}").format(language="ភាសាខ្មែរ", sentence=khmer) in report
    assert "<b>🙋 Expressed interest: 14</b>\n    Man 8 · Woman 6\n    NGO / CSO 5 · Farmer / producer 4" in report
    assert "<b>💬 Joined the group chat: 3</b>\n    Woman 2 · Man 1" in report


async def test_a_coordinator_messages_the_approved_members_through_the_outbox(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    approved = [await add_member(db, telegram, clock, 800 + n, language="km" if n else "en") for n in range(3)]
    waiting = await add_member(db, telegram, clock, 810)
    for user in approved + [waiting]:
        await user.command("groups")
        _ = km if user.id != 800 and user.id != 810 else en
        await user.press(NAME_KM if _ is km else NAME_EN)
        await user.press("🙋 " + _("I'm interested"))
        await user.press(_("Skip"))
    for user in approved:
        await coordinator.press_data(f"grpa:ok:{group_id}:{(await interest(db, group_id, user.id)).id}:0")
    await wait_done(bot, db, (await last_delivery(db, "group_decision")).id)
    sent_before = telegram.sent_count

    await coordinator.press_data(f"grpa:msg:{group_id}")
    await coordinator.send("Meeting on <Friday> & bring notes")
    assert coordinator.last.text.endswith(en("Send this to {count} approved members?").format(count="3"))
    await coordinator.press("✅ " + en("Send"))
    delivery = await last_delivery(db, "group_message")
    await wait_done(bot, db, delivery.id)
    assert delivery.total == 3 and delivery.status_chat_id == COORDINATOR_ID
    assert approved[0].last.text == en("Message to the members of the {group}:").format(
        group=f"<b>{NAME_EN}</b>") + "\n\nMeeting on &lt;Friday&gt; &amp; bring notes"
    assert approved[1].last.text.startswith(km("Message to the members of the {group}:").format(group=f"<b>{NAME_KM}</b>"))
    assert "Friday" not in (waiting.last.text or "")
    assert await count(db, OutboxMessage, OutboxMessage.delivery_id == delivery.id) == 3
    assert telegram.sent_count - sent_before >= 3
    await coordinator.press_data(f"grpa:msgok:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    assert await count(db, Delivery, Delivery.kind == "group_message") == 1


# ---------------------------------------------------------------- bad input and forged buttons


async def test_members_cannot_run_coordinator_actions_or_forge_other_peoples_buttons(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    other_id = await make_group(db, clock, name_en="Seed Group", name_km="ក្រុមគ្រាប់ពូជ")
    member = await add_member(db, telegram, clock, 901, language="km")
    neighbour = await add_member(db, telegram, clock, 902)
    await member.command("groups")
    await member.press(NAME_KM)
    await member.press("🙋 " + km("I'm interested"))
    await member.press(km("Skip"))
    own = await interest(db, group_id, 901)

    for data in (f"grpa:ok:{group_id}:{own.id}:0", f"grpa:no:{group_id}:{own.id}:0", f"grpa:nok:{group_id}:{own.id}:0",
                 f"grpa:view:{group_id}", f"grpa:list:{group_id}:0",
                 f"grpa:fun:{group_id}", f"grpa:msgok:{group_id}", f"grpa:evgo:{group_id}:1",
                 f"grpa:close:{group_id}", f"grpa:vo:{group_id}:{own.id}", "grpa:new"):
        await member.press_data(data)
        assert telegram.callback_answers[-1]["text"] == km("This is for coordinators only."), data
    await member.command("newgroup")
    assert member.last.text == km("This command is for coordinators only.")

    await neighbour.command("groups")
    await neighbour.press_data(f"grp:wd:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    await neighbour.press_data(f"grp:skip:{group_id}")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    await neighbour.press_data("grp:int:999")
    assert telegram.callback_answers[-1]["text"] == en("This working group is not open for new members.")

    coordinator = await coordinator_in(telegram, en)
    await coordinator.press_data(f"grpa:ok:{other_id}:{own.id}:0")
    assert telegram.callback_answers[-1]["text"] == en("This button is no longer active.")
    assert (await interest(db, group_id, 901)).status == "interested"
    assert await count(db, Delivery, Delivery.kind != groups.NOTICE_KIND) == 0


async def test_a_reason_that_is_empty_or_too_long_is_refused_and_html_is_kept_as_text(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    member = await add_member(db, telegram, clock, 911)
    await member.command("groups")
    await member.press(NAME_EN)
    await member.press("🙋 " + en("I'm interested"))
    await member.send("x" * 501)
    assert member.last.text == en("That is too long. Please keep it under {limit} characters.").format(limit="500")
    await member.send("\u200b \u200b")
    assert member.last.text == en("That was empty. Please type some text.")
    assert (await interest(db, group_id, 911)).reason_text is None
    await member.send("<script>alert(1)</script> & more")
    assert (await interest(db, group_id, 911)).reason_text == "<script>alert(1)</script> & more"
    await member.send("another message")
    assert member.last.text == en("I did not understand that. Send /help to see what I can do.")


async def test_members_only_see_open_groups_and_need_to_be_registered(bot, telegram, db, clock):
    await make_group(db, clock, status="closed")
    stranger = telegram.user(921, "Nobody")
    await stranger.command("groups")
    assert stranger.last.text == en("Please register first: send /start.")
    member = await add_member(db, telegram, clock, 922)
    await member.command("groups")
    assert member.last.button_texts() == []


# ---------------------------------------------------------------- service


async def test_funnel_leaves_out_withdrawals_and_counts_paper_sign_ups(db, clock):
    now = clock.now()
    async with db.session() as session:
        group = await groups.create(session, name_en="G", name_km="", created_by=1, now=now)
        assert group.name_km == "G"
        member = Member(telegram_id=5, language="en", step=None, editing=False, name="A", gender="woman",
                        stakeholder="ngo", receives_announcements=True, reachable=True, consented_at=now,
                        registered_at=now, created_at=now, updated_at=now)
        session.add(member)
        await session.flush()
        outcome, _row = await groups.express(session, group_id=group.id, member=member, now=now)
        assert outcome == groups.Expressed.NEW
        await groups.add_paper(session, group_id=group.id, name="B", gender="man", stakeholder="farmer",
                               organisation=None, now=now)
        assert (await groups.funnel(session, group.id)).interested.total == 2
        await groups.withdraw(session, group_id=group.id, member_id=member.id, now=now)
        funnel = await groups.funnel(session, group.id)
        assert (funnel.interested.total, funnel.interested.women) == (1, 0)
        outcome, _row = await groups.express(session, group_id=group.id, member=member, now=now)
        assert outcome == groups.Expressed.NEW
        assert (await groups.funnel(session, group.id)).interested.women == 1


async def test_a_member_who_deletes_their_data_takes_their_interest_and_reason_along(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    member = await add_member(db, telegram, clock, 931)
    await member.command("groups")
    await member.press(NAME_EN)
    await member.press("🙋 " + en("I'm interested"))
    await member.send("I farm without chemicals")
    async with db.session() as session:
        await groups.add_paper(session, group_id=group_id, name="Paper Person", gender="woman", stakeholder="farmer",
                               organisation=None, now=clock.now())
    await member.command("delete")
    await member.press(en("Yes, delete my data"))
    async with db.session() as session:
        left = list(await session.scalars(select(GroupInterest)))
        assert [(i.source, i.name, i.reason_text) for i in left] == [("paper", "Paper Person", None)]
        assert (await groups.funnel(session, group_id)).interested.total == 1
