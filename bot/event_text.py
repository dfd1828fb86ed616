"""How an event reads to a member, in their language: the invitation and its time."""

from __future__ import annotations

from operator import attrgetter
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.models import Event
from bot.services.rsvps import EventView, deadline
from bot.text import esc


def title(event: Event | EventView, language: str) -> str:
    return (event.title_km if language == "km" else event.title_en) or event.title_en or event.title_km


def description(event: Event | EventView, language: str) -> str:
    return (event.description_km if language == "km" else event.description_en) or event.description_en or ""


def zone(event: Event | EventView) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def when(event: Event | EventView, _: Translator) -> str:
    """'Friday, 13 December 2024, 08:30 – 17:00' in the member's locale and the event's time zone."""
    tz = zone(event)
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    if start.date() == end.date():
        day = _.date(start, tz, "full")
        hours = _.interval(start.time(), end.time(), "Hm")
        return f"{day}, {hours}"
    return _.interval(start, end, "yMMMEdHm", tz)


def moment(value, event: Event | EventView, _: Translator) -> str:
    """A single date and time (a deadline, say) in the event's zone: 'Wed, Dec 11, 2024, 17:00', no seconds."""
    return _.datetime(value, zone(event))


# Everything an event's words depend on. Texts are kept by these values (not by updated_at, which an
# edit made in the same instant as the last would leave unchanged), so any edit draws them afresh.
fingerprint = attrgetter("id", "title_en", "title_km", "description_en", "description_km", "starts_at", "ends_at",
                         "timezone", "venue", "latitude", "longitude", "capacity", "rsvp_deadline")

_DRAWN: dict[tuple, str] = {}
_DRAWN_MAX = 1024


def _kept(kind: str, event: Event | EventView, _: Translator, draw) -> str:
    """A text drawn once per version of the event and language: formatting dates with Babel costs
    more than the rest of an answer to an invitation."""
    key = (kind, fingerprint(event), _.language)
    text = _DRAWN.get(key)
    if text is None:
        text = draw(event, _)
        if len(_DRAWN) >= _DRAWN_MAX:
            _DRAWN.clear()
        _DRAWN[key] = text
    return text


def deadline_text(event: Event | EventView, _: Translator) -> str:
    """When answers close (the RSVP deadline, or else the start), as a moment in the event's zone."""
    return _kept("deadline", event, _, lambda e, t: moment(deadline(e), e, t))


def invitation_text(event: Event | EventView, _: Translator) -> str:
    """The invitation as HTML: title, time, venue, description, deadline and seats; user text escaped."""
    return _kept("invitation", event, _, _draw_invitation)


def _draw_invitation(event: Event | EventView, _: Translator) -> str:
    lines = [f"<b>{esc(title(event, _.language))}</b>", "", "🗓 " + when(event, _)]
    if event.venue:
        lines.append("📍 " + esc(event.venue))
    text = description(event, _.language)
    if text:
        lines += ["", esc(text)]
    if event.rsvp_deadline:
        lines += ["", _("Please answer by {deadline}.").format(deadline=moment(event.rsvp_deadline, event, _))]
    if event.capacity:
        lines.append(_.ngettext("{count} seat.", "{count} seats.", event.capacity).format(count=_.number(event.capacity)))
    return "\n".join(lines)


def deep_link(bot_username: str, event: Event) -> str:
    """The shareable link that opens the event in the bot (registering a newcomer first)."""
    return f"https://t.me/{bot_username}?start=ev_{event.id}"
