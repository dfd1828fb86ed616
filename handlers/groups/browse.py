"""Members browse the working groups, ask to join (with a reason if they like), withdraw and get the chat link."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import AppContext
from bot.i18n import translator
from bot.models import Draft, Member
from bot.services import drafts as draft_store
from bot.services import groups
from bot.services.groups import APPROVED, Expressed, InvalidInput, InviteState
from bot.text import esc
from handlers.ui import drafts
from handlers.ui.common import (
    answer_stale,
    button,
    is_coordinator,
    keyboard,
    load_member,
    registered_member as _registered,
    reply,
    show,
    tr,
)
from handlers.groups.screens import REASON, group_title, list_screen, member_screen, notice_content, reason_screen
from handlers.ui.people import voice_of
from handlers.ui.bilingual import invalid_text

log = logging.getLogger(__name__)


async def _list_for(context: AppContext, member: Member | None, coordinator: bool) -> tuple[list, dict, dict]:
    async with context.services.db.session() as session:
        found = await groups.listed(session, include_closed=coordinator)
        mine = await groups.statuses_of(session, member.id) if member else {}
        counts = await groups.interest_counts(session) if coordinator else {}
    return found, mine, counts


async def show_groups(update: Update, context: AppContext) -> None:
    """Lists the working groups (coordinators also see closed ones, counts and a button to add one)."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    coordinator = await is_coordinator(context, update.effective_user.id)
    if not coordinator and (member is None or member.registered_at is None):
        await reply(update, _("Please register first: send /start."))
        if update.callback_query:
            await update.callback_query.answer()
        return
    found, mine, counts = await _list_for(context, member, coordinator)
    text, markup = list_screen(found, mine, _, coordinator=coordinator, counts=counts)
    if update.callback_query:
        await update.callback_query.answer()
    await show(update, text, markup)


async def view_group(update: Update, context: AppContext) -> None:
    """Shows one working group, the member's standing in it and what they can do."""
    member = await _registered(update, context)
    if member is None:
        return
    _ = translator(member.language)
    async with context.services.db.session() as session:
        group = await groups.get(session, int(context.match.group(1)))
        interest = await groups.interest_of(session, group.id, member.id) if group else None
    status = interest.status if interest else None
    if group is None or (group.status != groups.OPEN and status != APPROVED):
        await update.callback_query.answer(_("This working group is not open."), show_alert=True)
        return
    await update.callback_query.answer()
    await show(update, *member_screen(group, status, bool(interest and interest.in_chat), _))


async def interested(update: Update, context: AppContext) -> None:
    """Records the member's interest and offers to add a reason."""
    member = await _registered(update, context)
    if member is None:
        return
    group_id = int(context.match.group(1))
    event_id = int(context.match.group(2)) if context.match.group(2) else None
    async with context.unit_of_work() as session:
        outcome, _interest = await groups.express(session, group_id=group_id, member=member, event_id=event_id,
                                                  now=context.now())
        group = await groups.get(session, group_id)
        if outcome == Expressed.NEW:
            await draft_store.begin(session, member.telegram_id, REASON, step="reason", data={"group_id": group_id},
                                    now=context.now())
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=context.now(), new=True)
    _ = translator(member.language)
    query = update.callback_query
    if outcome == Expressed.CLOSED:
        await query.answer(_("This working group is not open for new members."), show_alert=True)
    elif outcome == Expressed.DECLINED:
        await query.answer(_("Your request to join this working group was not accepted."), show_alert=True)
    elif outcome == Expressed.ALREADY:
        await query.answer(_("You have already expressed interest in this working group."), show_alert=True)
    else:
        await query.answer()
        await reply(update, *reason_screen(group, _))


async def skip_reason(update: Update, context: AppContext) -> None:
    """Leaves the reason out; the interest stands."""
    member = await _registered(update, context)
    if member is None:
        return
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, member.telegram_id, REASON)
        waiting = draft is not None and draft.data.get("group_id") == int(context.match.group(1))
        if waiting:
            await draft_store.discard(session, member.telegram_id, REASON)
    _ = translator(member.language)
    if not waiting:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("Thank you! A coordinator will look at your request."),
               keyboard([[button("◀ " + _("All working groups"), "grp:list")]]))


@drafts.on_input(REASON)
async def take_reason(update: Update, context: AppContext, draft: Draft) -> None:
    """Adds the typed or spoken reason to the member's interest; refuses what is too long, changing nothing."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    voice = voice_of(update)
    text = update.message.text if update.message else None
    if voice is None and text is None:
        await reply(update, _("Please type your reason or send a voice note, or press Skip."))
        return
    group_id = draft.data.get("group_id")
    try:
        seconds = groups.check_voice(voice.seconds, voice.size) if voice else None
        async with context.unit_of_work() as session:
            interest = await groups.give_reason(
                session, group_id=group_id, member_id=member.id, text=text, now=context.now(),
                voice_file_id=voice.file_id if voice else None, voice_seconds=seconds)
            await draft_store.discard(session, member.telegram_id, REASON)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    if interest is None:
        await reply(update, _("Your interest was withdrawn, so there is nothing to add a reason to."))
        return
    await reply(update, _("Thank you, your reason was added. A coordinator will look at your request."),
                keyboard([[button("◀ " + _("All working groups"), "grp:list")]]))


async def withdraw(update: Update, context: AppContext) -> None:
    """Withdraws the member's interest (or membership); an unused invite link stops working."""
    member = await _registered(update, context)
    if member is None:
        return
    group_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        done = await groups.withdraw(session, group_id=group_id, member_id=member.id, now=context.now())
        await draft_store.discard(session, member.telegram_id, REASON)
        group = await groups.get(session, group_id)
        if done is not None:
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=context.now(), new=False)
    _ = translator(member.language)
    if done is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await revoke_link(context, done.chat_id, done.revoke_link)
    await show(update, _("You have withdrawn from the {group}.").format(group=f"<b>{group_title(group, _)}</b>"),
               keyboard([[button("◀ " + _("All working groups"), "grp:list")]]))


async def revoke_link(context: AppContext, chat_id: int | None, link: str | None) -> None:
    """Revokes a member's invite link so nobody else can use it (a refusal from Telegram is only logged)."""
    if chat_id is None or not link:
        return
    try:
        await context.bot.revoke_chat_invite_link(chat_id, link)
    except TelegramError as exc:
        log.info("invite link could not be revoked: %s", exc)


async def invite_link(update: Update, context: AppContext) -> None:
    """Gives an approved member their own single-use link to the group's chat (the same one if asked again)."""
    member = await _registered(update, context)
    if member is None:
        return
    group_id = int(context.match.group(1))
    now = context.now()
    async with context.unit_of_work() as session:
        check = await groups.invite_check(session, group_id=group_id, member_id=member.id, now=now)
    _ = translator(member.language)
    query = update.callback_query
    refusals = {
        InviteState.NOT_APPROVED: _("Only approved members of a working group get an invite link to its chat."),
        InviteState.NO_CHAT: _("This working group has no Telegram chat yet. The coordinators will tell you when it does."),
        InviteState.IN_CHAT: _("You are already in the group chat."),
    }
    if check.state in refusals:
        await query.answer(refusals[check.state], show_alert=True)
        return
    link = check.interest.invite_link
    if check.state == InviteState.NEEDED:
        # The link has to exist before it can be stored: Telegram makes it, then it is kept for next time.
        expires = now + groups.INVITE_LIFETIME
        try:
            invite = await context.bot.create_chat_invite_link(
                check.group.chat_id, expire_date=expires, member_limit=1, name=groups.invite_name(member.id))
        except (BadRequest, Forbidden) as exc:
            log.warning("invite link for group %s not created: %s", group_id, exc)
            await query.answer(_("I could not make an invite link. Please tell a coordinator."), show_alert=True)
            return
        link = invite.invite_link
        async with context.unit_of_work() as session:
            await groups.store_invite(session, interest_id=check.interest.id, link=link, expires_at=expires, now=now)
    await query.answer()
    text = _("Here is your own link to the chat of the {group}. It works once, for you only; please don't share it.").format(
        group=f"<b>{group_title(check.group, _)}</b>")
    await reply(update, text + "\n" + esc(link),
                InlineKeyboardMarkup([[InlineKeyboardButton("🔗 " + _("Join the group chat"), url=link)]]))


async def list_button(update: Update, context: AppContext) -> None:
    """The 'All working groups' button."""
    await show_groups(update, context)
