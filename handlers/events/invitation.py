"""What a member sees of an invitation, from plain data and a translator: the invitation with their answer and
the answer buttons, why an event takes no answer, the confirmation, a freed seat, and the calendar file.
No I/O here."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from telegram import InlineKeyboardMarkup

from bot.event_text import deadline_text, description, invitation_text, title, when, zone
from bot.i18n import N_, Translator, translator
from bot.models import Event
from bot.services import rsvps
from bot.services.rsvps import EventView, Outcome, Status
from bot.text import esc
from bot.vocab import RSVP_ANSWERS
from handlers.ui.common import button, keyboard
import handlers.events.callbacks as on
from handlers.events.screens import in_every_language, rsvp_buttons

WAITING_LABEL = N_("Waiting list")


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
