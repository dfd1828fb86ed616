"""Working groups after a real workshop, through the fake Bot API server: used invite links, coordinators told of
new requests, attendees who really came, the chat count, and decisions confirmed and never contradicted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import translator
from bot.models import CheckIn, Delivery, GroupInterest, Member, OutboxMessage, Rsvp
from bot.services import coordinators, groups
from tests.conftest import COORDINATOR_ID
from tests.helpers_groups import (
    CHAT_ID,
    CHAT_TITLE,
    NAME_EN,
    NAME_KM,
    add_member,
    ask_to_join,
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
LANGUAGES = pytest.mark.parametrize("_", [en, km], ids=["en", "km"])
EVENT_EN = "2nd ALiSEA Policy Dialogue Workshop"
EVENT_KM = "សិក្ខាសាលាគោលនយោបាយ លើកទី២"


def group_name(_) -> str:
    return NAME_KM if _.language == "km" else NAME_EN


def other(_):
    return en if _ is km else km


async def approve(bot, db, coordinator, group_id: int, telegram_id: int) -> None:
    """The coordinator approves the member's request and the member is told."""
    row = await interest(db, group_id, telegram_id)
    await coordinator.press_data(f"grpa:ok:{group_id}:{row.id}:0")
    await wait_done(bot, db, (await last_delivery(db, groups.DECISION_KIND)).id)


async def joined_line(coordinator, _, group_id: int) -> str:
    """The coordinator's screen of the group (its numbers line among the rest)."""
    await coordinator.press_data(f"grpa:view:{group_id}")
    return coordinator.last.text


def numbers(_, interested: int, approved: int, joined: int) -> str:
    return _("Interested: {interested} · Approved: {approved} · Joined the chat: {joined}").format(
        interested=_.number(interested), approved=_.number(approved), joined=_.number(joined))


# ---------------------------------------------------------------- invite links and the chat count


@LANGUAGES
async def test_a_used_link_is_revoked_and_a_member_who_left_gets_a_fresh_one_while_the_count_follows_the_chat(
        bot, telegram, db, clock, _):
    group_id = await make_group(db, clock, chat_id=None)
    coordinator = await coordinator_in(telegram, _)
    await link_chat(coordinator, _, group_name(_))
    member = await add_member(db, telegram, clock, 2001, language=_.language, name="Sokha Chan", gender="woman")
    await ask_to_join(member, _, group_name(_))
    await approve(bot, db, coordinator, group_id, 2001)
    approval = member.last

    await member.press("🔗 " + _("Join the group chat"), message=approval)
    first = member.last.buttons()[0][0]["url"]
    await member.join_group(CHAT_ID, CHAT_TITLE, invite_link=first)
    assert telegram.invite_links[first]["is_revoked"] is True
    stored = await interest(db, group_id, 2001)
    assert stored.in_chat and stored.invite_link is None
    assert numbers(_, 1, 1, 1) in await joined_line(coordinator, _, group_id)

    # She leaves; someone never approved tries her old link.
    await member.leave_group(CHAT_ID, CHAT_TITLE)
    await refused_entry(telegram.user(2099, "Stranger"), first)
    assert numbers(_, 1, 1, 0) in await joined_line(coordinator, _, group_id)
    await coordinator.press("📊 " + _("Funnel"))
    assert "<b>💬 " + _("{label}: {count}").format(label=_("Joined the group chat"), count=_.number(0)) + "</b>" \
        in coordinator.last.text
    await coordinator.press_data(f"grpa:list:{group_id}:0")
    assert _("in the chat") not in coordinator.last.text

    # Still approved, she asks again and gets a new link of her own.
    await member.press("🔗 " + _("Join the group chat"), message=approval)
    second = member.last.buttons()[0][0]["url"]
    assert second != first and len(telegram.calls("createChatInviteLink")) == 2
    assert member.last.text == _("Here is your own link to the chat of the {group}. It works once, for you only; "
                                 "please don't share it.").format(group=f"<b>{group_name(_)}</b>") + "\n" + second
    await member.join_group(CHAT_ID, CHAT_TITLE, invite_link=second)
    assert telegram.invite_links[second]["is_revoked"] is True
    assert numbers(_, 1, 1, 1) in await joined_line(coordinator, _, group_id)
    await coordinator.press_data(f"grpa:list:{group_id}:0")
    assert _("in the chat") in coordinator.last.text


async def test_a_link_passed_on_is_revoked_once_used_and_its_owner_gets_a_fresh_one(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await link_chat(coordinator, en)
    owner = await add_member(db, telegram, clock, 2101)
    await ask_to_join(owner, en, NAME_EN)
    await approve(bot, db, coordinator, group_id, 2101)
    approval = owner.last
    await owner.press("🔗 " + en("Join the group chat"), message=approval)
    passed_on = owner.last.buttons()[0][0]["url"]

    friend = telegram.user(2102, "Friend")
    await friend.join_group(CHAT_ID, CHAT_TITLE, invite_link=passed_on)
    assert telegram.invite_links[passed_on]["is_revoked"] is True
    stored = await interest(db, group_id, 2101)
    assert (stored.in_chat, stored.invite_link) == (False, None)
    await owner.press("🔗 " + en("Join the group chat"), message=approval)
    fresh = owner.last.buttons()[0][0]["url"]
    assert fresh != passed_on
    await owner.join_group(CHAT_ID, CHAT_TITLE, invite_link=fresh)
    assert (await interest(db, group_id, 2101)).in_chat


async def test_an_admins_own_link_is_left_alone(bot, telegram, db, clock):
    await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await link_chat(coordinator, en)
    link = "https://t.me/+AdminsOwnLink"
    telegram.invite_links[link] = {"invite_link": link, "creator": coordinator.user_dict, "creates_join_request": False,
                                   "is_primary": True, "is_revoked": False, "chat_id": CHAT_ID, "uses": 0}
    await telegram.user(2150, "Guest").join_group(CHAT_ID, CHAT_TITLE, invite_link=link)
    assert telegram.invite_links[link]["is_revoked"] is False
    assert telegram.calls("revokeChatInviteLink") == []


async def test_a_revoke_telegram_did_not_answer_is_done_at_the_next_start(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    await link_chat(coordinator, en)
    member = await add_member(db, telegram, clock, 2201)
    await ask_to_join(member, en, NAME_EN)
    await approve(bot, db, coordinator, group_id, 2201)
    await member.press("🔗 " + en("Join the group chat"))
    link = member.last.buttons()[0][0]["url"]

    attempts = bot.settings.network_retries + 1
    telegram.fail_next("revokeChatInviteLink", status=502, description="Bad Gateway", count=attempts)
    await member.join_group(CHAT_ID, CHAT_TITLE, invite_link=link)
    assert telegram.invite_links[link]["is_revoked"] is False
    assert (await interest(db, group_id, 2201)).invite_link == link

    await bot.restart()
    await telegram.wait_for(lambda: telegram.invite_links[link]["is_revoked"])
    await telegram.wait_for(lambda: len(telegram.calls("revokeChatInviteLink")) == attempts + 1)
    async with db.session() as session:
        assert await groups.used_invites(session) == []
    assert (await interest(db, group_id, 2201)).invite_link is None


# ---------------------------------------------------------------- coordinators told of new requests


@LANGUAGES
async def test_requests_arriving_together_reach_the_groups_coordinator_as_one_notice_even_across_a_restart(
        bot, telegram, db, clock, _):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, _)
    elsewhere = telegram.user(2390, "Other coordinator")
    telegram.add_chat(elsewhere.id)
    async with db.session() as session:
        await coordinators.add(session, elsewhere.id, added_by=COORDINATOR_ID, now=clock.now())
    seen = len(coordinator.messages)
    people = [await add_member(db, telegram, clock, 2300 + n, language="km" if n % 2 else "en") for n in range(6)]

    for user in people[:5]:
        lang = km if user.id % 2 else en
        await ask_to_join(user, lang, group_name(lang))
    assert len(coordinator.messages) == seen
    notice = await last_delivery(db, groups.NOTICE_KIND)
    assert (notice.total, notice.send_at) == (1, clock.now() + groups.NOTICE_DELAY)

    clock.advance(timedelta(minutes=5))
    await ask_to_join(people[5], km, NAME_KM)
    await people[0].command("groups")
    await people[0].press("⏳ " + NAME_EN)
    await people[0].press(en("Withdraw my interest"))
    assert await count(db, Delivery, Delivery.kind == groups.NOTICE_KIND) == 1

    await bot.restart()
    clock.advance(timedelta(minutes=5))
    bot.app.bot_data["services"].delivery.wake()
    await wait_done(bot, db, notice.id)
    assert len(coordinator.messages) == seen + 1 and elsewhere.messages == []
    assert coordinator.last.text == _.ngettext(
        "🙋 {count} new request to join the {group} is waiting for your decision.",
        "🙋 {count} new requests to join the {group} are waiting for your decision.", 5).format(
        count=_.number(5), group=f"<b>{group_name(_)}</b>")
    await coordinator.press("👥 " + _("See the requests"))
    assert coordinator.last.text.startswith("<b>" + _("People interested in the {group}: {count}").format(
        group=group_name(_), count=_.number(5)) + "</b>")

    # A later request starts the next notice.
    await people[0].press_data(f"grp:int:{group_id}")
    later = await last_delivery(db, groups.NOTICE_KIND)
    assert later.id != notice.id and later.send_at == clock.now() + groups.NOTICE_DELAY
    assert later.content[_.language]["text"] == _.ngettext(
        "🙋 {count} new request to join the {group} is waiting for your decision.",
        "🙋 {count} new requests to join the {group} are waiting for your decision.", 1).format(
        count=_.number(1), group=f"<b>{group_name(_)}</b>")


async def test_a_notice_whose_requests_were_all_decided_before_it_went_out_is_not_sent(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, en)
    member = await add_member(db, telegram, clock, 2401)
    await ask_to_join(member, en, NAME_EN)
    notice = await last_delivery(db, groups.NOTICE_KIND)
    await approve(bot, db, coordinator, group_id, 2401)
    seen = len(coordinator.messages)

    clock.advance(groups.NOTICE_DELAY)
    worker = bot.app.bot_data["services"].delivery
    assert await worker.run_once() == 0
    async with db.session() as session:
        assert (await session.get(Delivery, notice.id)).status == "cancelled"
    assert len(coordinator.messages) == seen


async def test_the_groups_coordinators_are_its_creator_and_deciders_or_else_everyone(db, clock):
    now = clock.now()
    async with db.session() as session:
        await coordinators.add(session, 11, added_by=None, now=now)
        await coordinators.add(session, 12, added_by=None, now=now)
        group = await groups.create(session, name_en="G", name_km="", created_by=11, now=now)
        assert await groups.group_coordinators(session, group, frozenset({10})) == [11]
        session.add(GroupInterest(group_id=group.id, source="paper", name="P", status="approved", decided_by=12,
                                  in_chat=False, created_at=now, updated_at=now))
        await session.flush()
        assert await groups.group_coordinators(session, group, frozenset({10})) == [11, 12]
        await coordinators.remove(session, 11)
        await coordinators.remove(session, 12)
        assert await groups.group_coordinators(session, group, frozenset({10})) == [10]


# ---------------------------------------------------------------- asking an event's attendees


@LANGUAGES
async def test_once_check_in_was_used_only_those_who_came_are_asked_and_the_coordinator_never(
        bot, telegram, db, clock, _):
    group_id = await make_group(db, clock)
    event_id = await make_event(db, clock)
    coordinator = await coordinator_in(telegram, _)
    came = await add_member(db, telegram, clock, 2501, language=_.language)
    no_show = await add_member(db, telegram, clock, 2502, language=other(_).language)
    also_away = await add_member(db, telegram, clock, 2503)
    async with db.session() as session:
        ids = dict((await session.execute(select(Member.telegram_id, Member.id))).all())
        for telegram_id in (2501, 2502, 2503, COORDINATOR_ID):
            session.add(Rsvp(event_id=event_id, member_id=ids[telegram_id], answer="going", waitlisted=False,
                             created_at=clock.now(), updated_at=clock.now()))
    title = EVENT_KM if _.language == "km" else EVENT_EN

    await coordinator.press_data(f"grpa:evs:{group_id}")
    assert coordinator.last.text == _(
        "Whose attendees should be asked to join the {group}? Those who checked in will receive a message with an "
        "“I'm interested” button; before anyone has checked in, those who answered Going.").format(
        group=f"<b>{group_name(_)}</b>")
    await coordinator.press_data(f"grpa:ev:{group_id}:{event_id}")
    going = _.ngettext("Ask {count} person from {event} to join the {group}?",
                       "Ask {count} people from {event} to join the {group}?", 3)
    assert coordinator.last.text == going.format(count=_.number(3), event=f"<b>{title}</b>",
                                                 group=f"<b>{group_name(_)}</b>")

    async with db.session() as session:
        for member_id in (ids[2501], ids[COORDINATOR_ID], None):
            session.add(CheckIn(event_id=event_id, member_id=member_id, method="qr" if member_id else "walkin",
                                name=None if member_id else "Walk-in", checked_in_at=clock.now()))
    await coordinator.press_data(f"grpa:ev:{group_id}:{event_id}")
    assert coordinator.last.text == _.ngettext("Ask {count} person from {event} to join the {group}?",
                                               "Ask {count} people from {event} to join the {group}?", 1).format(
        count=_.number(1), event=f"<b>{title}</b>", group=f"<b>{group_name(_)}</b>")
    await coordinator.press("📣 " + _("Send"))
    ask = await last_delivery(db, f"group_ask:{event_id}")
    await wait_done(bot, db, ask.id)
    assert ask.total == 1 and no_show.messages == [] and also_away.messages == []
    assert came.last.text.startswith(_("Thank you for taking part in {event}.").format(event=f"<b>{title}</b>"))
    await came.press("🙋 " + _("I'm interested"))
    assert (await interest(db, group_id, 2501)).event_id == event_id

    # An old or forwarded ask pressed by someone who never came does not count as interest from the workshop.
    await no_show.command("groups")
    await no_show.press_data(f"grp:int:{group_id}:{event_id}")
    row = await interest(db, group_id, 2502)
    assert (row.status, row.event_id, row.source) == ("interested", None, "bot")

    await coordinator.press_data(f"grpa:evgo:{group_id}:{event_id}")
    assert coordinator.last.text == _("There is no one to ask: every attendee of {event} has been asked already or "
                                      "has expressed interest.").format(event=f"<b>{title}</b>")


# ---------------------------------------------------------------- decisions


@LANGUAGES
async def test_decline_asks_to_confirm_and_a_decision_the_member_heard_is_never_contradicted(
        bot, telegram, db, clock, _):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, _)
    member = await add_member(db, telegram, clock, 2601, language=other(_).language, name="Dara <Sok>")
    theirs = other(_)
    await ask_to_join(member, theirs, group_name(theirs))
    await coordinator.press_data(f"grpa:list:{group_id}:0")
    people = coordinator.last
    assert people.button_texts() == ["✅ " + _.number(1), "✖ " + _.number(1), "◀ " + _("Back to the group")]

    await coordinator.press("✖ " + _.number(1))
    assert coordinator.last.text == _("Decline the request of {name} to join the {group}?").format(
        name="<b>Dara &lt;Sok&gt;</b>", group=group_name(_)) + "\n\n" + _(
        "They will receive a message saying the coordinators could not accept their request. Once it has reached "
        "them, the decision can't be changed.")
    await coordinator.press("◀ " + _("No, back to the list"))
    assert (await interest(db, group_id, 2601)).status == "interested"
    assert await count(db, Delivery, Delivery.kind == groups.DECISION_KIND) == 0

    await coordinator.press("✖ " + _.number(1))
    await coordinator.press("✖ " + _("Yes, decline"))
    assert telegram.callback_answers[-1]["text"] == _("{name} is declined.").format(name="Dara <Sok>")
    await wait_done(bot, db, (await last_delivery(db, groups.DECISION_KIND)).id)
    declined = theirs("Thank you for your interest in the {group}. The coordinators could not accept your request "
                      "this time.").format(group=f"<b>{group_name(theirs)}</b>")
    assert member.last.text == declined
    await coordinator.press_data(f"grpa:list:{group_id}:0")
    assert coordinator.last.button_texts() == ["◀ " + _("Back to the group")]

    # A stale Approve button changes nothing and sends nothing.
    row = await interest(db, group_id, 2601)
    await coordinator.press_data(f"grpa:ok:{group_id}:{row.id}:0", message=people)
    assert telegram.callback_answers[-1]["text"] == _(
        "{name} was already told that their request was declined. The decision can't be changed.").format(
        name="Dara <Sok>")
    assert (await interest(db, group_id, 2601)).status == "declined"
    assert await count(db, Delivery, Delivery.kind == groups.DECISION_KIND) == 1
    assert [m.text for m in member.messages].count(declined) == 1 and member.last.text == declined


async def test_a_change_of_mind_before_the_member_was_told_sends_only_the_last_decision(bot, telegram, db, clock):
    group_id = await make_group(db, clock)
    coordinator = await coordinator_in(telegram, km)
    member = await add_member(db, telegram, clock, 2701, name="Sokha")
    await ask_to_join(member, en, NAME_EN)
    worker = bot.app.bot_data["services"].delivery
    await worker.stop()  # the outbox has not sent the approval yet when the coordinator thinks again
    await coordinator.press_data(f"grpa:list:{group_id}:0")
    await coordinator.press("✅ " + km.number(1))
    approval = await last_delivery(db, groups.DECISION_KIND)
    assert "✖ " + km.number(1) in coordinator.last.button_texts()
    await coordinator.press("✖ " + km.number(1))
    await coordinator.press("✖ " + km("Yes, decline"))
    assert telegram.callback_answers[-1]["text"] == km("{name} is declined.").format(name="Sokha")
    await worker.start()
    decline = await last_delivery(db, groups.DECISION_KIND)
    await wait_done(bot, db, decline.id)

    async with db.session() as session:
        assert (await session.get(Delivery, approval.id)).status == "cancelled"
        statuses = dict((await session.execute(select(OutboxMessage.delivery_id, OutboxMessage.status))).all())
    assert (statuses[approval.id], statuses[decline.id]) == ("cancelled", "sent")
    assert [m.text for m in member.messages if "Good news" in (m.text or "")] == []
    assert member.last.text == en("Thank you for your interest in the {group}. The coordinators could not accept "
                                  "your request this time.").format(group=f"<b>{NAME_EN}</b>")
