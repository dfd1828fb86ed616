"""Coordinators message a group's approved members and ask an event's attendees to join the group."""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from bot.models import Draft
from bot.services import drafts as draft_store
from bot.services import events, groups, outbox
from bot.services.groups import InvalidInput
from handlers.ui import drafts
from handlers.ui.common import (
    answer_stale,
    button,
    coordinator_and_translator as require_coordinator,
    keyboard,
    load_member,
    reply,
    show,
    tr,
)
from handlers.groups.editing import group_or_stale
from handlers.groups.screens import MESSAGE, MESSAGE_MAX, ask_content, event_ask_screen, group_title, message_content
from handlers.ui.people import event_label, require_typing_coordinator
from handlers.ui.bilingual import invalid_text


async def start_message(update: Update, context: AppContext) -> None:
    """Asks for the message to send to the group's approved members."""
    allowed = await require_typing_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    group_id = int(context.match.group(1))
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        if group is not None:
            await draft_store.begin(session, member.telegram_id, MESSAGE, step="text", data={"group_id": group_id},
                                    now=context.now())
    if group is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await reply(update, _("Type the message for the approved members of the {group}. (Up to {limit} characters.)").format(
        group=f"<b>{group_title(group, _)}</b>", limit=_.number(MESSAGE_MAX)),
        keyboard([[button(_("Cancel"), f"grpa:msgno:{group_id}")]]))


@drafts.on_input(MESSAGE)
async def take_message(update: Update, context: AppContext, draft: Draft) -> None:
    """Shows the typed message as members will read it, with the number of recipients, before sending."""
    _ = tr(await load_member(context, update.effective_user.id), update)
    try:
        text = groups.clean_text(update.message.text if update.message else None, MESSAGE_MAX)
    except InvalidInput as exc:
        await reply(update, invalid_text(exc, _))
        return
    group_id = draft.data["group_id"]
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        count = await groups.count_query(session, groups.approved_recipients(group_id)) if group else 0
        if count:
            stored = await draft_store.get(session, update.effective_user.id, MESSAGE)
            draft_store.advance(stored, step=None, now=context.now(), text=text)
        else:
            await draft_store.discard(session, update.effective_user.id, MESSAGE)
    if count == 0:
        await reply(update, _("The group has no approved members to send to yet."))
        return
    preview = message_content(group, text)[_.language]["text"]
    ask = _.ngettext("Send this to {count} approved member?", "Send this to {count} approved members?", count).format(
        count=_.number(count))
    await reply(update, preview + "\n\n———\n" + ask,
                keyboard([[button("✅ " + _("Send"), f"grpa:msgok:{group_id}"), button(_("Cancel"), f"grpa:msgno:{group_id}")]]))


async def send_message(update: Update, context: AppContext) -> None:
    """Queues the message for the group's approved members in the outbox (or drops it on cancel)."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    sending, group_id = context.match.group(1) == "ok", int(context.match.group(2))
    me, now = update.effective_user.id, context.now()
    async with context.unit_of_work() as session:
        draft = await draft_store.get(session, me, MESSAGE)
        ready = draft is not None and draft.data.get("group_id") == group_id and (not sending or "text" in draft.data)
        group = await groups.get(session, group_id)
        if ready and sending and group is not None:
            delivery = await outbox.create(session, kind="group_message", content=message_content(group, draft.data["text"]),
                                           send_at=now, created_by=me, ref_id=group_id, status_chat_id=me,
                                           status_language=_.language, now=now)
            await outbox.add_query(session, delivery, groups.approved_recipients(group_id))
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


async def pick_event(update: Update, context: AppContext) -> None:
    """Lists recent events whose attendees could be asked to join the group."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    group = await group_or_stale(update, context, _)
    if group is None:
        return
    async with context.services.db.session() as session:
        events = await groups.recent_events(session)
    await update.callback_query.answer()
    rows = [[button(event_label(e, _), f"grpa:ev:{group.id}:{e.id}")] for e in events]
    rows.append([button("◀ " + _("Back to the group"), f"grpa:view:{group.id}")])
    text = _("Whose attendees should be asked to join the {group}? Those who checked in will receive a message with "
             "an “I'm interested” button; before anyone has checked in, those who answered Going.").format(
        group=f"<b>{group_title(group, _)}</b>")
    if not events:
        text = _("There are no events yet.")
    await show(update, text, keyboard(rows))


def ask_kind(event_id: int) -> str:
    """Deliveries of one group's ask to one event's attendees, so nobody is asked twice."""
    return f"group_ask:{event_id}"


async def confirm_event(update: Update, context: AppContext) -> None:
    """Says how many attendees would be asked, then asks them through the outbox when confirmed."""
    allowed = await require_coordinator(update, context)
    if allowed is None:
        return
    _me, _ = allowed
    sending = context.match.group(1) == "evgo"
    group_id, event_id = int(context.match.group(2)), int(context.match.group(3))
    me, now = update.effective_user.id, context.now()
    count = 0
    async with context.unit_of_work() as session:
        group = await groups.get(session, group_id)
        event = await events.get(session, event_id)
        if group is not None and event is not None:
            prospects = groups.event_prospects(group_id, event_id, kind=ask_kind(event_id), asked_by=me)
            count = await groups.count_query(session, prospects)
            if sending and count and group.status == groups.OPEN:
                delivery = await outbox.create(session, kind=ask_kind(event_id), content=ask_content(group, event),
                                               send_at=now, created_by=me, ref_id=group_id, status_chat_id=me,
                                               status_language=_.language, now=now)
                await outbox.add_query(session, delivery, prospects)
    if group is None or event is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    if sending and count and group.status == groups.OPEN:
        context.services.delivery.wake()
    await show(update, *event_ask_screen(group, event, count, sending, _))
