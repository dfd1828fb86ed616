"""Members browse the working groups, ask to join (with a reason if they like), withdraw and get the chat link."""

from __future__ import annotations

import logging
from dataclasses import asdict

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError

import handlers.groups.callbacks as to
from bot.context import AppContext
from bot.i18n import N_, Translator, translator
from bot.models import Draft, Member
from bot.services import drafts as draft_store
from bot.services import groups
from bot.services.groups import APPROVED, Expressed, InvalidInput, InviteState
from handlers.groups.forms import REASON, ReasonForm
from handlers.groups.screens import group_title, invite_screen, list_screen, member_note, member_screen, notice_content
from handlers.groups.screens import reason_screen
from handlers.ui.answers import Said, on_press, on_said
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, is_coordinator, load_member, registered_only, reply, show, tr

log = logging.getLogger(__name__)


@on_press(to.LIST)
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
    async with context.services.db.session() as session:
        found = await groups.listed(session, include_closed=coordinator)
        mine = await groups.statuses_of(session, member.id) if member else {}
        counts = await groups.interest_counts(session) if coordinator else {}
    if update.callback_query:
        await update.callback_query.answer()
    await show(update, *list_screen(found, mine, _, coordinator=coordinator, counts=counts))


@on_press(to.VIEW)
@registered_only
async def view_group(update: Update, context: AppContext, member: Member) -> None:
    """Shows one working group, the member's standing in it and what they can do."""
    _ = translator(member.language)
    group_id, = to.VIEW.ints(context.match)
    async with context.services.db.session() as session:
        group = await groups.get(session, group_id)
        interest = await groups.interest_of(session, group_id, member.id) if group else None
    status = interest.status if interest else None
    if group is None or (group.status != groups.OPEN and status != APPROVED):
        await update.callback_query.answer(_("This working group is not open."), show_alert=True)
        return
    await update.callback_query.answer()
    await show(update, *member_screen(group, status, bool(interest and interest.in_chat), _))


@on_press(to.INTERESTED, to.INTERESTED_AFTER_EVENT)
@registered_only
async def interested(update: Update, context: AppContext, member: Member) -> None:
    """Records the member's interest and offers to add a reason."""
    group_id, event_id = (*to.INTERESTED.ints(context.match), None)[:2]
    now = context.now()
    async with context.unit_of_work() as session:
        outcome, _interest = await groups.express(session, group_id=group_id, member=member, event_id=event_id, now=now)
        group = await groups.get(session, group_id)
        if outcome == Expressed.NEW:
            await draft_store.begin(session, member.telegram_id, REASON, step="reason",
                                    data=asdict(ReasonForm(group_id)), now=now)
            await groups.note_requests(session, group_id=group_id, configured=context.services.settings.coordinator_ids,
                                       content=notice_content, now=now, new=True)
    _ = translator(member.language)
    refusals = {
        Expressed.CLOSED: _("This working group is not open for new members."),
        Expressed.DECLINED: _("Your request to join this working group was not accepted."),
        Expressed.ALREADY: _("You have already expressed interest in this working group."),
    }
    if outcome in refusals:
        await update.callback_query.answer(refusals[outcome], show_alert=True)
        return
    await update.callback_query.answer()
    await reply(update, *reason_screen(group, _))


@on_press(to.SKIP_REASON)
@registered_only
async def skip_reason(update: Update, context: AppContext, member: Member) -> None:
    """Leaves the reason out; the interest stands."""
    group_id, = to.SKIP_REASON.ints(context.match)
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, member.telegram_id, REASON)
        waiting = draft is not None and draft_store.read(draft, ReasonForm).group_id == group_id
        if waiting:
            await draft_store.discard(session, member.telegram_id, REASON)
    _ = translator(member.language)
    if not waiting:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, *member_note(_("Thank you! A coordinator will look at your request."), _))


@on_said(REASON, N_("Please type your reason or send a voice note, or press Skip."))
async def take_reason(update: Update, context: AppContext, draft: Draft, member: Member, _: Translator,
                      reason: Said) -> None:
    """Adds the typed or spoken reason to the member's interest; refuses what is too long, changing nothing."""
    try:
        async with context.unit_of_work() as session:
            interest = await groups.give_reason(
                session, group_id=draft_store.read(draft, ReasonForm).group_id, member_id=member.id, text=reason.text,
                voice_file_id=reason.voice_file_id, voice_seconds=reason.voice_seconds, now=context.now())
            await draft_store.discard(session, member.telegram_id, REASON)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    if interest is None:
        await reply(update, _("Your interest was withdrawn, so there is nothing to add a reason to."))
        return
    await reply(update, *member_note(_("Thank you, your reason was added. A coordinator will look at your request."), _))


@on_press(to.WITHDRAW)
@registered_only
async def withdraw(update: Update, context: AppContext, member: Member) -> None:
    """Withdraws the member's interest (or membership); an unused invite link stops working."""
    group_id, = to.WITHDRAW.ints(context.match)
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
    await show(update, *member_note(_("You have withdrawn from the {group}.").format(
        group=f"<b>{group_title(group, _)}</b>"), _))


async def revoke_link(context: AppContext, chat_id: int | None, link: str | None) -> None:
    """Revokes a member's invite link so nobody else can use it (a refusal from Telegram is only logged)."""
    if chat_id is None or not link:
        return
    try:
        await context.bot.revoke_chat_invite_link(chat_id, link)
    except TelegramError as exc:
        log.info("invite link could not be revoked: %s", exc)


@on_press(to.INVITE)
@registered_only
async def invite_link(update: Update, context: AppContext, member: Member) -> None:
    """Gives an approved member their own single-use link to the group's chat (the same one if asked again)."""
    group_id, = to.INVITE.ints(context.match)
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
        link = await _new_invite(context, check, member, now)
        if link is None:
            await query.answer(_("I could not make an invite link. Please tell a coordinator."), show_alert=True)
            return
    await query.answer()
    await reply(update, *invite_screen(check.group, link, _))


async def _new_invite(context: AppContext, check: groups.InviteCheck, member: Member, now) -> str | None:
    """Has Telegram make the member's own invite link, then keeps it for next time; None if Telegram refuses."""
    expires = now + groups.INVITE_LIFETIME
    try:
        invite = await context.bot.create_chat_invite_link(
            check.group.chat_id, expire_date=expires, member_limit=1, name=groups.invite_name(member.id))
    except (BadRequest, Forbidden) as exc:
        log.warning("invite link for group %s not created: %s", check.group.id, exc)
        return None
    async with context.unit_of_work() as session:
        await groups.store_invite(session, interest_id=check.interest.id, link=invite.invite_link, expires_at=expires,
                                  now=now)
    return invite.invite_link
