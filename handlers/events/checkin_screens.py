"""What coordinators see while checking people in at the venue, from plain data and a translator: the events
to choose from, one event's menu, the poster, search results and the walk-in questions. No I/O here."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot import event_text, posters
from bot.i18n import N_, Translator, translator
from bot.models import Event
from bot.services import checkins
from bot.services.checkins import Outcome, Result
from bot.text import esc
from bot.vocab import GENDERS, STAKEHOLDERS
from handlers.ui.callbacks import Route
from handlers.ui.common import button, keyboard, pairs
from handlers.ui.tallies import event_label
import handlers.events.callbacks as on

SCAN_TO_CHECK_IN = N_("Scan to check in")
BUTTON_TEXT_MAX = 60
Screen = tuple[str, InlineKeyboardMarkup | None]


def event_choice(events: Sequence[Event], route: Route, _: Translator, *, prompt: str, empty: str) -> Screen:
    """Events to pick from, one button each (the button carries the event to `route`); `empty` when none."""
    if not events:
        return empty, None
    return prompt, keyboard([[button(event_label(event, _), route.data(event.id))] for event in events])


def event_heading(event: Event, _: Translator) -> str:
    lines = [f"<b>{esc(event_text.title(event, _.language))}</b>", "🗓 " + event_text.when(event, _)]
    if event.venue:
        lines.append("📍 " + esc(event.venue))
    return "\n".join(lines)


def checked_in_line(count: int, _: Translator) -> str:
    return _.ngettext("{count} person checked in so far.", "{count} people checked in so far.", count).format(
        count=_.number(count))


def refusal_text(result: Result, _: Translator) -> str:
    """Why a check-in did not happen, for a member or a coordinator."""
    if result.outcome == Outcome.NOT_OPEN:
        return _("Check-in for {title} opens at {time}.").format(
            title=esc(event_text.title(result.event, _.language)),
            time=event_text.moment(result.opens_at, result.event, _))
    if result.outcome == Outcome.CLOSED:
        return _("Check-in for {title} has closed.").format(title=esc(event_text.title(result.event, _.language)))
    return _("This event is no longer open for check-in.")


def done_button(_: Translator, *, keep: bool = False) -> list:
    """Done ends searching or adding walk-ins; under a confirmation (`keep`) it leaves the confirmation readable."""
    return [button(_("Done"), on.DONE_KEEP.data("keep") if keep else on.DONE.data())]


def cancel_button(_: Translator) -> list:
    return [button(_("Cancel"), on.DONE.data())]


def menu_screen(event: Event, count: int, _: Translator) -> Screen:
    """One event with its count so far, and what the coordinator can do."""
    text = "\n\n".join([event_heading(event, _), checked_in_line(count, _), _("What would you like to do?")])
    return text, keyboard([
        [button("🖨 " + _("QR poster"), on.POSTER.data(event.id))],
        [button("🔎 " + _("Check someone in"), on.FIND.data(event.id))],
        [button("➕ " + _("Add a walk-in"), on.WALKIN.data(event.id))],
    ])


def checkin_link(bot_username: str, event: Event) -> str:
    return f"https://t.me/{bot_username}?start={checkins.TOKEN_PREFIX}{event.checkin_token}"


def poster_png(event: Event, bot_username: str) -> bytes:
    """The printable poster, in Khmer and English whatever the coordinator's language."""
    km, en = translator("km"), translator("en")
    titles = list(dict.fromkeys([event_text.title(event, "km"), event_text.title(event, "en")]))
    details = [event_text.when(event, km), event_text.when(event, en), event.venue]
    return posters.qr_poster(checkin_link(bot_username, event), titles=titles, details=[d for d in details if d],
                             instructions=list(dict.fromkeys([km(SCAN_TO_CHECK_IN), en(SCAN_TO_CHECK_IN)])))


def result_label(match: checkins.Match) -> str:
    member = match.member
    label = member.name or ""
    if member.organisation:
        label += " · " + member.organisation
    return ("✅ " if match.checked_in else "") + posters.shorten(label, BUTTON_TEXT_MAX)


def search_results_screen(event_id: int, query: str, found: list[checkins.Match], more: bool,
                          _: Translator) -> Screen:
    shown = esc(query.strip())
    if not found:
        text = _("No member matches “{query}”. Try another spelling or a phone number, or add the person as a "
                 "walk-in.").format(query=shown)
        return text, keyboard([[button("➕ " + _("Add a walk-in"), on.WALKIN.data(event_id))], done_button(_)])
    text = _.ngettext("{count} member matches “{query}”. Press a name to check them in.",
                      "{count} members match “{query}”. Press a name to check them in.",
                      len(found)).format(count=_.number(len(found)), query=shown)
    if more:
        text += "\n" + _("Only the first {count} are shown; type more of the name to narrow the search.").format(
            count=_.number(len(found)))
    rows = [[button(result_label(match), on.CHECK_IN.data(event_id, match.member.id))] for match in found]
    return text, keyboard([*rows, done_button(_)])


def checked_in_screen(name: str, already: bool, count: int, _: Translator) -> Screen:
    """The member pressed is checked in (or already was), with Done under it."""
    first = (_("{name} was already checked in.") if already else _("✅ {name} is checked in.")).format(name=esc(name))
    text = "\n".join([first, checked_in_line(count, _), "", _("Type another name or phone number, or press Done.")])
    return text, keyboard([done_button(_, keep=True)])


def walkin_gender_screen(event_id: int, name: str, _: Translator) -> Screen:
    buttons = [button(_(label), on.WALKIN_GENDER.data(event_id, code)) for code, label in GENDERS.items()]
    return _("What is {name}'s gender?").format(name=esc(name)), keyboard([*pairs(buttons), cancel_button(_)])


def walkin_stakeholder_screen(event_id: int, name: str, _: Translator) -> Screen:
    rows = [[button(_(label), on.WALKIN_STAKEHOLDER.data(event_id, code))] for code, label in STAKEHOLDERS.items()]
    return _("Which of these describes {name} best?").format(name=esc(name)), keyboard([*rows, cancel_button(_)])


def walkin_organisation_screen(event_id: int, name: str, _: Translator) -> Screen:
    text = _("Which organisation, farmer group or cooperative is {name} part of? Type its name, or skip.").format(
        name=esc(name))
    return text, keyboard([[button(_("Skip"), on.WALKIN_NO_ORGANISATION.data(event_id))], cancel_button(_)])


def walkin_recorded_screen(name: str, event_id: int, count: int, _: Translator) -> Screen:
    """The walk-in is recorded; another walk-in, a search, or Done."""
    text = "\n".join([_("✅ Walk-in {name} is recorded.").format(name=esc(name)), checked_in_line(count, _)])
    return text, keyboard([
        [button("➕ " + _("Add another walk-in"), on.WALKIN.data(event_id))],
        [button("🔎 " + _("Check someone in"), on.FIND.data(event_id))],
        done_button(_, keep=True),
    ])
