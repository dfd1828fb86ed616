"""Answering invitations: Going / Maybe / Can't go, the waiting list, calendar files and event links, and
keeping the message that shows the member's answer in step with it (what members see is drawn by
`invitation`; invitations changed behind members' backs are redrawn by `redraws`)."""

from __future__ import annotations

import sys

from telegram import Document, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application

from bot.context import AppContext
from bot.event_text import fingerprint, title
from bot.i18n import N_, translator
from bot.models import Event, Member
from bot.services import rsvps
from bot.services.rsvps import EventView, MemberView, Outcome, Status
from bot.text import esc
from bot.vocab import RSVP_CODES
from handlers.ui import deeplinks
from handlers.ui.answers import add_presses, on_press
from handlers.ui.common import answer_stale, reply, tr
import handlers.events.callbacks as on
import handlers.events.inplace as inplace
from handlers.events.invitation import (
    calendar_file,
    confirmation_text,
    drawn,
    invitation_screen,
    promotion_content,
    toast,
    unanswered_screen,
    unavailable_text,
)
from handlers.events.redraws import GONE, redraw_soon
from handlers.events.shared import alert, registered_first

CALENDAR_ANSWERS = (rsvps.GOING, rsvps.MAYBE)
REGISTER_FIRST = N_("Please register first: send /start.")


# ---------------------------------------------------------------- talking to the member


def shows_text(update: Update) -> bool:
    """Whether the pressed message is a text message (an invitation, a reminder, a notice): those are redrawn
    with the answer; on a photo or document only the buttons change."""
    return getattr(update.callback_query.message, "text", None) is not None


async def show_in_place(update: Update, text: str, markup) -> None:
    """Redraws the pressed message with the member's answer unless it shows it already; a message that can't be
    edited is left as it is."""
    query = update.callback_query
    message = query.message
    try:
        if shows_text(update):
            await inplace.edit(update, text, markup)
        elif getattr(message, "caption", None) is not None or getattr(message, "photo", None):
            if not inplace.same_buttons(message, markup):
                await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:
        # An old or deleted message, or one already showing this answer: the confirmation still goes out.
        if not any(s in str(exc).lower() for s in ("not modified", "not found", "can't be edited")):
            raise


async def clear_answer(context: AppContext, chat_id: int, message_id: int, outcome: Outcome, language: str) -> None:
    """The message that showed the member's answer until now goes back to the invitation as it came: only the
    latest message shows where they stand."""
    text, markup = unanswered_screen(outcome, translator(language))
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower() and not any(s in str(exc).lower() for s in GONE):
            raise


async def send_invitation(update: Update, context: AppContext, outcome: Outcome, language: str) -> None:
    """Sends the invitation with the member's answer (if any) as a new message, which from now on is the one
    that shows their answer."""
    _ = translator(language)
    text, markup = invitation_screen(outcome, _)
    message = await update.effective_chat.send_message(text, reply_markup=markup)
    if outcome.rsvp_id is None:
        return
    async with context.services.db.session() as session:
        earlier = await rsvps.shown(session, outcome, message.message_id, drawn(text, markup))
    if earlier is not None:
        await clear_answer(context, update.effective_chat.id, earlier, outcome, language)


async def send_confirmation(update: Update, context: AppContext, outcome: Outcome, member: MemberView) -> None:
    """Confirms an answer in a message; Going and Maybe come with the calendar file."""
    _ = translator(member.language)
    text = confirmation_text(outcome, _)
    if outcome.answer in CALENDAR_ANSWERS and not outcome.waitlisted:
        await send_calendar(update, context, outcome.event, member.language, caption=text)
    else:
        await reply(update, text)


CALENDAR_FILES = "calendar_files"


async def send_calendar(update: Update, context: AppContext, event: Event | EventView, language: str,
                        caption: str) -> None:
    """Sends the event's .ics; once Telegram has the file for this version of the event and language,
    later members get that file again (Telegram's Document, sent by its id) instead of another upload."""
    uploaded: dict[tuple, Document] = context.bot_data.setdefault(CALENDAR_FILES, {})
    key = (fingerprint(event), language)
    sent = uploaded.get(key)
    if sent is None:
        document = InputFile(calendar_file(event, language, context.now()), filename=f"event-{event.id}.ics")
    else:
        document = sent
    message = await update.effective_chat.send_document(document, caption=caption)
    if sent is None and message.document is not None:
        if len(uploaded) >= 256:
            uploaded.clear()
        uploaded[key] = message.document


# ---------------------------------------------------------------- handlers


@on_press(on.ANSWER)
async def rsvp(update: Update, context: AppContext) -> None:
    """Records Going / Maybe / Can't go, redraws the invitation with the answer, and confirms it."""
    event_id, answer = int(context.match.group(1)), RSVP_CODES[context.match.group(2)]
    query = update.callback_query
    earlier = None
    async with context.unit_of_work() as session:
        member, current, event = await rsvps.pressed(session, update.effective_user.id, event_id)
        registered = member is not None and member.registered_at is not None
        if registered:
            outcome = await rsvps.answer(session, event_id=event_id, member_id=member.id, answer=answer,
                                         now=context.now(), content=promotion_content, rsvp=current, event=event)
            if outcome.status is Status.OK:
                screen = invitation_screen(outcome, translator(member.language))
                if shows_text(update):
                    earlier = await rsvps.shown(session, outcome, query.message.message_id, drawn(*screen))
    _ = tr(member, update)
    if not registered:
        await alert(update, _(REGISTER_FIRST))
        return
    if outcome.status is not Status.OK:
        await alert(update, unavailable_text(outcome, _))
        return
    if outcome.promoted and context.services.delivery is not None:
        context.services.delivery.wake()
    if outcome.redraws:
        redraw_soon(context.application)
    await query.answer(toast(outcome, _))
    await show_in_place(update, *screen)
    if earlier is not None:
        await clear_answer(context, update.effective_chat.id, earlier, outcome, member.language)
    if outcome.changed:
        await send_confirmation(update, context, outcome, member)


@on_press(on.CALENDAR)
@registered_first(REGISTER_FIRST)
async def calendar(update: Update, context: AppContext, member: Member) -> None:
    """Sends the calendar file again to a member who is going (or might)."""
    event_id, _ = int(context.match.group(1)), translator(member.language)
    async with context.services.db.session() as session:
        outcome = await rsvps.view(session, event_id=event_id, member_id=member.id, now=context.now())
    if outcome.status in (Status.NOT_FOUND, Status.NOT_OPEN, Status.CANCELLED):
        await alert(update, unavailable_text(outcome, _))
        return
    if outcome.answer not in CALENDAR_ANSWERS or outcome.waitlisted:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await send_calendar(update, context, outcome.event, member.language,
                        caption=esc(title(outcome.event, member.language)))


@deeplinks.on(r"ev_\d{1,9}")
async def open_event(update: Update, context: AppContext, member: Member, payload: str) -> None:
    """Shows the invitation behind a shared event link, with the member's answer and the answer buttons."""
    event_id = int(payload.removeprefix("ev_"))
    async with context.services.db.session() as session:
        outcome = await rsvps.view(session, event_id=event_id, member_id=member.id, now=context.now())
    _ = translator(member.language)
    if outcome.status in (Status.NOT_FOUND, Status.NOT_OPEN, Status.CANCELLED):
        await reply(update, unavailable_text(outcome, _))
        return
    await send_invitation(update, context, outcome, member.language)


def register(app: Application) -> None:
    add_presses(app, sys.modules[__name__])
