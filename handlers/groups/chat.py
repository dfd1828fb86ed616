"""The group's Telegram chat: linking it, noticing who joins, and revoking invite links once used."""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

import handlers.groups.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import WorkingGroup
from bot.services import groups
from bot.services.groups import LinkOutcome
from bot.text import esc
from handlers import system
from handlers.groups.editing import group_view
from handlers.groups.screens import chat_added_screen, chat_linked_content, group_title, how_to_link_screen
from handlers.ui.answers import on_press
from handlers.ui.common import answer_stale, coordinator_only, is_coordinator, load_member, show, tr

log = logging.getLogger(__name__)


@on_press(to.HOW_TO_LINK)
@group_view
async def how_to_link(context: AppContext, _: Translator, group: WorkingGroup):
    """Explains how to link a Telegram group chat: add the bot to it as an admin allowed to invite users."""
    return how_to_link_screen(group, context.bot.username, _)


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
    _ = tr(await load_member(context, adder.id), update)
    can_invite = bool(await _can_invite(context, chat.id))
    async with context.unit_of_work() as session:
        found = await groups.listed(session, include_closed=False)
        current = await groups.group_of_chat(session, chat.id)
    text, markup = chat_added_screen(chat.id, chat.title or "", can_invite, current, found, _)
    try:
        await context.bot.send_message(adder.id, text, reply_markup=markup)
    except (BadRequest, Forbidden) as exc:
        log.info("could not tell coordinator %s about chat %s: %s", adder.id, chat.id, exc)


@on_press(to.LINK)
@coordinator_only
async def link_chat(update: Update, context: AppContext, _: Translator) -> None:
    """Links the chat to the chosen working group, once the bot is really an admin there allowed to invite."""
    group_id, chat_id = to.LINK.ints(context.match)
    if not await _can_invite(context, chat_id):
        await update.callback_query.answer(_("I am not an admin allowed to invite users in that chat."), show_alert=True)
        return
    chat, now = await context.bot.get_chat(chat_id), context.now()
    async with context.unit_of_work() as session:
        outcome = await groups.link_chat(session, group_id, chat_id, chat.title or "", now)
        group = await groups.get(session, group_id)
        if outcome == LinkOutcome.LINKED:
            await groups.announce_chat(session, group_id, content=chat_linked_content(group),
                                       by=update.effective_user.id, now=now)
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
