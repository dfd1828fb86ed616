"""Coordinators message a group's approved members and ask an event's attendees to join the group."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

import handlers.groups.callbacks as to
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Draft, Member, WorkingGroup
from bot.services import drafts as draft_store
from bot.services import events, groups
from bot.services.groups import InvalidInput
from handlers.groups.editing import group_view, start_group_form
from handlers.groups.forms import MESSAGE, MessageForm
from handlers.groups.screens import MESSAGE_MAX, ask_content, event_ask_screen, events_screen, message_content
from handlers.groups.screens import message_preview, message_prompt
from handlers.ui import drafts
from handlers.ui.answers import chose, on_press
from handlers.ui.bilingual import invalid_text
from handlers.ui.common import answer_stale, coordinator_only, load_member, reply, show, tr
from handlers.ui.people import typing_coordinator_only


@on_press(to.MESSAGE)
@typing_coordinator_only
async def start_message(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    """Asks for the message to send to the group's approved members."""
    answers = MessageForm(*to.MESSAGE.ints(context.match))
    group = await start_group_form(update, context, member, _, MESSAGE, "text", answers)
    if group is not None:
        await reply(update, *message_prompt(group, _))


@drafts.on_input(MESSAGE)
async def take_message(update: Update, context: AppContext, draft: Draft) -> None:
    """Shows the typed message as members will read it, with the number of recipients, before sending."""
    me = update.effective_user.id
    _ = tr(await load_member(context, me), update)
    try:
        text = groups.clean_text(update.message.text if update.message else None, MESSAGE_MAX)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    answers = replace(draft_store.read(draft, MessageForm), text=text)
    async with context.unit_of_work() as session:
        group = await groups.get(session, answers.group_id)
        count = await groups.count_query(session, groups.approved_recipients(group.id)) if group else 0
        if count:
            draft_store.write(await draft_store.get(session, me, MESSAGE), answers, step=None, now=context.now())
        else:
            await draft_store.discard(session, me, MESSAGE)
    if count == 0:
        await reply(update, _("The group has no approved members to send to yet."))
        return
    await reply(update, *message_preview(group, text, count, _))


@on_press(to.SEND_OR_DROP)
@coordinator_only
async def send_message(update: Update, context: AppContext, _: Translator) -> None:
    """Queues the message for the group's approved members in the outbox (or drops it on cancel)."""
    sending, group_id = chose(context.match, "msgok")
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        answers = draft_store.read(await draft_store.get(session, me, MESSAGE), MessageForm)
        ready = answers.group_id == group_id and (not sending or answers.text is not None)
        group = await groups.get(session, group_id)
        if ready and sending and group is not None:
            await groups.message_members(session, group_id, content=message_content(group, answers.text), by=me,
                                         report_in=_.language, now=now)
        if ready:
            await draft_store.discard(session, me, MESSAGE)
    if not ready or group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if not sending:
        await show(update, _("Cancelled. Nothing was sent."))
        return
    context.services.delivery.wake()
    await show(update, _("The message is on its way. I will report here when it has been delivered."))


@on_press(to.EVENTS)
@group_view
async def pick_event(context: AppContext, _: Translator, group: WorkingGroup):
    """Lists recent events whose attendees could be asked to join the group."""
    async with context.services.db.session() as session:
        return events_screen(group, await groups.recent_events(session), _)


@on_press(to.ASK_EVENT)
@coordinator_only
async def confirm_event(update: Update, context: AppContext, _: Translator) -> None:
    """Says how many attendees would be asked, then asks them through the outbox when confirmed."""
    sending, group_id, event_id = chose(context.match, "evgo")
    me, now = update.effective_user.id, context.now()
    count = 0
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        event = await events.get(session, event_id)
        if group is not None and event is not None:
            count = await groups.ask_attendees(session, group, event_id, send=sending, content=ask_content(group, event),
                                               by=me, report_in=_.language, now=now)
    if group is None or event is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if sending and count and group.status == groups.OPEN:
        context.services.delivery.wake()
    await show(update, *event_ask_screen(group, event, count, sending, _))
