"""What coordinators and members see of events, from plain data and a translator: the /newevent questions,
the preview, the lists of /events, one event's details and the screens for changing it. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location
from babel.lists import format_list
from babel.units import format_unit
from telegram import InlineKeyboardMarkup

from bot import event_text
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.models import Event
from bot.services import events
from bot.services.audience import Audience
from bot.text import esc
from bot.vocab import RSVP_ANSWERS
from handlers.ui import audience_picker
from handlers.ui.bilingual import (
    LANGUAGE_WORDS,
    description_pair,
    other,
    pair_for,
    pair_next,
    pair_question,
    title_pair,
)
from handlers.ui.common import button, keyboard, pairs
import handlers.events.callbacks as on
from handlers.events.forms import EditForm, EventForm

KIND = "event"  # the /newevent conversation
EDIT_KIND = "event_edit"  # a change to a published event
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
# The texts asked in the coordinator's language, then the other.
TEXTS = (
    title_pair("title", events.TITLE_MAX, N_(
        "What is the event's title in {language}? (Up to {limit} characters.)")),
    description_pair("description", events.DESCRIPTION_MAX, N_(
        "Type a description in {language}: what the event is about and who should come (up to {limit} characters).")),
)

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


def next_step(step: str, form: EventForm) -> str:
    """The question after `step` (its answer in `form`): a text's other language unless the text was skipped;
    back to the preview once a part corrected from it is done."""
    pair = pair_for(TEXTS, step)
    if pair is not None:
        following = pair_next((pair,), step, form)
        if following is not None:
            return following
        step = pair.step(other(form.first))
    if form.editing and step == group_steps(form.editing, form.first)[-1]:
        return "preview"
    order = wizard_order(form.first)
    return order[order.index(step) + 1]


def zone_name(tz: ZoneInfo, _: Translator) -> str:
    return get_timezone_location(tz, locale=_.language)


def language_label(language: str, _: Translator) -> str:
    return _(LANGUAGE_WORDS[language])


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


def reminders_screen(form: EventForm, now: datetime, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The reminders members will get, the preset times still to come as buttons to add or remove, and how to
    type another time."""
    event = form.sketch()
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
    rows = pairs([button(("✓ " if m in chosen else "") + before_text(m, _), on.REMINDER.data(m)) for m in presets])
    rows.append([button("🔕 " + _("No reminders"), on.REMINDERS.data("none")),
                 button("✅ " + _("Done"), on.REMINDERS.data("done"))])
    return text, keyboard(rows)


def unfinished_screen(form: EventForm, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """/newevent again with an event unfinished: continue it, or start again."""
    title = form.text("title", form.first)
    text = _("You have an unfinished event. Continue it, or start again?")
    if title:
        text += f"\n\n<b>{esc(title)}</b>"
    return text, keyboard([[button("▶ " + _("Continue"), on.RESUME.data()),
                            button("🔄 " + _("Start again"), on.RESTART.data())]])


def start_prompt(tz: ZoneInfo, _: Translator) -> str:
    return _("When does it start? Type the date and time ({zone}) like this: 13/12/2024 08:30").format(
        zone=zone_name(tz, _))


def end_prompt(_: Translator) -> str:
    return _("When does it end? Type just the time, like 17:00, if it ends the same day, "
             "or a date and time like 14/12/2024 12:00.")


def step_screen(step: str, form: EventForm, _: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question for one step of /newevent (the reminders, the audience and the preview have their own
    screens)."""
    pair = pair_for(TEXTS, step)
    if pair is not None:
        text, rows = pair_question(pair, step, form, _, on.TEXT)
    else:
        text, rows = _question(step, form, _)
    if form.editing and split(step)[0] in KEEPABLE:
        rows.append([button(_("Keep as it is"), on.KEEP.data())])
    return text, keyboard(rows) if rows else None


def _question(step: str, form: EventForm, _: Translator) -> tuple[str, list[list]]:
    """The question for the time, the venue, the map, the seats, the deadline or the agenda."""
    if step == "start":
        return start_prompt(ZoneInfo(form.timezone), _), []
    if step == "end":
        return end_prompt(_), []
    if step == "time_ok":
        text = "🗓 " + event_text.when(form.sketch(), _) + "\n\n" + _("Is this the right date and time?")
        return text, [[button("✅ " + _("Yes, that's right"), on.TIME.data("ok")),
                       button("✏️ " + _("Change it"), on.TIME.data("fix"))]]
    if step == "venue":
        return _("Where does it take place? Type the name of the venue, for example: Cambodiana Hotel, "
                 "Phnom Penh."), []
    if step == "location":
        return _("If you like, send the venue's location on the map: tap 📎, then Location. "
                 "Members get a map link with their reminders."), [[button(_("No map location"), on.SKIP.data("location"))]]
    if step == "capacity":
        return _("How many seats are there? Type a number, for example 60. When all seats are taken, "
                 "members who want to come go on a waiting list."), [[button(_("No limit"), on.SKIP.data("capacity"))]]
    if step == "deadline":
        return _("Until when can members answer? Type a date and time before the start, like 10/12/2024 17:00. "
                 "Without a deadline, members can answer until the start."), [
            [button(_("No deadline"), on.SKIP.data("deadline"))]]
    return _("Type the agenda, one line per presentation, for example:\n08:30 Welcome\n09:00 Policy updates"), [
        [button(_("No agenda"), on.SKIP.data("agenda"))]]


def rsvp_buttons(event_id: int, _: Translator) -> list[list[list[str]]]:
    """The Going / Maybe / Can't go row, as outbox button data."""
    return [[[_(label), on.ANSWER.data(event_id, code)] for code, label in RSVP_ANSWERS.values()]]


def in_every_language(message: Callable[[Translator], dict]) -> dict[str, dict]:
    """What the outbox sends: `message(_)` (its text and buttons) in each language."""
    return {language: message(translator(language)) for language in LANGUAGES}


def invitation_content(event: Event) -> dict[str, dict]:
    """The invitation in every language, ready for the outbox."""
    return in_every_language(lambda _: {"text": event_text.invitation_text(event, _),
                                        "buttons": rsvp_buttons(event.id, _)})


def preview_buttons(event: Event, _: Translator) -> list[list]:
    """The answer buttons exactly as members will see them; in the preview they only explain themselves."""
    return [[button(label, on.PREVIEW.data()) for label, _data in row] for row in rsvp_buttons(event.id, _)]


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
        [button("🚀 " + _("Publish"), on.PUBLISH.data(event.id))],
        [button("✏️ " + _("Edit a field"), on.FIELDS.data()), button("🗑 " + _("Discard"), on.DISCARD.data())],
    ])


def fields_screen(_: Translator) -> tuple[str, InlineKeyboardMarkup]:
    rows = pairs([button(_(label), on.FIELD.data(group)) for group, label in GROUPS.items()])
    rows.append([button("◀ " + _("Back to the preview"), on.BACK.data())])
    return _("Which part do you want to change?"), keyboard(rows)


def invalid_text(reason: str, step: str, typed: str, start: datetime | None, tz: ZoneInfo, _: Translator,
                 seats_taken: int = 0) -> str:
    """Why a typed answer was refused, in the coordinator's language."""
    message = END_FORMAT if reason == "format" and step in ("end", "reminders") else INVALID[reason]
    base, _language = split(step)
    return _(message).format(length=_.number(len(typed)), limit=_.number(LIMITS.get(base, 0)),
                             start=_.datetime(start, tz, "short") if start else "", taken=_.number(seats_taken))


def parse_answer(step: str, text: str, start: datetime | None, reminders: list[int], tz: ZoneInfo, now: datetime,
                 seats_taken: int = 0) -> dict:
    """The answers a typed text gives, by name (`start` is the one already given, `reminders` the reminder
    times chosen so far); raises InvalidInput when it does not fit the question."""
    base, _language = split(step)
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
        return {"reminder_minutes": events.add_reminder(reminders, text, start, tz, now)}
    return {"agenda": events.clean_agenda(text)}


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


# ---------------------------------------------------------------- /events


def _short(text: str) -> str:
    return text if len(text) <= LIST_TITLE_MAX else text[:LIST_TITLE_MAX - 1] + "…"


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
                                  on.OPEN.data(event.id)))
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
        rows.append([button("✏️ " + _("Edit"), on.EDIT.data(event.id)),
                     button("⏩ " + _("Postpone"), on.POSTPONE.data(event.id))])
        rows.append([button("❌ " + _("Cancel the event"), on.CANCEL.data(event.id))])
    rows.append([button("◀ " + _("All events"), on.LIST.data())])
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
        rows.append([button(f"{_.number(number)}. {name}", on.OPEN_INVITATION.data(item.event.id))])
    return "\n".join(lines).strip(), keyboard(rows)


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

    def message(_: Translator) -> dict:
        header = _(notice).format(title=esc(event_text.title(event, _.language)))
        return {"text": header + "\n\n" + event_text.invitation_text(event, _), "buttons": rsvp_buttons(event.id, _)}

    return in_every_language(message)


def cancel_content(event: Event) -> dict[str, dict]:
    return in_every_language(lambda _: {"text": _(CANCEL_NOTICE).format(
        title=esc(event_text.title(event, _.language)), when=event_text.when(event, _))})


def cancel_screen(event: Event, answered: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """Whether to cancel the event, and how many members who answered will be told."""
    text = _("Cancel <b>{title}</b>?").format(title=esc(event_text.title(event, _.language))) + "\n\n" + _.ngettext(
        "{count} member who answered will be told, and no more reminders will be sent.",
        "{count} members who answered will be told, and no more reminders will be sent.", answered).format(
        count=_.number(answered))
    return text, keyboard([[button("❌ " + _("Yes, cancel the event"), on.CANCEL_CONFIRMED.data(event.id))],
                           [button("◀ " + _("No, keep it"), on.OPEN.data(event.id))]])


def told_text(count: int, _: Translator) -> str:
    """How many members who answered are being told of a change or the cancellation."""
    return _.ngettext("{count} member who answered is being told.",
                      "{count} members who answered are being told.", count).format(count=_.number(count))


def edit_menu(event: Event, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    rows = pairs([button(_(label), on.EDIT_FIELD.data(event.id, code)) for code, (label, _step) in EDIT_FIELDS.items()])
    rows.append([button("◀ " + _("Back"), on.OPEN.data(event.id))])
    return _("What do you want to change in <b>{title}</b>?").format(
        title=esc(event_text.title(event, _.language))), keyboard(rows)


def edit_prompt(step: str, form: EditForm, event: Event, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The question for one field of a published event."""
    base, language = split(step)
    keep = [button(_("Keep as it is"), on.STOP.data(event.id))]
    rows = []
    if base == "title":
        text = _("Type the new title in {language}. Now it is: {title}").format(
            language=language_label(language, _), title=esc(event_text.title(event, language)))
    elif base == "description":
        text = _("Type the new description in {language} (up to {limit} characters).").format(
            language=language_label(language, _), limit=_.number(events.DESCRIPTION_MAX))
    elif step == "start" and form.postpone:
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
        rows.append([button(_("No map location"), on.CLEAR.data(event.id))])
    else:
        text = _("Type the new number of seats. {taken} are taken now.").format(taken=_.number(event.seats_taken))
        rows.append([button(_("No limit"), on.CLEAR.data(event.id))])
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


def confirm_screen(event: Event, form: EditForm, answered: int, _: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The change, and who will hear about it, with Save and Keep as it is."""
    code = form.field
    label = _(EDIT_FIELDS[code][0])
    lines = [f"<b>{esc(event_text.title(event, _.language))}</b>", "",
             f"<b>{label}:</b> {new_value_text(code, form.values, event, _)}", ""]
    if code in NOTICES and answered:
        lines.append(_.ngettext("{count} member who answered will be told.",
                                "{count} members who answered will be told.", answered).format(
            count=_.number(answered)))
    elif code in NOTICES:
        lines.append(_("No member has answered yet, so no one needs to be told."))
    lines.append(_("Save this change?"))
    return "\n".join(lines), keyboard([[button("✅ " + _("Save"), on.SAVE.data(event.id)),
                                        button(_("Keep as it is"), on.STOP.data(event.id))]])
