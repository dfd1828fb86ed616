"""Answering invitations: Going / Maybe / Can't go, the waiting list, calendar files and event links, and
keeping the member's invitation in step with their answer."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from telegram import Document, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application

from bot.context import AppContext, Services
from bot.event_text import deadline_text, description, fingerprint, invitation_text, title, when, zone
from bot.i18n import N_, Translator, translator
from bot.models import Event, Member
from bot.services import rsvps
from bot.services.rsvps import EventView, MemberView, Outcome, Status
from bot.text import esc
from bot.vocab import RSVP_ANSWERS, RSVP_CODES
from handlers import system
from handlers.ui import deeplinks
from handlers.ui.answers import add_presses, on_press
from handlers.ui.common import answer_stale, button, keyboard, reply, tr
import handlers.events.callbacks as on
import handlers.events.inplace as inplace
from handlers.events.screens import in_every_language, rsvp_buttons
from handlers.events.shared import alert, registered_first

log = logging.getLogger("sahakor.rsvp")

CALENDAR_ANSWERS = (rsvps.GOING, rsvps.MAYBE)
WAITING_LABEL = N_("Waiting list")
REGISTER_FIRST = N_("Please register first: send /start.")
# Telegram's answers to an edit of a message that is gone or too old to edit: it is no longer redrawn.
GONE = ("message to edit not found", "can't be edited", "message_id_invalid", "there is no text in the message")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


# ---------------------------------------------------------------- screens


def unavailable_text(outcome: Outcome, _: Translator) -> str:
    """Why an event takes no answer: unknown, not yet open, cancelled, or past its deadline."""
    if outcome.status is Status.CANCELLED:
        return _("This event has been cancelled.")
    if outcome.status is Status.NOT_OPEN:
        return _("This event is not open for answers yet.")
    if outcome.status is Status.CLOSED:
        return _("Answers for this event closed on {deadline}. Your answer was not changed.").format(
            deadline=deadline_text(outcome.event, _))
    return _("This event could not be found. The link or button may be wrong or out of date.")


def answer_line(outcome: Outcome, _: Translator) -> str:
    """'Your answer: Going', or the member's place on the waiting list."""
    if outcome.waitlisted:
        return _("⏳ The event is full: you are number {position} on the waiting list.").format(
            position=_.number(outcome.position))
    label = RSVP_ANSWERS[outcome.answer][1]
    return _("✅ Your answer: {answer}").format(answer=_(label))


@lru_cache(maxsize=1024)
def answer_keyboard(event_id: int, chosen: str | None, language: str, waiting: bool = False) -> InlineKeyboardMarkup:
    """The answer buttons, the member's current choice ticked; a member waiting for a seat sees ⏳ Waiting list
    where Going was (Telegram objects can't change: shared)."""
    _ = translator(language)
    chosen_code = RSVP_ANSWERS[chosen][0] if chosen else None
    going_code = RSVP_ANSWERS[rsvps.GOING][0]

    def label(text: str, data: str) -> str:
        if not data.endswith(f":{chosen_code}"):
            return text
        return "⏳ " + _(WAITING_LABEL) if waiting and chosen_code == going_code else "✅ " + text

    return keyboard([[button(label(text, data), data) for text, data in row] for row in rsvp_buttons(event_id, _)])


def invitation_screen(outcome: Outcome, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The invitation with the member's answer under it; buttons while answers are open."""
    text = invitation_text(outcome.event, _)
    if outcome.answer:
        text += "\n\n" + answer_line(outcome, _)
    if outcome.status is Status.CANCELLED:
        return text + "\n\n❌ " + _("This event has been cancelled."), None
    if outcome.status is Status.CLOSED:
        return text + "\n\n" + _("Answers for this event are closed."), None
    return text, answer_keyboard(outcome.event.id, outcome.answer, _.language, outcome.waitlisted)


def unanswered_screen(outcome: Outcome, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The invitation as it first came, for a message that no longer shows the member's answer."""
    return invitation_screen(replace(outcome, answer=None, waitlisted=False, position=None), _)


def drawn(text: str, markup: InlineKeyboardMarkup | None) -> str:
    """A short fingerprint of a screen: what a member's message shows, without keeping its words."""
    buttons = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] if markup else []
    return hashlib.blake2b(repr((text, buttons)).encode(), digest_size=8).hexdigest()


def confirmation_text(outcome: Outcome, _: Translator) -> str:
    """The message confirming an answer, with what happens next."""
    name = esc(title(outcome.event, _.language))
    if outcome.waitlisted:
        text = _("<b>{title}</b> is full. You are number {position} on the waiting list; "
                 "we will send you a message as soon as a seat is free for you.").format(
            title=name, position=_.number(outcome.position))
    elif outcome.answer == rsvps.GOING:
        text = _("You are going to <b>{title}</b>. See you there! "
                 "Open the calendar file to add the event to your phone's calendar.").format(title=name)
    elif outcome.answer == rsvps.MAYBE:
        text = _("You answered “Maybe” for <b>{title}</b>. "
                 "Open the calendar file to add the event to your phone's calendar.").format(title=name)
    else:
        text = _("You answered “Can't go” for <b>{title}</b>. Thank you for letting us know.").format(title=name)
    change = _("You can change your answer until {deadline}.").format(deadline=deadline_text(outcome.event, _))
    return text + "\n\n" + change


def toast(outcome: Outcome, _: Translator) -> str:
    """The short note that pops up on the pressed button."""
    if not outcome.changed:
        return _("Your answer is unchanged.")
    if outcome.waitlisted:
        return _("The event is full: you are on the waiting list.")
    return _("Your answer: {answer}").format(answer=_(RSVP_ANSWERS[outcome.answer][1]))


def promotion_content(event: Event | EventView) -> dict[str, dict]:
    """'A seat is free for you', in every language, with a calendar button and the answer buttons."""

    def message(_: Translator) -> dict:
        text = "\n".join([
            _("🎉 A seat has become free for you at <b>{title}</b>: you are now going!").format(
                title=esc(title(event, _.language))),
            "", "🗓 " + when(event, _), *(["📍 " + esc(event.venue)] if event.venue else []), "",
            _("If you can no longer come, please press “Can't go” so the seat goes to the next person waiting."),
        ])
        calendar = [[_("📅 Add to my calendar"), on.CALENDAR.data(event.id)]]
        return {"text": text, "buttons": [calendar, *rsvp_buttons(event.id, _)]}

    return in_every_language(message)


@lru_cache(maxsize=32)
def timezone_component(name: str) -> icalendar.Timezone:
    """The VTIMEZONE of a zone: working out its transitions takes icalendar some 20 ms, so once per zone."""
    return icalendar.Timezone.from_tzinfo(ZoneInfo(name))


def calendar_file(event: Event | EventView, language: str, now: datetime) -> bytes:
    """The event as an .ics file in the member's language, in the event's own time zone."""
    tz = zone(event)
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.id}@sahakor")
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(tz))
    entry.add("dtend", event.ends_at.astimezone(tz))
    entry.add("summary", title(event, language))
    if event.venue:
        entry.add("location", event.venue)
    if event.latitude is not None and event.longitude is not None:
        entry.add("geo", (event.latitude, event.longitude))
    text = description(event, language)
    if text:
        entry.add("description", text)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Sahakor//Events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    # A VTIMEZONE for the TZID, so phones that don't know the zone name still show the right hour.
    calendar.add_component(timezone_component(tz.key))
    calendar.add_component(entry)
    return calendar.to_ical()


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


# ---------------------------------------------------------------- keeping members' invitations up to date

_REDRAWS = "rsvp:redraws"  # bot_data: this process's pass over the messages due for a redraw
REDRAW_BATCH = 50


def _services(application: Application) -> Services:
    return application.bot_data["services"]


def redraw_soon(application: Application) -> None:
    """After a commit that changed members' answers behind their backs: their invitations are redrawn in the
    background (one pass at a time per process; a pass under way looks again before it ends)."""
    state = application.bot_data.setdefault(_REDRAWS, {"task": None, "again": False})
    if state["task"] is not None and not state["task"].done():
        state["again"] = True
        return
    state["task"] = application.create_task(_redraw_passes(application, state), name="rsvp-redraws")


async def _redraw_passes(application: Application, state: dict) -> None:
    while True:
        state["again"] = False
        await redraw_due(application)
        if not state["again"]:
            return


async def redraws_done(application: Application) -> None:
    """Waits until this process has no redraws under way."""
    state = application.bot_data.get(_REDRAWS)
    while state is not None and state["task"] is not None and not state["task"].done():
        await asyncio.shield(state["task"])


async def redraw_due(application: Application) -> int:
    """Redraws every member's message that shows an answer or a place in the queue that has changed since;
    returns how many were looked at."""
    services = _services(application)
    looked = 0
    while True:
        now = services.clock.now()
        lease = now + timedelta(seconds=services.settings.lease_seconds)
        async with services.db.session() as session:
            batch = await rsvps.claim_redraws(session, now=now, lease=lease, limit=REDRAW_BATCH)
        if not batch:
            return looked
        for item in batch:
            await _redraw(application, item)
        looked += len(batch)


async def _redraw(application: Application, item: rsvps.Redraw) -> None:
    """Brings one member's message up to date; an edit that would change nothing is not sent."""
    services = _services(application)
    async with services.db.session() as session:
        outcome = await rsvps.view(session, event_id=item.event_id, member_id=item.member_id, now=services.clock.now())
    text, markup = invitation_screen(outcome, translator(item.language))
    fingerprint_now, message_id = drawn(text, markup), item.message_id
    if outcome.answer is not None and fingerprint_now != item.drawn:
        try:
            await _edit(services, application, item, text, markup)
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" not in reason:
                if not any(s in reason for s in GONE):
                    log.warning("could not redraw message %s of chat %s: %s", item.message_id, item.chat_id, exc)
                message_id = None
        except Forbidden:
            message_id = None  # blocked: the next update about it marks the member unreachable
        except NetworkError as exc:
            # The row stays claimed until its lease runs out; the next pass (or the next start) takes it again.
            log.warning("could not redraw message %s of chat %s: %s", item.message_id, item.chat_id, exc)
            return
    async with services.db.session() as session:
        await rsvps.redrawn(session, item, drawn=fingerprint_now, message_id=message_id)


async def _edit(services: Services, application: Application, item: rsvps.Redraw, text: str, markup) -> None:
    """One edit, paced with the outbox's sends (one budget for all of the bot's messages) when it runs."""
    delivery = services.delivery
    bot = delivery.bot if delivery is not None else application.bot

    def request():
        return bot.edit_message_text(text, chat_id=item.chat_id, message_id=item.message_id, reply_markup=markup,
                                     parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)

    if delivery is not None:
        await delivery.call(request)
    else:
        await request()


@system.on_start
async def redraw_left_over(application: Application) -> None:
    """On taking the lead: messages a stopped process left to redraw are redrawn (in the background)."""
    redraw_soon(application)


def register(app: Application) -> None:
    add_presses(app, sys.modules[__name__])
