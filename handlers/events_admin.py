"""Events from the coordinator's side: /newevent (a guided conversation kept in a draft, a preview of the
invitation, publishing), /events with answers and check-ins, and changing, postponing or cancelling a
published event. Members' /events lists the events they were invited to, with their answers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location
from babel.lists import format_list
from babel.units import format_unit
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import event_text
from bot.context import AppContext
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Draft, Event, Member
from bot.services import audience as audiences
from bot.services import drafts, events, reminders, rsvps
from bot.services.audience import Audience
from bot.services.events import InvalidInput
from bot.text import esc
from bot.vocab import RSVP_ANSWERS
from handlers import audience_picker, inplace
from handlers import reminders as reminder_jobs
from handlers import rsvp as rsvp_screens
from handlers.common import (
    answer_stale,
    button,
    coordinator_and_translator as _coordinator,
    is_coordinator,
    keyboard,
    load_member,
    pairs,
    reply,
    tr,
)
from handlers.drafts import on_input
from handlers.inplace import show

KIND = "event"  # the /newevent conversation
EDIT_KIND = "event_edit"  # a change to a published event
PICKER = "evn:aud"
LANGUAGE_LABELS = {"km": N_("Khmer"), "en": N_("English")}
LIST_TITLE_MAX = 60

# ---------------------------------------------------------------- the /newevent conversation

TIME_STEPS = ("start", "end", "time_ok")
TAIL_STEPS = ("venue", "location", "capacity", "deadline", "agenda", "reminders", "audience", "preview")
# Steps answered with buttons only; typed text there gets a reminder to use them.
BUTTON_STEPS = ("time_ok", "audience", "preview")
# Steps where a coordinator correcting one part from the preview may keep the current answer (the reminders
# screen has its own Done).
KEEPABLE = ("title", "description", "start", "venue", "location", "capacity", "deadline", "agenda")
# Reminder times offered as buttons, in minutes before the start (others are typed).
REMINDER_PRESETS = (10080, 1440, 180, 120, 60, 30)

GROUPS = {
    "title": N_("Title"),
    "description": N_("Description"),
    "time": N_("Date and time"),
    "venue": N_("Venue"),
    "location": N_("Map location"),
    "capacity": N_("Seats"),
    "deadline": N_("Answer deadline"),
    "agenda": N_("Agenda"),
    "reminders": N_("Reminders"),
    "audience": N_("Who is invited"),
}

INVALID = {
    "empty": N_("That was empty. Please type some text."),
    "too_long": N_("That is too long ({length} characters). Please keep it to {limit} characters or fewer."),
    "format": N_("I could not read that date. Please type it like this: 13/12/2024 08:30"),
    "impossible": N_("There is no such date or time. Please check the day, the month and the hour."),
    "past": N_("That time has already passed. Please type a date and time still to come."),
    "end_before_start": N_("The end must be after the start ({start}). Please type the end again."),
    "deadline_after_start": N_("The deadline must be before the start ({start}). Please type it again."),
    "capacity": N_("Please type the number of seats as a whole number, for example 60."),
    "below_taken": N_("{taken} seats are already taken, so there cannot be fewer seats than that."),
    "location": N_("That location is not valid. Please send it again: tap 📎, then Location."),
    "reminder_after_start": N_("A reminder must come before the start ({start}). Please type another time."),
    "too_many_reminders": N_("There can be at most {limit} reminders. Remove one before adding another."),
}
END_FORMAT = N_("I could not read that. Please type a time like 17:00, or a date and time like 14/12/2024 12:00.")
LIMITS = {"title": events.TITLE_MAX, "description": events.DESCRIPTION_MAX, "venue": events.VENUE_MAX,
          "agenda": events.AGENDA_MAX, "reminders": events.REMINDERS_MAX}


def other(language: str) -> str:
    return "en" if language == "km" else "km"


def split(step: str) -> tuple[str, str | None]:
    """'title_km' -> ('title', 'km'); 'venue' -> ('venue', None)."""
    base, _sep, language = step.partition("_")
    return (base, language) if language in LANGUAGES else (step, None)


def wizard_order(first: str) -> list[str]:
    """The questions in order: texts in the coordinator's language first, then the other language."""
    second = other(first)
    return [f"title_{first}", f"title_{second}", f"description_{first}", f"description_{second}",
            *TIME_STEPS, *TAIL_STEPS]


def group_steps(group: str, first: str) -> list[str]:
    if group in ("title", "description"):
        return [f"{group}_{first}", f"{group}_{other(first)}"]
    if group == "time":
        return list(TIME_STEPS)
    return [group]


def next_step(step: str, data: dict) -> str:
    """The question after `step`; back to the preview once a part corrected from it is done."""
    editing = data.get("editing")
    if editing and step == group_steps(editing, data["first"])[-1]:
        return "preview"
    order = wizard_order(data["first"])
    return order[order.index(step) + 1]


def zone_name(tz: ZoneInfo, _: Translator) -> str:
    return get_timezone_location(tz, locale=_.language)


def language_label(language: str, _: Translator) -> str:
    return _(LANGUAGE_LABELS[language])


def before_text(minutes: int, _: Translator) -> str:
    """How long before the start, exactly: '1 day', '2 hours', '1 day 2 hours 30 minutes'."""
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [format_unit(value, unit, length="long", locale=_.language)
             for value, unit in ((days, "duration-day"), (hours, "duration-hour"), (mins, "duration-minute")) if value]
    return _.digits(format_list(parts, style="unit", locale=_.language))


def reminders_text(event: Event, now: datetime, _: Translator) -> str:
    """The reminders that will really be sent, one a line with when it goes out, or 'No reminders': one whose
    time has passed is not sent, so it is not listed."""
    upcoming = events.upcoming_reminders(event.reminder_minutes, event.starts_at, now)
    if not upcoming:
        return _("No reminders")
    tz = event_text.zone(event)
    return "\n".join([_("Reminders:"), *("• " + _("{moment} ({duration} before the start)").format(
        moment=_.datetime(event.starts_at - timedelta(minutes=m), tz), duration=before_text(m, _))
        for m in upcoming)])


def reminders_screen(data: dict, now: datetime, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The reminders members will get, the preset times still to come as buttons to add or remove, and how to
    type another time."""
    event = events.sketch(data)
    chosen = set(events.upcoming_reminders(event.reminder_minutes, event.starts_at, now))
    presets = [m for m in REMINDER_PRESETS if event.starts_at - timedelta(minutes=m) > now]
    example = event.starts_at - timedelta(hours=1)
    if example <= now:
        example = event.starts_at - (event.starts_at - now) / 2
    text = "\n\n".join([
        _("Members who answer “Going” or “Maybe” get reminders."),
        "⏰ " + reminders_text(event, now, _),
        _("Press a time to add or remove it, or type the date and time of another reminder, for example "
          "{example}.").format(example=_.datetime(example, event_text.zone(event), "short"))])
    rows = pairs([button(("✓ " if m in chosen else "") + before_text(m, _), f"evn:rem:t:{m}") for m in presets])
    rows.append([button("🔕 " + _("No reminders"), "evn:rem:none"), button("✅ " + _("Done"), "evn:rem:done")])
    return text, keyboard(rows)


def start_prompt(tz: ZoneInfo, _: Translator) -> str:
    return _("When does it start? Type the date and time ({zone}) like this: 13/12/2024 08:30").format(
        zone=zone_name(tz, _))


def end_prompt(_: Translator) -> str:
    return _("When does it end? Type just the time, like 17:00, if it ends the same day, "
             "or a date and time like 14/12/2024 12:00.")


def step_screen(step: str, data: dict, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question for one step of /newevent (the reminders, the audience and the preview have their own
    screens)."""
    base, language = split(step)
    first = data["first"]
    values = dict(language=language_label(language or first, _), other=language_label(first, _))
    rows: list[list] = []
    if base == "title" and language == first:
        text = _("What is the event's title in {language}? (Up to {limit} characters.)").format(
            limit=_.number(events.TITLE_MAX), **values)
    elif base == "title":
        text = "\n\n".join([
            _("Title in {other}: {title}").format(title=esc(data.get(f"title_{first}", "")), **values),
            _("Type the title in {language}, or press the button to use the same title in both languages.").format(
                **values)])
        rows.append([button(_("Use it for both languages"), "evn:both")])
    elif base == "description" and language == first:
        text = _("Type a description in {language}: what the event is about and who should come "
                 "(up to {limit} characters).").format(limit=_.number(events.DESCRIPTION_MAX), **values)
        rows.append([button(_("No description"), "evn:skip:desc")])
    elif base == "description":
        text = _("Type the description in {language}, or press the button to use the same description "
                 "in both languages.").format(**values)
        rows.append([button(_("Use it for both languages"), "evn:both")])
    elif step == "start":
        text = start_prompt(ZoneInfo(data["timezone"]), _)
    elif step == "end":
        text = end_prompt(_)
    elif step == "time_ok":
        text = "🗓 " + event_text.when(events.sketch(data), _) + "\n\n" + _("Is this the right date and time?")
        rows.append([button("✅ " + _("Yes, that's right"), "evn:time:ok"),
                     button("✏️ " + _("Change it"), "evn:time:fix")])
    elif step == "venue":
        text = _("Where does it take place? Type the name of the venue, for example: Cambodiana Hotel, Phnom Penh.")
    elif step == "location":
        text = _("If you like, send the venue's location on the map: tap 📎, then Location. "
                 "Members get a map link with their reminders.")
        rows.append([button(_("No map location"), "evn:skip:location")])
    elif step == "capacity":
        text = _("How many seats are there? Type a number, for example 60. When all seats are taken, "
                 "members who want to come go on a waiting list.")
        rows.append([button(_("No limit"), "evn:skip:capacity")])
    elif step == "deadline":
        text = _("Until when can members answer? Type a date and time before the start, like 10/12/2024 17:00. "
                 "Without a deadline, members can answer until the start.")
        rows.append([button(_("No deadline"), "evn:skip:deadline")])
    else:
        text = _("Type the agenda, one line per presentation, for example:\n08:30 Welcome\n09:00 Policy updates")
        rows.append([button(_("No agenda"), "evn:skip:agenda")])
    if data.get("editing") and base in KEEPABLE:
        rows.append([button(_("Keep as it is"), "evn:keep")])
    return text, keyboard(rows) if rows else None


async def audience_screen(context: AppContext, data: dict, _: Translator, view: str = audience_picker.MAIN):
    chosen = Audience.from_json(data.get("audience"))
    async with context.services.db.session() as session:
        sizes = await audiences.size(session, chosen)
    return audience_picker.picker_screen(chosen, _, PICKER, sizes, view=view, heading=_("Who should be invited?"))


def preview_buttons(event: Event, _: Translator) -> list[list]:
    """The answer buttons exactly as members will see them; in the preview they only explain themselves."""
    return [[button(label, "evn:pv") for label, _data in row] for row in event_text.rsvp_buttons(event.id, _)]


def summary_screen(event: Event, sizes: dict[str, int], now: datetime,
                   _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """What the invitation does not show (map, agenda, reminders, audience), and Publish / Edit / Discard."""
    lines = ["<b>" + _("Please check before publishing:") + "</b>", ""]
    if event.latitude is not None:
        lines.append("🗺 " + _("Map location: {latitude}, {longitude}").format(
            latitude=event.latitude, longitude=event.longitude))
    else:
        lines.append("🗺 " + _("No map location"))
    lines.append("📋 " + (_("Agenda:") + "\n" + esc(event.agenda) if event.agenda else _("No agenda")))
    lines.append("⏰ " + reminders_text(event, now, _))
    chosen = Audience.from_json(event.audience)
    lines.append("👥 " + esc(audience_picker.describe(chosen, _)) + " — " + audience_picker.size_line(sizes, _))
    lines += ["", _("Publish now? The invitation is sent at once.")]
    return "\n".join(lines), keyboard([
        [button("🚀 " + _("Publish"), f"evn:publish:{event.id}")],
        [button("✏️ " + _("Edit a field"), "evn:edit"), button("🗑 " + _("Discard"), "evn:discard")],
    ])


def fields_screen(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    rows = pairs([button(_(label), f"evn:field:{group}") for group, label in GROUPS.items()])
    rows.append([button("◀ " + _("Back to the preview"), "evn:back")])
    return _("Which part do you want to change?"), keyboard(rows)


def invalid_text(reason: str, step: str, typed: str, start: datetime | None, tz: ZoneInfo, _: Translator,
                 seats_taken: int = 0) -> str:
    """Why a typed answer was refused, in the coordinator's language."""
    message = END_FORMAT if reason == "format" and step in ("end", "reminders") else INVALID[reason]
    base, _language = split(step)
    return _(message).format(length=_.number(len(typed)), limit=_.number(LIMITS.get(base, 0)),
                             start=_.datetime(start, tz, "short") if start else "", taken=_.number(seats_taken))


def parse_answer(step: str, text: str, data: dict, tz: ZoneInfo, now: datetime, seats_taken: int = 0) -> dict:
    """The draft values a typed answer gives; raises InvalidInput when it does not fit the question."""
    base, _language = split(step)
    start = events.from_json("starts_at", data.get("starts_at"))
    if base == "title":
        return {step: events.clean_title(text)}
    if base == "description":
        return {step: events.clean_description(text)}
    if step == "start":
        return {"starts_at": events.to_json("starts_at", events.parse_start(text, tz, now))}
    if step == "end":
        return {"ends_at": events.to_json("ends_at", events.parse_end(text, start, tz))}
    if step == "venue":
        return {"venue": events.clean_venue(text)}
    if step == "capacity":
        return {"capacity": events.parse_capacity(text, seats_taken)}
    if step == "deadline":
        return {"rsvp_deadline": events.to_json("rsvp_deadline", events.parse_deadline(text, start, tz, now))}
    if step == "reminders":
        return {"reminder_minutes": events.add_reminder(data.get("reminder_minutes"), text, start, tz, now)}
    return {"agenda": events.clean_agenda(text)}


async def typed_values(update: Update, step: str, data: dict, tz: ZoneInfo, now: datetime, _: Translator,
                       seats_taken: int = 0) -> dict | None:
    """The values a message answers `step` with (a location for the map, text otherwise); None, after
    saying why, when it does not fit."""
    message = update.message
    if step == "location":
        if message.location is None:
            await reply(update, _("Please send a location: tap 📎, then Location. Or press “No map location”."))
            return None
        try:
            latitude, longitude = events.check_location(message.location.latitude, message.location.longitude)
        except InvalidInput as exc:
            await reply(update, invalid_text(exc.reason, step, "", None, tz, _))
            return None
        return {"latitude": latitude, "longitude": longitude}
    if not message.text:
        await reply(update, _("Please type your answer as text."))
        return None
    try:
        return parse_answer(step, message.text, data, tz, now, seats_taken)
    except InvalidInput as exc:
        start = events.from_json("starts_at", data.get("starts_at"))
        await reply(update, invalid_text(exc.reason, step, message.text, start, tz, _, seats_taken))
        return None


# ---------------------------------------------------------------- shared helpers


async def _drop_buttons(update: Update) -> None:
    """Takes the buttons off a pressed question, so the chat keeps the answer and the next question follows."""
    await inplace.drop_buttons(update)


async def _alert(update: Update, text: str) -> None:
    await update.callback_query.answer(text, show_alert=True)


def _short(text: str) -> str:
    return text if len(text) <= LIST_TITLE_MAX else text[:LIST_TITLE_MAX - 1] + "…"


# ---------------------------------------------------------------- /newevent: screens


async def ask(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    """Sends the question the draft is on, as a new message (the preview is several)."""
    if draft.step == "preview":
        await send_preview(update, context, draft, _)
        return
    if draft.step == "audience":
        await reply(update, *await audience_screen(context, draft.data, _))
        return
    if draft.step == "reminders":
        await reply(update, *reminders_screen(draft.data, context.now(), _))
        return
    await reply(update, *step_screen(draft.step, draft.data, _))


async def _draft_event(context: AppContext, draft: Draft) -> tuple[Event, dict[str, int]]:
    """The draft's event row and how many members its audience has, per language."""
    async with context.services.db.session() as session:
        event = await events.get(session, draft.data["event_id"])
        sizes = await audiences.size(session, Audience.from_json(event.audience))
    return event, sizes


async def send_preview(update: Update, context: AppContext, draft: Draft, _: Translator) -> None:
    """The invitation in each language exactly as members will get it, then the rest and the actions."""
    event, sizes = await _draft_event(context, draft)
    await reply(update, _("<b>Preview</b>: this is the invitation exactly as members will see it, in each language."))
    for language in LANGUAGES:
        reader = translator(language)
        await reply(update, event_text.invitation_text(event, reader), keyboard(preview_buttons(event, reader)))
    await reply(update, *summary_screen(event, sizes, context.now(), _))


async def _arrive(session, draft: Draft, telegram_id: int, now: datetime) -> None:
    """On reaching the preview, the answers are written to the event row the preview shows."""
    if draft.step == "preview":
        event = await events.save_draft(session, draft.data, created_by=telegram_id, now=now)
        drafts.advance(draft, step="preview", now=now, event_id=event.id, editing=None)


async def _begin(update: Update, context: AppContext, member: Member, _: Translator) -> None:
    uid = update.effective_user.id
    async with context.unit_of_work() as session:
        old = await drafts.get(session, uid, KIND)
        if old is not None:
            await events.discard_draft(session, (old.data or {}).get("event_id"))
        data = events.new_draft_data(member.language, context.settings.timezone)
        draft = await drafts.begin(session, uid, KIND, step=wizard_order(member.language)[0], data=data,
                                   now=context.now())
    await reply(update, _("<b>New event</b>\nI will ask a few questions. You will see the invitation before "
                          "anything is sent, and you can correct every answer."))
    await ask(update, context, draft, _)


# ---------------------------------------------------------------- /newevent: handlers


async def new_event(update: Update, context: AppContext) -> None:
    """Starts the guided creation of an event, or offers to continue an unfinished one."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    if member is None or member.registered_at is None:
        await reply(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None:
        await _begin(update, context, member, _)
        return
    title = draft.data.get(f"title_{draft.data.get('first', 'en')}") or ""
    text = _("You have an unfinished event. Continue it, or start again?")
    if title:
        text += f"\n\n<b>{esc(title)}</b>"
    await reply(update, text, keyboard([[button("▶ " + _("Continue"), "evn:resume"),
                                         button("🔄 " + _("Start again"), "evn:restart")]]))


@on_input(KIND)
async def wizard_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes a typed answer (or a map location) for the question the draft is on."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    _member, _ = allowed
    step, data = draft.step, draft.data
    tz, now = ZoneInfo(data["timezone"]), context.now()
    if step in BUTTON_STEPS:
        await reply(update, _("Please choose one of the buttons."))
        if step == "preview":
            await reply(update, *summary_screen(*await _draft_event(context, draft), now, _))
        else:
            await ask(update, context, draft, _)
        return
    values = await typed_values(update, step, data, tz, now, _)
    if values is None:
        return
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is None or draft.step != step:
            return
        # A typed reminder is added to the list on the screen, which is asked again.
        drafts.advance(draft, step=step if step == "reminders" else next_step(step, draft.data), now=now, **values)
        await _arrive(session, draft, update.effective_user.id, now)
    await ask(update, context, draft, _)


Values = Callable[[Draft], dict]


async def _advance(update: Update, context: AppContext, _: Translator, allowed: Callable[[Draft], bool],
                   values: Values, *, skip: int = 1, to: str | None = None, note: str = "") -> None:
    """Answers the draft's question with a button: stores `values`, closes the pressed question and asks the
    next one (`skip` questions on, or question `to`); `note` is said first if any value was stored."""
    now, uid = context.now(), update.effective_user.id
    stored = {}
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, uid, KIND)
        ok = draft is not None and draft.step is not None and allowed(draft)
        if ok:
            step = to or draft.step
            for _i in range(0 if to else skip):
                step = next_step(step, draft.data)
            stored = values(draft)
            drafts.advance(draft, step=step, now=now, **stored)
            await _arrive(session, draft, uid, now)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _drop_buttons(update)
    if note and stored:
        await reply(update, note)
    await ask(update, context, draft, _)


def _on(*steps: str) -> Callable[[Draft], bool]:
    return lambda draft: draft.step in steps


def _second_language(draft: Draft) -> bool:
    base, language = split(draft.step)
    return base in ("title", "description") and language == other(draft.data["first"])


def _keepable(draft: Draft) -> bool:
    return bool(draft.data.get("editing")) and split(draft.step)[0] in KEEPABLE


def _without_late_deadline(draft: Draft) -> dict:
    """Removes an answer deadline that a new start has left after it (the values to store, if any)."""
    return {"rsvp_deadline": None} if events.drop_deadline_if_late(dict(draft.data)) else {}


SKIPS = {
    "desc": lambda draft: {"description_en": "", "description_km": ""},
    "location": lambda draft: {"latitude": None, "longitude": None},
    "capacity": lambda draft: {"capacity": None},
    "deadline": lambda draft: {"rsvp_deadline": None},
    "agenda": lambda draft: {"agenda": ""},
}


async def wizard_button(update: Update, context: AppContext) -> None:
    """Every button of /newevent; each checks the draft is on the question the button belongs to."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    data = update.callback_query.data
    for pattern, handler in WIZARD_BUTTONS:
        match = re.fullmatch(pattern, data)
        if match:
            await handler(update, context, member, _, match)
            return
    await answer_stale(update, _)


async def _resume(update, context, member, _, match) -> None:
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _drop_buttons(update)
    await ask(update, context, draft, _)


async def _restart(update, context, member, _, match) -> None:
    if member is None or member.registered_at is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _drop_buttons(update)
    await _begin(update, context, member, _)


async def _both(update, context, member, _, match) -> None:
    def copy_first(draft: Draft) -> dict:
        base, _language = split(draft.step)
        return {draft.step: draft.data.get(f"{base}_{draft.data['first']}", "")}

    await _advance(update, context, _, _second_language, copy_first)


async def _skip(update, context, member, _, match) -> None:
    what = match.group(1)

    def on_its_question(draft: Draft) -> bool:
        if what == "desc":
            return draft.step == f"description_{draft.data['first']}"
        return draft.step == what

    # No description in the first language means none in the other either.
    await _advance(update, context, _, on_its_question, SKIPS[what], skip=2 if what == "desc" else 1)


async def _time(update, context, member, _, match) -> None:
    if match.group(1) == "fix":
        await _advance(update, context, _, _on("time_ok"), lambda draft: {}, to="start")
        return
    await _advance(update, context, _, _on("time_ok"), _without_late_deadline,
                   note=_("The answer deadline was no longer before the start, so it was removed."))


async def _reminders(update, context, member, _, match) -> None:
    """No reminders, or Done: the reminders still to come are kept, and the next question follows."""
    now = context.now()

    def chosen(draft: Draft) -> dict:
        if match.group(1) == "none":
            return {"reminder_minutes": []}
        start = events.from_json("starts_at", draft.data.get("starts_at"))
        return {"reminder_minutes": events.upcoming_reminders(draft.data.get("reminder_minutes"), start, now)}

    await _advance(update, context, _, _on("reminders"), chosen)


async def _reminder_toggle(update, context, member, _, match) -> None:
    """Adds or removes a preset reminder time and redraws the reminders screen in place."""
    minutes, now = int(match.group(1)), context.now()
    outcome = "stale"
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None and draft.step == "reminders" and minutes in REMINDER_PRESETS:
            start = events.from_json("starts_at", draft.data.get("starts_at"))
            chosen = set(events.upcoming_reminders(draft.data.get("reminder_minutes"), start, now))
            if minutes not in chosen and len(chosen) >= events.REMINDERS_MAX:
                outcome = "full"
            else:
                outcome = "ok"
                drafts.advance(draft, step="reminders", now=now,
                               reminder_minutes=sorted(chosen ^ {minutes}, reverse=True))
    if outcome == "stale":
        await answer_stale(update, _)
    elif outcome == "full":
        await _alert(update, _(INVALID["too_many_reminders"]).format(limit=_.number(events.REMINDERS_MAX)))
    else:
        await update.callback_query.answer()
        await show(update, *reminders_screen(draft.data, now, _))


async def _keep(update, context, member, _, match) -> None:
    await _advance(update, context, _, _keepable, lambda draft: {})


async def _audience(update, context, member, _, match) -> None:
    """A press on the audience picker: toggles a value and redraws it in place, or moves on when done."""
    choice = None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None and draft.step == "audience":
            current = Audience.from_json(draft.data.get("audience"))
            choice = audience_picker.parse(PICKER, update.callback_query.data, current)
            if choice is not None and not choice.done:
                drafts.advance(draft, step="audience", now=context.now(), audience=choice.audience.to_json())
    if choice is None:
        await answer_stale(update, _)
    elif choice.done:
        await _advance(update, context, _, _on("audience"), lambda draft: {})
    else:
        await update.callback_query.answer()
        await show(update, *await audience_screen(context, draft.data, _, choice.view))


async def _preview_button(update, context, member, _, match) -> None:
    await _alert(update, _("This is a preview: members will answer with these buttons."))


async def _preview_step(update: Update, context: AppContext, _: Translator) -> Draft | None:
    """The caller's draft if it is at the preview; otherwise says the button is stale."""
    async with context.services.db.session() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
    if draft is None or draft.step != "preview":
        await answer_stale(update, _)
        return None
    return draft


async def _fields(update, context, member, _, match) -> None:
    if await _preview_step(update, context, _) is None:
        return
    await update.callback_query.answer()
    await show(update, *fields_screen(_))


async def _back(update, context, member, _, match) -> None:
    draft = await _preview_step(update, context, _)
    if draft is None:
        return
    await update.callback_query.answer()
    await show(update, *summary_screen(*await _draft_event(context, draft), context.now(), _))


async def _field(update, context, member, _, match) -> None:
    group = match.group(1)
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        ok = draft is not None and draft.step == "preview"
        if ok:
            drafts.advance(draft, step=group_steps(group, draft.data["first"])[0], now=context.now(), editing=group)
    if not ok:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _drop_buttons(update)
    await ask(update, context, draft, _)


async def _discard(update, context, member, _, match) -> None:
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, update.effective_user.id, KIND)
        if draft is not None:
            await events.discard_draft(session, draft.data.get("event_id"))
            await drafts.discard(session, update.effective_user.id, KIND)
    if draft is None:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await show(update, _("The draft was discarded. Nothing was sent."))


async def _publish(update, context, member, _, match) -> None:
    """Publishes the event once: the invitation goes to the audience, reminders are planned, the link is shown."""
    event_id = int(match.group(1))
    uid, now = update.effective_user.id, context.now()
    outcome, invited, event = "stale", 0, None
    async with context.unit_of_work() as session:
        draft = await drafts.get(session, uid, KIND)
        current = await events.get(session, event_id)
        if current is not None and current.status != events.DRAFT:
            outcome = "already"
        elif current is None or draft is None or draft.step != "preview" or draft.data.get("event_id") != event_id:
            outcome = "stale"
        elif current.starts_at <= now:
            outcome = "past"
        else:
            event = await events.publish(session, event_id, now)
            if event is None:
                outcome = "already"
            else:
                outcome = "published"
                await reminders.plan(session, event, now)
                invited = await events.invite(session, event, event_text.invitation_content(event),
                                              coordinator_chat=update.effective_chat.id, language=_.language, now=now)
                await drafts.discard(session, uid, KIND)
    if outcome == "already":
        await _alert(update, _("This event is already published."))
        return
    if outcome == "stale":
        await answer_stale(update, _)
        return
    if outcome == "past":
        await _alert(update, _("The start time has passed. Please change the date and time before publishing."))
        return
    await update.callback_query.answer(_("Published."))
    await show(update, published_text(event, invited, context.bot.username, _))
    await reminder_jobs.sync_jobs(context.application, event.id)
    if invited:
        context.services.delivery.wake()


def published_text(event: Event, invited: int, bot_username: str, _: Translator) -> str:
    lines = ["✅ " + _("Published: <b>{title}</b>").format(title=esc(event_text.title(event, _.language))),
             "🗓 " + event_text.when(event, _), ""]
    if invited:
        lines.append(_.ngettext("The invitation is being sent to {count} member. You will see the progress below.",
                                "The invitation is being sent to {count} members. You will see the progress below.",
                                invited).format(count=_.number(invited)))
    else:
        lines.append(_("No member matches the audience, so no invitation was sent."))
    lines += ["", _("Share this link: it opens the invitation in the bot, and newcomers register first."),
              esc(event_text.deep_link(bot_username, event))]
    return "\n".join(lines)


WizardHandler = Callable[[Update, AppContext, Member | None, Translator, re.Match], Awaitable[None]]
WIZARD_BUTTONS: list[tuple[str, WizardHandler]] = [
    (r"evn:resume", _resume),
    (r"evn:restart", _restart),
    (r"evn:both", _both),
    (r"evn:skip:(desc|location|capacity|deadline|agenda)", _skip),
    (r"evn:time:(ok|fix)", _time),
    # "keep" is the Done of screens sent before times could be chosen.
    (r"evn:rem:(keep|none|done)", _reminders),
    (r"evn:rem:t:(\d{1,6})", _reminder_toggle),
    (r"evn:keep", _keep),
    (re.escape(PICKER) + r":.*", _audience),
    (r"evn:pv", _preview_button),
    (r"evn:edit", _fields),
    (r"evn:back", _back),
    (r"evn:field:(" + "|".join(GROUPS) + ")", _field),
    (r"evn:discard", _discard),
    (r"evn:publish:(\d{1,9})", _publish),
]


# ---------------------------------------------------------------- /events


def counts_line(counts: events.Counts, _: Translator) -> str:
    return _("Invited {invited} · Going {going} · Maybe {maybe} · Can't go {no} · Waiting list {waitlisted} · "
             "Checked in {checked_in}").format(
        invited=_.number(counts.invited), going=_.number(counts.going), maybe=_.number(counts.maybe),
        no=_.number(counts.no), waitlisted=_.number(counts.waitlisted), checked_in=_.number(counts.checked_in))


def _entry(number: int, event: Event, counts: events.Counts, _: Translator) -> str:
    name = f"{_.number(number)}. <b>{esc(_short(event_text.title(event, _.language)))}</b>"
    if event.status == events.CANCELLED:
        name += " — ❌ " + _("Cancelled")
    return "\n".join([name, "🗓 " + event_text.when(event, _), counts_line(counts, _)])


def overview_screen(upcoming: list[Event], past: list[Event], counts: dict[int, events.Counts],
                    _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The coordinators' list: upcoming events first, then past ones, each with its counts and a button."""
    if not upcoming and not past:
        return _("There are no events yet. Create one with /newevent."), None
    lines, buttons, number = [], [], 0
    for heading, group in ((_("Upcoming events"), upcoming), (_("Past events"), past)):
        if not group:
            continue
        lines += [f"<b>{heading}</b>", ""]
        for event in group:
            number += 1
            lines += [_entry(number, event, counts[event.id], _), ""]
            buttons.append(button(f"{_.number(number)}. {_short(event_text.title(event, _.language))}",
                                  f"evm:open:{event.id}"))
    return "\n".join(lines).strip(), keyboard([[b] for b in buttons])


def details_screen(event: Event, counts: events.Counts, _: Translator, link: str,
                   now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """One event for a coordinator: where it stands, its settings, and what can be done with it."""
    status = {events.PUBLISHED: _("Published"), events.CANCELLED: "❌ " + _("Cancelled")}.get(event.status, "")
    lines = [f"<b>{esc(event_text.title(event, _.language))}</b>", status, "", "🗓 " + event_text.when(event, _)]
    if event.venue:
        lines.append("📍 " + esc(event.venue) + (" · 🗺" if event.latitude is not None else ""))
    if event.capacity:
        lines.append("💺 " + _("Seats taken: {taken} of {capacity}").format(
            taken=_.number(event.seats_taken), capacity=_.number(event.capacity)))
    else:
        lines.append("💺 " + _("No seat limit"))
    if event.rsvp_deadline:
        deadline = event_text.moment(event.rsvp_deadline, event, _)
        lines.append("⌛ " + _("Answers until {deadline}").format(deadline=deadline))
    lines += ["👥 " + esc(audience_picker.describe(Audience.from_json(event.audience), _)),
              "⏰ " + reminders_text(event, now, _), "", counts_line(counts, _)]
    if event.agenda:
        lines += ["", "📋 " + _("Agenda:"), esc(event.agenda)]
    lines += ["", _("Link to the invitation:") + " " + esc(link)]
    rows = []
    if events.is_open(event, now):
        rows.append([button("✏️ " + _("Edit"), f"evm:edit:{event.id}"),
                     button("⏩ " + _("Postpone"), f"evm:postpone:{event.id}")])
        rows.append([button("❌ " + _("Cancel the event"), f"evm:cancel:{event.id}")])
    rows.append([button("◀ " + _("All events"), "evm:list")])
    return "\n".join(lines), keyboard(rows)


def answer_text(item: events.MemberEvent, _: Translator) -> str:
    if item.waitlisted:
        return "⏳ " + _("You are on the waiting list.")
    if item.answer in RSVP_ANSWERS:
        return "✅ " + _("Your answer: {answer}").format(answer=_(RSVP_ANSWERS[item.answer][1]))
    return "❔ " + _("You have not answered yet.")


def member_screen(items: list[events.MemberEvent], _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """A member's upcoming events with their answers, and a button to open each invitation."""
    if not items:
        return _("You have no upcoming events. When you are invited to one, it will appear here."), None
    lines, rows = ["<b>" + _("Your upcoming events") + "</b>", ""], []
    for number, item in enumerate(items, 1):
        name = _short(event_text.title(item.event, _.language))
        lines += [f"{_.number(number)}. <b>{esc(name)}</b>", "🗓 " + event_text.when(item.event, _),
                  answer_text(item, _), ""]
        rows.append([button(f"{_.number(number)}. {name}", f"evl:open:{item.event.id}")])
    return "\n".join(lines).strip(), keyboard(rows)


async def _overview(context: AppContext, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.services.db.session() as session:
        upcoming, past = await events.overview(session, context.now())
        counts = await events.counts(session, [e.id for e in upcoming + past])
    return overview_screen(upcoming, past, counts, _)


async def show_events(update: Update, context: AppContext) -> None:
    """Coordinators see the network's events with their counts; members their upcoming invitations."""
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if await is_coordinator(context, update.effective_user.id):
        await reply(update, *await _overview(context, _))
        return
    if member is None or member.registered_at is None:
        await reply(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        items = await events.for_member(session, member.id, context.now())
    await reply(update, *member_screen(items, _))


async def open_invitation(update: Update, context: AppContext) -> None:
    """Shows a member the invitation of one of their events, with their answer and the answer buttons."""
    event_id = int(context.match.group(1))
    member = await load_member(context, update.effective_user.id)
    _ = tr(member, update)
    if member is None or member.registered_at is None:
        await _alert(update, _("Send /start to register."))
        return
    async with context.services.db.session() as session:
        mine = await events.is_members(session, event_id, member.id, context.now())
        outcome = await rsvps.view(session, event_id=event_id, member_id=member.id, now=context.now())
    if not mine:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await rsvp_screens.send_invitation(update, context, outcome, member.language)


# ---------------------------------------------------------------- a published event: details and changes

EDIT_FIELDS = {
    "te": (N_("Title in English"), "title_en"),
    "tk": (N_("Title in Khmer"), "title_km"),
    "de": (N_("Description in English"), "description_en"),
    "dk": (N_("Description in Khmer"), "description_km"),
    "time": (N_("Date and time"), "start"),
    "venue": (N_("Venue"), "venue"),
    "map": (N_("Map location"), "location"),
    "cap": (N_("Seats"), "capacity"),
}
# What members who answered are told, by field changed; the map and the seats change nothing they act on.
NOTICES = {
    "te": N_("🔔 The invitation to <b>{title}</b> has been updated."),
    "tk": N_("🔔 The invitation to <b>{title}</b> has been updated."),
    "de": N_("🔔 The invitation to <b>{title}</b> has been updated."),
    "dk": N_("🔔 The invitation to <b>{title}</b> has been updated."),
    "time": N_("🔔 The date or time of <b>{title}</b> has changed."),
    "postpone": N_("🔔 <b>{title}</b> has been postponed."),
    "venue": N_("🔔 The venue of <b>{title}</b> has changed."),
}
CANCEL_NOTICE = N_("❌ <b>{title}</b> ({when}) has been cancelled. We are sorry for any inconvenience.")


def update_content(event: Event, notice: str) -> dict[str, dict]:
    """What changed, then the invitation as it now reads, with the answer buttons, in every language."""
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        header = _(notice).format(title=esc(event_text.title(event, language)))
        text = header + "\n\n" + event_text.invitation_text(event, _)
        content[language] = {"text": text, "buttons": event_text.rsvp_buttons(event.id, _)}
    return content


def cancel_content(event: Event) -> dict[str, dict]:
    content = {}
    for language in LANGUAGES:
        _ = translator(language)
        content[language] = {"text": _(CANCEL_NOTICE).format(title=esc(event_text.title(event, language)),
                                                              when=event_text.when(event, _))}
    return content


def edit_menu(event: Event, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    rows = pairs([button(_(label), f"evm:field:{event.id}:{code}") for code, (label, _step) in EDIT_FIELDS.items()])
    rows.append([button("◀ " + _("Back"), f"evm:open:{event.id}")])
    return _("What do you want to change in <b>{title}</b>?").format(
        title=esc(event_text.title(event, _.language))), keyboard(rows)


def edit_prompt(step: str, data: dict, event: Event, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one field of a published event."""
    base, language = split(step)
    keep = [button(_("Keep as it is"), f"evm:stop:{event.id}")]
    rows = []
    if base == "title":
        text = _("Type the new title in {language}. Now it is: {title}").format(
            language=language_label(language, _), title=esc(event_text.title(event, language)))
    elif base == "description":
        text = _("Type the new description in {language} (up to {limit} characters).").format(
            language=language_label(language, _), limit=_.number(events.DESCRIPTION_MAX))
    elif step == "start" and data.get("postpone"):
        text = _("Postponing <b>{title}</b>.").format(title=esc(event_text.title(event, _.language))) + "\n\n" + \
            start_prompt(event_text.zone(event), _)
    elif step == "start":
        text = start_prompt(event_text.zone(event), _)
    elif step == "end":
        text = end_prompt(_)
    elif step == "venue":
        text = _("Type the new venue. Now it is: {venue}").format(venue=esc(event.venue or "—"))
    elif step == "location":
        text = _("Send the new location on the map: tap 📎, then Location.")
        rows.append([button(_("No map location"), f"evm:clear:{event.id}")])
    else:
        text = _("Type the new number of seats. {taken} are taken now.").format(taken=_.number(event.seats_taken))
        rows.append([button(_("No limit"), f"evm:clear:{event.id}")])
    rows.append(keep)
    return text, keyboard(rows)


def new_value_text(code: str, values: dict, event: Event, _: Translator) -> str:
    """The new value of a field as the coordinator checks it before saving."""
    if code == "time":
        changed = Event(starts_at=events.from_json("starts_at", values["starts_at"]),
                        ends_at=events.from_json("ends_at", values["ends_at"]), timezone=event.timezone)
        return event_text.when(changed, _)
    if code == "map":
        if values.get("latitude") is None:
            return _("No map location")
        return f"{values['latitude']}, {values['longitude']}"
    if code == "cap":
        return _.number(values["capacity"]) if values.get("capacity") else _("No limit")
    return esc(next(iter(values.values())))


def confirm_screen(event: Event, data: dict, answered: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The change, and who will hear about it, with Save and Keep as it is."""
    code = data["field"]
    label = _(EDIT_FIELDS[code][0])
    lines = [f"<b>{esc(event_text.title(event, _.language))}</b>", "",
             f"<b>{label}:</b> {new_value_text(code, data['values'], event, _)}", ""]
    if code in NOTICES and answered:
        lines.append(_.ngettext("{count} member who answered will be told.",
                                "{count} members who answered will be told.", answered).format(
            count=_.number(answered)))
    elif code in NOTICES:
        lines.append(_("No member has answered yet, so no one needs to be told."))
    lines.append(_("Save this change?"))
    return "\n".join(lines), keyboard([[button("✅ " + _("Save"), f"evm:save:{event.id}"),
                                        button(_("Keep as it is"), f"evm:stop:{event.id}")]])


async def _load_event(context: AppContext, event_id: int) -> tuple[Event | None, events.Counts]:
    async with context.services.db.session() as session:
        event = await events.get(session, event_id)
        counts = (await events.counts(session, [event_id]))[event_id] if event else events.Counts()
    return event, counts


async def _details(update: Update, context: AppContext, event_id: int, _: Translator) -> bool:
    """Shows one event in place of the pressed message; False if there is no such published event."""
    event, counts = await _load_event(context, event_id)
    if event is None or event.status == events.DRAFT:
        return False
    link = event_text.deep_link(context.bot.username, event)
    await show(update, *details_screen(event, counts, _, link, context.now()))
    return True


async def manage_button(update: Update, context: AppContext) -> None:
    """Every coordinator button on a published event; each re-checks the event and its state."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    member, _ = allowed
    data = update.callback_query.data
    for pattern, handler in MANAGE_BUTTONS:
        match = re.fullmatch(pattern, data)
        if match:
            await handler(update, context, member, _, match)
            return
    await answer_stale(update, _)


async def _list(update, context, member, _, match) -> None:
    await update.callback_query.answer()
    await show(update, *await _overview(context, _))


async def _open(update, context, member, _, match) -> None:
    if not await _details(update, context, int(match.group(1)), _):
        await answer_stale(update, _)
        return
    await update.callback_query.answer()


async def _open_event(update: Update, context: AppContext, _: Translator, event_id: int) -> Event | None:
    """The event if it can still be changed; otherwise tells the coordinator why not."""
    event, _counts = await _load_event(context, event_id)
    if event is None or event.status == events.DRAFT:
        await answer_stale(update, _)
        return None
    if not events.is_open(event, context.now()):
        await _alert(update, _("This event is cancelled or over, so it can no longer be changed."))
        return None
    return event


async def _edit(update, context, member, _, match) -> None:
    event = await _open_event(update, context, _, int(match.group(1)))
    if event is None:
        return
    await update.callback_query.answer()
    await show(update, *edit_menu(event, _))


async def _start_change(update: Update, context: AppContext, _: Translator, event_id: int, code: str,
                        postpone: bool = False) -> None:
    event = await _open_event(update, context, _, event_id)
    if event is None:
        return
    step = EDIT_FIELDS[code][1]
    data = {"event_id": event.id, "field": code, "postpone": postpone}
    async with context.unit_of_work() as session:
        await drafts.begin(session, update.effective_user.id, EDIT_KIND, step=step, data=data, now=context.now())
    await update.callback_query.answer()
    await _drop_buttons(update)
    await reply(update, *edit_prompt(step, data, event, _))


async def _field_change(update, context, member, _, match) -> None:
    await _start_change(update, context, _, int(match.group(1)), match.group(2))


async def _postpone(update, context, member, _, match) -> None:
    await _start_change(update, context, _, int(match.group(1)), "time", postpone=True)


async def _pending(session, telegram_id: int, event_id: int) -> Draft | None:
    draft = await drafts.get(session, telegram_id, EDIT_KIND)
    if draft is None or draft.data.get("event_id") != event_id:
        return None
    return draft


async def _stage(update: Update, context: AppContext, _: Translator, event: Event, draft_step: str,
                 values: dict) -> None:
    """Keeps a typed (or cleared) value aside and asks the coordinator to confirm it."""
    uid = update.effective_user.id
    async with context.unit_of_work() as session:
        draft = await _pending(session, uid, event.id)
        if draft is None or draft.step != draft_step:
            return
        if draft_step == "start":
            drafts.advance(draft, step="end", now=context.now(), **values)
        else:
            staged = {**({"starts_at": draft.data["starts_at"]} if draft.data["field"] == "time" else {}), **values}
            drafts.advance(draft, step=None, now=context.now(), values=staged)
        answered = await events.count_answered(session, event.id)
    if draft.step == "end":
        await reply(update, *edit_prompt("end", draft.data, event, _))
    else:
        await reply(update, *confirm_screen(event, draft.data, answered, _))


@on_input(EDIT_KIND)
async def edit_input(update: Update, context: AppContext, draft: Draft) -> None:
    """Takes the typed new value (or map location) of a published event's field."""
    allowed = await _coordinator(update, context)
    if allowed is None:
        return
    _member, _ = allowed
    event, _counts = await _load_event(context, draft.data["event_id"])
    if event is None or not events.is_open(event, context.now()):
        async with context.unit_of_work() as session:
            await drafts.discard(session, update.effective_user.id, EDIT_KIND)
        await reply(update, _("This event is cancelled or over, so it can no longer be changed."))
        return
    values = await typed_values(update, draft.step, draft.data, event_text.zone(event), context.now(), _,
                                event.seats_taken)
    if values is not None:
        await _stage(update, context, _, event, draft.step, values)


async def _clear(update, context, member, _, match) -> None:
    """'No map location' / 'No limit' while changing a published event."""
    event = await _open_event(update, context, _, int(match.group(1)))
    if event is None:
        return
    async with context.services.db.session() as session:
        draft = await _pending(session, update.effective_user.id, event.id)
    cleared = {"location": {"latitude": None, "longitude": None}, "capacity": {"capacity": None}}
    if draft is None or draft.step not in cleared:
        await answer_stale(update, _)
        return
    await update.callback_query.answer()
    await _drop_buttons(update)
    await _stage(update, context, _, event, draft.step, cleared[draft.step])


async def _stop(update, context, member, _, match) -> None:
    """Leaves the event as it was and shows it again."""
    event_id = int(match.group(1))
    async with context.unit_of_work() as session:
        if await _pending(session, update.effective_user.id, event_id) is not None:
            await drafts.discard(session, update.effective_user.id, EDIT_KIND)
    if not await _details(update, context, event_id, _):
        await answer_stale(update, _)
        return
    await update.callback_query.answer(_("Nothing was changed."))


async def _save(update, context, member, _, match) -> None:
    """Saves a confirmed change, re-plans reminders, and tells the members who answered."""
    event_id, uid, now = int(match.group(1)), update.effective_user.id, context.now()
    told, promoted, redraws, result = 0, [], 0, events.Change("not_found", None)
    async with context.unit_of_work() as session:
        draft = await _pending(session, uid, event_id)
        if draft is not None and draft.step is None and "values" in draft.data:
            result = await events.apply_change(session, event_id, draft.data["values"], now)
        if result.status == "saved":
            await reminders.plan(session, result.event, now)
            await events.refresh_invitations(session, result.event, event_text.invitation_content(result.event))
            if draft.data["field"] == "cap":
                promoted = await rsvps.fill_seats(session, result.event, now, rsvp_screens.promotion_content)
            redraws = await rsvps.event_changed(session, event_id, now)
            notice = "postpone" if draft.data.get("postpone") else draft.data["field"]
            if notice in NOTICES:
                told = await events.tell_answered(session, result.event, kind=events.UPDATE,
                                                  content=update_content(result.event, NOTICES[notice]),
                                                  coordinator_chat=update.effective_chat.id, language=_.language,
                                                  now=now)
            await drafts.discard(session, uid, EDIT_KIND)
    if result.status != "saved":
        await _refused(update, result, _)
        return
    await update.callback_query.answer(_("Saved."))
    await _details(update, context, event_id, _)
    notes = []
    if result.deadline_dropped:
        notes.append(_("The answer deadline was no longer before the start, so it was removed."))
    if told:
        notes.append(_.ngettext("{count} member who answered is being told.",
                                "{count} members who answered are being told.", told).format(count=_.number(told)))
    if notes:
        await reply(update, "\n".join([_("Saved."), *notes]))
    await reminder_jobs.sync_jobs(context.application, event_id)
    if told or promoted:
        context.services.delivery.wake()
    if redraws:
        rsvp_screens.redraw_soon(context.application)


async def _refused(update: Update, result: events.Change, _: Translator) -> None:
    """Why a confirmed change could not be saved after all."""
    if result.event is None:
        await answer_stale(update, _)
    elif result.status == "closed":
        await _alert(update, _("This event is cancelled or over, so it can no longer be changed."))
    else:
        await _alert(update, _(INVALID[result.status]).format(taken=_.number(result.event.seats_taken)))


async def _cancel(update, context, member, _, match) -> None:
    event = await _open_event(update, context, _, int(match.group(1)))
    if event is None:
        return
    async with context.services.db.session() as session:
        answered = await events.count_answered(session, event.id)
    text = _("Cancel <b>{title}</b>?").format(title=esc(event_text.title(event, _.language))) + "\n\n" + _.ngettext(
        "{count} member who answered will be told, and no more reminders will be sent.",
        "{count} members who answered will be told, and no more reminders will be sent.", answered).format(
        count=_.number(answered))
    await update.callback_query.answer()
    await show(update, text, keyboard([[button("❌ " + _("Yes, cancel the event"), f"evm:cancelyes:{event.id}")],
                                       [button("◀ " + _("No, keep it"), f"evm:open:{event.id}")]]))


async def _cancel_confirmed(update, context, member, _, match) -> None:
    """Cancels the event: members who answered are told, reminders stop, unsent invitations are dropped."""
    event_id, now = int(match.group(1)), context.now()
    async with context.unit_of_work() as session:
        current = await events.get(session, event_id)
        event = await events.cancel(session, event_id, now) if current and events.is_open(current, now) else None
        told = redraws = 0
        if event is not None:
            await reminders.plan(session, event, now)
            redraws = await rsvps.event_changed(session, event_id, now)
            told = await events.tell_answered(session, event, kind=events.CANCELLATION, content=cancel_content(event),
                                              coordinator_chat=update.effective_chat.id, language=_.language, now=now)
    if current is None or current.status == events.DRAFT:
        await answer_stale(update, _)
        return
    if event is None:
        await _alert(update, _("This event is cancelled or over, so it can no longer be changed."))
        return
    await update.callback_query.answer(_("The event has been cancelled."))
    await _details(update, context, event_id, _)
    await reply(update, _("The event has been cancelled.") + ("\n" + _.ngettext(
        "{count} member who answered is being told.", "{count} members who answered are being told.", told).format(
        count=_.number(told)) if told else ""))
    await reminder_jobs.sync_jobs(context.application, event_id)
    if told:
        context.services.delivery.wake()
    if redraws:
        rsvp_screens.redraw_soon(context.application)


MANAGE_BUTTONS: list[tuple[str, WizardHandler]] = [
    (r"evm:list", _list),
    (r"evm:open:(\d{1,9})", _open),
    (r"evm:edit:(\d{1,9})", _edit),
    (r"evm:field:(\d{1,9}):(" + "|".join(EDIT_FIELDS) + ")", _field_change),
    (r"evm:postpone:(\d{1,9})", _postpone),
    (r"evm:clear:(\d{1,9})", _clear),
    (r"evm:stop:(\d{1,9})", _stop),
    (r"evm:save:(\d{1,9})", _save),
    (r"evm:cancel:(\d{1,9})", _cancel),
    (r"evm:cancelyes:(\d{1,9})", _cancel_confirmed),
]


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newevent", new_event, filters=private))
    app.add_handler(CommandHandler("events", show_events, filters=private))
    app.add_handler(CallbackQueryHandler(wizard_button, pattern=r"^evn:"))
    app.add_handler(CallbackQueryHandler(manage_button, pattern=r"^evm:"))
    app.add_handler(CallbackQueryHandler(open_invitation, pattern=r"^evl:open:(\d{1,9})$"))
