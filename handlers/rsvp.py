"""Answering invitations: Going / Maybe / Can't go, the waiting list, calendar files and event links."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from telegram import Document, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot.app import AppContext
from bot.event_text import deadline_text, description, fingerprint, invitation_text, rsvp_buttons, title, when, zone
from bot.i18n import LANGUAGES, Translator, translator
from bot.models import Event, Member
from bot.services import rsvps
from bot.services.rsvps import EventView, MemberView, Outcome, Status
from bot.text import esc
from bot.vocab import RSVP_ANSWERS, RSVP_CODES
from handlers import deeplinks
from handlers.common import answer_stale, button, keyboard, load_member, reply, tr

CALENDAR_ANSWERS = (rsvps.GOING, rsvps.MAYBE)


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
def answer_keyboard(event_id: int, chosen: str | None, language: str) -> InlineKeyboardMarkup:
    """The answer buttons, the member's current choice ticked (Telegram objects can't change: shared)."""
    chosen_code = RSVP_ANSWERS[chosen][0] if chosen else None
    return keyboard([[button(("✅ " if data.endswith(f":{chosen_code}") else "") + label, data) for label, data in row]
                     for row in rsvp_buttons(event_id, translator(language))])


def invitation_screen(outcome: Outcome, _: Translator) -> tuple[str, object]:
    """The invitation with the member's answer under it; buttons while answers are open."""
    text = invitation_text(outcome.event, _)
    if outcome.answer:
        text += "\n\n" + answer_line(outcome, _)
    if outcome.status is Status.CLOSED:
        return text + "\n\n" + _("Answers for this event are closed."), None
    return text, answer_keyboard(outcome.event.id, outcome.answer, _.language)


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
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        text = "\n".join([
            _("🎉 A seat has become free for you at <b>{title}</b>: you are now going!").format(
                title=esc(title(event, language))),
            "", "🗓 " + when(event, _), *(["📍 " + esc(event.venue)] if event.venue else []), "",
            _("If you can no longer come, please press “Can't go” so the seat goes to the next person waiting."),
        ])
        calendar = [[_("📅 Add to my calendar"), f"ev:ics:{event.id}"]]
        content[language] = {"text": text, "buttons": [calendar, *rsvp_buttons(event.id, _)]}
    return content


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


async def show_in_place(update: Update, text: str, markup) -> None:
    """Redraws the pressed message with the member's answer; a message that can't be edited is left as it is."""
    query = update.callback_query
    message = query.message
    try:
        if getattr(message, "text", None) is not None:
            await query.edit_message_text(text, reply_markup=markup)
        elif getattr(message, "caption", None) is not None or getattr(message, "photo", None):
            await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:
        # An old or deleted message, or one already showing this answer: the confirmation still goes out.
        if not any(s in str(exc).lower() for s in ("not modified", "not found", "can't be edited")):
            raise


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


async def query_alert(update: Update, text: str) -> None:
    await update.callback_query.answer(text, show_alert=True)



async def rsvp(update: Update, context: AppContext) -> None:
    """Records Going / Maybe / Can't go, redraws the invitation with the answer, and confirms it."""
    event_id, answer = int(context.match.group(1)), RSVP_CODES[context.match.group(2)]
    query = update.callback_query
    async with context.unit_of_work() as session:
        member, current, event = await rsvps.pressed(session, update.effective_user.id, event_id)
        registered = member is not None and member.registered_at is not None
        if registered:
            outcome = await rsvps.answer(session, event_id=event_id, member_id=member.id, answer=answer,
                                         now=context.now(), content=promotion_content, rsvp=current, event=event)
    _ = tr(member, update)
    if not registered:
        await query_alert(update, _("Please register first: send /start."))
        return
    if outcome.status is not Status.OK:
        await query_alert(update, unavailable_text(outcome, _))
        return
    if outcome.promoted and context.services.delivery is not None:
        context.services.delivery.wake()
    await query.answer(toast(outcome, _))
    await show_in_place(update, *invitation_screen(outcome, _))
    if outcome.changed:
        await send_confirmation(update, context, outcome, member)


async def calendar(update: Update, context: AppContext) -> None:
    """Sends the calendar file again to a member who is going (or might)."""
    event_id = int(context.match.group(1))
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if member is None or member.registered_at is None:
        await query_alert(update, _("Please register first: send /start."))
        return
    async with context.services.db.session() as session:
        outcome = await rsvps.view(session, event_id=event_id, member_id=member.id, now=context.now())
    if outcome.status in (Status.NOT_FOUND, Status.NOT_OPEN, Status.CANCELLED):
        await query_alert(update, unavailable_text(outcome, _))
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
    await reply(update, *invitation_screen(outcome, _))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(rsvp, pattern=r"^ev:rsvp:(\d{1,9}):(y|m|n)$"))
    app.add_handler(CallbackQueryHandler(calendar, pattern=r"^ev:ics:(\d{1,9})$"))
