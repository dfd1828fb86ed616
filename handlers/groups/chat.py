"""The group's Telegram chat: linking it, noticing who joins, and revoking invite links once used."""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.context import AppContext
from bot.services import groups, outbox
from bot.services.groups import LinkOutcome
from bot.text import esc
from handlers import system
from handlers.ui.common import (
    answer_stale,
    button,
    coordinator_and_translator as require_coordinator,
    is_coordinator,
    keyboard,
    load_member,
    show,
    tr,
)
from handlers.groups.editing import group_or_stale
from handlers.groups.screens import chat_linked_content, group_title
from handlers.ui.people import shorten

log = logging.getLogger(__name__)


async def how_to_link(update: Update, context: AppContext) -> None:
    """Explains how to link a Telegram group chat: add the bot to it as an admin allowed to invite users."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group = await group_or_stale(update, context, _)
    if group is None:
        return
    await update.callback_query.answer()
    text = _("To link a Telegram group chat to the {group}: open the group in Telegram, add @{bot} to it and make "
             "it an admin with the right to invite users. I will then ask you here which working group it is for.").format(
        group=f"<b>{group_title(group, _)}</b>", bot=esc(context.bot.username))
    await show(update, text, keyboard([[button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")]]))


async def _can_invite(context: AppContext, chat_id: int) -> bool | None:
    """Whether the bot may invite users to a chat; None if the chat can't be seen at all."""
    try:
        me = await context.bot.get_chat_member(chat_id, context.bot.id)
    except (BadRequest, Forbidden):
        return None
    return me.status == ChatMember.OWNER or (me.status == ChatMember.ADMINISTRATOR and bool(me.can_invite_users))


async def bot_added(update: Update, context: AppContext) -> None:
    """When a coordinator adds the bot to a group chat, offers them (privately) to link it to a working group."""
    change = update.my_chat_member
    chat = change.chat
    if chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    if change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
        async with context.unit_of_work() as session:
            group = await groups.unlink_chat(session, chat.id, context.now())
        if group is not None:
            log.info("removed from the chat of working group %s; chat unlinked", group.id)
        return
    adder = change.from_user
    if not await is_coordinator(context, adder.id):
        log.info("added to chat %s by someone who is not a coordinator; ignored", chat.id)
        return
    member = await load_member(context, adder.id)
    _ = tr(member, update)
    can_invite = await _can_invite(context, chat.id)
    async with context.unit_of_work() as session:
        found = await groups.listed(session, include_closed=False)
        current = await groups.group_of_chat(session, chat.id)
    title = f"<b>{esc(chat.title or '')}</b>"
    if not can_invite:
        text = _("I was added to {chat}, but I am not an admin allowed to invite users there. Make me an admin "
                 "with the right to invite users, so I can send approved members their own invite links.").format(chat=title)
        rows = []
    elif current is not None:
        text = _("{chat} is the chat of the {group}.").format(chat=title, group=group_title(current, _))
        rows = []
    elif not found:
        text = _("I was added to {chat}. Create a working group with /newgroup first, then add me again.").format(chat=title)
        rows = []
    else:
        text = _("I was added to {chat} as an admin. Which working group is this chat for?").format(chat=title)
        rows = [[button(shorten(groups.name(g, _.language), 60), f"grpa:link:{g.id}:{chat.id}")] for g in found]
    try:
        await context.bot.send_message(adder.id, text, reply_markup=keyboard(rows) if rows else None)
    except (BadRequest, Forbidden) as exc:
        log.info("could not tell coordinator %s about chat %s: %s", adder.id, chat.id, exc)


async def link_chat(update: Update, context: AppContext) -> None:
    """Links the chat to the chosen working group, once the bot is really an admin there allowed to invite."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    me, _ = allowed
    group_id, chat_id = int(context.match.group(1)), int(context.match.group(2))
    if not await _can_invite(context, chat_id):
        await update.callback_query.answer(_("I am not an admin allowed to invite users in that chat."), show_alert=True)
        return
    chat = await context.bot.get_chat(chat_id)
    now = context.now()
    async with context.unit_of_work() as session:
        outcome = await groups.link_chat(session, group_id, chat_id, chat.title or "", now)
        group = await groups.get(session, group_id)
        if outcome == LinkOutcome.LINKED:
            waiting = groups.approved_outside_chat(group_id)
            if await groups.count_query(session, waiting):
                delivery = await outbox.create(session, kind="group_chat", content=chat_linked_content(group),
                                               send_at=now, created_by=update.effective_user.id, ref_id=group_id,
                                               now=now)
                await outbox.add_query(session, delivery, waiting)
    if outcome == LinkOutcome.MISSING:
        await answer_stale(update, _)
        return
    if outcome == LinkOutcome.TAKEN:
        await update.callback_query.answer(_("That chat is already linked to another working group."), show_alert=True)
        return
    context.services.delivery.wake()
    await update.callback_query.answer()
    await show(update, _("{chat} is now the chat of the {group}. Approved members can get their own invite link.").format(
        chat=f"<b>{esc(chat.title or '')}</b>", group=group_title(group, _)))


def _present(member: ChatMember) -> bool:
    if member.status == ChatMember.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def member_changed(update: Update, context: AppContext) -> None:
    """Notes an approved member joining (or leaving) their working group's chat; the invite link that let someone in
    stops working, so it can't let in anyone else once they leave."""
    change = update.chat_member
    if change.chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    before, after = _present(change.old_chat_member), _present(change.new_chat_member)
    if before == after:
        return
    used = change.invite_link if after else None
    # Only links the bot made are its to revoke (an admin's own links are theirs).
    used_link = used.invite_link if used is not None and used.creator and used.creator.id == context.bot.id else None
    async with context.unit_of_work() as session:
        membership = await groups.chat_membership(session, chat_id=change.chat.id, used_link=used_link, present=after,
                                                  telegram_id=change.new_chat_member.user.id, now=context.now())
    if membership is not None:
        await _revoke_used(context, membership.chat_id, membership.revoke)


async def _revoke_used(context: AppContext | Application, chat_id: int, links: tuple[str, ...]) -> None:
    """Revokes used invite links and forgets them; one Telegram could not be reached about stays stored, to be revoked
    at the next start."""
    services = context.bot_data["services"]
    for link in links:
        try:
            await context.bot.revoke_chat_invite_link(chat_id, link)
        except BadRequest as exc:
            log.info("invite link not revoked (%s); forgotten all the same", exc)
        except TelegramError as exc:
            log.warning("invite link not revoked (%s); tried again at the next start", exc)
            continue
        async with services.db.session() as session:
            await groups.forget_invite(session, chat_id=chat_id, link=link, now=services.clock.now())


@system.on_start
async def revoke_used_invites(application: Application) -> None:
    """At start-up: invite links of members now in their group's chat that could not be revoked before are revoked."""
    async with application.bot_data["services"].db.session() as session:
        found = await groups.used_invites(session)
    for chat_id, link in found:
        await _revoke_used(application, chat_id, (link,))
    if found:
        log.info("%d used invite links revoked at start-up", len(found))
