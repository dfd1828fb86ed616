"""Loads what the consultation screens show, in the zone of the consultation's event."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import event_text
from bot.context import AppContext
from bot.i18n import Translator
from bot.models import Event
from bot.services import consultations
from handlers.consultations.screens import admin_screen


def zone_of(event: Event | None, context: AppContext) -> ZoneInfo:
    """Times are shown in the zone of the consultation's event, or the bot's own."""
    return event_text.zone(event) if event is not None else context.settings.tz


async def member_view(context: AppContext, consultation_id: int):
    """The consultation, its themes, whether it is open and its time zone (None once it is gone)."""
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None:
            return None
        found = await consultations.themes(session, consultation_id)
        event = await consultations.event_of(session, consultation)
    return consultation, found, consultations.is_open(consultation, context.now()), zone_of(event, context)


async def admin_view(context: AppContext, _: Translator, consultation_id: int):
    """The consultation's screen as coordinators manage it (None once it is gone)."""
    async with context.services.db.session() as session:
        consultation = await consultations.get(session, consultation_id)
        if consultation is None:
            return None
        event = await consultations.event_of(session, consultation)
        total = sum(c.count for c in await consultations.counts(session, consultation_id))
    return admin_screen(consultation, event, total, consultations.is_open(consultation, context.now()),
                        zone_of(event, context), context.bot.username, _)
